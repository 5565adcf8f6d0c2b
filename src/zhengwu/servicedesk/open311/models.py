"""The ``open311_api_keys`` table: the keys Open311 clients post requests with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base, utcnow


class Open311ApiKey(Base):
    """One client application's key; the database keeps only its SHA-256 hash."""

    __tablename__ = "open311_api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)  # the application, e.g. 郑州市民通
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
