"""Text normalisation for help posts: full-width forms, traditional characters, numerals.

Every matcher in :mod:`zhengwu.rescue` runs on normalised text only, so each pattern is
written once, in simplified characters with ASCII digits and punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# Zero-width characters that people paste from apps break phone numbers and keywords.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Dashes NFKC leaves alone; phone numbers are written with all of them.
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹣"), "-")
_TABLE = {**_INVISIBLE, **_DASHES}


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    # One converter per process: building it loads the dictionaries (milliseconds).
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Return ``text`` in simplified characters with ASCII digits, letters and punctuation."""
    text = unicodedata.normalize("NFKC", text).translate(_TABLE)
    if text.isascii():
        return text
    return str(_t2s().convert(text))


_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "仨": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}

#: A number written in ASCII digits or Chinese numerals (up to the thousands).
NUMBER = r"(?:\d+|[零〇一二两俩三仨四五六七八九十百千]+)"
_ASCII_NUMBER = re.compile(r"\d+")


def parse_number(token: str) -> int | None:
    """Return the value of ``token`` (``"12"``, ``"十二"``, ``"两百"``, ``"五"``) or None."""
    if _ASCII_NUMBER.fullmatch(token):
        return int(token)
    total = 0
    digit: int | None = None
    for char in token:
        if char in "零〇" and total:
            continue  # the placeholder in 一百零五
        if char in _DIGITS:
            if digit is not None:  # "二三" is not a number we read
                return None
            digit = _DIGITS[char]
        elif char in _UNITS:
            total += (1 if digit is None else digit) * _UNITS[char]
            digit = None
        else:
            return None
    if digit is not None:
        total += digit
    return total if token else None
