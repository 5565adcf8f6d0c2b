"""Weibo hot search (微博热搜) of the simulated days, as daily archive files.

Written exactly like justjavac/weibo-trending-hot-search ``raw/<date>.json`` (what the
``hot-search`` importer reads): one JSON array per China day, the de-duplicated union of
the hourly scrapes of the top-50 list, each element ``{"url", "title"}``::

    {"url": "/weibo?q=%23<title>%23&t=31&band_rank=3&Refer=top", "title": "<title>"}

A ``#话题#`` entry has its ``q`` wrapped in ``%23`` (a plain search word has not); the
title never carries the ``#``. A day starts with its pinned entries (置顶, ``Refer=new_time``,
no ``t`` and no ``band_rank``); the others follow newest scrape first, each with the rank of
the last scrape it was seen in. The layout is the archive's (Prettier, two spaces, an
element on one line when it fits in 120 columns with CJK characters counted twice).

The list itself is a small queue model: stories arrive every hour, stay a few hours and
are ranked each hour by their heat. During the rainstorm the struck city's hashtag
(``#许昌暴雨#`` → title 许昌暴雨) is near the top all day on every event day, with the help
posts' ``…暴雨互助`` and a few related entries; a warning leads the day before.
"""

from __future__ import annotations

import json
import math
import string
import unicodedata
from collections.abc import Container, Iterator
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

from zhengwu.simulate.config import Draws, rng
from zhengwu.simulate.streams import StreamContext

FOLDER = "weibo/hot-search"
LIST_SIZE = 50  # one scrape of s.weibo.com/top/summary
ARRIVALS_PER_HOUR = 22.0
MEAN_HOURS = 3.2
PRINT_WIDTH = 120
REST_HOURS = 5 * 24  # before a title that left the list may come back

_CITIES = (
    "北京", "上海", "广州", "深圳", "成都", "重庆", "杭州", "武汉", "西安", "南京", "长沙",
    "天津", "苏州", "青岛", "厦门", "哈尔滨", "昆明", "大连", "沈阳", "济南", "合肥", "福州",
    "南宁", "贵阳", "兰州", "乌鲁木齐", "拉萨", "三亚", "洛阳", "泉州", "无锡", "宁波",
)  # fmt: skip
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡"
_GIVEN = "子一思雨梓浩宇欣然晨阳嘉怡若汐俊凯文轩沐辰安琪乐言星野知夏书瑶"
_DRAMA_A = (
    "长风",
    "星河",
    "锦绣",
    "山海",
    "归途",
    "云间",
    "明月",
    "繁花",
    "逐光",
    "春日",
    "烟火",
    "南风",
)
_DRAMA_B = ("传", "录", "令", "之约", "如歌", "人间", "少年", "有时")
_TEAMS = ("中国女排", "中国男篮", "中国女足", "国乒", "中国跳水队", "中国游泳队", "国足")
_BALL_TEAMS = ("中国男篮", "中国女足", "国足")
# Titles: (template, is a #话题#). Fields: star, star2, drama, city, team, ball, n, m, m2.
_TITLES: tuple[tuple[str, bool], ...] = (
    ("{star}新剧定档", True), ("{star}回应近况", True), ("{star}{star2}同框", True),
    ("{drama}大结局", True), ("{drama}开播", True), ("{drama}收视破{m}", False),
    ("{star}演唱会门票秒空", True), ("{star}晒出近照", False), ("{star}生日快乐", True),
    ("{star}素颜出镜", False), ("{drama}定档{m}月", True), ("{star}方发声明", True),
    ("{city}一小区电梯困住{n}人", True), ("男子高速逆行被拘", True), ("外卖小哥暴雨中送餐", True),
    ("{city}地铁早高峰延误", True), ("{city}发布高温红色预警", True), ("多地开启烧烤模式", True),
    ("{n}岁老人独自骑行{m}000公里", True), ("{city}街头现萌宠", False), ("{city}夜市有多火", True),
    ("{city}文旅又整活了", True), ("在{city}挤地铁的体验", False), ("{city}天空出现彩虹", True),
    ("暑期带娃出游攻略", True), ("{m}月起这些新规施行", True), ("高考志愿填报指南", True),
    ("录取通知书开始寄送", True), ("年轻人开始流行{n}分钟散步", True), ("夏天最该吃的{m}种水果", False),
    ("防晒的{m}个误区", True), ("打工人午休现状", True), ("空调开{n}度最省电", True),
    ("{ball}{m}比{m2}获胜", True), ("{team}晋级决赛", True), ("{team}夺冠", True),
    ("{team}公布大名单", False), ("国产大模型新进展", True), ("手机新品发布会", False),
    ("{city}新增{n}个口袋公园", True), ("高铁暑运首日", True), ("{city}机场航班大面积延误", True),
    ("防溺水安全提醒", True), ("{city}警方通报", True), ("反诈民警的{m}个提醒", True),
    ("{city}一景区限流", True), ("台风最新消息", True), ("中央气象台发布高温预警", True),
)  # fmt: skip
_PINNED = (
    "奋力谱写高质量发展新篇章", "守护万家灯火", "让群众办事更便捷", "夏粮丰收在望",
    "一起守护绿水青山", "科技创新再上新台阶", "为基层减负赋能", "办好民生实事",
    "稳就业惠民生", "致敬最美奋斗者", "乡村振兴看变化", "暑期安全不放假",
)  # fmt: skip


_POOLS: dict[str, tuple[str, ...]] = {"city": _CITIES, "team": _TEAMS, "ball": _BALL_TEAMS}
_NUMBERS = {"n": (2, 99), "m": (1, 9), "m2": (0, 4)}
# Each template with the fields it uses, so that a title draws only what it shows.
_COMPILED = tuple(
    (template, tuple(f for _, f, _, _ in string.Formatter().parse(template) if f), topic)
    for template, topic in _TITLES
)


@dataclass(slots=True)
class _Story:
    title: str
    topic: bool  # a #话题# (q wrapped in %23) or a plain search word
    start: int  # first hour of the window on the list's candidates
    stop: int  # exclusive
    heat: float


@dataclass(frozen=True, slots=True)
class Entry:
    """One archive element."""

    title: str
    topic: bool
    rank: int | None  # None for a pinned entry

    @property
    def url(self) -> str:
        """Return the entry's relative search URL, as the archive spells it."""
        q = quote(f"#{self.title}#" if self.topic else self.title, safe="")
        if self.rank is None:
            return f"/weibo?q={q}&Refer=new_time"
        return f"/weibo?q={q}&t=31&band_rank={self.rank}&Refer=top"


class _Titles:
    """Draw fresh titles, never one that is on the list already."""

    def __init__(self, draws: Draws) -> None:
        self.draws = draws

    def _pick(self, items: tuple[str, ...] | str) -> str:
        return items[self.draws.integers(0, len(items))]

    def _name(self) -> str:
        size = 1 + int(self.draws.random() < 0.7)
        return self._pick(_SURNAMES) + "".join(self._pick(_GIVEN) for _ in range(size))

    def _field(self, name: str) -> str | int:
        if name in ("star", "star2"):
            return self._name()
        if name == "drama":
            return f"{self._pick(_DRAMA_A)}{self._pick(_DRAMA_B)}"
        low, high = _NUMBERS[name]
        return self.draws.integers(low, high)

    def draw(self, taken: Container[str]) -> tuple[str, bool] | None:
        """Return a (title, is_topic) not in ``taken``, or None after a few tries."""
        for _ in range(8):
            template, fields, topic = _COMPILED[self.draws.integers(0, len(_COMPILED))]
            values = {
                name: self._pick(_POOLS[name]) if name in _POOLS else self._field(name)
                for name in fields
            }
            title = template.format_map(values)
            if title not in taken:
                return title, topic
        return None


def _event_stories(ctx: StreamContext) -> list[_Story]:
    """Return the rainstorm's entries: the hashtag on every event day, and related ones."""
    event, tag = ctx.event, ctx.event.tag
    city, province = event.unit.place.short, event.unit.province.short
    stories: list[_Story] = []
    for day, intensity in zip(event.days, event.intensity, strict=True):
        hour = day * 24
        stories.append(_Story(tag, True, hour, hour + 24, 400.0 * intensity))
        stories.append(_Story(f"{tag}互助", True, hour + 6, hour + 24, 60.0 * intensity))
        if intensity == max(event.intensity):
            stories.append(_Story(f"{city}加油", True, hour + 9, hour + 24, 80.0))
            stories.append(_Story(f"{province}启动防汛应急响应", True, hour + 2, hour + 14, 50.0))
            stories.append(_Story(f"{city}多条道路积水", False, hour + 16, hour + 24, 45.0))
    if event.days and event.days[0] > 0:
        hour = (event.days[0] - 1) * 24
        stories.append(_Story(f"{city}发布暴雨预警", True, hour + 15, hour + 24, 12.0))
    return stories


class _Taken:
    """Titles not to draw at ``hour``: live ones, and ones off the list for under ``REST_HOURS``.

    Without the rest a title without variable parts (高铁暑运首日) would be back every day.
    """

    def __init__(self) -> None:
        self.hour = 0
        self._until: dict[str, int] = {}

    def hold(self, story: _Story) -> None:
        """Keep ``story``'s title from being drawn again until it has rested."""
        self._until[story.title] = max(self._until.get(story.title, 0), story.stop + REST_HOURS)

    def __contains__(self, title: object) -> bool:
        return isinstance(title, str) and self._until.get(title, -1) > self.hour


def iter_archive(ctx: StreamContext) -> Iterator[list[Entry]]:
    """Yield each window day's archive entries, in file order, one day at a time."""
    gen = rng(ctx.config.seed, "hot-search")
    draws = Draws(gen)  # scalar draws, buffered: a numpy call per draw costs microseconds
    titles = _Titles(draws)
    planned = sorted(_event_stories(ctx), key=lambda s: s.start)
    live: list[_Story] = []
    taken = _Taken()
    seen: dict[str, tuple[int, int, bool]] = {}  # title → (hour, rank, topic) of the day
    for hour in range(ctx.window.days * 24):
        taken.hour = hour
        live = [s for s in live if s.stop > hour]
        for story in planned:
            if story.start == hour:
                live.append(story)
                taken.hold(story)
        for _ in range(int(gen.poisson(ARRIVALS_PER_HOUR))):
            drawn = titles.draw(taken)
            if drawn is None:
                continue
            length = 1 + int(-MEAN_HOURS * math.log(1.0 - draws.random()))  # exponential
            heat = math.exp(draws.normal(0.0, 0.8))  # log-normal
            live.append(_Story(*drawn, hour, hour + length, heat))
            taken.hold(live[-1])
        noise = gen.lognormal(0.0, 0.25, size=len(live))
        order = np.argsort(-np.array([s.heat for s in live]) * noise, kind="stable")
        for rank, index in enumerate(order[:LIST_SIZE].tolist(), start=1):
            story = live[index]
            seen[story.title] = (hour, rank, story.topic)  # the last scrape wins
        if hour % 24 == 23:
            yield _day_entries(gen, seen)
            seen = {}


def _day_entries(gen: np.random.Generator, seen: dict[str, tuple[int, int, bool]]) -> list[Entry]:
    """Return a day's file order: pinned entries, then newest scrape first."""
    n_pinned = int(gen.integers(3, 7))
    pinned = gen.choice(len(_PINNED), size=n_pinned, replace=False).tolist()
    entries = [Entry(_PINNED[i], True, None) for i in pinned if _PINNED[i] not in seen]
    # Within one scrape the archive's order is not the rank's.
    jitter = gen.random(len(seen)).tolist()
    ranked = sorted(zip(seen.items(), jitter, strict=True),
                    key=lambda item: (-item[0][1][0], item[1]))  # fmt: skip
    entries.extend(Entry(title, topic, rank) for (title, (_, rank, topic)), _ in ranked)
    return entries


def _width(text: str) -> int:
    """Return the columns ``text`` takes, wide (CJK) characters counting two, as Prettier does."""
    if text.isascii():
        return len(text)
    return len(text) + sum(
        1 for c in text if not c.isascii() and unicodedata.east_asian_width(c) in "WF"
    )


def render_archive(elements: list[tuple[str, str]], *, width: int = PRINT_WIDTH) -> str:
    """Return one day's archive text of ``(url, title)`` elements, laid out as the real files.

    The archive's files up to 2020 were laid out 80 columns wide, later ones 120.
    """
    lines = ["["]
    for i, (url, title) in enumerate(elements):
        comma = "," if i < len(elements) - 1 else ""
        url_json = json.dumps(url, ensure_ascii=False)
        title_json = json.dumps(title, ensure_ascii=False)
        one = f'  {{ "url": {url_json}, "title": {title_json} }}{comma}'
        if _width(one) <= width:
            lines.append(one)
        else:
            lines += [
                "  {",
                f'    "url": {url_json},',
                f'    "title": {title_json}',
                f"  }}{comma}",
            ]
    lines.append("]")
    return "\n".join(lines) + "\n"


class HotSearchStream:
    """The daily Weibo hot-search archive of the window (``weibo/hot-search/<day>.json``)."""

    name = "hot-search"

    def write(self, ctx: StreamContext) -> None:
        """Write one archive per window day and the ``hot_search`` truth section."""
        if "weibo" not in ctx.config.platforms:
            return
        advance = ctx.progress.task("微博热搜 hot search", ctx.window.days)
        tag = ctx.event.tag
        per_day: dict[str, int] = {}
        event_ranks: dict[str, int | None] = {}
        pinned = 0
        for day, entries in zip(ctx.window.dates, iter_archive(ctx), strict=True):
            with ctx.open(f"{FOLDER}/{day.isoformat()}.json") as handle:
                handle.write(render_archive([(e.url, e.title) for e in entries]))
            per_day[day.isoformat()] = len(entries)
            pinned += sum(e.rank is None for e in entries)
            event_ranks.update((day.isoformat(), e.rank) for e in entries if e.title == tag)
            advance(1)
        ctx.truth.section("hot_search").update(
            folder=FOLDER, days=list(per_day), entries=per_day, total=sum(per_day.values()),
            pinned=pinned, event_title=tag, event_days=list(event_ranks), event_ranks=event_ranks,
        )  # fmt: skip
