"""``zhengwu index export-inputs | spark-run | compare-run``: the index on Apache Spark.

Mount with ``index.app.add_typer(index_spark.app)`` (no name: the commands sit directly
under ``zhengwu index``). The computation is :mod:`zhengwu.index.spark_run`; PySpark is
imported only when ``spark-run`` runs (the ``spark`` extra: ``pip install 'zhengwu[spark]'``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zhengwu.cli.common import console, handle_errors, parse_date, print_json
from zhengwu.cli.index import (
    CheckDateOpt,
    JsonOpt,
    PeriodOpt,
    SystemFileOpt,
    SystemOpt,
    _period,
    _store,
    _system,
)
from zhengwu.errors import InvalidInputError

app = typer.Typer()


@app.command(
    "export-inputs",
    short_help="导出 Spark 计算所需输入为 Parquet / write a Spark run's inputs as Parquet",
)
@handle_errors
def export_inputs(
    out: Annotated[Path, typer.Argument(help="the Parquet directory (of store export-parquet)")],
    period: PeriodOpt,
    system: SystemOpt = "zhengwu-4d",
    check_date: CheckDateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write what a Spark run reads from the database (accounts, flags, service rates) as Parquet.

    Into OUT/index-inputs/, for one period (the system gives its week start): the accounts
    with organisation, sector, level and region, the compliance flags active on the check
    date and the service desk's rates. Run `zhengwu store export-parquet OUT` too.

    Example: zhengwu index export-inputs /data/zhengwu-parquet --period 2025-Q3
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.index.inputs import export_inputs as export

    window = _period(period, _system(system, None))
    with unit_of_work() as session:
        inputs = export(session, out, window, check_date=parse_date(check_date, "--check-date"))
    if as_json:
        print_json({"path": str(inputs.path), "period": inputs.period,
                    "check_date": inputs.check_date.isoformat(), "notes": inputs.notes})  # fmt: skip
        return
    console.print(
        f"指数输入已写入 / index inputs written: {inputs.path} ({window.label}, "
        f"check date {inputs.check_date})", markup=False, highlight=False,
    )  # fmt: skip


@app.command(
    "spark-run", short_help="在 Apache Spark 上计算指标体系 / compute an indicator system on Spark"
)
@handle_errors
def spark_run(
    parquet: Annotated[
        str,
        typer.Option("--parquet", help="directory or URL of store export-parquet + export-inputs"),
    ],
    period: PeriodOpt,
    out: Annotated[str, typer.Option("--out", help="output directory (scores/ + run.json)")],
    system: SystemOpt = "zhengwu-4d",
    system_file: SystemFileOpt = None,
    master: Annotated[
        str, typer.Option("--master", help="local[2], local[*], spark://host:7077, yarn …")
    ] = "local[2]",
    driver_memory: Annotated[str, typer.Option("--driver-memory", help="e.g. 2g")] = "2g",
    inputs_dir: Annotated[
        str | None, typer.Option("--inputs", help="index inputs (default PARQUET/index-inputs)")
    ] = None,
    compliance_days: Annotated[
        int | None, typer.Option("--compliance-days", help="veto window: 14 (default), 10, 7 …")
    ] = None,
    reply_check: Annotated[
        bool | None, typer.Option("--reply-check/--no-reply-check", help="own-reply veto")
    ] = None,
    conf: Annotated[
        list[str] | None,
        typer.Option("--conf", help="a Spark setting KEY=VALUE (repeatable), e.g. spark.jars=…"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compute an indicator system on Apache Spark over the Parquet export; write scores and ranks.

    The same system and SQL as `zhengwu index run`, for every account and platform
    (organisations and matrices: run DuckDB). Needs PySpark and Java 17+. Compare the
    result with a DuckDB run of the same period with `zhengwu index compare-run`.

    --parquet, --inputs and --out may be URLs of any Hadoop file system Spark can reach
    (file://, hdfs://, s3a:// with its jars, given by --conf spark.jars=…): a cluster reads
    the export where it was copied (hdfs dfs -put), and scores/ and run.json are written
    to --out.

    Example: zhengwu index spark-run --parquet /data/zhengwu-parquet --period 2025-Q3 --out /data/spark-2025-Q3
    """
    from zhengwu.index.compliance import ComplianceRules
    from zhengwu.index.inputs import INPUTS_DIR, is_url, joined, read_inputs
    from zhengwu.index.spark_run import (
        check_supported,
        run_on_spark,
        spark_session,
        store_files,
        write_run,
    )

    chosen = _system(system, system_file)
    window = _period(period, chosen)
    check_supported(chosen, window)  # before the JVM starts
    where = inputs_dir or joined(parquet, INPUTS_DIR)
    # Local inputs are checked before the JVM starts; a URL's once Spark can read it.
    inputs = None if is_url(where) else read_inputs(Path(where), window)
    rules = ComplianceRules.from_settings(
        window_days=compliance_days,
        reply_check=chosen.reply_check if reply_check is None else reply_check,
        reply_platforms=chosen.reply_platforms,
    )
    extra = _settings(conf or [])
    spark = spark_session(master, driver_memory=driver_memory, extra=extra)
    try:
        inputs = inputs or read_inputs(store_files(spark, where), window)
        run = run_on_spark(spark, chosen, window, parquet=parquet, inputs=inputs, rules=rules)
        write_run(run, out)
    finally:
        spark.stop()
    if as_json:
        print_json(run.manifest() | {"out": out})
        return
    console.print(
        f"[bold]{run.run_id}[/] (Spark {master}): {run.accounts} 账号 accounts, {run.failing} "
        f"未通过合规 failing the compliance gate, {run.seconds:.1f} s → {out}"
    )
    for note in run.notes:
        console.print(f"  · {note}", markup=False, highlight=False)


def _settings(pairs: list[str]) -> dict[str, str]:
    """Return ``--conf KEY=VALUE`` pairs as a mapping; refuse one without ``=``."""
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(
                f"--conf 需要 KEY=VALUE 形式，收到 {pair!r}",
                f"--conf takes KEY=VALUE, got {pair!r}",
            )
        settings[key.strip()] = value
    return settings


@app.command(
    "compare-run",
    short_help="比较 Spark 与 DuckDB 的计算结果 / compare a Spark run with the DuckDB run",
)
@handle_errors
def compare_run(
    out: Annotated[str, typer.Argument(help="the output directory or URL of spark-run")],
    period: PeriodOpt,
    system: SystemOpt = "zhengwu-4d",
    as_json: JsonOpt = False,
) -> None:
    """Compare a Spark run's output with the stored DuckDB run of the same system and period.

    Identical means the same accounts in the same order on every platform, the same ranks,
    exclusions and compliance reasons, and scores equal to a relative 1e-9. Exit 1 when not.

    OUT is a path or a URL DuckDB reads (file://; s3:// / s3a://, gs://, https:// with its
    httpfs extension); copy an hdfs:// output out first.

    Example: zhengwu index compare-run /data/spark-2025-Q3 --period 2025-Q3
    """
    from zhengwu.index import results
    from zhengwu.index.compare import compare_run as compare

    chosen = _system(system, None)
    run_id = results.run_id_for(chosen.name, _period(period, chosen).label)
    with _store() as con:
        report = compare(con, run_id, out)
    if as_json:
        print_json(report)
    else:
        verdict = "相同 / identical" if report["identical"] else "不同 / DIFFERENT"
        console.print(
            f"{run_id}: {verdict} — {report['accounts']} accounts (duckdb), "
            f"{report['spark_accounts']} (spark), largest relative score difference "
            f"{report['max_relative_difference']:.1e}", markup=False, highlight=False,
        )  # fmt: skip
        for line in report["shown"]:
            console.print(f"  · {line}", markup=False, highlight=False)
    if not report["identical"]:
        raise typer.Exit(code=1)
