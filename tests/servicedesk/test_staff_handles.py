"""Staff's words — a reply, a note, an extension's reason — are stored as written; wherever
the public or a masked reader sees them, a citizen's Weibo handle in them is masked as it is
in a citizen's text, and a government account's stays, however it is written: the reply
posted under the citizen's post (outbox), the public board and its API, Open311, a masked
request page and a masked export (SQLite and PostgreSQL)."""

from __future__ import annotations

import html

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC
from zhengwu.outbox.models import OutboxMessage
from zhengwu.servicedesk import export, presenters, service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.filters import RequestFilters
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

# Two citizens (a mention, a repost with a full-width ＠) and the housing bureau's and the
# police's accounts (the second in full-width letters of its name's case: 平安郑州 as is).
STAFF = "@吃面的老李头 您好，已转 @金水住建 ＠平安郑州 处理 //＠雨夜小鹿2021：请知悉"
SHOWN = "@＊＊＊ 您好，已转 @金水住建 ＠平安郑州 处理 //@＊＊＊：请知悉"
CITIZENS = ("吃面的老李头", "雨夜小鹿2021")


def _handled(session: Session, world: World, ref: str) -> ServiceRequest:
    """A Weibo post to 金水住建 that its handler answers, notes and asks more time for, each
    time in words that name the two citizens."""
    intake = RequestIntake(source="weibo", text="@金水住建 文化路井盖丢失，很危险",
                           source_ref=f"weibo:{ref}", account_uid="1002")  # fmt: skip
    request = service.create_request(session, intake=intake, actor=SYSTEM)
    handler = world.principals["js_housing"]
    steps = (("accept", ActionInput()), ("reply", ActionInput(reply_text=STAFF)),
             ("note", ActionInput(reason=STAFF)),
             ("request_extension", ActionInput(days=3, reason=STAFF)))  # fmt: skip
    for action, data in steps:
        service.perform(session, request=request, action=action, actor=handler, data=data)
    session.flush()
    return request


def test_staff_words_mask_citizens_handles_where_a_masked_reader_sees_them(
    session: Session, world: World
) -> None:
    request = _handled(session, world, "7101")
    [posted] = session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.entity_id == request.id,
                                         OutboxMessage.kind == "progress")
    ).all()  # fmt: skip
    assert posted == SHOWN  # the reply under the citizen's post, in public
    masked = presenters.detail(session, request, PUBLIC)
    assert masked.masked
    assert (masked.reply_text, masked.extension_reason) == (SHOWN, SHOWN)
    reasons = [h.reason for h in masked.history if h.reason and "您好" in h.reason]
    assert reasons == [SHOWN, SHOWN]  # the note and the extension's reason
    [row] = presenters.public_rows(session, [request], category_service.get_tree(session))
    assert row.reply_text == SHOWN
    dispatcher = world.principals["dispatcher"]  # reads the desk's public requests masked
    [record] = export.iter_records(session, principal=dispatcher, filters=RequestFilters())
    assert record["答复意见"] == SHOWN
    # The staff who handle it read their words as written.
    full = presenters.detail(session, request, world.principals["js_housing"])
    assert full.reply_text == STAFF and full.extension_reason == STAFF
    assert STAFF in [h.reason for h in full.history]


def test_public_pages_and_open311_mask_citizens_handles_in_a_reply(
    live_server: str, committed_world: World, committed_engine: Engine
) -> None:
    with Session(committed_engine) as session:
        public_id = _handled(session, committed_world, "7102").public_id
        session.commit()
    with httpx.Client(base_url=live_server, timeout=120) as client:
        one = client.get(f"/api/public/requests/{public_id}").json()
        [row] = client.get("/api/public/requests").json()["requests"]
        [record] = client.get(f"/open311/v2/requests/{public_id}.json").json()
        [listed] = client.get("/open311/v2/requests.json").json()
        for shown in (one["reply_text"], row["reply_text"], record["status_notes"],
                      listed["status_notes"]):  # fmt: skip
            assert shown == SHOWN
        for page in (f"/board/requests/{public_id}", "/board/requests"):
            body = html.unescape(client.get(page).text)
            assert SHOWN in body and not any(c in body for c in CITIZENS), page
