"""Turn a post row (account, time, event flag, random bits) into its text.

The choice of template, topic, number and link comes from the row's random bits, so the
same row always gets the same text: a lead's post renders identically in the lead's own
timeline and as the root embedded in a member's repost.
"""

from __future__ import annotations

import re

import numpy as np

from zhengwu.simulate import content
from zhengwu.simulate.posts import PostBatch
from zhengwu.simulate.streams import StreamContext
from zhengwu.simulate.templates import Template, compile_all
from zhengwu.simulate.weibo_format import short_link

_UNSAFE = re.compile(r'[\x00-\x1f"\\]')
_PIC_COUNTS = np.array((1, 1, 1, 1, 2, 3, 4, 9), dtype=np.int64)


def _pool(texts: tuple[str, ...]) -> tuple[Template, ...]:
    return compile_all(texts)


class AccountText:
    """Per-account pieces of text (cached while its chunk is written)."""

    __slots__ = ("at", "city", "event_place", "event_texts", "place", "safe", "texts", "topics")

    def __init__(self, texts: tuple[Template, ...], topics: list[str],
                 event_texts: tuple[Template, ...], place: str, city: str, event_place: str,
                 at: str) -> None:  # fmt: skip
        self.texts = texts
        self.topics = topics
        self.event_texts = event_texts
        self.place = place
        self.city = city
        self.event_place = event_place
        self.at = at
        self.safe = True


class TextMaker:
    """Texts of one platform's accounts."""

    def __init__(self, ctx: StreamContext, platform: str) -> None:
        self.accounts = ctx.population.accounts[platform]
        self.dates = [f"{d.month}月{d.day}日" for d in ctx.window.dates]
        # A post pushed past midnight of the last day still needs a date.
        self.dates.append(f"{ctx.window.end.month}月{ctx.window.end.day}日")
        self.tag = ctx.event.tag
        self.event_city = ctx.event.unit.place.short
        self.event_unit = ctx.event.unit.place.adcode
        self.places = {u.place.adcode: u.place.short for u in ctx.population.scope.units}
        self.lead_names = _lead_names(ctx, platform)
        self.repost_pool = content.REPOST_TEXTS
        self.event_repost_pool = tuple(t.format(tag=self.tag) for t in content.EVENT_REPOST_TEXTS)
        self._cache: dict[int, AccountText] = {}

    def account(self, i: int) -> AccountText:
        """Return the per-account text pieces (cached while the account's chunk is written)."""
        cached = self._cache.get(i)
        if cached is not None:
            return cached
        if len(self._cache) > 8192:
            self._cache.clear()
        a = self.accounts[i]
        city = self.places.get(a.unit, a.place)
        if a.org >= 0:
            texts = content.SECTOR_TEXTS.get(a.sector, ()) + content.GENERIC_TEXTS
            topics = content.SECTOR_TOPICS.get(a.sector, ()) + content.GENERIC_TOPICS
        else:
            texts = content.NON_GOV_TEXTS[a.kind]
            topics = ("{city}", "{city}新闻", "民生")
        topic_names = [t.format(city=city, place=a.place) for t in topics]
        in_city = a.unit == self.event_unit
        if a.org < 0:
            event_texts = content.EVENT_TEXTS["user" if a.kind == "user" else "media"]
        elif in_city or a.level == "中央":
            event_texts = content.EVENT_TEXTS.get(a.sector, ()) + content.EVENT_TEXTS["gov"]
        else:
            event_texts = content.EVENT_TEXTS["outside"]
        # Central accounts write about the struck city, local ones about their own area.
        event_place = self.event_city if a.level == "中央" or a.org < 0 else a.place
        lead = self.lead_names.get(i, "")
        cached = AccountText(
            _pool(texts), topic_names, _pool(event_texts), a.place, city, event_place,
            f"@{lead} " if lead else "",
        )  # fmt: skip
        # Templates are checked when compiled; if the names are clean too, every text of
        # the account is valid inside a JSON string as it is.
        strings = (a.place, city, event_place, cached.at, self.tag, self.event_city, *topic_names)
        cached.safe = not any(_UNSAFE.search(x) for x in strings)
        self._cache[i] = cached
        return cached

    def text(self, i: int, day: int, sec: int, event: bool, pick: int) -> str:
        """Return the text of an original post (``day`` in the window, ``sec`` of the day)."""
        return self.compose(self.account(i), day, sec, event, pick)

    def compose(self, t: AccountText, day: int, sec: int, event: bool, pick: int) -> str:
        """Return the text of an original post from the account's pieces."""
        if event:
            template = t.event_texts[pick % len(t.event_texts)]
            place, city = t.event_place, self.event_city
        else:
            template = t.texts[pick % len(t.texts)]
            place, city = t.place, t.city
        return template(
            place, city, self.dates[day], sec // 3600, (pick >> 20) % 97 + 3,
            t.topics[(pick >> 8) % len(t.topics)], self.tag, short_link(pick >> 12),
            t.at if (pick >> 30) % 4 == 0 else "",
        )  # fmt: skip

    def title(self, i: int, day: int, sec: int, event: bool, pick: int,
              pool: tuple[Template, ...], event_pool: tuple[Template, ...]) -> str:  # fmt: skip
        """Return a WeChat or Douyin title from compiled template pools."""
        t = self.account(i)
        chosen = event_pool if event else pool
        return chosen[(pick >> 4) % len(chosen)](
            t.event_place if event else t.place, self.event_city if event else t.city,
            self.dates[day], sec // 3600, (pick >> 20) % 97 + 3,
            t.topics[(pick >> 8) % len(t.topics)], self.tag, "", "",
        )  # fmt: skip

    def repost_text(self, event: bool, pick: int) -> str:
        """Return the comment a member adds when reposting its lead."""
        pool = self.event_repost_pool if event else self.repost_pool
        return pool[pick % len(pool)]

    def picture_counts(self, batch: PostBatch, pic_prob: np.ndarray) -> list[int]:
        """Return how many pictures each post of a batch carries."""
        with_pics = ((batch.pick >> 24) % 1000) < pic_prob[batch.acct] * 1000
        counts = _PIC_COUNTS[(batch.pick >> 34) % len(_PIC_COUNTS)]
        result: list[int] = np.where(with_pics, counts, 0).tolist()
        return result


def _lead_names(ctx: StreamContext, platform: str) -> dict[int, str]:
    """Map each Weibo member to the screen name of its first matrix lead (for @mentions)."""
    if platform != "weibo":
        return {}
    weibo = ctx.population.accounts["weibo"]
    names: dict[int, str] = {}
    for matrix in ctx.population.matrices:
        lead_name = weibo[matrix.lead[1]].name
        for member_platform, member in matrix.members:
            if member_platform == "weibo" and member != matrix.lead[1]:
                names.setdefault(member, lead_name)
    return names
