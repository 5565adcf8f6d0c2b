"""Outbound messages are queued with their cause and delivered through connectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import InvalidInputError
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage


@dataclass
class FlakyConnector:
    """A working connector that fails on a given message body (a platform outage)."""

    platform: str = "weibo"
    fail_on: str = "boom"

    def send(self, message: OutboxMessage) -> str:
        if message.body == self.fail_on:
            raise RuntimeError("platform unavailable")
        return f"wb-{message.id}"


def test_enqueue_and_deliver(session: Session) -> None:
    ok = outbox_service.enqueue(session, kind="first_response", platform="weibo", body="已收到，正在办理",
                                target_post_id="4091509081366576", entity_type="request", entity_id=7)  # fmt: skip
    bad = outbox_service.enqueue(session, kind="closing", platform="weibo", body="boom",
                                 entity_type="request", entity_id=7)  # fmt: skip
    other = outbox_service.enqueue(session, kind="closing", platform="wechat", body="已办结")
    session.flush()
    recorder = outbox_service.RecordingConnector(platform="wechat")
    report = outbox_service.deliver_pending(session, [FlakyConnector(), recorder], max_attempts=2)
    assert (report.delivered, report.failed) == (2, 1)
    assert ok.state == "delivered" and ok.external_id == f"wb-{ok.id}"
    # The connector's own (English) words come after what happens next, in both languages.
    assert bad.state == "queued" and bad.error == (
        "第 1 次发送失败（共 2 次），稍后重试 / delivery attempt 1 of 2 failed, will retry: "
        "platform unavailable"
    )
    assert recorder.sent == [(other.id, "已办结", None)]
    outbox_service.deliver_pending(session, [FlakyConnector()], max_attempts=2)
    assert bad.state == "failed" and bad.attempts == 2
    assert (
        bad.error
        == "发送 2 次均失败，已放弃 / delivery failed 2 times, given up: platform unavailable"
    )
    assert [
        m.id for m in outbox_service.for_entity(session, entity_type="request", entity_id=7)
    ] == [ok.id, bad.id]


def test_enqueue_is_stamped_with_the_given_time_or_the_real_clock(session: Session) -> None:
    replayed_at = datetime(2025, 7, 3, 14, 5, tzinfo=UTC)
    replayed = outbox_service.enqueue(session, kind="first_response", platform="weibo",
                                      body="已受理", now=replayed_at)  # fmt: skip
    before = utcnow()
    live = outbox_service.enqueue(session, kind="first_response", platform="weibo", body="已受理")
    session.flush()
    session.expire_all()
    assert replayed.created_at == replayed_at
    assert before <= live.created_at <= utcnow()


def test_enqueue_refuses_empty_or_unknown(session: Session) -> None:
    with pytest.raises(InvalidInputError):
        outbox_service.enqueue(session, kind="gossip", platform="weibo", body="x")
    with pytest.raises(InvalidInputError):
        outbox_service.enqueue(session, kind="closing", platform="weibo", body="  ")


def test_audit_history_is_ordered(session: Session) -> None:
    actor = Principal(role="handler", user_id=None, display_name="王五")
    audit_service.record(session, entity_type="request", entity_id=1, action="accept",
                         actor=actor, from_state="received", to_state="accepted")  # fmt: skip
    audit_service.record(session, entity_type="request", entity_id=1, action="reply",
                         actor=actor, from_state="accepted", to_state="replied", reason="已答复")  # fmt: skip
    session.flush()
    trail = audit_service.history(session, entity_type="request", entity_id=1)
    assert [e.action for e in trail] == ["accept", "reply"]
    assert trail[1].reason == "已答复" and trail[0].actor_name == "王五"


def test_a_batch_is_filled_with_sendable_messages_only(session: Session) -> None:
    """Messages no connector sends (another platform) never fill the batch: with a batch
    of 2 behind 5 Douyin messages, the 3 Weibo ones are sent in two passes, and the Douyin
    ones stay queued, unattempted, with their reason."""
    stuck = [outbox_service.enqueue(session, kind="other", platform="douyin", body=f"抖音 {i}")
             for i in range(5)]  # fmt: skip
    sendable = [outbox_service.enqueue(session, kind="other", platform="weibo", body=f"微博 {i}")
                for i in range(3)]  # fmt: skip
    session.flush()
    recorder = outbox_service.RecordingConnector(platform="weibo")
    first = outbox_service.deliver_pending(session, [recorder], limit=2)
    assert (first.delivered, first.failed, first.waiting) == (2, 0, 5)
    second = outbox_service.deliver_pending(session, [recorder], limit=2)
    assert (second.delivered, second.waiting) == (1, 5)
    assert [m.state for m in sendable] == ["delivered"] * 3
    assert [sent[0] for sent in recorder.sent] == [m.id for m in sendable]
    for message in stuck:
        session.refresh(message)
        assert (message.state, message.attempts) == ("queued", 0)
        assert message.error == (
            "未配置「douyin」平台的发送通道：保持待发送，配置后发送 / no connector for "
            "platform 'douyin': stays queued, sent once one is configured"
        )
    # Once a connector sends them, they go and the waiting reason goes with it.
    later = outbox_service.deliver_pending(session, [outbox_service.RecordingConnector()])
    assert (later.delivered, later.waiting) == (5, 0)
    for message in stuck:
        session.refresh(message)
        assert (message.state, message.error) == ("delivered", None)


def test_a_message_gone_back_to_waiting_keeps_its_last_delivery_error_and_its_time(
    session: Session,
) -> None:
    """A Weibo message failed once; then no connector sends Weibo (its connector was taken
    out): it waits, with the waiting reason — and the last delivery error, with when it
    happened, stays for staff to read (it was overwritten by the waiting reason)."""
    message = outbox_service.enqueue(session, kind="closing", platform="weibo", body="boom")
    session.flush()
    before = utcnow()
    outbox_service.deliver_pending(session, [FlakyConnector()], max_attempts=3)
    failed = "第 1 次发送失败（共 3 次），稍后重试 / delivery attempt 1 of 3 failed, will retry: "
    assert message.error == f"{failed}platform unavailable"
    assert message.last_error == message.error
    assert message.last_error_at is not None and message.last_error_at >= before
    failed_at = message.last_error_at
    report = outbox_service.deliver_pending(session, [outbox_service.RecordingConnector("wechat")])
    assert report.waiting == 1
    session.refresh(message)
    assert (message.state, message.error) == ("queued", outbox_service.waiting_reason("weibo"))
    assert message.last_error == f"{failed}platform unavailable"
    assert message.last_error_at == failed_at
    # Sent at last: the waiting reason goes, the last error stays as history.
    outbox_service.deliver_pending(session, [outbox_service.RecordingConnector("weibo")])
    session.refresh(message)
    assert (message.state, message.error) == ("delivered", None)
    assert (message.last_error, message.last_error_at) == (
        f"{failed}platform unavailable",
        failed_at,
    )


def test_a_message_delivered_after_a_failure_no_longer_shows_the_failure_as_current(
    session: Session,
) -> None:
    """A Weibo reply failed once, then went out on the next pass. It used to keep the
    failure as its current reason (``error``: 第 1 次发送失败…稍后重试) under 已发送: once
    delivered there is no current reason; the failure stays as an earlier attempt's, with
    its time, and the message says when it was delivered."""
    message = outbox_service.enqueue(session, kind="closing", platform="weibo", body="boom")
    session.flush()
    outbox_service.deliver_pending(session, [FlakyConnector()], max_attempts=3)
    failed, failed_at = message.last_error, message.last_error_at
    assert message.error == failed and failed is not None and failed_at is not None
    report = outbox_service.deliver_pending(session, [FlakyConnector(fail_on="-")])
    assert report.delivered == 1
    session.refresh(message)
    assert (message.state, message.error, message.attempts) == ("delivered", None, 2)
    assert message.delivered_at is not None and message.delivered_at >= failed_at
    assert (message.last_error, message.last_error_at) == (failed, failed_at)
    # As the request's handlers read it: delivered, when, and the earlier failure.
    from zhengwu.servicedesk.presenters import _outbox

    shown = _outbox(message, True)
    assert (shown.state, shown.error, shown.delivered_at) == (
        "delivered",
        None,
        message.delivered_at,
    )
    assert shown.last_error == failed
    assert outbox_service.last_error_line(failed, failed_at, delivered=True).startswith(
        "此前发送失败（"
    )


def test_a_masked_reader_of_a_request_sees_no_delivery_error(session: Session) -> None:
    """A connector's error is its own words and may quote what it was sent (the reply, a
    citizen's post id): the request's handlers read it, a masked reader (an office whose
    call merged into the request) sees only the reply's state."""
    from zhengwu.servicedesk.presenters import _outbox

    message = outbox_service.enqueue(session, kind="closing", platform="weibo", body="已处理")
    session.flush()
    message.error = message.last_error = "HTTP 400: reply to 4990000000000777 by 13800001111"
    message.last_error_at = utcnow()
    full, masked = _outbox(message, True), _outbox(message, False)
    assert full.error == full.last_error == message.error and full.last_error_at is not None
    assert (masked.error, masked.last_error, masked.last_error_at) == (None, None, None)
    assert masked.state == full.state == "queued"
