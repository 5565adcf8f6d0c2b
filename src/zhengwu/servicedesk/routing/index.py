"""The routing rules by (division, category): a request looks up only the rules that can match it.

:func:`zhengwu.servicedesk.routing.service.route` chooses, among the rules in force whose
division is the request's place or one of its ancestors (or none) and whose category is the
request's or one of its ancestors (or none), the most specific division first, then the
most specific category, then the newest rule (highest id). Testing every rule for every
request cost time in proportion to the table (80 µs a request with a city's 1,000 rules,
2.3 ms with 30,000: ``benchmarks/bench_routing.py``); here the rules are grouped by their
exact (division, category) key once per table, and a request probes its few keys in that
order — at most (ancestors + 1) × (category levels + 1) look-ups, whatever the table's size.
The first rule in force found is the answer; :func:`~zhengwu.servicedesk.routing.service.
route_by_scan` is the definition it must agree with (the tests compare both on random
tables and requests).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zhengwu.servicedesk.snapshot import RuleNode

Key = tuple[str | None, str | None]  # (adcode, category_code); None: any


class RuleIndex:
    """Routing rules grouped by (adcode, category_code), newest first within a key."""

    __slots__ = ("_by_key", "rules")

    def __init__(self, rules: Iterable[RuleNode]) -> None:
        self.rules: tuple[RuleNode, ...] = tuple(rules)
        grouped: dict[Key, list[RuleNode]] = {}
        for rule in self.rules:
            grouped.setdefault((rule.adcode, rule.category_code), []).append(rule)
        # Highest id first; rules with the same id keep their order (a stable sort), as the
        # scan's ``min`` keeps the first of equal ones.
        self._by_key: dict[Key, tuple[RuleNode, ...]] = {
            key: tuple(sorted(found, key=lambda r: -r.id)) for key, found in grouped.items()
        }

    def __len__(self) -> int:
        return len(self.rules)

    def find(
        self, places: Sequence[str | None], kinds: Sequence[str | None], at: datetime
    ) -> RuleNode | None:
        """Return the rule in force at ``at`` for the first (place, kind) pair that has one,
        places in order and, within a place, kinds in order (None: no rule)."""
        by_key = self._by_key
        for place in places:
            for kind in kinds:
                for rule in by_key.get((place, kind), ()):
                    if rule.valid_from <= at and (rule.valid_to is None or rule.valid_to > at):
                        return rule
        return None
