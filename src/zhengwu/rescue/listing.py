"""Lists of help requests computed by the database: filters, order, counts and pages (列表).

An incident may hold tens of thousands of requests; the queue, a team's view and the
public board show a page of them. Everything that decides which rows are on the page —
the filters, the priority order, the totals and the counts by state or county — is one
SQL query, and only the page's rows are loaded as objects (with what their views need).

The priority order is :mod:`zhengwu.rescue.priority`'s score, read from an index rather
than computed over every row: a request stores the clock-free part of its score in tenths
(``priority_base``) and that less the clock mark of its ``reported_at``
(``priority_fresh``). At the moment ``now`` (clock mark ``M``) a request scores, in tenths,

- ``priority_base + 240`` when reported 240 marks (24 hours) or more before ``M``,
- ``priority_fresh + M`` when reported since (its base plus the marks it waited),
- ``priority_base`` when reported after ``M`` (a stated time ahead of the clock),

and each of these three groups, read in its index order (``ix_help_requests_priority``,
``…_priority_fresh``), is already in score order. The page takes the first ``offset +
limit`` of each group and merges them (:func:`ordered_ids`): the cost grows with the
depth of the page, not with the size of the incident. Ties go to the request waiting
longest, then the lower number: the order is total, so consecutive pages never repeat or
skip a request, and it is exactly :func:`zhengwu.rescue.service.rank`'s.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError
from zhengwu.rescue import access, clock, lookup, priority
from zhengwu.rescue.models import STATES, HelpRequest, Incident
from zhengwu.rescue.notices import WITHDRAWN_OUTCOMES
from zhengwu.rescue.service import REQUEST_LOADS
from zhengwu.rescue.workflow import OPEN_STATES

# The orders a list can take: by priority (the triage order), or by when people asked.
SORTS = {"priority": "优先级", "oldest": "最早求助在前", "newest": "最新求助在前"}
CLOSED_STATES = ("resolved", "announced")
# A request merged by hand into another (``merged``) is listed and counted nowhere: its
# survivor stands for it (its people, posts and phones). Only an explicit state filter
# shows it.
LISTED_STATES = tuple(s for s in STATES if s != "merged")


def of_team(team_id: int | None) -> ColumnElement[bool]:
    """The requests held by ``team_id`` (None: no condition) — a team filter, and a team
    member's whole view (:func:`zhengwu.rescue.access.team_scope`): their queue and its
    counts take this one condition."""
    return and_(true(), HelpRequest.held_by(team_id)) if team_id is not None else true()


def _incident_in(
    incident_ids: Collection[int], team_id: int | None, dialect: str | None
) -> ColumnElement[bool]:
    """``incident_id IN incident_ids``, put so that a team's count is read from the team's
    rows. SQLite keeps no statistics: given an incident and a team it would walk the whole
    incident in ``ix_help_requests_incident_state`` (or, for the county map,
    ``…_incident_adcode_state``) and look every row up for its team (a team's queue counts
    cost 5–20 times the incident's). ``incident_id + 0`` is served by no index, so it reads
    the team's rows from ``ix_help_requests_team_queue``, which holds every
    column the counts read (0032: no table lookups). PostgreSQL chooses by its statistics
    (the same index, index-only): the plain column."""
    column = HelpRequest.incident_id
    if team_id is not None and dialect == "sqlite":
        return (column + 0).in_(incident_ids)
    ids = list(incident_ids)
    return column == ids[0] if len(ids) == 1 else column.in_(ids)


def _listed(
    incident_ids: Collection[int], team_id: int | None = None, dialect: str | None = None
) -> ColumnElement[bool]:
    """The requests of ``incident_ids`` (of ``team_id`` when given) that lists and counts
    take: all but merged ones. ``dialect``: the database's (for :func:`_incident_in`)."""
    return and_(
        _incident_in(incident_ids, team_id, dialect), HelpRequest.state != "merged",
        of_team(team_id),
    )  # fmt: skip


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


def filtered_ids(
    incident: Incident, filters: Filters, *, dialect: str | None = None
) -> Select[int]:
    """Return the SELECT of the ids of ``incident``'s requests matching ``filters`` (no order).

    ``dialect``, for a count: a team's rows are then read by the team's index on SQLite
    (:func:`_incident_in`); the ordered pages read the priority indexes and leave it out.
    """
    query = select(HelpRequest.id).where(_incident_in([incident.id], filters.team_id, dialect))
    if filters.states:
        query = query.where(HelpRequest.state.in_(filters.states))
    else:
        query = query.where(HelpRequest.state != "merged")
    if filters.team_id is not None:
        query = query.where(of_team(filters.team_id))
    if filters.urgency is not None:
        query = query.where(HelpRequest.urgency == filters.urgency)
    return query


def _mark_start(mark: int) -> datetime:
    """The moment clock mark ``mark`` begins (UTC)."""
    return datetime.fromtimestamp(mark * priority.MARK_SECONDS, tz=UTC)


def ordered_ids(
    session: Session,
    *,
    incident: Incident,
    filters: Filters,
    now: datetime | None = None,
    first: int | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> Select[int]:
    """Return the SELECT of the ids of ``incident``'s requests matching ``filters`` (and the
    extra conditions ``where``), in order.

    ``first`` (offset + limit of the page wanted) bounds how many rows of each priority
    group are read; None reads them all (an export).
    """
    query = filtered_ids(incident, filters).where(*where)
    if filters.sort == "newest":
        return query.order_by(HelpRequest.reported_at.desc(), HelpRequest.id.desc())
    if filters.sort == "oldest":
        return query.order_by(HelpRequest.reported_at, HelpRequest.id)
    mark = priority.mark(now or clock.now(session, incident.id))
    long_ago = _mark_start(mark - priority.MAX_MARKS + 1)  # reported before: waited 24 h
    ahead = _mark_start(mark + 1)  # reported from then on: not waiting yet
    reported, rid = HelpRequest.reported_at, HelpRequest.id
    # SQLite's planner would rather read the time range by its index and sort it: there
    # the range is put as an expression no index serves, so the priority indexes are read.
    ranged = func.coalesce(reported, reported) if _dialect(session) == "sqlite" else reported
    groups = (
        (ranged < long_ago, HelpRequest.priority_base, priority.MAX_MARKS),
        (and_(ranged >= long_ago, ranged < ahead), HelpRequest.priority_fresh, mark),
        (reported >= ahead, HelpRequest.priority_base, 0),  # rare (a time ahead): sorted
    )
    legs = []
    for condition, key, plus in groups:
        leg = (
            query.add_columns((key + plus).label("tenths"), reported.label("reported"))
            .where(condition)
            .order_by(key.desc(), reported, rid)
        )
        if first is not None:
            leg = leg.limit(first)
        legs.append(select(leg.subquery()))  # a subquery: SQLite orders no compound member
    merged = union_all(*legs).subquery()
    return select(merged.c.id).order_by(merged.c.tenths.desc(), merged.c.reported, merged.c.id)


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
    where: Sequence[ColumnElement[bool]] = (),
) -> Page:
    """Return one page of ``incident``'s requests matching ``filters`` (count, then rows).

    An offset past the end (a stale link) gives the last page, as the console's pager does.
    """
    total = count(session, filtered_ids(incident, filters, dialect=_dialect(session)).where(*where))
    offset = _clamp(total, offset, limit)
    query = ordered_ids(session, incident=incident, filters=filters, now=now,
                        first=offset + limit, where=where)  # fmt: skip
    ids = list(session.scalars(query.offset(offset).limit(limit)))
    return Page(total=total, offset=offset, items=load(session, ids))


def _clamp(total: int, offset: int, limit: int) -> int:
    """Return ``offset`` clamped to the last page of ``total`` rows (a stale link)."""
    return min(max(offset, 0), max(total - 1, 0) // limit * limit)


def _cut(
    session: Session, query: Select[int], *, offset: int, limit: int
) -> tuple[int, int, list[int]]:
    """Return the total of ``query``, the offset clamped to its last page, and that page's ids."""
    total = count(session, query)
    offset = _clamp(total, offset, limit)
    return total, offset, list(session.scalars(query.offset(offset).limit(limit)))


def search_page(
    session: Session,
    principal: Principal,
    *,
    incident: Incident,
    filters: Filters,
    q: str | None,
    offset: int,
    limit: int,
    now: datetime | None = None,
) -> Page:
    """Return one page of the requests matching ``filters`` and the search ``q``.

    The search is SQL on the stored search texts (:func:`lookup.sql_conditions`), with
    the filters, the order, the count and the page. Everyone who may search a queue sees
    what it lists in full: dispatchers, verifiers and admins every request, a team member
    only their own team's (:func:`zhengwu.rescue.access.team_scope`, forced here too), so
    what the SQL finds is the answer — no request is matched on text its viewer could
    not read.
    """
    scope = access.team_scope(principal)
    if scope is not None and filters.team_id != scope:
        filters = replace(filters, team_id=scope)
    where = lookup.sql_conditions(lookup.parse(q), _dialect(session))
    return page(session, incident=incident, filters=filters, offset=offset, limit=limit,
                now=now, where=where)  # fmt: skip


# -- counts --------------------------------------------------------------------------------


def state_counts(
    session: Session, *, incident: Incident, team_id: int | None = None
) -> dict[str, int]:
    """Return ``incident``'s requests (``team_id``'s only, when given) counted by state
    (every listed state, zero included): one GROUP BY on ``ix_help_requests_incident_state``."""
    if team_id is None:
        return counts_by_incident(session, incident_ids=[incident.id])[incident.id]
    out = dict.fromkeys(LISTED_STATES, 0)
    rows = session.execute(
        select(HelpRequest.state, func.count())
        .where(_listed([incident.id], team_id, _dialect(session)))
        .group_by(HelpRequest.state)
    )
    for state, n in rows:
        out[str(state)] = int(n)
    return out


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
    """Return ``(adcode, state, count)`` of ``incident``'s requests, grouped in SQL
    (``ix_help_requests_incident_adcode_state`` covers it)."""
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


def adcode_totals(
    session: Session, *, incident: Incident, team_id: int | None = None
) -> dict[str | None, int]:
    """Return how many of ``incident``'s requests (``team_id``'s only, when given) each
    adcode has, for the county map: one GROUP BY, a row per place, not per request."""
    return adcode_totals_of(session, incident_ids=[incident.id], team_id=team_id)


def adcode_totals_of(
    session: Session, *, incident_ids: Sequence[int], team_id: int | None = None
) -> dict[str | None, int]:
    """Return how many listed requests of ``incident_ids`` (``team_id``'s only, when
    given) each adcode has — merged ones left out, as in every list and count here."""
    if not incident_ids:
        return {}
    rows = session.execute(
        select(HelpRequest.adcode, func.count())
        .where(_listed(incident_ids, team_id, _dialect(session)))
        .group_by(HelpRequest.adcode)
    )
    return {adcode: int(n) for adcode, n in rows}


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


def _step_end(end: str) -> ColumnElement[Any]:
    """The column a step ends at; a request its citizen withdrew (self-rescued, withdrawn)
    was not resolved by the network, so it ends no ``…_to_resolved`` step (NULL)."""
    column: ColumnElement[Any] = getattr(HelpRequest, end)
    if end != "resolved_at":
        return column
    return case((HelpRequest.outcome.in_(WITHDRAWN_OUTCOMES), None), else_=column)


def _step_start(start: str) -> ColumnElement[Any]:
    """The column a step starts at; a request whose report time is unknown (a sheet row
    without a 时间, taken in at the import's time) starts no step from ``reported_at``
    (NULL): its 0 minutes to a verification by the same import are no response time."""
    column: ColumnElement[Any] = getattr(HelpRequest, start)
    if start != "reported_at":
        return column
    return case((HelpRequest.reported_at_known, column), else_=None)


def untimed_counts(
    session: Session, *, incident: Incident, steps: dict[str, tuple[str, str]]
) -> dict[str, int]:
    """Return, for each step from ``reported_at``, how many of ``incident``'s requests took
    it but were left out of its times because their report time is unknown."""
    ends = {name: _step_end(end) for name, (start, end) in steps.items() if start == "reported_at"}
    if not ends:
        return {}
    row = session.execute(
        select(*(func.count(column).label(name) for name, column in ends.items())).where(
            _listed([incident.id]), HelpRequest.reported_at_known.is_(False)
        )
    ).one()
    return {name: int(getattr(row, name) or 0) for name in ends}


def _instant(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """``column`` read at the least cost that keeps it exact: on PostgreSQL whole
    microseconds since 1970 (``extract`` is a numeric there), on SQLite its stored text
    (parsed by :func:`step_minutes`) — neither through :class:`~zhengwu.db.base.UtcDateTime`'s
    per-value processing."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", column) * 1_000_000, BigInteger)
    return type_coerce(column, String)


def step_minutes(
    session: Session, *, incident: Incident, steps: dict[str, tuple[str, str]]
) -> dict[str, list[float]]:
    """Return, for each step ``name → (start column, end column)``, the minutes it took in
    each of ``incident``'s requests that took it (end at or after start), in ascending order.

    Exactly Python's ``(end - start).total_seconds()
    / 60``, for a third less CPU than the database's float arithmetic it replaces: one
    Core query of the timestamps the steps read, each once, no ORM rows. PostgreSQL gives
    integer microseconds (``total_seconds()`` divides them by 10**6 the same way);
    SQLite's text is parsed by ``datetime.fromisoformat``, cheaper than SQLite's own date
    functions (``julianday`` also keeps only milliseconds, as a float).
    """
    dialect = _dialect(session)
    # A step ending at resolved_at ends at the network's resolution only (_step_end).
    points = sorted(
        {("end" if end == "resolved_at" else "at", end) for _, end in steps.values()}
        | {("at", start) for start, _ in steps.values()}
    )
    columns = [
        _instant(_step_end(name) if kind == "end" else _step_start(name), dialect)
        for kind, name in points
    ]
    ends = dict.fromkeys(getattr(HelpRequest, end) for _, end in steps.values())
    result = session.connection().execute(
        select(*columns).where(
            _listed([incident.id]),
            or_(*(column.is_not(None) for column in ends)),  # a request that took no step yet
        )
    )
    # Read in small parts into one list per point: tens of thousands of rows held at once
    # would outlive the collector's young generations and cost full collections.
    at: dict[tuple[str, str], list[Any]] = {point: [] for point in points}
    lists = [at[point] for point in points]
    parse = datetime.fromisoformat if dialect != "postgresql" else None
    for part in result.partitions(500):
        for values, into in zip(zip(*part, strict=True), lists, strict=True):
            into.extend(values if parse is None else [v and parse(v) for v in values])
    out: dict[str, list[float]] = {}
    for name, (start, end) in steps.items():
        pairs = zip(at[("at", start)], at[("end" if end == "resolved_at" else "at", end)],
                    strict=True)  # fmt: skip
        if parse is None:  # microseconds
            out[name] = sorted([
                (e - s) / 1_000_000 / 60 for s, e in pairs
                if s is not None and e is not None and e >= s
            ])  # fmt: skip
        else:
            out[name] = sorted([
                (e - s).total_seconds() / 60 for s, e in pairs
                if s is not None and e is not None and e >= s
            ])  # fmt: skip
    return out
