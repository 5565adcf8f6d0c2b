"""The collector turns records into Arrow batches without Python-level per-value work."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from zhengwu.content.store import ACCOUNT_SNAPSHOT_SCHEMA, POST_SCHEMA
from zhengwu.ingest.collect import (
    LINE_SHIFT,
    Collector,
    merge_account,
    merge_by_order,
    utc_naive,
)
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.records import AccountRecord, PostRecord, QuarantineRecord

SEEN = datetime(2025, 7, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
ZONES = [
    None,
    UTC,
    timezone(timedelta(hours=8), "Asia/Shanghai"),
    timezone(timedelta(hours=-3, minutes=-30)),
    timezone(timedelta(seconds=3661)),  # not expressible in RFC 3339: converted first
    ZoneInfo("Asia/Shanghai"),
    ZoneInfo("America/New_York"),
]


def _post(pid: str, created: datetime, **kw: object) -> PostRecord:
    return PostRecord(platform="weibo", post_id=pid, account_uid="1", created_at=created,
                      text=f'文本 "{pid}" \\ \n', **kw)  # type: ignore[arg-type]  # fmt: skip


def test_timestamps_become_naive_utc_exactly_as_before() -> None:
    collector = Collector(observed_at=SEEN)
    expected = []
    for i, tz in enumerate(ZONES):
        created = datetime(2017, 3, 31, 23, 47, 24, 1000 * i, tzinfo=tz)
        observed = None if i % 2 else datetime(2025, 1, 2, 3, 4, 5, tzinfo=tz)
        collector.add(ImportItem(primary=_post(str(i), created, observed_at=observed)))
        expected.append((utc_naive(created), utc_naive(observed or SEEN)))
    table = collector.posts_table()
    assert table.schema == POST_SCHEMA
    got = list(zip(table["created_at"].to_pylist(), table["observed_at"].to_pylist(), strict=True))
    assert got == expected
    assert table["text"].to_pylist()[0] == '文本 "0" \\ \n'


def test_rows_keep_every_field_and_their_order() -> None:
    collector = Collector(observed_at=SEEN)
    post = _post("a", SEEN, topics=["t1", "t2"], mentions=["m"], reposts=2**63 - 1,
                 is_repost=True, root_post_id="r", root_deleted=True, bid="b", title="标题",
                 url="u", is_headline=False, is_original=True, source="s",
                 region_name="北京", reads=0, shares=1, zaikan=2, plays=3, favorites=4)  # fmt: skip
    root = _post("r", SEEN, likes=7)
    author = AccountRecord(platform="weibo", uid="1", name="甲", followers=5)
    collector.add(ImportItem(primary=post, related=[author, root]))
    collector.add(ImportItem(primary=QuarantineRecord(source="f:2", reason="x")))
    rows = collector.posts_table(seq_offset=10).to_pylist()
    assert [(r["seq"], r["is_primary"], r["post_id"]) for r in rows] == [
        (10, True, "a"),
        (11, False, "r"),
    ]
    first = rows[0]
    for name in POST_SCHEMA.names:
        if name not in {"seq", "is_primary", "created_at", "observed_at"}:
            assert first[name] == getattr(post, name), name
    assert (collector.read, collector.primary_posts, collector.post_rows) == (2, 1, 2)
    assert len(collector.quarantines) == 1


def test_line_numbers_order_rows_and_accounts() -> None:
    collector = Collector(observed_at=SEEN)
    a1 = AccountRecord(platform="weibo", uid="1", name="甲", followers=1)
    a2 = AccountRecord(platform="weibo", uid="1", name="甲", followers=2)
    plain = AccountRecord(platform="weibo", uid="2", name="乙")
    collector.add(ImportItem(primary=_post("x", SEEN), related=[a1]), line=7)
    collector.add(ImportItem(primary=a2), line=9)
    collector.add(ImportItem(primary=plain), line=9)
    seqs = collector.posts_table()["seq"].to_pylist()
    assert seqs == [7 << LINE_SHIFT]
    assert collector.account_orders[("weibo", "1")] == ((7 << LINE_SHIFT) | 1, 9 << LINE_SHIFT)
    assert collector.snapshot_orders[("weibo", "1")] == 9 << LINE_SHIFT
    assert ("weibo", "2") not in collector.snapshot_orders  # no counts, no snapshot
    snaps = collector.account_snapshot_table()
    assert snaps.schema == ACCOUNT_SNAPSHOT_SCHEMA
    assert snaps.to_pylist() == [
        {"seq": 1, "platform": "weibo", "uid": "1", "followers": 2, "friends": None,
         "statuses": None, "observed_at": utc_naive(SEEN)}
    ]  # fmt: skip
    assert list(collector.accounts.values()) == [a2, plain]
    assert collector.primary_accounts == [a2, plain]


def test_chunk_travels_as_arrow_ipc() -> None:
    collector = Collector(observed_at=SEEN)
    for i in range(3):
        author = AccountRecord(platform="weibo", uid=str(i), name="x", followers=i)
        collector.add(ImportItem(primary=_post(str(i), SEEN, likes=i), related=[author]))
    chunk = pickle.loads(pickle.dumps(collector.chunk()))
    assert isinstance(chunk.posts_ipc, bytes)
    assert chunk.posts.equals(collector.posts_table())
    assert chunk.account_snapshots.equals(collector.account_snapshot_table())
    assert (chunk.read, chunk.post_rows, chunk.primary_posts) == (3, 3, 3)
    assert [a.uid for a in chunk.accounts] == ["0", "1", "2"]


def test_empty_collector_gives_empty_tables() -> None:
    collector = Collector(observed_at=SEEN)
    assert collector.posts_table().num_rows == 0
    assert collector.posts_table().schema == POST_SCHEMA
    assert collector.account_snapshot_table().num_rows == 0
    assert isinstance(collector.chunk().posts, pa.Table)


def test_import_path_does_not_import_pandas(tmp_path: Path) -> None:
    """pa.array on Python lists imports pandas (a second before the first row); we avoid it."""
    code = """
import sys
from datetime import UTC, date, datetime
from pathlib import Path
import duckdb
import orjson
from zhengwu.content import store
from zhengwu.db.engine import get_engine, unit_of_work
from zhengwu.ingest.collect import Collector
from zhengwu.ingest.pipeline import run_import
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.records import AccountRecord, PostRecord

c = Collector(observed_at=datetime.now(UTC))
c.add(ImportItem(primary=PostRecord(platform="weibo", post_id="1", account_uid="1",
      created_at=datetime.now(UTC), text="x"),
      related=[AccountRecord(platform="weibo", uid="1", name="n", followers=1)]))
con = duckdb.connect()
for ddl in store._DDL:
    con.execute(ddl)
assert store.write_posts(con, c.chunk().posts).imported == 1
assert store.write_account_snapshots(con, c.chunk().account_snapshots) == 1
hot = store.write_hot_search(con, [{"day": date(2020, 11, 24), "title": "t", "url": None,
                                     "rank": 1}])
assert hot.imported == 1, hot
assert con.execute("SELECT day, title, rank FROM hot_search").fetchall() == [
    (date(2020, 11, 24), "t", 1)]
# Both routes of a weibo-api import, end to end.
path = Path(sys.argv[1]) / "s.jsonl"
user = {"id": 1, "idstr": "1", "screen_name": "平安北京", "followers_count": 3}
lines = [orjson.dumps({"created_at": "Fri Mar 31 23:47:24 +0800 2017", "idstr": str(i),
                       "text": "#t# x", "user": user}) for i in range(5)]
path.write_bytes(b"\\n".join([*lines, b"bad"]) + b"\\n")
for fast in (True, False):
    with unit_of_work(get_engine()) as session, store.open_store() as analytics:
        s = run_import("weibo-api", [path], session=session, analytics=analytics, fast=fast)
    assert (s.read, s.quarantined) == (6, 1), s
assert "pandas" not in sys.modules, "pandas was imported"
"""
    env = {**os.environ, "ZHENGWU_DATA_DIR": str(tmp_path / "data")}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env)


def _account(**kw: object) -> AccountRecord:
    return AccountRecord(platform="weibo", uid="7", **{"name": "平安郑州", **kw})  # type: ignore[arg-type]


def test_a_later_account_record_completes_the_earlier_one() -> None:
    # A creator row (followers, description), then a post's author by name only, then a
    # profile with new counts: none of them erases what another knew; the last known wins.
    creator = _account(followers=100, friends=3, description="公安", observed_at=SEEN)
    named = _account(name="平安郑州2")
    profile = _account(verified_type=1, is_government=True, followers=120, statuses=9)
    by_name = _account()  # is_government False without verified_type: not known
    collector = Collector(observed_at=SEEN)
    for record in (creator, named, profile, by_name):
        collector.add(ImportItem(primary=record))
    [merged] = collector.accounts.values()
    assert merged == _account(
        name="平安郑州", verified_type=1, is_government=True, followers=120, friends=3,
        statuses=9, description="公安", observed_at=SEEN,
    )  # fmt: skip
    assert merge_account(creator, named).followers == 100
    # The last snapshot of the account with counts is the profile's.
    assert [
        (r["followers"], r["friends"], r["statuses"]) for r in collector.snapshots.values()
    ] == [(120, None, 9)]


def test_merge_by_order_takes_each_field_where_it_was_last_known() -> None:
    a = _account(followers=1, friends=2)
    b = _account(followers=5, description="d")
    fields = AccountRecord.__struct_fields__[2:]
    orders_a = [10 if getattr(a, f) is not None else -1 for f in fields]
    orders_b = [20 if getattr(b, f) is not None else -1 for f in fields]
    orders_a[fields.index("is_government")] = orders_b[fields.index("is_government")] = -1
    merged = merge_by_order([(b, orders_b), (a, orders_a)])
    assert merged == merge_account(a, b) == _account(followers=5, friends=2, description="d")


def test_an_empty_name_does_not_erase_a_known_one() -> None:
    # A Weibo-COV user-pool row with nick_name blank, after a post's author with a name.
    named, blank = _account(followers=3), _account(name=" ", followers=4)
    assert merge_account(named, blank) == _account(followers=4)
    assert merge_account(blank, named) == _account(followers=3)
    fields = AccountRecord.__struct_fields__[2:]
    orders_named = [10 if getattr(named, f) is not None else -1 for f in fields]
    orders_blank = [20 if getattr(blank, f) is not None else -1 for f in fields]
    orders_blank[fields.index("name")] = -1
    assert merge_by_order([(blank, orders_blank), (named, orders_named)]).name == "平安郑州"
    # No record knows a name: the record keeps the blank it came with.
    assert merge_by_order([(blank, orders_blank)]).name == " "
