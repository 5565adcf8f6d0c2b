"""When the situation was reported: "7月20日晚8点", "今晨6时", "昨晚11点半", "20:30".

Times are read relative to the post time (year, today, yesterday). A time needs an hour:
"7月20日" alone says too little to order requests by, so it gives None. Results are
timezone-aware; posts without a zone are Beijing time (UTC+8).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from zhengwu.rescue.textnorm import parse_number

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

_DAY = (
    r"(?:(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?"
    r"|(?P<m2>\d{1,2})\.(?P<d2>\d{1,2})(?=\s*(?:日|号|凌晨|早|晚|上午|下午|中午|夜|\d{1,2}[点时:]))"
    r"|(?P<d3>\d{1,2})[日号]"
    r"|(?P<rel>今天|今日|今|昨天|昨日|昨|前天|前日))"
)
_PERIOD = (
    r"(?P<p>凌晨|清晨|早晨|早上|晨|早|上午|中午|午后|下午|傍晚|晚上|晚间|晚|夜里|夜间|深夜|半夜|夜)"
)
_CN = r"[零一二两三四五六七八九十]{1,3}"
_CLOCK = (
    r"(?:(?P<h>\d{1,2}|"
    + _CN
    + r")(?:点|时)(?:(?P<half>半)|(?P<quarter>一刻)|(?P<min>\d{1,2}|"
    + _CN
    + r")分?)?|(?P<hh>\d{1,2}):(?P<mm>\d{2}))"
)
_WHEN = re.compile(
    r"(?<!\d)(?:" + _DAY + r"\s*)?(?:" + _PERIOD + r"\s*)?(?:左右|大约|约)?" + _CLOCK
)
_CLOCK_ONLY = re.compile(_CLOCK)
_PREFIX_MAX = 20  # "2021年7月20日 晚上 约" is the longest date-and-period prefix
_RELATIVE = {
    "今天": 0,
    "今日": 0,
    "今": 0,
    "昨天": -1,
    "昨日": -1,
    "昨": -1,
    "前天": -2,
    "前日": -2,
}
_NIGHT = {"晚上", "晚间", "晚", "夜里", "夜间", "深夜", "半夜", "夜"}
# Hours that a period word moves into the afternoon or evening (下午3点 → 15:00).
_PM_HOURS = {
    "下午": (1, 11),
    "午后": (1, 11),
    "傍晚": (1, 11),
    "中午": (1, 2),
    **dict.fromkeys(_NIGHT, (6, 11)),
}


def reported_at(text: str, posted_at: datetime | None) -> datetime | None:
    """Return the first date-and-time ``text`` gives for the situation, or None."""
    anchor = _aware(posted_at) if posted_at else None
    for m in _matches(text):
        g = m.groupdict()
        chinese_hour = g["h"] is not None and not g["h"].isdigit()
        if chinese_hour and not (g["p"] or g["m"] or g["m2"] or g["d3"] or g["rel"]):
            continue  # "快一点" is not one o'clock
        clock = _clock(g)
        day = _day(g, anchor)
        if clock is None or day is None:
            continue
        hour, minute = clock
        extra_day = 0
        if hour >= 24:
            hour, extra_day = hour - 24, 1
        when = day.replace(hour=hour, minute=minute, second=0, microsecond=0)
        when += timedelta(days=extra_day)
        no_date = not (g["m"] or g["m2"] or g["d3"] or g["rel"])
        if no_date and anchor and when > anchor + timedelta(hours=1):
            when -= timedelta(days=1)  # "8点" in a post at 07:00 is yesterday evening
        return when
    return None


def _matches(text: str) -> Iterator[re.Match[str]]:
    # Find the clock first (rare), then read the date and period just before it: much
    # cheaper than trying the optional date prefix at every position of every post.
    for clock in _CLOCK_ONLY.finditer(text):
        m = _WHEN.search(text, max(0, clock.start() - _PREFIX_MAX), clock.end())
        while m is not None and m.end() < clock.end():
            m = _WHEN.search(text, m.end(), clock.end())
        if m is not None:
            yield m


def _aware(value: datetime) -> datetime:
    """Return ``value`` in Beijing time, where a post's clock times are read: a post time
    kept in UTC (as the databases return it) must not turn "晚上8点半" into 04:30."""
    return value.astimezone(BEIJING) if value.tzinfo else value.replace(tzinfo=BEIJING)


def _clock(g: dict[str, str | None]) -> tuple[int, int] | None:
    if g["hh"] is not None and g["mm"] is not None:
        hour, minute = int(g["hh"]), int(g["mm"])
    else:
        hour_value = parse_number(g["h"] or "")
        if hour_value is None:
            return None
        hour = hour_value
        minute = 30 if g["half"] else 15 if g["quarter"] else parse_number(g["min"] or "0") or 0
    period = g["p"] or ""
    low, high = _PM_HOURS.get(period, (0, -1))
    if low <= hour <= high:
        hour += 12
    elif period in _NIGHT and (hour < 6 or hour in (12, 24)):
        hour = 24 + hour % 12  # 晚上12点 and 夜里2点 belong to the next morning
    if hour >= 24 + 6 or minute > 59 or (hour > 24 and period not in _NIGHT):
        return None
    return hour, minute


def _day(g: dict[str, str | None], anchor: datetime | None) -> datetime | None:
    if g["m"] or g["m2"]:
        month = int(g["m"] or g["m2"] or 0)
        day = int(g["d"] or g["d2"] or 0)
        year = int(g["y"]) if g["y"] else anchor.year if anchor else None
        if year is None:
            return None
        tz = anchor.tzinfo if anchor else BEIJING
        try:
            return datetime(year, month, day, tzinfo=tz)
        except ValueError:
            return None
    if anchor is None:
        return None
    if g["d3"]:
        day = int(g["d3"])
        month_start = anchor.replace(day=1)
        if day > anchor.day:  # "30日" in a post of the 2nd is last month
            month_start = (month_start - timedelta(days=1)).replace(day=1)
        try:
            return month_start.replace(day=day)
        except ValueError:
            return None
    return anchor + timedelta(days=_RELATIVE.get(g["rel"] or "", 0))
