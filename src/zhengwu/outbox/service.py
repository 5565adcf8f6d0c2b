"""Queue outbound messages and deliver them through connectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

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
) -> OutboxMessage:
    """Queue one message (in the caller's transaction, with the action that caused it)."""
    if kind not in KINDS:
        raise InvalidInputError(f"未知的消息类型 {kind!r}", f"unknown outbox kind {kind!r}")
    if not body.strip():
        raise InvalidInputError("消息内容为空", "empty message body")
    message = OutboxMessage(
        kind=kind, platform=platform, body=body, target_post_id=target_post_id,
        account_uid=account_uid, entity_type=entity_type, entity_id=entity_id,
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


@dataclass(slots=True)
class DeliveryReport:
    """What one delivery pass did."""

    delivered: int = 0
    failed: int = 0


def deliver_pending(
    session: Session, connectors: Sequence[Connector], *, limit: int = 500, max_attempts: int = 5
) -> DeliveryReport:
    """Deliver queued messages through the connector of their platform (or a ``*`` one)."""
    by_platform = {c.platform: c for c in connectors}
    report = DeliveryReport()
    pending = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == "queued", OutboxMessage.attempts < max_attempts)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    for message in pending:
        connector = by_platform.get(message.platform) or by_platform.get("*")
        if connector is None:
            continue
        message.attempts += 1
        try:
            message.external_id = connector.send(message)
        except Exception as exc:  # a connector failure must not lose the message
            message.error = str(exc)[:1000]
            if message.attempts >= max_attempts:
                message.state = "failed"
            report.failed += 1
            continue
        message.state = "delivered"
        message.delivered_at = utcnow()
        report.delivered += 1
    session.flush()
    return report
