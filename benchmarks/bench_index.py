"""Benchmark of the influence-index engine on a simulated national year.

    python benchmarks/bench_index.py --posts 10M,20M,40M      # full run (minutes)
    python benchmarks/bench_index.py --small                  # quick check (1M posts)

What is measured, in the same run and on the same DuckDB file for each size:

* **floor** — a bare DuckDB ``GROUP BY platform, account_uid`` with count and the sums of
  reads, plays, reposts, comments and likes over the window's posts (the least any index
  must do);
* **engine** — ``zhengwu-4d`` over 人民网's year ``people-2025`` (compliance gate, scores,
  totals, organisation scores, matrix index, all stored) plus every ranking (Top-20 of
  every platform × grouping × group);
* **pandas** — a straightforward pandas implementation of the same system (same metrics,
  caps, log1p, min–max and percentile scaling, re-normalised weights, compliance, ranks,
  organisation scores, rankings), loading the columns it needs from the same store. Above
  ``--pandas-max`` posts it is not run; its time is scaled linearly from the largest size
  it ran at, and the output says so.

Each measurement runs in a fresh process (``--worker``) so that its peak memory (max RSS)
is its own; the time is the best of ``--repeat`` runs after one untimed warm-up scan. DuckDB
uses ``--threads`` threads (2 by default, the goal's machine). Both wall time and CPU time
(user + system of the process, all threads) are printed: on a shared machine the wall time
of the same query varies several-fold with the neighbours' load, the CPU time much less.
``--system NAME|FILE.toml`` benchmarks another indicator system. After the timed runs the
engine worker runs once more through a connection that records the CPU seconds of every
statement, and the output ends with that per-stage profile (labelled by the table each
statement writes: ``agg_posts`` is the one pass over the posts, ``index_*`` the stored
results, ``rankings`` every Top-20 list).

Runs on the quiet, faster machine of an earlier session (2 cores at load 1.9, wall / CPU
seconds at 9.9 M / 19.8 M / 39.7 M posts): floor 0.50/0.98, 0.85/1.66, 2.03/3.93; engine +
rankings 2.50/3.89, 3.68/5.86, 5.00/8.89, i.e. 4.96 / 4.33 / 2.47× the floor in wall time,
3.96 / 3.53 / 2.26× in CPU. The latest figures, on a slower machine, are in the README
(2026-11-24, quiet machine, 20 M: 4.37× wall, 3.52× CPU; 40 M: 3.06×, 2.68×). Reading a per-post
flag byte (own reply, service hashtag) instead of ``text`` and ``topics`` was tried on the
20 M store: the byte costs +0.4 CPU-s over the floor's columns, the two columns +1.0, so it
would save ~0.6 CPU-s (~0.3 s wall) — 3.5× → ~3.2× in CPU at 20 M — for a new store column
filled by every importer; not done.

Where the time goes (2 cores at load 6–11, CPU seconds at 9.9 M / 19.8 M / 39.7 M posts):
floor 1.4 / 2.9 / 5.1; engine + rankings 6.1 / 9.2 / 13.9 (2.7–4.5× the floor, goal 2×).
The one pass over the posts is 2.6 / 5.3 / 10.0, already ~2× the floor: beyond the floor's
columns it reads ``text`` (own replies, ~0.2 s at 10 M), ``topics`` (service hashtags,
~0.4 s with one ``list_contains`` per exact topic; ``list_has_any`` cost 0.8) and keeps
sum, count and max of reads-or-plays. The per-account stages cost ≈ 3.5 s whatever the
size: writing index_scores (four 18-element lists per account) 1.1, account totals 0.5
plus their ranks 0.2, organisations 0.35, matrix index 0.35, rankings 0.3–0.45, compliance
0.2–0.4, the values table 0.2, commit 0.2. Writing to the persistent store is about half
of each storing stage (``force_compression = 'uncompressed'`` would save ~0.35 s in all).

2026-11-24, late (20 M posts, the current store and code, same hour, before and after
alternately, two runs each, load 4.0–6.3, wall / CPU seconds): floor 3.34/2.10 and
1.49/1.71 before, 1.02/1.74 and 1.94/1.88 after; engine + rankings 7.45/7.00 and 6.47/6.56
before, 5.87/6.61 and 7.42/6.68 after (3.3–3.8× the floor in CPU either way: the pass
alone varies ±0.4 CPU-s between runs). The matrix index now counts a matrix's
organisations on a platform by joining them to their platforms on the integer id instead
of crossing every (matrix, organisation) with every platform: that stage 0.32 / 0.30 →
0.22 / 0.25 CPU-s at 20 M (alone at 1 M, four runs: 0.18–0.22 → 0.13–0.17), the same
3,148 rows. Tried, measured and not kept: the per-account stages on one thread (those
statements −0.4 CPU-s, but a second thread no longer compresses the results during the
INSERTs, so COMMIT costs +0.5 on one core, and a quiet machine would lose the wall time
the second thread gives); disabling DuckDB's dict_fsst and ALP compression while storing
(−0.2 CPU-s, but 61 → 119 MB per run in the store); counting own replies and service
hashtags in filtered passes of their own (+0.4–0.8: each re-reads the posts); cheaper forms
of the hashtag test (``list_bool_or``, one lambda for all topics, a regexp over the joined
topics: within the noise). At 20 M each extra of the pass costs little alone (the ``text``
test, the ``topics`` test, the platform filter: 0.1–0.4 CPU-s each) and ~1.5 together.

Data: the simulator + importers would take hours for 40 M posts, so the posts table is
synthesised inside DuckDB (``INSERT … SELECT … FROM range(n)``), month by month in time order
like a store filled by daily imports: 180,000 accounts (Weibo 90k, WeChat 54k, Douyin 36k)
of about 120,000 organisations in real counties, log-normal activity (8 % dormant all
year, 5 % stopping two months before the end), log-normal per-account reach and per-post
noise (heavy tails), 35 % of posts with topics (3 % service hashtags), 5 % Weibo own
replies (回复@…), 15 % Weibo reposts, WeChat 头条 flags, follower snapshots at both ends.
Regional (city) and vertical (province × sector) matrices give ~360,000 memberships.
"""

from __future__ import annotations

import argparse
import calendar
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from _peak import peak_rss_mb

N_ACCOUNTS = 180_000
PERIOD = "people-2025"
SECTORS = ["公安", "消防", "文旅", "交通", "生态环境", "卫健", "教育", "检察", "法院", "气象",
           "应急", "市场监管", "发布"]  # fmt: skip
LEVELS = ["中央", "省", "市", "县", "乡"]
LEVEL_P = [0.01, 0.06, 0.23, 0.55, 0.15]


def parse_size(text: str) -> int:
    """Parse 10M / 500k / 2000000."""
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


# ---- data ---------------------------------------------------------------------------------


def dimensions(seed: int = 7) -> Any:
    """Return synthetic Arrow dimension tables (accounts, organisations, matrices, regions)."""
    from zhengwu.index.dimensions import (
        ACCOUNTS_SCHEMA,
        MEMBERS_SCHEMA,
        ORGANIZATIONS_SCHEMA,
        Dimensions,
        region_names,
        region_parts,
    )  # fmt: skip
    from zhengwu.regions import divisions

    rng = np.random.default_rng(seed)
    counties = sorted(c for c, d in divisions().items() if d.level == "county")
    n_orgs = 120_000
    org_county = rng.choice(len(counties), n_orgs)
    org_adcode = np.array(counties)[org_county]
    parts = region_parts(set(org_adcode))
    org_sector = rng.choice(len(SECTORS), n_orgs)
    org_level = rng.choice(len(LEVELS), n_orgs, p=LEVEL_P)
    platforms = np.array(["weibo"] * 90_000 + ["wechat"] * 54_000 + ["douyin"] * 36_000)
    acc_org = rng.integers(0, n_orgs, N_ACCOUNTS)
    province = [parts[a][0] for a in org_adcode]
    city = [parts[a][1] for a in org_adcode]
    accounts = pa.table({
        "account_id": np.arange(1, N_ACCOUNTS + 1), "platform": platforms,
        "uid": [f"{p[:2]}{i}" for i, p in enumerate(platforms)],
        "name": [f"账号{i}" for i in range(N_ACCOUNTS)], "organization_id": acc_org + 1,
        "org_name": [f"机构{o}" for o in acc_org],
        "sector": np.array(SECTORS)[org_sector[acc_org]], "level": np.array(LEVELS)[org_level[acc_org]],
        "adcode": org_adcode[acc_org], "province": [province[o] for o in acc_org],
        "city": [city[o] for o in acc_org], "followers": rng.integers(100, 1_000_000, N_ACCOUNTS),
    }).cast(ACCOUNTS_SCHEMA)  # fmt: skip
    organizations = pa.table({
        "organization_id": np.arange(1, n_orgs + 1), "name": [f"机构{o}" for o in range(n_orgs)],
        "sector": np.array(SECTORS)[org_sector], "level": np.array(LEVELS)[org_level],
        "adcode": org_adcode, "province": province, "city": city,
    }).cast(ORGANIZATIONS_SCHEMA)  # fmt: skip
    # Regional matrices (one per city) and vertical ones (province × sector).
    acc_city = accounts.column("city").to_pylist()
    acc_prov = accounts.column("province").to_pylist()
    acc_sector = accounts.column("sector").to_pylist()
    keys: dict[str, int] = {}
    member_rows: list[tuple[int, str, int]] = []
    for i in range(N_ACCOUNTS):
        for key in (f"{acc_city[i] or acc_prov[i]}矩阵", f"{acc_prov[i]}{acc_sector[i]}"):
            mid = keys.setdefault(key, len(keys) + 1)
            member_rows.append((mid, key, i + 1))
    members = pa.table({
        "matrix_id": [r[0] for r in member_rows], "matrix_name": [r[1] for r in member_rows],
        "account_id": [r[2] for r in member_rows],
    }).cast(MEMBERS_SCHEMA)  # fmt: skip
    regions = region_names(list(province) + list(city))
    return Dimensions(accounts, organizations, members, regions)


def generate(path: Path, n_posts: int, seed: int = 7) -> None:
    """Write a store with ``n_posts`` synthetic posts of the 人民网 year, in time order."""
    from zhengwu.content.store import connect

    con = connect(path)
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE acc AS
        SELECT i, CASE WHEN i < 90000 THEN 'weibo' WHEN i < 144000 THEN 'wechat' ELSE 'douyin' END
                  AS platform,
               CASE WHEN i < 90000 THEN 'we' WHEN i < 144000 THEN 'we' ELSE 'do' END || i AS uid,
               CASE WHEN random() < 0.08 THEN 0.0
                    ELSE exp(1.1 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())) END AS act,
               random() < 0.05 AS stops,
               5.5 + 1.4 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()) AS mu,
               i < 45000 AS shows_reads
        FROM range({N_ACCOUNTS}) t(i)"""
    )
    total = float(con.execute("SELECT sum(act) FROM acc").fetchall()[0][0])
    months = [(2024, 11), (2024, 12)] + [(2025, m) for m in range(1, 11)]
    per_month = n_posts / 12 / total
    for k, (year, month) in enumerate(months):
        start = f"{year:04d}-{month:02d}-01"
        month_us = calendar.monthrange(year, month)[1] * 86_400_000_000
        con.execute(
            f"""INSERT INTO posts
            SELECT platform, platform || '-' || {k} || '-' || i || '-' || j, uid, created_at,
                   -- Topics are written into the text as #…#, as Weibo does.
                   CASE WHEN platform = 'weibo' AND random() < 0.05
                        THEN '回复@网友' || j || '：您好，您反映的问题已转交相关部门办理，请保持电话畅通。'
                        ELSE coalesce('#' || topics[1] || '#', '') || '【' || {k} || '】'
                             || repeat('关于做好近期安全防范工作的提示，', 1 + (j % 4))
                             || '请广大市民朋友注意。' END,
                   topics, [], platform = 'weibo' AND random() < 0.15, NULL, false, NULL, NULL, NULL,
                   platform = 'wechat' AND random() < 0.4, platform = 'wechat' AND random() < 0.6,
                   NULL, NULL,
                   CAST(r * 0.004 * random() AS BIGINT), CAST(r * 0.003 * random() AS BIGINT),
                   CAST(r * 0.02 * random() AS BIGINT),
                   CASE WHEN platform = 'wechat' OR (platform = 'weibo' AND shows_reads) THEN r END,
                   CASE WHEN platform = 'wechat' THEN CAST(r * 0.01 * random() AS BIGINT) END,
                   CASE WHEN platform = 'wechat' THEN CAST(r * 0.005 * random() AS BIGINT) END,
                   CASE WHEN platform = 'douyin' THEN r * 3 END, NULL,
                   created_at + INTERVAL 1 DAY, created_at + INTERVAL 1 DAY
            FROM (SELECT a.*, j,
                         CASE WHEN random() < 0.03 THEN ['马上办']
                              WHEN random() < 0.33 THEN ['话题' || (hash(i, j) % 2000)::VARCHAR]
                              ELSE [] END AS topics,
                         TIMESTAMP '{start}' - INTERVAL 8 HOUR
                           + to_microseconds(CAST(random() * {month_us} AS BIGINT)) AS created_at,
                         CAST(exp(mu + 1.2 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()))
                              AS BIGINT) AS r
                  FROM acc a, range(CAST(floor(a.act * {per_month} + random()) AS BIGINT)) t(j)
                  WHERE NOT (a.stops AND {k} >= 10))
            ORDER BY created_at"""
        )
    con.execute(
        """INSERT INTO account_snapshots
        SELECT platform, uid, TIMESTAMP '2024-10-20', 1000 + i % 100000, 0, 0 FROM acc
        UNION ALL
        SELECT platform, uid, TIMESTAMP '2025-10-25',
               CAST((1000 + i % 100000) * (0.9 + 0.4 * random()) AS BIGINT), 0, 0 FROM acc"""
    )
    con.execute("CHECKPOINT")
    con.close()


# ---- the pandas baseline --------------------------------------------------------------


def _pandas_metrics(v: Any, days: int) -> dict[str, Any]:
    """Return the default system's metrics computed with pandas column arithmetic."""
    import numpy as np_

    none = v["n_posts"] == 0
    nan = np_.nan
    return {
        "views_per_day": np_.where(none, 0, v["views_sum"] / days),
        "views_per_post": v["views_sum"] / v["views_n"].replace(0, nan),
        "views_peak": np_.where(none, 0, v["views_max"]),
        "reposts_per_day": np_.where(none, 0, v["reposts_sum"] / days),
        "comments_per_day": np_.where(none, 0, v["comments_sum"] / days),
        "likes_per_day": np_.where(none, 0, v["likes_sum"] / days),
        "own_replies_per_day": v["own_replies"] / days,
        "service_posts_per_day": v["service_posts"] / days,
        "likes_per_read": np_.where(v["views_n"] == v["n_posts"], v["likes_sum"] / v["views_sum"].replace(0, nan), nan),
        "follower_growth_rate": (v["f_end"] - v["f_start"]) / v["f_start"].replace(0, nan),
        **dict.fromkeys(("response_rate", "resolution_rate", "ontime_rate", "satisfaction_rate"), nan),
    }  # fmt: skip


def run_pandas(
    con: duckdb.DuckDBPyConnection, system: Any, period: Any, dims: Any
) -> dict[str, float]:
    """Compute zhengwu-4d and every ranking the straightforward pandas way."""
    import pandas as pd

    started = time.perf_counter()
    posts = con.execute(
        "SELECT platform, account_uid, created_at, text, topics, reads, plays, reposts, comments, "
        "likes FROM posts WHERE created_at >= ? AND created_at < ?",
        [period.start_utc, period.end_utc],
    ).df()
    snaps = con.execute("SELECT platform, uid, observed_at, followers FROM account_snapshots").df()
    load = time.perf_counter() - started
    acc = dims.accounts.to_pandas()
    exact = {t for t in system.service_topics if not t.endswith("*")}
    prefixes = tuple(t[:-1] for t in system.service_topics if t.endswith("*"))
    posts["views"] = posts["reads"].fillna(posts["plays"])
    posts["own_reply"] = posts["text"].str.startswith("回复@")
    posts["service"] = posts["topics"].apply(
        lambda ts: any(t in exact or t.startswith(prefixes) for t in ts)
    )
    agg = posts.groupby(["platform", "account_uid"]).agg(
        n_posts=("text", "size"), views_sum=("views", "sum"), views_n=("views", "count"),
        views_max=("views", "max"), reposts_sum=("reposts", "sum"), comments_sum=("comments", "sum"),
        likes_sum=("likes", "sum"), own_replies=("own_reply", "sum"), service_posts=("service", "sum"),
    ).reset_index().rename(columns={"account_uid": "uid"})  # fmt: skip
    recent_from = period.end_utc - pd.Timedelta(days=14)
    recent = posts[posts["created_at"] >= recent_from].groupby(["platform", "account_uid"]).agg(
        recent=("text", "size"), recent_replies=("own_reply", "sum")
    ).reset_index().rename(columns={"account_uid": "uid"})  # fmt: skip
    snaps = snaps.sort_values("observed_at")
    end = (
        snaps[snaps["observed_at"] < period.end_utc]
        .groupby(["platform", "uid"])["followers"]
        .last()
    )
    start = (
        snaps[snaps["observed_at"] < period.start_utc]
        .groupby(["platform", "uid"])["followers"]
        .last()
    )
    v = acc.merge(agg, on=["platform", "uid"], how="left").merge(
        recent, on=["platform", "uid"], how="left"
    )
    v = v.merge(end.rename("f_end").reset_index(), on=["platform", "uid"], how="left")
    v = v.merge(start.rename("f_start").reset_index(), on=["platform", "uid"], how="left")
    for col in ("n_posts", "own_replies", "service_posts", "views_n", "recent", "recent_replies"):
        v[col] = v[col].fillna(0)
    metrics = _pandas_metrics(v, period.days)
    dim_score = {}
    for dim in system.dimensions:
        groups = []
        for group in (dim.indicators, dim.fallback):
            if not group:
                continue
            num = pd.Series(0.0, index=v.index)
            den = pd.Series(0.0, index=v.index)
            for ind in group:
                x = pd.Series(metrics[ind.metric], index=v.index, dtype="float64")
                if ind.zero_is_missing:
                    x = x.where(x != 0)
                if ind.platforms:
                    x = x.where(v["platform"].isin(ind.platforms))
                if ind.cap_percentile is not None:
                    cap = x.groupby(v["platform"]).transform(
                        lambda s, q=ind.cap_percentile: s.quantile(q / 100)
                    )
                    x = x.where(x.isna(), np.minimum(x, cap))
                if ind.transform == "log1p":
                    x = pd.Series(np.sign(x) * np.log1p(x.abs()), index=v.index)
                if ind.scale == "minmax":
                    lo = x.groupby(v["platform"]).transform("min")
                    hi = x.groupby(v["platform"]).transform("max")
                    n = (100 * (x - lo) / (hi - lo)).where(hi > lo, 50).where(x.notna())
                elif ind.scale == "percentile":
                    r = x.groupby(v["platform"]).rank(method="min")
                    c = x.groupby(v["platform"]).transform("count")
                    n = (100 * (r - 1) / (c - 1)).where(c > 1, 50).where(x.notna())
                else:
                    n = (100 * x).clip(0, 100)
                num += (ind.weight * n).fillna(0)
                den += n.notna() * ind.weight
            groups.append(num / den.replace(0, np.nan))
        dim_score[dim.key] = groups[0] if len(groups) == 1 else groups[0].fillna(groups[1])
    total = sum(d.weight * dim_score[d.key].fillna(0) for d in system.dimensions)
    present = sum(d.weight * dim_score[d.key].notna() for d in system.dimensions)
    v["score"] = (total / present.replace(0, np.nan)).fillna(0)
    v["excluded"] = (v["recent"] == 0) | ((v["platform"] == "weibo") & (v["recent_replies"] == 0))
    v = v.sort_values(["platform", "score", "n_posts", "uid"], ascending=[True, False, False, True])
    v["rank_with_failing"] = v.groupby("platform").cumcount() + 1
    v["percentile"] = v.groupby("platform")["score"].rank(pct=True, method="max") * 100
    ok = v[~v["excluded"]]
    best = ok.groupby(["organization_id", "platform"])["score"].max().reset_index()
    org = best.groupby("organization_id")["score"].apply(lambda s: s.nlargest(2).mean())
    org = org.sort_values(ascending=False).reset_index()
    org["rank"] = np.arange(1, len(org) + 1)
    lists = 0
    members = dims.members.to_pandas().merge(
        v[["account_id", "platform", "score", "excluded", "rank_with_failing", "n_posts"]],
        on="account_id",
    )
    for by in ("platform", "sector", "level", "province", "city"):
        ranked = ok.sort_values("rank_with_failing").groupby(["platform", by]).head(20)
        lists += ranked.groupby(["platform", by]).ngroups
    ranked = (
        members[~members["excluded"]]
        .sort_values("rank_with_failing")
        .groupby(["platform", "matrix_id"])
        .head(20)
    )
    lists += ranked.groupby(["platform", "matrix_id"]).ngroups
    matrix = members.groupby(["matrix_id", "platform"]).agg(
        top=("score", lambda s: s.nlargest(5).mean()),
        activity=("n_posts", lambda s: (s > 0).mean()),
    )
    return {"load": load, "lists": float(lists), "matrices": float(len(matrix)),
            "organisations": float(len(org))}  # fmt: skip


# ---- workers (each in its own process) ----------------------------------------------------


def _connect(path: Path, threads: int) -> duckdb.DuckDBPyConnection:
    from zhengwu.content.store import connect

    con = connect(path)
    con.execute(f"SET threads = {threads}")
    con.execute("SET enable_progress_bar = false")
    # Untimed warm-up: read the columns once so that every measurement sees a warm cache.
    con.execute("SELECT count(*), sum(reads), max(text), max(len(topics)) FROM posts").fetchone()
    return con


def _system() -> Any:
    """Return the system under test (``--system``: a name or a TOML file)."""
    from zhengwu.index.system import load_system

    name = os.environ.get("BENCH_INDEX_SYSTEM", "zhengwu-4d")  # set by main for its workers
    return load_system(path=Path(name)) if name.endswith(".toml") else load_system(name)


def _best(fn: Any, repeat: int) -> dict[str, float]:
    """Run ``fn`` ``repeat`` times; return the best wall time and the best CPU time."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"seconds": min(walls), "cpu": min(cpus)}


def worker_floor(path: Path, threads: int, repeat: int) -> dict[str, Any]:
    """Time the bare aggregation."""
    from zhengwu.index.periods import parse_period

    period = parse_period(PERIOD)
    con = _connect(path, threads)

    def run() -> None:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE floor AS
            SELECT platform, account_uid, count(*), sum(reads), sum(plays), sum(reposts),
                   sum(comments), sum(likes)
            FROM posts WHERE created_at >= $s AND created_at < $e GROUP BY ALL""",
            {"s": period.start_utc, "e": period.end_utc},
        )

    return _best(run, repeat)


class _Timed:
    """A connection that records the CPU seconds of every statement, labelled by its target."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.stages: dict[str, float] = {}

    def execute(self, sql: str, *args: Any) -> _Timed:
        """Run ``sql`` on the wrapped connection and add its CPU time to its stage."""
        cpu = time.process_time()
        self._con.execute(sql, *args)
        found = re.search(r"(?:TEMP TABLE|INSERT (?:OR REPLACE )?INTO)\s+(\w+)", sql)
        label = found.group(1) if found else " ".join(sql.split()[:2]).lower()
        if label == "index_totals":
            label += " (orgs)" if "'organization'" in sql else " (accounts)"
        self.stages[label] = self.stages.get(label, 0.0) + time.process_time() - cpu
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def worker_engine(path: Path, threads: int, repeat: int) -> dict[str, Any]:
    """Time the default system plus every ranking (and, alone, its one aggregation pass)."""
    from zhengwu.index import composite, engine, ranking
    from zhengwu.index.compliance import ComplianceRules
    from zhengwu.index.periods import parse_period

    system = _system()
    period = parse_period(PERIOD, week_start=system.week_start)
    dims = dimensions()
    con = _connect(path, threads)
    rules = ComplianceRules(14, system.reply_check, system.reply_platforms)
    parts: dict[str, float] = {}

    def run() -> None:
        started = time.perf_counter()
        summary = engine.run_index(con, system, period, dims, rules=rules)
        middle = time.perf_counter()
        lists = ranking.top_lists(con, summary.run_id, top=20)
        if not parts or middle - started < parts["run"]:
            parts.update(run=middle - started, rankings=time.perf_counter() - middle,
                         accounts=summary.accounts, failing=summary.failing, lists=len(lists))  # fmt: skip

    best = _best(run, repeat)
    posts_bases = composite.needed_bases(system)[0]
    con.register("acc", dims.accounts)  # the evaluated accounts (run_index drops its own)
    one_pass = _best(lambda: composite.aggregate_posts(con, system, period, posts_bases), repeat)
    con.unregister("acc")
    # One more, untimed run through a recording connection: CPU seconds per stage.
    timed = _Timed(con)
    summary = engine.run_index(timed, system, period, dims, rules=rules)  # type: ignore[arg-type]
    timed.stages["rankings"] = _best(lambda: ranking.top_lists(con, summary.run_id), 1)["cpu"]
    stages = dict(sorted(timed.stages.items(), key=lambda kv: -kv[1]))
    return {**parts, **best, "pass": one_pass["seconds"], "pass_cpu": one_pass["cpu"],
            "stages": stages}  # fmt: skip


def worker_pandas(path: Path, threads: int, repeat: int) -> dict[str, Any]:
    """Time the straightforward pandas implementation."""
    from zhengwu.index.periods import parse_period

    system = _system()
    period = parse_period(PERIOD)
    dims = dimensions()
    con = _connect(path, threads)
    parts: dict[str, float] = {}

    def run() -> None:
        parts.update(run_pandas(con, system, period, dims))

    best = _best(run, repeat)
    return {**parts, **best}


WORKERS = {"floor": worker_floor, "engine": worker_engine, "pandas": worker_pandas}


def _spawn(kind: str, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--db", str(path),
         "--threads", str(args.threads), "--repeat", str(args.repeat)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    """Run the benchmark (or one worker)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", default="10M,20M", help="sizes, e.g. 10M,20M,40M")
    parser.add_argument("--small", action="store_true", help="quick check: 1M posts")
    parser.add_argument("--pandas-max", default="10M", help="largest size pandas runs at")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--system", default="zhengwu-4d", help="system name or TOML file")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--dir", type=Path, help="keep the generated stores here")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["BENCH_INDEX_SYSTEM"] = args.system  # inherited by the worker processes
    if args.worker:
        result = WORKERS[args.worker](args.db, args.threads, args.repeat)
        result["peak_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return
    sizes = [1_000_000] if args.small else [parse_size(s) for s in args.posts.split(",")]
    pandas_max = parse_size(args.pandas_max)
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="bench-index-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    pandas_rate: tuple[float, float] | None = None
    for size in sizes:
        path = workdir / f"posts-{size}.duckdb"
        if not path.exists():
            started = time.perf_counter()
            generate(path, size)
            print(
                f"generated {size:,} posts in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
        with duckdb.connect(str(path), read_only=True) as counted:
            n = int(counted.execute("SELECT count(*) FROM posts").fetchall()[0][0])
        floor = _spawn("floor", path, args)
        eng = _spawn("engine", path, args)
        row: dict[str, Any] = {
            "posts": n, "floor_s": floor["seconds"], "floor_cpu": floor["cpu"],
            "floor_peak_mb": floor["peak_mb"], "pass_s": eng["pass"], "pass_cpu": eng["pass_cpu"],
            "engine_s": eng["seconds"], "engine_cpu": eng["cpu"], "engine_run_s": eng["run"],
            "engine_rankings_s": eng["rankings"], "engine_peak_mb": eng["peak_mb"],
            "accounts": eng["accounts"], "failing": eng["failing"], "stages": eng["stages"],
        }  # fmt: skip
        if size <= pandas_max:
            pd_result = _spawn("pandas", path, args)
            pandas_rate = (pd_result["seconds"] / n, pd_result["cpu"] / n)
            row.update(pandas_s=pd_result["seconds"], pandas_cpu=pd_result["cpu"],
                       pandas_load_s=pd_result["load"], pandas_peak_mb=pd_result["peak_mb"],
                       pandas_measured=True)  # fmt: skip
        elif pandas_rate is not None:
            row.update(pandas_s=pandas_rate[0] * n, pandas_cpu=pandas_rate[1] * n,
                       pandas_measured=False)  # fmt: skip
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    _print(rows, args, workdir)


def _print(rows: list[dict[str, Any]], args: argparse.Namespace, workdir: Path) -> None:
    """Print the results table: wall time and CPU time (robust on a shared machine)."""
    print(f"\n{args.system} over {PERIOD}, {N_ACCOUNTS:,} accounts, DuckDB threads={args.threads}, "
          f"best of {args.repeat}; cores={os.cpu_count()}; load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print("seconds as wall / CPU (user+sys of the process, all threads)")
    print(f"{'posts':>11} | {'floor':>11} | {'one pass':>11} | {'engine':>11} | "
          f"{'×floor':>11} | {'pandas':>13} | {'pandas÷eng':>11} | {'peak MB eng/pd':>14}")  # fmt: skip
    for r in rows:
        star = "" if r.get("pandas_measured", True) else "*"
        pandas = (
            f"{r['pandas_s']:5.0f}/{r['pandas_cpu']:5.0f}{star:1}"
            if "pandas_s" in r
            else f"{'-':>13}"
        )
        speedup = (f"{r['pandas_s'] / r['engine_s']:5.1f}/{r['pandas_cpu'] / r['engine_cpu']:5.1f}"
                   if "pandas_s" in r else f"{'-':>11}")  # fmt: skip
        print(f"{r['posts']:>11,} | {r['floor_s']:5.2f}/{r['floor_cpu']:5.2f} | "
              f"{r['pass_s']:5.2f}/{r['pass_cpu']:5.2f} | {r['engine_s']:5.2f}/{r['engine_cpu']:5.2f} | "
              f"{r['engine_s'] / r['floor_s']:5.2f}/{r['engine_cpu'] / r['floor_cpu']:5.2f} | "
              f"{pandas} | {speedup} | {r['engine_peak_mb']:6.0f}/{r.get('pandas_peak_mb', 0):6.0f}")  # fmt: skip
    if any(not r.get("pandas_measured", True) for r in rows):
        print(
            "* pandas not run at this size (memory): scaled linearly from the largest measured size"
        )
    for a, b in itertools.pairwise(rows):
        print(f"scaling {a['posts']:,} → {b['posts']:,}: engine ×{b['engine_s'] / a['engine_s']:.2f} "
              f"(CPU ×{b['engine_cpu'] / a['engine_cpu']:.2f}), floor ×{b['floor_s'] / a['floor_s']:.2f} "
              f"(CPU ×{b['floor_cpu'] / a['floor_cpu']:.2f})")  # fmt: skip
    print("engine CPU seconds per stage (one extra run through a recording connection; "
          "target table of each statement):")  # fmt: skip
    for r in rows:
        top = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items() if v >= 0.01)
        print(f"  {r['posts']:,} posts: {top}")
    print(f"(stores kept in {workdir})" if args.dir else f"(stores in {workdir}; delete when done)")


if __name__ == "__main__":
    main()
