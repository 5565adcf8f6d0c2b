"""Search posts in the DuckDB analytics store by a vectorised scan (帖文检索).

Decided by measurement (``benchmarks/bench_search.py``: 10 M simulated posts over one
year, 2-core machine shared with other jobs, load average 12–15): a DuckDB scan —
``contains`` of every query term over the posts of a time window, newest first, ``LIMIT``
:data:`COUNT_CAP` — answers 40 queries over the default **7-day window** with p50 78 ms,
p95 175 ms, max 176 ms; over 30 days p50 88 ms but p95 624 ms (a term that matches
nothing reads the whole window); over the whole year p95 6.5 s. The store is written in
time order, so DuckDB's zone maps skip the row groups outside the window, and its top-N
pushes a ``created_at`` bound into the scan once it has enough matches, so a common term
stops early. The count therefore stops at :data:`COUNT_CAP` ("100+"). A terms table built
at import was rejected: it needs jieba over every post (~330,000 characters a second on
one core, i.e. about 50 minutes per 10 M posts, and several hundred million postings),
which would slow the importer — already the bottleneck (README, ``bench_import``).

The scan finds candidates by substring of each analyzed query term (AND, or OR in the
fallback); each candidate's text is then cut by the same analyzer as documents and queries
(:func:`zhengwu.search.segment.analyze`) and kept only when the terms are among its words,
so a term found across a word boundary (市长 in 南京市长江大桥) is not a match. That costs
one jieba pass over at most a few hundred short texts per query, not over every post.
Snippets are masked (``zhengwu.privacy.mask_text``) before they are shown, and a query
term that is a long digit run (a phone or ID number) is never used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from zhengwu.content import store

DEFAULT_DAYS = 7  # measured: 7 days of 10 M posts/year answer in < 200 ms, 30 days do not
# The windows the console offers (None: every post in the store — slow at national scale).
WINDOW_CHOICES: tuple[int | None, ...] = (7, 30, 90, 365, None)
COUNT_CAP = 100  # counts of posts stop here ("100+"): an exact count would scan the window
# Substring candidates checked word by word per query, at most: past this many, the count
# is what was confirmed so far (a query whose term sits inside other words that often is
# rare, and the newest matches are still found first).
MAX_CANDIDATES = 5 * COUNT_CAP
_PERSONAL_NUMBER = re.compile(r"\d{7,}")


@dataclass(frozen=True, slots=True)
class PostHit:
    """A post that matched."""

    platform: str
    post_id: str
    account_uid: str | None
    created_at: datetime
    text: str
    url: str | None


@dataclass(frozen=True, slots=True)
class PostWindow:
    """The time window a post search covered: ``days`` up to the newest post in the store.

    ``days`` None is the whole store; ``start`` is then None, and ``end`` is None when the
    store holds no post at all.
    """

    days: int | None
    start: datetime | None
    end: datetime | None


@dataclass(frozen=True, slots=True)
class PostSearch:
    """What a post search found: the (capped) count, the newest hits, the window."""

    count: int
    hits: list[PostHit]
    window: PostWindow


def window(con: duckdb.DuckDBPyConnection, days: int | None = DEFAULT_DAYS) -> PostWindow:
    """Return the window of ``days`` ending at the newest post (not today: old data stays
    searchable), or the whole store for ``days`` None."""
    row = con.execute("SELECT max(created_at) FROM posts").fetchone()
    newest = row[0] if row else None
    if newest is None or days is None:
        return PostWindow(days, None, newest)
    return PostWindow(days, newest - timedelta(days=days), newest)


def usable_terms(terms: list[str]) -> list[str]:
    """Return the terms a post scan may use (never a phone or ID number)."""
    return [t for t in terms if not _PERSONAL_NUMBER.search(t)]


def _where(terms: list[str], mode: str) -> tuple[str, list[object]]:
    parts = []
    params: list[object] = []
    for term in terms:
        column = "lower(text)" if term.isascii() else "text"
        parts.append(f"contains({column}, ?)")
        params.append(term)
    joiner = " AND " if mode == "and" else " OR "
    return "(" + joiner.join(parts) + ")", params


def search_posts(
    con: duckdb.DuckDBPyConnection,
    terms: list[str],
    *,
    mode: str = "and",
    days: int | None = DEFAULT_DAYS,
    platform: str | None = None,
    limit: int = 20,
    span: PostWindow | None = None,
) -> tuple[int, list[PostHit]]:
    """Return how many posts of the window match (at most :data:`COUNT_CAP`) and the newest.

    The window is the last ``days`` days up to the newest post in the store (``days`` None:
    every post); ``span`` passes one already read by :func:`window`. One scan: the newest
    ``COUNT_CAP`` matches, newest first. DuckDB's top-N pushes a ``created_at`` bound into
    the scan once it has them, so a common term stops early and only a rare one reads the
    whole window.
    """
    terms = usable_terms(terms)
    if not terms:
        return 0, []
    match, params = _where(terms, mode)
    span = span or window(con, days)
    if span.end is None:
        return 0, []
    where = match
    args: list[object] = [*params]
    if span.start is not None:
        where = f"created_at >= ? AND {match}"
        args = [span.start, *params]
    if platform:
        where += " AND platform = ?"
        args.append(platform)
    query = (
        f"SELECT platform, post_id, account_uid, created_at, text, url FROM posts "
        f"WHERE {where} ORDER BY created_at DESC, post_id LIMIT ? OFFSET ?"
    )
    rows: list[tuple[Any, ...]] = []
    seen = 0
    while len(rows) < COUNT_CAP and seen < MAX_CANDIDATES:
        batch = con.execute(query, [*args, COUNT_CAP, seen]).fetchall()
        rows.extend(r for r in batch if words_match(r[4] or "", terms, mode))
        seen += len(batch)
        if len(batch) < COUNT_CAP:
            break
    rows = rows[:COUNT_CAP]
    hits = [PostHit(r[0], r[1], r[2], r[3], r[4] or "", r[5]) for r in rows[:limit]]
    return len(rows), hits


def words_match(text: str, terms: list[str], mode: str) -> bool:
    """Tell whether ``terms`` are words of ``text`` as the search analyzer cuts it."""
    from zhengwu.search.segment import analyze  # lazy: jieba loads on the first search

    words = set(analyze(text))
    return all(t in words for t in terms) if mode == "and" else any(t in words for t in terms)


def search_store(
    terms: list[str], *, mode: str = "and", days: int | None = DEFAULT_DAYS, limit: int = 20
) -> PostSearch:
    """Search the configured analytics store (read-only) for ``terms``, with the window."""
    with store.open_store(read_only=True) as con:
        span = window(con, days)
        count, hits = search_posts(con, terms, mode=mode, limit=limit, span=span)
        return PostSearch(count, hits, span)
