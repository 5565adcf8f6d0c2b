"""Merge 25k / 50k / 100k simulated help posts; print seconds, peak memory, precision, recall.

Run: ``.venv/bin/python benchmarks/bench_rescue_merge.py [--sizes 25000,50000,100000]``.

Each size runs in a fresh process, so peak memory (max RSS of that process, and of its
extraction workers) belongs to that size alone. The stream comes from
:func:`zhengwu.simulate.helpposts.write_help_posts` (reposts, copies with edits, updates,
prayers, news, official notices) written into a temporary directory, read back through
the ``weibo-api`` importer, then merged by :func:`zhengwu.rescue.merge.cluster` — the
extraction of every post is part of the merge time. Precision and recall are pairwise over
posts in the same cluster, against ``truth.jsonl``. ``cpu s`` is the CPU time of the
process and its workers: on a shared machine wall time depends on other load, CPU time
does not (2 free cores run the parallel part in about half of it). Goals: 100k posts in under 60 s on
2 cores, near-linear growth, precision and recall ≥ 0.95.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _peak import peak_rss_mb

SIZES = (25_000, 50_000, 100_000)
CITY = "410100"  # 郑州市
START = datetime(2021, 7, 20, 8, tzinfo=timezone(timedelta(hours=8)))
# The government account posting the official notices (the simulator hands in the city's own).
OFFICIAL = {"id": 2418542712, "idstr": "2418542712", "screen_name": "郑州发布", "name": "郑州发布",
            "verified": True, "verified_type": 1, "verified_reason": "郑州市人民政府新闻办公室"}  # fmt: skip


def pairs(groups: Counter[object]) -> int:
    """Return how many unordered pairs the groups hold together."""
    return sum(n * (n - 1) // 2 for n in groups.values())


def score(predicted: dict[str, int], truth: dict[str, str | None]) -> tuple[float, float]:
    """Return pairwise (precision, recall) of a clustering against the true requests."""
    # A post outside every predicted cluster, or with no true request, pairs with nothing.
    both: Counter[object] = Counter()
    pred: Counter[object] = Counter()
    true: Counter[object] = Counter()
    for post_id, request in truth.items():
        cluster = predicted.get(post_id)
        if cluster is not None:
            pred[cluster] += 1
        if request is not None:
            true[request] += 1
        if cluster is not None and request is not None:
            both[(cluster, request)] += 1
    agree = pairs(both)
    return agree / max(pairs(pred), 1), agree / max(pairs(true), 1)


class Sampler:
    """Samples this process and its descendants (the extraction workers) from /proc.

    Workers are started by a fork server, so ``getrusage(RUSAGE_CHILDREN)`` never sees
    them; reading /proc every 0.2 s gives the peak resident memory of the whole process
    tree and the CPU seconds each process used (a figure that other load cannot inflate).
    """

    def __init__(self) -> None:
        self.peak_rss = 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")
        self._page = os.sysconf("SC_PAGE_SIZE")

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(entry)] = int(stat[1])
        mine, changed = {os.getpid()}, True
        while changed:
            grown = {pid for pid, parent in parents.items() if parent in mine} | mine
            changed, mine = grown != mine, grown
        return sorted(mine)

    def sample(self) -> None:
        """Add one observation of the process tree."""
        rss = 0
        for pid in self._tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            except OSError:
                continue
            rss += pages * self._page
            self.cpu[pid] = (int(fields[11]) + int(fields[12])) / self._tick
        self.peak_rss = max(self.peak_rss, rss)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.sample()

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def run_one(size: int, workers: int) -> dict[str, object]:
    """Generate, read and merge ``size`` posts; return the figures."""
    import numpy as np

    from zhengwu.rescue.merge import cluster
    from zhengwu.rescue.posts import read_help_posts
    from zhengwu.simulate.helpposts import write_help_posts

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = write_help_posts(
            Path(tmp), rng=np.random.default_rng(size), city_adcode=CITY, start=START,
            n_posts=size, officials=[OFFICIAL],
        )  # fmt: skip
        cpu0 = time.process_time()
        t1 = time.perf_counter()
        with Sampler() as sampler:
            posts = list(read_help_posts(Path(str(summary["posts_path"]))))
            t2 = time.perf_counter()
            clusters = cluster(posts, workers=workers)
            t3 = time.perf_counter()
        own_cpu = time.process_time() - cpu0
        worker_cpu = sum(v for pid, v in sampler.cpu.items() if pid != os.getpid())
        truth: dict[str, str | None] = {}
        with open(str(summary["truth_path"]), encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                truth[row["id"]] = row["request"]
    predicted = {m.post.post_id: n for n, c in enumerate(clusters) for m in c.members}
    precision, recall = score(predicted, truth)
    kb = 1024
    return {
        "posts": len(posts),
        "true_requests": summary["requests"],
        "clusters": len(clusters),
        "help_posts": len(predicted),
        "generate_s": round(t1 - t0, 2),
        "read_s": round(t2 - t1, 2),
        "merge_s": round(t3 - t2, 2),
        "total_s": round(t3 - t1, 2),
        "cpu_s": round(own_cpu + worker_cpu, 1),
        "peak_mb": round(peak_rss_mb(), 1),
        "tree_peak_mb": round(sampler.peak_rss / kb / kb, 1),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def main() -> None:
    """Run every size in its own process and print a table (and JSON lines with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.workers)))
        return
    print(f"workers={args.workers}  (read = weibo-api import; merge = extract + MinHash + cluster)")
    header = f"{'posts':>8} {'read s':>7} {'merge s':>8} {'total s':>8} {'peak MB':>8} "
    print(header + f"{'tree MB':>8} {'cpu s':>6} {'precision':>9} {'recall':>7} {'clusters':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--workers", str(args.workers)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['posts']:>8} {r['read_s']:>7} {r['merge_s']:>8} {r['total_s']:>8} "
            f"{r['peak_mb']:>8} {r['tree_peak_mb']:>8} {r['cpu_s']:>6} {r['precision']:>9} "
            f"{r['recall']:>7} "
            f"{r['clusters']:>8}",
            flush=True,
        )


if __name__ == "__main__":
    main()
