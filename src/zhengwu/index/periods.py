"""Index periods: ISO weeks, months, quarters, years, custom ranges and 人民网's annual window.

A period is a run of whole China-time (UTC+8) days. ``parse_period`` reads the labels the
CLI and reports use:

===================== ======================================= ==========================
label                 window (China time, inclusive)          kind
===================== ======================================= ==========================
``2025-W27``          ISO week, Monday 2025-06-30 … Sunday    ``week``
``2025-07``           the calendar month                      ``month``
``2025-Q3``           the calendar quarter                    ``quarter``
``2025``              the calendar year                       ``year``
``2025-07-01..2025-07-15`` both days included                 ``custom``
``people-2025``       2024-11-01 … 2025-10-31 (人民网 annual)   ``people``
===================== ======================================= ==========================

清博's lists run weeks Sunday to Saturday. A system that says ``week_start = "sunday"``
reads ``2025-W27`` as the Sunday before that ISO week's Monday through its Saturday
(2025-06-29 … 2025-07-05): the same Monday-to-Saturday days, shifted to start on Sunday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from zhengwu.errors import InvalidInputError

PeriodKind = Literal["week", "month", "quarter", "year", "custom", "people"]
WeekStart = Literal["monday", "sunday"]
CHINA_OFFSET = timedelta(hours=8)  # China has had no daylight saving since 1991

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_CUSTOM = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_PEOPLE = re.compile(r"^people-(\d{4})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Period:
    """A window of whole China-time days with the label it was asked for by."""

    kind: PeriodKind
    label: str
    start: date  # first day, China time
    end: date  # last day, China time, inclusive
    week_start: WeekStart = "monday"

    @property
    def days(self) -> int:
        """Return the number of days in the window."""
        return (self.end - self.start).days + 1

    @property
    def start_utc(self) -> datetime:
        """Return the first instant of the window as a naive UTC timestamp (store convention)."""
        return datetime.combine(self.start, time()) - CHINA_OFFSET

    @property
    def end_utc(self) -> datetime:
        """Return the instant just after the window as a naive UTC timestamp (exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), time()) - CHINA_OFFSET

    def previous(self) -> Period:
        """Return the period of the same kind just before this one."""
        if self.kind == "week":
            return week_period(self.start - timedelta(days=7), self.week_start)
        if self.kind == "month":
            first = self.start.replace(day=1) - timedelta(days=1)
            return parse_period(f"{first.year:04d}-{first.month:02d}", week_start=self.week_start)
        if self.kind == "quarter":
            before = self.start - timedelta(days=1)
            label = f"{before.year:04d}-Q{(before.month - 1) // 3 + 1}"
            return parse_period(label, week_start=self.week_start)
        if self.kind == "year":
            return parse_period(f"{self.start.year - 1:04d}", week_start=self.week_start)
        if self.kind == "people":
            return parse_period(f"people-{self.end.year - 1:04d}", week_start=self.week_start)
        # A custom window's previous period is the window of the same length just before it.
        end = self.start - timedelta(days=1)
        start = end - timedelta(days=self.days - 1)
        return Period("custom", f"{start.isoformat()}..{end.isoformat()}", start, end)

    def to_dict(self) -> dict[str, object]:
        """Return the period as a JSON-serialisable mapping."""
        return {
            "kind": self.kind,
            "label": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "week_start": self.week_start,
        }


def _bad(text: str, why_zh: str, why_en: str) -> InvalidInputError:
    return InvalidInputError(
        f"无法识别的统计周期 {text!r}：{why_zh}（例：2025-W27、2025-07、2025-Q3、2025、"
        "2025-07-01..2025-07-15、people-2025）",
        f"unrecognised period {text!r}: {why_en} (examples: 2025-W27, 2025-07, 2025-Q3, "
        "2025, 2025-07-01..2025-07-15, people-2025)",
    )


def week_period(day: date, week_start: WeekStart = "monday") -> Period:
    """Return the week holding ``day`` (ISO Monday–Sunday, or 清博 Sunday–Saturday)."""
    if week_start == "sunday":
        start = day - timedelta(days=(day.weekday() + 1) % 7)
        # Label it by the ISO week of its Monday, so W27 names the same Monday–Saturday.
        year, week, _ = (start + timedelta(days=1)).isocalendar()
    else:
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
    return Period("week", f"{year:04d}-W{week:02d}", start, start + timedelta(days=6), week_start)


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def parse_period(text: str, *, week_start: WeekStart = "monday") -> Period:
    """Parse a period label (``2025-W27``, ``2025-07``, ``2025-Q3``, ``2025``, custom, people)."""
    raw = text.strip()
    if match := _WEEK.match(raw):
        year, week = int(match[1]), int(match[2])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise _bad(
                text, f"{year} 年没有第 {week} 周", f"{year} has no ISO week {week}"
            ) from None
        return week_period(monday, week_start)
    if match := _MONTH.match(raw):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise _bad(text, "月份应在 1 到 12 之间", "the month must be 1 to 12")
        return Period(
            "month", f"{year:04d}-{month:02d}", date(year, month, 1), _month_end(year, month),
            week_start,
        )  # fmt: skip
    if match := _QUARTER.match(raw):
        year, quarter = int(match[1]), int(match[2])
        first = 3 * (quarter - 1) + 1
        return Period(
            "quarter", f"{year:04d}-Q{quarter}", date(year, first, 1),
            _month_end(year, first + 2), week_start,
        )  # fmt: skip
    if match := _YEAR.match(raw):
        year = int(match[1])
        return Period("year", f"{year:04d}", date(year, 1, 1), date(year, 12, 31), week_start)
    if match := _PEOPLE.match(raw):
        year = int(match[1])
        # 人民网's annual report year runs from 1 November of the year before to 31 October.
        return Period(
            "people", f"people-{year:04d}", date(year - 1, 11, 1), date(year, 10, 31), week_start
        )
    if match := _CUSTOM.match(raw):
        try:
            start, end = date.fromisoformat(match[1]), date.fromisoformat(match[2])
        except ValueError as exc:
            raise _bad(text, "日期无效", f"invalid date ({exc})") from None
        if end < start:
            raise _bad(text, "结束日期早于开始日期", "the end is before the start")
        return Period("custom", f"{start.isoformat()}..{end.isoformat()}", start, end, week_start)
    raise _bad(text, "格式不对", "unknown format")


def china_date(moment: datetime) -> date:
    """Return the China-time calendar day of an aware or naive-UTC ``moment``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment + CHINA_OFFSET).date()
