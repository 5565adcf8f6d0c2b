"""Loading the divisions table into the operational DB (``zhengwu db upgrade`` calls it)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhengwu.regions.models import Region


def sync_regions(session: Session) -> int:
    """Insert the divisions the DB does not have yet; return how many were added."""
    from zhengwu.regions import divisions

    have = set(session.scalars(select(Region.adcode)))
    table = divisions()
    rows = [
        {"adcode": d.adcode, "name": d.name, "short_name": d.short_name, "level": d.level,
         "parent_adcode": d.parent, "lon": d.lon, "lat": d.lat}
        for d in table.values() if d.adcode not in have
    ]  # fmt: skip
    # Parents first, so the self-referencing foreign key holds on every backend.
    order = {"province": 0, "city": 1, "county": 2}
    rows.sort(key=lambda r: (order.get(str(r["level"]), 3), str(r["adcode"])))
    for i in range(0, len(rows), 2000):
        session.execute(insert(Region), rows[i : i + 2000])
    return len(rows)
