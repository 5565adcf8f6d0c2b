"""Import benchmark: simulated Weibo API JSON Lines through ``zhengwu import`` vs bare DuckDB.

Run: .venv/bin/python benchmarks/bench_import.py [--posts 1000000] [--workers 2]
     [--input statuses.jsonl] [--python-path]

The input is a national simulation (``zhengwu.simulate``, ~1.9 KB per status line, one
line in five a repost carrying its root and the root's author) cut to ``--posts`` lines,
or an existing JSON Lines file (``--input``, so that several runs share one file).

Measured in the same run, on the same file, in separate child processes (so that each
peak-memory figure belongs to one side):

- baseline: DuckDB's own ``read_json`` of the fields a status needs + ``strptime`` of
  created_at — parsing only, nothing validated, normalised or stored;
- zhengwu: the full ``run_import`` of format ``weibo-api`` into a fresh data directory:
  parse (DuckDB fast path for the common status shape, the msgspec importer for every
  other line), normalise (UTC times, topics, mentions, publishing tool, 政务 flag and
  adcode of each distinct author), classify against the store (imported / updated /
  duplicate, snapshots), write posts and snapshots to the DuckDB analytics store,
  accounts to SQLite, quarantine to SQLite; then commit.

Prints wall and CPU seconds, posts/s, the ratio zhengwu/baseline of posts/s (goal ≥ 0.35
on 2 cores) and peak RSS of each side (zhengwu: main process and its largest parser
worker). ``--python-path`` also times the importers' own route (no fast path).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def _simulate(out: Path, posts: int) -> Path:
    """Write at least ``posts`` statuses of a simulated national population; return one file."""
    from zhengwu.simulate import SimulationConfig, run_simulation

    days = max(1, -(-posts // 62_000))
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


def _duckdb_baseline(path: Path) -> dict[str, float]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    start, cpu = time.perf_counter(), time.process_time()
    n = con.execute(
        f"""SELECT count(*), max(epoch(strptime(created_at, '%a %b %d %H:%M:%S %z %Y')))
            FROM read_json('{path}', format='newline_delimited',
                           columns={{created_at: 'VARCHAR', id: 'BIGINT', text: 'VARCHAR',
                                     reposts_count: 'BIGINT', comments_count: 'BIGINT',
                                     attitudes_count: 'BIGINT', user: 'JSON'}})"""
    ).fetchall()[0][0]
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "n": n}


def _zhengwu_import(path: Path, data_dir: Path, workers: int, fast: bool) -> dict[str, object]:
    os.environ["ZHENGWU_DATA_DIR"] = str(data_dir)
    from zhengwu.config import get_settings
    from zhengwu.content import store
    from zhengwu.db.engine import get_engine, unit_of_work
    from zhengwu.ingest.pipeline import run_import

    get_settings.cache_clear()
    engine = get_engine()
    start, cpu = time.perf_counter(), time.process_time()
    with unit_of_work(engine) as session, store.open_store() as analytics:
        summary = run_import(
            "weibo-api", [path], session=session, analytics=analytics, workers=workers, fast=fast
        )
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
        "children_cpu": kids.ru_utime + kids.ru_stime,
        "summary": summary.to_dict(),
        "worker_rss_mb": kids.ru_maxrss / 1024,
    }


def _child(args: argparse.Namespace) -> None:
    """Run one side of the benchmark and print its figures as JSON (child process)."""
    path = Path(args.child_input)
    if args.child == "duckdb":
        result: dict[str, object] = dict(_duckdb_baseline(path))
    else:
        result = _zhengwu_import(path, Path(args.child_data), args.workers, args.child == "fast")
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _run(side: str, path: Path, work: Path, workers: int) -> dict[str, object]:
    data = work / f"data-{side}"
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, "--child-input", str(path),
         "--child-data", str(data), "--workers", str(workers)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    shutil.rmtree(data, ignore_errors=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--input", type=Path, help="use this JSON Lines file, not a simulation")
    parser.add_argument("--python-path", action="store_true", help="also time the importers")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-input", help=argparse.SUPPRESS)
    parser.add_argument("--child-data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    work = Path(tempfile.mkdtemp(prefix="zw-bench-import-"))
    try:
        if args.input:
            path = args.input
        else:
            t0 = time.perf_counter()
            path = _simulate(work / "sim", args.posts)
            print(f"simulated in {time.perf_counter() - t0:.1f} s")
        lines = sum(1 for _ in path.open("rb"))
        print(f"input: {path}, {path.stat().st_size / 1e6:,.0f} MB, {lines:,} lines")
        base = _run("duckdb", path, work, args.workers)
        base_rate = float(base["n"]) / float(base["seconds"])  # type: ignore[arg-type]
        print(
            f"DuckDB read_json + strptime: {base['n']:,} posts in {base['seconds']:.2f} s "
            f"(CPU {base['cpu']:.2f} s) = {base_rate:,.0f} posts/s, peak {base['rss_mb']:,.0f} MB"
        )
        sides = ["fast", "python"] if args.python_path else ["fast"]
        for side in sides:
            z = _run(side, path, work, args.workers)
            summary = z["summary"]
            assert isinstance(summary, dict)
            rate = summary["read"] / float(z["seconds"])  # type: ignore[arg-type]
            label = "zhengwu import" if side == "fast" else "zhengwu import, importers only"
            print(
                f"{label} ({args.workers} workers): {summary['read']:,} records in "
                f"{z['seconds']:.2f} s (CPU main {z['cpu']:.2f} s + workers "
                f"{z['children_cpu']:.2f} s) = {rate:,.0f} posts/s (imported "
                f"{summary['imported']:,}, quarantined {summary['quarantined']:,})"
            )
            print(f"  ratio zhengwu / DuckDB: {rate / base_rate:.3f} (goal ≥ 0.35)")
            print(
                f"  peak memory: main process {z['rss_mb']:,.0f} MB, "
                f"largest worker {z['worker_rss_mb']:,.0f} MB"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
