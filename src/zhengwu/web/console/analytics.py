"""Reads of the analytics store for console pages: posts per day, recent posts, compliance.

The store is opened read-only per page; with nothing imported yet it is an empty in-memory
store (see :func:`zhengwu.content.store.connect`), so every page still renders. Compliance
is the index's gate (:mod:`zhengwu.index.compliance`) on the check date of the latest
stored index run that ranks the accounts' platforms (the default system first) — the same
verdict that run's rankings used — or on today without such a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Select
from sqlalchemy.orm import Session

from zhengwu.content.store import open_store
from zhengwu.index import compliance, results
from zhengwu.index.periods import china_date
from zhengwu.index.system import DEFAULT_SYSTEM, system_titles
from zhengwu.web.console.base import CHINA


@contextmanager
def analytics() -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the analytics store read-only for one page."""
    with open_store(read_only=True) as con:
        yield con


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@dataclass(slots=True)
class DailySeries:
    """Posts and engagement (reposts + comments + likes) per China day."""

    start: date
    end: date
    labels: list[str] = field(default_factory=list)
    posts: list[float | None] = field(default_factory=list)
    engagement: list[float | None] = field(default_factory=list)


def daily_series(
    con: duckdb.DuckDBPyConnection, platform: str, uid: str, *, days: int = 30
) -> DailySeries:
    """Return ``days`` days of an account's posts and engagement, ending with its last post."""
    row = con.execute(
        "SELECT max(created_at) FROM posts WHERE platform = ? AND account_uid = ?", [platform, uid]
    ).fetchone()
    last: datetime | None = row[0] if row else None
    end = china_date(last) if last else datetime.now(CHINA).date()
    start = end - timedelta(days=days - 1)
    found = {
        r["day"]: r
        for r in _rows(
            con.execute(
                """SELECT CAST(created_at + INTERVAL 8 HOUR AS DATE) AS day, count(*) AS posts,
                          sum(coalesce(reposts, 0) + coalesce(comments, 0) + coalesce(likes, 0))
                              AS engagement
                   FROM posts WHERE platform = ? AND account_uid = ?
                     AND CAST(created_at + INTERVAL 8 HOUR AS DATE) BETWEEN ? AND ?
                   GROUP BY ALL""",
                [platform, uid, start, end],
            )
        )
    }
    series = DailySeries(start=start, end=end)
    for i in range(days):
        day = start + timedelta(days=i)
        series.labels.append(day.strftime("%m-%d"))
        hit = found.get(day)
        series.posts.append(float(hit["posts"]) if hit else 0.0)
        series.engagement.append(float(hit["engagement"] or 0) if hit else 0.0)
    return series


def recent_posts(
    con: duckdb.DuckDBPyConnection, platform: str, uid: str, *, limit: int = 20
) -> list[dict[str, Any]]:
    """Return an account's latest posts with their counts (China time)."""
    return _rows(
        con.execute(
            """SELECT post_id, created_at + INTERVAL 8 HOUR AS created_local, text, title, url,
                      is_repost, coalesce(reposts, 0) AS reposts, coalesce(comments, 0) AS comments,
                      coalesce(likes, 0) AS likes, reads
               FROM posts WHERE platform = ? AND account_uid = ?
               ORDER BY created_at DESC, post_id LIMIT ?""",
            [platform, uid, limit],
        )
    )


@dataclass(frozen=True, slots=True)
class Check:
    """The compliance check the console shows: date, window and the run it belongs to."""

    check_date: date
    window_days: int | None
    reply_check: bool
    run_id: str | None
    system: str | None = None
    system_title: str | None = None
    period: str | None = None


def latest_check(con: duckdb.DuckDBPyConnection, platforms: Iterable[str] | None = None) -> Check:
    """Return the check of the run to quote for accounts on ``platforms``, or today's.

    The run is the latest one that ranks accounts on one of ``platforms`` (any platform
    when None), the default system first on the same period
    (:func:`zhengwu.index.results.preferred_run`); without such a run, today's check.
    """
    run = results.preferred_run(con, platforms, prefer=DEFAULT_SYSTEM)
    if run is None:
        return Check(datetime.now(CHINA).date(), None, True, None)
    system = str(run["system"])
    return Check(
        run["check_date"], run["compliance_window_days"], run["reply_check"], run["run_id"],
        system=system, system_title=system_titles().get(system, system), period=run["period"],
    )  # fmt: skip


def compliance_report(
    session: Session,
    con: duckdb.DuckDBPyConnection,
    accounts: Select[Any] | Iterable[int] | pa.Table,
    check: Check,
    **page: Any,
) -> dict[str, Any]:
    """Return the compliance gate's report for ``accounts`` on ``check``'s date, with
    ``check``'s window and reply check (:func:`zhengwu.index.compliance.named_report`:
    ``accounts`` are ids, a SELECT of ids or keys already read; ``page`` is ``failing_only``,
    ``limit``, ``offset``)."""
    rules = compliance.ComplianceRules.from_settings(
        window_days=check.window_days, reply_check=check.reply_check
    )
    return compliance.named_report(session, con, accounts, check.check_date, rules, **page)
