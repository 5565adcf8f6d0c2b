"""Print how long :func:`zhengwu.servicedesk.routing.service.route` takes per request.

A 12345 centre's routing table has one rule per (category × division) it routes: a city's
a few hundred to a thousand or two (its county and city bodies × the categories whose
sectors differ), a province's several thousand, the national demo's tens of thousands.
Each row is a request of the table's region (a county 80 %, the city or province 10 %,
no place 10 %) with a category three levels deep (10 % without one), routed at one time.

Run: ``.venv/bin/python benchmarks/bench_routing.py`` (``--sizes 300 1000`` to choose).
Reports the CPU time of this process per routed row, for the routing the desk uses and,
with ``--scan``, for the reference loop that tests every rule
(:func:`routing_service.route_by_scan`, what ``route`` did before it was indexed). No
database: the rules are the snapshot's :class:`RuleNode` values, made here.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial

from zhengwu import regions
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.index import RuleIndex
from zhengwu.servicedesk.snapshot import RuleNode

AT = datetime(2026, 1, 5, 2, tzinfo=UTC)
Row = tuple[list[str], str | None]


def categories() -> list[list[str]]:
    """Return the lineages (leaf, parent, class) of a three-level tree of 12 × 8 × 6 leaves."""
    return [
        [f"{a:02d}{b:02d}{c:02d}", f"{a:02d}{b:02d}", f"{a:02d}"]
        for a in range(1, 13) for b in range(1, 9) for c in range(1, 7)
    ]  # fmt: skip


def divisions(top: str) -> tuple[list[str], list[str]]:
    """Return the region's upper divisions (itself and its cities) and its counties."""
    upper = [top]
    counties: list[str] = []
    for child in regions.children(top):
        grand = regions.children(child.adcode)
        if grand:
            upper.append(child.adcode)
            counties += [g.adcode for g in grand]
        else:
            counties.append(child.adcode)
    return upper, counties


def make_rules(size: int, top: str, rng: random.Random) -> list[RuleNode]:
    """Return ``size`` rules in force over ``top``'s region, one per (category, division)."""
    lineages = categories()
    upper, counties = divisions(top)
    places: list[str | None] = [*upper, *counties, None]
    kinds: list[str | None] = sorted({code for lineage in lineages for code in lineage[1:]})
    kinds += [lineage[0] for lineage in lineages] + [None]
    keys: set[tuple[str | None, str | None]] = set()
    while len(keys) < size:
        keys.add((rng.choice(places), rng.choice(kinds)))
    start = AT - timedelta(days=30)
    return [
        RuleNode(i + 1, 1, kind, place, 1000 + i % 97, start, None)
        for i, (place, kind) in enumerate(sorted(keys, key=str))
    ]


def make_rows(count: int, top: str, rng: random.Random) -> list[Row]:
    """Return ``count`` requests of ``top``'s region: (category lineage, adcode)."""
    lineages = categories()
    upper, counties = divisions(top)
    rows: list[Row] = []
    for _ in range(count):
        lineage = rng.choice(lineages) if rng.random() < 0.9 else []
        draw = rng.random()
        adcode = rng.choice(counties) if draw < 0.8 else rng.choice(upper) if draw < 0.9 else None
        rows.append((lineage, adcode))
    return rows


def _indexed(table: RuleIndex, row: Row) -> object:
    return routing_service.route(
        None,  # type: ignore[arg-type]  # no session: the rules are given
        category_codes=row[0], adcode=row[1], at=AT, rules=table,
    )  # fmt: skip


def _scanned(rules: list[RuleNode], row: Row) -> object:
    return routing_service.route_by_scan(rules, category_codes=row[0], adcode=row[1], at=AT)


def per_row(route: Callable[[Row], object], rows: Sequence[Row]) -> float:
    """Return the CPU time per row in µs (the best of three passes)."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for row in rows:
            route(row)
        best = min(best, time.process_time() - start)
    return best / len(rows) * 1e6


def main() -> None:
    """Measure the routing of one region's requests for each table size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[300, 1000, 3000, 30000])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--scan", action="store_true", help="also time the reference loop")
    args = parser.parse_args()
    for size in args.sizes:
        rng = random.Random(size)
        top = "410100" if size <= 1000 else "410000"  # a city's centre, else a province's
        rules = make_rules(size, top, rng)
        rows = make_rows(args.rows, top, rng)
        start = time.process_time()
        table = RuleIndex(rules)  # as the desk snapshot holds them (``routing``), once a change
        built = (time.process_time() - start) * 1e3
        routed = per_row(partial(_indexed, table), rows)
        line = (
            f"{size:>6} rules ({top}): route {routed:7.1f} µs/row (index built in {built:.1f} ms)"
        )
        if args.scan:
            line += f"   scan {per_row(partial(_scanned, rules), rows):9.1f} µs/row"
        print(line, flush=True)


if __name__ == "__main__":
    main()
