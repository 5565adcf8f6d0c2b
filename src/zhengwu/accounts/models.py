"""Tables of organisations, accounts and matrices, and their Pydantic schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhengwu.db.base import Base, utcnow

LEVELS = ("中央", "省", "市", "县", "乡")
MATRIX_KINDS = ("regional", "vertical")
MEMBER_ROLES = ("lead", "member")


class Organization(Base):
    """A government body (机构 / 单位)."""

    __tablename__ = "organizations"
    __table_args__ = (
        # The directory of published numbers reads only the bodies that have some
        # (migration 0014): a handful among 180,000 organisations, on every public page.
        Index(
            "ix_organizations_with_public_phones", "id",
            postgresql_where=text("public_phones IS NOT NULL"),
            sqlite_where=text("public_phones IS NOT NULL"),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    level: Mapped[str] = mapped_column(String(8), index=True)  # 中央/省/市/县/乡
    sector: Mapped[str] = mapped_column(String(32), index=True)  # 系统: 公安, 消防 …
    adcode: Mapped[str | None] = mapped_column(String(6), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # 公开电话: published office numbers in normal form (0371-66661234), readable on public
    # pages (zhengwu.accounts.phones). NULL, never [], when there are none.
    public_phones: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    accounts: Mapped[list[Account]] = relationship(back_populates="organization", lazy="raise")


class Account(Base):
    """An account of an organisation (or anyone) on one platform."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("platform", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), index=True)
    uid: Mapped[str] = mapped_column(String(64))
    # On PostgreSQL with pg_trgm, name and uid also have trigram (GIN) indexes for the
    # substring search of a matrix's members (migration 0031; not declared here: they exist
    # only where the extension could be had), and on PostgreSQL a GIN index of their 1- and
    # 2-character grams, ix_accounts_short_grams on account_short_grams(name, uid), a
    # function of migration 0034 (PostgreSQL only, so not declared here either).
    name: Mapped[str] = mapped_column(String(128), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    verified_type: Mapped[int | None] = mapped_column(Integer)
    verified_reason: Mapped[str | None] = mapped_column(String(256))
    is_government: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    friends: Mapped[int | None] = mapped_column(BigInteger)
    statuses: Mapped[int | None] = mapped_column(BigInteger)
    adcode: Mapped[str | None] = mapped_column(String(6), index=True)
    location: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    platform_created_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | closed
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization | None] = relationship(
        back_populates="accounts", lazy="raise"
    )


class Matrix(Base):
    """A matrix (矩阵): a lead account and member accounts, regional or vertical."""

    __tablename__ = "matrices"
    # The sub-matrices of one matrix, a page by (name, id), straight from the index
    # (migration 0030; it replaced the index on parent_id alone).
    __table_args__ = (Index("ix_matrices_parent_id_name_id", "parent_id", "name", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # regional | vertical
    adcode: Mapped[str | None] = mapped_column(String(6), index=True)
    sector: Mapped[str | None] = mapped_column(String(32))
    lead_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("matrices.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatrixMember(Base):
    """Membership of an account in a matrix; an account may sit in several matrices."""

    __tablename__ = "matrix_members"
    # A matrix's members counted by role from the index alone, and probed per account
    # while a page walks the accounts by name (migration 0030).
    __table_args__ = (
        Index("ix_matrix_members_matrix_id_role_account_id", "matrix_id", "role", "account_id"),
    )

    matrix_id: Mapped[int] = mapped_column(
        ForeignKey("matrices.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="member")  # lead | member
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountRead(BaseModel):
    """An account as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    platform: str
    uid: str
    name: str
    organization_id: int | None
    verified_type: int | None
    is_government: bool
    followers: int | None
    adcode: str | None
    status: str


class OrganizationRead(BaseModel):
    """An organisation as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str | None
    name: str
    level: str
    sector: str
    adcode: str | None
    parent_id: int | None
    public_phones: list[str] = []

    @field_validator("public_phones", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class OrganizationUpdate(BaseModel):
    """Changes to an organisation: its published numbers (公开电话), the whole list."""

    public_phones: list[str]


class MatrixRead(BaseModel):
    """A matrix as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str | None
    name: str
    kind: str
    adcode: str | None
    sector: str | None
    lead_account_id: int | None
    parent_id: int | None
