"""Shared text and time helpers: HTML to text, topics, mentions, counts, every time form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengwu.platforms.text import (
    CountError,
    extract_mentions,
    extract_topics,
    html_to_text,
    normalize_spaces,
    parse_count,
    split_list,
)
from zhengwu.platforms.timeparse import (
    CHINA_TZ,
    DateError,
    parse_time,
    parse_weibo_api_time,
)

NOW = datetime(2019, 6, 20, 15, 30, 45, tzinfo=CHINA_TZ)


# --- text ---------------------------------------------------------------------------


def test_html_to_text_turns_mblog_html_into_plain_text() -> None:
    html = (
        '<a  href="https://m.weibo.cn/search?containerid=231522" data-hide=""><span '
        "class=\"surl-text\">#北京暴雨#</span></a>请注意<a href='/n/北京气象'>@北京气象</a>"
        '<span class="url-icon"><img alt=[加油] src="//h5.sinaimg.cn/d_jiayou.png" '
        'style="width:1em; height:1em;" /></span><img alt="[赞]" src="x.png">'
        "<img src='y.png' alt='[心]'/><br />防范&amp;转发"
    )
    assert html_to_text(html) == "#北京暴雨#请注意@北京气象[加油][赞][心]\n防范&转发"


def test_html_to_text_leaves_plain_text_alone() -> None:
    text = "【#全国新增确诊病例#】@国家卫健委 http://t.cn/A6zQvTGc"
    assert html_to_text(text) is text


def test_topics_are_distinct_stripped_and_ordered() -> None:
    text = "#北京暴雨# 注意 # 防汛 # 再说 #北京暴雨# # # 结束"
    assert extract_topics(text) == ["北京暴雨", "防汛"]
    assert extract_topics("没有话题") == []
    assert extract_topics("#只有一个#") == ["只有一个"]


def test_mentions_are_distinct_and_ordered() -> None:
    text = "转发 //@踏遍天山:好 @新京报我们视频 @踏遍天山 @a_b-c1"
    assert extract_mentions(text) == ["踏遍天山", "新京报我们视频", "a_b-c1"]
    assert extract_mentions("no at sign") == []
    assert extract_mentions("@平安北京") == ["平安北京"]


def test_split_list_reads_crawler_list_columns() -> None:
    assert split_list("北京暴雨,#防汛#，  ,@平安北京") == ["北京暴雨", "防汛", "平安北京"]
    assert split_list("") == []
    assert split_list(None) == []


def test_normalize_spaces_collapses_ideographic_space() -> None:
    assert normalize_spaces("  北京\u3000\u3000发布 \t 消息 ") == "北京 发布 消息"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (123, 123),
        ("123", 123),
        ("1,234", 1234),
        ("1.2万", 12_000),
        ("100万+", 1_000_000),
        ("3亿", 300_000_000),
        ("10万+", 100_000),
        ("2.5w", 25_000),
        (12.0, 12),
        (None, None),
        ("", None),
    ],
)
def test_parse_count_reads_numbers_and_display_strings(value: object, expected: int | None) -> None:
    assert parse_count(value) == expected


@pytest.mark.parametrize("value", [-1, "-5", "abc", "1.2千", True, [1], float("nan"), -0.5])
def test_parse_count_rejects_negative_and_non_numeric(value: object) -> None:
    with pytest.raises(CountError):
        parse_count(value, field="reposts_count")


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_count_round_trips_integers(n: int) -> None:
    assert parse_count(n) == n
    assert parse_count(str(n)) == n
    assert parse_count(f"{n:,}") == n


# --- time ---------------------------------------------------------------------------


def test_api_time_parses_with_offset() -> None:
    dt = parse_weibo_api_time("Fri Mar 31 23:47:24 +0800 2017")
    assert dt == datetime(2017, 3, 31, 23, 47, 24, tzinfo=CHINA_TZ)
    assert dt.utcoffset() == timedelta(hours=8)
    other = parse_weibo_api_time("Fri Mar 31 10:00:00 -0530 2017")
    assert other.astimezone(UTC) == datetime(2017, 3, 31, 15, 30, tzinfo=UTC)


def test_api_time_cached_day_gives_same_results_as_first_parse() -> None:
    first = parse_weibo_api_time("Sun Jul 30 09:12:40 +0800 2023")
    again = parse_weibo_api_time("Sun Jul 30 09:12:40 +0800 2023")
    later = parse_weibo_api_time("Sun Jul 30 23:59:59 +0800 2023")
    assert first == again == datetime(2023, 7, 30, 9, 12, 40, tzinfo=CHINA_TZ)
    assert later == datetime(2023, 7, 30, 23, 59, 59, tzinfo=CHINA_TZ)
    with pytest.raises(DateError):
        parse_weibo_api_time("Sun Jul 30 24:00:00 +0800 2023")  # cached day, bad hour


@pytest.mark.parametrize(
    "text",
    [
        "Fri Feb 30 23:47:24 +0800 2017",  # no such day
        "Fri Mar 31 23:47:24 +0800 1917",  # before Weibo
        "Fri Foo 31 23:47:24 +0800 2017",
        "Fri Mar 31 23:47 +0800 2017",
        "not a time",
        "Fri Mar 31 23:47:24 +08x0 2017",
    ],
)
def test_api_time_rejects_impossible_or_malformed(text: str) -> None:
    with pytest.raises(DateError):
        parse_weibo_api_time(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sat Jun 14 12:00:00 +0800 2025", datetime(2025, 6, 14, 12, 0, tzinfo=CHINA_TZ)),
        ("2019-12-28 12:00:00", datetime(2019, 12, 28, 12, 0, tzinfo=CHINA_TZ)),
        ("2019-12-28T12:00:00", datetime(2019, 12, 28, 12, 0, tzinfo=CHINA_TZ)),
        ("2019-12-28 12:00", datetime(2019, 12, 28, 12, 0, tzinfo=CHINA_TZ)),
        ("2019-12-28", datetime(2019, 12, 28, tzinfo=CHINA_TZ)),
        ("2019-06-14", datetime(2019, 6, 14, tzinfo=CHINA_TZ)),
        ("2020-04-01T00:00:00Z", datetime(2020, 4, 1, tzinfo=UTC)),
        ("1587524917", datetime.fromtimestamp(1587524917, CHINA_TZ)),
        (1587524917, datetime.fromtimestamp(1587524917, CHINA_TZ)),
        (1587524917000, datetime.fromtimestamp(1587524917, CHINA_TZ)),
        ("刚刚", datetime(2019, 6, 20, 15, 30, 45, tzinfo=CHINA_TZ)),
        ("5分钟前", datetime(2019, 6, 20, 15, 25, tzinfo=CHINA_TZ)),
        ("30秒前", datetime(2019, 6, 20, 15, 30, 15, tzinfo=CHINA_TZ)),
        ("50 秒前", datetime(2019, 6, 20, 15, 29, 55, tzinfo=CHINA_TZ)),
        ("3小时前", datetime(2019, 6, 20, 12, 0, tzinfo=CHINA_TZ)),
        ("昨天 12:00", datetime(2019, 6, 19, 12, 0, tzinfo=CHINA_TZ)),
        ("今天 08:05", datetime(2019, 6, 20, 8, 5, tzinfo=CHINA_TZ)),
        ("06-14", datetime(2019, 6, 14, tzinfo=CHINA_TZ)),
        ("12-31", datetime(2018, 12, 31, tzinfo=CHINA_TZ)),  # later than now: last year
    ],
)
def test_parse_time_reads_every_form(value: object, expected: datetime) -> None:
    assert parse_time(value, now=NOW) == expected


@pytest.mark.parametrize(
    "value", ["", "2019-02-30", "1999-01-01", "13-40", "昨天 25:00", "someday", None, True, 1e20]
)
def test_parse_time_rejects_impossible(value: object) -> None:
    with pytest.raises(DateError):
        parse_time(value, now=NOW)


def test_parse_time_treats_naive_datetime_as_china_time() -> None:
    assert parse_time(datetime(2020, 1, 1, 8, 0)).utcoffset() == timedelta(hours=8)


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31)))
def test_api_time_round_trips(naive: datetime) -> None:
    dt = naive.replace(microsecond=0, tzinfo=CHINA_TZ)
    text = dt.strftime("%a %b %d %H:%M:%S +0800 %Y")
    assert parse_weibo_api_time(text) == dt
    assert parse_time(text) == dt
