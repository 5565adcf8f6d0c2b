"""Account matrices (矩阵): regional ones per city, vertical ones per sector.

* Regional: the city's ``某某发布`` leads every government account of the city unit
  (city, county and township bodies, on every platform).
* Vertical: a provincial body leads the accounts of its sector in the province
  (``湖南公安`` style). At city scale there is no provincial body, so the city-level body
  of each sector leads its county and township counterparts.

An account may sit in several matrices (平安金水: 郑州 regional and 河南公安 vertical).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from zhengwu.simulate.scope import Scope

if TYPE_CHECKING:
    from zhengwu.simulate.population import Account, Matrix, Org

_PLATFORMS = ("weibo", "wechat", "douyin")


def build_matrices(
    scope: Scope, orgs: list[Org], accounts: dict[str, list[Account]]
) -> list[Matrix]:
    """Return the regional and vertical matrices of a population."""
    from zhengwu.simulate.population import Matrix

    by_org: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for platform in _PLATFORMS:
        for index, account in enumerate(accounts.get(platform, [])):
            if account.org >= 0:
                by_org[account.org].append((platform, index))
    weibo_of = {org: idx for org, accs in by_org.items() for p, idx in accs if p == "weibo"}

    matrices: list[Matrix] = []
    by_unit: dict[str, list[int]] = defaultdict(list)
    for index, org in enumerate(orgs):
        if org.unit:
            by_unit[org.unit].append(index)
    for unit in scope.units:
        code = unit.place.adcode
        lead_level = {"city": "市", "municipality": "省", "direct_county": "县"}[unit.kind]
        lead = next(
            (
                i
                for i in by_unit.get(code, [])
                if orgs[i].body == "publish" and orgs[i].level == lead_level
            ),
            None,
        )
        if lead is None or lead not in weibo_of:
            continue
        members = [acc for i in by_unit[code] for acc in by_org.get(i, [])]
        matrices.append(
            Matrix(
                f"regional-{code}",
                f"{unit.place.short}政务新媒体矩阵",
                "regional",
                code,
                "",
                ("weibo", weibo_of[lead]),
                members,
            )
        )

    # Vertical matrices: one area per province in scope, or the city at city scale.
    areas: list[tuple[str, str, str, list[int]]] = []  # (adcode, short name, lead level, orgs)
    if scope.provinces:
        by_province: dict[str, list[int]] = defaultdict(list)
        for index, org in enumerate(orgs):
            if org.province:
                by_province[org.province].append(index)
        for province in scope.provinces:
            areas.append((province.adcode, province.short, "省", by_province[province.adcode]))
    else:
        for unit in scope.units:
            areas.append((unit.place.adcode, unit.place.short, "市", by_unit[unit.place.adcode]))
    for adcode, short, lead_level, members_idx in areas:
        by_sector: dict[str, list[int]] = defaultdict(list)
        for i in members_idx:
            if orgs[i].body != "gov":
                by_sector[orgs[i].sector].append(i)
        for sector, idxs in by_sector.items():
            heads = [i for i in idxs if orgs[i].level == lead_level and i in weibo_of]
            if not heads:
                continue
            lead = max(heads, key=lambda i: (orgs[i].weight, -i))
            members = [acc for i in idxs for acc in by_org.get(i, [])]
            if len(members) < 3:
                continue
            matrices.append(
                Matrix(
                    f"vertical-{adcode}-{orgs[lead].body}",
                    f"{short}{sector}政务新媒体矩阵",
                    "vertical",
                    adcode,
                    sector,
                    ("weibo", weibo_of[lead]),
                    members,
                )
            )
    return matrices
