"""Search index build: ``zhengwu search reindex`` and the worker's refresh vs their floor.

Run: ``.venv/bin/python benchmarks/bench_search_index.py [--requests 50000]
[--accounts 20000] [--database-url URL]``.

A fresh database (SQLite file by default; ``--database-url`` for PostgreSQL — the schema
is built by the migrations, the tables must not exist yet) gets ``--accounts`` simulated
accounts (name, 认证 reason, organisation) and ``--requests`` service requests whose texts
are the real 政务留言 of ``../shared/data/citizen-messages`` (the whole message, cycled,
masked by ``zhengwu.privacy.mask_text`` as the desk does). Then, in the same run:

1. **baseline — analyzer alone**: :func:`zhengwu.search.segment.analyze` of every title
   and body (what indexing can never be faster than), run cache emptied first;
2. **baseline — analyzer + bare write**: the same, plus the document and posting rows it
   gives written into the empty index tables in one statement each (executemany; COPY of
   postings on PostgreSQL), rolled back. Not a strict floor: on SQLite one unbatched
   executemany of every posting touches more B-tree pages than the indexer's sorted
   batches, so reindex can come out below it;
3. **reindex**: :func:`zhengwu.search.indexer.reindex` in one transaction, as
   ``zhengwu search reindex`` does (reads the rows, analyzes, writes, commits);
4. **worker refresh**: the index cleared, then the job ``search-refresh``'s step
   (``refresh(limit=BATCH)``, one commit per step) until nothing is left.

Printed: wall and CPU seconds (CPU of this process: on PostgreSQL the server's work is not
in it) and documents/s per stage, and the ratio of reindex to each baseline. Each stage
starts with jieba loaded and the run cache empty. On a shared machine compare CPU
seconds; wall time moves with other load.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MESSAGES = REPO.parent / "shared" / "data" / "citizen-messages"
PLACES = ["朝阳", "海淀", "江宁", "鼓楼", "玄武", "秦淮", "建邺", "栖霞", "雨花台", "浦口",
          "天河", "越秀", "武侯", "锦江", "金水", "二七", "中原", "惠济"]  # fmt: skip
SECTORS = ["公安", "消防", "交通", "卫健", "教育", "市场监管", "城管", "生态环境",
           "应急管理", "文旅", "税务", "人社", "住建", "水务"]  # fmt: skip
LEVELS = ["省", "市", "区", "县", "街道"]


def message_texts() -> list[str]:
    """Return the real citizen messages of the shared data (subject + text)."""
    csv.field_size_limit(10_000_000)
    texts: list[str] = []
    for name in ("train.csv", "test.csv", "messages_with_votes.csv", "messages_with_replies.csv"):
        with (MESSAGES / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                text = (row.get("text") or row.get("留言详情") or "").strip()
                if text:
                    texts.append(text)
    assert texts, f"no messages found in {MESSAGES}"
    return texts


def populate(url: str, n_accounts: int, n_requests: int) -> None:
    """Create the schema and the source rows: organisations, accounts, requests."""
    from sqlalchemy import insert

    from zhengwu.accounts.models import Account, Organization
    from zhengwu.db import migrate
    from zhengwu.db.engine import make_engine
    from zhengwu.privacy import mask_text
    from zhengwu.servicedesk.models import ServiceRequest

    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(7)
    texts = message_texts()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    orgs = [
        {"name": f"{place}{level}{sector}局", "level": level, "sector": sector}
        for place in PLACES for level in LEVELS[1:4] for sector in SECTORS
    ]  # fmt: skip
    with engine.begin() as con:
        con.execute(insert(Organization), orgs)
        accounts = []
        for i in range(n_accounts):
            org = rng.randrange(len(orgs))
            place, sector = rng.choice(PLACES), rng.choice(SECTORS)
            suffix = rng.choice(["发布", "在线", "之声", "微博", ""])
            accounts.append({
                "platform": "weibo", "uid": str(10_000_000 + i),
                "name": f"{place}{sector}{suffix}{i % 97 or ''}",
                "verified_reason": f"{place}{rng.choice(LEVELS)}{sector}局官方微博",
                "organization_id": org + 1, "is_government": rng.random() < 0.8,
                "updated_at": start + timedelta(seconds=i),
            })  # fmt: skip
        con.execute(insert(Account), accounts)
        for lo in range(0, n_requests, 20_000):
            rows = []
            for i in range(lo, min(n_requests, lo + 20_000)):
                text = texts[i % len(texts)]
                when = start + timedelta(seconds=30 * i)
                rows.append({
                    "public_id": f"ZW{i:010d}", "citizen_token_hash": f"{i:064x}",
                    "source": "form", "source_ref": f"bench-{i}", "text": text,
                    "text_masked": mask_text(text), "fingerprint": f"{i:040x}",
                    "organization_id": rng.randrange(len(orgs)) + 1, "received_at": when,
                    "updated_at": when,
                })  # fmt: skip
            con.execute(insert(ServiceRequest), rows)
    engine.dispose()


def cold() -> None:
    """Empty the analyzer's run cache (jieba itself stays loaded)."""
    from zhengwu.search import segment

    segment._cut_short.cache_clear()


def timed(label: str, docs: int, fn: Any) -> tuple[float, float]:
    """Run ``fn`` once; print and return its wall and CPU seconds."""
    cold()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<34} {wall:8.2f} s wall {cpu:8.2f} CPU-s  {docs / wall:9,.0f} docs/s "
          f"({docs / cpu:,.0f} per CPU-s)", flush=True)  # fmt: skip
    return wall, cpu


def sources(session: Any) -> list[tuple[str, str, str, int]]:
    """Return (kind, title, body, key) of every document reindex would build."""
    from zhengwu.search import indexer

    docs = []
    for kind in indexer.PULLED_KINDS:
        query, updated_at, id_column = indexer._source(kind)
        rows = session.execute(query.order_by(updated_at, id_column)).all()
        make = indexer._account_docs if kind == "accounts" else indexer._request_docs
        docs.extend((d.kind, d.title, d.body, d.key) for d in make(rows))
    return docs


def bare_write(session: Any, docs: list[tuple[str, str, str, int]]) -> None:
    """Analyze ``docs`` and write their rows with one bulk statement per table."""
    from collections import Counter

    from sqlalchemy import insert

    from zhengwu.search.indexer import TITLE_WEIGHT
    from zhengwu.search.models import SearchDocument
    from zhengwu.search.segment import analyze

    doc_rows, postings = [], []
    for doc_id, (kind, title, body, key) in enumerate(docs, start=1):
        counts = Counter(analyze(body))
        for term in analyze(title):
            counts[term] += TITLE_WEIGHT
        length = sum(counts.values())
        doc_rows.append({"id": doc_id, "kind": kind, "key": key, "title": title,
                         "body": body[:2000], "length": length})  # fmt: skip
        postings.extend((term, kind, doc_id, tf, length) for term, tf in counts.items())
    postings.sort()
    connection = session.connection()
    connection.execute(insert(SearchDocument.__table__), doc_rows)
    if connection.dialect.name == "postgresql":
        with (
            connection.connection.driver_connection.cursor() as cursor,
            cursor.copy("COPY search_postings (term, kind, doc_id, tf, length) FROM STDIN") as copy,
        ):
            for row in postings:
                copy.write_row(row)
    else:
        connection.exec_driver_sql(
            "INSERT INTO search_postings (term, kind, doc_id, tf, length) VALUES (?, ?, ?, ?, ?)",
            postings,
        )


def run(url: str, n_accounts: int, n_requests: int) -> None:
    """Populate, then time the baselines, the reindex and the worker's refresh."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from zhengwu.db.engine import make_engine
    from zhengwu.search import indexer
    from zhengwu.search.models import SearchPosting
    from zhengwu.search.segment import analyze

    started = time.perf_counter()
    populate(url, n_accounts, n_requests)
    print(f"populated {n_accounts:,} accounts + {n_requests:,} requests in "
          f"{time.perf_counter() - started:.0f} s ({url.split(':')[0]})", flush=True)  # fmt: skip
    engine = make_engine(url)
    analyze("预热")  # jieba's dictionary loads once per process, outside every timing
    with Session(engine) as session:
        docs = sources(session)
    n = len(docs)
    chars = sum(len(t) + len(b) for _, t, b, _ in docs)
    print(f"{n:,} documents, {chars / n:.0f} characters each on average", flush=True)
    texts = [x for _, t, b, _ in docs for x in (t, b)]
    a_wall, a_cpu = timed("baseline: analyzer alone", n, lambda: [analyze(t) for t in texts])
    with Session(engine) as session:
        w_wall, w_cpu = timed("baseline: analyzer + bare write", n,
                              lambda: bare_write(session, docs))  # fmt: skip
        session.rollback()

    def reindex() -> None:
        with Session(engine) as session:
            indexer.reindex(session)
            session.commit()

    r_wall, r_cpu = timed("zhengwu search reindex", n, reindex)
    with Session(engine) as session:
        postings = session.scalar(select(func.count()).select_from(SearchPosting))
        for kind in indexer.PULLED_KINDS:
            indexer.clear(session, kind)
        session.commit()

    def worker() -> None:
        steps = 0
        while True:
            with Session(engine) as session:
                done = indexer.refresh(session, limit=indexer.BATCH)
                session.commit()
            steps += 1
            if not any(count >= indexer.BATCH for count in done.values()):
                break

    timed(f"worker refresh (steps of {indexer.BATCH:,})", n, worker)
    with Session(engine) as session:
        assert indexer.stats(session)["requests"] == n_requests
    print(f"{postings:,} postings; reindex / analyzer alone: {r_wall / a_wall:.2f} wall, "
          f"{r_cpu / a_cpu:.2f} CPU; reindex / (analyzer + bare write): "
          f"{r_wall / w_wall:.2f} wall, {r_cpu / w_cpu:.2f} CPU")  # fmt: skip
    engine.dispose()


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--database-url", default=None, help="an empty database (default SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.database_url or f"sqlite:///{tmp}/index.db", args.accounts, args.requests)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
