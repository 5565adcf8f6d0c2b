"""Rates of the service desk per organisation, matrix, category and period.

Definitions (a period holds the requests *received* in it, China local time; requests
closed as duplicate or invalid are not counted — they are not separate problems):

- n: requests received;
- 回应率 response_rate = requests with a first response (受理, a reply or the closing) / n;
- response_ontime_rate = first responses within the response deadline / n;
- 办结率 resolution_rate = requests resolved (办结; a reopened one only once re-resolved) / n;
- 按时办结率 ontime_rate = resolved by the (possibly extended) deadline / resolved;
- 满意率 satisfaction_rate = ratings of 4 or 5 / ratings (回访). **Every rating the citizen
  gave counts, once each**, not only the latest: a 不满意 stays counted when the request is
  reopened (重启), and the rating after the new handling counts as well (``followed_up`` is
  the number of ratings). So reopening never erases a bad rating from the rate;
- handling time: **working days** (fractional, on the desk's calendar) from receipt to
  resolution, mean and median over the resolved requests.

A rate whose denominator is 0 is None (null), never 0 or 1.

By matrix, a matrix's row counts the requests of its whole subtree (its own queue, its
sub-matrices' queues and the organisations running accounts in any of them) — what its
office sees (:mod:`zhengwu.servicedesk.access`).

Scoped to a principal (``within``, what ``GET /api/desk/rates`` does), the rates count only
the requests that principal reads (:func:`zhengwu.servicedesk.access.readable_ways`), and
keep only its own groups: a handler (operator) gets the row of its own organisation (by
category or channel: its organisation's requests by category or channel) and no matrix rows;
a matrix office gets the organisations handling its requests, its matrix and the matrices
below it (never a parent's or a sibling's row), and the categories and channels of its
requests. An admin sees everything. By channel, a request counts in the channel it first
came by (``source``: 12345, 信件, 来访, 短信, 微博 …).
"""

from __future__ import annotations

import csv
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, InvalidInputError
from zhengwu.servicedesk import access, deadlines, workdays
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import SOURCE_LABELS, RequestRating, ServiceRequest
from zhengwu.sheetcells import sheet_cell

GroupBy = Literal["organization", "matrix", "category", "channel"]
_CN = ZoneInfo("Asia/Shanghai")
_NOT_COUNTED = ("duplicate", "invalid")


@dataclass(slots=True)
class RateRow:
    """The rates of one group (organisation, matrix or first-level category) in a period."""

    key: str
    name: str
    n: int = 0
    responded: int = 0
    responded_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    followed_up: int = 0
    satisfied: int = 0
    response_rate: float | None = None
    response_ontime_rate: float | None = None
    resolution_rate: float | None = None
    ontime_rate: float | None = None
    satisfaction_rate: float | None = None
    mean_handling_days: float | None = None
    median_handling_days: float | None = None


def latest_month(session: Session, query: Select[ServiceRequest]) -> str | None:
    """Return the China month (``2025-07``) of the latest request ``query`` selects, or None.

    The default period of pages that show rates or maps: the latest month with data, not
    the calendar month (demo and imported data are often older than today).
    """
    latest = session.scalar(
        query.with_only_columns(func.max(ServiceRequest.received_at)).order_by(None)
    )
    return None if latest is None else _china_month(latest)


def latest_readable_month(session: Session, principal: Principal) -> str | None:
    """Return the China month of the latest request ``principal`` reads, or None.

    ``latest_month(session, access.readable_requests(principal))``, by index probes
    (:func:`zhengwu.servicedesk.access.latest_received`).
    """
    latest = access.latest_received(session, principal)
    return None if latest is None else _china_month(latest)


def _china_month(at: datetime) -> str:
    """Return the China month (``2025-07``) of a stored time (a backend may hand UTC back naive)."""
    return f"{(at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(_CN):%Y-%m}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """Return [start, end) of a period: ``2025``, ``2025-Q3``, ``2025-07``, ``2025-07-01``,
    or ``2025-07-01..2025-07-15`` (inclusive days), in China local time."""

    def at(d: date) -> datetime:
        return datetime.combine(d, time(), tzinfo=_CN)

    p = period.strip()
    try:
        if ".." in p:
            a, b = p.split("..", 1)
            first, last = date.fromisoformat(a), date.fromisoformat(b)
            if last < first:  # an empty period would read as rates of nothing, silently
                raise InvalidInputError(
                    f"统计周期的结束日期 {last} 早于开始日期 {first}：{period}",
                    f"the period's last day {last} is before its first {first}: {period!r}",
                )
            return at(first), at(last + timedelta(days=1))
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", p):
            y, q = int(m[1]), int(m[2])
            start = date(y, 3 * q - 2, 1)
            end = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
            return at(start), at(end)
        if re.fullmatch(r"\d{4}", p):
            return at(date(int(p), 1, 1)), at(date(int(p) + 1, 1, 1))
        if m := re.fullmatch(r"(\d{4})-(\d{2})", p):
            y, mo = int(m[1]), int(m[2])
            return at(date(y, mo, 1)), at(date(y + mo // 12, mo % 12 + 1, 1))
        d = date.fromisoformat(p)
        return at(d), at(d + timedelta(days=1))
    except ValueError:
        raise InvalidInputError(
            f"无法识别的统计周期：{period}（如 2025-07、2025-Q3、2025）",
            f"unreadable period {period!r} (e.g. 2025-07, 2025-Q3, 2025)",
        ) from None


def months_with_requests(session: Session, *, limit: int = 24) -> list[str]:
    """Return the months (``2025-07``, China time) that received counted requests, newest
    first, at most ``limit`` of them.

    One indexed ``max(received_at)`` per month found, walking back from the newest: no scan
    of the table, however many requests a month holds.
    """
    sr = ServiceRequest
    months: list[str] = []
    before: datetime | None = None
    while len(months) < limit:
        query = select(func.max(sr.received_at)).where(sr.state.not_in(_NOT_COUNTED))
        if before is not None:
            query = query.where(sr.received_at < before)
        latest = session.scalar(query)
        if latest is None:
            break
        month = _china_month(latest)
        months.append(month)
        before = period_bounds(month)[0]
    return months


def _bound(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=_CN)
    return datetime.combine(value, time(), tzinfo=_CN)


def ratio(a: int, b: int) -> float | None:
    """Return a / b rounded to 4 places, as every rate is shown (None when b is 0)."""
    return round(a / b, 4) if b else None


def _finish(row: RateRow, days: list[float]) -> RateRow:
    row.response_rate = ratio(row.responded, row.n)
    row.response_ontime_rate = ratio(row.responded_on_time, row.n)
    row.resolution_rate = ratio(row.resolved, row.n)
    row.ontime_rate = ratio(row.resolved_on_time, row.resolved)
    row.satisfaction_rate = ratio(row.satisfied, row.followed_up)
    if days:
        row.mean_handling_days = round(statistics.fmean(days), 2)
        row.median_handling_days = round(statistics.median(days), 2)
    return row


class _Clock:
    """Working time as a running total, so handling time is one subtraction per request.

    ``W(t)`` is the working time from a fixed day to ``t`` (in China time): whole working
    days before ``t``'s date, plus the time of day when that date is a working day. The
    working time from a request's clock start to ``b`` (what
    :func:`zhengwu.servicedesk.deadlines.working_days_between` walks day by day) is then
    ``W(b) - W(clock start)`` in whole microseconds — exactly the same timedelta, so the
    same float once divided by a day. Dates before the fixed day fall back to the walk.
    """

    BASE = date(2000, 1, 1)
    _DAY_US = 86_400_000_000
    _START_US = 9 * 3_600_000_000  # the clock starts at 09:00 after a day off

    def __init__(self, calendar: workdays.WorkCalendar) -> None:
        self._calendar = calendar
        self._cum: list[int] = [0]  # working days before BASE + i
        self._working: list[bool] = []

    def _extend(self, upto: int) -> None:
        cal = self._calendar
        while len(self._working) <= upto:
            day = self.BASE + timedelta(days=len(self._working))
            working = cal.is_working_day(day)
            self._working.append(working)
            self._cum.append(self._cum[-1] + working)

    def days(self, a: datetime, b: datetime) -> float:
        """Return ``max(working_days_between(a, b), 0)`` on this clock's calendar."""
        la, lb = a.astimezone(_CN), b.astimezone(_CN)
        ia, ib = (la.date() - self.BASE).days, (lb.date() - self.BASE).days
        if ia < 0 or ib < 0:
            return max(workdays.working_days_between(a, b, calendar=self._calendar), 0.0)
        self._extend(max(ia, ib) + 400)
        if b < a:
            return 0.0
        if self._working[ia]:
            start = self._cum[ia] * self._DAY_US + _us_of_day(la)
        else:  # the clock starts at 09:00 of the next working day
            nxt = ia + 1
            while not self._working[nxt]:
                nxt += 1
                self._extend(nxt + 1)
            start = self._cum[nxt] * self._DAY_US + self._START_US
        end = self._cum[ib] * self._DAY_US + (_us_of_day(lb) if self._working[ib] else 0)
        return max(end - start, 0) / self._DAY_US


def _us_of_day(local: datetime) -> int:
    return ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond


_CLOCKS: dict[workdays.WorkCalendar, _Clock] = {}


def _clock() -> _Clock:
    """Return the running-total clock of the desk's calendar in force (a new file: a new one)."""
    cal = deadlines.calendar()
    clock = _CLOCKS.get(cal)
    if clock is None:
        _CLOCKS.clear()  # the calendar changed: the old totals are of no more use
        clock = _CLOCKS[cal] = _Clock(cal)
    return clock


_Q = TypeVar("_Q", bound=Select[*tuple[Any, ...]])
_IN_LIMIT = 2000  # more ids than this: read the whole (small) table instead of a long IN


def _only(query: _Q, column: Any, ids: set[Any]) -> _Q:
    """Restrict ``query`` to ``column IN ids`` when that list is short."""
    return query.where(column.in_(ids)) if len(ids) <= _IN_LIMIT else query


def _group_maps(
    session: Session, by: GroupBy, parts: Iterable[tuple[Any, ...]]
) -> dict[tuple[Any, ...], list[tuple[str, str]]]:
    """Return each part (the SQL GROUP BY key) → the (key, name) groups its requests count in."""
    out: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
    parts = set(parts)
    if by == "organization":
        ids = {p[0] for p in parts if p[0]}
        named = select(Organization.id, Organization.name)
        names: dict[int, str] = {
            int(i): str(n) for i, n in session.execute(_only(named, Organization.id, ids))
        }
        for part in parts:
            oid = part[0]
            out[part] = [(str(oid), names.get(oid, "")) if oid else ("-", "未派单")]
    elif by == "channel":
        for part in parts:
            out[part] = [(str(part[0]), SOURCE_LABELS.get(part[0], str(part[0])))]
    elif by == "category":
        tree = category_service.get_tree(session, include_inactive=True)
        labels = {c.code: c.name for c in tree}
        for part in parts:
            top = category_service.top_level(tree, part[0])
            out[part] = [(top, labels[top]) if top else ("-", "未分类")]
    else:
        matrices: dict[int, str] = {}
        parent: dict[int, int | None] = {}
        for mid, name, up in session.execute(select(Matrix.id, Matrix.name, Matrix.parent_id)):
            matrices[mid], parent[mid] = name, up
        of_org: dict[int, set[int]] = defaultdict(set)
        orgs = {p[0] for p in parts if p[0]}
        links = (
            select(Account.organization_id, MatrixMember.matrix_id)
            .join(MatrixMember, MatrixMember.account_id == Account.id)
            .where(Account.organization_id.is_not(None))
            .distinct()
        )
        rows = session.execute(_only(links, Account.organization_id, orgs))
        for oid, mid in rows:
            if oid is not None:
                of_org[oid].add(mid)
        for part in parts:
            oid, matrix_id = part
            ids = set(of_org.get(oid, set())) if oid else set()
            if matrix_id is not None:
                ids.add(matrix_id)
            ids = _with_ancestors(ids, parent)
            out[part] = [(str(m), matrices.get(m, "")) for m in sorted(ids)] or [("-", "无矩阵")]
    return out


def _with_ancestors(ids: set[int], parent: dict[int, int | None]) -> set[int]:
    """Return ``ids`` and every matrix above them: a matrix's row counts its subtree."""
    found = set(ids)
    for mid in ids:
        up = parent.get(mid)
        while up is not None and up not in found:
            found.add(up)
            up = parent.get(up)
    return found


_PART_COLUMNS = {
    "organization": (ServiceRequest.organization_id,),
    "category": (ServiceRequest.category_code,),
    "channel": (ServiceRequest.source,),
    "matrix": (ServiceRequest.organization_id, ServiceRequest.matrix_id),
}
_COUNTS = ("n", "responded", "responded_on_time", "resolved", "resolved_on_time", "followed_up",
           "satisfied")  # fmt: skip


def _scope(
    session: Session, principal: Principal | None, by: GroupBy
) -> tuple[list[ColumnElement[bool]], set[str] | None]:
    """Return the extra WHERE and the group keys kept (None: all) of ``principal``'s rates.

    Raises ForbiddenError for a role that reads no request, or a handler asking by matrix.
    """
    if principal is None or principal.role == "admin":
        return [], None
    ways = access.readable_ways(principal) if access.reads_requests(principal) else []
    if not ways:
        raise ForbiddenError("无权查看诉求办理统计", "not allowed to read the desk's rates")
    where: list[ColumnElement[bool]] = [or_(*ways)]
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        if by == "matrix":
            below = session.scalars(access.office_matrices(principal.matrix_id))
            return where, {str(m) for m in below}
        return where, None  # only its requests are counted: their organisations, categories
    if by == "matrix":
        raise ForbiddenError(
            "经办单位只能按单位、类别或渠道查看办理统计（by=organization、category 或 channel）",
            "a handler reads its rates by organisation, category or channel, not by matrix",
        )
    if by == "organization":
        return where, {str(principal.organization_id)}
    return where, None


def compute(
    session: Session, *, start: date | datetime, end: date | datetime,
    by: GroupBy = "organization", within: Principal | None = None,
) -> list[RateRow]:  # fmt: skip
    """Return the rates of every group over the requests received in [start, end).

    ``within``: only the requests and groups that principal oversees (see the module's
    docstring); None counts everything (the CLI, the public board, the index).

    The counts are one GROUP BY in the database (by organisation, category, or organisation
    and matrix — a bounded number of rows, merged here into the groups). Handling time needs
    each resolved request's working days (for the median): only their two timestamps and
    group columns are read, and the working time is one subtraction each (:class:`_Clock`).
    """
    part = _PART_COLUMNS[by]
    scoped, kept = _scope(session, within, by)
    return _rates(
        session, _counted(start, end, scoped), part,
        lambda parts: _group_maps(session, by, parts), kept,
    )  # fmt: skip


def matrix_row(
    session: Session, matrix: Matrix, *, start: date | datetime, end: date | datetime
) -> RateRow | None:
    """Return ``matrix``'s row of :func:`compute` (``by="matrix"``), or None without requests.

    The same figures as picking the row out of ``compute(..., by="matrix")``, but only the
    requests that row counts are read (:func:`_matrix_rows`) instead of every request of the
    period grouped for every matrix of the country.
    """
    return matrix_figures(session, matrix, start=start, end=end).row


@dataclass(frozen=True, slots=True)
class MatrixFigures:
    """A matrix's desk figures of a period: its row of the rates (None without requests) and
    the same requests — its 受理量 — by ``adcode`` (None: no place), adding up to ``row.n``."""

    row: RateRow | None
    adcodes: Counter[str | None]


def matrix_figures(
    session: Session, matrix: Matrix, *, start: date | datetime, end: date | datetime
) -> MatrixFigures:
    """Return ``matrix``'s row of the rates (:func:`matrix_row`) and its requests by place
    (:func:`matrix_adcodes`) from one read of those requests: the matrix page shows both.

    The rows are a CTE and the counts (grouped by ``adcode`` too), ratings and handling
    times one statement over it, so the database selects them once: for a national matrix
    that selection is 0.4–0.5 s of PostgreSQL, which the page's map paid a second time
    when it counted the places in a statement of its own.
    """
    sr = ServiceRequest
    columns = (sr.id, sr.adcode, sr.received_at, sr.first_response_at, sr.response_due,
               sr.resolved_at, sr.resolve_due)  # fmt: skip
    rows = aliased(ServiceRequest, _matrix_rows(session, matrix, start, end, columns),
                   adapt_on_names=True)  # fmt: skip
    group = [(str(matrix.id), matrix.name)]
    by_place: Counter[tuple[Any, ...]] = Counter()
    found = _rates(
        session, (), (rows.adcode,), lambda parts: dict.fromkeys(parts, group), None, rows,
        together=True, tally=by_place,
    )  # fmt: skip
    adcodes: Counter[str | None] = Counter({part[0]: n for part, n in by_place.items() if n})
    return MatrixFigures(next((row for row in found if row.n), None), adcodes)


def matrix_adcodes(
    session: Session, matrix: Matrix, *, start: date | datetime, end: date | datetime
) -> Counter[str | None]:
    """Return the requests :func:`matrix_row` counts — ``matrix``'s 受理量 — by ``adcode``
    (None: no place): one ``GROUP BY`` over the same rows, so the counts add up to the
    row's ``n``. The request map of a matrix (``/console/map?matrix=``) draws them; the
    matrix page reads them with its row (:func:`matrix_figures`)."""
    sr = ServiceRequest
    rows = _matrix_rows(session, matrix, start, end, (sr.id, sr.adcode))
    query = select(rows.c.adcode, func.count()).group_by(rows.c.adcode)
    return Counter({code: int(n) for code, n in session.execute(query)})


def _matrix_rows(
    session: Session, matrix: Matrix, start: date | datetime, end: date | datetime,
    columns: tuple[Any, ...],
) -> Any:  # fmt: skip
    """Return a CTE of ``columns`` (the first: the request's id) of the requests ``matrix``'s
    row counts in [start, end): in the queue of the matrix or of one below it, or led by an
    organisation running an account in one of them (:func:`_counted`: not closed as
    duplicate or invalid). Co-handled (协办) requests are the co-handler's office's to read,
    not counted here."""
    sr = ServiceRequest
    matrices, organizations = access.office_scope(session, matrix.id)
    counted = _counted(start, end, [])
    if isinstance(organizations, list):
        # A few matrices and bodies: one query per way, each on its index (their OR in one
        # query read every request of the period), and their union is counted.
        ways = (sr.matrix_id.in_(matrices), sr.organization_id.in_(organizations))
        return union(*(select(*columns).where(way, *counted) for way in ways)).cte("counted_rows")
    # Most of the country: one pass over the period, joined to the (distinct) bodies and
    # matrices. Not ``IN (subquery) OR …``: with too many ids to hash, the database ran the
    # subquery again for every request.
    bodies = organizations.subquery()
    inside = select(Matrix.id).where(Matrix.id.in_(matrices)).subquery()
    return (
        select(*columns)
        .outerjoin(bodies, bodies.c.organization_id == sr.organization_id)
        .outerjoin(inside, inside.c.id == sr.matrix_id)
        .where(*counted, or_(bodies.c.organization_id.is_not(None), inside.c.id.is_not(None)))
        .cte("counted_rows")
    )


def _counted(
    start: date | datetime, end: date | datetime, scoped: Iterable[ColumnElement[bool]]
) -> tuple[ColumnElement[bool], ...]:
    """Return the WHERE of the requests counted in [start, end): received then, not closed
    as duplicate or invalid, and within ``scoped``."""
    sr = ServiceRequest
    return (
        sr.received_at >= _bound(start),
        sr.received_at < _bound(end),
        sr.state.not_in(_NOT_COUNTED),
        *scoped,
    )


def _rates(
    session: Session,
    where: tuple[ColumnElement[bool], ...],
    part: tuple[Any, ...],
    grouping: Any,
    kept: set[str] | None,
    sr: Any = ServiceRequest,
    *,
    together: bool = False,
    tally: Counter[tuple[Any, ...]] | None = None,
) -> list[RateRow]:
    """Return the rate rows of the requests ``where`` selects, grouped by ``part`` (SQL)
    and then by ``grouping`` (each part's key → the (key, name) groups it counts in).

    ``sr``: the requests table, or an alias of it over rows already selected (a CTE).
    ``together``: read the counts, the ratings and the resolved requests' times in one
    statement (a ``UNION ALL``), so that a CTE behind ``sr`` is selected once, not thrice.
    ``tally``: also count there the requests of each ``part`` (the ``n`` of the SQL groups,
    before they are merged into the groups of ``grouping``).
    """

    def flag(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    responded = sr.first_response_at.is_not(None)
    resolved = sr.resolved_at.is_not(None)
    tallies = (
        func.count(),
        func.count(sr.first_response_at),
        flag(responded & (sr.response_due.is_(None) | (sr.first_response_at <= sr.response_due))),
        func.count(sr.resolved_at),
        flag(resolved & (sr.resolve_due.is_(None) | (sr.resolved_at <= sr.resolve_due))),
    )
    counting = select(*part, *tallies).where(*where).group_by(*part)
    timing = select(*part, sr.received_at, sr.resolved_at).where(*where, resolved)
    # Every 回访 rating counts, a reopened request's earlier ones too (RequestRating).
    rating = RequestRating
    ratings = (
        select(*part, func.count(), flag(rating.satisfaction >= 4))
        .select_from(rating)
        .join(sr, sr.id == rating.request_id)
        .where(*where)
        .group_by(*part)
    )
    width = len(part)
    aggregates: list[Any]
    given: Any
    times: Any
    if together:
        # Rows (*part, received_at, resolved_at, what, *tallies): what = 0 a resolved
        # request's times, 1 the counts, 2 the ratings'. The times come first, so that
        # their columns give the result its types (SQLite's timestamps are text).
        nothing = [cast(null(), BigInteger)] * len(tallies)
        read = session.execute(
            union_all(
                timing.add_columns(literal(0).label("what"), *nothing),
                counting.with_only_columns(*part, null(), null(), literal(1), *tallies),
                ratings.with_only_columns(
                    *part,
                    null(),
                    null(),
                    literal(2),
                    *ratings.selected_columns[width:],
                    *nothing[2:],
                ),
            )
        ).all()
        times = [r[: width + 2] for r in read if r[width + 2] == 0]
        aggregates = [(*r[:width], *r[width + 3 :]) for r in read if r[width + 2] == 1]
        given = [(*r[:width], *r[width + 3 : width + 5]) for r in read if r[width + 2] == 2]
    else:
        aggregates = session.execute(counting).all()  # type: ignore[assignment]
        given = session.execute(ratings)
        times = None
    rated: dict[tuple[Any, ...], tuple[int, int]] = {
        tuple(r[:width]): (int(r[-2]), int(r[-1])) for r in given
    }
    groups: dict[tuple[Any, ...], list[tuple[str, str]]] = grouping(
        tuple(r[:width]) for r in aggregates
    )
    if kept is not None:
        groups = {p: [g for g in gs if g[0] in kept] for p, gs in groups.items()}
    rows: dict[str, RateRow] = {}
    for r in aggregates:
        if tally is not None:
            tally[tuple(r[:width])] += int(r[width])
        counts = (*r[width:], *rated.get(tuple(r[:width]), (0, 0)))
        for key, name in groups[tuple(r[:width])]:
            row = rows.setdefault(key, RateRow(key=key, name=name))
            for attr, value in zip(_COUNTS, counts, strict=True):
                setattr(row, attr, getattr(row, attr) + int(value))
    days: dict[str, list[float]] = defaultdict(list)
    timed: Any = session.execute(timing) if times is None else times
    clock = _clock()
    for r in timed:
        spent = clock.days(r[width], r[width + 1])
        for key, _name in groups[tuple(r[:width])]:
            days[key].append(spent)
    return sorted((_finish(row, days[k]) for k, row in rows.items()), key=lambda x: (-x.n, x.key))


INDEX_SCHEMA = pa.schema(
    [
        ("organization_id", pa.int64()),
        ("response_rate", pa.float64()),
        ("resolution_rate", pa.float64()),
        ("ontime_rate", pa.float64()),
        ("satisfaction_rate", pa.float64()),
        ("n", pa.int64()),
    ]
)


def rates_for_index(session: Session, start: date | datetime, end: date | datetime) -> pa.Table:
    """Return the per-organisation rates of [start, end) for the index's 服务力 dimension."""
    rows = [r for r in compute(session, start=start, end=end, by="organization") if r.key != "-"]
    return pa.Table.from_pylist(
        [
            {"organization_id": int(r.key), "response_rate": r.response_rate,
             "resolution_rate": r.resolution_rate, "ontime_rate": r.ontime_rate,
             "satisfaction_rate": r.satisfaction_rate, "n": r.n}
            for r in rows
        ],
        schema=INDEX_SCHEMA,
    )  # fmt: skip


COLUMN_LABELS = {
    "key": "编号", "name": "名称", "n": "受理量", "responded": "已回应", "responded_on_time": "按时回应",
    "resolved": "已办结", "resolved_on_time": "按时办结", "followed_up": "已回访", "satisfied": "满意",
    "response_rate": "回应率", "response_ontime_rate": "按时回应率", "resolution_rate": "办结率",
    "ontime_rate": "按时办结率", "satisfaction_rate": "满意率",
    "mean_handling_days": "平均办理时长(工作日)", "median_handling_days": "办理时长中位数(工作日)",
}  # fmt: skip


def as_dicts(rows: Iterable[RateRow]) -> list[dict[str, Any]]:
    """Return rows as plain dicts (for JSON)."""
    return [asdict(r) for r in rows]


def write_csv(rows: Iterable[RateRow], path: Path) -> None:
    """Write rows as UTF-8 CSV (with BOM, so spreadsheet programs read the Chinese header)."""
    names = [f.name for f in fields(RateRow)]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f"{COLUMN_LABELS[n]} {n}" for n in names])
        for row in rows:
            writer.writerow(["" if v is None else v for v in (getattr(row, n) for n in names)])


def write_xlsx(rows: Iterable[RateRow], path: Path, *, title: str = "rates") -> None:
    """Write rows as an Excel sheet with Chinese column headers."""
    from openpyxl import Workbook

    names = [f.name for f in fields(RateRow)]
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([COLUMN_LABELS[n] for n in names])
    for row in rows:
        sheet.append([sheet_cell(getattr(row, n)) for n in names])  # a body's name as sent
    book.save(path)
