"""The analytics store: posts, metric snapshots, comments and hot search in one DuckDB file.

Why DuckDB and not Parquet files: imports must be idempotent and keep a snapshot only when
counts change, which needs an anti-join and an update against what is stored; a DuckDB
table does that in one transaction, where Parquet would mean rewriting partitions. The
index and topic computations scan the same tables with DuckDB. ``export_parquet`` writes
the Parquet layout (partitioned by platform and month) for Spark and other tools.

Timestamps are stored as UTC ``TIMESTAMP``; China local time is ``ts + INTERVAL 8 HOUR``
(China has no daylight saving), which keeps day and month bucketing cheap.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from zhengwu.config import get_settings
from zhengwu.errors import BusyError, ConflictError, NotFoundError

COUNT_COLUMNS = ("reposts", "comments", "likes", "reads", "shares", "zaikan", "plays", "favorites")
ACCOUNT_COUNT_COLUMNS = ("followers", "friends", "statuses")

POST_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("is_primary", pa.bool_()),
        ("platform", pa.string()),
        ("post_id", pa.string()),
        ("account_uid", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("text", pa.string()),
        ("topics", pa.list_(pa.string())),
        ("mentions", pa.list_(pa.string())),
        ("is_repost", pa.bool_()),
        ("root_post_id", pa.string()),
        ("root_deleted", pa.bool_()),
        ("bid", pa.string()),
        ("title", pa.string()),
        ("url", pa.string()),
        ("is_headline", pa.bool_()),
        ("is_original", pa.bool_()),
        ("source", pa.string()),
        ("region_name", pa.string()),
        *[(c, pa.int64()) for c in COUNT_COLUMNS],
        ("observed_at", pa.timestamp("us")),
    ]
)

ACCOUNT_SNAPSHOT_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("platform", pa.string()),
        ("uid", pa.string()),
        *[(c, pa.int64()) for c in ACCOUNT_COUNT_COLUMNS],
        ("observed_at", pa.timestamp("us")),
    ]
)

HOT_SEARCH_SCHEMA = pa.schema(
    [("day", pa.date32()), ("title", pa.string()), ("url", pa.string()), ("rank", pa.int32()),
     ("seq", pa.int64())]
)  # fmt: skip


COMMENT_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("platform", pa.string()),
        ("comment_id", pa.string()),
        ("note_id", pa.string()),
        ("parent_comment_id", pa.string()),
        ("account_uid", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("content", pa.string()),
        ("likes", pa.int64()),
        ("sub_comments", pa.int64()),
        ("observed_at", pa.timestamp("us")),
    ]
)

# Own replies (互动力, the compliance reply check): every comment written by an account is
# one of its replies, except a comment the account also posted to its timeline with
# Weibo's 同时转发 ("回复@网友:…//@网友:…"), which the index already counts as a post. Such a
# post is recognised by its author, its reply text (the part after "回复@name:" and before
# the repost chain "//@") and a time within REPLY_MATCH_MINUTES of the comment.
REPLY_PREFIX = "回复@"  # the index's own-reply posts (zhengwu.index.metrics) start with it
REPLIES_VIEW = "account_replies"
REPLY_MATCH_MINUTES = 10


def _reply_body(column: str) -> str:
    """Return SQL for the reply text of a comment or 回复@ post (no prefix, no repost chain)."""
    return (
        f"trim(regexp_replace(regexp_replace({column}, '^{REPLY_PREFIX}[^:：]*[:：]', ''), "
        "'(?s)//@.*$', ''))"
    )


def table_from_json_lines(data: bytes, schema: pa.Schema, *, longest: int = 0) -> pa.Table:
    """Return JSON Lines rows (one object per line) as an Arrow table of ``schema``.

    Keys that are not in ``schema`` are ignored; timestamps with a UTC offset become naive
    UTC. Building tables this way keeps Python out of the per-value work, and unlike
    ``pa.array`` on Python lists it does not import pandas. ``longest`` is the longest
    line in bytes (a line must fit in one parse block).
    """
    import io

    import pyarrow.json as pa_json

    if not data:
        return pa.Table.from_batches([], schema=schema)  # empty_table() imports pandas
    return pa_json.read_json(
        io.BytesIO(data),
        read_options=pa_json.ReadOptions(block_size=max(4 << 20, 2 * longest + 1024)),
        parse_options=pa_json.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore"
        ),
    )


_DDL = [
    """CREATE TABLE IF NOT EXISTS posts (
        platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL, account_uid VARCHAR,
        created_at TIMESTAMP NOT NULL, text VARCHAR, topics VARCHAR[], mentions VARCHAR[],
        is_repost BOOLEAN, root_post_id VARCHAR, root_deleted BOOLEAN, bid VARCHAR,
        title VARCHAR, url VARCHAR, is_headline BOOLEAN, is_original BOOLEAN, source VARCHAR,
        region_name VARCHAR, reposts BIGINT, comments BIGINT, likes BIGINT, reads BIGINT,
        shares BIGINT, zaikan BIGINT, plays BIGINT, favorites BIGINT,
        first_seen TIMESTAMP, observed_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS post_snapshots (
        platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL, observed_at TIMESTAMP NOT NULL,
        reposts BIGINT, comments BIGINT, likes BIGINT, reads BIGINT, shares BIGINT,
        zaikan BIGINT, plays BIGINT, favorites BIGINT)""",
    """CREATE TABLE IF NOT EXISTS account_snapshots (
        platform VARCHAR NOT NULL, uid VARCHAR NOT NULL, observed_at TIMESTAMP NOT NULL,
        followers BIGINT, friends BIGINT, statuses BIGINT)""",
    """CREATE TABLE IF NOT EXISTS hot_search (
        day DATE NOT NULL, title VARCHAR NOT NULL, url VARCHAR, rank INTEGER,
        first_seen TIMESTAMP)""",
    # Comments keep their latest counts only (no snapshots) and nothing about the author
    # but the uid (see zhengwu.content.comments).
    """CREATE TABLE IF NOT EXISTS comments (
        platform VARCHAR NOT NULL, comment_id VARCHAR NOT NULL, note_id VARCHAR NOT NULL,
        parent_comment_id VARCHAR, account_uid VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        content VARCHAR, likes BIGINT, sub_comments BIGINT, first_seen TIMESTAMP,
        observed_at TIMESTAMP)""",
]


# The index's extension point account_replies(platform, account_uid, created_at): replaced
# on every writable open, so an older store gets the current definition (unless the store
# holds a table of that name from another source: that table is kept).
def replies_select(
    *, starts_with: Callable[[str, str], str] | None = None, anti_join: str = "ANTI JOIN"
) -> str:
    """Return the SELECT of the own-reply view over ``comments`` and ``posts``.

    ``starts_with`` and ``anti_join`` spell those two for another engine (the Spark version
    of the index reads the same definition: :mod:`zhengwu.index.dialect`).
    """
    prefix = f"'{REPLY_PREFIX}'"
    is_reply = starts_with("text", prefix) if starts_with else f"starts_with(text, {prefix})"
    return f"""SELECT c.platform, c.account_uid, c.created_at, c.comment_id, c.note_id
    FROM comments c
    {anti_join} (SELECT platform, account_uid, created_at, {_reply_body("text")} AS body
               FROM posts WHERE {is_reply}) p
      ON p.platform = c.platform AND p.account_uid = c.account_uid
     AND p.body = {_reply_body("c.content")}
     AND p.created_at BETWEEN c.created_at - INTERVAL {REPLY_MATCH_MINUTES} MINUTE
                          AND c.created_at + INTERVAL {REPLY_MATCH_MINUTES} MINUTE"""


_REPLIES_VIEW_DDL = f"CREATE OR REPLACE VIEW {REPLIES_VIEW} AS {replies_select()}"


@dataclass(slots=True)
class WriteCounts:
    """How the primary rows of a batch were classified."""

    imported: int = 0
    updated: int = 0
    duplicates: int = 0


def connect(
    path: Path | None = None, *, read_only: bool = False, wait: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the analytics store (creating its tables unless ``read_only``).

    The store is one DuckDB file: while one process writes it (an import, an index run),
    no other process can open it, not even to read; while readers have it open, a writer
    cannot. Readers hold it for one page or command, so an opening that meets the lock
    waits — ``wait`` seconds, by default ``store_read_wait`` for readers (a page shows
    "busy" soon rather than hanging) and ``store_write_wait`` for writers — and then
    raises :class:`~zhengwu.errors.BusyError` (HTTP 503) naming the process that holds it.
    """
    settings = get_settings()
    path = path or settings.resolved_analytics_path
    if read_only and not path.exists():
        # Nothing stored yet: an empty in-memory store answers every query the same way.
        con = duckdb.connect(":memory:")
        read_only = False
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = _open_waiting(path, read_only=read_only, wait=wait)
    # DuckDB's default (80% of RAM) leaves nothing for Python: a 4 M-post import peaked
    # at 6.2 GB, a 20 M-post one would not fit in 24 GB. Beyond the limit DuckDB spills its
    # temporary tables to <store>.tmp (4 M posts under 2 GB: 2.5 GB peak, ~1.2× the time).
    con.execute(f"SET memory_limit = '{settings.analytics_memory_limit}'")
    if not read_only:
        for ddl in _DDL:
            con.execute(ddl)
        if not has_base_table(con, REPLIES_VIEW):
            con.execute(_REPLIES_VIEW_DDL)
    return con


def has_base_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Tell whether the store has a (non-temporary) table, not a view, called ``name``."""
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [name]
    ).fetchone()
    return bool(row and row[0])


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


def _open_waiting(path: Path, *, read_only: bool, wait: float | None) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, retrying while another process holds its lock (see connect)."""
    if wait is None:
        settings = get_settings()
        wait = settings.store_read_wait if read_only else settings.store_write_wait
    deadline = time.monotonic() + wait
    pause = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            # Another process's lock (IOException), or in this process connections opened
            # the other way (read-only vs. writing) that are still open: DuckDB refuses a
            # second "configuration" of one file until they close (ConnectionException).
            holder = _LOCK_HOLDER.search(str(exc))
            text = str(exc).lower()
            if holder is None and "lock" not in text and "different configuration" not in text:
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                here = isinstance(exc, duckdb.ConnectionException)
                who = (f"进程 {holder[2]}（{holder[1]}）" if holder
                       else "本进程的另一个请求" if here else "另一个进程")  # fmt: skip
                who_en = (f"process {holder[2]} ({holder[1]})" if holder
                          else "another request of this process" if here
                          else "another process")  # fmt: skip
                raise BusyError(
                    f"分析库正被{who}占用（导入或指数计算进行中），请稍后再试：{path}",
                    f"the analytics store is in use by {who_en} (an import or index run); "
                    f"try again shortly: {path}",
                ) from None
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.5)


@contextmanager
def open_store(
    path: Path | None = None, *, read_only: bool = False, wait: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store for the duration of a ``with`` block and close it afterwards."""
    con = connect(path, read_only=read_only, wait=wait)
    try:
        yield con
    finally:
        con.close()


def counts_changed(columns: tuple[str, ...], *, stored: str) -> str:
    """Return SQL: a count observed in this row differs from the one it follows.

    A row of a batch follows the previous row of the same item (``prev_<c>``); the first
    row (``k = 1``) follows what is stored (``<stored><c>``). NULL means not observed, and
    never counts as a change.
    """
    return " OR ".join(
        f"({c} IS NOT NULL AND {c} IS DISTINCT FROM "
        f"(CASE WHEN k = 1 THEN {stored}{c} ELSE prev_{c} END))"
        for c in columns
    )


def _changed(new: str, old: str, columns: tuple[str, ...]) -> str:
    # A column changed when the new observation has a value that differs from the old one;
    # a missing (NULL) value in the new observation is "not observed", not a change.
    return (
        "("
        + " OR ".join(
            f"({new}.{c} IS NOT NULL AND {new}.{c} IS DISTINCT FROM {old}.{c})" for c in columns
        )
        + ")"
    )


def write_posts(
    con: duckdb.DuckDBPyConnection, batch: pa.Table | str, *, dry_run: bool = False
) -> WriteCounts:
    """Insert new posts, record changed counts as snapshots, and classify primary rows.

    ``batch`` is an Arrow table (POST_SCHEMA, ``seq`` = input order, unique) or the name
    of a table or view of ``con`` with the same columns. Each row is compared with the
    previous observation of the same post: the previous row of the batch, or for its first
    row the stored snapshot taken at or before the row's ``observed_at`` (so re-importing
    an old file finds its own snapshots). Primary rows are counted as imported (never
    seen), updated (new counts → a snapshot) or duplicates (nothing new). The post's
    current counts only move forward in time: an older observation adds history, not a
    new state.
    """
    counts = WriteCounts()
    if isinstance(batch, pa.Table):
        if batch.num_rows == 0:
            return counts
        con.complete()  # a caller's half-fetched result would block register() in DuckDB 2
        con.register("batch_in", batch)
        source = "batch_in"
    else:
        source = batch
    try:
        _classify_and_write(con, source, counts, dry_run=dry_run)
    finally:
        if source == "batch_in":
            con.unregister("batch_in")
        for table in _BATCH_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return counts


_BATCH_TABLES = ("batch_rows", "batch_multi", "batch_cls", "batch_snaps", "batch_old",
                 "batch_cls2", "batch_final")  # fmt: skip


def _classify_and_write(
    con: duckdb.DuckDBPyConnection, source: str, counts: WriteCounts, *, dry_run: bool
) -> None:
    cols = ", ".join(COUNT_COLUMNS)
    nulls = ", ".join(f"NULL::BIGINT AS prev_{c}" for c in COUNT_COLUMNS)
    prev_cols = ", ".join(f"lag(r.{c}) OVER w AS prev_{c}" for c in COUNT_COLUMNS)
    # Keys and counts only: text and lists are read once, by the final insert, from the
    # last row of each post. Most posts occur once in a batch; only the repeated ones
    # (a root carried by many reposts, a status seen twice) need the window over rows.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE batch_rows AS
        SELECT seq, platform, post_id, is_primary, observed_at, {cols} FROM {source}"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE batch_multi AS
        SELECT platform, post_id FROM batch_rows GROUP BY platform, post_id HAVING count(*) > 1"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE batch_cls AS
        WITH stored AS (SELECT platform, post_id FROM posts)
        SELECT r.*, 1 AS k, {nulls}, (p.post_id IS NOT NULL) AS in_store, false AS repeated
        FROM (SELECT * FROM batch_rows ANTI JOIN batch_multi USING (platform, post_id)) r
        LEFT JOIN stored p USING (platform, post_id)
        UNION ALL
        SELECT r.*, row_number() OVER w AS k, {prev_cols}, (p.post_id IS NOT NULL), true
        FROM (SELECT * FROM batch_rows SEMI JOIN batch_multi USING (platform, post_id)) r
        LEFT JOIN stored p USING (platform, post_id)
        WINDOW w AS (PARTITION BY r.platform, r.post_id ORDER BY r.seq)"""
    )
    # Snapshots of the posts already stored: only those, so a fresh import skips the scan.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE batch_snaps AS
        SELECT s.* FROM post_snapshots s
        SEMI JOIN (SELECT DISTINCT platform, post_id FROM batch_cls WHERE in_store) x
          USING (platform, post_id)"""
    )
    old_cols = ", ".join(f"s.{c} AS old_{c}" for c in COUNT_COLUMNS)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE batch_old AS
        SELECT b.seq, {old_cols}
        FROM (SELECT * FROM batch_cls WHERE k = 1 AND in_store) b ASOF JOIN batch_snaps s
          ON b.platform = s.platform AND b.post_id = s.post_id
         AND b.observed_at >= s.observed_at"""
    )
    changed = counts_changed(COUNT_COLUMNS, stored="o.old_")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE batch_cls2 AS
        SELECT b.seq, b.platform, b.post_id, b.is_primary, b.observed_at, {cols}, in_store,
               repeated,
               CASE WHEN k = 1 AND NOT in_store THEN 'imported'
                    WHEN {changed} THEN 'updated'
                    ELSE 'duplicate' END AS outcome
        FROM batch_cls b LEFT JOIN batch_old o USING (seq)"""
    )
    for outcome, n in con.execute(
        "SELECT outcome, count(*) FROM batch_cls2 WHERE is_primary GROUP BY outcome"
    ).fetchall():
        setattr(
            counts, {"imported": "imported", "updated": "updated"}.get(outcome, "duplicates"), n
        )
    if dry_run:
        return
    # Final state per post: the last non-NULL observation of each count in the batch,
    # the other columns from its last row.
    last = ", ".join(
        f"arg_max({c}, seq) FILTER (WHERE {c} IS NOT NULL) AS {c}" for c in COUNT_COLUMNS
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE batch_final AS
        SELECT platform, post_id, seq AS last_seq, {cols}, observed_at, in_store,
               outcome <> 'duplicate' AS any_change
        FROM batch_cls2 WHERE NOT repeated
        UNION ALL
        SELECT platform, post_id, max(seq), {last}, max(observed_at), bool_or(in_store),
               bool_or(outcome <> 'duplicate')
        FROM batch_cls2 WHERE repeated GROUP BY platform, post_id"""
    )
    f_cols = ", ".join(f"f.{c}" for c in COUNT_COLUMNS)
    con.execute("BEGIN")
    try:
        con.execute(
            f"""INSERT INTO post_snapshots
            SELECT platform, post_id, observed_at, {cols}
            FROM batch_cls2 WHERE outcome <> 'duplicate'"""
        )
        con.execute(
            f"""INSERT INTO posts
            SELECT f.platform, f.post_id, b.account_uid, b.created_at, b.text, b.topics,
                   b.mentions, b.is_repost, b.root_post_id, b.root_deleted, b.bid, b.title,
                   b.url, b.is_headline, b.is_original, b.source, b.region_name, {f_cols},
                   f.observed_at AS first_seen, f.observed_at
            FROM (SELECT * FROM batch_final WHERE NOT in_store) f
            JOIN {source} b ON b.seq = f.last_seq"""
        )
        sets = ", ".join(f"{c} = coalesce(f.{c}, posts.{c})" for c in COUNT_COLUMNS)
        con.execute(
            f"""UPDATE posts SET {sets}, observed_at = f.observed_at,
                   root_deleted = posts.root_deleted OR b.root_deleted
            FROM (SELECT * FROM batch_final WHERE in_store AND any_change) f
            JOIN {source} b ON b.seq = f.last_seq
            WHERE f.observed_at >= posts.observed_at
              AND posts.platform = f.platform AND posts.post_id = f.post_id"""
        )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def write_account_snapshots(
    con: duckdb.DuckDBPyConnection, batch: pa.Table | str, *, dry_run: bool = False
) -> int:
    """Append follower/friend/status counts for accounts whose counts changed; return rows added.

    ``batch`` is an Arrow table (ACCOUNT_SNAPSHOT_SCHEMA, one row per account) or the name
    of a table or view of ``con`` with those columns.
    """
    if dry_run or (isinstance(batch, pa.Table) and batch.num_rows == 0):
        return 0
    if isinstance(batch, pa.Table):
        con.complete()
        con.register("acc_in", batch)
        source = "acc_in"
    else:
        source = batch
    try:
        cols = ", ".join(ACCOUNT_COUNT_COLUMNS)
        before = con.execute("SELECT count(*) FROM account_snapshots").fetchall()[0][0]
        con.execute(
            f"""INSERT INTO account_snapshots
            WITH last AS (
                SELECT platform, uid, arg_max(followers, observed_at) AS followers,
                       arg_max(friends, observed_at) AS friends,
                       arg_max(statuses, observed_at) AS statuses
                FROM account_snapshots
                SEMI JOIN (SELECT DISTINCT platform, uid FROM {source}) x USING (platform, uid)
                GROUP BY platform, uid
            )
            SELECT a.platform, a.uid, a.observed_at, a.{cols.replace(", ", ", a.")}
            FROM {source} a LEFT JOIN last l USING (platform, uid)
            WHERE l.uid IS NULL OR {_changed("a", "l", ACCOUNT_COUNT_COLUMNS)}"""
        )
        after = con.execute("SELECT count(*) FROM account_snapshots").fetchall()[0][0]
    finally:
        if source == "acc_in":
            con.unregister("acc_in")
    return int(after) - int(before)


def write_hot_search(
    con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], *, dry_run: bool = False
) -> WriteCounts:
    """Store hot-search entries once per (day, title), each with its best rank of the day.

    A daily archive is the union of hourly scrapes: one title comes several times a day,
    each with the ``band_rank`` of its hour (俄亥俄 is 2, then 1 on 2023-02-13). The row
    kept is the one of the best (lowest) rank, its URL with it; an entry stored already is
    updated when a later one ranks better, else it is a duplicate, as are the other
    elements of the same (day, title).
    """
    counts = WriteCounts()
    if not rows:
        return counts
    import msgspec

    encode = msgspec.json.Encoder().encode
    # The JSON reader has no date type: days arrive as text and are cast.
    as_text = HOT_SEARCH_SCHEMA.set(0, pa.field("day", pa.string()))
    table = table_from_json_lines(
        b"\n".join(encode({**r, "seq": i}) for i, r in enumerate(rows)), as_text
    )
    table = table.set_column(0, "day", table["day"].cast(pa.date32()))
    con.complete()
    con.register("hs_in", table)
    try:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE hs_cls AS
            SELECT h.*,
                   row_number() OVER (PARTITION BY h.day, h.title
                                      ORDER BY h.rank NULLS LAST, h.seq) AS k,
                   s.title IS NOT NULL AS in_store,
                   h.rank IS NOT NULL AND s.title IS NOT NULL
                       AND (s.rank IS NULL OR h.rank < s.rank) AS better
            FROM hs_in h LEFT JOIN hot_search s ON s.day = h.day AND s.title = h.title"""
        )
        imported, updated, duplicates = con.execute(
            "SELECT count(*) FILTER (WHERE k = 1 AND NOT in_store), "
            "count(*) FILTER (WHERE k = 1 AND better), "
            "count(*) FILTER (WHERE k > 1 OR (in_store AND NOT better)) FROM hs_cls"
        ).fetchall()[0]
        counts.imported, counts.updated = int(imported), int(updated)
        counts.duplicates = int(duplicates)
        if not dry_run:
            con.execute(
                "INSERT INTO hot_search SELECT day, title, url, rank, now()::TIMESTAMP "
                "FROM hs_cls WHERE k = 1 AND NOT in_store"
            )
            con.execute(
                """UPDATE hot_search SET rank = c.rank, url = c.url FROM hs_cls c
                WHERE c.k = 1 AND c.better AND hot_search.day = c.day
                  AND hot_search.title = c.title"""
            )
    finally:
        con.unregister("hs_in")
        con.execute("DROP TABLE IF EXISTS hs_cls")
    return counts


def export_parquet(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Write posts, post and account snapshots and comments as Parquet by platform and month."""
    out_dir.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""COPY (SELECT *, strftime(created_at + INTERVAL 8 HOUR, '%Y-%m') AS month FROM posts)
        TO '{out_dir / "posts"}' (FORMAT PARQUET, PARTITION_BY (platform, month),
        OVERWRITE_OR_IGNORE)"""
    )
    con.execute(
        f"""COPY (SELECT *, strftime(observed_at + INTERVAL 8 HOUR, '%Y-%m') AS month
              FROM post_snapshots)
        TO '{out_dir / "post_snapshots"}' (FORMAT PARQUET, PARTITION_BY (platform, month),
        OVERWRITE_OR_IGNORE)"""
    )
    # Follower counts over time (the index's follower metrics read them).
    con.execute(
        f"""COPY (SELECT *, strftime(observed_at + INTERVAL 8 HOUR, '%Y-%m') AS month
              FROM account_snapshots)
        TO '{out_dir / "account_snapshots"}' (FORMAT PARQUET, PARTITION_BY (platform, month),
        OVERWRITE_OR_IGNORE)"""
    )
    # A store last written before comments existed has no such table (read-only opens do
    # not create it); one with none yet writes no files.
    if has_base_table(con, "comments"):
        con.execute(
            f"""COPY (SELECT *, strftime(created_at + INTERVAL 8 HOUR, '%Y-%m') AS month
                  FROM comments)
            TO '{out_dir / "comments"}' (FORMAT PARQUET, PARTITION_BY (platform, month),
            OVERWRITE_OR_IGNORE)"""
        )
    return sorted(out_dir.rglob("*.parquet"))


def backup(dest: Path, *, wait: float | None = None) -> dict[str, int]:
    """Copy the store file to ``dest`` while holding it open for reading; return bytes, posts.

    A process that has the file open, even read-only, keeps every writer out (see
    :func:`connect`), so the copy is one consistent state; an import or index run that
    holds the store is waited for (``store_write_wait`` by default), like a writer would.
    """
    source = get_settings().resolved_analytics_path
    if not source.exists():
        raise NotFoundError(f"分析库文件不存在：{source}", f"no analytics store at {source}")
    if dest.exists():
        raise ConflictError(f"目标文件已存在：{dest}", f"the backup file already exists: {dest}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    wait = get_settings().store_write_wait if wait is None else wait
    with open_store(source, read_only=True, wait=wait) as con:
        row = con.execute("SELECT count(*) FROM posts").fetchone()
        shutil.copyfile(source, partial)
        wal = source.with_name(source.name + ".wal")  # left by a writer that did not close
        if wal.exists():
            shutil.copyfile(wal, dest.with_name(dest.name + ".wal"))
    partial.replace(dest)
    return {"bytes": dest.stat().st_size, "posts": int(row[0]) if row else 0}
