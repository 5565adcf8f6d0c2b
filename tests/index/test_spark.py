"""The index on Spark: the same systems over the Parquet export give the DuckDB run's rankings.

A simulated city (the ``city`` fixture: the real importers, comments included) is run
with DuckDB (``run_for_db``) and, from ``store export-parquet`` + ``index export-inputs``,
on a local Spark: the same accounts in the same order, the same ranks, exclusions and
reasons, scores and every indicator's raw and normalised value equal to 1e-9. One
account carries a manual compliance flag, so the gate's flag path is compared too.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from datetime import UTC, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from zhengwu.content import store
from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.index import compliance, engine
from zhengwu.index.compare import compare_run
from zhengwu.index.dialect import SPARK, UnsupportedOnSparkError
from zhengwu.index.dimensions import load_dimensions
from zhengwu.index.inputs import LocalFiles, export_inputs, read_inputs
from zhengwu.index.metrics import Metric
from zhengwu.index.periods import parse_period
from zhengwu.index.spark_run import JVM_NOISE
from zhengwu.index.system import load_system

from .conftest import city_period

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [
    pytest.mark.slow,
    # Py4J leaves its gateway sockets to the garbage collector.
    pytest.mark.filterwarnings(
        r"ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]


@pytest.fixture(scope="module")
def exported(city: dict[str, Any]) -> Path:
    """The city's store as Parquet, and the inputs of its period (one account flagged)."""
    session, root = city["session"], city["root"]
    period = parse_period(city_period(city["truth"]))
    dims = load_dimensions(session)
    weibo = sorted(r["uid"] for r in dims.accounts.to_pylist() if r["platform"] == "weibo")
    account = compliance.find_account(session, f"weibo:{weibo[3]}")
    compliance.flag_account(
        session, account=account, kind="bought_followers", reason="测试", by="spark",
        at=period.start_utc.replace(tzinfo=UTC) + timedelta(days=2),
    )  # fmt: skip
    out = root / "parquet"
    store.export_parquet(city["con"], out)
    export_inputs(session, out, period)
    return out


def _same_values(con: Any, run_id: str, out: Path) -> int:
    """Assert every account's raw and normalised lists agree; return how many were compared."""
    rows = con.execute(
        f"""SELECT d.raw, d.normalised, s.raw, s.normalised FROM index_scores d
            JOIN read_parquet('{out}/scores/*.parquet') s USING (platform, account_uid)
            WHERE d.run_id = ?""",
        [run_id],
    ).fetchall()
    for d_raw, d_norm, s_raw, s_norm in rows:
        for a, b in zip([*d_raw, *d_norm], [*s_raw, *s_norm], strict=True):
            assert (a is None) == (b is None)
            assert a is None or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (a, b)
    return len(rows)


@pytest.mark.parametrize("system_name", ["zhengwu-4d", "weibo_bci_simple"])
def test_spark_gives_the_duckdb_rankings(
    city: dict[str, Any], exported: Path, spark: SparkSession, tmp_path: Path, system_name: str
) -> None:
    from zhengwu.index.spark_run import run_on_spark, write_run

    system = load_system(system_name)
    period = parse_period(city_period(city["truth"]), week_start=system.week_start)
    duck = engine.run_for_db(city["session"], city["con"], system, period)
    run = run_on_spark(
        spark, system, period, parquet=exported,
        inputs=read_inputs(exported / "index-inputs", period),
    )  # fmt: skip
    write_run(run, str(tmp_path))
    report = compare_run(city["con"], duck.run_id, tmp_path)
    assert report["identical"], report["shown"]
    assert report["accounts"] == duck.accounts == run.accounts > 100
    assert run.failing == duck.failing > 0
    flagged = (
        city["con"]
        .execute(
            "SELECT count(*) FROM index_totals WHERE run_id = ? AND "
            "list_contains(compliance_reasons, 'flag:bought_followers')",
            [duck.run_id],
        )
        .fetchone()
    )
    assert flagged == (1,)  # the flagged Weibo account, in both systems
    assert _same_values(city["con"], duck.run_id, tmp_path) == duck.accounts
    assert (tmp_path / "run.json").is_file()
    assert not list(tmp_path.rglob("*.crc"))  # no hidden checksum files beside the output
    # compare_run is no rubber stamp: the output with the first two places swapped differs.
    run.totals = run.totals.selectExpr(
        "* EXCEPT (rank_with_failing)",
        "CASE rank_with_failing WHEN 1 THEN 2 WHEN 2 THEN 1 ELSE rank_with_failing END "
        "AS rank_with_failing",
    )
    write_run(run, str(tmp_path / "swapped"))
    swapped = compare_run(city["con"], duck.run_id, tmp_path / "swapped")
    assert not swapped["identical"]
    assert swapped["shown"][0].startswith("order: position 1 on ")


def test_seventh_day_counts_are_refused_on_spark(
    city: dict[str, Any], exported: Path, spark: SparkSession
) -> None:
    """Refused before any Spark work: the 7th-day counts need an ASOF join Spark lacks."""
    from zhengwu.index.spark_run import run_on_spark

    system = load_system("qingbo_wci_v2")  # 7th-day counts for custom periods
    period = parse_period(city_period(city["truth"]))
    assert period.kind in system.seventh_day_kinds
    with pytest.raises(UnsupportedOnSparkError, match="seventh_day_reads"):
        run_on_spark(
            spark, system, period, parquet=exported,
            inputs=read_inputs(exported / "index-inputs", period),
        )  # fmt: skip


def test_inputs_of_another_period_are_refused(city: dict[str, Any], exported: Path) -> None:
    other = parse_period("2024-01")
    with pytest.raises(InvalidInputError, match="export-inputs") as caught:
        read_inputs(exported / "index-inputs", other)
    assert "2024-01" in str(caught.value)


def test_an_export_behind_a_url_is_read_through_hadoop(
    city: dict[str, Any], exported: Path, spark: SparkSession, tmp_path: Path
) -> None:
    """``file://`` goes through Hadoop's FileSystem as ``hdfs://`` or ``s3a://`` would."""
    from zhengwu.index.spark_run import HadoopFiles, run_on_spark, store_files

    period = parse_period(city_period(city["truth"]))
    files = store_files(spark, exported.as_uri() + "/")
    assert isinstance(files, HadoopFiles)
    assert files.root == exported.as_uri()
    local_files = LocalFiles(exported)
    for name in ("posts", "index-inputs", "index-inputs/flags.parquet", "nothing-here"):
        assert files.has_parquet(name) == local_files.has_parquet(name), name
        assert files.is_file(name) == local_files.is_file(name), name
    assert files.has_parquet("posts")
    assert not files.has_parquet("index-inputs/flags.parquet")  # a file, not a folder
    assert files.is_file("index-inputs/flags.parquet")
    assert not files.has_parquet("nothing-here")
    assert not files.is_file("posts")  # a directory
    inputs = read_inputs(store_files(spark, f"{exported.as_uri()}/index-inputs"), period)
    local = read_inputs(exported / "index-inputs", period)
    assert (inputs.period, inputs.check_date, inputs.notes) == (
        local.period,
        local.check_date,
        local.notes,
    )
    assert inputs.path == f"{exported.as_uri()}/index-inputs"
    assert inputs.table("flags") == f"{exported.as_uri()}/index-inputs/flags.parquet"
    with pytest.raises(InvalidInputError, match="2024-01"):
        read_inputs(
            store_files(spark, f"{exported.as_uri()}/index-inputs"), parse_period("2024-01")
        )
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NotFoundError, match="export-inputs"):
        read_inputs(store_files(spark, empty.as_uri()), period)
    system = load_system("zhengwu-4d")
    with pytest.raises(InvalidInputError, match="export-parquet") as caught:
        run_on_spark(spark, system, period, parquet=empty.as_uri(), inputs=inputs)
    assert caught.value.message_zh.endswith("（再复制到该处）")
    with pytest.raises(InvalidInputError, match="cannot open nosuchfs://x/y") as bad:
        store_files(spark, "nosuchfs://x/y")
    assert "无法打开" in bad.value.message_zh


def test_a_metric_spark_cannot_read_the_same_is_refused_by_name() -> None:
    metric = Metric("median_gap", "中位差", "a plugin's DuckDB-only metric", "posts",
                    ("n_posts",), "list_median([n_posts, 1]) / {days}")  # fmt: skip
    assert "list_median" in metric.expression(30)
    with pytest.raises(UnsupportedOnSparkError, match=r"'median_gap' uses list_median"):
        metric.expression(30, SPARK)


# What a user must not see on spark-run's stderr when nothing is wrong.
NOISE = ("Setting default log level", "setLogLevel", "NativeCodeLoader", "incubator",
         ":: loading settings", "Ivy Default Cache", "log4j", "WARN", "FutureWarning")  # fmt: skip


def test_spark_run_is_quiet_and_writes_run_json_to_a_url(
    city: dict[str, Any], exported: Path, spark: SparkSession, tmp_path: Path
) -> None:
    """The command in a fresh process (its own JVM start-up): empty stderr, file:// in and out.

    ``run.json`` goes through Hadoop's FileSystem beside ``scores/``; compare-run reads
    both back from the same URL and finds the DuckDB ranking.
    """
    system = load_system("zhengwu-4d")
    label = city_period(city["truth"])
    period = parse_period(label, week_start=system.week_start)
    duck = engine.run_for_db(city["session"], city["con"], system, period)
    url = (tmp_path / "out").as_uri() + "/"
    done = subprocess.run(
        [sys.executable, "-m", "zhengwu.cli.main", "index", "spark-run", "--parquet",
         exported.as_uri(), "--period", label, "--out", url, "--driver-memory", "1g"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{duck.accounts} 账号 accounts" in done.stdout
    assert not [n for n in NOISE if n in done.stderr], done.stderr
    assert done.stderr.strip() == ""
    assert (tmp_path / "out" / "run.json").is_file()
    assert any((tmp_path / "out" / "scores").glob("*.parquet"))
    assert not list((tmp_path / "out").rglob("*.crc"))
    report = compare_run(city["con"], duck.run_id, url)
    assert report["identical"], report["shown"]
    assert report["accounts"] == duck.accounts > 100
    # run.json is read from the URL too: a different digest in it is a difference.
    manifest = tmp_path / "out" / "run.json"
    written = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps(written | {"system_digest": "0" * 64}), encoding="utf-8")
    changed = compare_run(city["con"], duck.run_id, url)
    assert not changed["identical"]
    assert changed["shown"][0].startswith("configuration system_digest: spark '000")


def test_jvm_errors_reach_stderr_and_its_start_up_warning_does_not(
    spark: SparkSession, capfd: pytest.CaptureFixture[str]
) -> None:
    """The JVM's stderr is relayed line by line: an error logged by the JVM is shown."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    jvm.System.err.println(f"{JVM_NOISE[0].decode()}jdk.incubator.vector")
    jvm.org.apache.logging.log4j.LogManager.getLogger("zhengwu.test").error("出错了 broken")
    jvm.org.apache.logging.log4j.LogManager.getLogger("zhengwu.test").warn("quiet")
    jvm.System.err.flush()
    said, waited = "", 0.0
    while "broken" not in said and waited < 10:  # the relay thread copies asynchronously
        time.sleep(0.1)
        waited += 0.1
        said += capfd.readouterr().err
    assert "ERROR test: 出错了 broken" in said
    assert "incubator" not in said
    assert "quiet" not in said  # warnings stay below the configured level


def test_compare_run_refuses_a_url_duckdb_cannot_read() -> None:
    import duckdb

    with duckdb.connect() as con, pytest.raises(InvalidInputError, match="hdfs dfs -get"):
        compare_run(con, "zhengwu-4d/2025-07", "hdfs://namenode:8020/spark/2025-07")
