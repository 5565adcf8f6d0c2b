"""A page of the demo incident's requests reads the demo's clock once, not per request.

Each request's waiting time and 需复核 are judged on the demo's clock
(:mod:`zhengwu.rescue.clock`), which reads the demo's ``truth.json`` from the data
directory; every request on a page stat'ed it four times (its score, its flags: two
files each), 200 filesystem calls for a JSON queue page of 50. The clock is read once per
database session (one HTTP request) now. Over real HTTP, SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.demo import simulate_requests
from zhengwu.rescue.schemas import IncidentCreate

from .conftest import DISPATCHER
from .test_demo_clock import PERIOD_END, _write_truth

PAGE = 50


def test_a_page_of_demo_requests_reads_the_demo_clock_once(
    live_server: str, committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_truth()
    starts = datetime(2025, 6, 30, 16, tzinfo=UTC)
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="演示暴雨", regions=["410100"], starts_at=starts), actor=DISPATCHER,
            now=starts)  # fmt: skip
        simulate_requests(session, incident_id=incident.id, count=120, now=PERIOD_END, seed=5)
        session.commit()
        iid = incident.id
    with Session(committed_engine) as session:
        user = auth_service.create_user(session, username="u_dispatcher", password="password-123",
                                        role="dispatcher")  # fmt: skip
        token = auth_service.create_token(session, user, "test")
        session.commit()
    stats: list[str] = []
    real_stat = os.stat

    def counted(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).endswith("truth.json"):
            stats.append(str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counted)
    headers = {"authorization": f"Bearer {token}"}
    queue = httpx.get(f"{live_server}/api/rescue/incidents/{iid}/queue",
                      params={"limit": PAGE, "state": "all"}, headers=headers, timeout=60)  # fmt: skip
    assert queue.status_code == 200, queue.text
    items = queue.json()["items"]
    assert len(items) == PAGE
    # Judged on the demo's clock: reported within the two days before the period's end,
    # none has waited much over 48 hours (today's clock would say over a year: 1,000+).
    assert max(item["priority"]["parts"]["waiting"] for item in items) < 49
    assert len(stats) <= 2, f"{len(stats)} stats of truth.json for a page of {PAGE}"
    stats.clear()
    board = httpx.get(f"{live_server}/board/rescue/{iid}", timeout=60)
    assert board.status_code == 200 and "演示暴雨" in board.text
    assert len(stats) <= 2, f"{len(stats)} stats of truth.json for the board"
