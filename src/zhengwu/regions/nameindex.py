"""The index of every division name, and the scan that finds names in a text.

Each surface string (full name 郑州市, short form 郑州, everyday name 黔东南州, former
name 江干区) maps to its candidate divisions. The index is keyed by a surface's first two
characters, so a scan costs one dictionary lookup per character whatever the number of
names — the Aho–Corasick idea with a depth-2 trie, which suits names of 2–10 characters.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import NamedTuple

from zhengwu.regions.changes import changes, successor_map
from zhengwu.regions.codes import Level
from zhengwu.regions.names import COMMON_WORDS, CONTEXT_ONLY_PREFIXES, short_name
from zhengwu.regions.table import ancestors, divisions

_AUTONOMOUS_SUFFIXES = (("自治县", "县"), ("自治州", "州"), ("自治旗", "旗"))
_STREET_AFTER = re.compile(r"[东西南北中]?(?:路|街|大道|大街|巷|弄|胡同)")

# (is_short, is_alias) → (weight penalty, confidence quality).
_FORMS = {
    (False, False): (0.0, 1.0),
    (False, True): (0.25, 0.95),
    (True, False): (0.5, 0.9),
    (True, True): (0.75, 0.85),
}


class Candidate(NamedTuple):
    """One division a surface string can stand for, and how it was written."""

    code: str
    weight: float
    quality: float
    needs_context: bool
    hint_may_rescue: bool


# A candidate placed in the text: (start, end, candidate).
Node = tuple[int, int, Candidate]
_Entry = tuple[str, int, tuple[Candidate, ...], tuple[Candidate, ...]]


class NameIndex:
    """Surface strings → candidates, plus each division's ancestors, path and level."""

    def __init__(self) -> None:
        table = divisions()
        self.ancestors: dict[str, frozenset[str]] = {
            code: frozenset(ancestors(code)[1:]) for code in table
        }
        self.paths: dict[str, tuple[str, ...]] = {
            code: tuple(table[a].name for a in reversed(ancestors(code))) for code in table
        }
        self.levels: dict[str, Level] = {code: d.level for code, d in table.items()}
        self._by_prefix: dict[str, list[_Entry]] = {}
        for surface, codes in surfaces().items():
            items = sorted(codes.items())
            everything = tuple(self._candidate(surface, code, form, codes) for code, form in items)
            full_only = tuple(
                candidate
                for candidate, (_, (is_short, _)) in zip(everything, items, strict=True)
                if not is_short
            )
            entry = (surface, len(surface), everything, full_only)
            self._by_prefix.setdefault(surface[:2], []).append(entry)
        for bucket in self._by_prefix.values():
            bucket.sort(key=lambda entry: entry[1], reverse=True)
        self._first_chars = frozenset(prefix[0] for prefix in self._by_prefix)

    def _candidate(
        self, surface: str, code: str, form: tuple[bool, bool], codes: dict[str, tuple[bool, bool]]
    ) -> Candidate:
        """Describe one reading of a surface and whether it needs other mentions."""
        is_short = form[0]
        penalty, quality = _FORMS[form]
        county = self.levels[code] == "county"
        common = surface in COMMON_WORDS and self.levels[code] != "province"
        offshore = is_short and county and code.startswith(CONTEXT_ONLY_PREFIXES)
        # A short county name is ambiguous when another reading is not its own ancestor
        # (长沙 → 长沙市 or 长沙县 is fine; 朝阳 → 辽宁 or 北京 is not).
        ambiguous = (
            is_short
            and county
            and any(other != code and other not in self.ancestors[code] for other in codes)
        )
        # Two-character county short forms hide inside longer names far too often
        # (梅溪湖 → 溪湖区, 消防通道 → 通道县): alone they need a parent or a hint.
        bare = is_short and county and len(surface) == 2
        return Candidate(
            code=code,
            weight=len(surface) - penalty,
            quality=quality,
            needs_context=common or offshore or ambiguous or bare,
            hint_may_rescue=not common and not offshore,
        )

    def mentions(self, text: str) -> list[Node]:
        """Return every candidate of every name found in the text, in reading order."""
        nodes: list[Node] = []
        first_chars = self._first_chars
        by_prefix = self._by_prefix
        for start, char in enumerate(text):
            if char not in first_chars:
                continue
            bucket = by_prefix.get(text[start : start + 2])
            if bucket is None:
                continue
            for surface, length, everything, full_only in bucket:
                if not text.startswith(surface, start):
                    continue
                end = start + length
                chosen = everything
                # 北京路, 中山路: a short form followed by a street word is a street.
                if len(full_only) < len(everything) and _STREET_AFTER.match(text, end):
                    chosen = full_only
                for candidate in chosen:
                    nodes.append((start, end, candidate))
        return nodes


def surfaces() -> dict[str, dict[str, tuple[bool, bool]]]:
    """Collect surface → {code: (is_short, is_alias)}, keeping each code's best form."""
    table = divisions()
    forms: dict[str, dict[str, tuple[bool, bool]]] = {}

    def add(surface: str, code: str, is_short: bool, is_alias: bool) -> None:
        if len(surface) < 2 or code not in table:
            return
        codes = forms.setdefault(surface, {})
        previous = codes.get(code)
        if previous is None or _FORMS[(is_short, is_alias)][1] > _FORMS[previous][1]:
            codes[code] = (is_short, is_alias)

    for division in table.values():
        add(division.name, division.adcode, False, False)
        add(division.short_name, division.adcode, True, False)
        # Everyday names of autonomous areas: 金秀县, 黔东南州, 鄂温克旗.
        for suffix, everyday in _AUTONOMOUS_SUFFIXES:
            if division.name.endswith(suffix) and division.short_name != division.name:
                add(division.short_name + everyday, division.adcode, False, False)
    moved = successor_map()
    for change in changes():
        code = moved.get(change.new_code, change.new_code)
        add(change.old_name, code, False, True)
        add(short_name(change.old_name), code, True, True)
    return forms


_BUILD_LOCK = threading.Lock()


@cache
def name_index() -> NameIndex:
    """Build the name index on first use (about 0.1 s) and keep it.

    The lock makes concurrent first callers (server threads) wait for one build instead of
    each building their own.
    """
    with _BUILD_LOCK:
        return _build_once()


@cache
def _build_once() -> NameIndex:
    return NameIndex()
