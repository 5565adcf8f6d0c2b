"""Merge 25k / 50k / 100k simulated help posts; print seconds, peak memory, precision, recall.

Run: ``.venv/bin/python benchmarks/bench_rescue_merge.py [--sizes 25000,50000,100000]``.

Each size runs in a fresh process, so peak memory (max RSS of that process, and of its
extraction workers) belongs to that size alone. The stream comes from
:func:`zhengwu.simulate.helpposts.write_help_posts` (reposts, copies with edits, updates,
prayers, news, official notices) written into a temporary directory, read back through
the ``weibo-api`` importer, then merged by :func:`zhengwu.rescue.merge.cluster` — the
extraction of every post is part of the merge time. Precision and recall are pairwise over
posts in the same cluster, against ``truth.jsonl``. Goals: 100k posts in under 60 s on
2 cores, near-linear growth, precision and recall ≥ 0.95.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

SIZES = (25_000, 50_000, 100_000)
CITY = "410100"  # 郑州市
START = datetime(2021, 7, 20, 8, tzinfo=timezone(timedelta(hours=8)))


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
            n_posts=size,
        )  # fmt: skip
        t1 = time.perf_counter()
        posts = list(read_help_posts(Path(str(summary["posts_path"]))))
        t2 = time.perf_counter()
        clusters = cluster(posts, workers=workers)
        t3 = time.perf_counter()
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
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kb, 1),
        "worker_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kb, 1),
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
    print(header + f"{'workers MB':>10} {'precision':>9} {'recall':>7} {'clusters':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--workers", str(args.workers)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['posts']:>8} {r['read_s']:>7} {r['merge_s']:>8} {r['total_s']:>8} "
            f"{r['peak_mb']:>8} {r['worker_peak_mb']:>10} {r['precision']:>9} {r['recall']:>7} "
            f"{r['clusters']:>8}",
            flush=True,
        )


if __name__ == "__main__":
    main()
