"""Counts of requests and help requests per division, for the grid maps of the console."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts.models import Matrix
from zhengwu.auth.principal import Principal
from zhengwu.regions.codes import MUNICIPALITIES
from zhengwu.rescue import listing
from zhengwu.rescue.models import Incident
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


_COARSE = {"county": ("city", "province"), "city": ("province",), "province": ()}


@dataclass(frozen=True, slots=True)
class Unplaced:
    """Counts a map holds but cannot draw as a tile, listed beside it (never dropped).

    ``kind``: ``coarse`` — located only to ``adcode``, a division coarser than the map's
    tiles (a request saying only 郑州市 on a map of 郑州's districts); ``outside`` — outside
    the map's area (on the viewer's whole map only: a drilled-down area counts its own);
    ``unknown`` — a code the division table does not know; ``none`` — no place at all.
    """

    kind: str
    label: str
    requests: int = 0
    help_requests: int = 0
    adcode: str | None = None


@dataclass(frozen=True, slots=True)
class CountedMap:
    """A map's tiles and what it counts beside them; ``total`` is both, of one kind."""

    cells: list[CountyCell]
    unplaced: list[Unplaced]

    def total(self, kind: str) -> int:
        """Return the requests (``requests``) or help requests (``help``) the map holds."""
        if kind == "requests":
            return sum(c.requests for c in self.cells) + sum(u.requests for u in self.unplaced)
        return sum(c.help_requests for c in self.cells) + sum(
            u.help_requests for u in self.unplaced
        )


def _unit(chain: Sequence[str], units: set[str]) -> str | None:
    return next((c for c in chain if c in units), None)


def counted_map(
    area: str | None,
    request_counts: Mapping[str | None, int],
    help_counts: Mapping[str | None, int],
    *,
    whole: bool = False,
) -> CountedMap:
    """Return the tiles of ``area`` (one per division under it, its counties for a city)
    with their requests and help requests from counts per code (a ``GROUP BY adcode``),
    and what cannot be a tile, counted beside the map (:class:`Unplaced`).

    Each distinct code is placed once, whatever the number of requests behind it. Without
    an area the tiles are the divisions that have anything: counties, or when they are
    more than ``MAX_TILES`` (a national map has about 2,900) their cities, or their
    provinces when even those are too many — a map a person can read, each tile of which
    the map page opens as an area of its own.

    Nothing within the map is dropped: a code coarser than the tiles (located only to the
    area itself, or to a city on a map of counties) is counted beside the map under that
    division. ``whole``: this is the viewer's whole map (the request map of everything the
    viewer reads, an incident's help map), so what lies outside ``area``, or has no place
    or an unknown code, is counted beside it too, and the map's total is everything the
    lists count. A drilled-down area (``whole`` false) counts only what lies inside it:
    the sum of its tiles and of what is beside them is the count its parent's tile showed.
    """
    units = {d.adcode for d in regions.children(area)} if area else set()
    if area and not units and (division := regions.get(area)) is not None:
        units = {division.adcode}  # a county's map is that county
    area_division = regions.get(area) if area else None
    area_code = area_division.adcode if area_division else None
    tiles: list[Counter[str]] = [Counter(), Counter()]
    beside: dict[tuple[str, str | None], list[int]] = {}
    for i, counts in enumerate((request_counts, help_counts)):
        for code, n in counts.items():
            if not n:
                continue
            division = regions.get(code) if code else None
            key: tuple[str, str | None]
            if division is None:
                key = ("unknown", code) if code else ("none", None)
            elif not units:  # no area: any level for now, the tiles' level is chosen below
                tiles[i][division.adcode] += n
                continue
            elif unit := _unit(regions.ancestors(division.adcode), units):
                tiles[i][unit] += n
                continue
            elif area_code in regions.ancestors(division.adcode):
                key = ("coarse", division.adcode)  # the area itself, coarser than its tiles
            else:
                key = ("outside", None)
            if whole or key[0] == "coarse":
                beside.setdefault(key, [0, 0])[i] += n
    requests, helps = tiles
    level = "county"
    if not units:  # no area: counties, or cities, or provinces when they are too many
        for coarser, name in ((city_of, "city"), (province_of, "province")):
            if len(set(requests) | set(helps)) <= MAX_TILES:
                break
            requests, helps = _regroup(requests, coarser), _regroup(helps, coarser)
            level = name
        for code in set(requests) | set(helps):
            division = regions.get(code)  # a tile's code is the division table's own
            level_of_code = division.level if division is not None else "county"
            tier = "city" if code in MUNICIPALITIES else level_of_code
            if tier in _COARSE[level]:  # e.g. only 郑州市 on a map of counties
                pair = beside.setdefault(("coarse", code), [0, 0])
                pair[0] += requests.pop(code, 0)
                pair[1] += helps.pop(code, 0)
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
                approximate=division.lon is None or division.lat is None,
            )
        )  # fmt: skip
    return CountedMap(cells, [_unplaced(k, c, n) for (k, c), n in sorted(
        beside.items(), key=lambda item: (_ORDER.index(item[0][0]), item[0][1] or ""))])  # fmt: skip


_ORDER = ("coarse", "outside", "unknown", "none")


def _unplaced(kind: str, code: str | None, counts: list[int]) -> Unplaced:
    division = regions.get(code) if kind == "coarse" and code else None
    label = {
        "coarse": f"只定位到{division.name if division else code}，未细到下级",
        "outside": "本地图区域外",
        "unknown": f"无法识别的区划代码 {code}",
        "none": "未定位（没有地点）",
    }[kind]
    return Unplaced(kind, label, counts[0], counts[1], code if kind == "coarse" else None)


def counted_cells(
    area: str | None,
    request_counts: Mapping[str | None, int],
    help_counts: Mapping[str | None, int],
) -> list[CountyCell]:
    """Return the tiles of :func:`counted_map` (what is counted beside them left out)."""
    return counted_map(area, request_counts, help_counts).cells


def centroid(division: regions.Division) -> tuple[float | None, float | None]:
    """Return a division's centroid, or its nearest ancestor's when the table has none.

    A renamed or merged division takes its predecessors' centroid in the division table
    (孟津区 孟津县's, :attr:`regions.Division.centroid_from`): the same seat or the merged
    area, so its tile is not approximate. The table still lacks centroids for 232 divisions
    (225 districts and counties, 7 cities): 台湾's, 香港's and 澳门's, and new ones carved
    out of others (龙华区, 雄安新区) or whose predecessors have no centroid (清江浦区).
    Such a district usually lies around or beside its city's seat (清江浦区 holds 淮安's),
    so the city's centroid places it near where it is instead of off the map; when the city
    has none either (台北市), the province's. The tile is drawn as approximate
    (:attr:`CountyCell.approximate`). Only a division with no ancestor holding a centroid
    gets None: the grid puts it in a row below the map, still counted.
    """
    found: regions.Division | None = division
    while found is not None:
        if found.lon is not None and found.lat is not None:
            return found.lon, found.lat
        found = regions.get(found.parent) if found.parent else None
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


def help_adcodes(
    session: Session, *, incident_id: int | None = None, team_id: int | None = None
) -> Counter[str | None]:
    """Return the help requests by ``adcode``: of one incident, or of every active one;
    ``team_id``'s only when given. Counted as the queue counts them
    (:func:`zhengwu.rescue.listing.adcode_totals_of`: a request merged into another is its
    survivor, not counted twice), so a map and the lists say the same."""
    if incident_id is not None:
        ids = [incident_id]
    else:
        ids = list(session.scalars(select(Incident.id).where(Incident.status == "active")))
    return Counter(listing.adcode_totals_of(session, incident_ids=ids, team_id=team_id))


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
    codes: Iterable[str], params: Mapping[str, str | int], *, own: str | None = None
) -> dict[str, str]:
    """Return adcode → the map page (``/console/map``) opened on that division, for each
    of ``codes`` inside ``own`` (the viewer's own area, see :func:`own_area`; the page
    refuses any other), with ``params`` (the tab, its period or incident) kept."""
    return {
        code: f"{MAP_PATH}?{urlencode({**params, 'area': code})}"
        for code in codes
        if within(own, code)
    }
