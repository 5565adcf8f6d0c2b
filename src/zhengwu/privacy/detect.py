"""Find personal data in Chinese text: where it is, what kind, and the text as written."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from zhengwu.privacy.fold import fold
from zhengwu.privacy.kinds import ALL, Kind
from zhengwu.privacy.names import find_names
from zhengwu.privacy.numbers import find_numbers, is_checked_id

# When two candidates overlap and start at the same place, the longer wins; equal lengths
# go to the kind with the stricter check (an 18-digit ID with its check digit beats a card
# that only passes Luhn).
_PRIORITY: dict[Kind, int] = {
    "email": 0, "id_card": 1, "bank_card": 2, "phone": 4, "plate": 5, "name": 6,
}  # fmt: skip
# A mistyped ID (right structure, wrong check character) passes no check of its own: it
# ranks after bank cards, and one that overlaps a checked ID or a Luhn-valid card at all
# is dropped before the pass (the number is that ID or that card, not a mistyped ID).
_MISTYPED_ID = 3
_CHECKED = frozenset({"id_card", "bank_card"})
_Candidate = tuple[Kind, int, int, int]


class PiiSpan(NamedTuple):
    """One piece of personal data: its kind and ``text[start:end] == value``."""

    kind: Kind
    start: int
    end: int
    value: str


def detect(text: str, kinds: Collection[Kind] = ALL) -> list[PiiSpan]:
    """Return the personal data in ``text`` as non-overlapping spans, in reading order."""
    folded = fold(text)
    candidates = [(kind, start, end, _PRIORITY[kind]) for kind, start, end in find_numbers(folded)]
    if any(c[0] == "id_card" and c[2] - c[1] >= 18 for c in candidates):
        candidates = _rank_mistyped_ids(folded, candidates)
    if "name" in kinds:
        candidates.extend(
            (kind, start, end, _PRIORITY[kind]) for kind, start, end in find_names(folded)
        )
    # Leftmost first, then longest, then strictest kind: one greedy pass keeps the best.
    candidates.sort(key=lambda c: (c[1], c[1] - c[2], c[3]))
    spans: list[PiiSpan] = []
    last_end = 0
    for kind, start, end, _ in candidates:
        if start < last_end:
            continue
        last_end = end
        # Overlaps are settled over every kind before filtering, so that an ID number is
        # never reported as a bank card just because IDs were not asked for.
        if kind in kinds:
            spans.append(PiiSpan(kind, start, end, text[start:end]))
    return spans


def _rank_mistyped_ids(folded: str, candidates: list[_Candidate]) -> list[_Candidate]:
    """Rank mistyped 18-character IDs last among the checked numbers (see _MISTYPED_ID)."""
    mistyped = {
        c for c in candidates if c[0] == "id_card" and not is_checked_id(folded[c[1] : c[2]])
    }
    if not mistyped:
        return candidates
    checked = [c for c in candidates if c[0] in _CHECKED and c not in mistyped]
    ranked: list[_Candidate] = []
    for c in candidates:
        if c not in mistyped:
            ranked.append(c)
        elif not any(o[1] < c[2] and c[1] < o[2] for o in checked):
            ranked.append((c[0], c[1], c[2], _MISTYPED_ID))
    return ranked
