"""Tables of the service desk: requests, their sources (provenance), co-handlers and ratings.

The Pydantic schemas live in :mod:`zhengwu.servicedesk.schemas` (this file would
otherwise pass a few hundred lines).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base, utcnow
from zhengwu.servicedesk.category import models as category_models
from zhengwu.servicedesk.routing import models as routing_models

# The sub-domains' tables belong to this module's metadata too (routing_rules is a foreign key).
__all__ = [
    "MaskingState", "RequestHelper", "RequestRating", "RequestSource", "ServiceRequest",
    "category_models",
    "routing_models",
]  # fmt: skip

# The channels a request comes in by: social posts, the web form, a file, a program (api,
# open311), the hotline (12345), and what a 12345 centre registers by hand: letters (信件),
# walk-in visits (来访) and text messages (短信). A plain string column (no enum, no check
# constraint): a new channel needs no migration.
SOURCES = (
    "weibo", "wechat", "douyin", "form", "csv", "api", "open311", "12345", "letter", "visit",
    "sms",
)  # fmt: skip
SOCIAL_SOURCES = ("weibo", "wechat", "douyin")
SOURCE_LABELS = {"weibo": "微博", "wechat": "微信", "douyin": "抖音", "form": "网页表单",
                 "csv": "批量导入", "api": "接口", "open311": "Open311", "12345": "12345 热线",
                 "letter": "信件", "visit": "来访", "sms": "短信"}  # fmt: skip


class ServiceRequest(Base):
    """One citizen's request (诉求 / 工单): one real problem, however many posts carried it."""

    __tablename__ = "service_requests"
    __table_args__ = (
        Index("ix_service_requests_citizen_fp", "citizen_key", "fingerprint"),
        # The console queue's orders (newest first, by state / category / organisation):
        # migration 0011.
        Index("ix_service_requests_received_id", "received_at", "id"),
        Index("ix_service_requests_state_received", "state", "received_at", "id"),
        Index("ix_service_requests_category_received", "category_code", "received_at", "id"),
        Index("ix_service_requests_org_received", "organization_id", "received_at", "id"),
        Index("ix_service_requests_matrix_received", "matrix_id", "received_at", "id"),
        Index("ix_service_requests_state_due", "state", "resolve_due", "received_at", "id"),
        # Lookup by phone also matches the phone a social post wrote (migration 0029).
        Index("ix_service_requests_citizen_phone", "citizen_phone"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    citizen_token_hash: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True, default="received")
    # Optimistic locking: every UPDATE says WHERE version = <what this session read>.
    version: Mapped[int] = mapped_column(Integer, default=1)

    source: Mapped[str] = mapped_column(String(16))  # the first channel it came in through
    source_ref: Mapped[str] = mapped_column(String(160))
    platform: Mapped[str | None] = mapped_column(String(16))  # where the public reply goes
    source_post_id: Mapped[str | None] = mapped_column(String(64))
    account_uid: Mapped[str | None] = mapped_column(String(64))  # the matrix account addressed
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)

    text: Mapped[str] = mapped_column(Text)  # original, for the handling body only
    text_masked: Mapped[str] = mapped_column(Text)  # what the public and others see
    citizen_name: Mapped[str | None] = mapped_column(String(64))
    citizen_phone: Mapped[str | None] = mapped_column(String(32))
    citizen_email: Mapped[str | None] = mapped_column(String(128))
    citizen_key: Mapped[str | None] = mapped_column(String(128))  # who, for merging copies
    fingerprint: Mapped[str] = mapped_column(String(40))  # hash of the normalised text

    category_code: Mapped[str | None] = mapped_column(String(32), index=True)
    classified_by: Mapped[str | None] = mapped_column(String(16))  # citizen|rules|model|staff
    classification_confidence: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(256))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    adcode: Mapped[str | None] = mapped_column(String(6), index=True)
    located_by: Mapped[str | None] = mapped_column(String(16))  # form|coordinates|text|account
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    media_url: Mapped[str | None] = mapped_column(String(512))

    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    matrix_id: Mapped[int | None] = mapped_column(ForeignKey("matrices.id"), index=True)
    routing_rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rules.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id"))

    received_at: Mapped[datetime] = mapped_column(index=True)
    response_due: Mapped[datetime | None]
    resolve_due: Mapped[datetime | None] = mapped_column(index=True)
    first_response_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    followed_up_at: Mapped[datetime | None]
    # 回访 1–5 of the current handling; cleared on reopening (every rating: RequestRating).
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    feedback: Mapped[str | None] = mapped_column(Text)
    reply_text: Mapped[str | None] = mapped_column(Text)  # the latest public reply
    extension_days: Mapped[int | None] = mapped_column(Integer)  # pending 延期 request
    extension_reason: Mapped[str | None] = mapped_column(Text)
    supervised_at: Mapped[datetime | None]  # last 督办
    supervision_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    # The demo's clock (the end of its simulated period), on the requests ``zhengwu demo``
    # made only: :func:`zhengwu.servicedesk.demo.clock`. Real requests never have one.
    demo_period_end: Mapped[datetime | None] = mapped_column(index=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy API


class RequestSource(Base):
    """One post, form entry or row that carried a request (provenance; every source kept)."""

    __tablename__ = "request_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(160), unique=True)  # idempotency key
    kind: Mapped[str] = mapped_column(String(16))  # original | repost | copy
    citizen_key: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestHelper(Base):
    """A helper organisation of a co-handled request (协办); the lead is on the request."""

    __tablename__ = "request_helpers"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestRating(Base):
    """One 回访 rating a citizen gave a request (1–5), kept for good (migration 0020).

    A reopened request (重启) starts a new handling with no rating on the request row, but
    its earlier ratings stay here: 满意率 counts every rating (:mod:`.rates`).
    """

    __tablename__ = "request_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    satisfaction: Mapped[int] = mapped_column(Integer)
    rated_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MaskingState(Base):
    """Which published numbers (公开电话) the stored masked texts are brought in line with.

    One row (id 1), kept by the worker job ``published-numbers``
    (:mod:`zhengwu.servicedesk.remask`): ``numbers`` is the directory last taken up,
    ``pending`` the numbers whose requests are still being re-masked, ``cursor`` the last
    request id done in that pass. ``rules_version`` is the masking rules'
    version (:data:`zhengwu.privacy.MASKING_RULES_VERSION`) every stored masked text was
    last masked with (0: unknown, before versions were recorded); while it differs, a pass
    over every stored text is under way: ``rules_kind`` is what it is at ("outbox": the
    replies not yet delivered, "requests", then "library"), ``rules_cursor`` the last id
    done there (0036).
    """

    __tablename__ = "masking_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    pending: Mapped[list[str]] = mapped_column(JSON, default=list)
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    rules_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rules_kind: Mapped[str | None] = mapped_column(String(16))
    rules_cursor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
