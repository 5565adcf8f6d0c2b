"""``zhengwu store``: the analytics store (posts, snapshots): statistics and Parquet export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from zhengwu.cli.common import console, handle_errors, print_json

app = typer.Typer(
    help="分析库 / analytics store: stats, backup and Parquet export.", no_args_is_help=True
)


@app.command(
    "backup",
    short_help="备份 DuckDB 分析库（服务运行中亦可） / back up the analytics store, even while serving",
)
@handle_errors
def backup(
    dest: Annotated[Path, typer.Argument(help="the backup file to write (must not exist)")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Copy the DuckDB analytics store consistently, even while the server runs.

    Waits (up to ZHENGWU_STORE_WRITE_WAIT) for an import or index run to finish.
    Example: zhengwu store backup /backup/analytics.duckdb
    """
    from zhengwu.content import store

    result = store.backup(dest)
    if json_out:
        print_json({"path": str(dest), **result})
    else:
        console.print(
            f"已备份分析库 / analytics store backed up: {dest} ({result['bytes']} bytes, "
            f"{result['posts']} posts)", markup=False, highlight=False,
        )  # fmt: skip


@app.command(
    "stats",
    short_help="统计各平台发文、快照、热搜和评论 / count posts, snapshots, hot searches, comments",
)
@handle_errors
def stats(json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Count posts per platform, snapshots, hot-search entries and comments.

    Example: zhengwu store stats --json
    """
    from zhengwu.content import store

    with store.open_store(read_only=True) as con:
        rows = con.execute(
            """SELECT platform, count(*) AS posts, count(DISTINCT account_uid) AS accounts,
                      min(created_at) AS first, max(created_at) AS last
               FROM posts GROUP BY platform ORDER BY platform"""
        ).fetchall()
        snapshots = con.execute("SELECT count(*) FROM post_snapshots").fetchall()[0][0]
        hot = con.execute("SELECT count(*) FROM hot_search").fetchall()[0][0]
        comments = (
            con.execute("SELECT count(*) FROM comments").fetchall()[0][0]
            if store.has_base_table(con, "comments")
            else 0
        )
    # The store keeps naive UTC: first and last are given in China time with their offset.
    result = {
        "platforms": [
            {"platform": p, "posts": n, "accounts": a, "first": _local(f), "last": _local(last)}
            for p, n, a, f, last in rows
        ],
        "snapshots": snapshots,
        "hot_search": hot,
        "comments": comments,
    }
    if json_out:
        print_json(result)
        return
    for row in result["platforms"]:
        console.print(
            f"{row['platform']}: {row['posts']} 条 posts · {row['accounts']} 账号 accounts · "
            f"首条 first {_shown(row['first'])} · 末条 last {_shown(row['last'])} (北京时间 UTC+8)"
        )
    console.print(f"snapshots: {snapshots} · hot search: {hot} · comments: {comments}")


def _local(moment: datetime | None) -> str | None:
    """Return a stored naive-UTC time as ISO China time with its offset (+08:00)."""
    from zhengwu.chinatime import from_stored as china_time

    return None if moment is None else china_time(moment).isoformat()


def _shown(iso: str | None) -> str:
    """Return an ISO China time as ``YYYY-MM-DD HH:MM`` ("—" for none)."""
    return "—" if iso is None else iso[:16].replace("T", " ")


@app.command(
    "export-parquet",
    short_help="按平台和月份导出 Parquet / write the store as Parquet by platform and month",
)
@handle_errors
def export_parquet(
    out: Annotated[Path, typer.Argument(help="output directory")],
) -> None:
    """Write posts, post and follower snapshots and comments as Parquet by platform and month.

    For Spark (`zhengwu index export-inputs` and `spark-run`) and other tools.

    Example: zhengwu store export-parquet /data/zhengwu-parquet
    """
    from zhengwu.content import store

    with store.open_store(read_only=True) as con:
        files = store.export_parquet(con, out)
    console.print(f"{len(files)} Parquet files in {out}")
