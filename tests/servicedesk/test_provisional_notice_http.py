"""The console says once, on the pages that show deadlines, when a deadline shown runs into
a year without an official holiday schedule (a real server; SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.test_console_world import build_console_world, login

from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import PUBLIC
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.schemas import RequestIntake

CN = ZoneInfo("Asia/Shanghai")
HTML = {"Accept": "text/html"}
NOTICE = 'id="provisional-notice"'


def _receive(session: Session, text: str, received: datetime) -> str:
    intake = RequestIntake(source="form", text=text, submitted_at=received, adcode="410105")
    return desk_service.receive(
        session, intake=intake, actor=PUBLIC, now=received
    ).request.public_id


def test_provisional_deadlines_are_noticed_once_per_page(
    live_server: str, committed_engine: Engine
) -> None:
    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        known = _receive(
            session, "金水区经八路小区物业乱收费停车费", datetime(2025, 7, 2, 10, tzinfo=CN)
        )
        ahead = _receive(
            session, "金水区文化路小区电梯坏了物业不修", datetime(2030, 12, 27, 10, tzinfo=CN)
        )
        session.commit()
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as office:
        login(office, "office")
        queue = office.get("/console/desk")
        assert queue.status_code == 200, queue.text
        assert ahead in queue.text  # the newest: on the first page
        assert queue.text.count(NOTICE) == 1  # once, not once per row
        assert "2030、2031 年的国务院办公厅放假安排尚未载入" in queue.text
        assert "zhengwu desk calendar import" in queue.text
        page = office.get(f"/console/desk/{ahead}")
        assert page.status_code == 200, page.text
        assert page.text.count(NOTICE) == 1
        assert "The State Council's holiday schedule for 2030, 2031 is not loaded" in page.text
        page = office.get(f"/console/desk/{known}")
        assert page.status_code == 200, page.text
        assert NOTICE not in page.text  # 2025 has its official schedule
