"""A reply may be as long as a request and as a hotline export's reply (20,000 characters):
the API, the console form and their messages agree, at the boundary."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import PUBLIC
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.servicedesk import service
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import MAX_REPLY, MAX_TEXT, RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

PASSWORD = "long-enough-pass-1"


def _accepted(engine: Engine, w: World) -> str:
    """A 金水住建 request, accepted; return its public id."""
    with Session(engine) as s:
        req = service.create_request(
            s, intake=RequestIntake(source="form", text="金水区丰庆路小区物业乱收停车费"),
            actor=PUBLIC,
        )  # fmt: skip
        service.perform(s, request=req, action="accept", actor=w.principals["js_housing"])
        s.commit()
        return req.public_id


def test_the_reply_limit_is_the_import_limit() -> None:
    assert MAX_REPLY == MAX_TEXT == 20_000


def test_api_accepts_a_reply_of_20000_characters_and_refuses_one_more(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    pid = _accepted(committed_engine, committed_world)
    headers = committed_world.headers("js_housing")
    with httpx.Client(base_url=live_server, timeout=120, headers=headers) as client:
        url = f"/api/desk/requests/{pid}/reply"
        too_long = client.post(url, json={"reply_text": "复" * (MAX_REPLY + 1)})
        assert too_long.status_code == 422
        body = too_long.json()
        assert "最多 20000 个字" in body["message_zh"], body
        assert "20000" in body["message_en"], body
        done = client.post(url, json={"reply_text": "复" * MAX_REPLY})
        assert done.status_code == 200, done.text
        assert done.json()["reply_text"] == "复" * MAX_REPLY


def test_console_form_takes_a_reply_of_20000_characters(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    auth_service._ip_attempts.clear()
    pid = _accepted(committed_engine, committed_world)
    with Session(committed_engine) as s:
        auth_service.create_user(s, username="li", password=PASSWORD, role="handler",
                                 organization_id=committed_world.orgs["js_housing"])  # fmt: skip
        s.commit()
    with httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as c:
        login = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
        assert login is not None
        c.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": login[1],
                               "next": ""})  # fmt: skip
        csrf = c.get("/api/auth/me").json()["csrf_token"]
        page = c.get(f"/console/desk/{pid}")
        assert 'id="reply-reply_text" name="reply_text" rows="3" maxlength="20000"' in page.text
        url = f"/console/desk/{pid}/act"
        refused = c.post(url, data={"csrf_token": csrf, "action": "reply",
                                    "reply_text": "复" * (MAX_REPLY + 1)})  # fmt: skip
        assert refused.status_code == 422
        assert "最多 20000 个字" in refused.text
        done = c.post(url, data={"csrf_token": csrf, "action": "reply",
                                 "reply_text": "复" * MAX_REPLY})  # fmt: skip
        assert done.status_code == 303, done.text[:500]
    with Session(committed_engine) as s:
        assert service.get_by_public_id(s, pid).reply_text == "复" * MAX_REPLY


def test_csv_import_takes_the_same_replies(session: Session, world: World, tmp_path: Path) -> None:
    path = tmp_path / "replies.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([
            ["工单编号", "来电时间", "诉求内容", "答复意见", "答复时间"],
            ["L1", "2025-05-05 08:00", "金水区某路段积水", "复" * MAX_REPLY, "2025-05-06 08:00"],
            ["L2", "2025-05-05 09:00", "金水区某路口积水", "复" * (MAX_REPLY + 1),
             "2025-05-06 08:00"],
        ])  # fmt: skip
    report = import_csv(session, path, actor=SYSTEM)
    taken = session.scalar(select(ServiceRequest).where(ServiceRequest.source_ref == "12345:L1"))
    assert taken is not None and taken.reply_text == "复" * MAX_REPLY
    reasons = session.scalars(
        select(QuarantineEntry.reason).where(QuarantineEntry.run_id == report.run_id)
    ).all()
    assert reasons == ["答复意见超过 20,000 字（20,001 字）/ reply text longer than 20,000 "
                       "characters (20,001)"]  # fmt: skip
