"""Find personal data in Chinese text: where it is, what kind, and the text as written."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from zhengwu.privacy.fold import fold
from zhengwu.privacy.kinds import ALL, Kind
from zhengwu.privacy.names import find_names
from zhengwu.privacy.numbers import find_numbers

# When two candidates overlap and start at the same place, the longer wins; equal lengths
# go to the kind with the stricter check (an 18-digit ID with its check digit beats a card
# that only passes Luhn).
_PRIORITY: dict[Kind, int] = {
    "email": 0, "id_card": 1, "bank_card": 2, "phone": 3, "plate": 4, "name": 5,
}  # fmt: skip


class PiiSpan(NamedTuple):
    """One piece of personal data: its kind and ``text[start:end] == value``."""

    kind: Kind
    start: int
    end: int
    value: str


def detect(text: str, kinds: Collection[Kind] = ALL) -> list[PiiSpan]:
    """Return the personal data in ``text`` as non-overlapping spans, in reading order."""
    folded = fold(text)
    candidates = list(find_numbers(folded))
    if "name" in kinds:
        candidates.extend(find_names(folded))
    # Leftmost first, then longest, then strictest kind: one greedy pass keeps the best.
    candidates.sort(key=lambda c: (c[1], c[1] - c[2], _PRIORITY[c[0]]))
    spans: list[PiiSpan] = []
    last_end = 0
    for kind, start, end in candidates:
        if start < last_end:
            continue
        last_end = end
        # Overlaps are settled over every kind before filtering, so that an ID number is
        # never reported as a bank card just because IDs were not asked for.
        if kind in kinds:
            spans.append(PiiSpan(kind, start, end, text[start:end]))
    return spans
