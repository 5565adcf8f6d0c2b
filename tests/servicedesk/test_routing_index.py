"""The indexed router chooses exactly the rule the plain loop over every rule chooses.

:func:`routing_service.route` looks the rules up by (division, category) in a
:class:`RuleIndex`; :func:`routing_service.route_by_scan` is the definition (every rule
tested, the most specific division, then category, then the highest id). Random tables —
rules over a county, its city and province, another city, no division; categories at three
levels and none; rules not yet in force, retired, retired before they began; ids repeated —
and random requests must get the very same rule object from both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.index import RuleIndex
from zhengwu.servicedesk.snapshot import RuleNode

T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)
TIMES = [T0 + timedelta(days=d) for d in range(5)]
# 金水区, 郑州, 河南, 中原区, 广州, a code that names no division, none
PLACES = ["410105", "410100", "410000", "410102", "440100", "999999", None]
CODES = ["01", "0101", "010101", "010102", "02", "0201", None]
LINEAGES = [["010101", "0101", "01"], ["010102", "0101", "01"], ["0101", "01"], ["01"],
            ["0201", "02"], []]  # fmt: skip

rules_strategy = st.lists(
    st.builds(
        RuleNode,
        id=st.integers(1, 25),  # repeated ids too: the first of equal rules wins in both
        table_version=st.integers(1, 3),
        category_code=st.sampled_from(CODES),
        adcode=st.sampled_from(PLACES),
        organization_id=st.integers(1, 9),
        valid_from=st.sampled_from(TIMES),
        valid_to=st.one_of(st.none(), st.sampled_from(TIMES)),
    ),
    max_size=40,
)


@settings(max_examples=400)
@given(
    rules=rules_strategy,
    requests=st.lists(
        st.tuples(st.sampled_from(LINEAGES), st.sampled_from(PLACES), st.sampled_from(TIMES)),
        min_size=1, max_size=12,
    ),
)  # fmt: skip
def test_the_index_routes_as_the_loop_over_every_rule(
    rules: list[RuleNode], requests: list[tuple[list[str], str | None, datetime]]
) -> None:
    index = RuleIndex(rules)
    assert len(index) == len(rules)
    for lineage, adcode, at in requests:
        expected = routing_service.route_by_scan(
            rules, category_codes=lineage, adcode=adcode, at=at
        )
        for given_rules in (index, rules):  # the snapshot's index, or a plain sequence
            found = routing_service.route(
                None,  # type: ignore[arg-type]  # the rules are given: no session is read
                category_codes=lineage, adcode=adcode, at=at, rules=given_rules,
            )  # fmt: skip
            assert found is expected, (lineage, adcode, at)


def test_the_most_specific_rule_wins_and_only_rules_in_force_count() -> None:
    def rule(rid: int, code: str | None, adcode: str | None, **times: datetime | None) -> RuleNode:
        start = times.get("valid_from") or TIMES[0]
        return RuleNode(rid, 1, code, adcode, rid * 10, start, times.get("valid_to"))

    anywhere = rule(1, None, None)
    city = rule(2, "01", "410100")
    county_any = rule(3, None, "410105")
    county_leaf_old = rule(4, "010101", "410105", valid_to=TIMES[2])
    county_leaf_new = rule(5, "010101", "410105", valid_from=TIMES[2])
    index = RuleIndex([anywhere, city, county_any, county_leaf_old, county_leaf_new])

    def routed(lineage: list[str], adcode: str | None, at: datetime) -> RuleNode | None:
        return routing_service.route(
            None,  # type: ignore[arg-type]
            category_codes=lineage, adcode=adcode, at=at, rules=index,
        )  # fmt: skip

    leaf = ["010101", "0101", "01"]
    assert routed(leaf, "410105", TIMES[1]) is county_leaf_old  # the new one not yet in force
    assert routed(leaf, "410105", TIMES[3]) is county_leaf_new  # the old one retired
    assert routed(["0201", "02"], "410105", TIMES[1]) is county_any  # division before category
    assert routed(leaf, "410102", TIMES[1]) is city  # another county of the city
    assert routed(leaf, None, TIMES[1]) is anywhere  # no place: only a rule without division
    assert routed([], "440100", TIMES[1]) is anywhere
    assert RuleIndex([]).find([None], [None], TIMES[0]) is None
