"""Import benchmark: simulated Weibo API JSON Lines through ``zhengwu import`` vs bare DuckDB.

Run: .venv/bin/python benchmarks/bench_import.py [--posts 1000000] [--workers 2]

Measured in the same run, on the same file:
- baseline: DuckDB's own ``read_json`` + ``strptime`` of created_at (parse only, no storage);
- zhengwu: the full import (parse → typed records → accounts into SQLite → posts and
  snapshots into the DuckDB analytics store, with idempotency and quarantine).
Prints posts/s, the ratio zhengwu/baseline (goal ≥ 0.35 on 2 cores) and peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path


def _simulate(out: Path, posts: int) -> Path:
    """Write at least ``posts`` statuses of a simulated national population; return one file."""
    from zhengwu.simulate import SimulationConfig, run_simulation

    days = max(1, round(posts / 62_000))
    run_simulation(
        SimulationConfig(scale="national", days=days, seed=7, out=out, start=date(2025, 3, 1),
                         platforms=("weibo",))
    )  # fmt: skip
    files = sorted((out / "weibo").glob("statuses-*.jsonl"))
    target = out / "statuses.jsonl"
    written = 0
    with target.open("wb") as sink:
        for f in files:
            with f.open("rb") as src:
                for line in src:
                    if written >= posts:
                        break
                    sink.write(line)
                    written += 1
    return target


def _duckdb_baseline(path: Path) -> tuple[float, int]:
    import duckdb

    con = duckdb.connect()
    start = time.perf_counter()
    n = con.execute(
        f"""SELECT count(*), max(epoch(strptime(created_at, '%a %b %d %H:%M:%S %z %Y')))
            FROM read_json('{path}', format='newline_delimited',
                           columns={{created_at: 'VARCHAR', id: 'BIGINT', text: 'VARCHAR',
                                     reposts_count: 'BIGINT', comments_count: 'BIGINT',
                                     attitudes_count: 'BIGINT', user: 'JSON'}})"""
    ).fetchall()[0][0]
    return time.perf_counter() - start, int(n)


def _zhengwu_import(path: Path, data_dir: Path, workers: int) -> tuple[float, dict[str, int]]:
    os.environ["ZHENGWU_DATA_DIR"] = str(data_dir)
    from zhengwu.config import get_settings
    from zhengwu.content import store
    from zhengwu.db.engine import get_engine, unit_of_work
    from zhengwu.ingest.pipeline import run_import

    get_settings.cache_clear()
    engine = get_engine()
    start = time.perf_counter()
    with unit_of_work(engine) as session, store.open_store() as analytics:
        summary = run_import(
            "weibo-api", [path], session=session, analytics=analytics, workers=workers
        )
    return time.perf_counter() - start, summary.to_dict()


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zw-bench-import-"))
    try:
        t0 = time.perf_counter()
        path = _simulate(work / "sim", args.posts)
        size_mb = path.stat().st_size / 1e6
        print(
            f"input: {path.name}, {size_mb:,.0f} MB, simulated in {time.perf_counter() - t0:.1f} s"
        )
        base_s, n = _duckdb_baseline(path)
        print(
            f"DuckDB read_json + strptime: {n:,} posts in {base_s:.2f} s = {n / base_s:,.0f} posts/s"
        )
        z_s, summary = _zhengwu_import(path, work / "data", args.workers)
        rate = summary["read"] / z_s
        print(
            f"zhengwu import ({args.workers} workers): {summary['read']:,} records in {z_s:.2f} s "
            f"= {rate:,.0f} posts/s (imported {summary['imported']:,}, "
            f"quarantined {summary['quarantined']:,})"
        )
        print(f"ratio zhengwu / DuckDB: {rate / (n / base_s):.2f} (goal ≥ 0.35)")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory: main process {own:,.0f} MB, largest worker {kids:,.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
