"""Fallback rules (兜底规则): who owns a request no specific rule routes.

In a city, the 12345 centre (市政务服务便民热线) owns every request nobody else does: one
without a place, one whose category has no rule where it is. It dispatches such a request
by hand (派单 / 转办) or handles it itself, and its deadlines run from receipt as any
other's — nothing sits ownerless in an unrouted queue.

The routing table holds fallbacks in its own columns, as rules with a wildcard: a rule
**without division** (区划 ``*``) routes the requests whose place is unknown or has no rule
of its own, and a rule **without category** (分类 ``*``) those whose category has no rule in
its division. So:

- ``(*, *)`` → the city's 12345 centre: the city-wide fallback, for everything else;
- ``(*, 0502)`` → 市人社局: a per-category fallback, for 社保 requests with no place;
- ``(411000, *)`` → the 12345 centre again: whatever lies in 许昌市 and has no rule there.

The lookup order (:func:`zhengwu.servicedesk.routing.service.route`) already tries them
last — the most specific division first, ``*`` last; within it the most specific category,
``*`` last — so a fallback never takes a request a specific rule routes. What this module
adds is the *why* (:func:`why`), which intake records on the request's ``route`` audit
entry (its reason, read by the handler on the request's history, and ``fallback`` in its
data), and the proposal of the 12345 centre by ``zhengwu desk routing derive``
(:func:`centre_proposals`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol

from zhengwu import regions

if TYPE_CHECKING:
    from zhengwu.accounts.models import Organization

# The sector (系统) of a city's 12345 centre and its 政务服务 office.
CENTRE_SECTOR = "政务服务"

# Why a fallback routed a request: code → (Chinese, English).
WHY: Mapping[str, tuple[str, str]] = {
    "no_place": (
        "诉求区划不明，无法按区划派单",
        "the request's place is unknown, so no rule by division applies",
    ),
    "no_rule_for_place": (
        "诉求所在区划及其上级没有该分类的规则",
        "no rule for its category in the request's division or above",
    ),
    "no_category": ("诉求未能分类", "the request has no category"),
    "no_rule_for_category": (
        "诉求的分类在所在区划没有规则",
        "no rule for the request's category in its division",
    ),
}


class Rule(Protocol):
    """What a rule needs for this module (a :class:`RoutingRule` or a snapshot's node)."""

    @property
    def adcode(self) -> str | None: ...

    @property
    def category_code(self) -> str | None: ...


def is_fallback(rule: Rule) -> bool:
    """Return whether ``rule`` is a fallback: it names no division or no category."""
    return rule.adcode is None or rule.category_code is None


def why(rule: Rule | None, *, adcode: str | None, category_code: str | None) -> str | None:
    """Return why the fallback ``rule`` routed a request of ``adcode`` and ``category_code``
    (a key of :data:`WHY`), or None when ``rule`` is none or a specific rule."""
    if rule is None or not is_fallback(rule):
        return None
    if rule.adcode is None:
        return "no_place" if adcode is None else "no_rule_for_place"
    return "no_category" if category_code is None else "no_rule_for_category"


def reason(code: str) -> str:
    """Return the route entry's reason for a fallback, in Chinese and English."""
    zh, en = WHY[code]
    return (
        f"兜底派单：{zh}，派给兜底承办单位（人工派单或自行办理） / "
        f"fallback: {en}; sent to the fallback body (to dispatch by hand or handle)"
    )


def _centre_rank(org: Organization) -> tuple[int, int]:
    """Order a city's 政务服务 bodies: the 12345 hotline first, then a 热线, then the rest."""
    name = org.name or ""
    return (0 if "12345" in name else 1 if "热线" in name else 2, org.id)


def city_centres(orgs: Iterable[Organization]) -> dict[str, Organization]:
    """Return each city's 12345 centre (its best 政务服务 body of level 市), by city adcode."""
    centres: dict[str, Organization] = {}
    for org in orgs:
        if org.level != "市" or org.sector != CENTRE_SECTOR or not org.adcode:
            continue
        best = centres.get(org.adcode)
        if best is None or _centre_rank(org) < _centre_rank(best):
            centres[org.adcode] = org
    return centres


def anywhere_centre(centres: Mapping[str, Organization], home: str | None) -> Organization | None:
    """Return the centre for requests with no place: the home region's city's (the
    deployment's ``ZHENGWU_DESK_HOME_ADCODE``), else the only city's; None when several
    cities have one and none is home (no city may own another's place-less requests)."""
    if home:
        for code in regions.ancestors(home):
            if code in centres:
                return centres[code]
        return None
    return next(iter(centres.values())) if len(centres) == 1 else None


def missing_note(centres: Mapping[str, Organization], anywhere: Organization | None) -> str | None:
    """Return what derive says when it proposes no city-wide fallback, or None."""
    hint = "`zhengwu desk routing fallback --org 机构`"
    if not centres:
        return (
            f"机构中没有市级「{CENTRE_SECTOR}」单位（12345 热线）：没有兜底承办单位，无区划或无规则的"
            f"诉求将停留在未派单状态；可用 {hint} 指定 / no city body of sector {CENTRE_SECTOR} "
            f"(12345 centre) on file: no fallback body, requests with no place or rule stay "
            f"unassigned; name one with {hint}"
        )
    if anywhere is None:
        names = "、".join(sorted(o.name for o in centres.values()))
        return (
            f"有多个城市的 12345 热线（{names}），未设全域兜底：无区划的诉求将停留在未派单状态；"
            f"可设置 ZHENGWU_DESK_HOME_ADCODE 或用 {hint} 指定 / several cities have a 12345 "
            f"centre ({names}): no fallback for requests with no place; set "
            f"ZHENGWU_DESK_HOME_ADCODE or name one with {hint}"
        )
    return None
