"""Fold full-width and look-alike characters to ASCII, one character for one.

Detection runs on the folded text and reports offsets into the original; that only works
because every replacement here maps one character to exactly one character (unlike NFKC,
which may change the length).
"""

from __future__ import annotations

import re

# Only what the finders read: digits, letters and the signs inside numbers and addresses.
# Full-width punctuation such as ，！（） stays (the patterns accept （）), so most texts need
# no folding at all.
_TABLE: dict[int, int] = {ord(c): ord(c) - 0xFEE0 for c in
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＋－＠．＿＃"}  # fmt: skip
_TABLE[0x3000] = ord(" ")  # ideographic space
# Dashes people type inside phone numbers. "一" is never folded: it is the numeral one.
_TABLE.update(dict.fromkeys(map(ord, "‐‑‒–—―−﹣"), ord("-")))
# Middle dots of licence plates (京A·D12345) in their many code points.
_TABLE.update(dict.fromkeys(map(ord, "•・‧∙"), ord("·")))
# Zero-width characters split numbers that people paste from apps; a space keeps the length.
_TABLE.update(dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), ord(" ")))

_NEEDS_FOLD = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_TABLE)) + "]")
_FOLDED: dict[str, str] = {chr(k): chr(v) for k, v in _TABLE.items()}


def _fold_one(match: re.Match[str]) -> str:
    return _FOLDED[match.group()]


def fold(text: str) -> str:
    """Return ``text`` with full-width forms as ASCII; same length, same offsets.

    Only the characters to fold are replaced (what ``str.translate`` with the table does,
    without looking every character of a Chinese text up in it: 7× cheaper on the city's
    messages that have any, mostly a few ideographic spaces).
    """
    if text.isascii():
        return text
    return _NEEDS_FOLD.sub(_fold_one, text)
