"""A citizen named in a staff reply is masked wherever the reply goes public: the outbox
(replies under the citizen's post), the public board, one request's page, Open311."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.outbox.models import OutboxMessage
from zhengwu.servicedesk import replies, service
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

NAME = "王建国"
PHONE = "13912345678"
# The name comes with no cue a detector could use: only the request knows it is a citizen's.
REPLY = f"已督促物业修复电梯。{NAME}反映的问题已处理，电话{PHONE}，身份证41010519900307123X。"


def _act(client: httpx.Client, world: World, who: str, public_id: str, action: str,
         **body: object) -> httpx.Response:  # fmt: skip
    return client.post(f"/api/desk/requests/{public_id}/{action}", json=body,
                       headers=world.headers(who))  # fmt: skip


def test_the_outbox_masks_the_requests_citizen_and_contact_phrases(
    session: Session, world: World
) -> None:
    intake = RequestIntake(source="weibo", text="金水区文化路井盖丢失，很危险", source_ref="weibo:7001",
                           account_uid="1002", citizen_name=NAME, citizen_phone=PHONE)  # fmt: skip
    request = service.create_request(session, intake=intake, actor=SYSTEM)
    body = f"{REPLY}如有疑问请与张伟联系。"
    message = replies.queue(session, request=request, kind="progress", body=body)
    assert message is not None
    session.flush()
    stored = session.scalars(select(OutboxMessage).where(OutboxMessage.id == message.id)).one()
    assert NAME not in stored.body and "王**反映" in stored.body
    assert PHONE not in stored.body
    assert "41010519900307123X" not in stored.body
    assert "张伟" not in stored.body and "请与张*联系" in stored.body


def test_public_views_of_a_reply_mask_the_citizen_name(
    live_server: str, committed_world: World
) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:
        sent = client.post("/api/requests", json={
            "text": "郑州市金水区花园路8号院电梯停运两周", "citizen_name": NAME,
            "citizen_phone": PHONE,
        })  # fmt: skip
        assert sent.status_code == 201, sent.text
        pid = sent.json()["public_id"]
        for action, body in (
            ("accept", {}),
            ("resolve", {"reply_text": f"请与{NAME}联系。" + REPLY}),
        ):
            assert _act(client, w, "js_housing", pid, action, **body).status_code == 200

        [row] = client.get("/api/public/requests").json()["requests"]
        one = client.get(f"/api/public/requests/{pid}").json()
        page = client.get(f"/board/requests/{pid}").text
        board = client.get("/board/requests").text
        [record] = client.get(f"/open311/v2/requests/{pid}.json").json()
        for shown in (row["reply_text"], one["reply_text"], page, board, record["status_notes"]):
            assert NAME not in shown and PHONE not in shown
        assert "王**反映" in row["reply_text"]
        # The handler who wrote it still reads it as written.
        mine = client.get(f"/api/desk/requests/{pid}", headers=w.headers("js_housing")).json()
        assert NAME in mine["reply_text"]
