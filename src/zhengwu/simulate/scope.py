"""Which part of China a scale covers: provinces, city units and their counties.

A *city unit* is what gets a regional matrix (``郑州发布`` and its members): a
prefecture-level city with its counties, a municipality (北京 …) with its districts, or a
county-level city that answers to its province directly (济源, 仙桃). The division table
comes from :mod:`zhengwu.regions` (``divisions()`` and ``children()``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhengwu.errors import InvalidInputError
from zhengwu.regions import Division, children, divisions
from zhengwu.simulate.catalogue import GENERIC_COUNTY_SHORT

# 香港 澳门 台湾 have no mainland government accounts in this model.
EXCLUDED_PROVINCES = frozenset({"710000", "810000", "820000"})
DEFAULT_CITY = "410100"  # 郑州 (seed 0): the 2021 "7·20" rainstorm city
DEFAULT_PROVINCE = "410000"  # 河南


@dataclass(frozen=True, slots=True)
class Place:
    """A division as the simulator names it."""

    adcode: str
    name: str  # full name: 郑州市, 金水区
    short: str  # label used in account names: 郑州, 金水


@dataclass(frozen=True, slots=True)
class CityUnit:
    """A city (or municipality, or province-administered county) with its counties."""

    place: Place
    province: Place
    kind: str  # "city" | "municipality" | "direct_county"
    counties: tuple[Place, ...]
    lon: float | None
    lat: float | None


@dataclass(frozen=True, slots=True)
class Scope:
    """The provinces and city units one run covers."""

    scale: str
    provinces: tuple[Place, ...]  # provinces whose provincial bodies are included
    units: tuple[CityUnit, ...]
    central: bool


def _place(division: Division) -> Place:
    return Place(division.adcode, division.name, division.short_name or division.name)


def _county_place(division: Division, city: Place | None) -> Place:
    place = _place(division)
    # "城区", "郊区", "市中" mean nothing without their city: 阳泉城区, 济南市中.
    if place.short in GENERIC_COUNTY_SHORT or len(place.short) < 2:
        prefix = city.short if city else ""
        return Place(place.adcode, place.name, prefix + place.short)
    return place


def all_units() -> list[CityUnit]:
    """Return every mainland city unit, sorted by adcode."""
    table = divisions()
    units: list[CityUnit] = []
    for code in sorted(table):
        division = table[code]
        if division.level != "province" or code in EXCLUDED_PROVINCES:
            continue
        province = _place(division)
        kids = children(code)
        cities = [k for k in kids if k.level == "city"]
        direct = [k for k in kids if k.level == "county"]
        if not cities:
            # A municipality: its districts hang from the province.
            counties = tuple(_county_place(k, province) for k in direct)
            units.append(_unit(province, province, "municipality", counties, division))
            continue
        for city_div in cities:
            city = _place(city_div)
            counties = tuple(
                _county_place(k, city) for k in children(city.adcode) if k.level == "county"
            )
            units.append(_unit(city, province, "city", counties, city_div))
        for county in direct:
            units.append(
                _unit(_county_place(county, province), province, "direct_county", (), county)
            )
    units.sort(key=lambda u: u.place.adcode)
    return units


def _unit(
    place: Place, province: Place, kind: str, counties: tuple[Place, ...], division: Division
) -> CityUnit:
    return CityUnit(place, province, kind, counties, division.lon, division.lat)


def build_scope(scale: str, seed: int, region: str | None) -> Scope:
    """Choose the provinces and city units of a run (by ``region`` or by seed)."""
    units = all_units()
    by_code = {u.place.adcode: u for u in units}
    provinces = sorted({u.province for u in units}, key=lambda p: p.adcode)
    pick = np.random.Generator(np.random.PCG64(seed))
    if scale == "national":
        return Scope(scale, tuple(provinces), tuple(units), central=True)
    if scale == "province":
        code = region or (DEFAULT_PROVINCE if seed == 0 else None)
        if code is None:
            code = provinces[int(pick.integers(len(provinces)))].adcode
        chosen = [p for p in provinces if p.adcode == code]
        if not chosen:
            raise InvalidInputError(
                f"找不到省级行政区 {code}", f"no province with adcode {code} (e.g. 410000)"
            )
        members = tuple(u for u in units if u.province.adcode == code)
        return Scope(scale, (chosen[0],), members, central=False)
    code = region or (DEFAULT_CITY if seed == 0 else None)
    if code is None:
        cities = [u for u in units if u.kind != "direct_county"]
        code = cities[int(pick.integers(len(cities)))].place.adcode
    unit = by_code.get(code)
    if unit is None:
        raise InvalidInputError(
            f"找不到地级市 {code}", f"no prefecture-level city with adcode {code} (e.g. 410100)"
        )
    # A municipality at city scale keeps its provincial-level bodies (北京市公安局 …).
    provinces_in = (unit.province,) if unit.kind == "municipality" else ()
    return Scope(scale, provinces_in, (unit,), central=False)


def scope_places(scope: Scope) -> dict[str, Place]:
    """Return every province, city unit and county of a scope by adcode."""
    places: dict[str, Place] = {p.adcode: p for p in scope.provinces}
    for unit in scope.units:
        places.setdefault(unit.province.adcode, unit.province)
        places[unit.place.adcode] = unit.place
        places.update((c.adcode, c) for c in unit.counties)
    return places
