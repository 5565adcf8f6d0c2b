"""Tables of the content library and their Pydantic schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhengwu.db.base import Base, utcnow

KINDS = ("article", "image", "video", "audio", "document")
KIND_LABELS = {"article": "文章", "image": "图片", "video": "视频", "audio": "音频",
               "document": "文档"}  # fmt: skip
# The fixed label set, strongest first: 权威 > 独家 > 首发 > 原创 (and no label last).
LABELS = ("权威", "独家", "首发", "原创")
LABEL_RANK = {"权威": 4, "独家": 3, "首发": 2, "原创": 1}
VISIBILITIES = ("organization", "matrix", "shared")
VISIBILITY_LABELS = {"organization": "本单位", "matrix": "本矩阵",
                     "shared": "共享给下级矩阵"}  # fmt: skip
TARGET_STATES = ("planned", "queued", "delivered", "failed")
TARGET_STATE_LABELS = {"planned": "已计划", "queued": "已排队", "delivered": "已发布",
                       "failed": "失败"}  # fmt: skip


def label_rank(labels: list[str] | tuple[str, ...] | set[str]) -> int:
    """Return the rank of an item's strongest label (0 without labels)."""
    return max((LABEL_RANK.get(label, 0) for label in labels), default=0)


class ContentItem(Base):
    """One item of the library (稿件 / 素材): text, files, tags, labels, an owner."""

    __tablename__ = "library_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    matrix_id: Mapped[int | None] = mapped_column(ForeignKey("matrices.id"), index=True)
    visibility: Mapped[str] = mapped_column(String(16), default="matrix")
    # The strongest label's rank, kept in step with the labels so listings sort in SQL.
    label_rank: Mapped[int] = mapped_column(Integer, default=0, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str] = mapped_column(String(128))
    updated_by_id: Mapped[int | None] = mapped_column(Integer)
    updated_by_name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    labels: Mapped[list[ContentLabel]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ContentLabel.added_at"
    )
    tags: Mapped[list[ContentTag]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ContentTag.tag"
    )
    files: Mapped[list[ContentFile]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ContentFile.id"
    )


class ContentLabel(Base):
    """A label (原创 首发 独家 权威) on an item, with who set it and when."""

    __tablename__ = "library_labels"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("library_items.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)
    added_by_id: Mapped[int | None] = mapped_column(Integer)
    added_by_name: Mapped[str] = mapped_column(String(128))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentTag(Base):
    """A free tag on an item."""

    __tablename__ = "library_tags"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("library_items.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)


class ContentFile(Base):
    """A file attached to an item; the bytes live once per SHA-256 in the blob store."""

    __tablename__ = "library_files"
    __table_args__ = (UniqueConstraint("item_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("library_items.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_name: Mapped[str] = mapped_column(String(128))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class DistributionTarget(Base):
    """One planned publication of an item on one matrix account (分发)."""

    __tablename__ = "library_distributions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("library_items.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    matrix_id: Mapped[int | None] = mapped_column(ForeignKey("matrices.id"))
    # planned (waits for its time) → queued (in the outbox); failed when it cannot be sent.
    state: Mapped[str] = mapped_column(String(16), default="planned", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)  # what to publish, when not the item's text
    scheduled_at: Mapped[datetime | None] = mapped_column(index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    planned_by_id: Mapped[int | None] = mapped_column(Integer)
    planned_by_name: Mapped[str] = mapped_column(String(128))
    planned_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- API schemas -------------------------------------------------------------------------


class LabelRead(BaseModel):
    """A label with who set it and when."""

    model_config = ConfigDict(from_attributes=True)

    label: str
    added_by_name: str
    added_at: datetime


class FileRead(BaseModel):
    """A file of an item (download it from ``/api/library/items/{id}/files/{file_id}``)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class ItemRead(BaseModel):
    """A library item as the API returns it."""

    id: int
    title: str
    body: str
    kind: str
    organization_id: int | None
    matrix_id: int | None
    visibility: str
    labels: list[LabelRead]
    tags: list[str]
    files: list[FileRead]
    version: int
    created_by_name: str
    updated_by_name: str
    created_at: datetime
    updated_at: datetime
    may_manage: bool = False


class ItemPage(BaseModel):
    """One page of a listing or a search."""

    total: int
    items: list[ItemRead]


class ItemUpdate(BaseModel):
    """A partial edit: only the fields given change (labels and tags replace the old set)."""

    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = None
    kind: str | None = None
    visibility: str | None = None
    tags: list[str] | None = None
    labels: list[str] | None = None
    expected_version: int | None = Field(None, description="refuse (409) if the item moved on")


class DistributionPlan(BaseModel):
    """Accounts to publish an item on, optionally at a later time."""

    account_ids: list[int] = Field(min_length=1)
    scheduled_at: datetime | None = None
    text: str | None = Field(None, description="text to publish; default: the title and body")
    again: bool = Field(
        False,
        description="publish again on accounts the item is already planned, queued or "
        "delivered on (otherwise they are skipped); audited",
    )


class TargetRead(BaseModel):
    """One target of a distribution with its status read back from the outbox."""

    id: int
    account_id: int
    account_name: str
    platform: str
    state: str
    reason: str | None
    scheduled_at: datetime | None
    outbox_id: int | None
    external_id: str | None
    planned_by_name: str
    planned_at: datetime
    delivered_at: datetime | None
    last_error: str | None = None  # the outbox's last delivery failure, kept while it waits
    last_error_at: datetime | None = None
    # The outbox's delivery attempts (0 before any): once delivered, ``attempts - 1`` failed.
    attempts: int = 0


class SkippedTarget(BaseModel):
    """An account a distribution left out: the item is already planned, queued or sent there."""

    account_id: int
    account_name: str
    platform: str
    state: str  # of the earlier target: planned, queued or delivered
    target_id: int


class DistributionReport(BaseModel):
    """The distribution report of an item: every target and the counts per state.

    ``skipped`` (only in the answer to a new plan) lists the chosen accounts left out
    because the item is already distributed to them.
    """

    item_id: int
    counts: dict[str, int]
    targets: list[TargetRead]
    skipped: list[SkippedTarget] = []
