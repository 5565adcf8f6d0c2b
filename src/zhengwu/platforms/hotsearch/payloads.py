"""Weibo hot-search (热搜) archive entries turned into HotSearchRecord.

The archive (justjavac/weibo-trending-hot-search raw/<date>.json) is one JSON array per
day: ``{"url": "/weibo?q=%23…%23&t=31&band_rank=N&Refer=top", "title": "…"}``, the
de-duplicated union of hourly scrapes. It has no heat value and no rank field; the rank is
``band_rank`` when the URL carries it (pinned ``Refer=new_time`` entries have none). A
title can appear several times a day with different URLs; each element stays a record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from urllib.parse import parse_qs, urlsplit

from zhengwu.platforms.records import HotSearchRecord
from zhengwu.platforms.wechat.sources import PayloadError, text_of

_HASHES = "#＃"


def topic_of(title: str) -> str:
    """Return the topic a hot-search title stands for, without surrounding # and spaces."""
    return title.strip().strip(_HASHES).strip()


def rank_of(url: str) -> int | None:
    """Return ``band_rank`` from a hot-search URL, None when absent; reject a non-positive rank."""
    values = parse_qs(urlsplit(url).query).get("band_rank")
    if not values:
        return None
    value = values[0].strip()
    if not value.isdecimal() or int(value) < 1:
        raise PayloadError(
            f"band_rank 不是正整数（{value!r}）", f"band_rank is not a positive integer: {value!r}"
        )
    return int(value)


def day_of(value: str) -> str | None:
    """Return ``value`` as an ISO day when it is one (``2023-02-13``), else None."""
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 else None
    except ValueError:
        return None


def parse_entry(record: Mapping[str, object], *, day: str) -> HotSearchRecord:
    """Return the hot-search record of one archive element of ``day``; the title is kept as is."""
    title = text_of(record, "title")
    if title is None or not title.strip():
        raise PayloadError("缺少热搜标题 title", "missing title")
    url = text_of(record, "url")
    return HotSearchRecord(day=day, title=title, url=url, rank=rank_of(url) if url else None)
