"""Years the built-in calendar does not cover: statutory holidays by the 2024 regulation,
provisional deadlines, and the desk's calendar file (format, checks, setting, merge).

Every 调休 working day in these tests is made up for the test and labelled so: the State
Council's 2027 schedule is not known here, and none is shipped. Tests that need a year
without an official schedule use 2031, which a later chinese_calendar cannot cover for
years; 2027 appears where the result holds with or without its official schedule.
"""

from __future__ import annotations

import logging
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk import deadlines, rates, workdays
from zhengwu.servicedesk.workdays import (
    MOVABLE_DAYS,
    STATUTORY_YEARS,
    WEEKDAYS_ONLY,
    add_working_days,
    is_working_day,
    load_calendar,
    statutory_holidays,
)

CN = ZoneInfo("Asia/Shanghai")


def cn(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CN)


# ---------------------------------------------------------------- statutory holidays


def test_the_reported_case_new_year_2027_is_a_holiday() -> None:
    # The tester's case: Thursday 31 December 2026 10:00 + 1 working day. 1 January 2027
    # (元旦, a Friday) is off, then the weekend: due Monday 4 January.
    assert add_working_days(cn(2026, 12, 31, 10), 1) == cn(2027, 1, 4, 10)
    assert add_working_days(cn(2026, 12, 31, 10), 1, calendar=WEEKDAYS_ONLY) == cn(2027, 1, 1, 10)
    # 15 working days from Tuesday 15 December 2026: 元旦 no longer counts.
    assert add_working_days(cn(2026, 12, 15, 10), 15) == cn(2027, 1, 6, 10)


def test_spring_festival_2027_by_the_regulation() -> None:
    days = statutory_holidays(2027)
    # 除夕 Friday 5 February, 正月初一 to 初三 Saturday 6 to Monday 8 February.
    assert [d for d, name in days.items() if name == "春节"] == [
        date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)
    ]  # fmt: skip
    assert days[date(2027, 4, 5)] == "清明节"
    assert days[date(2027, 6, 9)] == "端午节"
    assert days[date(2027, 9, 15)] == "中秋节"
    assert len(days) == 13  # 元旦 1, 春节 4, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3
    assert workdays.owed_days_in_lieu(2027) == 6  # six of them fall on a weekend


def test_a_deadline_across_spring_festival_2031() -> None:
    # 除夕 Wednesday 22 January 2031 to 初三 Saturday 25th: Tuesday 21st + 1 is Monday 27th.
    assert add_working_days(cn(2031, 1, 21, 10), 1) == cn(2031, 1, 27, 10)
    assert add_working_days(cn(2031, 1, 21, 10), 1, calendar=WEEKDAYS_ONLY) == cn(2031, 1, 22, 10)


def test_mid_autumn_on_national_day_is_one_day_with_both_names() -> None:
    days = statutory_holidays(2028)
    assert days[date(2028, 10, 3)] == "国庆节、中秋节"
    assert len(days) == 12  # the regulation owes the lost day: dated by the State Council
    assert workdays.owed_days_in_lieu(2028) >= 1


def test_the_movable_days_match_the_state_councils_holidays_2008_to_2026() -> None:
    # 清明, 端午 and 中秋 became holidays in 2008; 正月初一 always was. The package leaves
    # out some weekend days of a holiday (端午 on Saturday 23 June 2012): such a day must be
    # off, next to a day of the same holiday.
    names = ("Spring Festival", "Tomb-sweeping Day", "Dragon Boat Festival",
             "Mid-autumn Festival")  # fmt: skip
    for year in range(2008, 2027):
        eve, qingming, duanwu, zhongqiu = MOVABLE_DAYS[year]
        for day, name in zip((eve + timedelta(days=1), qingming, duanwu, zhongqiu), names,
                             strict=True):  # fmt: skip
            assert not chinese_calendar.is_workday(day), (year, day)
            near = {chinese_calendar.holidays.get(day + timedelta(days=i)) for i in (-1, 0, 1)}
            assert name in near or "National Day" in near, (year, day, near)
    # Under the 2024 regulation (2025, 2026): every statutory day is a holiday, 除夕 too.
    for year in (2025, 2026):
        assert len(statutory_holidays(year)) == 13
        assert set(statutory_holidays(year)) <= set(chinese_calendar.holidays), year


def test_qingming_matches_the_solar_term_of_chinese_calendar_every_year() -> None:
    for year, (_eve, qingming, _d, _z) in MOVABLE_DAYS.items():
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
        assert (qingming, "清明") in terms, year


def test_the_lunar_days_are_whole_lunar_months_apart() -> None:
    years = sorted(MOVABLE_DAYS)
    assert years[0] <= 2008
    assert years[-1] >= 2050
    for year in years:
        eve, _q, duanwu, zhongqiu = MOVABLE_DAYS[year]
        new_year = eve + timedelta(days=1)
        assert date(year, 1, 21) <= new_year <= date(year, 2, 20), year
        # 五月初五 is 4 months (5 with a leap month) and 4 days after 正月初一; 八月十五 is
        # 7 (or 8) months and 14 days after it; each month has 29 or 30 days.
        to_duanwu = (duanwu - new_year).days - 4
        to_zhongqiu = (zhongqiu - new_year).days - 14
        assert 4 * 29 <= to_duanwu <= 4 * 30 or 5 * 29 <= to_duanwu <= 5 * 30, year
        assert 7 * 29 <= to_zhongqiu <= 7 * 30 or 8 * 29 <= to_zhongqiu <= 8 * 30, year
        if year + 1 in MOVABLE_DAYS:
            length = (MOVABLE_DAYS[year + 1][0] - eve).days
            assert length in (353, 354, 355, 383, 384, 385), year


def test_years_outside_the_regulation_have_no_statutory_days() -> None:
    assert statutory_holidays(2024) == {}  # the old regulation: the package covers it
    assert statutory_holidays(STATUTORY_YEARS[-1] + 1) == {}
    assert workdays.year_status(2031) == "provisional"
    assert workdays.year_status(2026) == "built-in"
    assert workdays.year_status(STATUTORY_YEARS[-1] + 1) == "weekdays"


def test_provisional_years_of_deadlines() -> None:
    assert workdays.is_provisional(2031)
    assert not workdays.is_provisional(2026)
    spans = [(cn(2030, 12, 27, 10), cn(2031, 1, 20, 10)), (cn(2026, 3, 1), None)]
    assert workdays.provisional_years(spans) == [2030, 2031]
    assert workdays.provisional_years([(cn(2026, 3, 1), cn(2026, 3, 20))]) == []
    zh, en = workdays.provisional_message(2031)
    assert "2031 年的国务院办公厅放假安排尚未载入" in zh
    assert "provisional" in en
    assert "zhengwu desk calendar import" in en
    zh, en = workdays.provisional_message(STATUTORY_YEARS[-1] + 1)
    assert "Monday to Friday only" in en


# ---------------------------------------------------------------- the calendar file

SCHEDULE_2031 = """\
source = "测试用安排（非真实的国务院办公厅通知）/ a made-up schedule for tests"
years = [2031]
[holidays]
2031-01-01 = "元旦"
2031-01-22 = "春节"
2031-01-23 = "春节"
2031-01-24 = "春节"
2031-01-25 = "春节"
2031-01-27 = "春节"
2031-04-05 = "清明节"
2031-05-01 = "劳动节"
2031-05-02 = "劳动节"
2031-06-24 = "端午节"
2031-10-01 = "国庆节、中秋节"
2031-10-02 = "国庆节"
2031-10-03 = "国庆节"
[workdays]
2031-01-11 = "测试用调休（非真实）"
"""


def _write(tmp_path: Path, text: str, name: str = "cal.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_complete_year_in_the_file_is_no_longer_provisional(tmp_path: Path) -> None:
    path = _write(tmp_path, SCHEDULE_2031)
    cal = load_calendar(path)
    assert not cal.is_provisional(2031)
    assert 2031 in workdays.covered_years(calendar=path)
    assert workdays.year_status(2031, calendar=cal) == "file"
    assert not is_working_day(date(2031, 1, 27), calendar=cal)  # the file's extra day off
    assert is_working_day(date(2031, 1, 11), calendar=cal)  # its (made-up) Saturday
    assert workdays.day_name(date(2031, 1, 11), calendar=cal) == "测试用调休（非真实）"
    assert cal.source.startswith("测试用安排")
    assert workdays.calendar_warnings(cal) == []
    # Friday 10 January 17:00 + 1: the working Saturday counts.
    assert add_working_days(cn(2031, 1, 10, 17), 1, calendar=cal) == cn(2031, 1, 11, 17)


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ('holidays = ["2027-02-30"]\n', "日期无效", "not a date in 'holidays'"),
        ("holidays = [2027-02-30]\n", "无法读取", "cannot read"),
        ("holiday = [2027-01-01]\n", "未知的键", "unknown key(s)"),
        ("workdays = [2031-01-06]\n", "本来就是工作日", "is a working day already"),
        ("workdays = [2031-01-25]\n", "是法定节假日（春节）", "statutory holiday (春节)"),
        ("holidays = [2031-01-11]\nworkdays = [2031-01-11]\n", "既是假日又是工作日", "both"),
        ("years = [2207]\n", "超出 2004–2100", "outside 2004–2100"),
        ("holidays = [2207-01-01]\n", "超出 2004–2100", "outside 2004–2100"),
        ("years = [true]\n", "years 应为年份数组", "array of years"),
        ("source = 3\n", "source 应为文字", "'source' must be a string"),
        ("[holidays]\n2027-01-04 = 5\n", "说明应为文字", "must be a string"),
    ],
)
def test_bad_calendar_files_are_refused_in_both_languages(
    tmp_path: Path, text: str, zh: str, en: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InvalidInputError) as caught:
        load_calendar(path)
    assert zh in caught.value.message_zh
    assert en in caught.value.message_en
    assert str(path) in caught.value.message_en  # the file is named


def test_a_schedule_the_built_in_calendar_has_too_still_loads(tmp_path: Path) -> None:
    # 2026's official schedule as a file (as after an upgrade that covers the year): the
    # Sunday 4 January 调休 is a working day in both, and that is no error.
    text = (
        'years = [2026]\nholidays = [2026-01-01, 2026-01-02]\n[workdays]\n2026-01-04 = "元旦调休"\n'
    )
    cal = load_calendar(_write(tmp_path, text))
    assert is_working_day(date(2026, 1, 4), calendar=cal)
    assert workdays.year_status(2026, calendar=cal) == "file"


def test_warnings_for_an_incomplete_file(tmp_path: Path) -> None:
    text = SCHEDULE_2031.replace('2031-06-24 = "端午节"\n', "")
    cal = load_calendar(_write(tmp_path, text))
    warnings = workdays.calendar_warnings(cal)
    assert [en for _zh, en in warnings] == [
        "the statutory holiday 2031-06-24 (端午节) of 2031 is not listed in holidays: "
        "it is counted as a day off all the same"
    ]
    assert date(2031, 6, 24).weekday() == 1  # a Tuesday
    assert not is_working_day(date(2031, 6, 24), calendar=cal)  # the law still applies
    assert is_working_day(date(2031, 6, 23), calendar=cal)
    partial = load_calendar(_write(tmp_path, "holidays = [2028-07-21]\n", "partial.toml"))
    assert [zh for zh, _en in workdays.calendar_warnings(partial)] == [
        "2028 年未列入 years：文件只补充个别日期，2028 年的期限仍为暂定"
    ]
    assert partial.is_provisional(2028)


def test_merge_replaces_declared_years_and_keeps_the_rest(tmp_path: Path) -> None:
    local = load_calendar(_write(
        tmp_path, '[holidays]\n2026-07-20 = "台风停工"\n2031-03-03 = "旧的"\n', "local.toml"
    ))  # fmt: skip
    merged = workdays.merge_calendars(local, load_calendar(_write(tmp_path, SCHEDULE_2031)))
    assert date(2026, 7, 20) in merged.extra_holidays  # another year: kept
    assert date(2031, 3, 3) not in merged.extra_holidays  # 2031 replaced as a whole
    assert merged.years == {2031}
    assert merged.names[date(2026, 7, 20)] == "台风停工"
    out = tmp_path / "desk.toml"
    workdays.write_calendar(out, merged, header="test")
    again = load_calendar(out)
    assert again == merged
    assert again.names == merged.names
    assert out.read_text(encoding="utf-8").startswith("# test\n")
    assert not (tmp_path / "desk.toml.partial").exists()


# ---------------------------------------------------------------- the desk's setting


def test_the_desk_uses_the_file_the_setting_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert deadlines.calendar_path() is None  # nothing in the data dir: built-in only
    assert deadlines.add_working_days(cn(2031, 1, 10, 17), 1) == cn(2031, 1, 13, 17)
    path = _write(tmp_path, SCHEDULE_2031, "elsewhere.toml")
    monkeypatch.setenv("ZHENGWU_DESK_CALENDAR", str(path))
    get_settings.cache_clear()
    assert deadlines.calendar_path() == path
    assert deadlines.add_working_days(cn(2031, 1, 10, 17), 1) == cn(2031, 1, 11, 17)
    assert deadlines.provisional_years([(cn(2031, 1, 8), cn(2031, 2, 1))]) == []
    monkeypatch.setenv("ZHENGWU_DESK_CALENDAR", str(tmp_path / "missing.toml"))
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError, match="no working-day calendar file"):
        deadlines.warn_at_start(date(2031, 11, 23))


def test_the_default_file_in_the_data_dir_is_used_when_present() -> None:
    default = get_settings().resolved_desk_calendar
    assert default == get_settings().data_dir / "desk-calendar.toml"
    default.parent.mkdir(parents=True, exist_ok=True)
    default.write_text(SCHEDULE_2031, encoding="utf-8")
    assert deadlines.calendar_path() == default
    assert deadlines.upcoming_provisional_years(date(2031, 6, 1)) == []
    assert deadlines.upcoming_provisional_years(date(2031, 11, 1)) == [2032]


def test_a_file_broken_after_it_was_read_keeps_the_last_calendar(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = get_settings().resolved_desk_calendar
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SCHEDULE_2031, encoding="utf-8")
    good = deadlines.calendar()
    path.write_text("holidays = [", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with caplog.at_level(logging.ERROR, logger="zhengwu.servicedesk.deadlines"):
        assert deadlines.calendar() == good
        assert deadlines.calendar() == good
    errors = [r.getMessage() for r in caplog.records if r.name == "zhengwu.servicedesk.deadlines"]
    assert len(errors) == 1
    assert "cannot read the working-day calendar file" in errors[0]


def test_a_pinned_calendar_holds_until_the_block_ends() -> None:
    # A CSV import reads the desk's calendar once per batch: an edit made meanwhile is
    # seen by the next batch, not half-way through this one.
    path = get_settings().resolved_desk_calendar
    path.parent.mkdir(parents=True, exist_ok=True)
    friday = cn(2031, 1, 10, 17)
    with deadlines.pinned() as held:
        assert held == deadlines.calendar()
        path.write_text(SCHEDULE_2031, encoding="utf-8")  # Saturday 11 January: working
        assert deadlines.add_working_days(friday, 1) == cn(2031, 1, 13, 17)
    assert deadlines.add_working_days(friday, 1) == cn(2031, 1, 11, 17)


def test_provisional_deadlines_are_logged_once_per_year(caplog: pytest.LogCaptureFixture) -> None:
    deadlines._provisional_seen.discard(2031)
    with (
        caplog.at_level(logging.WARNING, logger="zhengwu.servicedesk.deadlines"),
        deadlines.collect_provisional() as seen,
    ):
        deadlines.add_working_days(cn(2031, 3, 3, 10), 15)
        deadlines.add_working_days(cn(2031, 3, 4, 10), 15)
        deadlines.add_working_days(cn(2026, 3, 2, 10), 15)  # all in 2026: nothing to say
    logged = [r.getMessage() for r in caplog.records if r.name == "zhengwu.servicedesk.deadlines"]
    assert len(logged) == 1
    assert "2031" in logged[0] and "provisional" in logged[0]
    assert seen == {2031}
    notice = deadlines.provisional_notice(seen)
    assert notice is not None and notice.startswith("2031 年的国务院办公厅放假安排尚未载入")
    assert deadlines.provisional_notice([]) is None


def test_start_up_warns_about_the_coming_months(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="zhengwu.servicedesk.deadlines"):
        assert deadlines.warn_at_start(date(2031, 11, 23)) == [2031, 2032]
        assert deadlines.warn_at_start(date(2026, 6, 1)) == []  # 2027 is months away
    logged = [r.getMessage() for r in caplog.records if r.name == "zhengwu.servicedesk.deadlines"]
    assert len(logged) == 2 and "2031" in logged[0] and "2032" in logged[1]


def test_handling_times_follow_the_desk_calendar() -> None:
    a, b = cn(2031, 1, 10, 17), cn(2031, 1, 13, 17)
    assert rates._clock().days(a, b) == 1.0  # Saturday 11 January is off
    path = get_settings().resolved_desk_calendar
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SCHEDULE_2031, encoding="utf-8")
    assert rates._clock().days(a, b) == 2.0  # the file's (made-up) working Saturday counts


def test_the_documented_file_loads(tmp_path: Path) -> None:
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "servicedesk.md").read_text("utf-8")
    found = re.search(r"```toml\n(# 2027\.toml.*?)```", doc, re.S)
    assert found is not None
    cal = load_calendar(_write(tmp_path, found[1]))
    assert cal.years == {2027}
    assert cal.extra_holidays == {date(2027, 1, 1)}
    assert cal.source == "国务院办公厅关于2027年部分节假日安排的通知"
