"""Text helpers shared by every platform parser: HTML to plain text, topics, mentions, counts.

Weibo text arrives either plain (open API) or as HTML (m.weibo.cn cards, where topics and
mentions are ``<a>`` links and emoticons are ``<img alt="[偷笑]">``). Both must yield the
same plain text, topics and mentions.
"""

from __future__ import annotations

import html
import math
import re

# m.weibo.cn writes emoticons with an unquoted alt: <img alt=[偷笑] src="…" />.
_TAG_IMG_ALT = re.compile(
    r"<img[^>]*?\balt=(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+))[^>]*>", re.IGNORECASE
)
_TAG_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG_ANY = re.compile(r"<[^>]+>")
# A topic is #…# without another # or a line break inside; Weibo caps topics at ~64 chars.
_TOPIC = re.compile(r"#([^#\r\n]{1,64}?)#")
# @name: Weibo nicknames are 2–30 chars of CJK, letters, digits, "_" and "-".
_MENTION = re.compile(r"@([\w\u4e00-\u9fff\-]{1,30})")
_SPACES = re.compile(r"[ \t\u3000]+")


def html_to_text(value: str) -> str:
    """Return the plain text of an HTML fragment (emoticon images become their alt text)."""
    if "<" not in value and "&" not in value:
        return value
    value = _TAG_IMG_ALT.sub(_alt_text, value)
    value = _TAG_BR.sub("\n", value)
    value = _TAG_ANY.sub("", value)
    return html.unescape(value)


def _alt_text(match: re.Match[str]) -> str:
    return match.group(1) or match.group(2) or match.group(3) or ""


def extract_topics(text: str) -> list[str]:
    """Return the distinct #topics# of a plain text, in order of appearance, without ``#``."""
    if "#" not in text:
        return []
    # findall + dict.fromkeys keep the loop in C: this runs once per imported post.
    found = _TOPIC.findall(text)
    if len(found) == 1:
        topic = found[0].strip()
        return [topic] if topic else []
    return [t for t in dict.fromkeys(map(str.strip, found)) if t]


def extract_mentions(text: str) -> list[str]:
    """Return the distinct @mentions of a plain text, in order of appearance, without ``@``."""
    if "@" not in text:
        return []
    found: list[str] = _MENTION.findall(text)
    return found if len(found) < 2 else list(dict.fromkeys(found))


def split_list(value: str | None) -> list[str]:
    """Split a crawler's comma-joined list column ("话题", "@用户") into clean items."""
    if not value:
        return []
    parts = re.split(r"[,，]", value)
    return [p.strip().strip("#@").strip() for p in parts if p.strip().strip("#@").strip()]


def normalize_spaces(text: str) -> str:
    """Collapse runs of spaces (including the ideographic space) and strip the ends."""
    return _SPACES.sub(" ", text).strip()


class CountError(ValueError):
    """A count that is not a non-negative number."""


_UNITS = {"万": 10_000, "亿": 100_000_000, "w": 10_000, "W": 10_000, "k": 1_000, "K": 1_000}


def parse_count(value: object, *, field: str = "count") -> int | None:
    """Return a non-negative integer count from an int or a display string.

    Accepts ``123``, ``"123"``, ``"1,234"``, ``"1.2万"``, ``"100万+"`` (→ 1,000,000),
    ``"3亿"``, ``"10万+"`` (→ 100,000: the 清博 convention of 100,001 is applied by the
    index, not here), and ``None``/``""`` (→ None). Raises :class:`CountError` for negative
    or non-numeric values so the caller can quarantine the record.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise CountError(f"{field}: boolean is not a count")
    if isinstance(value, int):
        if value < 0:
            raise CountError(f"{field}: negative count {value}")
        return value
    if isinstance(value, float):
        if value < 0 or not math.isfinite(value):
            raise CountError(f"{field}: invalid count {value}")
        return int(value)
    if not isinstance(value, str):
        raise CountError(f"{field}: not a count: {value!r}")
    text = value.strip().replace(",", "").replace("，", "").rstrip("+")
    if not text:
        return None
    if text.isdecimal():
        return int(text)
    multiplier = 1
    unit = text[-1]
    if unit in _UNITS:
        multiplier = _UNITS[unit]
        text = text[:-1]
    try:
        number = float(text)
    except ValueError:
        raise CountError(f"{field}: not a count: {value!r}") from None
    if number < 0 or not math.isfinite(number * multiplier):
        raise CountError(f"{field}: negative or invalid count {value!r}")
    return round(number * multiplier)
