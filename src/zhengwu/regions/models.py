"""The ``regions`` table: administrative divisions (province → city → county)."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from zhengwu.db.base import Base


class Region(Base):
    """One administrative division (区划), keyed by its 6-digit adcode."""

    __tablename__ = "regions"

    adcode: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    short_name: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16), index=True)  # province | city | county
    parent_adcode: Mapped[str | None] = mapped_column(
        String(6), ForeignKey("regions.adcode"), index=True
    )
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
