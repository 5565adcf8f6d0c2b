"""The table of rate-limit counters: one row per scope, key and window."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base


class RateLimitWindow(Base):
    """How many events one client (``key``) had in one window of one limit (``scope``).

    ``window_no`` is the Unix time divided by the window's length; ``expires_at`` (Unix
    seconds) is when the row no longer counts, even as the previous window, and is removed.
    """

    __tablename__ = "rate_limit_windows"
    __table_args__ = (Index("ix_rate_limit_windows_expires_at", "expires_at"),)

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_no: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)
