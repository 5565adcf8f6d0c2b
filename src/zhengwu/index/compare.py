"""Compare a Spark run's output (``zhengwu index spark-run``) with the stored DuckDB run.

Both engines run the same generated SQL, so the rankings must be identical — the same
accounts in the same order on every platform, the same ranks, exclusions and compliance
reasons — and the scores equal to a relative 1e-9 (the engines add floating-point numbers
in different orders). DuckDB reads the Spark Parquet and ``run.json`` directly: no Spark is
needed here. The output may be a local path or a URL DuckDB reads (``file://``; ``s3://`` /
``s3a://``, ``gs://``, ``https://`` with DuckDB's httpfs extension); ``hdfs://`` is refused
with a hint to copy it out first.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb

from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.index import results

REL_TOL = 1e-9
_SHOWN = 10
_COLUMNS = "platform, account_uid, rank, rank_with_failing, score, excluded, compliance_reasons"


# What DuckDB reads besides local paths (``file://``; the others through its httpfs or
# azure extension). ``hdfs://`` is not among them: copy the output out first.
DUCKDB_SCHEMES = ("file", "s3", "s3a", "s3n", "gs", "gcs", "r2", "http", "https", "az", "azure",
                  "abfss")  # fmt: skip


def _location(out: str | Path) -> str:
    """Return ``out`` as DuckDB reads it (no trailing slash); refuse a scheme it cannot read."""
    text = str(out).rstrip("/") or str(out)
    scheme, sep, _ = text.partition("://")
    if sep and scheme.lower() not in DUCKDB_SCHEMES:
        raise InvalidInputError(
            f"compare-run 读不了 {scheme}:// 的输出（DuckDB 支持本地路径、file://、s3:// / s3a://、"
            f"gs://、https://）：请先复制到本地，如 hdfs dfs -get {text} /tmp/",
            f"compare-run cannot read {scheme}:// (DuckDB reads local paths, file://, s3:// / "
            f"s3a://, gs://, https://): copy the output first, e.g. hdfs dfs -get {text} /tmp/",
        )
    return text


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _spark_rows(con: duckdb.DuckDBPyConnection, out: str, run_id: str) -> list[tuple[Any, ...]]:
    files = [
        row[0]
        for row in con.execute(
            "SELECT file FROM glob(?) ORDER BY file", [f"{out}/scores/*.parquet"]
        ).fetchall()
    ]
    if not files:
        raise NotFoundError(
            f"{out} 中没有 Spark 运行结果（scores/*.parquet）：请先运行 zhengwu index spark-run",
            f"no Spark results in {out} (scores/*.parquet): run zhengwu index spark-run first",
        )
    listed = ", ".join(_quoted(f) for f in files)
    return con.execute(
        f"SELECT {_COLUMNS} FROM read_parquet([{listed}]) WHERE run_id = ? "
        "ORDER BY platform, rank_with_failing",
        [run_id],
    ).fetchall()


def _manifest(con: duckdb.DuckDBPyConnection, out: str) -> dict[str, Any] | None:
    """Return ``<out>/run.json`` (read by DuckDB, as the Parquet is), or None without one."""
    path = f"{out}/run.json"
    if not con.execute("SELECT count(*) FROM glob(?)", [path]).fetchall()[0][0]:
        return None
    content = con.execute("SELECT content FROM read_text(?)", [path]).fetchall()[0][0]
    return json.loads(content)  # type: ignore[no-any-return]


def compare_run(con: duckdb.DuckDBPyConnection, run_id: str, out: str | Path) -> dict[str, Any]:
    """Return how the Spark output at ``out`` (a path or URL) differs from the run ``run_id``."""
    location = _location(out)
    stored = results.get_run(con, run_id)  # a clear error when the run is not stored
    duck = con.execute(
        f"SELECT {_COLUMNS} FROM index_totals WHERE run_id = ? AND entity = 'account' "
        "ORDER BY platform, rank_with_failing",
        [run_id],
    ).fetchall()
    spark = _spark_rows(con, location, run_id)
    differences: list[str] = []
    manifest = _manifest(con, location)
    if manifest is not None:
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
