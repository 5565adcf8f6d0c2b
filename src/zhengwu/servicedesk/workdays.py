"""The Chinese working-day calendar (工作日): public holidays and 调休 make-up workdays.

Where the days come from
------------------------
1. A deployment's override file, when one is given (``calendar=`` on every function):
   extra days off (a local holiday, a typhoon closure) and extra working days, per date.
2. The ``chinese_calendar`` package for the years it covers (:func:`covered_years`; State
   Council notices, 2004 to the package's last year): its holidays and its 调休 make-up
   workdays, such as Sunday 28 September and Saturday 11 October 2025.
3. Any other year: Monday to Friday. Deadlines there may fall on a holiday nobody has
   published yet; an override file that lists the year's days (``years = [2027]``) fixes it.

How deadlines are counted
-------------------------
Days are counted in China's time (Asia/Shanghai; a naive datetime is taken to be China's
wall-clock time, and results come back in the timezone they were given in). A working day
is the whole calendar day, midnight to midnight, so "N working days" keeps the time of day:

* received on a working day, at any hour, the clock starts at once: Friday 17:00 + 1
  working day is due the next working day at 17:00 (Monday, or later after a holiday);
* received on a day off, the clock starts at 09:00 of the next working day: Saturday
  10:00 + 1 is due Tuesday 09:00; 1 October 2025 + 1 is due Friday 10 October 09:00;
* fractions count working time: + 0.5 is twelve hours of working days, so Friday 17:00
  + 0.5 is Monday 05:00 (seven hours left on Friday, five on Monday);
* a deadline that ends exactly at midnight after a working day is that midnight (Friday
  00:00 + 1 is Saturday 00:00 — the end of Friday), never the following Monday;
* :func:`working_days_between` is the inverse: the working time from when the clock
  started to ``b``, so ``working_days_between(s, add_working_days(s, n)) == n``.

Negative days count backwards through working time; from a day off the backward clock
starts at the end (midnight) of the previous working day.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar

from zhengwu.errors import InvalidInputError

CHINA = ZoneInfo("Asia/Shanghai")
CLOCK_START = time(9, 0)  # a request received on a day off starts its clock at 09:00
_DAY = timedelta(days=1)
_MAX_SCAN_DAYS = 3660  # ten years: a longer walk means an impossible calendar

_CC_HOLIDAYS = frozenset(chinese_calendar.holidays)
_CC_WORKDAYS = frozenset(chinese_calendar.workdays)
_CC_YEARS = range(min(_CC_HOLIDAYS).year, max(_CC_HOLIDAYS).year + 1)


@dataclass(frozen=True)
class WorkCalendar:
    """The built-in calendar plus a deployment's own extra days off and working days."""

    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()  # years the overrides list completely
    source: str = field(default="chinese_calendar", compare=False)

    def is_working_day(self, d: date) -> bool:
        """Return whether ``d`` is a working day (工作日) in this calendar."""
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        if d.year in _CC_YEARS:
            return d in _CC_WORKDAYS or (d.weekday() < 5 and d not in _CC_HOLIDAYS)
        return d.weekday() < 5


DEFAULT = WorkCalendar()
CalendarArg = WorkCalendar | str | Path | None


def load_calendar(path: str | Path) -> WorkCalendar:
    """Read a deployment's override file (TOML) into a calendar.

    The file lists dates as TOML dates, either as an array or as a table of reasons::

        years = [2027]                      # optional: years listed completely here
        holidays = [2027-01-01]             # extra days off
        [workdays]                          # extra working days, with a reason
        2027-02-20 = "春节调休"
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInputError(
            f"工作日历覆盖文件无法读取：{path}（{exc}）",
            f"cannot read the working-day override file {path}: {exc}",
        ) from exc
    holidays = _dates(data.get("holidays", ()), "holidays", path)
    workdays = _dates(data.get("workdays", ()), "workdays", path)
    both = sorted(holidays & workdays)
    if both:
        raise InvalidInputError(
            f"同一日期不能既是假日又是工作日：{both[0]}",
            f"{both[0]} is listed both as a holiday and as a working day in {path}",
        )
    years = data.get("years", [])
    if not isinstance(years, list) or not all(isinstance(y, int) for y in years):
        raise InvalidInputError(
            "years 应为年份数组", f"'years' must be an array of years in {path}"
        )
    return WorkCalendar(holidays, workdays, frozenset(years), str(path))


def _dates(value: object, key: str, path: Path) -> frozenset[date]:
    if isinstance(value, dict):
        items: list[object] = list(value)  # a table: date → reason
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise InvalidInputError(f"{key} 应为日期数组或表", f"'{key}' must be dates in {path}")
    days: set[date] = set()
    for item in items:
        try:
            day = date.fromisoformat(item) if isinstance(item, str) else item
        except ValueError:
            day = None
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidInputError(
                f"{key} 中的日期无效：{item!r}", f"not a date in '{key}' of {path}: {item!r}"
            )
        days.add(day)
    return frozenset(days)


@cache
def _load_cached(path: str, mtime_ns: int) -> WorkCalendar:
    # Keyed by modification time, so an edited file is read again without a restart.
    return load_calendar(path)


def _resolve(calendar: CalendarArg) -> WorkCalendar:
    if calendar is None:
        return DEFAULT
    if isinstance(calendar, WorkCalendar):
        return calendar
    path = Path(calendar)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise InvalidInputError(
            f"工作日历覆盖文件不存在：{path}", f"no working-day override file at {path}"
        ) from exc
    return _load_cached(str(path.resolve()), mtime)


def covered_years(calendar: CalendarArg = None) -> list[int]:
    """Return the years whose holidays are known (others count Monday–Friday only)."""
    return sorted(set(_CC_YEARS) | _resolve(calendar).years)


def is_working_day(d: date, *, calendar: CalendarArg = None) -> bool:
    """Return whether ``d`` is a working day (a datetime counts by its date in China)."""
    if isinstance(d, datetime):
        d = _local(d).date()
    return _resolve(calendar).is_working_day(d)


def next_working_day(d: date, *, calendar: CalendarArg = None) -> date:
    """Return the first working day strictly after ``d``."""
    return _walk(d if not isinstance(d, datetime) else _local(d).date(), 1, _resolve(calendar))


def previous_working_day(d: date, *, calendar: CalendarArg = None) -> date:
    """Return the last working day strictly before ``d``."""
    return _walk(d if not isinstance(d, datetime) else _local(d).date(), -1, _resolve(calendar))


def _walk(d: date, step: int, cal: WorkCalendar) -> date:
    for _ in range(_MAX_SCAN_DAYS):
        d += step * _DAY
        if cal.is_working_day(d):
            return d
    raise InvalidInputError("十年内没有工作日：日历配置有误", "no working day within ten years")


def _local(dt: datetime) -> datetime:
    """Return ``dt`` as naive wall-clock time in China (naive input already is)."""
    return dt.astimezone(CHINA).replace(tzinfo=None) if dt.tzinfo else dt


def _back(local: datetime, like: datetime) -> datetime:
    """Return naive China wall-clock ``local`` in the timezone ``like`` was given in."""
    if like.tzinfo is None:
        return local
    return local.replace(tzinfo=CHINA).astimezone(like.tzinfo)


def clock_start(received: datetime, *, calendar: CalendarArg = None) -> datetime:
    """Return when the deadline clock starts for something received at ``received``."""
    cal = _resolve(calendar)
    local = _local(received)
    if cal.is_working_day(local.date()):
        return received
    start = datetime.combine(_walk(local.date(), 1, cal), CLOCK_START)
    return _back(start, received)


def add_working_days(
    start: datetime, days: int | float, *, calendar: CalendarArg = None
) -> datetime:
    """Return the deadline ``days`` working days after ``start`` (see the module notes)."""
    cal = _resolve(calendar)
    if days < 0:
        return _back(_subtract(_local(start), timedelta(days=-days), cal), start)
    cursor = _local(clock_start(start, calendar=cal))
    left = timedelta(days=days)
    while True:
        day_end = datetime.combine(cursor.date() + _DAY, time())
        if cal.is_working_day(cursor.date()):
            if cursor + left <= day_end:
                return _back(cursor + left, start)
            left -= day_end - cursor
        cursor = day_end


def _subtract(cursor: datetime, left: timedelta, cal: WorkCalendar) -> datetime:
    """Walk ``left`` of working time backwards from naive local ``cursor``."""
    while True:
        day_start = datetime.combine(cursor.date(), time())
        if day_start == cursor:  # at midnight: the day to consume is the one before
            day_start -= _DAY
        if cal.is_working_day(day_start.date()):
            if cursor - left >= day_start:
                return cursor - left
            left -= cursor - day_start
        cursor = day_start


def working_days_between(a: datetime, b: datetime, *, calendar: CalendarArg = None) -> float:
    """Return the working days from ``a`` (its clock start) to ``b``; negative if b < a."""
    if b < a:
        return -working_days_between(b, a, calendar=calendar)
    cal = _resolve(calendar)
    cursor, end = _local(clock_start(a, calendar=cal)), _local(b)
    total = timedelta()
    while cursor < end:
        day_end = min(end, datetime.combine(cursor.date() + _DAY, time()))
        if cal.is_working_day(cursor.date()):
            total += day_end - cursor
        cursor = day_end
    return total / _DAY
