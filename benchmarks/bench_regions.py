"""Print how many texts per second ``zhengwu.regions`` resolves (goal: ≥ 20,000 short texts/s).

Run: ``.venv/bin/python benchmarks/bench_regions.py``. Reports CPU time of this process,
so other work on the machine does not distort the figure; wall time is printed too.
The citizen-message set is read in place from ../shared/data when it is there.
"""

from __future__ import annotations

import csv
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from zhengwu.regions import divisions, resolve_address, resolve_location
from zhengwu.regions.nameindex import name_index

REPO = Path(__file__).resolve().parents[1]
MESSAGES = REPO.parent / "shared" / "data" / "citizen-messages" / "messages_with_votes.csv"
NOISE = ("求助！", "我在", "家住", "反映", "", "", "")
TAILS = ("文化路12号", "xx小区3栋被困，老人行动不便", "附近积水严重", "", "")


def synthetic_addresses(count: int, seed: int = 7) -> list[str]:
    """Build help-post-like texts from real division names, full and short."""
    rng = random.Random(seed)
    table = divisions()
    counties = [d for d in table.values() if d.level == "county" and d.parent]
    texts = []
    for _ in range(count):
        county = rng.choice(counties)
        parent = table[county.parent or ""]
        name = county.name if rng.random() < 0.7 else county.short_name
        prefix = parent.name if rng.random() < 0.5 else parent.short_name
        texts.append(rng.choice(NOISE) + prefix + name + rng.choice(TAILS))
    return texts


def weibo_locations(count: int, seed: int = 11) -> list[str]:
    """Build Weibo ``location`` strings ("省 市"), many repeated as in real data."""
    rng = random.Random(seed)
    table = divisions()
    cities = [d for d in table.values() if d.level == "city"]
    pool = [f"{table[c.parent or ''].short_name} {c.short_name}" for c in cities]
    pool += ["其他", "海外 美国", "北京 朝阳区", "北京"]
    return [rng.choice(pool) for _ in range(count)]


def message_subjects() -> list[str]:
    """Read the real (anonymised) message subjects, or nothing when absent."""
    if not MESSAGES.is_file():
        return []
    with MESSAGES.open(encoding="utf-8", newline="") as handle:
        return [row["留言主题"] for row in csv.DictReader(handle)]


def measure(label: str, texts: Sequence[str], resolve: Callable[[str], object]) -> None:
    """Resolve every text once and print the rate."""
    if not texts:
        print(f"{label:<28} (no data)")
        return
    cpu, wall = time.process_time(), time.perf_counter()
    found = sum(1 for text in texts if resolve(text) is not None)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    chars = sum(map(len, texts)) / len(texts)
    print(
        f"{label:<28} {len(texts):>7} texts  {chars:5.1f} chars  "
        f"{len(texts) / cpu:>9,.0f}/s cpu  {len(texts) / wall:>9,.0f}/s wall  {found:>6} found"
    )


def main() -> None:
    """Build the indexes, then time each kind of input."""
    started = time.perf_counter()
    name_index()
    print(f"index build                  {time.perf_counter() - started:.3f} s")
    measure("synthetic addresses", synthetic_addresses(50_000), resolve_address)
    measure("message subjects (real)", message_subjects(), resolve_address)
    measure("weibo locations (cached)", weibo_locations(200_000), resolve_location)


if __name__ == "__main__":
    main()
