"""``zhengwu demo`` run again without ``--reset`` continues the demo's clock.

The demo's incident acts on the demo's running clock: the period's end plus the real time
since the demo made its data (``truth.json``'s modification time,
:mod:`zhengwu.rescue.clock`). Run again, the demo made its data again and the clock
started over: a coordinator who had verified a request an hour into the demo verified the
next one before it, and its re-verification fell due earlier. The same options continue
the demo and its clock; other options (another period) are refused before anything
changes, saying how to continue or start over (SQLite and PostgreSQL).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.cli.common import console
from zhengwu.cli.main import app
from zhengwu.config import get_settings
from zhengwu.db.engine import get_engine
from zhengwu.rescue import clock, dispatch
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.demo import incident_name
from zhengwu.rescue.models import HelpRequest, Incident

from .conftest import DISPATCHER

DEMO = ["demo", "--days", "5", "--no-serve"]
HOUR_NS = 3600 * 10**9


def _verify_one(name: str | None = None) -> tuple[int, Any]:
    """Verify the demo incident (``name``: from its truth.json) first unverified request
    now; return its id and time."""
    if name is None:
        truth = get_settings().data_dir / "demo-input" / "truth.json"
        name = incident_name(orjson.loads(truth.read_bytes()))
    with Session(get_engine()) as session:
        incident = session.scalars(select(Incident).where(Incident.name == name)).one()
        found = session.scalars(
            select(HelpRequest.id)
            .where(HelpRequest.incident_id == incident.id, HelpRequest.state == "new",
                   HelpRequest.first_verified_at.is_(None))
            .order_by(HelpRequest.id).limit(1)
        ).one()  # fmt: skip
        request = rescue_service.get_request(session, request_id=found)
        dispatch.verify(session, request=request, method="phone", result="confirmed",
                        actor=DISPATCHER)  # fmt: skip
        session.commit()
        assert request.first_verified_at is not None and request.reverify_due_at is not None
        return request.id, (request.first_verified_at, request.reverify_due_at,
                            clock.now(session, incident.id))  # fmt: skip


def _first_run(monkeypatch: pytest.MonkeyPatch) -> tuple[CliRunner, Path]:
    """Run the demo once (as `make demo`); return the runner and its truth.json."""
    monkeypatch.setattr(console, "width", 400)
    runner = CliRunner()
    first = runner.invoke(app, DEMO)
    assert first.exit_code == 0, first.output
    return runner, get_settings().data_dir / "demo-input" / "truth.json"


def test_a_second_demo_run_continues_the_demo_s_clock(
    configured_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, truth = _first_run(monkeypatch)
    # The demo was made an hour ago: its clock stands an hour after the period's end.
    made = truth.stat().st_mtime_ns - HOUR_NS
    os.utime(truth, ns=(made, made))
    _, (verified, due, _) = _verify_one()

    again = runner.invoke(app, DEMO)  # `make demo` again, without --reset
    assert again.exit_code == 0, again.output
    _, (verified_next, due_next, now) = _verify_one()
    assert verified <= verified_next < verified + timedelta(minutes=5)  # not an hour back
    assert due <= due_next  # its re-verification falls due after the first one's
    assert now >= verified
    assert truth.stat().st_mtime_ns == made  # the clock's start kept
    assert "演示时钟 demo clock" in again.output and "continues the demo of" in again.output

    # Other options would make another period on top of this one: refused, nothing changed.
    other = runner.invoke(app, ["demo", "--days", "6", "--no-serve"])
    assert other.exit_code == 2, other.output
    said = " ".join(other.output.split())
    assert "--reset" in said and "已有另一次演示" in said and "--days 5" in said
    assert "run it with the same options to continue it" in said
    assert truth.stat().st_mtime_ns == made
    with Session(get_engine()) as session:
        assert len(rescue_service.list_incidents(session)) == 1


def test_the_demo_s_clock_goes_on_after_a_run_that_deleted_truth_json(
    configured_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run of the demo clears its output first: one that crashed (or was stopped) then
    # left no truth.json. The demo's incident went on today's clock — months after its
    # simulated requests — and the next run made the file anew and started the clock
    # over. The clock is kept in the database: both go on with it.
    runner, truth = _first_run(monkeypatch)
    name = incident_name(orjson.loads(truth.read_bytes()))
    _, (verified, due, _) = _verify_one(name)

    truth.unlink()  # the crashed run's
    _, (verified_next, due_next, now) = _verify_one(name)
    assert verified <= verified_next < verified + timedelta(minutes=5)  # not today's clock
    assert due <= due_next < due + timedelta(minutes=5)

    with Session(get_engine()) as session:  # the demo was made an hour ago
        [incident] = rescue_service.list_incidents(session)
        assert incident.demo_clock_from is not None and incident.demo_period_end is not None
        back = incident.demo_clock_from - timedelta(hours=1)
        incident.demo_clock_from = back
        session.commit()
    again = runner.invoke(app, DEMO)  # the next run makes the data anew, a new truth.json
    assert again.exit_code == 0, again.output
    assert truth.exists()
    _, (verified_last, due_last, now_last) = _verify_one(name)
    assert verified_next + timedelta(hours=1) <= verified_last  # an hour on, not started over
    assert verified_last < verified_next + timedelta(hours=1, minutes=5)
    assert due_next < due_last and now < now_last
    with Session(get_engine()) as session:
        [incident] = rescue_service.list_incidents(session)
        assert incident.demo_clock_from == back  # kept
