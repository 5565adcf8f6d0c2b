"""Deadlines in working days (工作日): due dates, overdue checks and handling times.

The calendar — public holidays, 调休 make-up days, the desk's calendar file — is
:mod:`zhengwu.servicedesk.workdays`; this module is the desk's one door to it. The desk's
calendar is the file ``ZHENGWU_DESK_CALENDAR`` names (default
``<data dir>/desk-calendar.toml`` when it exists) over the built-in one; an edited file
is read again on the next deadline, in every process, without a restart.

A deadline is computed once, when it is set (intake, reopening, an approved extension),
and stored on the request; loading a new calendar changes no stored deadline —
``zhengwu desk calendar recompute`` does that, with an audit entry per change. Handling
times (rates) are counted when they are read, on the calendar in force then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from zhengwu.db.base import utcnow
from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk import workdays

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# How far ahead the start-up check looks for a provisional year: a 15-working-day deadline
# set today ends about three weeks on; category deadlines run to 60 working days.
STARTUP_HORIZON = timedelta(days=92)

_last_good: dict[Path, workdays.WorkCalendar] = {}
_broken_logged: set[tuple[Path, str]] = set()
_provisional_seen: set[int] = set()
_seen_lock = threading.Lock()
_collecting: ContextVar[set[int] | None] = ContextVar("provisional_collect", default=None)
_pinned: ContextVar[workdays.WorkCalendar | None] = ContextVar("calendar_pinned", default=None)


def calendar_path() -> Path | None:
    """Return the desk calendar file in force, or None (built-in calendar only).

    ``ZHENGWU_DESK_CALENDAR`` when set (a missing file is an error), else
    ``<data dir>/desk-calendar.toml`` when it exists.
    """
    from zhengwu.config import get_settings

    settings = get_settings()
    if settings.desk_calendar is not None:
        return settings.desk_calendar
    default = settings.resolved_desk_calendar
    return default if default.exists() else None


def calendar() -> workdays.WorkCalendar:
    """Return the desk's working-day calendar (the built-in one plus the desk's file).

    A file made unreadable by a hand edit after it was read once keeps the calendar last
    read from it, with an error in the log (once per version of the file), so intake goes
    on; a file that never read (at start) is an error. Inside :func:`pinned`, the calendar
    read when the block began.
    """
    held = _pinned.get()
    if held is not None:
        return held
    path = calendar_path()
    if path is None:
        return workdays.DEFAULT
    try:
        cal = workdays.resolve_calendar(path)
    except InvalidInputError as exc:
        previous = _last_good.get(path)
        if previous is None:
            raise
        if (path, exc.message_en) not in _broken_logged:
            _broken_logged.add((path, exc.message_en))
            log.error("%s / %s — keeping the calendar read before", exc.message_zh, exc.message_en)
        return previous
    _last_good[path] = cal
    return cal


def add_working_days(start: datetime, days: int) -> datetime:
    """Return the moment ``days`` working days after ``start`` on the desk's calendar.

    A deadline that runs into a year without an official schedule is provisional: the
    first one of each such year is logged (WARNING) once per process.
    """
    cal = calendar()
    due = workdays.add_working_days(start, days, calendar=cal)
    for year in workdays.provisional_years([(start, due)], calendar=cal):
        collected = _collecting.get()
        if collected is not None:
            collected.add(year)
        with _seen_lock:
            first = year not in _provisional_seen
            _provisional_seen.add(year)
        if first:
            zh, en = workdays.provisional_message(year)
            log.warning("%s / %s", zh, en)
    return due


@contextmanager
def pinned() -> Iterator[workdays.WorkCalendar]:
    """Read the desk's calendar once and set every deadline inside the block on it.

    For code that sets many deadlines at once (a CSV import's batch of rows): the file is
    looked at once per block instead of once per deadline (a stat of the file, and a read
    when it changed); an edit made meanwhile is seen by the next block.
    """
    cal = calendar()
    token = _pinned.set(cal)
    try:
        yield cal
    finally:
        _pinned.reset(token)


@contextmanager
def collect_provisional() -> Iterator[set[int]]:
    """Collect the provisional years the deadlines set inside the block run into.

    For a command that sets deadlines (an import) and says once at the end which of them
    are provisional.
    """
    years: set[int] = set()
    token = _collecting.set(years)
    try:
        yield years
    finally:
        _collecting.reset(token)


def provisional_years(
    spans: Iterable[tuple[datetime | date | None, datetime | date | None]],
) -> list[int]:
    """Return the provisional years any (start, deadline) span touches on the desk's calendar."""
    return workdays.provisional_years(spans, calendar=calendar())


def upcoming_provisional_years(today: date | None = None) -> list[int]:
    """Return the provisional years between today and :data:`STARTUP_HORIZON` from now."""
    today = today or utcnow().astimezone(workdays.CHINA).date()
    return provisional_years([(today, today + STARTUP_HORIZON)])


def warn_at_start(today: date | None = None) -> list[int]:
    """Check the desk calendar when a server or worker starts; return the provisional years.

    Reads the calendar file (an unreadable one stops the start with its reason) and logs a
    WARNING for each year within :data:`STARTUP_HORIZON` whose deadlines are provisional.
    """
    years = upcoming_provisional_years(today)
    for year in years:
        zh, en = workdays.provisional_message(year)
        log.warning("%s / %s", zh, en)
    return years


def provisional_notice(years: Iterable[int]) -> str | None:
    """Return the one-line notice of provisional deadlines in ``years`` (None: none)."""
    years = sorted(set(years))
    if not years:
        return None
    messages = [workdays.provisional_message(y) for y in years]
    return " ".join(zh for zh, _ in messages) + " / " + " ".join(en for _, en in messages)


def working_days_between(a: datetime, b: datetime) -> float:
    """Return the working days (fractional) from ``a`` to ``b`` on the desk's calendar."""
    return workdays.working_days_between(a, b, calendar=calendar())


def desk_now(session: Session | None = None) -> datetime:
    """Return the moment deadlines are judged against (超期): now, or on the data ``zhengwu
    demo`` made the end of its simulated period, the moment its 督办 judges them as of
    (:func:`zhengwu.servicedesk.demo.clock`: stored on the demo's requests, read with
    ``session``; else its ``truth.json``), so the queue does not call every request still
    open at the period's end overdue."""
    from zhengwu.servicedesk.demo import clock

    return clock(session) or utcnow()


def desk_now_clause() -> ColumnElement[datetime]:
    """Return :func:`desk_now` as SQL, for a query built without a session (the queue's and
    the export's ``overdue`` filter): the demo's clock stored on its requests (their largest
    ``demo_period_end``, one step of its index), else the file's or the real clock."""
    from sqlalchemy import func, literal, select
    from sqlalchemy.orm import aliased

    from zhengwu.db.base import UtcDateTime
    from zhengwu.servicedesk.demo import demo_clock
    from zhengwu.servicedesk.models import ServiceRequest

    demo = aliased(ServiceRequest)
    stored = select(func.max(demo.demo_period_end)).correlate(None).scalar_subquery()
    return func.coalesce(stored, literal(demo_clock() or utcnow(), UtcDateTime()))


def is_overdue(due: datetime | None, done_at: datetime | None, now: datetime | None = None) -> bool:
    """Return whether a deadline was missed (done after it, or not done and past it)."""
    if due is None:
        return False
    return (done_at or now or utcnow()) > due
