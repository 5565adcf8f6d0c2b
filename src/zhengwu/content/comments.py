"""Comments in the analytics store: insert new ones, move counts forward, classify.

A comment keeps its latest like and reply counts only (no snapshots: the index reads
comments for who replied when, not for their engagement history). Its author is kept as a
uid and nothing else — no nickname, gender, avatar, profile link or IP location — because
most commenters are private persons. The view ``account_replies`` (see
:mod:`zhengwu.content.store`) turns the comments of accounts into their own replies.

Classification of the primary rows, the same words as for posts:

* imported — a comment not stored before (its first row in the batch);
* updated — a later observation with a changed like or reply count (NULL = not observed);
* duplicate — nothing new, including an observation older than the stored one (the store
  keeps the latest state, so an old file re-imported after a newer one changes nothing).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from zhengwu.content.store import WriteCounts, counts_changed, has_base_table

COMMENT_COUNTS = ("likes", "sub_comments")
_TEMP = ("cm_cls", "cm_final")


def _stored_table(con: duckdb.DuckDBPyConnection) -> str:
    """Return the stored comments, or an empty relation on a store that predates them.

    A dry run opens the store read-only, and a store written by an older zhengwu has no
    ``comments`` table yet: nothing is stored there, so every comment is new.
    """
    if has_base_table(con, "comments"):
        return "comments"
    return (
        "(SELECT NULL::VARCHAR AS platform, NULL::VARCHAR AS comment_id, NULL::BIGINT AS likes, "
        "NULL::BIGINT AS sub_comments, NULL::TIMESTAMP AS observed_at WHERE false)"
    )


def write_comments(
    con: duckdb.DuckDBPyConnection, batch: pa.Table, *, dry_run: bool = False
) -> WriteCounts:
    """Insert new comments, update changed counts, and classify the rows of ``batch``.

    ``batch`` has the columns of :data:`zhengwu.content.store.COMMENT_SCHEMA` (``seq`` =
    input order, unique; every row is a primary record).
    """
    counts = WriteCounts()
    if batch.num_rows == 0:
        return counts
    con.complete()  # a caller's half-fetched result would block register()
    con.register("cm_in", batch)
    try:
        _classify(con, counts)
        if not dry_run:
            _write(con)
    finally:
        con.unregister("cm_in")
        for table in _TEMP:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return counts


def _classify(con: duckdb.DuckDBPyConnection, counts: WriteCounts) -> None:
    # Each row is compared with the previous row of the same comment in the batch, the
    # first one with the stored comment.
    prev = ", ".join(f"lag(b.{c}) OVER w AS prev_{c}" for c in COMMENT_COUNTS)
    changed = counts_changed(COMMENT_COUNTS, stored="old_")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE cm_cls AS
        WITH rows AS (
            SELECT b.*, row_number() OVER w AS k, {prev},
                   s.comment_id IS NOT NULL AS in_store, s.likes AS old_likes,
                   s.sub_comments AS old_sub_comments, s.observed_at AS old_observed
            FROM cm_in b LEFT JOIN {_stored_table(con)} s USING (platform, comment_id)
            WINDOW w AS (PARTITION BY b.platform, b.comment_id ORDER BY b.seq)
        )
        SELECT *, CASE WHEN k = 1 AND NOT in_store THEN 'imported'
                       WHEN k = 1 AND observed_at < old_observed THEN 'duplicate'
                       WHEN {changed} THEN 'updated'
                       ELSE 'duplicate' END AS outcome
        FROM rows"""
    )
    for outcome, n in con.execute("SELECT outcome, count(*) FROM cm_cls GROUP BY ALL").fetchall():
        if outcome == "imported":
            counts.imported = int(n)
        elif outcome == "updated":
            counts.updated = int(n)
        else:
            counts.duplicates = int(n)


def _write(con: duckdb.DuckDBPyConnection) -> None:
    # The final state of each comment: identity and text from its last row, each count the
    # last one observed in the batch.
    last = ", ".join(
        f"arg_max({c}, seq) FILTER (WHERE {c} IS NOT NULL) AS {c}" for c in COMMENT_COUNTS
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE cm_final AS
        SELECT platform, comment_id, max(seq) AS last_seq, {last}, max(observed_at) AS observed_at,
               bool_or(in_store) AS in_store, bool_or(outcome <> 'duplicate') AS any_change
        FROM cm_cls GROUP BY platform, comment_id"""
    )
    con.execute("BEGIN")
    try:
        con.execute(
            """INSERT INTO comments
            SELECT f.platform, f.comment_id, b.note_id, b.parent_comment_id, b.account_uid,
                   b.created_at, b.content, f.likes, f.sub_comments, f.observed_at AS first_seen,
                   f.observed_at
            FROM (SELECT * FROM cm_final WHERE NOT in_store) f
            JOIN cm_in b ON b.seq = f.last_seq"""
        )
        sets = ", ".join(f"{c} = coalesce(f.{c}, comments.{c})" for c in COMMENT_COUNTS)
        con.execute(
            f"""UPDATE comments SET {sets}, observed_at = f.observed_at
            FROM (SELECT * FROM cm_final WHERE in_store AND any_change) f
            WHERE f.observed_at >= comments.observed_at
              AND comments.platform = f.platform AND comments.comment_id = f.comment_id"""
        )
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
