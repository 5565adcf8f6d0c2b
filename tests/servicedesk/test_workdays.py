"""The working-day calendar on real holidays: 2025 National Day and Spring Festival, 2024
Labour Day with their 调休 make-up days, weekends, deadlines across a holiday, overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk.workdays import (
    WorkCalendar,
    add_working_days,
    clock_start,
    covered_years,
    is_working_day,
    load_calendar,
    next_working_day,
    previous_working_day,
    provisional_years,
    working_days_between,
)

CN = ZoneInfo("Asia/Shanghai")


def cn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CN)


def days_in(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# ---------------------------------------------------------------- the calendar itself


def test_national_day_2025() -> None:
    assert not any(is_working_day(d) for d in days_in(date(2025, 10, 1), date(2025, 10, 8)))
    assert is_working_day(date(2025, 9, 28))  # Sunday, 调休 make-up workday
    assert is_working_day(date(2025, 10, 11))  # Saturday, 调休 make-up workday
    assert is_working_day(date(2025, 9, 30))
    assert is_working_day(date(2025, 10, 9))
    assert not is_working_day(date(2025, 10, 12))  # an ordinary Sunday


def test_spring_festival_2025() -> None:
    assert not any(is_working_day(d) for d in days_in(date(2025, 1, 28), date(2025, 2, 4)))
    assert is_working_day(date(2025, 1, 26))  # Sunday before: make-up workday
    assert is_working_day(date(2025, 2, 8))  # Saturday after: make-up workday
    assert is_working_day(date(2025, 2, 5))
    assert next_working_day(date(2025, 1, 27)) == date(2025, 2, 5)


def test_labour_day_2024() -> None:
    assert not any(is_working_day(d) for d in days_in(date(2024, 5, 1), date(2024, 5, 5)))
    assert is_working_day(date(2024, 4, 28))  # Sunday, make-up
    assert is_working_day(date(2024, 5, 11))  # Saturday, make-up
    assert next_working_day(date(2024, 4, 30)) == date(2024, 5, 6)
    assert previous_working_day(date(2024, 5, 6)) == date(2024, 4, 30)


def test_weekends_and_datetimes() -> None:
    assert is_working_day(date(2025, 3, 7))  # Friday
    assert not is_working_day(date(2025, 3, 8))  # Saturday
    assert next_working_day(date(2025, 3, 7)) == date(2025, 3, 10)
    # A datetime counts by its date in China: 16:30 UTC on 30 Sep is 00:30 on 1 Oct.
    assert is_working_day(datetime(2025, 9, 30, 15, 59, tzinfo=UTC))
    assert not is_working_day(datetime(2025, 9, 30, 16, 30, tzinfo=UTC))


def test_covered_years_and_the_statutory_fallback() -> None:
    years = covered_years()
    assert years[0] == 2004
    assert {2024, 2025} <= set(years)
    assert 2040 not in years
    # 2040 is not covered: its statutory holidays are off (1 January, a Sunday; 清明 on
    # Wednesday 4 April), 2 January (Monday) counts, although the State Council will
    # likely give it in lieu of the Sunday (补假): the provisional calendar cannot know.
    assert not is_working_day(date(2040, 1, 1))
    assert is_working_day(date(2040, 1, 2))
    assert not is_working_day(date(2040, 4, 4))
    assert not is_working_day(date(2040, 1, 7))  # Saturday
    # After the statutory table (2088): Monday to Friday only.
    assert is_working_day(date(2095, 1, 3))  # a Monday
    assert not is_working_day(date(2095, 1, 1))  # a Saturday


# ---------------------------------------------------------------- deadlines


def test_friday_afternoon_plus_one_is_monday_same_time() -> None:
    assert add_working_days(cn(2025, 3, 7, 17, 0), 1) == cn(2025, 3, 10, 17, 0)
    assert add_working_days(cn(2025, 3, 7, 17, 0), 5) == cn(2025, 3, 14, 17, 0)


def test_deadline_across_national_day() -> None:
    received = cn(2025, 9, 30, 17, 0)
    assert add_working_days(received, 1) == cn(2025, 10, 9, 17, 0)
    assert add_working_days(received, 2) == cn(2025, 10, 10, 17, 0)
    assert add_working_days(received, 3) == cn(2025, 10, 11, 17, 0)  # Saturday make-up day
    assert add_working_days(received, 4) == cn(2025, 10, 13, 17, 0)
    # The Friday before, the make-up Sunday counts.
    assert add_working_days(cn(2025, 9, 26, 17, 0), 1) == cn(2025, 9, 28, 17, 0)


def test_received_on_a_holiday_starts_at_nine_on_the_next_working_day() -> None:
    received = cn(2025, 10, 3, 10, 0)
    assert clock_start(received) == cn(2025, 10, 9, 9, 0)
    assert add_working_days(received, 1) == cn(2025, 10, 10, 9, 0)
    assert add_working_days(cn(2025, 3, 8, 10, 0), 1) == cn(2025, 3, 11, 9, 0)  # Saturday
    # Spring Festival: the clock starts Wed 5 Feb 09:00; Saturday 8 Feb (make-up) counts.
    assert add_working_days(cn(2025, 1, 29, 20, 0), 15) == cn(2025, 2, 25, 9, 0)
    assert add_working_days(received, 0) == cn(2025, 10, 9, 9, 0)


def test_received_on_a_working_day_starts_at_once() -> None:
    late = cn(2025, 3, 7, 23, 30)
    assert clock_start(late) == late
    assert add_working_days(late, 1) == cn(2025, 3, 10, 23, 30)


def test_fractions_and_midnight() -> None:
    assert add_working_days(cn(2025, 3, 7, 17, 0), 0.5) == cn(2025, 3, 10, 5, 0)
    assert add_working_days(cn(2025, 3, 7, 0, 0), 1) == cn(2025, 3, 8, 0, 0)  # end of Friday
    assert add_working_days(cn(2025, 3, 10, 12, 0), 0.25) == cn(2025, 3, 10, 18, 0)


def test_results_come_back_in_the_given_timezone() -> None:
    received = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)  # Friday 17:00 in China
    due = add_working_days(received, 1)
    assert due == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    assert due.tzinfo is UTC
    # 16:30 UTC on 30 September is already 1 October in China: a holiday.
    assert add_working_days(datetime(2025, 9, 30, 16, 30, tzinfo=UTC), 1) == datetime(
        2025, 10, 10, 1, 0, tzinfo=UTC
    )
    naive = datetime(2025, 3, 7, 17, 0)  # taken as China wall-clock time
    assert add_working_days(naive, 1) == datetime(2025, 3, 10, 17, 0)


def test_negative_days_count_backwards() -> None:
    assert add_working_days(cn(2025, 10, 9, 17, 0), -1) == cn(2025, 9, 30, 17, 0)
    assert add_working_days(cn(2025, 3, 10, 17, 0), -1) == cn(2025, 3, 7, 17, 0)
    # From a day off, backwards starts at the end of the previous working day.
    assert add_working_days(cn(2025, 3, 8, 10, 0), -0.5) == cn(2025, 3, 7, 12, 0)


def test_working_days_between() -> None:
    assert working_days_between(cn(2025, 3, 7, 17, 0), cn(2025, 3, 10, 17, 0)) == 1.0
    assert working_days_between(cn(2025, 9, 30, 17, 0), cn(2025, 10, 9, 17, 0)) == 1.0
    assert working_days_between(cn(2025, 10, 9, 17, 0), cn(2025, 9, 30, 17, 0)) == -1.0
    assert working_days_between(cn(2025, 3, 10, 9, 0), cn(2025, 3, 10, 21, 0)) == 0.5
    # Received on a holiday, answered before the clock started: no time used.
    assert working_days_between(cn(2025, 10, 3, 10, 0), cn(2025, 10, 9, 8, 0)) == 0.0
    assert working_days_between(cn(2025, 10, 3, 10, 0), cn(2025, 10, 10, 9, 0)) == 1.0


_STARTS = st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 1), timezones=st.just(CN))


@settings(max_examples=300, deadline=None)
@given(_STARTS, st.integers(0, 40) | st.floats(0, 40, allow_nan=False))
def test_between_inverts_add(start: datetime, days: float) -> None:
    due = add_working_days(start, days)
    assert due >= start
    assert working_days_between(start, due) == pytest.approx(days, abs=1e-9)
    local = due.astimezone(CN)
    on_working_day = is_working_day(local.date())
    ends_a_working_day = local.time() == datetime.min.time() and is_working_day(
        local.date() - timedelta(days=1)
    )
    assert on_working_day or ends_a_working_day


@settings(max_examples=200, deadline=None)
@given(_STARTS, st.integers(0, 30), st.integers(0, 30))
def test_more_days_never_means_an_earlier_deadline(start: datetime, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert add_working_days(start, low) <= add_working_days(start, high)


@settings(max_examples=200, deadline=None)
@given(_STARTS, st.integers(0, 30))
def test_backwards_undoes_forwards_from_a_working_day(start: datetime, days: int) -> None:
    start = clock_start(start)
    assert add_working_days(add_working_days(start, days), -days) == start


def _walked(start: datetime, days: float, calendar: WorkCalendar) -> datetime:
    """The deadline walked day by day, as add_working_days counted it before it looked
    the working days up (the reference it must keep to)."""
    cursor = clock_start(start, calendar=calendar).astimezone(CN).replace(tzinfo=None)
    left = timedelta(days=days)
    while True:
        day_end = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time())
        if calendar.is_working_day(cursor.date()):
            if cursor + left <= day_end:
                return (cursor + left).replace(tzinfo=CN).astimezone(start.tzinfo)
            left -= day_end - cursor
        cursor = day_end


_OVERRIDE = WorkCalendar(
    extra_holidays=frozenset({date(2025, 3, 5), date(2031, 5, 6)}),
    extra_workdays=frozenset({date(2025, 3, 8)}),
)
_ANY_ZONE = st.sampled_from([CN, UTC, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati")])


@settings(max_examples=400, deadline=None)
@given(
    st.datetimes(datetime(2018, 1, 1), datetime(2032, 12, 1), timezones=_ANY_ZONE),
    st.integers(0, 60) | st.floats(0, 60, allow_nan=False) | st.sampled_from([1, 2, 15]),
    st.sampled_from([WorkCalendar(), _OVERRIDE]),
    st.booleans(),
)
def test_deadlines_are_the_day_by_day_walk(
    start: datetime, days: float, calendar: WorkCalendar, midnight: bool
) -> None:
    if midnight:  # a deadline may end exactly at a midnight
        start = start.astimezone(CN).replace(hour=0, minute=0, second=0, microsecond=0)
    due = add_working_days(start, days, calendar=calendar)
    assert due == _walked(start, days, calendar)
    assert due.tzinfo is start.tzinfo
    assert add_working_days(start, days, calendar=calendar) == due  # looked up the same again


def test_provisional_years_around_new_year_in_any_zone() -> None:
    # 31 December 2030 20:00 in New York is already 2031 in China: provisional.
    new_york = ZoneInfo("America/New_York")
    late = datetime(2030, 12, 31, 20, tzinfo=new_york)
    assert provisional_years([(late, late)]) == [2031]
    assert provisional_years([(datetime(2025, 12, 31, 15, tzinfo=UTC), None)]) == []
    assert provisional_years([(date(2026, 12, 31), date(2027, 1, 4))]) == [2027]
    assert provisional_years([(None, None)]) == []


# ---------------------------------------------------------------- deployment overrides


def _override(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "workdays.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_file_adds_days_off_and_working_days(tmp_path: Path) -> None:
    path = _override(
        tmp_path,
        'years = [2040]\nholidays = [2025-07-21, 2040-01-02]\n[workdays]\n2025-07-19 = "防汛补班"\n',
    )
    assert not is_working_day(date(2025, 7, 21), calendar=path)  # a Monday, now off
    assert is_working_day(date(2025, 7, 19), calendar=path)  # a Saturday, now working
    assert is_working_day(date(2025, 7, 21))  # the default calendar is untouched
    assert 2040 in covered_years(calendar=path)
    assert not is_working_day(date(2040, 1, 2), calendar=str(path))
    # Friday 18 July 17:00 + 1: Saturday 19th counts, Monday 21st does not.
    assert add_working_days(cn(2025, 7, 18, 17, 0), 1, calendar=path) == cn(2025, 7, 19, 17, 0)
    assert add_working_days(cn(2025, 7, 18, 17, 0), 2, calendar=path) == cn(2025, 7, 22, 17, 0)
    calendar = load_calendar(path)
    assert calendar == WorkCalendar(
        frozenset({date(2025, 7, 21), date(2040, 1, 2)}), frozenset({date(2025, 7, 19)}),
        frozenset({2040}),
    )  # fmt: skip
    assert next_working_day(date(2025, 7, 18), calendar=calendar) == date(2025, 7, 19)


def test_an_edited_override_file_is_read_again(tmp_path: Path) -> None:
    import os

    path = _override(tmp_path, "holidays = [2025-07-21]\n")
    assert not is_working_day(date(2025, 7, 21), calendar=path)
    path.write_text("holidays = []\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert is_working_day(date(2025, 7, 21), calendar=path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("holidays = [2025-07-21]\nworkdays = [2025-07-21]\n", "both"),
        ("holidays = [", "cannot read"),
        ('holidays = ["not a date"]\n', "not a date"),
        ("holidays = [2025-07-21T09:00:00]\n", "not a date"),
        ('holidays = "2025-07-21"\n', "must be dates"),
        ('years = ["2040"]\n', "array of years"),
    ],
)
def test_bad_override_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = _override(tmp_path, text)
    with pytest.raises(InvalidInputError, match=message):
        load_calendar(path)


def test_a_missing_override_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no working-day calendar file"):
        is_working_day(date(2025, 7, 21), calendar=tmp_path / "missing.toml")
