"""The ``routing_rules`` table and its Pydantic schemas.

A rule says: requests of this category (and its sub-categories) in this division (and
below) go to this organisation. Rules are never edited in place: a change closes the old
row (``valid_to``) and inserts a new one under the next table version, so every request
keeps pointing at the exact rule that routed it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base, utcnow
from zhengwu.servicedesk.routing.division import rule_division
from zhengwu.servicedesk.routing.fallback import is_fallback


class RoutingRule(Base):
    """(category × division) → responsible organisation, valid over a time span."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_version: Mapped[int] = mapped_column(Integer, index=True)
    category_code: Mapped[str | None] = mapped_column(String(32), index=True)  # None = any
    adcode: Mapped[str | None] = mapped_column(String(6), index=True)  # None = anywhere
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    valid_to: Mapped[datetime | None] = mapped_column(index=True)
    retired_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class RoutingTableVersion(Base):
    """One change of the routing table: who, when, why (the table's changelog)."""

    __tablename__ = "routing_table_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_name: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")


class RoutingRuleCreate(BaseModel):
    """A new rule.

    ``adcode``: the division's code, or its name as the 派单表 import reads one (岳麓区,
    长沙市岳麓区; :mod:`.division`), stored as the code; a name of several divisions is
    refused with the candidates. None: anywhere.
    """

    category_code: str | None = Field(None, max_length=32)
    adcode: str | None = Field(None, max_length=64, pattern=r"^\d{6}$")
    organization_id: int
    note: str = ""

    @field_validator("adcode", mode="before")
    @classmethod
    def _division(cls, value: object) -> object:
        """Read a division name as its code (the pattern then checks a code's form; an
        empty text is refused by it, not taken as anywhere)."""
        return rule_division(value) if isinstance(value, str) and value.strip() else value


class RoutingRuleRead(BaseModel):
    """A rule as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    table_version: int
    category_code: str | None
    adcode: str | None
    organization_id: int
    note: str
    valid_from: datetime
    valid_to: datetime | None
    retired_version: int | None
    created_by: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fallback(self) -> bool:
        """A fallback (兜底) rule: no division or no category (:mod:`.fallback`)."""
        return is_fallback(self)


class RoutingVersionRead(BaseModel):
    """One version of the routing table."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    created_at: datetime
    actor_name: str
    note: str
