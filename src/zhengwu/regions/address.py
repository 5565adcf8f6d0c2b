"""Find the division a free-text address or post is about (地址 → 区划代码).

How a text is read
------------------
1. **Mentions.** Every full name (郑州市, 金水区), everyday name of an autonomous area
   (黔东南州, 金秀县), short form (郑州, 金水) and former name (江干区 → 上城区) found in
   the text is a mention. The scan looks up the two
   characters at each position in a prefix index, so its cost does not grow with the
   number of names. A short form directly followed by 路/街/大道/巷/弄/胡同 is a street
   (北京路, 中山路) and is ignored.
2. **Chains.** Mentions combine into chains that go down the hierarchy in reading order
   (河南省 → 郑州市 → 二七区; 济南 → 市中区). A chain scores the length of its names;
   short forms score half a character less and former names a quarter less, so
   "济南市中区" reads as 济南 + 市中区 rather than 济南市 + 中区. The best chain wins;
   its last division is the answer and its span runs from its first to last mention.
3. **Context.** Some mentions count only inside a chain of two or more mentions: an
   everyday word (和平, 东方, 阿里), a 台湾/香港/澳门 district's short form, a county short
   form that is ambiguous (朝阳: a city in 辽宁, districts in 北京 and 长春) and any
   two-character county short form (金水): on 4,326 real message subjects these hid
   inside longer names (梅溪湖 → 溪湖区, 消防通道 → 通道县) far more often than they
   meant the county. All but the everyday words also count alone when the ``hint``
   lies in the same province ("金水" with hint 410100 → 410105).
4. **Ties.** When the best chains end in different divisions (朝阳区 alone):
   the one nearest the ``hint`` wins (confidence ×0.9); else one that is an ancestor of
   all others (吉林 → 吉林省); else their common ancestor if they share one (×0.8);
   else the highest level (海南 → 海南省 over 海南州, ×0.9), then a district of a
   capital, municipality or 计划单列市 (朝阳区 → 北京 110105 over 长春 220104), then
   the lowest code — with confidence divided by the number of tied divisions.

Confidence starts at 1.0 for a full name, 0.95 for a former name, 0.9 for a short form
(0.85 for a former short form) and is ×0.9 when the chain has a single mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from zhengwu.regions.changes import changes, successor_map
from zhengwu.regions.codes import Level, is_prominent
from zhengwu.regions.table import ancestors, current_adcode, divisions
from zhengwu.regions.names import COMMON_WORDS, CONTEXT_ONLY_PREFIXES, short_name

_AUTONOMOUS_SUFFIXES = (("自治县", "县"), ("自治州", "州"), ("自治旗", "旗"))
_STREET_AFTER = re.compile(r"[东西南北中]?(?:路|街|大道|大街|巷|弄|胡同)")


@dataclass(frozen=True, slots=True)
class AddressMatch:
    """A division found in a text: where, how sure, and its names from the province down."""

    adcode: str
    level: Level
    path: tuple[str, ...]
    span: tuple[int, int]
    confidence: float


class _Candidate(NamedTuple):
    """One division a surface string can stand for, with how it was written."""

    code: str
    weight: float
    quality: float
    needs_context: bool
    hint_may_rescue: bool
    is_short: bool


class _Node(NamedTuple):
    """A candidate placed in the text."""

    start: int
    end: int
    candidate: _Candidate


# How a surface relates to its division: (is_short, is_alias) → (weight penalty, quality).
_FORMS = {
    (False, False): (0.0, 1.0),
    (False, True): (0.25, 0.95),
    (True, False): (0.5, 0.9),
    (True, True): (0.75, 0.85),
}


class _Index:
    """The prefix index of every name, built once per process."""

    def __init__(self) -> None:
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

        self.ancestors: dict[str, frozenset[str]] = {
            code: frozenset(ancestors(code)[1:]) for code in table
        }
        self.by_prefix: dict[str, list[tuple[str, tuple[_Candidate, ...]]]] = {}
        for surface, codes in forms.items():
            candidates = tuple(
                self._candidate(surface, code, is_short, is_alias, codes)
                for code, (is_short, is_alias) in sorted(codes.items())
            )
            self.by_prefix.setdefault(surface[:2], []).append((surface, candidates))
        for bucket in self.by_prefix.values():
            bucket.sort(key=lambda item: len(item[0]), reverse=True)
        self.first_chars = frozenset(prefix[0] for prefix in self.by_prefix)

    def _candidate(
        self,
        surface: str,
        code: str,
        is_short: bool,
        is_alias: bool,
        codes: dict[str, tuple[bool, bool]],
    ) -> _Candidate:
        """Describe one reading of a surface and whether it needs other mentions."""
        penalty, quality = _FORMS[(is_short, is_alias)]
        level = divisions()[code].level
        common = surface in COMMON_WORDS and level != "province"
        offshore = level == "county" and code.startswith(CONTEXT_ONLY_PREFIXES) and is_short
        # A short county name is ambiguous when another reading is not its own ancestor
        # (长沙 → 长沙市 or 长沙县 is fine; 朝阳 → 辽宁 or 北京 is not).
        ambiguous = (
            is_short
            and level == "county"
            and any(other != code and other not in self.ancestors[code] for other in codes)
        )
        # Two-character county short forms hide inside longer names far too often
        # (梅溪湖 → 溪湖区, 消防通道 → 通道县): alone they need a parent or a hint.
        bare_county = is_short and level == "county" and len(surface) == 2
        return _Candidate(
            code=code,
            weight=len(surface) - penalty,
            quality=quality,
            needs_context=common or offshore or ambiguous or bare_county,
            hint_may_rescue=not common and not offshore,
            is_short=is_short,
        )

    def mentions(self, text: str) -> list[_Node]:
        """Return every candidate of every name found in the text."""
        nodes: list[_Node] = []
        first_chars = self.first_chars
        by_prefix = self.by_prefix
        for start, char in enumerate(text):
            if char not in first_chars:
                continue
            bucket = by_prefix.get(text[start : start + 2])
            if bucket is None:
                continue
            for surface, candidates in bucket:
                if not text.startswith(surface, start):
                    continue
                end = start + len(surface)
                street = _STREET_AFTER.match(text, end) is not None
                nodes.extend(
                    _Node(start, end, candidate)
                    for candidate in candidates
                    if not (street and candidate.is_short)
                )
        return nodes


@cache
def _index() -> _Index:
    """Build the name index on first use."""
    return _Index()


def resolve_address(text: str, hint: str | None = None) -> AddressMatch | None:
    """Return the most specific division named in a Chinese text, or None."""
    if not text:
        return None
    index = _index()
    nodes = index.mentions(text)
    if not nodes:
        return None
    hint_chain = _hint_chain(hint)
    chains = _best_chains(nodes, index, hint_chain)
    if not chains:
        return None
    return _decide(chains, index, hint_chain)


def _hint_chain(hint: str | None) -> tuple[str, ...]:
    """Return the hint's current code and ancestors, most specific first."""
    if hint is None:
        return ()
    code = current_adcode(hint)
    return tuple(ancestors(code)) if code else ()


def _best_chains(
    nodes: list[_Node], index: _Index, hint_chain: tuple[str, ...]
) -> list[tuple[float, list[_Node]]]:
    """Return the highest-scoring valid chains (all tied), each as its list of nodes."""
    nodes.sort(key=lambda node: (node.start, node.end))
    score: list[float] = []
    back: list[int] = []
    for i, node in enumerate(nodes):
        parents_of = index.ancestors[node.candidate.code]
        best, best_prev = 0.0, -1
        for j in range(i):
            prev = nodes[j]
            if prev.end <= node.start and prev.candidate.code in parents_of and score[j] > best:
                best, best_prev = score[j], j
        score.append(best + node.candidate.weight)
        back.append(best_prev)

    hint_province = hint_chain[-1] if hint_chain else None
    valid: list[tuple[float, list[_Node]]] = []
    for i, node in enumerate(nodes):
        chain = [node]
        j = back[i]
        while j >= 0:
            chain.append(nodes[j])
            j = back[j]
        chain.reverse()
        if len(chain) == 1 and node.candidate.needs_context:
            rescued = (
                node.candidate.hint_may_rescue
                and hint_province is not None
                and hint_province in (index.ancestors[node.candidate.code] | {node.candidate.code})
            )
            if not rescued:
                continue
        valid.append((score[i], chain))
    if not valid:
        return []
    top = max(total for total, _ in valid)
    tied = [(total, chain) for total, chain in valid if total >= top - 1e-9]
    # Equal scores in different places (上海南站: 上海 | 海南): the first mention wins.
    first = min(chain[0].start for _, chain in tied)
    return [(total, chain) for total, chain in tied if chain[0].start == first]


def _decide(
    chains: list[tuple[float, list[_Node]]], index: _Index, hint_chain: tuple[str, ...]
) -> AddressMatch:
    """Pick one division among the tied chains and say how sure the pick is."""
    by_code: dict[str, list[_Node]] = {}
    for _, chain in chains:
        by_code.setdefault(chain[-1].candidate.code, chain)
    codes = sorted(by_code)
    factor = 1.0
    chosen: str
    if len(codes) == 1:
        chosen = codes[0]
    else:
        chosen, factor = _break_tie(codes, index, hint_chain)
    # A common ancestor is not itself a chain end: report the first tied chain's span.
    chain = by_code[chosen] if chosen in by_code else by_code[codes[0]]
    leaf = chain[-1].candidate
    confidence = leaf.quality * (1.0 if len(chain) > 1 else 0.9) * factor
    division = divisions()[chosen]
    path = tuple(divisions()[code].name for code in reversed(ancestors(chosen)))
    return AddressMatch(
        adcode=chosen,
        level=division.level,
        path=path,
        span=(chain[0].start, max(node.end for node in chain)),
        confidence=round(confidence, 4),
    )


def _break_tie(codes: list[str], index: _Index, hint_chain: tuple[str, ...]) -> tuple[str, float]:
    """Choose among equally good divisions; return the code and a confidence factor."""
    if hint_chain:
        depth = {code: _shared_depth(code, hint_chain, index) for code in codes}
        deepest = max(depth.values())
        nearest = [code for code in codes if depth[code] == deepest]
        if deepest > 0 and len(nearest) == 1:
            return nearest[0], 0.9
        codes = nearest if deepest > 0 else codes
    for code in codes:
        if all(other == code or code in index.ancestors[other] for other in codes):
            return code, 1.0
    shared = frozenset.intersection(*(index.ancestors[code] for code in codes))
    if shared:
        return max(shared, key=lambda code: len(index.ancestors[code])), 0.8
    order = {"province": 0, "city": 1, "county": 2}
    levels = {code: order[divisions()[code].level] for code in codes}
    highest = min(levels.values())
    pool = [code for code in codes if levels[code] == highest]
    if len(pool) == 1:
        # 海南: the province is what almost everyone means, not 海南藏族自治州.
        return pool[0], 0.9
    prominent = [code for code in pool if is_prominent(code)]
    return min(prominent or pool), 1.0 / len(pool)


def _shared_depth(code: str, hint_chain: tuple[str, ...], index: _Index) -> int:
    """Count how many levels a division shares with the hint (0 = none)."""
    lineage = index.ancestors[code] | {code}
    return sum(1 for ancestor in hint_chain if ancestor in lineage)
