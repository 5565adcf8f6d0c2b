"""Queue outbound messages and deliver them through connectors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import orjson
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from zhengwu.chinatime import CHINA
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.errors import InvalidInputError
from zhengwu.outbox.models import KINDS, OutboxMessage


def enqueue(
    session: Session,
    *,
    kind: str,
    platform: str,
    body: str,
    target_post_id: str | None = None,
    account_uid: str | None = None,
    entity_type: str | None = None,
    entity_id: int | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue one message (in the caller's transaction, with the action that caused it).

    ``now`` is when it is queued (its ``created_at``): the real clock unless the caller
    replays history on a simulated clock (the demo), where it is the action's own time.
    """
    if kind not in KINDS:
        raise InvalidInputError(f"未知的消息类型 {kind!r}", f"unknown outbox kind {kind!r}")
    if not body.strip():
        raise InvalidInputError("消息内容为空", "empty message body")
    message = OutboxMessage(
        kind=kind, platform=platform, body=body, target_post_id=target_post_id,
        account_uid=account_uid, entity_type=entity_type, entity_id=entity_id,
        created_at=now or utcnow(),
    )  # fmt: skip
    session.add(message)
    return message


def for_entity(session: Session, *, entity_type: str, entity_id: int) -> list[OutboxMessage]:
    """Return the messages queued for one entity, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.entity_type == entity_type, OutboxMessage.entity_id == entity_id)
            .order_by(OutboxMessage.id)
        )
    )


class Connector(Protocol):
    """Delivers messages of one platform; returns the platform's id for the message."""

    platform: str

    def send(self, message: OutboxMessage) -> str:
        """Publish ``message``; raise on failure."""
        ...


@dataclass
class RecordingConnector:
    """The default connector: records what would be published (no platform credentials)."""

    platform: str = "*"
    sent: list[tuple[int, str, str | None]] = field(default_factory=list)

    def send(self, message: OutboxMessage) -> str:
        """Record the message and return a local id."""
        self.sent.append((message.id, message.body, message.target_post_id))
        return f"local-{message.id}"


@dataclass
class FileConnector:
    """Append each message to ``<directory>/<platform>.jsonl``: what would be published.

    The connector of a deployment without platform credentials: an operator (or a gateway
    that holds them) publishes from these files. A message is written before its
    transaction commits, so after a crash it may be written twice; its ``id`` tells.
    """

    directory: Path
    platform: str = "*"

    def send(self, message: OutboxMessage) -> str:
        """Write the message as one JSON line and return a local id."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9_-]", "_", message.platform.lower()) or "other"
        record = {
            "id": message.id, "kind": message.kind, "platform": message.platform,
            "account_uid": message.account_uid, "target_post_id": message.target_post_id,
            "body": message.body, "entity_type": message.entity_type,
            "entity_id": message.entity_id, "written_at": utcnow().isoformat(),
        }  # fmt: skip
        with (self.directory / f"{name}.jsonl").open("ab") as fh:
            fh.write(orjson.dumps(record) + b"\n")
        return f"local-{message.id}"


def default_connectors() -> list[Connector]:
    """Return the connectors the worker delivers through (``ZHENGWU_OUTBOX_CONNECTOR``).

    ``none`` (the default): no connector, so messages stay queued and every page shows them
    as 已排队 — nothing is called published that did not reach a platform. ``file``: the
    file connector in the data dir, for a gateway that holds the platform credentials.
    """
    if get_settings().outbox_connector == "file":
        return [FileConnector(get_settings().data_dir / "outbox")]
    return []


@dataclass(slots=True)
class DeliveryReport:
    """What one delivery pass did."""

    delivered: int = 0
    failed: int = 0
    waiting: int = 0  # queued for a platform that no connector sends (not attempted)


def delivery_error(exc: Exception, attempt: int, max_attempts: int) -> str:
    """Return a failed delivery's reason as pages show it: what happens next, in Chinese and
    English, then the connector's own words (often English only: a platform's, a library's)."""
    said = (str(exc) or type(exc).__name__)[:800]
    if attempt >= max_attempts:
        return (f"发送 {attempt} 次均失败，已放弃 / delivery failed {attempt} times, "
                f"given up: {said}")  # fmt: skip
    return (f"第 {attempt} 次发送失败（共 {max_attempts} 次），稍后重试 / delivery attempt "
            f"{attempt} of {max_attempts} failed, will retry: {said}")  # fmt: skip


def last_error_line(
    error: str, at: datetime | str | None, *, delivered: bool = False, attempts: int = 0
) -> str:
    """Return a message's last delivery failure as a line of the CLI: its time (China
    time), then the failure (the pages show the same: ``_outbox_errors.html``).

    ``delivered``: the message went out after that failure, which is then an earlier
    attempt's, not where it stands; ``attempts`` (the message's, when known): the
    ``attempts - 1`` attempts that failed before it went out are counted."""
    when = datetime.fromisoformat(at) if isinstance(at, str) else at
    shown = f"{when.astimezone(CHINA):%Y-%m-%d %H:%M}" if when else "时间不详 time unknown"
    if delivered and attempts > 1:
        return (f"此前 {attempts - 1} 次发送失败（最近一次 {shown}），之后已发送 / {attempts - 1} "
                f"earlier attempt(s) failed (the last {shown}), then it was delivered: {error}")  # fmt: skip
    if delivered:
        return f"此前发送失败（{shown}），之后已发送 / an earlier attempt failed, then it was delivered: {error}"
    return f"上次发送失败（{shown}）/ last delivery error: {error}"


def waiting_reason(platform: str) -> str:
    """Return the reason a queued message of ``platform`` shows while no connector sends it."""
    return (f"未配置「{platform}」平台的发送通道：保持待发送，配置后发送 / no connector for "
            f"platform {platform!r}: stays queued, sent once one is configured")  # fmt: skip


def _mark_waiting(session: Session, sendable: Sequence[str]) -> int:
    """Give the queued messages of the platforms no connector sends their waiting reason;
    return how many such messages are queued (they are never in a delivery batch).

    The reason replaces ``error`` only: a message that failed before keeps its last
    delivery error and its time (``last_error``, ``last_error_at``) for staff to read."""
    waiting = dict(
        session.execute(
            select(OutboxMessage.platform, func.count())
            .where(OutboxMessage.state == "queued", OutboxMessage.platform.not_in(sendable))
            .group_by(OutboxMessage.platform)
        ).all()
    )
    for platform in waiting:
        reason = waiting_reason(platform)
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.state == "queued",
                OutboxMessage.platform == platform,
                or_(OutboxMessage.error.is_(None), OutboxMessage.error != reason),
            )
            .values(error=reason)
            .execution_options(synchronize_session=False)
        )
    return sum(waiting.values())


def queued_count(session: Session) -> int:
    """Return how many messages are queued (with no connector configured, all of them wait)."""
    return (
        session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "queued")
        )
        or 0
    )


def deliver_pending(
    session: Session, connectors: Sequence[Connector], *, limit: int = 500, max_attempts: int = 5
) -> DeliveryReport:
    """Deliver queued messages through the connector of their platform (or a ``*`` one).

    Only messages a connector can send fill the batch of ``limit``: without a ``*``
    connector, those of other platforms stay queued with their reason
    (:func:`waiting_reason`) and are counted in ``waiting``, so they never hold up the
    sendable ones behind them.
    """
    by_platform = {c.platform: c for c in connectors}
    report = DeliveryReport()
    query = select(OutboxMessage).where(
        OutboxMessage.state == "queued", OutboxMessage.attempts < max_attempts
    )
    if "*" not in by_platform:
        sendable = sorted(by_platform)
        report.waiting = _mark_waiting(session, sendable)
        query = query.where(OutboxMessage.platform.in_(sendable))
    pending = session.scalars(
        query.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
    )
    for message in pending:
        connector = by_platform.get(message.platform) or by_platform["*"]
        message.attempts += 1
        try:
            message.external_id = connector.send(message)
        except Exception as exc:  # a connector failure must not lose the message
            message.error = delivery_error(exc, message.attempts, max_attempts)
            # Kept while the message later waits for a connector (_mark_waiting).
            message.last_error, message.last_error_at = message.error, utcnow()
            if message.attempts >= max_attempts:
                message.state = "failed"
            report.failed += 1
            continue
        # Sent: no reason is current any more (a waiting reason, an earlier failure). The
        # last failure stays in last_error, with its time, as an earlier attempt's.
        message.error = None
        message.state = "delivered"
        message.delivered_at = utcnow()
        report.delivered += 1
    session.flush()
    return report
