"""Page time of the console's quarantine (设置 › 导入记录 › 隔离记录) at 100,000 records.

    .venv/bin/python benchmarks/bench_quarantine.py                 # SQLite
    .venv/bin/python benchmarks/bench_quarantine.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/bench_quarantine.py --records 300k --repeat 10

What is built, in a temporary SQLite file or in its own PostgreSQL schema
(``zw_bench_quarantine``, dropped afterwards), migrated as a deployment is: ten small
import runs of older formats (``zhengwu-accounts``, ``weibo-comments``: 1,000 records
each) and one large bad file, the newest run (``weibo-api``: the rest), its records
holding a caller's name, mobile and ID number in CSV-like rows; every 1,000th record a
10,000-character raw text (the importers' limit). The rows are inserted in batches, not
through the importers.

What is measured: the app runs in this process (FastAPI's test client, no network), logged
in as the admin; each page is requested ``--repeat`` times after one warm-up and the median
CPU and wall milliseconds are printed: 导入记录, the quarantine's first page and its last
(the deepest offset), the large run's first and last pages, a small run's page, an old
format's page (its records lie behind all of the large run's), and the download of a small
run and of the large run (JSON Lines, every raw text masked; once), and, the floor under
the download, masking the large run's raw texts alone (read first). Baseline: **bare**, one
``SELECT … FROM quarantine ORDER BY id DESC LIMIT 50`` on the same table. On PostgreSQL the
plans of the page's queries are printed (``EXPLAIN ANALYZE``), after ``VACUUM ANALYZE``
(autovacuum's work in a deployment), so that the index-only scans show.

The large run's download, 90,000 lines on SQLite (2 shared cores): 36 s of CPU, of which
masking alone is 29 s; it was 75 s when each record left as a piece of its own (the download
now sends 100 records a piece: each piece is a hop between the worker thread and the event
loop).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from _db import bench_engine, drop_schema, parse_size

SCHEMA = "zw_bench_quarantine"
PASSWORD = "zhengwu-bench"
PAGE_URL = "/console/settings/imports/quarantine"
SMALL_RUNS, SMALL = 10, 1000


def _raw(i: int) -> str:
    row = f"51500{i:011d},昨天,5149000000000001,联系人王建国 138{i % 10**8:08d} 身份证 410105199001011234"
    return row + ",备注" * 4990 if i % 1000 == 0 else row + ",3,,6000000001,网友甲"


def _records(run_id: int, fmt: str, first: int, n: int) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    for i in range(first, first + n):
        yield {"run_id": run_id, "format": fmt, "source": f"run{run_id}.csv:{i - first + 2}",
               "reason": "时间无效（create_time）/ invalid time in create_time: '昨天'",
               "raw": _raw(i), "created_at": now}  # fmt: skip


def build(engine: Engine, records: int) -> dict[str, int]:
    """Create the runs, their records and the admin; return the runs' ids."""
    from zhengwu.auth import service as auth_service
    from zhengwu.ingest.models import ImportRun, QuarantineEntry

    now = datetime.now(UTC)
    big = records - SMALL_RUNS * SMALL
    ids: dict[str, int] = {}
    with Session(engine) as session:
        runs = [
            ("zhengwu-accounts" if n % 2 else "weibo-comments", SMALL) for n in range(SMALL_RUNS)
        ]
        runs.append(("weibo-api", big))
        first = 0
        for n, (fmt, size) in enumerate(runs):
            run = ImportRun(format=fmt, paths=f"run{n}.csv", started_at=now, finished_at=now,
                            read=size, quarantined=size)  # fmt: skip
            session.add(run)
            session.flush()
            ids.setdefault(fmt, run.id)  # the first (oldest) run of each format
            ids["big"] = run.id
            batch: list[dict[str, Any]] = []
            for row in _records(run.id, fmt, first, size):
                batch.append(row)
                if len(batch) == 10_000:
                    session.execute(insert(QuarantineEntry), batch)
                    batch = []
            if batch:
                session.execute(insert(QuarantineEntry), batch)
            first += size
        auth_service.create_user(session, username="admin", password=PASSWORD, role="admin")
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE quarantine"))
            conn.execute(text("VACUUM ANALYZE import_runs"))
    return ids


def login(client: Any) -> None:
    """Log a test client in as the admin through the console's form."""
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    done = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                       "csrf_token": csrf[1], "next": ""},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text


def measure(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return the median CPU and wall milliseconds of ``run`` (after one warm-up)."""
    run()
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        run()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def _get(client: Any, url: str) -> Callable[[], object]:
    def run() -> object:
        reply = client.get(url)
        assert reply.status_code == 200, (url, reply.status_code, reply.text[:300])
        assert 'id="quarantine"' in reply.text or "import-runs" in reply.text, url
        return reply

    return run


def bare(engine: Engine) -> Callable[[], object]:
    """The baseline: one page of 50 rows of the same table, newest first."""

    def run() -> object:
        with engine.connect() as conn:
            return conn.execute(text("SELECT id, run_id, format, source, reason, raw FROM "
                                     "quarantine ORDER BY id DESC LIMIT 50")).all()  # fmt: skip

    return run


def mask_only(engine: Engine, run_id: int) -> tuple[float, float]:
    """Return the CPU and wall milliseconds of masking run ``run_id``'s raw texts alone
    (read first, untimed): the floor under the download's time."""
    from zhengwu.ingest.models import QuarantineEntry
    from zhengwu.privacy.excerpt import masked

    with Session(engine) as session:
        raws = session.scalars(
            select(QuarantineEntry.raw).where(QuarantineEntry.run_id == run_id)
        ).all()
    c, w = time.process_time(), time.perf_counter()
    for raw in raws:
        masked(raw or "")
    return (time.process_time() - c) * 1000, (time.perf_counter() - w) * 1000


def explain(engine: Engine, ids: dict[str, int], records: int) -> None:
    """Print the PostgreSQL plans of the page's queries (what the page runs, compiled)."""
    from sqlalchemy.dialects import postgresql

    from zhengwu.ingest import quarantine

    cases = [
        ("all, page 1", quarantine.filters(), 0),
        ("all, last page", quarantine.filters(), records - 50),
        ("large run, page 1", quarantine.filters(ids["big"]), 0),
        ("small run, page 1", quarantine.filters(ids["zhengwu-accounts"]), 0),
        ("old format, page 1", quarantine.filters(fmt="zhengwu-accounts"), 0),
    ]
    for label, where, offset in cases:
        for kind, stmt in (("count", quarantine.count_statement(where)),
                           ("page", quarantine.page_statement(where, offset=offset, limit=50))):  # fmt: skip
            sql = str(stmt.compile(dialect=postgresql.dialect(),
                                   compile_kwargs={"literal_binds": True}))  # fmt: skip
            with engine.connect() as conn:
                plan = conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")).scalars().all()
            print(f"\n-- {label}: {kind}")
            for line in plan:
                if "Planning" not in line:
                    print(f"   {line}")


def main() -> None:
    """Build, measure, print the table (and the plans on PostgreSQL)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--records", default="100k")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import os

    from fastapi.testclient import TestClient

    from zhengwu.config import get_settings
    from zhengwu.web.app import create_app

    records = parse_size(args.records)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ZHENGWU_DATA_DIR"] = str(Path(tmp) / "data")
        get_settings.cache_clear()
        engine = bench_engine(args.database_url, Path(tmp), SCHEMA)
        try:
            t0 = time.perf_counter()
            ids = build(engine, records)
            print(f"== {records:,} quarantined records ({engine.dialect.name}; built in "
                  f"{time.perf_counter() - t0:.1f} s) ==")  # fmt: skip
            last = (records - 1) // 50 * 50
            big_last = (records - SMALL_RUNS * SMALL - 1) // 50 * 50
            pages = [
                ("导入记录 (the runs)", "/console/settings/imports"),
                ("quarantine, page 1", PAGE_URL),
                ("quarantine, last page", f"{PAGE_URL}?offset={last}"),
                ("large run, page 1", f"{PAGE_URL}?run={ids['big']}"),
                ("large run, last page", f"{PAGE_URL}?run={ids['big']}&offset={big_last}"),
                ("small run, page 1", f"{PAGE_URL}?run={ids['zhengwu-accounts']}"),
                ("old format, page 1", f"{PAGE_URL}?format=zhengwu-accounts"),
            ]
            with TestClient(create_app(engine)) as client:
                login(client)
                rows = [("bare SELECT … LIMIT 50", *measure(bare(engine), args.repeat))]
                for label, url in pages:
                    rows.append((label, *measure(_get(client, url), args.repeat)))
                for label, run in (("download, small run", ids["zhengwu-accounts"]),
                                   ("download, large run", ids["big"])):  # fmt: skip
                    c, w = time.process_time(), time.perf_counter()
                    got = client.get(f"{PAGE_URL}.jsonl?run={run}")
                    assert got.status_code == 200 and "138****" in got.text
                    rows.append((f"{label} ({got.text.count(chr(10)):,} lines)",
                                 (time.process_time() - c) * 1000,
                                 (time.perf_counter() - w) * 1000))  # fmt: skip
                rows.append(("masking alone, large run", *mask_only(engine, ids["big"])))
            print(f"{'page':40} {'CPU ms':>9} {'wall ms':>9}")
            for label, cpu, wall in rows:
                print(f"{label:40} {cpu:9.1f} {wall:9.1f}")
            if engine.dialect.name == "postgresql":
                explain(engine, ids, records)
        finally:
            engine.dispose()
            if args.database_url is not None:
                drop_schema(args.database_url, SCHEMA)


if __name__ == "__main__":
    sys.exit(main())
