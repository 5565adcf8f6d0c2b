"""The Chinese working-day calendar (工作日): public holidays and 调休 make-up workdays.

Where the days come from
------------------------
1. A deployment's calendar file (the desk's is ``ZHENGWU_DESK_CALENDAR``, default
   ``<data dir>/desk-calendar.toml``; here ``calendar=`` on every function): the State
   Council's schedule of a year the package below does not cover yet (``years = [2027]``
   and its holidays and 调休 working days), and local days off (a typhoon closure) or
   extra working days, per date. See :func:`load_calendar` for the format.
2. The ``chinese_calendar`` package for the years it covers (State Council notices, 2004
   to the package's last year): its holidays and its 调休 make-up workdays, such as
   Sunday 28 September and Saturday 11 October 2025.
3. Any other year (2025 to :data:`STATUTORY_LAST_YEAR`): Monday to Friday less the
   statutory holidays (法定节假日) of 《全国年节及纪念日放假办法》 as amended in 2024 —
   :func:`statutory_holidays`. The 调休 make-up working days and the days in lieu (补假)
   of a holiday on a weekend are set by the State Council's yearly notice and cannot be
   computed, so such a year is **provisional** (:func:`is_provisional`) until its
   schedule is loaded; no guessed 调休 day is ever added. After that last year: Monday to
   Friday only.

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

import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache, cached_property
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

from zhengwu.errors import InvalidInputError
from zhengwu.storable import refuse_nul_document

CHINA = ZoneInfo("Asia/Shanghai")
CLOCK_START = time(9, 0)  # a request received on a day off starts its clock at 09:00
_DAY = timedelta(days=1)
_MAX_SCAN_DAYS = 3660  # ten years: a longer walk means an impossible calendar

_CC_HOLIDAYS = frozenset(chinese_calendar.holidays)
_CC_WORKDAYS = frozenset(chinese_calendar.workdays)
_CC_YEARS = range(min(_CC_HOLIDAYS).year, max(_CC_HOLIDAYS).year + 1)
# Years a calendar file may speak of (beyond them a date is surely a typo).
FILE_YEARS = range(2004, 2101)

# ---------------------------------------------------------------- statutory holidays

STATUTORY_LAW = "《全国年节及纪念日放假办法》（2024年修订，2025年1月1日起施行）"
STATUTORY_LAW_EN = "National Holidays and Commemorative Days Regulation, as amended in 2024"
STATUTORY_SINCE = 2025  # the year the amended regulation took effect

# The movable days of each year: 除夕 (the eve of 正月初一), the 清明 solar term, 端午
# (五月初五) and 中秋 (八月十五), as month-day in China's time. Written out from the
# lunar-python package (MIT; astronomical, after 寿星天文历) and checked date by date
# against borax's lunar table (MIT) and, for 清明, against chinese_calendar's solar-term
# formula: all three agree on every date listed (they part in 2089, so the table stops
# before). tests/servicedesk/test_statutory_calendar.py checks it against the State Council's
# holidays of 2008–2026 too. Years before 2025 are here only for that check.
_MOVABLE_TABLE = """\
# year 除夕  清明  端午  中秋
2008 02-06 04-04 06-08 09-14
2009 01-25 04-04 05-28 10-03
2010 02-13 04-05 06-16 09-22
2011 02-02 04-05 06-06 09-12
2012 01-22 04-04 06-23 09-30
2013 02-09 04-04 06-12 09-19
2014 01-30 04-05 06-02 09-08
2015 02-18 04-05 06-20 09-27
2016 02-07 04-04 06-09 09-15
2017 01-27 04-04 05-30 10-04
2018 02-15 04-05 06-18 09-24
2019 02-04 04-05 06-07 09-13
2020 01-24 04-04 06-25 10-01
2021 02-11 04-04 06-14 09-21
2022 01-31 04-05 06-03 09-10
2023 01-21 04-05 06-22 09-29
2024 02-09 04-04 06-10 09-17
2025 01-28 04-04 05-31 10-06
2026 02-16 04-05 06-19 09-25
2027 02-05 04-05 06-09 09-15
2028 01-25 04-04 05-28 10-03
2029 02-12 04-04 06-16 09-22
2030 02-02 04-05 06-05 09-12
2031 01-22 04-05 06-24 10-01
2032 02-10 04-04 06-12 09-19
2033 01-30 04-04 06-01 09-08
2034 02-18 04-05 06-20 09-27
2035 02-07 04-05 06-10 09-16
2036 01-27 04-04 05-30 10-04
2037 02-14 04-04 06-18 09-24
2038 02-03 04-05 06-07 09-13
2039 01-23 04-05 05-27 10-02
2040 02-11 04-04 06-14 09-20
2041 01-31 04-04 06-03 09-10
2042 01-21 04-04 06-22 09-28
2043 02-09 04-05 06-11 09-17
2044 01-29 04-04 05-31 10-05
2045 02-16 04-04 06-19 09-25
2046 02-05 04-04 06-08 09-15
2047 01-25 04-05 05-29 10-04
2048 02-13 04-04 06-15 09-22
2049 02-01 04-04 06-04 09-11
2050 01-22 04-04 06-23 09-30
2051 02-10 04-05 06-13 09-19
2052 01-31 04-04 06-01 09-07
2053 02-18 04-04 06-20 09-26
2054 02-07 04-04 06-10 09-16
2055 01-27 04-05 05-30 10-05
2056 02-14 04-04 06-17 09-24
2057 02-03 04-04 06-06 09-13
2058 01-23 04-04 06-25 10-02
2059 02-11 04-05 06-14 09-21
2060 02-01 04-04 06-03 09-09
2061 01-20 04-04 06-22 09-28
2062 02-08 04-04 06-11 09-17
2063 01-28 04-05 06-01 10-06
2064 02-16 04-04 06-19 09-25
2065 02-04 04-04 06-08 09-15
2066 01-25 04-04 05-28 10-03
2067 02-13 04-05 06-16 09-23
2068 02-02 04-04 06-04 09-11
2069 01-22 04-04 06-23 09-29
2070 02-10 04-04 06-13 09-19
2071 01-30 04-05 06-02 09-08
2072 02-18 04-04 06-20 09-26
2073 02-06 04-04 06-10 09-16
2074 01-26 04-04 05-30 10-05
2075 02-14 04-04 06-17 09-24
2076 02-04 04-04 06-06 09-12
2077 01-23 04-04 06-24 10-01
2078 02-11 04-04 06-14 09-20
2079 02-01 04-04 06-04 09-10
2080 01-21 04-04 06-22 09-28
2081 02-08 04-04 06-11 09-17
2082 01-28 04-04 06-01 10-06
2083 02-16 04-04 06-19 09-26
2084 02-05 04-04 06-07 09-14
2085 01-25 04-04 05-27 10-03
2086 02-13 04-04 06-15 09-22
2087 02-02 04-04 06-05 09-11
2088 01-23 04-04 06-23 09-29
"""


def _movable() -> dict[int, tuple[date, date, date, date]]:
    table: dict[int, tuple[date, date, date, date]] = {}
    for line in _MOVABLE_TABLE.splitlines():
        if not line or line.startswith("#"):
            continue
        year, *days = line.split()
        y = int(year)
        eve, qingming, duanwu, zhongqiu = (date.fromisoformat(f"{y}-{d}") for d in days)
        table[y] = (eve, qingming, duanwu, zhongqiu)
    return table


MOVABLE_DAYS = MappingProxyType(_movable())
STATUTORY_LAST_YEAR = max(MOVABLE_DAYS)
STATUTORY_YEARS = range(STATUTORY_SINCE, STATUTORY_LAST_YEAR + 1)


@cache
def statutory_holidays(year: int) -> Mapping[date, str]:
    """Return the statutory holidays (法定节假日) of ``year`` with their names.

    By the 2024 regulation (in force from 2025): 元旦 1 January; 春节 4 days (农历除夕
    and 正月初一 to 初三); 清明节 the 清明 solar-term day; 劳动节 1–2 May; 端午节 农历五月
    初五; 中秋节 农历八月十五; 国庆节 1–3 October — 13 days. Empty for a year before 2025
    or after :data:`STATUTORY_LAST_YEAR`. The days in lieu (补假) the regulation owes when
    a holiday falls on a weekend or on another holiday are dated by the State Council's
    notice and are not included (see :func:`owed_days_in_lieu`).
    """
    if year not in STATUTORY_YEARS:
        return MappingProxyType({})
    eve, qingming, duanwu, zhongqiu = MOVABLE_DAYS[year]
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    for i in range(4):
        days[eve + i * _DAY] = "春节"
    days[qingming] = "清明节"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "劳动节"
    days[duanwu] = "端午节"
    for d in (date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)):
        days[d] = "国庆节"
    days[zhongqiu] = "国庆节、中秋节" if zhongqiu in days else "中秋节"
    return MappingProxyType(dict(sorted(days.items())))


def owed_days_in_lieu(year: int) -> int:
    """Return how many statutory days of ``year`` fall on a weekend or on another holiday.

    The regulation gives each such day back on a working day (补假); which day is only
    known from the State Council's notice, so the provisional calendar cannot place it.
    """
    days = statutory_holidays(year)
    if not days:
        return 0
    coincide = 1 if any("、" in name for name in days.values()) else 0
    return sum(1 for d in days if d.weekday() >= 5) + coincide


# ---------------------------------------------------------------- calendars


@dataclass(frozen=True)
class WorkCalendar:
    """The built-in calendar plus a deployment's own days off and working days.

    ``years``: the years whose State Council schedule the file gives completely (no longer
    provisional). ``names``: the reason or holiday name of a listed date, for display.
    ``statutory``: count the statutory holidays of years the package does not cover
    (False only to reproduce deadlines stored before the desk knew them).
    """

    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()  # years the file lists completely
    source: str = field(default="chinese_calendar", compare=False)
    names: Mapping[date, str] = field(default_factory=dict, compare=False, repr=False)
    statutory: bool = True

    def is_working_day(self, d: date) -> bool:
        """Return whether ``d`` is a working day (工作日) in this calendar."""
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        if d.year in _CC_YEARS:
            return d in _CC_WORKDAYS or (d.weekday() < 5 and d not in _CC_HOLIDAYS)
        if self.statutory and d in statutory_holidays(d.year):
            return False
        return d.weekday() < 5

    @cached_property
    def known_years(self) -> frozenset[int]:
        """Return the years whose official schedule is known (built in, or given by the file)."""
        return frozenset(_CC_YEARS) | self.years

    def is_provisional(self, year: int) -> bool:
        """Return whether ``year``'s days are provisional (no official schedule known)."""
        return year not in self.known_years

    @cached_property
    def _days_after(self) -> dict[tuple[date, int], date]:
        """The working days found by :meth:`working_day_after`, by (day, n): deadlines are
        set from a few hundred distinct days, so each walk is done once per calendar."""
        return {}

    def working_day_after(self, d: date, n: int) -> date:
        """Return the ``n``-th working day after ``d`` (``d`` itself for 0)."""
        found = self._days_after.get((d, n))
        if found is None:
            found = d
            for _ in range(n):
                found = _walk(found, 1, self)
            self._days_after[(d, n)] = found
        return found


DEFAULT = WorkCalendar()
# The calendar of the versions before statutory holidays were known: Monday to Friday in
# every year the package does not cover. Only to reproduce deadlines stored by them.
WEEKDAYS_ONLY = WorkCalendar(source="weekdays only", statutory=False)
CalendarArg = WorkCalendar | str | Path | None
_KEYS = frozenset({"years", "holidays", "workdays", "source"})


def load_calendar(path: str | Path) -> WorkCalendar:
    """Read a calendar file (TOML) into a calendar, refusing anything doubtful.

    The file lists dates as TOML dates, either as an array or as a table of reasons::

        source = "国办发明电〔2026〕X号"        # optional: where the schedule comes from
        years = [2027]                        # optional: years listed completely here
        holidays = [2027-01-01]               # days off (or a table: date = "reason")
        [workdays]                            # 调休 working days, with a reason
        2027-02-20 = "春节调休"

    Refused, with a message in Chinese and English: a file that is not TOML, an unknown key,
    a text spelling a NUL character (``"\\u0000"``: :func:`storable.refuse_nul_document`),
    a value that is no date (``2027-02-30``), a date outside 2004–2100, a year in
    ``years`` outside it, a date that is both a holiday and a working day, a working day
    that already is one (a Monday–Friday that is no holiday: 调休 working days are Saturdays
    and Sundays), and a working day on a statutory holiday (the law gives that day off).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInputError(
            f"工作日历文件无法读取：{path}（{exc}）",
            f"cannot read the working-day calendar file {path}: {exc}",
        ) from exc
    refuse_nul_document(data, str(path))  # a "\u0000" in a reason: stored with deadlines
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InvalidInputError(
            f"工作日历文件 {path} 中有未知的键：{'、'.join(unknown)}"
            "（可用：years、holidays、workdays、source）",
            f"unknown key(s) in {path}: {', '.join(unknown)} "
            "(known: years, holidays, workdays, source)",
        )
    names: dict[date, str] = {}
    holidays = _dates(data.get("holidays", ()), "holidays", path, names)
    workdays = _dates(data.get("workdays", ()), "workdays", path, names)
    both = sorted(holidays & workdays)
    if both:
        raise InvalidInputError(
            f"同一日期不能既是假日又是工作日：{both[0]}（{path}）",
            f"{both[0]} is listed both as a holiday and as a working day in {path}",
        )
    years = data.get("years", [])
    if not isinstance(years, list) or not all(
        isinstance(y, int) and not isinstance(y, bool) for y in years
    ):
        raise InvalidInputError(
            f"years 应为年份数组，例如 years = [2027]（{path}）",
            f"'years' must be an array of years, e.g. years = [2027], in {path}",
        )
    for y in years:
        if y not in FILE_YEARS:
            raise InvalidInputError(
                f"years 中的年份超出 2004–2100：{y}（{path}）",
                f"a year in 'years' is outside 2004–2100: {y} in {path}",
            )
    for d in sorted(workdays):
        _check_workday(d, path)
    source = data.get("source", str(path))
    if not isinstance(source, str):
        raise InvalidInputError(
            f"source 应为文字（{path}）", f"'source' must be a string in {path}"
        )
    return WorkCalendar(holidays, workdays, frozenset(years), source, MappingProxyType(names))


def _check_workday(d: date, path: Path) -> None:
    """Refuse a listed working day that changes nothing or that the law makes a day off."""
    statutory = statutory_holidays(d.year).get(d)
    if statutory is not None:
        raise InvalidInputError(
            f"{d} 是法定节假日（{statutory}），不能列为工作日（{path}）",
            f"{d} is a statutory holiday ({statutory}) and cannot be a working day ({path})",
        )
    if d.weekday() < 5 and DEFAULT.is_working_day(d):
        weekday = "一二三四五六日"[d.weekday()]
        raise InvalidInputError(
            f"{d}（星期{weekday}）本来就是工作日：调休上班日应是周六或周日（{path}）",
            f"{d} (a {d:%A}) is a working day already: 调休 working days are Saturdays "
            f"and Sundays ({path})",
        )


def _dates(value: object, key: str, path: Path, names: dict[date, str]) -> frozenset[date]:
    reasons: dict[object, object] = {}
    if isinstance(value, dict):
        items: list[object] = list(value)  # a table: date → reason
        reasons = dict(value)
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise InvalidInputError(
            f"{key} 应为日期数组或表（{path}）", f"'{key}' must be dates in {path}"
        )
    days: set[date] = set()
    for item in items:
        try:
            day = date.fromisoformat(item) if isinstance(item, str) else item
        except ValueError:
            day = None
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidInputError(
                f"{key} 中的日期无效：{item!r}（应为 YYYY-MM-DD，且是真实存在的日期；{path}）",
                f"not a date in '{key}' of {path}: {item!r} (expected a real YYYY-MM-DD)",
            )
        if day.year not in FILE_YEARS:
            raise InvalidInputError(
                f"{key} 中的日期超出 2004–2100：{day}（{path}）",
                f"a date in '{key}' is outside 2004–2100: {day} in {path}",
            )
        reason = reasons.get(item, "")
        if not isinstance(reason, str):
            raise InvalidInputError(
                f"{key} 中 {day} 的说明应为文字（{path}）",
                f"the reason of {day} in '{key}' must be a string in {path}",
            )
        if reason:
            names[day] = reason
        days.add(day)
    return frozenset(days)


def calendar_warnings(cal: WorkCalendar) -> list[tuple[str, str]]:
    """Return what looks incomplete in a calendar file (Chinese, English); nothing fatal.

    A statutory holiday a complete year does not list (it is counted as a day off all the
    same), and dates of a year neither built in nor declared complete (that year stays
    provisional).
    """
    found: list[tuple[str, str]] = []
    for year in sorted(cal.years - set(_CC_YEARS)):
        for d, name in statutory_holidays(year).items():
            if d not in cal.extra_holidays:
                found.append((
                    f"{year} 年的法定节假日 {d}（{name}）未列入 holidays：仍按假日计算",
                    f"the statutory holiday {d} ({name}) of {year} is not listed in "
                    "holidays: it is counted as a day off all the same",
                ))  # fmt: skip
    listed = {d.year for d in cal.extra_holidays | cal.extra_workdays}
    for year in sorted(listed - cal.known_years):
        found.append((
            f"{year} 年未列入 years：文件只补充个别日期，{year} 年的期限仍为暂定",
            f"{year} is not in 'years': the file adds single dates only and deadlines in "
            f"{year} stay provisional",
        ))  # fmt: skip
    return found


def dump_calendar(cal: WorkCalendar, *, header: str = "") -> str:
    """Return ``cal`` as the text of a calendar file (what :func:`load_calendar` reads)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    if cal.source and cal.source != "chinese_calendar":
        lines.append(f"source = {json.dumps(cal.source, ensure_ascii=False)}")
    lines.append(f"years = [{', '.join(str(y) for y in sorted(cal.years))}]")
    for key, days in (("holidays", cal.extra_holidays), ("workdays", cal.extra_workdays)):
        lines += ["", f"[{key}]"]
        lines += [
            f"{d.isoformat()} = {json.dumps(cal.names.get(d, ''), ensure_ascii=False)}"
            for d in sorted(days)
        ]
    return "\n".join(lines) + "\n"


def merge_calendars(base: WorkCalendar, incoming: WorkCalendar) -> WorkCalendar:
    """Return ``base`` with ``incoming`` laid over it.

    Every year ``incoming`` declares complete replaces that year of ``base`` entirely; any
    other date ``incoming`` lists replaces the same date of ``base``.
    """

    def kept(d: date) -> bool:
        return (
            d.year not in incoming.years
            and d not in incoming.extra_holidays
            and (d not in incoming.extra_workdays)
        )

    names = {d: n for d, n in base.names.items() if kept(d)} | dict(incoming.names)
    return WorkCalendar(
        frozenset(d for d in base.extra_holidays if kept(d)) | incoming.extra_holidays,
        frozenset(d for d in base.extra_workdays if kept(d)) | incoming.extra_workdays,
        base.years | incoming.years,
        incoming.source if incoming.source != "chinese_calendar" else base.source,
        MappingProxyType(dict(sorted(names.items()))),
    )


def write_calendar(path: Path, cal: WorkCalendar, *, header: str = "") -> None:
    """Write ``cal`` to ``path`` at once (a temporary file renamed over it): a process
    reading the file meanwhile sees the old calendar or the new one, never half of one."""
    text = dump_calendar(cal, header=header)
    load_check = path.with_name(path.name + ".partial")
    load_check.write_text(text, encoding="utf-8")
    try:
        load_calendar(load_check)  # what was written reads back, or nothing is replaced
        os.replace(load_check, path)
    finally:
        load_check.unlink(missing_ok=True)


@cache
def _load_cached(path: str, mtime_ns: int, size: int) -> WorkCalendar:
    # Keyed by modification time and size, so an edited file is read again without a restart.
    return load_calendar(path)


def _resolve(calendar: CalendarArg) -> WorkCalendar:
    if calendar is None:
        return DEFAULT
    if isinstance(calendar, WorkCalendar):
        return calendar
    path = Path(calendar)
    try:
        stat = path.stat()
    except OSError as exc:
        raise InvalidInputError(
            f"工作日历文件不存在：{path}", f"no working-day calendar file at {path}"
        ) from exc
    return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def resolve_calendar(calendar: CalendarArg) -> WorkCalendar:
    """Return the calendar ``calendar`` names: itself, the file at a path, or the default."""
    return _resolve(calendar)


def covered_years(calendar: CalendarArg = None) -> list[int]:
    """Return the years whose official schedule is known (built in, or given by the file).

    Other years are provisional: statutory holidays only (:func:`statutory_holidays`),
    or Monday to Friday after :data:`STATUTORY_LAST_YEAR`.
    """
    return sorted(_resolve(calendar).known_years)


def is_provisional(year: int, *, calendar: CalendarArg = None) -> bool:
    """Return whether ``year`` has no official schedule in the calendar (see the notes)."""
    return _resolve(calendar).is_provisional(year)


def provisional_years(
    spans: Iterable[tuple[datetime | date | None, datetime | date | None]],
    *,
    calendar: CalendarArg = None,
) -> list[int]:
    """Return the provisional years that any of ``spans`` (start, end) touches, in China.

    A deadline is provisional when the working days from its start (a request's receipt)
    to it cross a provisional year: pass ``(received_at, resolve_due)``.
    """
    cal = _resolve(calendar)
    found: set[int] = set()
    for a, b in spans:
        ends = [x for x in (a, b) if x is not None]
        if not ends:
            continue
        # A moment's year in China is at most one off the year it was given in: when all
        # the years around are known, none is provisional (and no time needs converting).
        around = range(min(x.year for x in ends) - 1, max(x.year for x in ends) + 2)
        if all(y in cal.known_years for y in around):
            continue
        years = [_year(x) for x in ends]
        found.update(y for y in range(min(years), max(years) + 1) if cal.is_provisional(y))
    return sorted(found)


def _year(moment: datetime | date) -> int:
    return _local(moment).year if isinstance(moment, datetime) else moment.year


def provisional_message(year: int) -> tuple[str, str]:
    """Return the warning of a provisional ``year`` (Chinese, English)."""
    if year in STATUTORY_YEARS:
        return (
            f"{year} 年的国务院办公厅放假安排尚未载入：{year} 年的期限按法定节假日暂定计算"
            "（不含调休上班日和补假）；安排公布后请运行 zhengwu desk calendar import 文件",
            f"the State Council's {year} holiday schedule is not loaded: deadlines in "
            f"{year} are provisional (statutory holidays only, without 调休 working days or "
            "days in lieu); load it with `zhengwu desk calendar import FILE` once published",
        )
    return (
        f"{year} 年没有已知的节假日：{year} 年的期限只按周一至周五计算；"
        "请用 zhengwu desk calendar import 载入该年的放假安排",
        f"no holidays are known for {year}: deadlines in {year} count Monday to Friday "
        "only; load its schedule with `zhengwu desk calendar import FILE`",
    )


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
    local = _local(received)
    start = _local_clock_start(local, _resolve(calendar))
    return received if start is local else _back(start, received)


def _local_clock_start(local: datetime, cal: WorkCalendar) -> datetime:
    """Return :func:`clock_start` of a naive China wall-clock time, as one."""
    if cal.is_working_day(local.date()):
        return local
    return datetime.combine(_walk(local.date(), 1, cal), CLOCK_START)


def add_working_days(
    start: datetime, days: int | float, *, calendar: CalendarArg = None
) -> datetime:
    """Return the deadline ``days`` working days after ``start`` (see the module notes)."""
    cal = _resolve(calendar)
    if days < 0:
        return _back(_subtract(_local(start), timedelta(days=-days), cal), start)
    cursor = _local_clock_start(_local(start), cal)
    # Working time is counted in whole working days, midnight to midnight, from midnight of
    # the clock start's day (a working day): the time already gone that day plus ``days``
    # ends in the j-th working day from it, j = ⌈spent⌉ - 1, at the time of day left over
    # (a deadline that ends exactly at a midnight stays on the day it ends).
    spent = cursor - datetime.combine(cursor.date(), time()) + timedelta(days=days)
    j = max(-(-spent // _DAY) - 1, 0)
    day = cal.working_day_after(cursor.date(), j)
    return _back(datetime.combine(day, time()) + (spent - j * _DAY), start)


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


# ---------------------------------------------------------------- describing a year

_CC_NAMES: dict[str, str] = {str(h.value): str(h.chinese) for h in chinese_calendar.Holiday}


def year_status(year: int, *, calendar: CalendarArg = None) -> str:
    """Return where ``year``'s days come from: ``file`` (the State Council's schedule in the
    calendar file), ``built-in`` (chinese_calendar), ``provisional`` (statutory holidays
    only) or ``weekdays`` (nothing known: Monday to Friday)."""
    cal = _resolve(calendar)
    if year in cal.years:
        return "file"
    if year in _CC_YEARS:
        return "built-in"
    return "provisional" if statutory_holidays(year) else "weekdays"


def day_name(d: date, *, calendar: CalendarArg = None) -> str:
    """Return the name or reason of a listed day (a holiday, a 调休 working day), or ""."""
    cal = _resolve(calendar)
    if d in cal.names:
        return cal.names[d]
    if d.year in _CC_YEARS and d not in cal.extra_workdays:
        name = str(chinese_calendar.holidays.get(d) or chinese_calendar.workdays.get(d) or "")
        if d in _CC_WORKDAYS and name:
            return f"{_CC_NAMES.get(name, name)}调休"
        if name:
            return _CC_NAMES.get(name, name)
    return statutory_holidays(d.year).get(d, "")


def year_days(year: int, *, calendar: CalendarArg = None) -> tuple[list[date], list[date]]:
    """Return ``year``'s days off other than plain weekends, and its weekend working days.

    The days off include the weekend days of a holiday (春节 on a Saturday), so that a
    holiday shows whole.
    """
    cal = _resolve(calendar)
    off, working = [], []
    d = date(year, 1, 1)
    while d.year == year:
        if cal.is_working_day(d):
            if d.weekday() >= 5:
                working.append(d)
        elif d.weekday() < 5 or day_name(d, calendar=cal):
            off.append(d)
        d += _DAY
    return off, working
