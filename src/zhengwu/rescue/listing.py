"""Lists of help requests computed by the database: filters, order, counts and pages (列表).

An incident may hold tens of thousands of requests; the queue, a team's view and the
public board show a page of them. Everything that decides which rows are on the page —
the filters, the priority order, the totals and the counts by state or county — is one
SQL query, and only the page's rows are loaded as objects (with what their views need).

The priority order is :mod:`zhengwu.rescue.priority`'s score written as a SQL expression
(:func:`score_expr`), part for part, so the database sorts by the score a page shows.
Ties go to the request waiting longest, then the lower number: the order is total, so
consecutive pages never repeat or skip a request.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Numeric, Select, String, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import InvalidInputError
from zhengwu.rescue import access, lookup, priority
from zhengwu.rescue.models import STATES, HelpRequest, Incident
from zhengwu.rescue.notices import WITHDRAWN_OUTCOMES
from zhengwu.rescue.service import REQUEST_LOADS
from zhengwu.rescue.situation import HIGH_RISK
from zhengwu.rescue.workflow import OPEN_STATES

# The orders a list can take: by priority (the triage order), or by when people asked.
SORTS = {"priority": "优先级", "oldest": "最早求助在前", "newest": "最新求助在前"}
CLOSED_STATES = ("resolved", "announced")
# A request merged by hand into another (``merged``) is listed and counted nowhere: its
# survivor stands for it (its people, posts and phones). Only an explicit state filter
# shows it.
LISTED_STATES = tuple(s for s in STATES if s != "merged")


def _listed(incident_ids: Collection[int]) -> ColumnElement[bool]:
    """The requests of ``incident_ids`` that lists and counts take: all but merged ones."""
    return and_(HelpRequest.incident_id.in_(incident_ids), HelpRequest.state != "merged")


_UNIX_EPOCH_JULIAN = 2440587.5  # julianday('1970-01-01')


def _round1(expr: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """Round to one decimal (PostgreSQL rounds only numerics to a given scale)."""
    if dialect == "postgresql":
        return func.round(cast(expr, Numeric), 1)
    return func.round(expr, 1)


def _json_has(column: Any, code: str) -> ColumnElement[bool]:
    """Whether the JSON list ``column`` holds the code ``code`` (codes are plain ASCII)."""
    return cast(column, String).like(f'%"{code}"%')


def _hours_since(now: datetime, dialect: str) -> ColumnElement[Any]:
    """Hours from ``reported_at`` to ``now`` (both UTC)."""
    if dialect == "postgresql":
        epoch = func.extract("epoch", HelpRequest.reported_at)
        return (now.timestamp() - epoch) / 3600.0
    days = now.timestamp() / 86400.0 + _UNIX_EPOCH_JULIAN
    return (days - func.julianday(HelpRequest.reported_at)) * 24.0


def score_expr(dialect: str, *, now: datetime | None = None) -> ColumnElement[Any]:
    """Return :func:`zhengwu.rescue.priority.score` as a SQL expression over a request row.

    ``dialect`` is the session's dialect name (``sqlite`` or ``postgresql``); ``now`` the
    moment the waiting time is counted to. Each part is rounded as the Python score
    rounds it, so both order the same requests the same way.
    """
    now = now or utcnow()
    urgency = case(
        *((HelpRequest.urgency == k, v) for k, v in priority.URGENCY.items()),
        else_=priority.URGENCY["normal"],
    )
    known = [(_json_has(HelpRequest.vulnerabilities, k), w) for k, w in priority.VULNERABLE.items()]
    weights = sum((case((has, w), else_=0.0) for has, w in known), start=cast(0.0, Numeric))
    listed = func.coalesce(func.json_array_length(HelpRequest.vulnerabilities), 0)
    unknown = listed - sum((case((has, 1), else_=0) for has, _ in known), start=cast(0, Numeric))
    raw_vulnerable = weights + unknown * 4.0  # an unknown group weighs 4, as in priority
    vulnerable = case(
        (cast(HelpRequest.vulnerabilities, String) == "[]", 0.0),  # most: nothing to weigh
        (raw_vulnerable > priority.MAX_VULNERABLE, priority.MAX_VULNERABLE),
        else_=raw_vulnerable,
    )
    total = func.coalesce(func.nullif(HelpRequest.people_total, 0), 1)
    waiting_people = total - HelpRequest.people_helped
    # 5·log2(1 + n) rounded, capped at 15 from n = 7 on: a table, the same on every database.
    steps = [(n, round(min(5 * math.log2(1 + n), priority.MAX_PEOPLE), 1)) for n in range(1, 7)]
    people = case(
        (waiting_people <= 0, 0.0),
        *((waiting_people == n, v) for n, v in steps),
        else_=priority.MAX_PEOPLE,
    )
    # Trapped adds more with rising water and with a high-risk person (priority.trapped).
    rising = cast(HelpRequest.urgency_reasons, String).like('%"rising_water%')
    at_risk = or_(*(_json_has(HelpRequest.vulnerabilities, code) for code in sorted(HIGH_RISK)))
    trapped = case(
        (
            _json_has(HelpRequest.needs, "trapped"),
            priority.TRAPPED
            + case((rising, priority.TRAPPED_RISING), else_=0.0)
            + case((at_risk, priority.TRAPPED_AT_RISK), else_=0.0),
        ),
        else_=0.0,
    )
    hazard = (
        case((and_(HelpRequest.hazard.is_not(None), HelpRequest.hazard != ""), 10.0), else_=0.0)
        + trapped
    )
    hours = _hours_since(now, dialect)
    waited = _round1(
        case((hours <= 0, 0.0), (hours >= priority.MAX_WAITING, priority.MAX_WAITING), else_=hours),
        dialect,
    )
    verification = case(
        *((HelpRequest.verification == k, v) for k, v in priority.VERIFICATION.items()),
        else_=0.0,
    ) + case(
        (
            and_(
                HelpRequest.reported_rescued_at.is_not(None),
                HelpRequest.verification != "already_rescued",
            ),
            priority.REPORTED_RESCUED,
        ),
        else_=0.0,
    )
    return _round1(urgency + vulnerable + people + hazard + waited + verification, dialect)


@dataclass(frozen=True, slots=True)
class Filters:
    """What a list of requests is narrowed to: states (empty: every state), a team, an
    urgency; and its order (one of :data:`SORTS`)."""

    states: tuple[str, ...] = OPEN_STATES
    team_id: int | None = None
    urgency: str | None = None
    sort: str = "priority"

    def __post_init__(self) -> None:
        unknown = [s for s in self.states if s not in STATES]
        if unknown:
            raise InvalidInputError(
                f"未知的状态：{'、'.join(unknown)}", f"unknown state: {', '.join(unknown)}"
            )
        if self.sort not in SORTS:
            raise InvalidInputError(f"未知的排序：{self.sort}", f"unknown order: {self.sort}")
        if self.urgency is not None and self.urgency not in priority.URGENCY:
            raise InvalidInputError(
                f"未知的紧急程度：{self.urgency}", f"unknown urgency: {self.urgency}"
            )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def ordered_ids(
    session: Session, *, incident: Incident, filters: Filters, now: datetime | None = None
) -> Select[int]:
    """Return the SELECT of the ids of ``incident``'s requests matching ``filters``, in order."""
    query = select(HelpRequest.id).where(HelpRequest.incident_id == incident.id)
    if filters.states:
        query = query.where(HelpRequest.state.in_(filters.states))
    else:
        query = query.where(HelpRequest.state != "merged")
    if filters.team_id is not None:
        query = query.where(HelpRequest.team_id == filters.team_id)
    if filters.urgency is not None:
        query = query.where(HelpRequest.urgency == filters.urgency)
    if filters.sort == "newest":
        return query.order_by(HelpRequest.reported_at.desc(), HelpRequest.id.desc())
    if filters.sort == "oldest":
        return query.order_by(HelpRequest.reported_at, HelpRequest.id)
    score = score_expr(_dialect(session), now=now)
    return query.order_by(score.desc(), HelpRequest.reported_at, HelpRequest.id)


def load(session: Session, ids: Sequence[int]) -> list[HelpRequest]:
    """Return the requests numbered ``ids``, in that order, loaded for viewing."""
    if not ids:
        return []
    rows = session.scalars(
        select(HelpRequest).where(HelpRequest.id.in_(ids)).options(*REQUEST_LOADS)
    )
    found = {r.id: r for r in rows}
    return [found[i] for i in ids if i in found]


def count(session: Session, query: Select[int]) -> int:
    """Return how many rows ``query`` (a SELECT of ids) has."""
    return int(
        session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: the total it was cut from, and its requests in order."""

    total: int
    offset: int
    items: list[HelpRequest]


def page(
    session: Session,
    *,
    incident: Incident,
    filters: Filters,
    offset: int,
    limit: int,
    now: datetime | None = None,
) -> Page:
    """Return one page of ``incident``'s requests matching ``filters`` (count, then rows).

    An offset past the end (a stale link) gives the last page, as the console's pager does.
    """
    query = ordered_ids(session, incident=incident, filters=filters, now=now)
    total, offset, ids = _cut(session, query, offset=offset, limit=limit)
    return Page(total=total, offset=offset, items=load(session, ids))


def _cut(
    session: Session, query: Select[int], *, offset: int, limit: int
) -> tuple[int, int, list[int]]:
    """Return the total of ``query``, the offset clamped to its last page, and that page's ids."""
    total = count(session, query)
    last = max(total - 1, 0) // limit * limit
    offset = min(max(offset, 0), last)
    return total, offset, list(session.scalars(query.offset(offset).limit(limit)))


def candidates(
    session: Session, *, incident: Incident, filters: Filters, now: datetime | None = None
) -> list[HelpRequest]:
    """Return every request matching ``filters`` in order, with the mirrors a text search
    reads (:mod:`zhengwu.rescue.lookup` decides what a viewer may search): the search
    path, where what matches depends on who looks and cannot be asked of SQL."""
    inner = ordered_ids(session, incident=incident, filters=filters, now=now)
    ids = list(session.scalars(inner))
    rows = session.scalars(
        select(HelpRequest)
        .where(HelpRequest.id.in_(select(inner.order_by(None).subquery().c.id)))
        .options(selectinload(HelpRequest.sources))
    )
    found = {r.id: r for r in rows}
    return [found[i] for i in ids if i in found]


def search_page(
    session: Session,
    principal: Principal,
    *,
    incident: Incident,
    filters: Filters,
    q: str | None,
    offset: int,
    limit: int,
    keep: Collection[str] = (),
    now: datetime | None = None,
) -> Page:
    """Return one page of the requests matching ``filters`` and the search ``q``.

    Without a search the database does it all (:func:`page`). A search matches only what
    ``principal`` may read (:mod:`zhengwu.rescue.lookup`: masked texts for the public),
    which SQL cannot tell: the filtered rows are then searched here, lightly loaded, and
    only the page found is loaded for viewing.
    """
    if not lookup.parse(q):
        return page(session, incident=incident, filters=filters, offset=offset, limit=limit,
                    now=now)  # fmt: skip
    found = lookup.search(
        principal, candidates(session, incident=incident, filters=filters, now=now), q, keep=keep
    )
    total = len(found)
    offset = min(max(offset, 0), max(total - 1, 0) // limit * limit)
    return Page(total=total, offset=offset,
                items=load(session, [r.id for r in found[offset : offset + limit]]))  # fmt: skip


# -- counts --------------------------------------------------------------------------------


def state_counts(session: Session, *, incident: Incident) -> dict[str, int]:
    """Return ``incident``'s requests counted by state (every listed state, zero included)."""
    return counts_by_incident(session, incident_ids=[incident.id]).get(
        incident.id, dict.fromkeys(LISTED_STATES, 0)
    )


def counts_by_incident(
    session: Session, *, incident_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Return the requests of each incident counted by state, in one GROUP BY."""
    out = {i: dict.fromkeys(LISTED_STATES, 0) for i in incident_ids}
    if not incident_ids:
        return out
    rows = session.execute(
        select(HelpRequest.incident_id, HelpRequest.state, func.count())
        .where(_listed(incident_ids))
        .group_by(HelpRequest.incident_id, HelpRequest.state)
    )
    for incident_id, state, n in rows:
        out[int(incident_id)][str(state)] = int(n)
    return out


def adcode_counts(session: Session, *, incident: Incident) -> list[tuple[str | None, str, int]]:
    """Return ``(adcode, state, count)`` of ``incident``'s requests, grouped in SQL."""
    rows = session.execute(
        select(HelpRequest.adcode, HelpRequest.state, func.count())
        .where(_listed([incident.id]))
        .group_by(HelpRequest.adcode, HelpRequest.state)
        .order_by(HelpRequest.adcode, HelpRequest.state)
    )
    return [(adcode, str(state), int(n)) for adcode, state, n in rows]


def area_counts(session: Session, *, incident: Incident) -> dict[str, dict[str, int]]:
    """Return ``incident``'s requests by county (区县) name and state, as the board shows."""
    by_area: dict[str, dict[str, int]] = {}
    for adcode, state, n in adcode_counts(session, incident=incident):
        area = by_area.setdefault(access.area_name(adcode) or "未知区县", {})
        area[state] = area.get(state, 0) + n
    return dict(sorted(by_area.items()))


def adcodes_repeated(session: Session, *, incident: Incident) -> list[str | None]:
    """Return each request's adcode (repeated as often as it occurs), for the county map,
    from the grouped counts rather than the rows."""
    out: list[str | None] = []
    for adcode, _, n in adcode_counts(session, incident=incident):
        out.extend([adcode] * n)
    return out


def people_sums(session: Session, *, incident: Incident) -> tuple[int, int]:
    """Return the people the requests list (one where unknown) and the people helped."""
    total, helped = session.execute(
        select(
            func.coalesce(func.sum(func.coalesce(func.nullif(HelpRequest.people_total, 0), 1)), 0),
            func.coalesce(func.sum(HelpRequest.people_helped), 0),
        ).where(_listed([incident.id]))
    ).one()
    return int(total), int(helped)


def notices_page(session: Session, *, incident: Incident, offset: int, limit: int) -> Page:
    """Return one page of ``incident``'s closed requests, the latest closed first."""
    closed_at = func.coalesce(HelpRequest.resolved_at, HelpRequest.reported_at)
    query = (
        select(HelpRequest.id)
        .where(HelpRequest.incident_id == incident.id, HelpRequest.state.in_(CLOSED_STATES))
        .order_by(closed_at.desc(), HelpRequest.id.desc())
    )
    total, offset, ids = _cut(session, query, offset=offset, limit=limit)
    rows = session.scalars(select(HelpRequest).where(HelpRequest.id.in_(ids))) if ids else ()
    found = {r.id: r for r in rows}
    return Page(total=total, offset=offset, items=[found[i] for i in ids if i in found])


def _minutes_between(start: Any, end: Any, dialect: str) -> ColumnElement[Any]:
    """Minutes from ``start`` to ``end`` (NULL when either is)."""
    if dialect == "postgresql":
        return (func.extract("epoch", end) - func.extract("epoch", start)) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _step_end(end: str) -> ColumnElement[Any]:
    """The column a step ends at; a request its citizen withdrew (self-rescued, withdrawn)
    was not resolved by the network, so it ends no ``…_to_resolved`` step (NULL)."""
    column: ColumnElement[Any] = getattr(HelpRequest, end)
    if end != "resolved_at":
        return column
    return case((HelpRequest.outcome.in_(WITHDRAWN_OUTCOMES), None), else_=column)


def step_minutes(
    session: Session, *, incident: Incident, steps: dict[str, tuple[str, str]]
) -> dict[str, list[float]]:
    """Return, for each step ``name → (start column, end column)``, the minutes it took in
    each of ``incident``'s requests that took it (end at or after start).

    The database subtracts the timestamps: only numbers come back, no request objects.
    """
    dialect = _dialect(session)
    columns = [
        _minutes_between(getattr(HelpRequest, start), _step_end(end), dialect)
        for start, end in steps.values()
    ]
    out: dict[str, list[float]] = {name: [] for name in steps}
    ends = dict.fromkeys(getattr(HelpRequest, end) for _, end in steps.values())
    rows = session.execute(
        select(*columns).where(
            _listed([incident.id]),
            or_(*(column.is_not(None) for column in ends)),  # a request that took no step yet
        )
    )
    for row in rows:
        for name, value in zip(steps, row, strict=True):
            # Equal timestamps may differ by float noise (julianday): within a millisecond
            # counts as zero minutes, as the Python comparison ``end >= start`` would.
            if value is not None and value > -1e-5:
                out[name].append(max(float(value), 0.0))
    return out
