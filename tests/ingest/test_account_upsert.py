"""Accounts seen in an import are inserted or updated in bulk, with the ORM's semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts import service
from zhengwu.accounts.models import Account, Organization
from zhengwu.platforms.records import AccountRecord

CN = timezone(timedelta(hours=8))


def _rec(uid: str, **kw: object) -> AccountRecord:
    return AccountRecord(platform="weibo", uid=uid, name=f"号{uid}", **kw)  # type: ignore[arg-type]


def _row(session: Session, uid: str) -> Account:
    account = session.scalar(select(Account).where(Account.uid == uid))
    assert account is not None
    return account


def test_new_accounts_are_inserted_with_defaults_and_utc_times(session: Session) -> None:
    created = datetime(2011, 6, 13, 9, 37, 44, tzinfo=CN)
    result = service.upsert_records(
        session,
        [_rec("1", verified_type=1, is_government=True, followers=5, created_at=created),
         _rec("2", adcode="110000", description="d")],
        [_rec("2", adcode="110000", description="d")],
    )  # fmt: skip
    assert (result.new, result.updated, result.primary_new) == (2, 0, 1)
    one = _row(session, "1")
    assert one.platform_created_at == created
    assert one.platform_created_at is not None
    assert one.platform_created_at.tzinfo is not None
    assert (one.is_government, one.followers, one.status) == (True, 5, "active")
    assert one.first_seen is not None
    assert one.updated_at is not None
    two = _row(session, "2")
    assert (two.is_government, two.adcode, two.followers) == (False, "110000", None)


def test_changes_update_missing_fields_do_not_erase(session: Session) -> None:
    service.upsert_records(session, [_rec("1", followers=5, location="北京", friends=3)])
    session.flush()
    before = _row(session, "1").updated_at
    same = service.upsert_records(session, [_rec("1", followers=5)], [_rec("1", followers=5)])
    assert (same.updated, same.primary_unchanged) == (0, 1)
    changed = service.upsert_records(session, [_rec("1", followers=9)], [_rec("1", followers=9)])
    assert (changed.updated, changed.primary_updated) == (1, 1)
    session.expire_all()
    row = _row(session, "1")
    assert (row.followers, row.location, row.friends) == (9, "北京", 3)
    assert row.updated_at >= before


def test_primary_records_are_counted_against_earlier_ones(session: Session) -> None:
    records = [_rec("7", followers=1), _rec("7", followers=1), _rec("7", followers=2)]
    result = service.upsert_records(session, [records[-1]], records)
    assert (result.primary_new, result.primary_unchanged, result.primary_updated) == (1, 1, 1)
    assert _row(session, "7").followers == 2


def test_linked_account_stays_government(session: Session) -> None:
    org = Organization(name="某市公安局", level="市", sector="公安")
    session.add(org)
    session.flush()
    session.add(Account(platform="weibo", uid="9", name="平安某市", organization_id=org.id,
                        is_government=True))  # fmt: skip
    session.flush()
    result = service.upsert_records(session, [_rec("9", is_government=False, followers=3)])
    assert result.updated == 1
    session.expire_all()
    assert (_row(session, "9").is_government, _row(session, "9").followers) == (True, 3)


def test_many_accounts_in_one_call(session: Session) -> None:
    records = [_rec(str(i), followers=i, created_at=datetime(2020, 1, 1, tzinfo=UTC))
               for i in range(12_000)]  # fmt: skip
    assert service.upsert_records(session, records).new == 12_000
    again = service.upsert_records(session, [_rec(str(i), followers=i + 1) for i in range(12_000)])
    assert (again.new, again.updated) == (0, 12_000)
    assert _row(session, "11999").followers == 12_000


def test_inserted_rows_hold_every_field_as_given(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL takes new accounts by COPY, SQLite by executemany: the rows must be the
    # same as the records either way.
    copied: list[int] = []
    real_copy = service._copy_rows

    def counting(conn: Any, table: str, names: list[str], rows: list[tuple[Any, ...]]) -> None:
        copied.append(len(rows))
        real_copy(conn, table, names, rows)

    monkeypatch.setattr(service, "_copy_rows", counting)
    created = datetime(2011, 6, 13, 9, 37, 44, tzinfo=CN)
    full = _rec(
        "1", verified_type=7, verified_reason="某市公安局\t“官方”", is_government=True,
        followers=2**40, friends=0, statuses=3, adcode="440100", location="广东 广州",
        description="多行\n描述\\ 与反斜杠", created_at=created,
    )  # fmt: skip
    bare = _rec("2")
    result = service.upsert_records(session, [full, bare])
    assert result.new == 2
    on_postgres = session.connection().dialect.name == "postgresql"
    assert copied == ([2] if on_postgres else [])
    one, two = _row(session, "1"), _row(session, "2")
    assert (one.name, one.verified_type, one.verified_reason, one.is_government) == (
        "号1", 7, "某市公安局\t“官方”", True,
    )  # fmt: skip
    assert (one.followers, one.friends, one.statuses) == (2**40, 0, 3)
    assert (one.adcode, one.location, one.description) == ("440100", "广东 广州", full.description)
    assert one.platform_created_at == created
    assert (two.verified_type, two.followers, two.adcode, two.description) == (None,) * 4
    assert (two.is_government, two.status, two.organization_id) == (False, "active", None)
    assert two.platform_created_at is None
    assert one.first_seen == two.first_seen
    assert one.first_seen.tzinfo is not None
    # Read back by the upsert itself: nothing differs, nothing is updated.
    again = service.upsert_records(session, [full, bare], [full, bare])
    assert (again.new, again.updated, again.primary_unchanged) == (0, 0, 2)


def test_linked_account_with_unchanged_fields_is_not_updated(session: Session) -> None:
    org = Organization(name="某市公安局", level="市", sector="公安")
    session.add(org)
    session.flush()
    session.add(Account(platform="weibo", uid="9", name="号9", organization_id=org.id,
                        is_government=True, followers=3))  # fmt: skip
    session.flush()
    same = service.upsert_records(session, [_rec("9", is_government=True, followers=3)])
    assert same.updated == 0
    # A payload that says "not government" (and carries nothing new) changes nothing on a
    # linked account, so it is neither written nor counted, however often it comes again.
    before = _row(session, "9").updated_at
    stale = _rec("9", is_government=False, followers=None)
    fewer = service.upsert_records(session, [stale], [stale])
    assert (fewer.updated, fewer.primary_updated, fewer.primary_unchanged) == (0, 0, 1)
    session.expire_all()
    row = _row(session, "9")
    assert (row.is_government, row.followers, row.updated_at) == (True, 3, before)


def test_large_upsert_on_sqlite_restores_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite PRAGMA: checked on a SQLite database of its own, whatever the backend."""
    from zhengwu.db import migrate
    from zhengwu.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    migrate.upgrade(engine)
    try:
        with Session(engine) as session:
            _check_page_cache(session, monkeypatch)
    finally:
        engine.dispose()


def _check_page_cache(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = session.connection()
    monkeypatch.setattr(service, "SQLITE_CACHE_MIN_KEYS", 3)
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    during: list[int] = []
    real_upsert = service._upsert

    def watching(*args: Any, **kwargs: Any) -> service.UpsertResult:
        during.append(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
        return real_upsert(*args, **kwargs)

    monkeypatch.setattr(service, "_upsert", watching)
    service.upsert_records(session, [_rec("1")])  # below the threshold: untouched
    assert service.upsert_records(session, [_rec(str(i)) for i in range(2, 6)]).new == 4
    assert during == [before, -service.SQLITE_CACHE_KIB]
    assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before


def test_a_record_without_verified_type_does_not_make_a_government_account_ordinary(
    session: Session,
) -> None:
    # users.csv (or the API) says 认证类型 1; the crawler's post file and a repost's root
    # author know the account by its name only.
    service.upsert_records(session, [_rec("11", verified_type=1, is_government=True)])
    service.upsert_records(session, [_rec("12", verified_type=7, is_government=True)])
    session.flush()
    name_only = [_rec("11", followers=4), _rec("12")]
    result = service.upsert_records(session, name_only, name_only)
    assert (result.updated, result.primary_updated, result.primary_unchanged) == (1, 1, 1)
    session.expire_all()
    assert (_row(session, "11").is_government, _row(session, "11").followers) == (True, 4)
    assert _row(session, "12").is_government is True
    # A profile that says what the account is still counts: 媒体 (3) is not government.
    service.upsert_records(session, [_rec("12", verified_type=3, is_government=False)])
    session.expire_all()
    assert _row(session, "12").is_government is False
    # A new account known by name only is not government.
    service.upsert_records(session, [_rec("13")])
    assert _row(session, "13").is_government is False


def test_an_empty_name_does_not_erase_the_stored_one(session: Session) -> None:
    service.upsert_records(session, [_rec("1", followers=5)])
    session.flush()
    blank = AccountRecord(platform="weibo", uid="1", name="", followers=6)
    result = service.upsert_records(session, [blank], [blank])
    assert (result.updated, result.primary_updated) == (1, 1)
    session.expire_all()
    row = _row(session, "1")
    assert (row.name, row.followers) == ("号1", 6)
    # A new account with no name is still stored (its uid names it on the pages).
    service.upsert_records(session, [AccountRecord(platform="weibo", uid="2", name="")])
    session.flush()
    assert _row(session, "2").name == ""
