"""Counts of requests and help requests per division, for the grid maps of the console."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts.models import Matrix
from zhengwu.auth.principal import Principal
from zhengwu.regions.codes import MUNICIPALITIES
from zhengwu.rescue.models import HelpRequest, Incident
from zhengwu.servicedesk import access as desk_access
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.web.charts import CountyCell

MAX_TILES = 300  # cells of a map without an area before it groups by city, then province
REQUEST_MAP_ROLES = ("matrix_office", "handler", "operator")  # who reads requests at all
HELP_MAP_ROLES = ("dispatcher", "verifier", "team", "matrix_office")
MAP_PATH = "/console/map"
_LEVEL_LABELS = {"province": "各省份", "city": "各市", "county": "各区县"}


def city_of(county: str) -> str:
    """Return the city a county lies in; a municipality's district its municipality, and a
    county under no city (省直辖县级, such as 仙桃市) itself."""
    chain = regions.ancestors(county)
    for code in chain:
        division = regions.get(code)
        if division is not None and division.level == "city":
            return code
    return chain[-1] if chain and chain[-1] in MUNICIPALITIES else county


def province_of(code: str) -> str:
    """Return the province ``code`` lies in (``code`` itself when unknown)."""
    chain = regions.ancestors(code)
    return chain[-1] if chain else code


def _regroup(counts: Counter[str], unit: Callable[[str], str]) -> Counter[str]:
    grouped: Counter[str] = Counter()
    for code, n in counts.items():
        grouped[unit(code)] += n
    return grouped


def _bucket(code: str | None, units: set[str]) -> str | None:
    """Return the unit (child of the area, or county without an area) ``code`` falls in."""
    if not code or regions.get(code) is None:
        return None
    chain = regions.ancestors(code)
    if units:
        return next((c for c in chain if c in units), None)
    division = regions.get(code)
    return code if division is not None and division.level == "county" else None


def counted_cells(
    area: str | None,
    request_counts: Mapping[str | None, int],
    help_counts: Mapping[str | None, int],
) -> list[CountyCell]:
    """Return one cell per division under ``area`` (its counties for a city) with its
    requests and help requests, from counts per code (a ``GROUP BY adcode``): each distinct
    code is placed once, whatever the number of requests behind it.

    Codes outside the area are not counted: a matrix's map shows its own territory; a
    county's map is that county. Without an area the cells are the counties that have
    anything, and when they are more than ``MAX_TILES`` (a national map has about 2,900)
    their cities, or their provinces when even those are too many: a map a person can
    read, each cell of which the map page opens as an area of its own.
    """
    units = {d.adcode for d in regions.children(area)} if area else set()
    if area and not units and (division := regions.get(area)) is not None:
        units = {division.adcode}  # a county's map is that county
    requests: Counter[str] = Counter()
    helps: Counter[str] = Counter()
    for counts, into in ((request_counts, requests), (help_counts, helps)):
        for code, n in counts.items():
            if n and (unit := _bucket(code, units)):
                into[unit] += n
    if not units:  # no area: counties, or cities, or provinces when they are too many
        for coarser in (city_of, province_of):
            if len(set(requests) | set(helps)) <= MAX_TILES:
                break
            requests, helps = _regroup(requests, coarser), _regroup(helps, coarser)
    codes = sorted(units or (set(requests) | set(helps)))
    cells = []
    for code in codes:
        division = regions.get(code)
        if division is None:  # pragma: no cover - codes come from the division table
            continue
        lon, lat = centroid(division)
        cells.append(
            CountyCell(
                adcode=code, name=division.short_name or division.name, lon=lon, lat=lat,
                requests=requests[code], help_requests=helps[code],
            )
        )  # fmt: skip
    return cells


def centroid(division: regions.Division) -> tuple[float | None, float | None]:
    """Return a division's centroid, or its parent's when the table has none.

    The division table lacks centroids for about 350 divisions, mostly renamed ones
    (许昌县 → 建安区, 偃师市 → 偃师区). Such a district usually lies around its city's
    seat (建安区 surrounds 魏都区), so the city's centroid places it near where it is
    instead of off the map.
    """
    if division.lon is not None and division.lat is not None:
        return division.lon, division.lat
    parent = regions.get(division.parent) if division.parent else None
    if parent is not None and parent.lon is not None and parent.lat is not None:
        return parent.lon, parent.lat
    return None, None


def request_adcodes(
    session: Session, principal: Principal, start: datetime, end: datetime
) -> Counter[str | None]:
    """Return how many of the requests ``principal`` reads were received in [start, end),
    by ``adcode`` (None: no place): one GROUP BY, no request read into the server."""
    sr = ServiceRequest
    period = (sr.received_at >= start, sr.received_at < end)
    query = select(sr.adcode, func.count()).group_by(sr.adcode)
    if principal.role == "admin":  # everything: no union
        query = query.where(*period)
    else:
        rows = desk_access.readable_ids(session, principal, *period, columns=[sr.adcode])
        found = rows.subquery()
        query = select(found.c.adcode, func.count()).group_by(found.c.adcode)
    return Counter({code: int(n) for code, n in session.execute(query)})


def help_adcodes(session: Session, *, incident_id: int | None = None) -> Counter[str | None]:
    """Return the help requests by ``adcode``: of one incident, or of every active one."""
    query = select(HelpRequest.adcode, func.count()).group_by(HelpRequest.adcode)
    if incident_id is not None:
        query = query.where(HelpRequest.incident_id == incident_id)
    else:
        active = select(Incident.id).where(Incident.status == "active")
        query = query.where(HelpRequest.incident_id.in_(active))
    return Counter({code: int(n) for code, n in session.execute(query)})


def cells_label(cells: Sequence[CountyCell]) -> str:
    """Return what a map's cells are (各区县 / 各市 / 各省份), by the coarsest of them.

    A municipality (北京 上海 天津 重庆) is a province by its level but stands for a city
    on a map of cities (:func:`city_of`): it makes a map 各省份 only among provinces.
    """
    levels = {
        "city" if c.adcode in MUNICIPALITIES else d.level
        for c in cells
        if (d := regions.get(c.adcode)) is not None
    }
    for level in ("province", "city"):
        if level in levels:
            return _LEVEL_LABELS[level]
    return _LEVEL_LABELS["county"]


def own_area(session: Session, principal: Principal) -> str | None:
    """Return the division a matrix office's request map covers (its matrix's), else None
    (the whole map: what the viewer reads decides what is counted)."""
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        matrix = session.get(Matrix, principal.matrix_id)
        return matrix.adcode if matrix else None
    return None


def within(own: str | None, code: str) -> bool:
    """Tell whether division ``code`` lies within ``own`` (anywhere when ``own`` is None)."""
    return own is None or own in regions.ancestors(code)


def map_links(
    cells: Sequence[CountyCell], params: Mapping[str, str | int], *, own: str | None = None
) -> dict[str, str]:
    """Return adcode → the map page (``/console/map``) opened on that division, for each
    cell inside ``own`` (the viewer's own area, see :func:`own_area`; the page refuses any
    other), with ``params`` (the tab, its period or incident) kept."""
    return {
        c.adcode: f"{MAP_PATH}?{urlencode({**params, 'area': c.adcode})}"
        for c in cells
        if within(own, c.adcode)
    }
