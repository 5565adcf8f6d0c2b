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


def fold(text: str) -> str:
    """Return ``text`` with full-width forms as ASCII; same length, same offsets."""
    if text.isascii() or _NEEDS_FOLD.search(text) is None:
        return text
    return text.translate(_TABLE)
