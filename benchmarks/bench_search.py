"""Search at national scale: index build time and query latency against a LIKE baseline.

Run: ``.venv/bin/python benchmarks/bench_search.py [--accounts 180000] [--requests 1000000]
[--posts 10000000] [--database-url URL]``.

1. Operational index: simulated accounts (name, verification, organisation) and service
   requests (masked texts built from the phrases citizens use) are indexed through
   :func:`zhengwu.search.indexer.index_many` — the same batches ``zhengwu search reindex``
   uses — into a fresh database (SQLite file by default). Printed: build seconds and
   documents/s. Then 200 queries (one to three terms) through
   :func:`zhengwu.search.service.search_documents` as an admin, p50/p95 in ms, against a
   baseline measured in the same run: ``body LIKE '%term%'`` (AND of the terms, newest 20)
   over the same ``search_documents`` table.
2. Posts: a DuckDB store with ``--posts`` posts over one year, searched by
   :func:`zhengwu.search.posts.search_posts` (30-day window, newest first) vs the same
   scan without the window.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PLACES = [
    "朝阳",
    "海淀",
    "江宁",
    "鼓楼",
    "玄武",
    "秦淮",
    "建邺",
    "栖霞",
    "雨花台",
    "浦口",
    "六合",
    "溧水",
    "高淳",
    "天河",
    "越秀",
    "武侯",
    "锦江",
]
THINGS = [
    "小区",
    "道路",
    "路灯",
    "下水道",
    "垃圾站",
    "菜市场",
    "公交站",
    "学校",
    "医院",
    "工地",
    "停车场",
    "公园",
    "河道",
    "电梯",
    "供暖",
    "自来水",
    "燃气管道",
    "人行道",
    "红绿灯",
    "井盖",
    "广场舞",
    "餐馆",
    "油烟",
    "噪音",
    "积水",
    "违章建筑",
]
PROBLEMS = [
    "深夜施工噪音扰民",
    "长期损坏无人维修",
    "污水外溢气味难闻",
    "乱停乱放堵塞通道",
    "收费不合理",
    "安全隐患严重",
    "夜间照明不足",
    "堆放杂物影响通行",
    "拖欠工资至今未付",
    "排队时间过长",
    "水压不足影响生活",
    "油烟直排影响居民",
    "违规占道经营",
    "退费迟迟不办理",
]
ASKS = ["希望有关部门尽快处理", "请相关部门核实", "恳请领导关注", "盼早日解决", "请给个说法"]
SECTORS = [
    "公安",
    "消防",
    "交通",
    "卫健",
    "教育",
    "市场监管",
    "城管",
    "生态环境",
    "应急管理",
    "文旅",
    "税务",
    "人社",
]
LEVELS = ["省", "市", "区", "县", "街道"]


def request_text(rng: random.Random) -> str:
    """Return one simulated (already masked) request text."""
    place, thing, problem, ask = (rng.choice(x) for x in (PLACES, THINGS, PROBLEMS, ASKS))
    phone = f"1{rng.randint(30, 99)}****{rng.randint(1000, 9999)}"
    return f"{place}区{thing}{problem}，{ask}。联系电话{phone}，已经反映{rng.randint(2, 9)}次。"


def documents(n_accounts: int, n_requests: int, seed: int = 7) -> Iterator[object]:
    """Yield the simulated documents to index."""
    from zhengwu.search.indexer import Document

    rng = random.Random(seed)
    for i in range(n_accounts):
        place, sector = rng.choice(PLACES), rng.choice(SECTORS)
        name = f"{place}{sector}{rng.choice(['发布', '在线', '之声', ''])}{i % 97 or ''}"
        body = f"{place}{rng.choice(LEVELS)}{sector}局官方微博 {place}{sector}局"
        yield Document("accounts", str(i + 1), name, body, i + 1, i % 5000, None, 1.0)
    for i in range(n_requests):
        yield Document("requests", f"R{i:08d}", f"R{i:08d}", request_text(rng), i + 1,
                       i % 5000, i % 300)  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    """Return the q-quantile (0–1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_operational(url: str, n_accounts: int, n_requests: int) -> None:
    """Build the operational index and time queries against a LIKE scan."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from zhengwu.auth.principal import Principal
    from zhengwu.db import migrate
    from zhengwu.db.engine import make_engine
    from zhengwu.search import indexer, service
    from zhengwu.search.segment import analyze

    engine = make_engine(url)
    migrate.upgrade(engine)
    analyze("预热")  # load jieba outside the timing
    started, cpu = time.perf_counter(), time.process_time()
    done = 0
    docs = documents(n_accounts, n_requests)
    with Session(engine) as session:
        while True:
            chunk = list(itertools.islice(docs, 100_000))
            if not chunk:
                break
            done += indexer.index_many(session, chunk)  # type: ignore[arg-type]
            print(f"  {done:,} documents, {time.perf_counter() - started:.0f} s", flush=True)
        session.commit()
    build, cpu = time.perf_counter() - started, time.process_time() - cpu
    with engine.connect() as con:
        postings = con.execute(text("SELECT count(*) FROM search_postings")).scalar_one()
    print(f"index build: {done:,} documents, {postings:,} postings in {build:.1f} s "
          f"({done / build:,.0f} docs/s); {cpu:.0f} CPU-s in this process")  # fmt: skip

    rng = random.Random(11)
    queries = []
    for _ in range(200):
        words = rng.sample(
            [*THINGS, *[p[:2] for p in PROBLEMS], *SECTORS, *PLACES], rng.randint(1, 3)
        )
        queries.append(" ".join(words))
    admin = Principal(role="admin", user_id=1, username="bench")
    ours: list[float] = []
    like: list[float] = []
    with Session(engine) as session:
        for q in queries:
            t = time.perf_counter()
            service.search(session, admin, q, kinds=["accounts", "requests"], limit=20)
            ours.append((time.perf_counter() - t) * 1000)
            terms = list(dict.fromkeys(analyze(q)))
            cond = " AND ".join(f"body LIKE :t{i}" for i in range(len(terms))) or "1=1"
            params = {f"t{i}": f"%{term}%" for i, term in enumerate(terms)}
            t = time.perf_counter()
            session.execute(
                text(
                    f"SELECT id, title FROM search_documents WHERE {cond} ORDER BY id DESC LIMIT 20"
                ),
                params,
            ).all()
            session.execute(text(f"SELECT count(*) FROM search_documents WHERE {cond}"), params)
            like.append((time.perf_counter() - t) * 1000)
    print(f"query (index, counts + top 20): p50 {percentile(ours, .5):.1f} ms, "
          f"p95 {percentile(ours, .95):.1f} ms")  # fmt: skip
    print(f"baseline LIKE scan (count + top 20): p50 {percentile(like, .5):.1f} ms, "
          f"p95 {percentile(like, .95):.1f} ms → {statistics.median(like) / statistics.median(ours):.1f}× slower")  # fmt: skip


def bench_posts(path: Path, n_posts: int) -> None:
    """Time the post scan over ``n_posts`` posts of one year (30-day window vs all)."""
    import duckdb

    from zhengwu.content import store
    from zhengwu.search.posts import search_posts
    from zhengwu.search.segment import query_terms

    reuse = path.exists()
    con = store.connect(path)
    rng = random.Random(5)
    texts = [request_text(rng).split("联系电话")[0] + rng.choice(ASKS) for _ in range(5000)]
    con.execute("CREATE TEMP TABLE t AS SELECT * FROM (VALUES " + ",".join(
        f"({i}, '{s}')" for i, s in enumerate(texts)) + ") v(i, s)")  # fmt: skip
    started = time.perf_counter()
    con.execute(
        "SELECT 1"
        if reuse
        else f"""INSERT INTO posts (platform, post_id, account_uid, created_at, text)
        SELECT 'weibo', r::VARCHAR, (r % 180000)::VARCHAR,
               TIMESTAMP '2025-01-01' + to_microseconds((r::HUGEINT * 31536000000000 // {n_posts})::BIGINT),
               '【' || (r % 977)::VARCHAR || '】' || t.s || '#政务#'
        FROM range({n_posts}) g(r) JOIN t ON t.i = r % 5000 ORDER BY r"""
    )
    con.execute("CHECKPOINT")
    print(f"posts store: {n_posts:,} posts written in {time.perf_counter() - started:.1f} s")
    queries = [" ".join(rng.sample([*THINGS, *[p[:2] for p in PROBLEMS]], rng.randint(1, 2)))
               for _ in range(36)]  # fmt: skip
    queries += ["地震 海啸", "不存在的词", "台风", "火灾"]  # no match: the whole window is read
    for days, label in ((30, "30-day window"), (7, "7-day window"), (400, "whole year")):
        times = []
        for q in queries:
            t = time.perf_counter()
            search_posts(con, query_terms(q), days=days, limit=20)
            times.append((time.perf_counter() - t) * 1000)
        print(f"posts scan, {label}: max {max(times):.0f} ms, p50 {percentile(times, .5):.0f} ms, "
              f"p95 {percentile(times, .95):.0f} ms")  # fmt: skip
    _ = duckdb
    con.close()


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=180_000)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=10_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-posts", action="store_true")
    parser.add_argument("--skip-index", action="store_true")
    parser.add_argument("--store", type=Path, default=None, help="keep/reuse the posts store here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_posts:
            bench_posts(args.store or Path(tmp) / "store.duckdb", args.posts)
        if not args.skip_index:
            url = args.database_url or f"sqlite:///{tmp}/search.db"
            bench_operational(url, args.accounts, args.requests)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
