"""Operational-DB tables of the index: manual compliance flags (国办秘函〔2019〕19号 vetoes)
and the publication of runs (a published period's rankings are public)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base, utcnow

# The vetoes that no data can detect: a person records them, with who, when and why.
FLAG_KINDS = {
    "security_incident": "安全或泄密事件",
    "bought_followers": "购买粉丝",
    "coerced_likes": "强制点赞 / 刷量",
    "no_interaction": "互动功能缺失或回应差",
}


class ComplianceFlag(Base):
    """A manual veto on an account, from ``flagged_at`` until it is lifted."""

    __tablename__ = "index_compliance_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(Text)
    flagged_by: Mapped[str] = mapped_column(String(64))
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_by: Mapped[str | None] = mapped_column(String(64))
    lifted_at: Mapped[datetime | None]
    lift_reason: Mapped[str | None] = mapped_column(Text)


class ComplianceFlagRead(BaseModel):
    """A compliance flag as the API and ``--json`` output return it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    kind: str
    reason: str
    flagged_by: str
    flagged_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None


class PublishedRun(Base):
    """A stored index run made public (发布) by an admin or a matrix office: who and when.

    Results live in the analytics store; this row is the decision to show them, so it is
    kept with the other decisions people take (operational DB) and survives a store rebuild.
    """

    __tablename__ = "index_publications"

    run_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    system: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    period_end: Mapped[date] = mapped_column(index=True)
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
