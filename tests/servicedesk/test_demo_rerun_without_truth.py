"""``zhengwu demo`` again after its ``truth.json`` is gone: the demo's clock is in the
database, so other ``--days`` (another period on top of it) are refused as they are with
the file, before anything is simulated; the same period, or a database without a demo's
clock (real data), goes ahead."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli.common import console
from zhengwu.cli.demo import earlier_demo
from zhengwu.cli.main import app
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk import demo
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.schemas import RequestIntake

END = datetime(2025, 7, 30, 16, tzinfo=UTC)  # the 30-day demo's period end (07-31 00:00 China)


def test_other_days_are_refused_by_the_clock_in_the_database(
    committed_engine: Engine, configured_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    input_dir = get_settings().data_dir / "demo-input"
    assert not (input_dir / "truth.json").exists()
    assert earlier_demo(input_dir, scale="city", days=6, seed=1) is None  # real data: no clock
    with Session(committed_engine) as session:
        category_service.ensure_default_tree(session)
        at = datetime(2025, 7, 3, 2, tzinfo=UTC)
        intake = RequestIntake(source="form", text="金水区小区路灯不亮", submitted_at=at)
        desk_service.receive(session, intake=intake, actor=desk_service.SYSTEM, now=at)
        assert demo.start_demo_clock(session, END) == 1
        session.commit()
    assert earlier_demo(input_dir, scale="city", days=30, seed=1) is None  # its own period
    with pytest.raises(InvalidInputError):
        earlier_demo(input_dir, scale="city", days=6, seed=1)
    assert earlier_demo(input_dir, scale="city", days=6, seed=1, check_database=False) is None
    monkeypatch.setattr(console, "width", 400)
    other = CliRunner().invoke(app, ["demo", "--days", "6", "--no-serve"])
    assert other.exit_code == 2, other.output
    said = " ".join(other.output.split())
    assert "数据库中已有另一次演示（模拟时段止于 2025-07-31 00:00" in said
    assert "its truth.json is gone" in said and "--reset" in said
    assert not input_dir.exists()  # refused before anything was simulated
