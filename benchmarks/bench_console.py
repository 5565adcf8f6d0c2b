"""Page-load benchmark of the console at national scale: rankings, the request queue, matrices.

    .venv/bin/python benchmarks/bench_console.py                    # PostgreSQL, 1 M requests
    .venv/bin/python benchmarks/bench_console.py --sqlite --repeat 10
    .venv/bin/python benchmarks/bench_console.py --requests 200k --repeat 5

What is built (fast: PostgreSQL ``COPY`` / SQLite ``executemany`` and DuckDB SQL, no ORM
objects one by one):

* the operational DB in its own schema (``zw_bench_console``, dropped afterwards) or a
  temporary SQLite file: 120,000 organisations in real counties, 180,000 accounts on Weibo,
  WeChat and Douyin and about 800 matrices (one per city, one per province × sector) —
  the synthetic national dimensions of ``bench_index.py`` — all of them below one national
  matrix that holds every account (180,000 members), and 1,000,000 service requests
  over the last year: a state mix that depends on age (recent ones mostly open, older ones
  mostly resolved and followed up, some duplicates and invalid ones, a tail left open and
  overdue), the migration's categories, organisations with a skewed load (a few busy
  bodies, a long tail), working-day-like deadlines, co-handlers on 1 % of them;
* the analytics store (a DuckDB file): stored index results of ``zhengwu-4d`` for two
  quarters (every account and organisation, ranks per platform, 3 % failing the
  compliance gate, 2 % new in the later quarter), so rankings show movement. The scores
  are synthetic; the stored layout is the engine's (``zhengwu.index.results``). The later
  quarter is published, so the public rankings (``/rankings``, ``/api/public/rankings``)
  are measured too, with the index API's ranking (``/api/index/rankings``).

Then one real server (uvicorn, one process, in a subprocess) on loopback serves the app;
logged in as an admin, a matrix office and a handler, each page below is requested
``--repeat`` times (after one warm-up request). **The time reported is the response time
measured by the client on loopback** (request sent → body read), so it includes HTTP and
rendering; the same server's ``/healthz`` and a bare page (one ``SELECT … ORDER BY
received_at DESC LIMIT 50`` over the same requests table, rendered as a plain HTML table)
are the baseline measured in the same run. The matrix list and member APIs (the national
matrix's sub-matrices and 180,000 members, first and deep pages, as the console's lazy tree
reads them, and name searches in them), the office's matrix page (members and compliance gate, paged), the topics page
and the compliance API (both over every account) are measured too. Goal: p95 < 300 ms on
every page. ``--only matri`` measures the matrix pages alone (with the baselines;
several parts: ``--only 'API mat,API sub,matrix tree'``).

Database: ``--database-url`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Its own schema (ZHENGWU_BENCH_SCHEMA): two runs on one server must not drop each other's.
SCHEMA = os.environ.get("ZHENGWU_BENCH_SCHEMA", "zw_bench_console")
PASSWORD = "zhengwu-bench"
GOAL_MS = 300.0
NATIONAL = "全国政务新媒体矩阵"
SYSTEM = "zhengwu-4d"
PERIODS = (("2025-Q2", "2025-04-01", "2025-06-30"), ("2025-Q3", "2025-07-01", "2025-09-30"))
PLACES = ("小区", "路口", "学校门口", "菜市场", "公交站", "工地", "医院", "公园")
PROBLEMS = (
    "{p}物业不作为，电梯坏了{d}天没人修",
    "{p}夜间施工噪音扰民，凌晨{d}点还在打桩",
    "{p}附近公交车经常不按时发车，等了{d}十分钟",
    "{p}旁边培训机构关门不退学费{d}千元",
    "{p}路灯坏了{d}天，晚上很危险",
    "公司拖欠工资{d}个月，工地在{p}附近",
    "{p}垃圾{d}天没人清运，气味很大",
)
OPEN = ("received", "accepted", "assigned", "in_progress", "replied", "returned", "reopened")
STATES = (*OPEN, "resolved", "followed_up", "duplicate", "invalid")
P_RECENT = (0.18, 0.12, 0.06, 0.22, 0.08, 0.02, 0.02, 0.12, 0.12, 0.04, 0.02)
P_OLD = (0.004, 0.004, 0.002, 0.012, 0.004, 0.002, 0.002, 0.34, 0.55, 0.05, 0.03)


def parse_size(text: str) -> int:
    """Parse 1M / 200k / 5000."""
    text = text.strip().upper()
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def _schema_url(base: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{SCHEMA}"


# ---- analytics store: stored index results of two periods --------------------------------


def build_store(path: Path, dims: Any) -> None:
    """Write two quarters of stored ``zhengwu-4d`` results for the national dimensions."""
    from zhengwu.content import store
    from zhengwu.index import results

    with store.open_store(path) as con:
        results.ensure_tables(con)
        con.register("acc", dims.accounts)
        con.register("orgs_in", dims.organizations)
        con.register("members_in", dims.members)
        con.register("regions_in", dims.regions)
        con.execute("INSERT INTO index_regions SELECT DISTINCT adcode, name FROM regions_in")
        for k, (label, start, end) in enumerate(PERIODS):
            run = results.run_id_for(SYSTEM, label)
            con.execute(
                """INSERT INTO index_runs (run_id, system, system_kind, system_version, period,
                       period_kind, week_start, start_date, end_date, days, check_date,
                       compliance_window_days, reply_check, created_at, seconds, n_accounts,
                       n_failing, item_dimensions, item_indicators, item_fallback, notes,
                       methodology)
                   VALUES (?, ?, 'zhengwu', '1', ?, 'quarter', 'monday', ?, ?, 91, ?, 14, true,
                           now(), 1.0, 180000, 0, [], [], [], [], 'synthetic benchmark run')""",
                [run, SYSTEM, label, start, end, end],
            )
            # Quality (stable per account) plus this quarter's noise; 2 % new in Q3.
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE sc AS
                SELECT a.*, round(100 * (0.8 * (hash(a.account_id) % 10007) / 10007.0
                           + 0.2 * (hash(a.account_id * 31 + {k}) % 10007) / 10007.0), 3) AS score,
                       hash(a.account_id * 7 + {k}) % 100 < 3 AS excluded
                FROM acc a WHERE {k} = 1 OR hash(a.account_id) % 50 <> 0"""
            )
            con.execute(
                """INSERT INTO index_totals
                WITH r AS (
                    SELECT account_id,
                           row_number() OVER (PARTITION BY platform ORDER BY score DESC, uid)
                               AS rank_with_failing,
                           CASE WHEN NOT excluded THEN row_number() OVER (
                               PARTITION BY platform, excluded ORDER BY score DESC, uid) END
                               AS rank,
                           count(*) OVER (PARTITION BY platform) AS peer_size,
                           100.0 * percent_rank() OVER (PARTITION BY platform ORDER BY score)
                               AS percentile
                    FROM sc)
                SELECT $run, s.platform, 'account', s.uid, s.account_id, s.organization_id,
                       s.name, s.org_name, s.sector, s.level, s.province, s.city, s.score,
                       r.rank, r.rank_with_failing, s.platform, r.peer_size, r.percentile,
                       []::VARCHAR[], CASE WHEN s.excluded THEN 'fail' ELSE 'pass' END,
                       CASE WHEN s.excluded THEN ['no_post'] ELSE [] END::VARCHAR[],
                       s.excluded, s.followers::DOUBLE, 90
                FROM sc s JOIN r USING (account_id)""",
                {"run": run},
            )
            con.execute(
                """INSERT INTO index_totals
                WITH b AS (SELECT organization_id, max(score) AS score, bool_and(excluded) AS excluded,
                                  count(*)::DOUBLE AS tie FROM sc GROUP BY ALL),
                r AS (SELECT organization_id,
                             row_number() OVER (ORDER BY score DESC, organization_id) AS rwf,
                             CASE WHEN NOT excluded THEN row_number() OVER (
                                 PARTITION BY excluded ORDER BY score DESC, organization_id) END
                                 AS rank,
                             count(*) OVER () AS peer_size,
                             100.0 * percent_rank() OVER (ORDER BY score) AS percentile FROM b)
                SELECT $run, 'all', 'organization', 'org:' || b.organization_id, NULL,
                       b.organization_id, o.name, o.name, o.sector, o.level, o.province, o.city,
                       b.score, r.rank, r.rwf, 'all', r.peer_size, r.percentile, []::VARCHAR[],
                       CASE WHEN b.excluded THEN 'fail' ELSE 'pass' END,
                       CASE WHEN b.excluded THEN ['no_compliant_account'] ELSE [] END::VARCHAR[],
                       b.excluded, b.tie, 90
                FROM b JOIN orgs_in o USING (organization_id) JOIN r USING (organization_id)""",
                {"run": run},
            )
            con.execute(
                "INSERT INTO index_matrix_members SELECT ?, matrix_id, account_id FROM members_in",
                [run],
            )
            con.execute(
                """INSERT INTO index_matrix
                SELECT $run, m.matrix_id, any_value(m.matrix_name), t.platform, count(*),
                       count(*), count(DISTINCT t.organization_id),
                       count(DISTINCT t.organization_id), avg(t.score), 1.0, 1.0, avg(t.score),
                       row_number() OVER (PARTITION BY t.platform ORDER BY avg(t.score) DESC)
                FROM members_in m JOIN index_totals t
                  ON t.account_id = m.account_id AND t.run_id = $run
                GROUP BY m.matrix_id, t.platform""",
                {"run": run},
            )
            n_fail = con.execute(
                "SELECT count(*) FILTER (WHERE excluded) FROM index_totals "
                "WHERE run_id = ? AND entity = 'account'",
                [run],
            ).fetchall()[0][0]
            con.execute("UPDATE index_runs SET n_failing = ? WHERE run_id = ?", [n_fail, run])
        con.execute("CHECKPOINT")


# ---- operational database -----------------------------------------------------------------


def _matrices(dims: Any) -> list[tuple[int, str]]:
    names = dims.members.select(["matrix_id", "matrix_name"]).to_pylist()
    return sorted({(r["matrix_id"], r["matrix_name"]) for r in names})


def _request_rows(
    n: int, dims: Any, categories: list[str], now: datetime, seed: int = 11
) -> tuple[dict[str, np.ndarray], list[tuple[int, int]]]:
    """Return the service requests as columns, and (request id, helper org) pairs."""
    rng = np.random.default_rng(seed)
    acc_org = dims.accounts.column("organization_id").to_numpy()
    acc_id = dims.accounts.column("account_id").to_numpy()
    # Busy bodies and a long tail: 8,000 organisations handle requests, Zipf-like load.
    handling = rng.choice(np.unique(acc_org), 8_000, replace=False)
    weights = 1.0 / np.arange(1, len(handling) + 1) ** 0.8
    org = handling[rng.choice(len(handling), n, p=weights / weights.sum())]
    # The matrix of a request: the first matrix of the organisation's first account.
    first_acc: dict[int, int] = {}
    for a, o in zip(acc_id.tolist(), acc_org.tolist(), strict=True):
        first_acc.setdefault(o, a)
    member = dims.members.select(["account_id", "matrix_id"]).to_pylist()
    matrix_of: dict[int, int] = {}
    for m in member:
        matrix_of.setdefault(m["account_id"], m["matrix_id"])
    org_adcode = dict(
        zip(
            dims.organizations.column("organization_id").to_pylist(),
            dims.organizations.column("adcode").to_pylist(),
            strict=True,
        )
    )
    age_s = rng.uniform(0, 365 * 86400, n)
    received = np.array([now.timestamp()]) - age_s
    recent = age_s < 20 * 86400
    state_idx = np.where(
        recent, rng.choice(len(STATES), n, p=P_RECENT), rng.choice(len(STATES), n, p=P_OLD)
    )
    cols: dict[str, Any] = {
        "org": org,
        "matrix": np.array([matrix_of.get(first_acc[int(o)], 0) for o in org]),
        "adcode": np.array([org_adcode[int(o)] for o in org]),
        "state": np.array(STATES)[state_idx],
        "received": received,
        "response_lag": rng.exponential(0.6 * 86400, n),
        "resolve_lag": rng.exponential(6 * 86400, n),
        "category": np.array(categories)[rng.integers(0, len(categories), n)],
        "satisfaction": rng.choice([1, 2, 3, 4, 5], n, p=[0.05, 0.05, 0.1, 0.3, 0.5]),
        "source": np.array(["weibo", "wechat", "douyin", "form", "12345", "api"])[
            rng.choice(6, n, p=[0.35, 0.15, 0.1, 0.15, 0.2, 0.05])
        ],
        "problem": rng.integers(0, len(PROBLEMS), n),
        "place": rng.integers(0, len(PLACES), n),
        "d": rng.integers(2, 9, n),
        "supervised": rng.random(n) < 0.02,
    }
    helper_ids = rng.choice(n, n // 100, replace=False) + 1
    helpers = [(int(i), int(handling[rng.integers(0, 200)])) for i in helper_ids]
    return cols, helpers


_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _suffix(i: int) -> str:
    out = []
    for _ in range(6):
        i, r = divmod(i, len(_LETTERS))
        out.append(_LETTERS[r])
    return "".join(out)


def request_table(n: int, cols: dict[str, Any]) -> pa.Table:
    """Return the requests as an Arrow table of ``service_requests`` columns (vectorised)."""
    us = 1_000_000
    state = cols["state"].astype(str)
    received = (cols["received"] * us).astype(np.int64)
    responded = state != "received"
    resolved = np.isin(state, ("resolved", "followed_up"))
    followed = state == "followed_up"
    first = received + (cols["response_lag"] * us).astype(np.int64)
    done = received + ((0.2 * 86400 + cols["resolve_lag"]) * us).astype(np.int64)
    supervised = cols["supervised"]

    def ts(values: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
        mask = None if present is None else ~present
        return pa.array(values, type=pa.int64(), mask=mask).cast(pa.timestamp("us", tz="UTC"))

    texts = [PROBLEMS[p].format(p=PLACES[q], d=d) for p in range(len(PROBLEMS))
             for q in range(len(PLACES)) for d in range(10)]  # fmt: skip
    key = (cols["problem"] * len(PLACES) + cols["place"]) * 10 + cols["d"]
    text = np.array(texts, dtype=object)[key]
    prints = np.array([hashlib.sha1(t.encode()).hexdigest() for t in texts], dtype=object)[key]
    days = ((received // us + 8 * 3600) // 86400).astype("datetime64[D]").astype(str)
    ids = np.arange(1, n + 1)
    source = cols["source"].astype(str)
    social = np.isin(source, ("weibo", "wechat", "douyin"))
    matrix = cols["matrix"].astype(np.int64)
    updated = np.where(resolved, done, np.where(responded, first, received))
    return pa.table({
        "id": ids,
        "public_id": [f"SR{d[2:4]}{d[5:7]}{d[8:10]}{_suffix(int(i))}" for d, i in zip(days, ids, strict=True)],
        "citizen_token_hash": [f"{i:064x}" for i in ids],
        "state": state, "version": np.ones(n, dtype=np.int64), "source": source,
        "source_ref": [f"{s}:bench{i}" for s, i in zip(source, ids, strict=True)],
        "platform": pa.array(source, mask=~social),
        "source_post_id": pa.array([f"bench{i}" for i in ids], mask=~social),
        "is_public": np.ones(n, dtype=bool), "text": text, "text_masked": text,
        "citizen_key": [f"{s}:c{i % 400_000}" for s, i in zip(source, ids, strict=True)],
        "fingerprint": prints, "category_code": cols["category"].astype(str),
        "classified_by": np.full(n, "rules"), "classification_confidence": np.full(n, 0.8),
        "adcode": cols["adcode"].astype(str), "located_by": np.full(n, "account"),
        "attributes": np.full(n, "{}"),
        "organization_id": cols["org"].astype(np.int64),
        "matrix_id": pa.array(matrix, mask=matrix == 0),
        "received_at": ts(received),
        "response_due": ts(received + 2 * 86400 * us),
        "resolve_due": ts(received + 21 * 86400 * us),
        "first_response_at": ts(first, responded), "accepted_at": ts(first, responded),
        "resolved_at": ts(done, resolved), "followed_up_at": ts(done + 86400 * us, followed),
        "satisfaction": pa.array(cols["satisfaction"].astype(np.int64), mask=~followed),
        "reply_text": pa.array(np.full(n, "已处理，感谢反映。"), mask=~resolved),
        "supervised_at": ts(received + 3 * 86400 * us, supervised),
        "supervision_count": supervised.astype(np.int64),
        "reopen_count": (state == "reopened").astype(np.int64),
        "created_at": ts(received), "updated_at": ts(updated),
    })  # fmt: skip


def insert_table(engine: Any, table: str, data: pa.Table, batch: int = 100_000) -> int:
    """Insert an Arrow table: CSV through COPY on PostgreSQL, executemany on SQLite."""
    if engine.dialect.name == "postgresql":
        import pyarrow.csv as pacsv

        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            names = ", ".join(data.column_names)
            with cur.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                for start in range(0, data.num_rows, batch):
                    buf = io.BytesIO()
                    pacsv.write_csv(data.slice(start, batch), buf,
                                    pacsv.WriteOptions(include_header=False))  # fmt: skip
                    copy.write(buf.getvalue())
            raw.commit()
        finally:
            raw.close()
        return data.num_rows
    tbl = _tables()[table]
    with engine.begin() as conn:
        for start in range(0, data.num_rows, batch // 5):
            rows = data.slice(start, batch // 5).to_pylist()
            for row in rows:
                if "attributes" in row:
                    row["attributes"] = {}
            conn.execute(tbl.insert(), rows)
    return data.num_rows


def _tables() -> dict[str, Any]:
    from zhengwu.db import models  # noqa: F401 - every table in the metadata
    from zhengwu.db.base import Base

    return Base.metadata.tables


def _insert_rows(engine: Any, table: str, rows: Iterator[dict[str, Any]], batch: int) -> int:
    """Insert rows in batches: COPY on PostgreSQL, executemany on SQLite."""
    tbl = _tables()[table]
    count = 0
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            first = next(rows, None)
            if first is None:
                return 0
            names = list(first)
            with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in _chain(first, rows):
                    copy.write_row(
                        [json.dumps(v) if isinstance(v, dict) else v for v in row.values()]
                    )
                    count += 1
            raw.commit()
        finally:
            raw.close()
        return count
    chunk: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                conn.execute(tbl.insert(), chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            conn.execute(tbl.insert(), chunk)
            count += len(chunk)
    return count


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def build_db(url: str, dims: Any, n_requests: int) -> dict[str, Any]:
    """Create and fill the operational DB; return the logins and ids the pages use."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from zhengwu.auth import service as auth_service
    from zhengwu.db import migrate
    from zhengwu.db.engine import make_engine
    from zhengwu.index import results
    from zhengwu.index.models import PublishedRun
    from zhengwu.regions.service import sync_regions

    if url.startswith("postgresql"):
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        admin.dispose()
        url = _schema_url(url)
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine) as s:
        sync_regions(s)
        s.commit()
        categories = [
            str(c)
            for c in s.execute(
                text("SELECT code FROM request_categories WHERE parent_code IS NOT NULL")
            )
            .scalars()
            .all()
        ] or ["other"]
    now = datetime.now(UTC)
    orgs = dims.organizations.to_pylist()
    accs = dims.accounts.to_pylist()
    t0 = time.perf_counter()
    _insert_rows(engine, "organizations", (
        {"id": o["organization_id"], "name": o["name"], "level": o["level"],
         "sector": o["sector"], "adcode": o["adcode"], "created_at": now} for o in orgs
    ), 20_000)  # fmt: skip
    _insert_rows(engine, "accounts", (
        {"id": a["account_id"], "platform": a["platform"], "uid": a["uid"], "name": a["name"],
         "organization_id": a["organization_id"], "verified_type": 1, "is_government": True,
         "followers": a["followers"], "adcode": a["adcode"], "status": "active",
         "first_seen": now, "updated_at": now} for a in accs
    ), 20_000)  # fmt: skip
    matrices = _matrices(dims)
    # One national matrix holding every account, with every other matrix below it: the
    # sub-matrix and member lists of a national-size matrix (its lead is the first account).
    national = max(mid for mid, _ in matrices) + 1
    _insert_rows(engine, "matrices", iter([
        {"id": national, "name": NATIONAL, "kind": "regional", "parent_id": None,
         "created_at": now}
    ]), 1)  # fmt: skip
    _insert_rows(engine, "matrices", (
        {"id": mid, "name": name, "kind": "regional" if name.endswith("矩阵") else "vertical",
         "parent_id": national, "created_at": now} for mid, name in matrices
    ), 20_000)  # fmt: skip
    _insert_rows(engine, "matrix_members", (
        {"matrix_id": m["matrix_id"], "account_id": m["account_id"], "role": "member",
         "added_at": now} for m in dims.members.to_pylist()
    ), 50_000)  # fmt: skip
    _insert_rows(engine, "matrix_members", (
        {"matrix_id": national, "account_id": a["account_id"],
         "role": "lead" if i == 0 else "member", "added_at": now} for i, a in enumerate(accs)
    ), 50_000)  # fmt: skip
    print(f"  dimensions inserted in {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    cols, helpers = _request_rows(n_requests, dims, categories, now)
    data = request_table(n_requests, cols)
    if engine.dialect.name == "postgresql":  # bulk load: index once afterwards, not per row
        with engine.begin() as conn:
            ddl = conn.execute(text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'service_requests' "
                "AND schemaname = current_schema() AND indexname LIKE 'ix_%'"
            )).all()  # fmt: skip
            for name, _ in ddl:
                conn.execute(text(f"DROP INDEX {name}"))
        n = insert_table(engine, "service_requests", data)
        with engine.begin() as conn:
            for _, create in ddl:
                conn.execute(text(create))
    else:
        n = insert_table(engine, "service_requests", data)
    _insert_rows(engine, "request_helpers", (
        {"request_id": r, "organization_id": o, "added_at": now} for r, o in helpers
    ), 20_000)  # fmt: skip
    print(f"  {n:,} requests inserted in {time.perf_counter() - t0:.1f} s", flush=True)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("organizations", "accounts", "matrices", "service_requests"):
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                ))  # fmt: skip
    with engine.connect() as conn:
        # A steady-state database: statistics and the visibility map (autovacuum's work).
        vacuum = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(vacuum))
        # The handler: a busy organisation (rank 10 by load); the office: its matrix.
        busy = conn.execute(text(
            "SELECT organization_id, count(*) FROM service_requests GROUP BY organization_id "
            "ORDER BY 2 DESC LIMIT 10"
        )).all()  # fmt: skip
        handler_org, handler_n = int(busy[-1][0]), int(busy[-1][1])
        matrix_id = conn.execute(text(
            "SELECT matrix_id FROM service_requests WHERE organization_id = :o LIMIT 1"
        ), {"o": handler_org}).scalar_one()  # fmt: skip
        category = conn.execute(text(
            "SELECT category_code FROM service_requests GROUP BY 1 ORDER BY count(*) LIMIT 1"
        )).scalar_one()  # fmt: skip
    with Session(engine) as s:
        auth_service.create_user(s, username="bench_admin", password=PASSWORD, role="admin")
        auth_service.create_user(s, username="bench_office", password=PASSWORD,
                                 role="matrix_office", matrix_id=int(matrix_id))  # fmt: skip
        auth_service.create_user(s, username="bench_handler", password=PASSWORD,
                                 role="handler", organization_id=handler_org)  # fmt: skip
        # The later quarter is published: the public rankings show it.
        label, _, end = PERIODS[-1]
        s.add(PublishedRun(run_id=results.run_id_for(SYSTEM, label), system=SYSTEM, period=label,
                           period_end=date.fromisoformat(end), published_by="bench_office"))  # fmt: skip
        s.commit()
    engine.dispose()
    return {"url": url, "handler_org": handler_org, "handler_requests": handler_n,
            "matrix_id": int(matrix_id), "category": str(category),
            "national": national, "national_children": len(matrices)}  # fmt: skip


def drop_db(base_url: str) -> None:
    """Drop the benchmark schema."""
    from sqlalchemy import text

    from zhengwu.db.engine import make_engine

    engine = make_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


# ---- the server -----------------------------------------------------------------------------


def _serve(url: str, port: int, data_dir: str) -> None:
    os.environ["ZHENGWU_DATA_DIR"] = data_dir
    import uvicorn
    from fastapi.responses import HTMLResponse
    from sqlalchemy import text

    from zhengwu.db.engine import make_engine
    from zhengwu.web.app import create_app

    engine = make_engine(url)
    app = create_app(engine)

    @app.get("/bench/bare", response_class=HTMLResponse)
    def bare() -> HTMLResponse:
        """The baseline page: one SELECT of 50 requests, newest first, as an HTML table."""
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT public_id, state, text_masked, received_at FROM service_requests "
                "ORDER BY received_at DESC LIMIT 50"
            )).all()  # fmt: skip
        body = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td><td>{d}</td></tr>"
                       for a, b, c, d in rows)  # fmt: skip
        return HTMLResponse(f"<html><body><table>{body}</table></body></html>")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass  # not listening yet: try again until the deadline
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def login(client: httpx.Client, username: str) -> None:
    """Log in through the console's form."""
    page = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text[:300]
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": found[1], "next": ""},
    )
    assert response.status_code == 303, response.text[:300]


def pages(info: dict[str, Any], deep: int) -> list[tuple[str, str, str]]:
    """Return (who, label, path) of every page measured."""

    def back(days: int) -> str:
        moment = datetime.now(UTC) - timedelta(days=days)
        return urlencode({"before": moment.isoformat(), "skip": 0})

    region = info.get("region", "")
    sector = info.get("sector", "")
    cat = info["category"]
    nat = info["national"]
    last_child = max(0, (info["national_children"] - 1) // 100 * 100)
    return [
        ("anon", "baseline /healthz", "/healthz"),
        ("anon", "baseline bare SELECT … LIMIT 50", "/bench/bare"),
        ("office", "rankings default (weibo, page 1)", "/console/rankings"),
        ("office", "rankings wechat · sector", f"/console/rankings?platform=wechat&sector={sector}"),
        ("office", "rankings douyin · province", f"/console/rankings?platform=douyin&region={region}"),
        ("office", "rankings orgs (all) · Q2", f"/console/rankings?platform=all&period={PERIODS[0][0]}"),
        ("office", "rankings matrix · sector", f"/console/rankings?matrix={info['matrix_id']}&sector={sector}"),
        ("office", "rankings weibo deep page", f"/console/rankings?platform=weibo&page={deep}"),
        ("office", "rankings weibo incl. failing", "/console/rankings?platform=weibo&include_failing=true"),
        ("office", "API rankings weibo top 20", "/api/index/rankings?platform=weibo&top=20"),
        ("anon", "public /rankings", "/rankings"),
        ("anon", "public API weibo top 10", "/api/public/rankings?platform=weibo&top=10"),
        ("admin", "queue admin default", "/console/desk"),
        ("admin", "queue admin state=in_progress", "/console/desk?state=in_progress"),
        ("admin", f"queue admin category={cat}", f"/console/desk?category={cat}"),
        ("admin", "queue admin overdue", "/console/desk?overdue=1"),
        ("admin", "queue admin offset 10,000 (the cap)", "/console/desk?offset=10000"),
        ("admin", "queue admin deep page (6 months back)", f"/console/desk?{back(180)}"),
        ("office", "queue office default", "/console/desk"),
        ("office", "queue office overdue", "/console/desk?overdue=1"),
        ("office", "queue office state=received", "/console/desk?state=received"),
        ("office", "queue office deep page (3 months back)", f"/console/desk?{back(90)}"),
        ("handler", "queue handler default", "/console/desk"),
        ("handler", "queue handler state=received", "/console/desk?state=received"),
        ("handler", "queue handler overdue", "/console/desk?overdue=1"),
        ("handler", "queue handler deep page (3 months back)", f"/console/desk?{back(90)}"),
        ("admin", "API matrices page 1", "/api/matrices"),
        ("admin", "API matrix members page 1", f"/api/matrices/{info['matrix_id']}/members"),
        ("office", "matrix page (members, compliance)", f"/console/matrix/{info['matrix_id']}"),
        ("admin", "API sub-matrices of the national matrix, page 1", f"/api/matrices?parent_id={nat}"),
        ("admin", "API sub-matrices of the national matrix, last page", f"/api/matrices?parent_id={nat}&offset={last_child}"),
        ("admin", "console matrix tree, one level", f"/console/matrix?parent={nat}"),
        ("admin", "national matrix page (180,000 members, the subtree's compliance)", f"/console/matrix/{nat}"),
        ("admin", "API matrix members, national, page 1", f"/api/matrices/{nat}/members"),
        ("admin", "API matrix members, national, offset 10,000", f"/api/matrices/{nat}/members?offset=10000"),
        ("admin", "API matrix members, national, role=member", f"/api/matrices/{nat}/members?role=member"),
        ("admin", "API matrix members, national, q=账号1234", f"/api/matrices/{nat}/members?q=账号1234"),
        ("admin", "API matrix members, national, q=号9 (2 characters)", f"/api/matrices/{nat}/members?q=号9"),
        ("admin", "API matrix members, national, q=号0 (2 characters, rare)", f"/api/matrices/{nat}/members?q=号0"),
        ("admin", "API matrix members, national, q=号1 (2 characters, half)", f"/api/matrices/{nat}/members?q=号1"),
        ("admin", "API matrix members, national, q=9 (1 character)", f"/api/matrices/{nat}/members?q=9"),
        ("admin", "API matrix members, national, q=Abc (none)", f"/api/matrices/{nat}/members?q=Abc"),
        ("admin", "topics (every account)", "/console/topics"),
        ("admin", "API compliance page 1 (every account)",
         f"/api/index/compliance?period={PERIODS[-1][0]}"),
    ]  # fmt: skip


def _cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system, every thread) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    base: str, info: dict[str, Any], repeat: int, deep: int, pid: int, only: str = ""
) -> list[dict[str, Any]]:
    """Request every page ``repeat`` times; return the timing per page (and the server's CPU
    time per request, read from /proc: the steadier figure on a shared machine)."""
    clients = {who: httpx.Client(base_url=base, timeout=120) for who in
               ("anon", "admin", "office", "handler")}  # fmt: skip
    for who in ("admin", "office", "handler"):
        login(clients[who], f"bench_{who}")
    out = []
    try:
        for who, label, path in pages(info, deep):
            wanted = [part for part in only.split(",") if part]
            if wanted and not label.startswith("baseline") and not any(w in label for w in wanted):
                continue
            client = clients[who]
            first = client.get(path)  # warm-up (and the check that it works)
            if first.status_code != 200:
                raise SystemExit(f"{label}: {path} → {first.status_code}\n{first.text[:500]}")
            times = []
            cpu0 = _cpu_seconds(pid)
            for _ in range(repeat):
                t0 = time.perf_counter()
                response = client.get(path)
                response.read()
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            cpu = (_cpu_seconds(pid) - cpu0) * 1000 / repeat
            times.sort()
            p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
            out.append({"who": who, "page": label, "path": path, "p50": statistics.median(times),
                        "p95": p95, "max": times[-1], "cpu": cpu,
                        "bytes": len(first.content)})  # fmt: skip
            print(f"  {label:<44} p50 {out[-1]['p50']:7.1f}  p95 {p95:7.1f}  max {times[-1]:7.1f} ms"
                  f"  server CPU {cpu:6.1f} ms/request  ({len(first.content) // 1024} KB)",
                  flush=True)  # fmt: skip
    finally:
        for c in clients.values():
            c.close()
    return out


def run_backend(name: str, url: str, dims: Any, args: argparse.Namespace, data_dir: Path) -> None:
    """Build one operational DB, serve it, measure, clean up."""
    print(f"\n== {name}: building {args.requests:,} requests …", flush=True)
    t0 = time.perf_counter()
    info = build_db(url, dims, args.requests)
    info.update(args.filters)
    print(f"  built in {time.perf_counter() - t0:.1f} s; handler organisation "
          f"{info['handler_org']} ({info['handler_requests']:,} requests), matrix "
          f"{info['matrix_id']}", flush=True)  # fmt: skip
    port = _free_port()
    proc = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(info["url"], port, str(data_dir)), daemon=True
    )
    proc.start()
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_up(base)
        print(f"  load average before: {os.getloadavg()[0]:.1f}", flush=True)
        assert proc.pid is not None
        rows = measure(base, info, args.repeat, args.deep_page, proc.pid, args.only)
        print(f"  load average after:  {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        proc.terminate()
        proc.join(10)
        if url.startswith("postgresql") and not args.keep:
            drop_db(url)
    console = [r for r in rows if not r["path"].startswith(("/healthz", "/bench"))]
    worst = max(console, key=lambda r: r["p95"])
    ok = all(r["p95"] < GOAL_MS for r in console)
    cpu = max(console, key=lambda r: r["cpu"])
    print(f"  worst page p95: {worst['p95']:.1f} ms ({worst['page']}); goal p95 < {GOAL_MS:.0f} "
          f"ms on every page: {'MET' if ok else 'NOT MET'}; most server CPU per request: "
          f"{cpu['cpu']:.1f} ms ({cpu['page']})", flush=True)  # fmt: skip


def main() -> None:
    """Build the national data, serve it, measure the pages, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("ZHENGWU_BENCH_DATABASE_URL",
                                                                 DEFAULT_URL))  # fmt: skip
    parser.add_argument("--sqlite", action="store_true", help="also run on a SQLite file")
    parser.add_argument("--sqlite-only", action="store_true", help="run on SQLite only")
    parser.add_argument("--requests", type=parse_size, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deep-page", type=int, default=200, help="page of the deep ranking")
    parser.add_argument("--keep", action="store_true",
                        help="keep the PostgreSQL schema and the SQLite file")  # fmt: skip
    parser.add_argument("--only", default="", help="measure only the pages whose label "
                        "contains one of these (comma-separated, e.g. matri); the baselines always")  # fmt: skip
    args = parser.parse_args()
    import bench_index

    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}", flush=True)
    t0 = time.perf_counter()
    dims = bench_index.dimensions()
    work = Path(tempfile.mkdtemp(prefix="zw-bench-console-"))
    try:
        build_store(work / "analytics.duckdb", dims)
        print(f"analytics store: 2 quarters of index results for {dims.accounts.num_rows:,} "
              f"accounts and {dims.organizations.num_rows:,} organisations in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)  # fmt: skip
        acc = dims.accounts
        args.filters = {
            "sector": acc.column("sector")[0].as_py(),
            "region": acc.column("province")[0].as_py(),
        }
        if not args.sqlite_only:
            run_backend("PostgreSQL", args.database_url, dims, args, work)
        if args.sqlite or args.sqlite_only:
            run_backend("SQLite", f"sqlite:///{work / 'zhengwu.db'}", dims, args, work)
    finally:
        if args.keep:
            print(f"kept: {work} (the SQLite file and the analytics store)", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average at the end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
