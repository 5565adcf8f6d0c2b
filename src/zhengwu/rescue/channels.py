"""Intake from imported posts: the analytics store (DuckDB ``posts``) and post files.

:func:`intake_from_posts` scans the posts already imported (any platform, any importer)
for the incident's hashtags and keywords inside its time window, and takes them in; a
repost is read with the text of its root. Re-running it takes in only what is new.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError
from zhengwu.rescue import intake
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import Incident
from zhengwu.rescue.posts import ReadReport, post_url, read_help_posts
from zhengwu.rescue.schemas import IntakeReport

BATCH = 5_000

_QUERY = """
SELECT p.platform, p.post_id, p.account_uid, p.created_at, p.text, p.is_repost,
       p.root_post_id, p.url, r.text AS root_text, r.created_at AS root_created_at
FROM posts p
LEFT JOIN posts r ON r.platform = p.platform AND r.post_id = p.root_post_id
WHERE p.created_at >= $start AND ($end IS NULL OR p.created_at <= $end)
  AND (list_has_any(p.topics, $tags) OR list_has_any(coalesce(r.topics, []), $tags)
       OR regexp_matches(coalesce(p.text, ''), $pattern)
       OR regexp_matches(coalesce(r.text, ''), $pattern))
ORDER BY p.created_at, p.platform, p.post_id
"""


def _naive_utc(moment: datetime | None) -> datetime | None:
    # The store keeps UTC as naive TIMESTAMP.
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: Any) -> datetime | None:
    return moment.replace(tzinfo=UTC) if isinstance(moment, datetime) else None


def matching_posts(con: duckdb.DuckDBPyConnection, *, incident: Incident) -> list[HelpPostIn]:
    """Return the stored posts carrying the incident's hashtags or keywords in its window."""
    terms = [f"#{tag}#" for tag in incident.hashtags] + list(incident.keywords)
    if not terms:
        raise InvalidInputError(
            f"灾情「{incident.name}」没有话题或关键词，无法从帖子中筛选求助",
            f"incident {incident.name} has no hashtags or keywords to select posts by",
        )
    con.complete()  # a caller's half-fetched result would block this query (DuckDB 2)
    rows = con.execute(
        _QUERY,
        {
            "start": _naive_utc(incident.starts_at),
            "end": _naive_utc(incident.ends_at),
            "tags": list(incident.hashtags) or [""],
            "pattern": "|".join(re.escape(t) for t in terms),
        },
    ).fetchall()
    return [
        HelpPostIn(
            platform=platform,
            post_id=post_id,
            text=text or "",
            posted_at=_aware(created),
            author=uid,
            url=post_url(platform, post_id, uid, url),
            is_repost=bool(is_repost),
            root_post_id=root_id,
            root_text=root_text,
            root_posted_at=_aware(root_created),
        )
        for platform, post_id, uid, created, text, is_repost, root_id, url, root_text, root_created in rows
    ]


def intake_from_posts(
    session: Session,
    analytics_con: duckdb.DuckDBPyConnection,
    *,
    incident: Incident,
    actor: Principal,
    workers: int = 1,
) -> IntakeReport:
    """Take in the imported posts of an incident (idempotent by source post id)."""
    return _take_all(session, incident, iter(matching_posts(analytics_con, incident=incident)),
                     actor, workers)  # fmt: skip


def intake_file(
    session: Session,
    *,
    incident: Incident,
    path: Path,
    fmt: str,
    actor: Principal,
    workers: int = 1,
) -> IntakeReport:
    """Take in a file of posts in any importable format (quarantined records counted)."""
    read = ReadReport()
    report = _take_all(session, incident, read_help_posts(path, fmt=fmt, report=read), actor,
                       workers)  # fmt: skip
    report.read += read.quarantined
    report.quarantined += read.quarantined
    return report


def _take_all(
    session: Session,
    incident: Incident,
    posts: Iterator[HelpPostIn],
    actor: Principal,
    workers: int,
) -> IntakeReport:
    total = IntakeReport()
    batch: list[HelpPostIn] = []

    def flush() -> None:
        done = intake.take_in(session, incident=incident, posts=batch, actor=actor,
                              workers=workers).report  # fmt: skip
        for name in ("read", "known", "ignored", "quarantined", "new_requests", "merged"):
            setattr(total, name, getattr(total, name) + getattr(done, name))
        total.request_ids.extend(done.request_ids)
        batch.clear()

    for post in posts:
        batch.append(post)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return total
