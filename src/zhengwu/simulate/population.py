"""The simulated population: organisations (机构), their platform accounts and matrices.

Organisations are generated per level from :mod:`zhengwu.simulate.catalogue` (a 人民政府
node per area with its departments, stations in each township), then trimmed to the
scale's target number of government Weibo accounts, keeping the most central bodies.
Each organisation opens a Weibo / WeChat / Douyin account with its body's opening rate.
A few non-government accounts (media, companies, quasi-official institutions, ordinary
users) are added so that government detection has something to reject.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zhengwu.simulate.catalogue import (
    CENTRAL_BODIES,
    CITY_BODIES,
    COUNTY_BODIES,
    PROVINCE_BODIES,
    TOWN_BODIES,
    TOWN_STEMS,
    Body,
)
from zhengwu.simulate.config import WEIBO_TARGETS, Draws, SimulationConfig, rng
from zhengwu.simulate.identity import IdentityFactory
from zhengwu.simulate.nongov import add_non_government
from zhengwu.simulate.scope import CityUnit, Place, Scope, scope_places

LEVELS = ("中央", "省", "市", "县", "乡")
# Bodies whose parent is the same body one level up (条条管理) rather than the local
# government (块块管理).
_VERTICAL = frozenset({"tax", "court", "procur", "fire", "meteo", "police", "traffic"})
# Township stations hang from the county body of their line.
_STATION_PARENT = {
    "station": "police",
    "tribunal": "court",
    "firestation": "fire",
    "judicial": "justice",
    "msa": "market",
    "clinic": "health",
    "town": "gov",
}


@dataclass(slots=True)
class Org:
    """One government body (机构)."""

    org_id: str
    name: str
    level: str
    sector: str
    adcode: str
    parent_id: str
    body: str  # catalogue key ("police", "publish" …; "gov" for 人民政府)
    unit: str  # adcode of its city unit ("" for central and provincial bodies)
    province: str  # adcode of its province ("" for central bodies)
    place: str  # the short place name its texts talk about (郑州, 金水, 文化路)
    names: tuple[str, ...]  # account-name candidates, first preferred
    weight: float
    opens: dict[str, bool] = field(default_factory=dict)


@dataclass(slots=True)
class Account:
    """One platform account; ``org`` indexes :attr:`Population.orgs` (-1 = not government)."""

    platform: str
    uid: str
    name: str
    org: int
    kind: str  # gov | media | company | quasi | campus | user
    verified_type: int
    verified_reason: str
    description: str
    created: str  # ISO date
    level: str  # 中央 … 乡, or "" for non-government accounts
    sector: str
    place: str
    adcode: str  # the account's own area (county for county and township bodies)
    unit: str
    province: str  # adcode of the province ("" when none)
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Matrix:
    """A lead account plus members (矩阵), regional or vertical."""

    id: str
    name: str
    kind: str
    adcode: str
    sector: str
    lead: tuple[str, int]  # (platform, account index)
    members: list[tuple[str, int]]


@dataclass(slots=True)
class Population:
    """Everything the streams write about: orgs, accounts per platform, matrices."""

    scope: Scope
    orgs: list[Org]
    accounts: dict[str, list[Account]]
    matrices: list[Matrix]


class _Builder:
    """Collects candidate organisations in a deterministic order."""

    def __init__(self, seed: int) -> None:
        self.rand = Draws(rng(seed, "orgs"))
        self.stems = rng(seed, "towns")
        self.orgs: list[Org] = []
        self.keys: dict[tuple[str, str], int] = {}  # (area adcode, body key) → index
        self.seq: dict[str, int] = {}

    def add(
        self, body: Body | None, *, level: str, adcode: str, unit: str, province: str,
        place: str, fill: dict[str, str], parent: int | None, key: str | None = None,
        sector: str = "", org_name: str = "", weight: float = 10.0,
    ) -> int:  # fmt: skip
        """Add one candidate organisation and return its index."""
        seq = self.seq.get(adcode, 0) + 1
        self.seq[adcode] = seq
        if body is not None:
            template = body.org_district if body.org_district and fill.get("district") else body.org
            org_name = template.format(**fill)
            names = tuple(t.format(**fill) for t in body.weibo)
            pick = self.rand.integers(0, len(names))
            names = (names[pick], *names[:pick], *names[pick + 1 :])
            sector, weight = body.sector, body.weight
            opens = {
                "weibo": bool(self.rand.random() < body.p_weibo),
                "wechat": bool(self.rand.random() < body.p_wechat),
                "douyin": bool(self.rand.random() < body.p_douyin),
            }
        else:
            names, opens = (), {"weibo": False, "wechat": False, "douyin": False}
        parent_id = self.orgs[parent].org_id if parent is not None else ""
        org = Org(
            f"{adcode}-{seq:03d}", org_name, level, sector, adcode, parent_id,
            key or (body.key if body else "gov"), unit, province, place, names, weight, opens,
        )  # fmt: skip
        self.orgs.append(org)
        self.keys[(adcode, org.body)] = len(self.orgs) - 1
        return len(self.orgs) - 1

    def parent_for(self, body_key: str, upper: str, gov: int) -> int:
        """Return the parent index: the same body one level up for vertical lines, else gov."""
        if body_key in _VERTICAL:
            return self.keys.get((upper, body_key), gov)
        return gov


def _fill(
    province: Place, city: Place | None, county: Place | None, town: str = ""
) -> dict[str, str]:
    fill = {"p": province.name, "P": province.short}
    if city is not None:
        fill |= {"c": city.name, "C": city.short}
    if county is not None:
        district = county.name.endswith("区") and city is not None
        fill |= {
            "x": county.name,
            "X": county.short,
            "xf": (city.name if district and city else "") + county.name,
            "district": "1" if district else "",
        }
    if town:
        fill |= {"t": town, "T": town.removesuffix("街道").removesuffix("镇").removesuffix("乡")}
    return fill


def _add_province(b: _Builder, province: Place, municipality: bool, central_gov: int | None) -> int:
    gov = b.add(None, level="省", adcode=province.adcode, unit="", province=province.adcode,
                place=province.short, fill={}, parent=central_gov, sector="政府",
                org_name=f"{province.name}人民政府")  # fmt: skip
    bodies = CITY_BODIES if municipality else PROVINCE_BODIES
    fill = _fill(province, province if municipality else None, None)
    unit = province.adcode if municipality else ""
    for body in bodies:
        parent = b.parent_for(body.key, "000000", gov)
        b.add(body, level="省", adcode=province.adcode, unit=unit, province=province.adcode,
              place=province.short, fill=fill, parent=parent)  # fmt: skip
    return gov


def _add_unit(b: _Builder, unit: CityUnit, province_gov: int | None, towns_mean: float) -> None:
    province = unit.province
    if unit.kind == "municipality":
        city_gov = b.keys[(province.adcode, "gov")]
        upper = province.adcode
    elif unit.kind == "direct_county":
        city_gov = _add_county(b, unit, unit.place, province_gov, province.adcode, towns_mean)
        return
    else:
        city_gov = b.add(None, level="市", adcode=unit.place.adcode, unit=unit.place.adcode,
                         province=province.adcode, place=unit.place.short, fill={},
                         parent=province_gov, sector="政府", org_name=f"{unit.place.name}人民政府")  # fmt: skip
        fill = _fill(province, unit.place, None)
        for body in CITY_BODIES:
            parent = b.parent_for(body.key, province.adcode, city_gov)
            b.add(body, level="市", adcode=unit.place.adcode, unit=unit.place.adcode,
                  province=province.adcode, place=unit.place.short, fill=fill, parent=parent)  # fmt: skip
        upper = unit.place.adcode
    for county in unit.counties:
        _add_county(b, unit, county, city_gov, upper, towns_mean)


def _add_county(
    b: _Builder, unit: CityUnit, county: Place, upper_gov: int | None, upper: str, towns_mean: float
) -> int:
    city = unit.place if unit.kind != "direct_county" else None
    fill = _fill(unit.province, city or unit.province, county)
    if city is None:
        fill["xf"] = county.name
        fill["district"] = ""
    area = unit.place.adcode
    gov = b.add(None, level="县", adcode=county.adcode, unit=area, province=unit.province.adcode,
                place=county.short, fill={}, parent=upper_gov, sector="政府",
                org_name=f"{fill['xf']}人民政府")  # fmt: skip
    for body in COUNTY_BODIES:
        parent = b.parent_for(body.key, upper, gov)
        b.add(body, level="县", adcode=county.adcode, unit=area, province=unit.province.adcode,
              place=county.short, fill=fill, parent=parent)  # fmt: skip
    n_towns = int(min(max(b.rand.normal(towns_mean, towns_mean / 3), 3), 45))
    suffix = "街道" if county.name.endswith("区") else ("镇", "镇", "乡")
    stems = b.stems.permutation(len(TOWN_STEMS))[:n_towns].tolist()
    for i, stem_index in enumerate(stems):
        tail = suffix if isinstance(suffix, str) else suffix[b.rand.integers(0, 3)]
        town = "城关镇" if i == 0 and tail != "街道" else TOWN_STEMS[stem_index] + tail
        town_fill = fill | _fill(unit.province, None, None, town)
        for body, presence in TOWN_BODIES:
            if b.rand.random() >= presence:
                continue
            parent = b.keys.get((county.adcode, _STATION_PARENT[body.key]), gov)
            b.add(body, level="乡", adcode=county.adcode, unit=area,
                  province=unit.province.adcode, place=town, fill=town_fill, parent=parent)  # fmt: skip
    return gov


def _trim(orgs: list[Org], target: int, seed: int) -> list[Org]:
    """Keep every 中央/省/市 body and the most central 县/乡 bodies up to ``target`` Weibo accounts."""
    rand = rng(seed, "trim")
    jitter = rand.random(len(orgs))
    fixed = [i for i, o in enumerate(orgs) if o.level in ("中央", "省", "市") or o.body == "gov"]
    weibo = sum(orgs[i].opens["weibo"] for i in fixed)
    keep = set(fixed)
    level_factor = {"县": 1.0, "乡": 0.75}
    ranked = sorted(
        (i for i, o in enumerate(orgs) if i not in keep),
        key=lambda i: -(orgs[i].weight * level_factor[orgs[i].level] + 0.5 * jitter[i]),
    )
    for i in ranked:
        if weibo >= target:
            break
        keep.add(i)
        weibo += orgs[i].opens["weibo"]
    kept = [o for i, o in enumerate(orgs) if i in keep]
    # A trimmed parent hands its children to the government of the same area.
    ids = {o.org_id for o in kept}
    gov_of = {o.adcode: o.org_id for o in kept if o.body == "gov"}
    for org in kept:
        if org.parent_id and org.parent_id not in ids:
            org.parent_id = gov_of.get(org.adcode, "")
    return kept


def build_population(config: SimulationConfig, scope: Scope) -> Population:
    """Generate the organisations, accounts and matrices of a run."""
    orgs = build_orgs(config, scope)
    factory = IdentityFactory(config.seed, config.start, scope_places(scope))
    accounts = factory.government_accounts(orgs)
    add_non_government(accounts, scope, factory, config.seed)
    from zhengwu.simulate.matrices import build_matrices

    matrices = build_matrices(scope, orgs, accounts)
    return Population(scope, orgs, accounts, matrices)


def build_orgs(config: SimulationConfig, scope: Scope) -> list[Org]:
    """Generate the organisations (机构) of a run, trimmed to the scale's Weibo target.

    Central bodies (中央) carry the key ``000000`` (no division); ``orgs.csv`` writes
    their adcode empty.
    """
    b = _Builder(config.seed)
    central_gov: int | None = None
    if scope.central:
        central_gov = b.add(None, level="中央", adcode="000000", unit="", province="",
                            place="全国", fill={}, parent=None, sector="政府", org_name="国务院")  # fmt: skip
        for key, sector, org_name, weibo in CENTRAL_BODIES:
            body = Body(key, sector, org_name, (weibo,), 10.0, 1.0, 0.85, 0.7)
            b.add(body, level="中央", adcode="000000", unit="", province="", place="全国",
                  fill={}, parent=central_gov)  # fmt: skip
    municipalities = {u.province.adcode for u in scope.units if u.kind == "municipality"}
    province_gov: dict[str, int] = {}
    for province in scope.provinces:
        province_gov[province.adcode] = _add_province(
            b, province, province.adcode in municipalities, central_gov
        )
    towns_mean = {"city": 12.0, "province": 14.0, "national": 20.0}[config.scale]
    for unit in scope.units:
        _add_unit(b, unit, province_gov.get(unit.province.adcode), towns_mean)
    orgs = _trim(b.orgs, WEIBO_TARGETS[config.scale], config.seed)
    _force_leads(orgs)
    return orgs


def _force_leads(orgs: list[Org]) -> None:
    """Give every regional and vertical lead body a Weibo account (leads always have one)."""
    for org in orgs:
        if org.body == "publish" and org.level in ("省", "市"):
            org.opens["weibo"] = True
        if org.level == "省" and not org.unit and org.weight >= 0.9:
            org.opens["weibo"] = True
