"""Counts of requests and help requests per division, for the grid maps of the console."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from zhengwu import regions
from zhengwu.web.charts import CountyCell


def _bucket(code: str | None, units: set[str]) -> str | None:
    """Return the unit (child of the area, or county without an area) ``code`` falls in."""
    if not code or regions.get(code) is None:
        return None
    chain = regions.ancestors(code)
    if units:
        return next((c for c in chain if c in units), None)
    division = regions.get(code)
    return code if division is not None and division.level == "county" else None


def grid_cells(
    area: str | None, request_codes: Iterable[str | None], help_codes: Iterable[str | None]
) -> list[CountyCell]:
    """Return one cell per division under ``area`` (its counties for a city) with counts.

    Without an area the cells are the counties that have anything. Codes outside the area
    are not counted: a matrix's map shows its own territory.
    """
    units = {d.adcode for d in regions.children(area)} if area else set()
    requests = Counter(b for c in request_codes if (b := _bucket(c, units)))
    helps = Counter(b for c in help_codes if (b := _bucket(c, units)))
    codes = sorted(units or (set(requests) | set(helps)))
    cells = []
    for code in codes:
        division = regions.get(code)
        if division is None:  # pragma: no cover - codes come from the division table
            continue
        cells.append(
            CountyCell(
                adcode=code, name=division.short_name or division.name, lon=division.lon,
                lat=division.lat, requests=requests[code], help_requests=helps[code],
            )
        )  # fmt: skip
    return cells
