"""Routing services: find the rule for a request, and edit the versioned rule table.

Lookup order (FixMyStreet's "location picks the body, category picks the contact", with
fall-backs): the most specific division first (county → city → province → anywhere),
and inside one division the most specific category (leaf → parent → any).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts.models import Organization
from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.routing import fallback
from zhengwu.servicedesk.routing.index import RuleIndex
from zhengwu.servicedesk.routing.models import RoutingRule, RoutingRuleCreate, RoutingTableVersion

if TYPE_CHECKING:
    from zhengwu.servicedesk.snapshot import RuleNode

log = logging.getLogger(__name__)


def _valid_at(at: datetime) -> list[object]:
    return [
        RoutingRule.valid_from <= at,
        or_(RoutingRule.valid_to.is_(None), RoutingRule.valid_to > at),
    ]


def active_rules(session: Session, *, at: datetime | None = None) -> list[RoutingRule]:
    """Return the rules in force at ``at`` (default now)."""
    query = select(RoutingRule).where(*_valid_at(at or utcnow()))  # type: ignore[arg-type]
    return list(session.scalars(query.order_by(RoutingRule.adcode, RoutingRule.category_code)))


def active_rules_page(
    session: Session, *, adcode_prefix: str | None = None, category_code: str | None = None,
    organization_name: str | None = None, limit: int, offset: int = 0,
) -> tuple[int, list[RoutingRule]]:  # fmt: skip
    """Return how many rules in force match, and one page of them (by division, category).

    ``adcode_prefix`` keeps the rules of a division and below ("41": 河南); ``category_code``
    the rules of one category; and
    ``organization_name`` the rules routing to an organisation whose name contains it.
    The national table has tens of thousands of rules: the console shows it a page at a time.
    """
    query = select(RoutingRule).where(*_valid_at(utcnow()))  # type: ignore[arg-type]
    if adcode_prefix:
        query = query.where(RoutingRule.adcode.startswith(adcode_prefix, autoescape=True))
    if category_code:
        query = query.where(RoutingRule.category_code == category_code)
    if organization_name and organization_name.strip():
        named = select(Organization.id).where(
            Organization.name.contains(organization_name.strip(), autoescape=True)
        )
        query = query.where(RoutingRule.organization_id.in_(named))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(RoutingRule.adcode, RoutingRule.category_code, RoutingRule.id)
    return total, list(session.scalars(ordered.limit(limit).offset(offset)))


NO_RULES_WARNING = (
    "没有路由规则：新诉求将停留在未派单状态——请运行 `zhengwu desk routing derive` / "
    "no routing rules: requests stay unassigned — run `zhengwu desk routing derive`"
)


def has_rules(session: Session, *, at: datetime | None = None) -> bool:
    """Return whether any routing rule is in force at ``at`` (default now)."""
    query = select(RoutingRule.id).where(*_valid_at(at or utcnow())).limit(1)  # type: ignore[arg-type]
    return session.scalar(query) is not None


class Once:
    """A flag raised at most once per process until it is reset (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._raised = False

    def first(self) -> bool:
        """Raise the flag; return True only for the call that raised it."""
        with self._lock:
            if self._raised:
                return False
            self._raised = True
            return True

    def reset(self) -> None:
        """Lower the flag, so that the next :meth:`first` returns True again."""
        with self._lock:
            self._raised = False


# Set when the warning below has been logged; adding rules lowers it again, so a later
# period without rules is logged too.
NO_RULES_LOGGED = Once()


def note_unrouted_without_rules(source: str) -> None:
    """Log :data:`NO_RULES_WARNING` for a request taken in while no rule exists, once a process.

    The CLI import prints the warning, but Open311, the public form and the API have no
    terminal: the server log (and the console notice, :func:`unrouted_without_rules`) is
    where an operator learns that requests are piling up unassigned.
    """
    if NO_RULES_LOGGED.first():
        log.warning("%s (first such request came in by %s)", NO_RULES_WARNING, source)


def _open_without_body(session: Session, *, on_no_matrix: bool = False) -> int:
    """Return how many open requests have no body (未派单), of them on no matrix's queue."""
    from zhengwu.servicedesk.models import ServiceRequest
    from zhengwu.servicedesk.workflow import OPEN_STATES

    query = select(func.count(ServiceRequest.id)).where(
        ServiceRequest.organization_id.is_(None), ServiceRequest.state.in_(OPEN_STATES)
    )
    if on_no_matrix:
        query = query.where(ServiceRequest.matrix_id.is_(None))
    return int(session.scalar(query) or 0)


def unrouted_without_rules(session: Session) -> int:
    """Return the open requests with no body (未派单) while no rule is in force, else 0."""
    return 0 if has_rules(session) else _open_without_body(session)


def ownerless(session: Session) -> int:
    """Return the open requests with no body on no matrix's queue while rules are in force
    (no place and no rule, and no fallback then): only the admin reads them, so its
    console counts them (with no rule at all, :func:`unrouted_without_rules` does)."""
    return _open_without_body(session, on_no_matrix=True) if has_rules(session) else 0


def has_city_fallback(session: Session, *, at: datetime | None = None) -> bool:
    """Return whether a city-wide fallback (any category, anywhere: :mod:`.fallback`) is
    in force at ``at`` (default now)."""
    query = select(RoutingRule.id).where(
        *_valid_at(at or utcnow()),  # type: ignore[arg-type]
        RoutingRule.adcode.is_(None), RoutingRule.category_code.is_(None),
    ).limit(1)  # fmt: skip
    return session.scalar(query) is not None


def table_version(session: Session) -> int:
    """Return the current version of the routing table (0 before the first change)."""
    query = select(func.coalesce(func.max(RoutingTableVersion.version), 0))
    return int(session.scalar(query) or 0)


def versions(session: Session) -> list[RoutingTableVersion]:
    """Return the changelog of the routing table, newest first."""
    query = select(RoutingTableVersion).order_by(RoutingTableVersion.version.desc())
    return list(session.scalars(query))


def _new_version(session: Session, actor: Principal, note: str, now: datetime | None = None) -> int:
    # Two editors saving at once both try version n+1; the primary key refuses the second.
    version = table_version(session) + 1
    session.add(RoutingTableVersion(version=version, actor_name=actor.display_name, note=note,
                                    created_at=now or utcnow()))  # fmt: skip
    return version


def get(session: Session, rule_id: int) -> RoutingRule:
    """Return one rule (current or retired) or raise NotFoundError."""
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFoundError(f"路由规则不存在：{rule_id}", f"no such routing rule: {rule_id}")
    return rule


def _lookup_order(
    category_codes: Sequence[str], adcode: str | None
) -> tuple[list[str | None], list[str | None]]:
    """Return the divisions (the place, its ancestors, then any) and the categories (the
    category, its ancestors, then any) a rule may name to route a request, best first."""
    places: list[str | None] = [*(regions.ancestors(adcode) if adcode else []), None]
    return places, [*category_codes, None]


def route(
    session: Session, *, category_codes: Sequence[str], adcode: str | None, at: datetime,
    rules: RuleIndex | Sequence[RuleNode] | None = None,
) -> RuleNode | None:  # fmt: skip
    """Return the rule that routes a request, or None (it goes to the office queue).

    ``category_codes`` is the category and its ancestors, most specific first. The rules
    come from the per-process snapshot (which follows every change of the table, indexed
    once per change: :class:`RuleIndex`) unless the caller passes the ones it already holds
    (best as the snapshot's ``routing``; a plain sequence is indexed for this call).
    The answer is :func:`route_by_scan`'s, found without testing every rule.
    """
    from zhengwu.servicedesk import snapshot

    if rules is None:
        rules = snapshot.current(session).routing
    index = rules if isinstance(rules, RuleIndex) else RuleIndex(rules)
    places, kinds = _lookup_order(category_codes, adcode)
    return index.find(places, kinds, at)


def route_by_scan(
    rules: Sequence[RuleNode], *, category_codes: Sequence[str], adcode: str | None,
    at: datetime,
) -> RuleNode | None:  # fmt: skip
    """The definition of routing, testing every rule (what :func:`route` did before it was
    indexed; the tests and ``benchmarks/bench_routing.py`` compare the two).

    Among the rules in force at ``at`` whose division is the request's place, one of its
    ancestors or none, and whose category is the request's, one of its ancestors or none:
    the most specific division, then the most specific category, then the highest id.
    """
    places, kinds = _lookup_order(category_codes, adcode)
    candidates = [
        r for r in rules
        if r.valid_from <= at and (r.valid_to is None or r.valid_to > at)
        and r.adcode in places and r.category_code in kinds
    ]  # fmt: skip
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda r: (places.index(r.adcode), kinds.index(r.category_code), -r.id),
    )


def _check(session: Session, data: RoutingRuleCreate) -> None:
    if session.get(Organization, data.organization_id) is None:
        raise InvalidInputError(
            f"机构不存在：{data.organization_id}", f"no such organisation: {data.organization_id}"
        )
    if data.adcode is not None and regions.get(data.adcode) is None:
        raise InvalidInputError(f"区划代码无效：{data.adcode}", f"unknown adcode: {data.adcode}")
    if data.category_code is not None:
        category_service.get(session, data.category_code)


def _current(adcode: str | None) -> str | None:
    """Return the current code of a rule's division (None: any division)."""
    return None if adcode is None else regions.current_adcode(adcode) or adcode


def _under_successor(data: RoutingRuleCreate) -> RoutingRuleCreate:
    """Return ``data`` with its division's current code (checked: :func:`_check`)."""
    current = _current(data.adcode)
    return data if current == data.adcode else data.model_copy(update={"adcode": current})


def successor_note(given: str | None, stored: str | None) -> str | None:
    """Return what the CLI says when a rule given under an old division code was stored
    under its successor (:func:`add_rules`), in Chinese and English; None otherwise."""
    if given is None or stored is None or given == stored:
        return None
    change = next((c for c in reversed(regions.changes()) if c.old_code == given), None)
    division = regions.get(stored)
    new_name = division.name if division is not None else stored
    old_zh = f"（{change.old_name}，{change.year} 年区划调整）" if change else ""
    old_en = f" ({change.old_name}, changed in {change.year})" if change else ""
    return (
        f"区划代码 {given}{old_zh}已由 {stored}（{new_name}）承继：规则按 {stored} 保存 / "
        f"division code {given}{old_en} was replaced by {stored} ({new_name}): the rule is "
        f"stored under {stored}"
    )


def add_rules(
    session: Session, *, rules: Sequence[RoutingRuleCreate], actor: Principal, note: str = "",
    now: datetime | None = None, retire: Sequence[RoutingRule] = (),
) -> list[RoutingRule]:  # fmt: skip
    """Add rules as one new version of the table; a rule for the same key replaces the old.

    The rules are in force from ``now`` (default: the real clock); a simulated history (the
    demo) sets its table up as of the start of its period, so its requests, routed at their
    own received time, find it. ``retire`` ends these rules in the same version, each
    audited as :func:`retire` audits one (the table import's ``--replace``).
    """
    now = now or utcnow()
    for data in rules:
        _check(session, data)
    # A renamed or merged division's old code routes nothing (requests are placed under
    # current codes): the rule is stored under its successor, as the table import does.
    rules = [_under_successor(data) for data in rules]
    keys = {(r.category_code, r.adcode) for r in rules}
    if len(keys) != len(rules):
        raise InvalidInputError("同一版本中规则重复", "duplicate (category, adcode) in one change")
    for ended in retire:
        _check_in_force(ended)
    # A rule in force under an old code counts under its successor's key (and is replaced).
    current = {(r.category_code, _current(r.adcode)): r for r in active_rules(session, at=now)}
    version = _new_version(session, actor, note, now)
    for ended in retire:
        _end(session, ended, version=version, actor=actor, reason=note, now=now)
    created: list[RoutingRule] = []
    for data in rules:
        old = current.get((data.category_code, data.adcode))
        if old is not None and old.valid_to is None:  # (unless ``retire`` ended it)
            old.valid_to, old.retired_version = now, version
        rule = RoutingRule(
            table_version=version, category_code=data.category_code, adcode=data.adcode,
            organization_id=data.organization_id, note=data.note or note, valid_from=now,
            created_by=actor.display_name,
        )  # fmt: skip
        session.add(rule)
        created.append(rule)
    session.flush()
    for rule in created:
        audit_service.record(
            session, entity_type="routing_rule", entity_id=rule.id, action="create", actor=actor,
            reason=note or None, data={"version": version, "category_code": rule.category_code,
                                       "adcode": rule.adcode, "organization_id": rule.organization_id},
            at=now,
        )  # fmt: skip
    NO_RULES_LOGGED.reset()
    return created


def retire(session: Session, *, rule: RoutingRule, actor: Principal, reason: str = "") -> int:
    """End a rule (it stays in the table for the requests it routed); return the new version."""
    _check_in_force(rule)
    version = _new_version(session, actor, reason or f"retire rule {rule.id}")
    _end(session, rule, version=version, actor=actor, reason=reason, now=utcnow())
    return version


def _check_in_force(rule: RoutingRule) -> None:
    if rule.valid_to is not None:
        raise ConflictError(f"规则 {rule.id} 已停用", f"rule {rule.id} is already retired")


def _end(
    session: Session, rule: RoutingRule, *, version: int, actor: Principal, reason: str,
    now: datetime,
) -> None:  # fmt: skip
    """Retire ``rule`` in ``version`` and audit it (the rule stays for what it routed)."""
    rule.valid_to, rule.retired_version = now, version
    session.flush()
    audit_service.record(
        session, entity_type="routing_rule", entity_id=rule.id, action="retire", actor=actor,
        reason=reason or None, data={"version": version}, at=now,
    )  # fmt: skip


@dataclass(slots=True)
class Derivation:
    """What :func:`derive_rules` did: the rules it added and the bodies it skipped (why)."""

    rules: list[RoutingRule] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The fallback rules among ``rules`` (the 12345 centres: :mod:`.fallback`), and what
    # to know when no city-wide fallback is in force after it.
    fallbacks: list[RoutingRule] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _routable_orgs(session: Session, warnings: list[str]) -> list[Organization]:
    """Return the city and county bodies with a known division; warn about the others."""
    orgs = session.scalars(
        select(Organization)
        .where(Organization.adcode.is_not(None), Organization.level.in_(("市", "县")))
        .order_by(Organization.id)
    )
    routable: list[Organization] = []
    for org in orgs:
        if org.adcode is not None and regions.get(org.adcode) is None:
            # One body with a bad code (stored before the importer checked codes) must not
            # stop the rules of every other body.
            warnings.append(
                f"已跳过机构 {org.name}（{org.external_id or org.id}）：区划代码无效 {org.adcode} / "
                f"skipped organisation {org.name} ({org.external_id or org.id}): "
                f"unknown adcode {org.adcode}"
            )
            continue
        routable.append(org)
    return routable


def derive_rules(session: Session, *, actor: Principal, now: datetime | None = None) -> Derivation:
    """Propose and add rules from the bodies on file: each first-level category → the body of
    its first matching sector (分类的 ``sectors``) in each city and county that has one.
    A subcategory gets rules of its own only when its sectors differ from its parent's (a
    city tree's 供水 under 城乡建设, handled by 水务); one that shares them is routed by its
    parent's rule.

    It also proposes the fallback rules (兜底, :mod:`.fallback`): each city's 12345 centre
    (its body of sector 政务服务 of level 市, a name with 12345 or 热线 first) for whatever
    lies in the city with no rule of its own (区划 = the city, any category), and — when the
    deployment has one home city (``ZHENGWU_DESK_HOME_ADCODE``, or only one city has a
    centre) — for any place and any category: the requests with no place.

    A body whose division code is unknown is skipped with a warning in the result. ``now``
    is when the new rules take force (default: the real clock; see :func:`add_rules`); a
    key with a rule in force then is left as it is.
    """
    tree = category_service.get_tree(session)
    derivation = Derivation()
    orgs = _routable_orgs(session, derivation.warnings)
    current = {(r.category_code, r.adcode) for r in active_rules(session, at=now)}
    proposals: list[RoutingRuleCreate] = []
    by_code = {c.code: c for c in tree}
    for category in tree:
        if not category.sectors:
            continue
        parent = by_code.get(category.parent_code) if category.parent_code else None
        if parent is not None and list(parent.sectors or []) == list(category.sectors):
            continue
        chosen: dict[str, Organization] = {}
        for sector in category.sectors:
            for org in orgs:
                if org.sector == sector and org.adcode and org.adcode not in chosen:
                    chosen[org.adcode] = org
        for adcode, org in sorted(chosen.items()):
            if (category.code, adcode) not in current:
                proposals.append(
                    RoutingRuleCreate(
                        category_code=category.code,
                        adcode=adcode,
                        organization_id=org.id,
                        note=f"由系统「{org.sector}」推导",
                    )
                )
    fallbacks = _fallback_proposals(orgs, current, derivation.notes)
    if proposals or fallbacks:
        derivation.rules = add_rules(
            session, rules=proposals + fallbacks, actor=actor,
            note="按机构系统推导 / derived from sectors", now=now,
        )  # fmt: skip
        derivation.fallbacks = derivation.rules[len(proposals) :]
    return derivation


def _fallback_proposals(
    orgs: Sequence[Organization], current: set[tuple[str | None, str | None]], notes: list[str]
) -> list[RoutingRuleCreate]:
    """Propose the 12345 centres as fallbacks (keys without a rule in force); note a gap."""
    centres = fallback.city_centres(orgs)
    anywhere = fallback.anywhere_centre(centres, get_settings().desk_home_adcode)
    wanted: list[tuple[str | None, Organization]] = sorted(centres.items())
    if anywhere is not None:
        wanted.append((None, anywhere))
    elif (None, None) not in current:
        notes.extend(filter(None, [fallback.missing_note(centres, anywhere)]))
    proposals = []
    for adcode, org in wanted:
        if (None, adcode) in current:
            continue
        scope = "全域" if adcode is None else "本市"
        note = f"兜底：{scope}无匹配规则的诉求（由系统「{org.sector}」推导）"
        proposals.append(RoutingRuleCreate(adcode=adcode, organization_id=org.id, note=note))
    return proposals
