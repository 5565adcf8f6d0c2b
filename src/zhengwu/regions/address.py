"""Find the division a free-text address or post is about (地址 → 区划代码).

How a text is read
------------------
1. **Mentions.** Every full name (郑州市, 金水区), everyday name of an autonomous area
   (黔东南州, 金秀县), short form (郑州, 金水) and former name (江干区 → 上城区) found in
   the text is a mention (see :mod:`zhengwu.regions.nameindex`). A short form directly
   followed by 路/街/大道/巷/弄/胡同 is a street (北京路, 中山路) and is ignored.
2. **Chains.** Mentions combine into chains that go down the hierarchy in reading order
   (河南省 → 郑州市 → 二七区; 济南 → 市中区). A chain scores the length of its names;
   short forms score half a character less and former names a quarter less, so
   "济南市中区" reads as 济南 + 市中区 rather than 济南市 + 中区. The best chain wins;
   its last division is the answer and its span runs from its first to last mention.
   Equal chains at different places (上海南站: 上海 | 海南): the first one wins.
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

Products and fixed phrases that contain a name (云南白药, 沙县小吃, 北京时间:
:data:`~zhengwu.regions.names.NOT_PLACES`) are read as blanks. ``within`` confines the
answer to one division and what lies inside it: mentions elsewhere are not read at all
(a 长沙 request's "朝阳小学" or "大同市" cannot move it to 辽宁 or 山西), and a text that
names nothing inside it resolves to None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from zhengwu.regions.codes import Level, is_prominent
from zhengwu.regions.nameindex import NameIndex, Node, name_index
from zhengwu.regions.names import NOT_PLACES
from zhengwu.regions.table import ancestors, current_adcode

_LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}
_Chain = list[Node]


@dataclass(frozen=True, slots=True)
class AddressMatch:
    """A division found in a text: where, how sure, and its names from the province down."""

    adcode: str
    level: Level
    path: tuple[str, ...]
    span: tuple[int, int]
    confidence: float


@cache
def _not_places() -> re.Pattern[str]:
    return re.compile("|".join(sorted(map(re.escape, NOT_PLACES), key=len, reverse=True)))


def _blank_not_places(text: str) -> str:
    """Return the text with product names and fixed phrases blanked (spans kept)."""
    return _not_places().sub(lambda m: " " * len(m.group()), text)


def resolve_address(
    text: str, hint: str | None = None, *, within: str | None = None
) -> AddressMatch | None:
    """Return the most specific division named in a Chinese text, or None.

    ``hint``: a division the text is likely about (breaks ties, lets a bare short form
    count). ``within``: only this division or one inside it may be the answer; names of
    other places are ignored (None when the text names nothing inside it); it is the hint
    too when none is given.
    """
    if not text:
        return None
    index = name_index()
    nodes = index.mentions(_blank_not_places(text))
    bound = current_adcode(within) if within else None
    if bound is not None:
        # Its ancestors stay: they chain down into it (湖南省长沙市岳麓区).
        above = index.ancestors[bound]
        nodes = [
            n for n in nodes
            if n[2].code == bound or bound in index.ancestors[n[2].code] or n[2].code in above
        ]  # fmt: skip
    if not nodes:
        return None
    hint_chain = _hint_chain(hint or bound)
    chains = _best_chains(nodes, index, hint_chain, bound)
    if not chains:
        return None
    return _decide(chains, index, hint_chain)


def _hint_chain(hint: str | None) -> tuple[str, ...]:
    """Return the hint's current code and its ancestors, most specific first."""
    if hint is None:
        return ()
    code = current_adcode(hint)
    return tuple(ancestors(code)) if code else ()


def _best_chains(
    nodes: list[Node], index: NameIndex, hint_chain: tuple[str, ...], bound: str | None = None
) -> list[_Chain]:
    """Return the highest-scoring valid chains (all tied), each as its list of nodes;
    with a ``bound``, only the chains that end in it or inside it."""
    # Longest chain ending at each node; nodes come in reading order from the scan.
    score: list[float] = []
    back: list[int] = []
    for i, (start, _, candidate) in enumerate(nodes):
        parents = index.ancestors[candidate.code]
        best, best_prev = 0.0, -1
        for j in range(i):
            _, prev_end, prev = nodes[j]
            if prev_end <= start and prev.code in parents and score[j] > best:
                best, best_prev = score[j], j
        score.append(best + candidate.weight)
        back.append(best_prev)

    hint_province = hint_chain[-1] if hint_chain else None
    valid: list[tuple[float, _Chain]] = []
    for i, node in enumerate(nodes):
        candidate = node[2]
        if (
            bound is not None
            and candidate.code != bound
            and bound not in index.ancestors[candidate.code]
        ):
            continue
        if back[i] < 0 and candidate.needs_context:
            lineage = index.ancestors[candidate.code] | {candidate.code}
            if not (candidate.hint_may_rescue and hint_province in lineage):
                continue
        chain = [node]
        j = back[i]
        while j >= 0:
            chain.append(nodes[j])
            j = back[j]
        chain.reverse()
        valid.append((score[i], chain))
    if not valid:
        return []
    top = max(total for total, _ in valid)
    tied = [chain for total, chain in valid if total >= top - 1e-9]
    first = min(chain[0][0] for chain in tied)
    return [chain for chain in tied if chain[0][0] == first]


def _decide(chains: list[_Chain], index: NameIndex, hint_chain: tuple[str, ...]) -> AddressMatch:
    """Pick one division among the tied chains and say how sure the pick is."""
    by_code: dict[str, _Chain] = {}
    for chain in chains:
        by_code.setdefault(chain[-1][2].code, chain)
    codes = sorted(by_code)
    chosen, factor = (codes[0], 1.0) if len(codes) == 1 else _break_tie(codes, index, hint_chain)
    # A common ancestor is not itself a chain end: report the first tied chain's span.
    chain = by_code.get(chosen, by_code[codes[0]])
    single = 0.9 if len(chain) == 1 else 1.0
    return AddressMatch(
        adcode=chosen,
        level=index.levels[chosen],
        path=index.paths[chosen],
        span=(chain[0][0], max(end for _, end, _ in chain)),
        confidence=round(chain[-1][2].quality * single * factor, 4),
    )


def _break_tie(
    codes: list[str], index: NameIndex, hint_chain: tuple[str, ...]
) -> tuple[str, float]:
    """Choose among equally good divisions; return the code and a confidence factor."""
    if hint_chain:
        depth = {code: _shared_depth(code, hint_chain, index) for code in codes}
        deepest = max(depth.values())
        if deepest > 0:
            codes = [code for code in codes if depth[code] == deepest]
            if len(codes) == 1:
                return codes[0], 0.9
    for code in codes:
        if all(other == code or code in index.ancestors[other] for other in codes):
            return code, 1.0
    shared = frozenset.intersection(*(index.ancestors[code] for code in codes))
    if shared:
        return max(shared, key=lambda code: len(index.ancestors[code])), 0.8
    highest = min(_LEVEL_ORDER[index.levels[code]] for code in codes)
    pool = [code for code in codes if _LEVEL_ORDER[index.levels[code]] == highest]
    if len(pool) == 1:
        # 海南: the province is what almost everyone means, not 海南藏族自治州.
        return pool[0], 0.9
    prominent = [code for code in pool if is_prominent(code)]
    return min(prominent or pool), 1.0 / len(pool)


def _shared_depth(code: str, hint_chain: tuple[str, ...], index: NameIndex) -> int:
    """Count how many levels a division shares with the hint (0 = none)."""
    lineage = index.ancestors[code] | {code}
    return sum(1 for ancestor in hint_chain if ancestor in lineage)
