"""Published office numbers (公开电话) stay readable on the public board, in Open311 and in
the replies under citizens' posts; citizens' numbers stay masked (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts import phones
from zhengwu.accounts.models import Organization
from zhengwu.config import get_settings
from zhengwu.outbox.models import OutboxMessage
from zhengwu.servicedesk import replies, service
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

OFFICE = "0371-66661234"  # 金水区住建局's published number
CITIZEN = "13912345678"
GRID_WORKER = "13800001234"  # a person named in the reply: personal, stays masked
REPLY = f"已督促物业修复电梯。如有疑问请拨打区住建局电话 {OFFICE} 咨询，或联系网格员{GRID_WORKER}。"


def _act(client: httpx.Client, world: World, who: str, public_id: str, action: str,
         **body: object) -> httpx.Response:  # fmt: skip
    return client.post(f"/api/desk/requests/{public_id}/{action}", json=body,
                       headers=world.headers(who))  # fmt: skip


def test_an_office_reply_shows_its_published_number_and_masks_the_citizen(
    live_server: str, committed_world: World
) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:
        r = client.post("/api/requests", data={
            "text": f"郑州市金水区花园路8号院电梯停运两周，我的电话{CITIZEN}",
            "citizen_phone": CITIZEN,
        })  # fmt: skip
        assert r.status_code == 201, r.text
        pid = r.json()["public_id"]
        assert r.json()["organization_id"] == w.orgs["js_housing"]
        for action, body in (("accept", {}), ("resolve", {"reply_text": REPLY})):
            assert _act(client, w, "js_housing", pid, action, **body).status_code == 200

        # Not registered yet: the office line is masked like any landline.
        before = client.get("/api/public/requests")
        etag = before.headers["etag"]
        [row] = before.json()["requests"]
        assert OFFICE not in row["reply_text"] and "0371-****1234" in row["reply_text"]

        registered = client.patch(f"/api/organizations/{w.orgs['js_housing']}",
                                  json={"public_phones": ["（0371）6666 1234"]},
                                  headers=w.headers("admin"))  # fmt: skip
        assert registered.status_code == 200, registered.text

        # The board's ETag changes with the directory: no stale 304 with the masked reply.
        after = client.get("/api/public/requests", headers={"If-None-Match": etag})
        assert after.status_code == 200
        [row] = after.json()["requests"]
        assert f"请拨打区住建局电话 {OFFICE} 咨询" in row["reply_text"]
        assert GRID_WORKER not in row["reply_text"] and "138****1234" in row["reply_text"]
        assert CITIZEN not in row["text"]

        one = client.get(f"/api/public/requests/{pid}").json()
        assert OFFICE in one["reply_text"] and GRID_WORKER not in one["reply_text"]
        page = client.get(f"/board/requests/{pid}")
        assert page.status_code == 200
        assert OFFICE in page.text
        assert GRID_WORKER not in page.text and CITIZEN not in page.text

        [record] = client.get(f"/open311/v2/requests/{pid}.json").json()
        assert OFFICE in record["status_notes"]
        assert GRID_WORKER not in record["status_notes"] and "138****1234" in record["status_notes"]
        assert CITIZEN not in record["description"]


def test_intake_and_outbox_keep_published_numbers(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hotline of no single body comes from the setting, an office's line from its record.
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", "0371-69690110")
    get_settings.cache_clear()
    housing = session.get(Organization, world.orgs["js_housing"])
    assert housing is not None
    phones.set_public_phones(session, organization=housing, phones=[OFFICE], actor=SYSTEM)
    text = (f"#郑州12345# 金水区文化路井盖丢失，打了0371 6666 1234和（0371）6969-0110都没人接，"
            f"我的电话{CITIZEN}")  # fmt: skip
    intake = RequestIntake(source="weibo", text=text, source_ref="weibo:5001",
                           account_uid="1002", citizen_phone=CITIZEN)  # fmt: skip
    request = service.create_request(session, intake=intake, actor=SYSTEM)
    assert "0371 6666 1234" in request.text_masked
    assert "（0371）6969-0110" in request.text_masked
    assert request.text_masked.endswith("我的电话139******78")  # the known phone, masked

    message = replies.queue(session, request=request, kind="progress", body=REPLY)
    assert message is not None
    session.flush()
    stored = session.scalars(select(OutboxMessage).where(OutboxMessage.id == message.id)).one()
    assert OFFICE in stored.body
    assert GRID_WORKER not in stored.body and "138****1234" in stored.body
