"""The ``outbox`` table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base, utcnow

KINDS = ("first_response", "progress", "closing", "rescue_notice", "distribution", "other")
STATES = ("queued", "delivered", "failed")


class OutboxMessage(Base):
    """One message to publish on a platform, linked to the post it answers."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    target_post_id: Mapped[str | None] = mapped_column(String(64), index=True)  # reply under it
    account_uid: Mapped[str | None] = mapped_column(String(64))  # the account that speaks
    body: Mapped[str] = mapped_column(Text)
    entity_type: Mapped[str | None] = mapped_column(String(32), index=True)
    entity_id: Mapped[int | None] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The current reason (waiting for a connector, or the last failure), None once
    # delivered; the last delivery failure stays in last_error with its time while the
    # message waits (migration 0038), and after delivery as an earlier attempt's.
    error: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    external_id: Mapped[str | None] = mapped_column(String(64))  # id the platform gave it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
