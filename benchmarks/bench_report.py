"""Time the first rendering of a national influence report (影响力报告): model, HTML, PDF.

    .venv/bin/python benchmarks/bench_report.py             # best of 2
    .venv/bin/python benchmarks/bench_report.py --repeat 3 --profile

What is built: the analytics store of ``bench_console.py`` (a DuckDB file in a temporary
directory): two quarters of stored ``zhengwu-4d`` results for the synthetic national
dimensions of ``bench_index.py`` — 180,000 accounts on Weibo, WeChat and Douyin, 120,000
organisations, ~800 matrices plus a national one holding every account — so the report has
movement, thousands of cities and matrices in its group lists and a ~70-page PDF. Then
the report of the later quarter is built (:func:`zhengwu.reports.model.build_report`, what
``zhengwu report build`` and the first download of ``/reports/…`` do) and rendered as HTML
and as PDF, each timed in CPU seconds of this process (every DuckDB thread included: the
steadier figure on a shared machine) and wall seconds. ``--profile`` prints the functions
that took the most time in one more round.

The runs' computation time is fixed, the report's generation time blanked and the PDF made
with reportlab's ``invariant`` setting (no creation date or random id), so the sha256 of
the HTML and of the PDF, printed at the end, tell whether a change left the output byte
for byte the same.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    """Build the national store, then time the report's model, HTML and PDF."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="rounds (the best is reported)")
    parser.add_argument("--profile", action="store_true", help="profile one more round")
    args = parser.parse_args()
    import duckdb
    from reportlab import rl_config

    import bench_console
    import bench_index
    from zhengwu.index import results
    from zhengwu.reports import service
    from zhengwu.reports.model import build_report

    rl_config.invariant = 1
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="zw-bench-report-"))
    try:
        path = work / "analytics.duckdb"
        bench_console.build_store(path, bench_index.dimensions())
        with duckdb.connect(str(path)) as con:  # a fixed computation time: comparable output
            con.execute("UPDATE index_runs SET created_at = TIMESTAMP '2025-10-01 08:00:00'")
        con = duckdb.connect(str(path), read_only=True)
        run_id = results.run_id_for(bench_console.SYSTEM, bench_console.PERIODS[-1][0])

        def once() -> tuple[dict[str, tuple[float, float]], bytes, bytes]:
            times, out = {}, {}
            for step in ("model", "html", "pdf"):
                t0, c0 = time.perf_counter(), time.process_time()
                if step == "model":
                    report = build_report(con, run_id)
                    report.generated_at = "-"  # the one time in the output: blanked
                else:
                    out[step] = service.render(report, step)  # type: ignore[arg-type]
                times[step] = (time.process_time() - c0, time.perf_counter() - t0)
            return times, out["html"], out["pdf"]

        best: dict[str, tuple[float, float]] = {}
        for i in range(args.repeat):
            times, html, pdf = once()
            print(f"  round {i + 1}: " + ", ".join(
                f"{k} {cpu:.2f} CPU-s / {wall:.2f} s" for k, (cpu, wall) in times.items()
            ), flush=True)  # fmt: skip
            best = {k: min(best.get(k, v), v) for k, v in times.items()}
        total = best["model"][0] + best["pdf"][0]
        print(f"best: model {best['model'][0]:.2f} CPU-s, HTML {best['html'][0]:.2f}, PDF "
              f"{best['pdf'][0]:.2f}; model + PDF {total:.2f} CPU-s", flush=True)  # fmt: skip
        print(f"HTML {len(html):,} bytes sha256 {hashlib.sha256(html).hexdigest()[:16]}; "
              f"PDF {len(pdf):,} bytes sha256 {hashlib.sha256(pdf).hexdigest()[:16]}")  # fmt: skip
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(once)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
