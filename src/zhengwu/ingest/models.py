"""Import runs and the quarantine of records that could not be used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base, utcnow


class ImportRun(Base):
    """One ``zhengwu import`` of one or more files, with its counts."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    format: Mapped[str] = mapped_column(String(32), index=True)
    paths: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    read: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    # The files refused whole while the others were imported (a GBK CSV, a member of an
    # archive not in the format): each {"file", "error", "status", "message_zh",
    # "message_en"}, as the summary's "refused" says; None: none (or a run before 0040).
    refused: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class QuarantineEntry(Base):
    """A bad input record kept with its location and the reason it was refused."""

    __tablename__ = "quarantine"
    # The console's quarantine page reads a run's or a format's records newest first, a
    # page at a time, and counts them, from these indexes (migration 0041).
    __table_args__ = (
        Index("ix_quarantine_run_id_id", "run_id", "id"),
        Index("ix_quarantine_format_id", "format", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
