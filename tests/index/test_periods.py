"""Period labels: ISO and 清博 weeks, months, quarters, years, custom and 人民网 windows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengwu.errors import InvalidInputError
from zhengwu.index.formulas import qingbo_week
from zhengwu.index.periods import china_date, parse_period, week_period


def test_iso_week_runs_monday_to_sunday() -> None:
    week = parse_period("2025-W27")
    assert (week.kind, week.start, week.end, week.days) == (
        "week",
        date(2025, 6, 30),
        date(2025, 7, 6),
        7,
    )


def test_qingbo_week_runs_sunday_to_saturday_over_the_same_days() -> None:
    week = parse_period("2025-W27", week_start="sunday")
    assert (week.start, week.end) == (date(2025, 6, 29), date(2025, 7, 5))
    assert week.start.weekday() == 6
    assert week.label == "2025-W27"
    assert qingbo_week(date(2025, 7, 2)) == (week.start, week.end)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31)))
def test_every_day_lies_in_its_qingbo_week_and_labels_round_trip(day: date) -> None:
    week = week_period(day, "sunday")
    assert week.start <= day <= week.end
    assert (week.start, week.end) == qingbo_week(day)
    assert parse_period(week.label, week_start="sunday") == week


def test_month_quarter_year_and_custom() -> None:
    assert (parse_period("2025-02").end, parse_period("2024-02").days) == (date(2025, 2, 28), 29)
    q3 = parse_period("2025-Q3")
    assert (q3.start, q3.end, q3.days) == (date(2025, 7, 1), date(2025, 9, 30), 92)
    assert parse_period("2025").days == 365
    custom = parse_period("2025-07-01..2025-07-15")
    assert (custom.kind, custom.days) == ("custom", 15)


def test_people_window_is_november_to_october() -> None:
    people = parse_period("people-2025")
    assert (people.start, people.end, people.days) == (date(2024, 11, 1), date(2025, 10, 31), 365)
    assert parse_period("people-2024").days == 366  # Feb 2024 is in it


def test_previous_periods_are_of_the_same_kind() -> None:
    assert parse_period("2025-W01").previous().label == "2024-W52"
    assert parse_period("2025-01").previous().label == "2024-12"
    assert parse_period("2025-Q1").previous().label == "2024-Q4"
    assert parse_period("2025").previous().label == "2024"
    assert parse_period("people-2025").previous().label == "people-2024"
    assert parse_period("2025-07-11..2025-07-20").previous().label == "2025-07-01..2025-07-10"
    qb = parse_period("2025-W27", week_start="sunday").previous()
    assert (qb.start, qb.week_start) == (date(2025, 6, 22), "sunday")


def test_window_bounds_are_china_midnights_in_utc() -> None:
    july = parse_period("2025-07")
    assert july.start_utc == datetime(2025, 6, 30, 16, 0)
    assert july.end_utc == datetime(2025, 7, 31, 16, 0)
    assert china_date(datetime(2025, 7, 31, 16, 30, tzinfo=UTC)) == date(2025, 8, 1)


@pytest.mark.parametrize(
    "text",
    ["2025-W54", "2025-13", "2025-Q5", "2025-07-15..2025-07-01", "2025-02-30..2025-03-01", "July"],
)
def test_bad_labels_are_refused_with_examples(text: str) -> None:
    with pytest.raises(InvalidInputError, match="people-2025"):
        parse_period(text)
