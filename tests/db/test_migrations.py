"""The schema comes from the migrations, identically on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.db import migrate
from zhengwu.db.models import Base
from zhengwu.regions.models import Region


def test_migrations_create_every_model_table(db_engine: Engine) -> None:
    tables = set(inspect(db_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert migrate.current(db_engine) is not None


def test_constraint_names_follow_the_convention(db_engine: Engine) -> None:
    pk = inspect(db_engine).get_pk_constraint("accounts")
    assert pk["name"] == "pk_accounts"
    uniques = {u["name"] for u in inspect(db_engine).get_unique_constraints("accounts")}
    assert "uq_accounts_platform_uid" in uniques


def test_timestamps_round_trip_as_aware_utc(session: Session) -> None:
    beijing = timezone(timedelta(hours=8))
    org = Organization(name="郑州市公安局", level="市", sector="公安", adcode="410100",
                       created_at=datetime(2025, 7, 1, 8, 0, tzinfo=beijing))  # fmt: skip
    session.add(org)
    session.flush()
    session.expire_all()
    loaded = session.scalars(select(Organization).where(Organization.id == org.id)).one()
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at == datetime(2025, 7, 1, 0, 0, tzinfo=UTC)


def test_naive_timestamps_are_refused(session: Session) -> None:
    session.add(Organization(name="x", level="市", sector="公安", created_at=datetime(2025, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_regions_are_loaded_with_hierarchy(session: Session) -> None:
    guangzhou = session.get(Region, "440100")
    assert guangzhou is not None
    assert guangzhou.level == "city"
    assert guangzhou.parent_adcode == "440000"
    assert session.scalar(select(Region).where(Region.adcode == "440106")) is not None
