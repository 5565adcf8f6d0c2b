"""The ``request_categories`` table and its Pydantic schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base, utcnow
from zhengwu.validation_text import refuse_null

# Open311 attribute datatypes (GeoReport v2 service definitions).
DataType = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


class Category(Base):
    """One node of the category tree: a class of problem with its deadlines and attributes."""

    __tablename__ = "request_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_code: Mapped[str | None] = mapped_column(String(32), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Open311 attribute definitions: {code, datatype, required, description, order, values[]}.
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    response_days: Mapped[int] = mapped_column(Integer, default=1)  # 受理/首次回应 (working days)
    resolve_days: Mapped[int] = mapped_column(Integer, default=15)  # 办结 (working days)
    group: Mapped[str] = mapped_column(String(64), default="")  # Open311 group: top-level name
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)  # 系统 that usually handle it
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every edit
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AttributeValue(BaseModel):
    """One choice of a list attribute."""

    key: str
    name: str


class CategoryAttribute(BaseModel):
    """An extra question a category asks (Open311 attribute)."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    datatype: DataType = "string"
    required: bool = False
    description: str = ""
    datatype_description: str = ""
    order: int = 0
    values: list[AttributeValue] = Field(default_factory=list)


class CategoryBase(BaseModel):
    """Fields of a category that an editor sets."""

    name: str = Field(min_length=1, max_length=64)
    parent_code: str | None = None
    description: str = ""
    keywords: list[str] = Field(default_factory=list)
    attributes: list[CategoryAttribute] = Field(default_factory=list)
    response_days: int = Field(1, ge=1, le=60)
    resolve_days: int = Field(15, ge=1, le=365)
    sectors: list[str] = Field(default_factory=list)
    sort_order: int = 0
    active: bool = True


class CategoryCreate(CategoryBase):
    """A new category."""

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")


class CategoryUpdate(BaseModel):
    """A partial edit of a category (only the fields given change).

    ``parent_code: null`` makes it a top-level category and ``attributes: null`` clears its
    attributes; every other field must have a value (null is a 422 naming the field).
    """

    name: str | None = Field(None, min_length=1, max_length=64)
    parent_code: str | None = None
    description: str | None = None
    keywords: list[str] | None = None
    attributes: list[CategoryAttribute] | None = None
    response_days: int | None = Field(None, ge=1, le=60)
    resolve_days: int | None = Field(None, ge=1, le=365)
    sectors: list[str] | None = None
    sort_order: int | None = None
    active: bool | None = None

    _required = field_validator(
        "name",
        "description",
        "keywords",
        "response_days",
        "resolve_days",
        "sectors",
        "sort_order",
        "active",
        mode="before",
    )(refuse_null)


class CategoryRead(CategoryBase):
    """A category as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    group: str
    version: int
    updated_at: datetime
