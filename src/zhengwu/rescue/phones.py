"""Phone numbers in help posts: mobiles and landlines, whatever the grouping.

Numbers come as 13800000000, 138-0000-0000, 138 0000 0000, +86 138 0000 0000,
86-138…, (0371)12345678 or 0371-12345678 (full-width digits are already ASCII after
:func:`zhengwu.rescue.textnorm.normalise`). Mobiles are returned as 11 digits, landlines
as ``area-number`` so that the same number written two ways is one number. Numbers
spelled in Chinese numerals (一三八…, 幺三八…) or grouped by several spaces, dashes or dots
are read too (:func:`zhengwu.privacy.numbers.spelled_phones`, the masker's own finder).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from zhengwu.privacy.numbers import AREA_CODE, spelled_digits, spelled_phones

# A country prefix is optional; one space or dash may sit between any two digits because
# people group numbers 3-4-4, 4-3-4 or not at all.
_MOBILE = re.compile(r"(?<![\d+])(?:\(?(?:\+|00)?86\)?[ -]?)?(1[3-9](?:[ -]?\d){9})(?!\d)")
# Area codes: 010 and 02x have three digits, every other one four.
_LANDLINE = re.compile(r"(?<!\d)\(?(0(?:10|2\d|[3-9]\d{2}))\)?([ -]?)(\d{7,8})(?!\d)")


def extract_phones(text: str) -> list[str]:
    """Return the distinct phone numbers in normalised ``text``, in order of appearance."""
    found: list[tuple[int, str]] = []
    for m in _MOBILE.finditer(text):
        found.append((m.start(1), re.sub(r"[ -]", "", m.group(1))))
    for m in _LANDLINE.finditer(text):
        found.append((m.start(), f"{m.group(1)}-{m.group(3)}"))
    found.extend((start, number) for start, _, number in _spelled(text))
    found.sort()
    seen: dict[str, None] = {}
    for _, number in found:
        seen.setdefault(number, None)
    return list(seen)


def mask_phones(text: str) -> str:
    """Return ``text`` with every phone number replaced by ``#`` (so digits aren't re-read)."""
    text = _MOBILE.sub(lambda m: "#" * len(m.group(0)), text)
    text = _LANDLINE.sub(lambda m: "#" * len(m.group(0)), text)
    for start, end, _ in list(_spelled(text)):
        text = text[:start] + "#" * (end - start) + text[end:]
    return text


def _spelled(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, number)`` of the phones spelled out or grouped oddly in ``text``."""
    last_end = 0
    for _, start, end in sorted(spelled_phones(text), key=lambda f: (f[1], -f[2])):
        if start < last_end:
            continue  # a shorter reading inside one already taken
        last_end = end
        digits = spelled_digits(text[start:end])
        area = AREA_CODE.match(digits) if digits[0] == "0" else None
        yield start, end, f"{area.group()}-{digits[area.end() :]}" if area else digits
