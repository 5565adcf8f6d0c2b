"""Compare a Spark run's output (``zhengwu index spark-run``) with the stored DuckDB run.

Both engines run the same generated SQL, so the rankings must be identical — the same
accounts in the same order on every platform, the same ranks, exclusions and compliance
reasons — and the scores equal to a relative 1e-9 (the engines add floating-point numbers
in different orders). DuckDB reads the Spark Parquet directly: no Spark is needed here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb

from zhengwu.errors import NotFoundError
from zhengwu.index import results

REL_TOL = 1e-9
_SHOWN = 10
_COLUMNS = "platform, account_uid, rank, rank_with_failing, score, excluded, compliance_reasons"


def _spark_rows(con: duckdb.DuckDBPyConnection, out: Path, run_id: str) -> list[tuple[Any, ...]]:
    files = sorted((out / "scores").glob("*.parquet"))
    if not files:
        raise NotFoundError(
            f"{out} 中没有 Spark 运行结果（scores/*.parquet）：请先运行 zhengwu index spark-run",
            f"no Spark results in {out} (scores/*.parquet): run zhengwu index spark-run first",
        )
    listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
    return con.execute(
        f"SELECT {_COLUMNS} FROM read_parquet([{listed}]) WHERE run_id = ? "
        "ORDER BY platform, rank_with_failing",
        [run_id],
    ).fetchall()


def compare_run(con: duckdb.DuckDBPyConnection, run_id: str, out: Path) -> dict[str, Any]:
    """Return how the Spark output in ``out`` differs from the stored run ``run_id``."""
    stored = results.get_run(con, run_id)  # a clear error when the run is not stored
    duck = con.execute(
        f"SELECT {_COLUMNS} FROM index_totals WHERE run_id = ? AND entity = 'account' "
        "ORDER BY platform, rank_with_failing",
        [run_id],
    ).fetchall()
    spark = _spark_rows(con, out, run_id)
    differences: list[str] = []
    manifest_path = out / "run.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for key, stored_key in (("system_digest", "system_digest"),
                                ("compliance_window_days", "compliance_window_days"),
                                ("reply_check", "reply_check")):  # fmt: skip
            if manifest.get(key) != stored.get(stored_key):
                differences.append(
                    f"configuration {key}: spark {manifest.get(key)!r}, duckdb {stored.get(stored_key)!r}"
                )
    if len(duck) != len(spark):
        differences.append(f"accounts: duckdb {len(duck)}, spark {len(spark)}")
    worst = 0.0
    for d, s in zip(duck, spark, strict=False):
        where = f"{d[0]}:{d[1]}"
        if (d[0], d[1], d[3]) != (s[0], s[1], s[3]):
            differences.append(
                f"order: position {d[3]} on {d[0]} is {d[1]} in duckdb, {s[0]}:{s[1]} in spark"
            )
            continue
        if (d[2], d[5], list(d[6])) != (s[2], s[5], list(s[6])):
            differences.append(
                f"{where}: rank/excluded/reasons {d[2], d[5], d[6]} vs {s[2], s[5], s[6]}"
            )
        if (d[4] is None) != (s[4] is None):
            differences.append(f"{where}: score {d[4]} vs {s[4]}")
        elif d[4] is not None:
            scale = max(abs(d[4]), abs(s[4]))
            relative = abs(d[4] - s[4]) / scale if scale else 0.0
            worst = max(worst, relative)
            if not math.isclose(d[4], s[4], rel_tol=REL_TOL, abs_tol=1e-12):
                differences.append(f"{where}: score {d[4]!r} vs {s[4]!r}")
    return {
        "run_id": run_id,
        "accounts": len(duck),
        "spark_accounts": len(spark),
        "identical": not differences,
        "max_relative_difference": worst,
        "differences": len(differences),
        "shown": differences[:_SHOWN],
    }
