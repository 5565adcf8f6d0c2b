"""Published-formula presets over stored data: raw inputs in DuckDB, the exact formula per account.

The inputs (R, Z, L, RE, Rt … for WCI; posts, reposts … for BCI) are aggregated in one
DuckDB pass with the publisher's conventions:

* reads above 100 000 are shown as "10万+" and stored as 100001 (``cap_reads``);
* for the period kinds listed in ``seventh_day_reads`` every article's counts are taken
  from its 7th-day snapshot: the latest ``post_snapshots`` row observed at or before
  publication + 7 × 24 h (an ASOF join); an article without such a snapshot falls back to
  its latest stored counts;
* d, the window in days, is 7 for a week, 30 for a month, 365 for a year (and 人民网's
  year), the actual number of days otherwise; 清博 weeks run Sunday to Saturday (the
  system's ``week_start``);
* a count the platform did not report (NULL) counts as 0 when the account has other
  counts in the window; an account that published in the window but none of whose posts
  has any of the counts its formula needs (``Runnable.required``; followers also count for
  the presets that use them) has *no data*: no score (NULL, not the formula's value of
  zeros), and the engine excludes it from the ranking with the reason ``no_data``. An
  account without posts in the window scores as the publisher says (0 for WCI and NRI).

The value itself comes from :mod:`zhengwu.index.formulas` — the one tested implementation
of each formula — evaluated per account. Contributions split the value over the blocks of
its final weighted sum in proportion to each block's weighted term, so they add up to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from zhengwu.index.dialect import DUCKDB, Dialect, UnsupportedOnSparkError
from zhengwu.index.formulas import get_preset
from zhengwu.index.periods import Period
from zhengwu.index.system import IndicatorSystem

Inputs = Callable[[Mapping[str, Any], Period], dict[str, float]]


@dataclass(frozen=True, slots=True)
class Runnable:
    """How to feed one preset from stored data and how to attribute its value."""

    aggregates: Mapping[str, str]  # name → SQL aggregate over the effective post counts
    inputs: Inputs
    blocks: tuple[tuple[str, float], ...]  # final weighted sum: (breakdown name, weight)
    required: tuple[str, ...]  # post counts the formula needs: all unreported → no data
    followers: bool = False

    def known_sql(self) -> str:
        """Return the SQL aggregate counting posts with at least one required count."""
        return f"count(*) FILTER (WHERE {' OR '.join(f'{c} IS NOT NULL' for c in self.required)})"


def qingbo_days(period: Period) -> int:
    """Return 清博's d: week 7, month 30, year 365, otherwise the actual days."""
    return {"week": 7, "month": 30, "year": 365, "people": 365}.get(period.kind, period.days)


_WECHAT = {
    "n": "count(*)",
    **{k: f"coalesce(sum({c}), 0)" for k, c in
       (("R", "reads"), ("Z", "zaikan"), ("L", "likes"), ("RE", "shares"))},
    **{k + "t": f"coalesce(sum({c}) FILTER (WHERE is_headline), 0)" for k, c in
       (("R", "reads"), ("Z", "zaikan"), ("L", "likes"), ("RE", "shares"))},
    **{k + "max": f"coalesce(max({c}), 0)" for k, c in
       (("R", "reads"), ("Z", "zaikan"), ("L", "likes"), ("RE", "shares"))},
}  # fmt: skip


def _wci_v14(row: Mapping[str, Any], period: Period) -> dict[str, float]:
    return {k: float(row[k]) for k in _WECHAT} | {"d": float(qingbo_days(period))}


def _wci_v2(row: Mapping[str, Any], _: Period) -> dict[str, float]:
    # V2.0's Z is likes, not 在看.
    return {"R": row["R"], "Z": row["L"], "n": row["n"], "Rmax": row["Rmax"], "Zmax": row["Lmax"]}


def _nri(row: Mapping[str, Any], period: Period) -> dict[str, float]:
    n = row["n"]
    return {
        "read_sum": row["R"], "read_max": row["Rmax"], "read_avg": row["R"] / n if n else 0.0,
        "headline_read_sum": row["Rt"], "like_sum": row["L"], "n": float(period.days),
    }  # fmt: skip


def _bci(row: Mapping[str, Any], _: Period) -> dict[str, float]:
    return {k: float(row[k]) for k in ("posts", "reposts", "comments", "likes")}


def _bvci(row: Mapping[str, Any], period: Period) -> dict[str, float]:
    return {
        "X1": row["posts"], "X2": row["plays"] / period.days, "X3": row["comments"] / period.days,
        "X4": row["followers_end"] or 0, "X5": max(0, (row["followers_end"] or 0) - (row["followers_start"] or 0)),
    }  # fmt: skip


def _qsci(row: Mapping[str, Any], period: Period) -> dict[str, float]:
    return {
        "X1": row["posts"], "X2": row["posts"] / period.days, "X3": row["occasions"],
        "X4": row["reads"], "X5": row["comments"], "X6": row["likes"],
    }  # fmt: skip


_COUNTS = {
    "posts": "count(*)",
    **{c: f"coalesce(sum({c}), 0)" for c in ("reposts", "comments", "likes", "plays", "reads")},
    "occasions": "count(DISTINCT created_at)",
}

_WCI_COUNTS = ("reads", "zaikan", "likes", "shares")
_NRI_COUNTS = ("reads", "likes")  # NRI uses reads and likes only

RUNNABLE: Mapping[str, Runnable] = {
    "qingbo_wci_v14_2": Runnable(_WECHAT, _wci_v14, (("O", 0.6), ("A", 0.2), ("H", 0.1), ("P", 0.1)),
                                 _WCI_COUNTS),
    "qingbo_wci_v2": Runnable(_WECHAT, _wci_v2, (("read_block", 0.8), ("like_block", 0.2)),
                              ("reads", "likes")),
    "qingbo_wci_2016": Runnable(_WECHAT, _wci_v2, (("read_block", 0.8), ("like_block", 0.2)),
                                ("reads", "likes")),
    "newrank_nri": Runnable(_WECHAT, _nri, (
        ("score_read_sum", 0.75), ("score_read_max", 0.05), ("score_read_avg", 0.10),
        ("score_headline_read_sum", 0.05), ("score_like_sum", 0.05)), _NRI_COUNTS),
    "weibo_bci_simple": Runnable(_COUNTS, _bci, (("W1", 0.2), ("W2", 0.8)),
                                 ("reposts", "comments", "likes")),
    "qingbo_bvci_v2": Runnable(_COUNTS, _bvci, (("inner", 1.0),), ("plays", "comments"),
                               followers=True),
    "qingbo_qsci_v1": Runnable(_COUNTS, _qsci, (("publishing_block", 0.25), ("engagement_block", 0.75)),
                               ("reads", "comments", "likes")),
}  # fmt: skip


def _effective_posts(
    system: IndicatorSystem, period: Period, dialect: Dialect, window: tuple[str, str]
) -> tuple[str, list[str]]:
    """Return SQL of the window's posts with the counts the publisher would use."""
    notes: list[str] = []
    start, end = window
    platforms = ", ".join(f"'{p}'" for p in system.platforms)
    counts = ("reads", "zaikan", "likes", "shares", "reposts", "comments", "plays")
    if system.cap_reads is not None:
        cap = int(system.cap_reads)  # least() skips NULL: an unreported count must stay NULL
        capped = {"reads": f"CASE WHEN reads IS NOT NULL THEN least(reads, {cap}) END AS reads"}
        above, counted = system.cap_reads - 1, system.cap_reads
        notes.append(
            f"阅读数超过 {above} 的按 {counted} 计（10万+） / reads above {above} counted as "
            f"{counted} (10万+)"
        )
    else:
        capped = {}
    columns = ", ".join(capped.get(c, c) for c in counts)
    if period.kind in system.seventh_day_kinds:
        if dialect.spark:
            refuse_seventh_day(system, period)
        cols = ", ".join(f"coalesce(s.{c}, p.{c}) AS {c}" for c in counts)
        source = f"""(SELECT p.platform, p.account_uid, p.created_at, p.is_headline, {cols}
                      FROM (SELECT * FROM posts WHERE created_at >= {start} AND created_at < {end}
                            AND platform IN ({platforms})) p
                      ASOF LEFT JOIN post_snapshots s
                        ON s.platform = p.platform AND s.post_id = p.post_id
                       AND p.created_at + INTERVAL 7 DAY >= s.observed_at)"""
        notes.insert(
            0,
            "counts of each article as of its 7th day (post_snapshots; latest counts without one)",
        )
        if capped:
            source = f"(SELECT platform, account_uid, created_at, is_headline, {columns} FROM {source} e)"
    else:
        source = f"""(SELECT platform, account_uid, created_at, is_headline, {columns}
                      FROM posts WHERE created_at >= {start} AND created_at < {end}
                      AND platform IN ({platforms}))"""
    return source, notes


def refuse_seventh_day(system: IndicatorSystem, period: Period) -> None:
    """Raise UnsupportedOnSparkError when ``system`` takes 7th-day counts for ``period``."""
    if period.kind in system.seventh_day_kinds:
        raise UnsupportedOnSparkError(
            f"{system.name} 在 {period.kind} 周期按第 7 天快照计数（seventh_day_reads），"
            "Spark 版指数尚不支持；请用 DuckDB 运行（zhengwu index run）",
            f"{system.name} takes each article's counts as of its 7th day for {period.kind} "
            "periods (seventh_day_reads, an ASOF join), which the Spark version of the "
            "index does not support yet; run it with DuckDB (zhengwu index run)",
        )


def inputs_sql(
    system: IndicatorSystem,
    period: Period,
    dialect: Dialect = DUCKDB,
    window: tuple[str, str] = ("$start", "$end"),
) -> tuple[str, list[str]]:
    """Return the SELECT of every account's formula inputs (over ``acc``) and the run notes."""
    assert system.preset is not None
    runnable = RUNNABLE[system.preset]
    source, notes = _effective_posts(system, period, dialect, window)
    aggregates = {**runnable.aggregates, "known": runnable.known_sql()}
    aggs = ", ".join(f"{sql} AS {name}" for name, sql in aggregates.items())
    follower_join = follower_cols = ""
    if runnable.followers:
        follower_join = "LEFT JOIN agg_followers f ON f.platform = a.platform AND f.uid = a.uid"
        follower_cols = (
            ", coalesce(f.followers_end, a.followers) AS followers_end, f.followers_start"
        )
    zero = ", ".join(f"coalesce(g.{name}, 0) AS {name}" for name in aggregates)
    sql = f"""SELECT a.platform, a.uid, a.account_id, {zero}{follower_cols}
            FROM acc a
            LEFT JOIN (SELECT platform, account_uid AS uid, {aggs} FROM {source} src GROUP BY ALL) g
              ON g.platform = a.platform AND g.uid = a.uid
            {follower_join}
            ORDER BY a.platform, a.uid"""
    return sql, notes


def score(
    con: duckdb.DuckDBPyConnection, system: IndicatorSystem, period: Period, run_id: str
) -> list[str]:
    """Compute a preset system for every account and write values, inputs and blocks to index_scores."""
    assert system.preset is not None
    preset = get_preset(system.preset)
    sql, notes = inputs_sql(system, period)
    if RUNNABLE[system.preset].followers:
        from zhengwu.index.composite import aggregate_followers

        aggregate_followers(con, period)
    cur = con.execute(sql, {"start": period.start_utc, "end": period.end_utc})
    names = [d[0] for d in cur.description or []]
    table = score_rows(system, period, run_id, names, cur.fetchall())
    con.complete()
    con.register("preset_scores_in", table)
    con.execute("INSERT INTO index_scores SELECT * FROM preset_scores_in")
    con.unregister("preset_scores_in")
    return [preset.source_note(), *notes]


def score_rows(
    system: IndicatorSystem,
    period: Period,
    run_id: str,
    names: list[str],
    values: Iterable[Sequence[Any]],
) -> pa.Table:
    """Return the index_scores rows of a preset from its inputs (columns ``names``)."""
    assert system.preset is not None
    preset = get_preset(system.preset)
    runnable = RUNNABLE[system.preset]
    input_names = [i.name for i in preset.inputs]
    rows: list[dict[str, Any]] = []
    for value_row in values:
        row = dict(zip(names, value_row, strict=True))
        n_posts = int(row.get("n", row.get("posts", 0)))
        base = {"run_id": run_id, "platform": row["platform"], "account_uid": row["uid"],
                "account_id": row["account_id"], "tie_value": float(n_posts), "posts": n_posts}  # fmt: skip
        if _no_data(runnable, row, n_posts):
            rows.append(base | _no_score(len(input_names), runnable))
            continue
        inputs = runnable.inputs(row, period)
        result = preset.evaluate(inputs)
        terms = [w * result.breakdown[b] for b, w in runnable.blocks]
        total = sum(terms)
        shares = [result.value * term / total if total else 0.0 for term in terms]
        n_inputs = len(input_names)
        rows.append(base | {
            "score": result.value, "dims_missing": [],
            "raw": [float(inputs[n]) for n in input_names] + [result.breakdown[b] for b, _ in runnable.blocks],
            "normalised": [None] * (n_inputs + len(terms)),
            "weight": [None] * n_inputs + [w for _, w in runnable.blocks],
            "contribution": [None] * n_inputs + shares,
        })  # fmt: skip
    return pa.Table.from_pylist(rows, schema=SCORES_SCHEMA)


def _no_data(runnable: Runnable, row: Mapping[str, Any], n_posts: int) -> bool:
    """Tell whether an account published in the window without any count its formula needs."""
    if n_posts == 0 or row["known"] > 0:
        return False
    return not (runnable.followers and row.get("followers_end") is not None)


def _no_score(n_inputs: int, runnable: Runnable) -> dict[str, Any]:
    """Return the stored lists of an account without data: no score, every block missing."""
    n_items = n_inputs + len(runnable.blocks)
    return {
        "score": None,
        "dims_missing": [b for b, _ in runnable.blocks],
        "raw": [None] * n_items,
        "normalised": [None] * n_items,
        "weight": [None] * n_inputs + [w for _, w in runnable.blocks],
        "contribution": [None] * n_items,
    }


SCORES_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("platform", pa.string()), ("account_uid", pa.string()),
    ("account_id", pa.int64()), ("score", pa.float64()), ("tie_value", pa.float64()), ("posts", pa.int64()),
    ("dims_missing", pa.list_(pa.string())), ("raw", pa.list_(pa.float64())), ("normalised", pa.list_(pa.float64())),
    ("weight", pa.list_(pa.float64())), ("contribution", pa.list_(pa.float64())),
])  # fmt: skip


def items_of(system: IndicatorSystem) -> list[tuple[str, str, bool]]:
    """Return the items a preset run's score lists align with: inputs, then blocks."""
    assert system.preset is not None
    inputs = [("inputs", i.name, False) for i in get_preset(system.preset).inputs]
    return inputs + [(block, "", False) for block, _ in RUNNABLE[system.preset].blocks]
