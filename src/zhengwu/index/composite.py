"""Scoring of a composite system in DuckDB: one aggregation pass, then window functions.

1. One ``GROUP BY platform, account_uid`` pass over the window's posts computes every base
   aggregate the system's metrics need (plus one pass over follower snapshots when a
   metric needs followers, and the service-desk rates joined by organisation).
2. Per indicator, within the peer group (``PARTITION BY platform[, sector | level …]``):
   cap at a percentile or a value, transform (log1p, applied as sign(x)·ln(1+|x|) so net
   losses stay ordered), scale to 0–100 (minmax; percentile rank; z-score mapped so that
   ±3σ spans 0–100; a 0–1 rate ×100). An indicator equal for the whole peer group carries
   no information there and counts as no data (a peer group of one gets 50).
3. Per dimension the weighted mean of the indicators that have data (weights re-normalised
   over them); fallback indicators only when no primary indicator has data. The score is
   the weighted mean of the dimensions that have data, re-normalised the same way; the
   missing dimensions are recorded. An account without any raw value (every count it
   needs unreported, so every dimension missing) has no score (NULL, not 0): the engine
   excludes it from the ranking with the reason ``no_data``. Known values that are equal
   across the peer group leave the dimensions missing too, but are data: score 0. Contribution of an indicator = normalised value ×
   effective indicator weight × effective dimension weight, so contributions add up to
   the score exactly.

Everything is generated SQL over whole columns; Python only writes the SQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from zhengwu.index.compliance import has_table
from zhengwu.index.dialect import DUCKDB, Dialect
from zhengwu.index.metrics import (
    REPLIES_TABLE,
    get_metric,
    posts_base_aggregates,
)
from zhengwu.index.periods import Period
from zhengwu.index.system import Indicator, IndicatorSystem

_EPOCH = datetime(1970, 1, 1)  # the store's timestamps are naive UTC
# Base aggregates that count things: an account without posts has 0 of them, not NULL.
_COUNTING = ("n_posts", "n_original", "own_replies", "service_posts")


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def peer_partition(system: IndicatorSystem) -> str:
    """Return the PARTITION BY list of the system's peer group."""
    return ", ".join(system.peer_group)


def needed_bases(system: IndicatorSystem) -> tuple[list[str], list[str], list[str]]:
    """Return the base aggregates needed from posts, followers and service."""
    posts: list[str] = []
    followers: list[str] = []
    service: list[str] = []
    for name in system.metrics_used():
        metric = get_metric(name)
        target = {"posts": posts, "followers": followers, "service": service}[metric.source]
        target.extend(b for b in metric.needs if b not in target)
    return posts, followers, service


def posts_aggregate_sql(
    system: IndicatorSystem,
    period: Period,
    bases: list[str],
    dialect: Dialect = DUCKDB,
    window: tuple[str, str] = ("$start", "$end"),
) -> str:
    """Return the SELECT of the one aggregation pass over the window's posts (``agg_posts``).

    ``window`` is the SQL of the window's [start, end): parameters, or literals.
    """
    available = posts_base_aggregates(period.days, system.service_topics, dialect)
    start_us = (period.start_utc - _EPOCH) // timedelta(microseconds=1)
    day_index = dialect.day_index("created_at", start_us)
    select = ", ".join(f"{available[b].replace('day_index', day_index)} AS {b}" for b in bases)
    platforms = ", ".join(_q(p) for p in system.platforms)
    return f"""SELECT platform, account_uid AS uid{", " + select if select else ""}
        FROM posts
        WHERE created_at >= {window[0]} AND created_at < {window[1]} AND platform IN ({platforms})
        GROUP BY ALL"""


def replies_aggregate_sql(
    system: IndicatorSystem, window: tuple[str, str] = ("$start", "$end")
) -> str:
    """Return the SELECT of the window's replies written as comments, per account."""
    platforms = ", ".join(_q(p) for p in system.platforms)
    return f"""SELECT platform, account_uid AS uid, count(*) AS n FROM {REPLIES_TABLE}
        WHERE created_at >= {window[0]} AND created_at < {window[1]} AND platform IN ({platforms})
          AND account_uid IS NOT NULL
        GROUP BY ALL"""


def aggregate_posts(
    con: duckdb.DuckDBPyConnection, system: IndicatorSystem, period: Period, bases: list[str]
) -> None:
    """Create ``agg_posts``: the one aggregation pass over the window's posts."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE agg_posts AS {posts_aggregate_sql(system, period, bases)}",
        {"start": period.start_utc, "end": period.end_utc},
    )
    if "own_replies" in bases and has_table(con, REPLIES_TABLE):
        _add_comment_replies(con, system, period)


def _add_comment_replies(
    con: duckdb.DuckDBPyConnection, system: IndicatorSystem, period: Period
) -> None:
    """Add the window's rows of ``account_replies`` (replies written as comments) to agg_posts.

    An evaluated account (a row of ``acc``) that replied but published nothing in the window
    gets a row of its own: its other aggregates stay NULL, which build_values reads exactly
    like a missing row. Any other commenter — citizens, by the thousand — gets none: no
    score reads it, and agg_posts also names the window's post authors for the run note on
    unregistered accounts, which must not count (or name) people who only commented.
    """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE agg_replies AS {replies_aggregate_sql(system)}",
        {"start": period.start_utc, "end": period.end_utc},
    )
    try:
        con.execute(
            """UPDATE agg_posts SET own_replies = agg_posts.own_replies + r.n FROM agg_replies r
            WHERE r.platform = agg_posts.platform AND r.uid = agg_posts.uid"""
        )
        con.execute(
            """INSERT INTO agg_posts (platform, uid, own_replies)
            SELECT platform, uid, n FROM agg_replies
            SEMI JOIN acc USING (platform, uid) ANTI JOIN agg_posts USING (platform, uid)"""
        )
    finally:
        con.execute("DROP TABLE IF EXISTS agg_replies")


def followers_aggregate_sql(window: tuple[str, str] = ("$start", "$end")) -> str:
    """Return the SELECT of followers at the end and at the start of the window."""
    # Snapshots are written only when a count changes, so the last one before the window
    # is the count at its start; without one, the first inside the window stands in
    # (only when a later one exists: a single observation shows no growth). max_by and
    # min_by are DuckDB's arg_max and arg_min under the names Spark knows too.
    start, end = window
    return f"""SELECT platform, uid,
               max_by(followers, observed_at) AS followers_end,
               coalesce(
                   max_by(followers, observed_at) FILTER (WHERE observed_at < {start}),
                   CASE WHEN count(*) FILTER (WHERE observed_at >= {start}) >= 2
                        THEN min_by(followers, observed_at) FILTER (WHERE observed_at >= {start})
                   END) AS followers_start
        FROM account_snapshots
        WHERE observed_at < {end} AND followers IS NOT NULL
        GROUP BY ALL"""


def aggregate_followers(con: duckdb.DuckDBPyConnection, period: Period) -> None:
    """Create ``agg_followers``: followers at the end and at the start of the window."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE agg_followers AS {followers_aggregate_sql()}",
        {"start": period.start_utc, "end": period.end_utc},
    )


def _indicator_value(ind: Indicator, days: int, dialect: Dialect) -> str:
    expr = f"CAST(({get_metric(ind.metric).expression(days, dialect)}) AS DOUBLE)"
    if ind.zero_is_missing:
        expr = f"nullif({expr}, 0)"
    if ind.platforms:
        expr = f"CASE WHEN platform IN ({', '.join(_q(p) for p in ind.platforms)}) THEN {expr} END"
    return expr


def build_values(
    con: duckdb.DuckDBPyConnection, system: IndicatorSystem, period: Period, has_service: bool
) -> None:
    """Create ``vals``: one row per account with every indicator's raw value."""
    posts, followers, _ = needed_bases(system)
    aggregate_posts(con, system, period, posts)
    if followers:
        aggregate_followers(con, period)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE vals AS {values_sql(system, period, has_service=has_service)}"
    )


def values_sql(
    system: IndicatorSystem, period: Period, *, has_service: bool, dialect: Dialect = DUCKDB
) -> str:
    """Return the SELECT of ``vals`` over ``acc``, ``agg_posts``, ``agg_followers``, ``svc_in``."""
    posts, followers, service = needed_bases(system)
    joins = ["LEFT JOIN agg_posts p ON p.platform = a.platform AND p.uid = a.uid"]
    cols = [f"coalesce(p.{b}, 0) AS {b}" if b in _COUNTING or b.endswith("_n") else f"p.{b}"
            for b in posts]  # fmt: skip
    if followers:
        joins.append("LEFT JOIN agg_followers f ON f.platform = a.platform AND f.uid = a.uid")
        cols += ["coalesce(f.followers_end, a.followers) AS followers_end", "f.followers_start"]
    if service:
        if has_service:
            joins.append("LEFT JOIN svc_in s ON s.organization_id = a.organization_id AND s.n > 0")
            cols += [f"s.{b}" if b != "service_requests" else "s.n AS service_requests"
                     for b in service]  # fmt: skip
        else:
            cols += [f"NULL::DOUBLE AS {b}" for b in service]
    values = [
        f"{_indicator_value(ind, period.days, dialect)} AS r{k}"
        for k, (_, ind, _) in enumerate(system.indicators())
    ]
    tie_metric = get_metric(system.tie_break).expression(period.days, dialect)
    tie = f"CAST(({tie_metric}) AS DOUBLE) AS tie_value"
    return f"""SELECT a.account_id, a.platform, a.uid, a.sector, a.level,
               coalesce(a.province, '') AS province, n_posts,
               {", ".join(values)}, {tie}
        FROM (SELECT a.*, {", ".join(cols)} FROM acc a {" ".join(joins)}) a"""


def _transformed(k: int, ind: Indicator, dialect: Dialect) -> str:
    """Return the capped-and-transformed expression of indicator ``k`` (``cap{k}`` = its cap)."""
    value = f"r{k}"
    # DuckDB's least/greatest skip NULLs; no data must stay NULL, hence the CASEs.
    if ind.cap_percentile is not None:
        value = f"CASE WHEN {value} IS NOT NULL THEN least({value}, cap{k}) END"
    elif ind.cap_value is not None:
        value = (
            f"CASE WHEN {value} IS NOT NULL THEN least({value}, {dialect.num(ind.cap_value)}) END"
        )
    if ind.transform == "log1p":
        value = f"sign({value}) * ln(1 + abs({value}))"
    return value


def _scaled(k: int, ind: Indicator) -> str:
    """Return the 0–100 expression of indicator ``k`` over its peer-group statistics."""
    # An indicator equal for every account of a peer group tells nothing about any of them
    # (own replies where no account shows one): it is left out there (NULL, weights
    # re-normalised). A peer group of one cannot be compared and gets the neutral 50.
    t = f"t{k}"
    flat = f"WHEN {t} IS NOT NULL AND c{k} = 1 THEN 50"
    if ind.scale == "minmax":
        return f"CASE WHEN hi{k} > lo{k} THEN 100 * ({t} - lo{k}) / (hi{k} - lo{k}) {flat} END"
    if ind.scale == "percentile":
        return f"CASE WHEN {t} IS NOT NULL AND hi{k} > lo{k} THEN 100 * pr{k} {flat} END"
    if ind.scale == "zscore":
        return (
            f"CASE WHEN {t} IS NOT NULL AND sd{k} > 0 THEN greatest(0, least(100, "
            f"50 + 50 * ({t} - mu{k}) / (3 * sd{k}))) {flat} END"
        )
    if ind.scale == "rate":
        return f"CASE WHEN {t} IS NOT NULL THEN greatest(0, least(100, 100 * {t})) END"
    return t


def _stats(k: int, ind: Indicator) -> list[str]:
    """Return the peer-group aggregates indicator ``k``'s scale needs."""
    t = f"t{k}"
    spread = [f"min({t}) AS lo{k}", f"max({t}) AS hi{k}", f"count({t}) AS c{k}"]
    return {
        "minmax": spread,
        "percentile": spread,
        "zscore": [f"avg({t}) AS mu{k}", f"stddev_pop({t}) AS sd{k}", f"count({t}) AS c{k}"],
    }.get(ind.scale, [])


def _normalised_sql(system: IndicatorSystem, dialect: Dialect) -> str:
    """Return CTEs ending in ``nm``: every indicator's raw (r), transformed (t), 0–100 (n) value."""
    # Peer-group statistics come from GROUP BY + join (one small hash aggregate) rather
    # than window aggregates, which sort the accounts once per indicator. Percentile ranks
    # do need a sort; they run on the narrow raw column of ``vals`` (a percentile rank is
    # unchanged by the monotone log1p, and caps are refused with percentile scaling).
    peer = peer_partition(system)
    on = " AND ".join(f"v.{key} = s.{key}" for key in system.peer_group)
    items = [(k, ind) for k, (_, ind, _) in enumerate(system.indicators())]
    caps = [f"{dialect.quantile(f'r{k}', ind.cap_percentile / 100)} AS cap{k}"
            for k, ind in items if ind.cap_percentile is not None]  # fmt: skip
    capped = "vals v"
    if caps:
        capped = f"vals v JOIN (SELECT {peer}, {', '.join(caps)} FROM vals GROUP BY ALL) s ON {on}"
    stats = [stat for k, ind in items for stat in _stats(k, ind)] or ["count(*) AS n_peer"]
    ranks = [f"percent_rank() OVER (PARTITION BY {peer}, r{k} IS NULL ORDER BY r{k}) AS pr{k}"
             for k, ind in items if ind.scale == "percentile"]  # fmt: skip
    pr = f", pr AS (SELECT account_id, {', '.join(ranks)} FROM vals)" if ranks else ""
    pr_join = "JOIN pr USING (account_id)" if ranks else ""
    return f"""tv AS (SELECT v.*, {", ".join(f"{_transformed(k, ind, dialect)} AS t{k}" for k, ind in items)}
                  FROM {capped}),
        st AS (SELECT {peer}, {", ".join(stats)} FROM tv GROUP BY ALL){pr},
        nm AS (SELECT v.*, {", ".join(f"{_scaled(k, ind)} AS n{k}" for k, ind in items)}
               FROM tv v JOIN st s ON {on} {pr_join})"""  # fmt: skip


def _dimension_sql(system: IndicatorSystem, dialect: Dialect) -> tuple[list[str], list[str]]:
    """Return the dimension-score columns (d) and effective indicator weights (e)."""
    items = system.indicators()
    w = [dialect.num(i.weight) for _, i, _ in items]
    dim_cols: list[str] = []
    eff_cols: list[str] = []
    for d_index, dim in enumerate(system.dimensions):
        groups = []
        for fallback in (False, True):
            ks = [k for k, (d, _, fb) in enumerate(items) if d is dim and fb is fallback]
            if ks:
                num = " + ".join(f"coalesce({w[k]} * n{k}, 0)" for k in ks)
                den = " + ".join(f"CASE WHEN n{k} IS NOT NULL THEN {w[k]} ELSE 0 END" for k in ks)
                groups.append((ks, f"({num}) / nullif({den}, 0)", den))
        primary = groups[0]
        expr = primary[1] if len(groups) == 1 else f"coalesce({primary[1]}, {groups[1][1]})"
        dim_cols.append(f"{expr} AS d{d_index}")
        for g, (ks, _, den) in enumerate(groups):
            # A fallback group counts only when the primary group has no data at all.
            use = "true" if g == 0 else f"({primary[2]}) = 0"
            eff_cols += [f"CASE WHEN {use} AND n{k} IS NOT NULL THEN {w[k]} / ({den}) ELSE 0 END AS e{k}"
                         for k in ks]  # fmt: skip
    return dim_cols, eff_cols


def score(con: duckdb.DuckDBPyConnection, system: IndicatorSystem, run_id: str) -> None:
    """Normalise, combine and write every account's score with its lists to index_scores."""
    # One statement from raw values to the stored rows: every intermediate stays inside
    # DuckDB's pipeline instead of being materialised as a wide temporary table.
    con.execute(f"INSERT INTO index_scores {scores_sql(system, run_id)}")


def scores_sql(system: IndicatorSystem, run_id: str, dialect: Dialect = DUCKDB) -> str:
    """Return the SELECT of every account's score with its lists (the rows of index_scores)."""
    items = system.indicators()
    dims = system.dimensions
    dim_cols, eff_cols = _dimension_sql(system, dialect)
    dw = [dialect.num(d.weight) for d in dims]
    present = " + ".join(
        f"CASE WHEN d{i} IS NOT NULL THEN {dw[i]} ELSE 0 END" for i in range(len(dims))
    )
    total = " + ".join(f"coalesce({dw[i]} * d{i}, 0)" for i in range(len(dims)))
    missing = [f"CASE WHEN d{i} IS NULL THEN {_q(d.key)} END" for i, d in enumerate(dims)]
    # No raw value at all (every count unreported) is no data: no score, not a score of 0.
    # Known values equal across the peer group carry no information but are data: 0.
    no_raw = " AND ".join(f"r{k} IS NULL" for k in range(len(items)))
    score = f"CASE WHEN {no_raw} THEN NULL ELSE coalesce(({total}) / nullif({present}, 0), 0) END"
    dweights = ", ".join(
        f"CASE WHEN d{i} IS NOT NULL THEN {dw[i]} / nullif({present}, 0) ELSE 0 END AS w{i}"
        for i in range(len(dims))
    )
    # Lists aligned with the run's items (indicators, then dimensions): one row per account
    # is far cheaper to write than one row per account and indicator.
    raw = [f"r{k}" for k in range(len(items))] + ["NULL"] * len(dims)
    normalised = [f"n{k}" for k in range(len(items))] + [f"d{i}" for i in range(len(dims))]
    weight = [f"e{k}" for k in range(len(items))] + [f"w{i}" for i in range(len(dims))]
    contribution = [
        f"coalesce(n{k} * e{k} * w{dims.index(dim)}, 0)" for k, (dim, _, _) in enumerate(items)
    ] + [f"coalesce(d{i} * w{i}, 0)" for i in range(len(dims))]
    return f"""WITH {_normalised_sql(system, dialect)},
        dm AS (SELECT *, {", ".join(dim_cols)}, {", ".join(eff_cols)} FROM nm),
        sc AS (SELECT *, {score} AS score, {dweights} FROM dm)
        SELECT {_q(run_id)} AS run_id, platform, uid AS account_uid, account_id, score,
               tie_value, n_posts AS posts, {dialect.strings(missing)} AS dims_missing,
               {dialect.doubles(raw)} AS raw, {dialect.doubles(normalised)} AS normalised,
               {dialect.doubles(weight)} AS weight, {dialect.doubles(contribution)} AS contribution
        FROM sc"""  # fmt: skip


def items_of(system: IndicatorSystem) -> list[tuple[str, str, bool]]:
    """Return the (dimension, indicator, is_fallback) items a run's score lists align with."""
    return [(d.key, i.metric, fb) for d, i, fb in system.indicators()] + [
        (d.key, "", False) for d in system.dimensions
    ]
