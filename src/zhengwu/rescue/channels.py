"""Intake from imported posts: the analytics store (DuckDB ``posts``) and post files.

:func:`intake_from_posts` scans the posts already imported (any platform, any importer)
inside the incident's time window and takes in those that carry

- one of the incident's hashtags (as a topic or ``#tag#`` in the text), or
- one of its keywords anywhere in the text, or
- a place of its area (the names, full and short, of its regions and of the divisions
  one level below them: 郑州市/郑州, 金水区/金水 …) **together with** a help marker
  (求助, 救命, 被困 … :data:`zhengwu.rescue.lexicon.HELP_MARKERS` and the "trapped" need):
  people in trouble do not look up the hashtag first.

A repost is read with the text of its root. What is read then goes through the same
help test (:mod:`zhengwu.rescue.kind`) as every post: a post matched by place that is not
a help post is set aside with its reason, never dropped. Re-running it takes in only what
is new.

Live, the posts are taken in at once, on the real clock. With ``as_of`` (the demo, which
plays a past period) the intake is replayed on a simulated clock standing at that moment:
posts after it are not read, and the posts are taken in hour by hour as they were
posted, each hour's batch at the time of its last post — as if the intake had run every
hour — so requests, sources, merges, their audit entries and any notice carry the
period's times, never today's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError
from zhengwu.platforms.records import QuarantineRecord
from zhengwu.rescue import intake
from zhengwu.rescue.lexicon import HELP_MARKERS
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import SET_ASIDE_REASON_MAX, Incident, SetAside
from zhengwu.rescue.posts import ReadReport, post_url, read_help_posts
from zhengwu.rescue.schemas import IntakeReport
from zhengwu.storable import shown

BATCH = 5_000

_QUERY = """
SELECT p.platform, p.post_id, p.account_uid, p.created_at, p.text, p.is_repost,
       p.root_post_id, p.url, r.text AS root_text, r.created_at AS root_created_at
FROM posts p
LEFT JOIN posts r ON r.platform = p.platform AND r.post_id = p.root_post_id
WHERE p.created_at >= $start AND ($end IS NULL OR p.created_at <= $end)
  AND (list_has_any(p.topics, $tags) OR list_has_any(coalesce(r.topics, []), $tags)
       OR ($pattern <> '' AND (regexp_matches(coalesce(p.text, ''), $pattern)
                               OR regexp_matches(coalesce(r.text, ''), $pattern)))
       OR ($area <> '' AND regexp_matches(coalesce(p.text, '') || ' ' || coalesce(r.text, ''), $area)
           AND regexp_matches(coalesce(p.text, '') || ' ' || coalesce(r.text, ''), $help)))
ORDER BY p.created_at, p.platform, p.post_id
"""


# What marks a post as asking for help, for posts matched by place only. DuckDB speaks
# RE2 (no lookarounds): the help markers, and the trapped words without their guards.
_TRAPPED = "被困|困在|困住|受困|围困|被水围|出不去|出不来|下不来|下不去"
_HELP_PATTERN = "(?i)(?:" + HELP_MARKERS.pattern + "|" + _TRAPPED + ")"
_SHORT_NAME_MIN = 2  # one-character short names (豫) would match everything


def area_names(incident: Incident) -> list[str]:
    """Return the place names of an incident's area, longest first: its regions' and their
    direct subdivisions' full and short names (short ones of two characters or more)."""
    names: set[str] = set()
    for code in incident.regions:
        division = regions.get(code)
        if division is None:
            continue
        for place in (division, *regions.children(code)):
            names.add(place.name)
            if len(place.short_name) >= _SHORT_NAME_MIN:
                names.add(place.short_name)
    return sorted(names, key=lambda n: (-len(n), n))


def _naive_utc(moment: datetime | None) -> datetime | None:
    # The store keeps UTC as naive TIMESTAMP.
    return None if moment is None else moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: Any) -> datetime | None:
    return moment.replace(tzinfo=UTC) if isinstance(moment, datetime) else None


def matching_posts(
    con: duckdb.DuckDBPyConnection, *, incident: Incident, until: datetime | None = None
) -> list[HelpPostIn]:
    """Return the stored posts carrying the incident's hashtags or keywords in its window.

    ``until`` ends the window earlier than the incident does (a simulated clock's now).
    """
    terms = [f"#{tag}#" for tag in incident.hashtags] + list(incident.keywords)
    places = area_names(incident)
    if not terms and not places:
        raise InvalidInputError(
            f"灾情「{incident.name}」没有话题、关键词或区域，无法从帖子中筛选求助",
            f"incident {incident.name} has no hashtags, keywords or regions to select posts by",
        )
    end = incident.ends_at
    if until is not None:
        end = until if end is None else min(end, until)
    con.complete()  # a caller's half-fetched result would block this query (DuckDB 2)
    rows = con.execute(
        _QUERY,
        {
            "start": _naive_utc(incident.starts_at),
            "end": _naive_utc(end),
            "tags": list(incident.hashtags) or [""],
            "pattern": "|".join(re.escape(t) for t in terms),  # '' (none): not searched
            "area": "|".join(re.escape(p) for p in places),
            "help": _HELP_PATTERN,
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
    as_of: datetime | None = None,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> IntakeReport:
    """Take in the imported posts of an incident (idempotent by source post id).

    ``as_of``: replay on a simulated clock standing at that moment (see the module doc).
    ``on_start(n)`` is told how many posts match, ``on_progress(n)`` how many more were
    taken in after each batch (a command line's progress bar).
    """
    posts = matching_posts(analytics_con, incident=incident, until=as_of)
    if on_start is not None:
        on_start(len(posts))
    if as_of is None:
        return _take_all(session, incident, iter(posts), actor, workers, on_progress=on_progress)
    total = IntakeReport()
    for _, hour in groupby(posts, key=lambda p: _hour(p.posted_at or as_of)):
        batch = list(hour)
        at = max(p.posted_at or as_of for p in batch)
        done = _take_all(session, incident, iter(batch), actor, workers, now=at,
                         on_progress=on_progress)  # fmt: skip
        _add(total, done)
    return total


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def intake_file(
    session: Session,
    *,
    incident: Incident,
    path: Path,
    fmt: str,
    actor: Principal,
    workers: int = 1,
    on_progress: Callable[[int], None] | None = None,
) -> IntakeReport:
    """Take in a file of posts in any importable format; ``on_progress(n)``: ``n`` more
    posts were taken in (after each batch).

    A record the importer cannot read (broken JSON, a bad date …) is set aside as
    ``quarantined`` with its place in the file, the reason and its raw text — on the
    incident's 未受理 list, to fix and take in again or promote, as a refused sheet row
    is — and the report's warnings name the first :data:`WARNED` of them. Taking in the
    same file again sets none aside twice.
    """
    read = ReadReport()
    report = _take_all(session, incident, read_help_posts(path, fmt=fmt, report=read), actor,
                       workers, on_progress=on_progress)  # fmt: skip
    report.read += read.quarantined
    report.quarantined += read.quarantined
    report.warnings.extend(_set_aside_unreadable(session, incident, path, read.records or []))
    return report


WARNED = 20  # unreadable records of a post file named one by one in the report


def _set_aside_unreadable(
    session: Session, incident: Incident, path: Path, records: list[QuarantineRecord]
) -> list[str]:
    """Keep the records of ``path`` its importer refused as set-aside inputs; return the
    warnings that name them."""
    warnings: list[str] = []
    fresh: dict[str, SetAside] = {}
    for record in records:
        where = record.source
        if where.startswith(str(path)):  # the file's name, as a sheet's rows are named
            where = path.name + where[len(str(path)) :]
        raw = shown(record.raw or "")
        key = "file-" + hashlib.sha1(f"{where}\n{raw}".encode()).hexdigest()[:20]
        reason = f"{where}：{record.reason}"
        fresh[key] = SetAside(
            incident_id=incident.id, kind="quarantined", channel="post", platform="file",
            post_id=key, reason=reason[:SET_ASIDE_REASON_MAX], text=raw, author=path.name,
        )  # fmt: skip
        if len(warnings) < WARNED:
            warnings.append(reason)
    if not fresh:
        return warnings
    stored = set(session.scalars(select(SetAside.post_id).where(
        SetAside.incident_id == incident.id, SetAside.platform == "file",
        SetAside.post_id.in_(list(fresh)))))  # fmt: skip
    session.add_all(aside for key, aside in fresh.items() if key not in stored)
    session.flush()
    more = len(records) - len(warnings)
    warnings.append(
        (f"另有 {more} 条无法读取的记录；" if more > 0 else "")
        + f"无法读取的 {len(records)} 条记录已放入未受理列表（控制台「未受理的帖子和表格行」），"
        f"可修正后重新导入或转为求助 / "
        + (f"{more} more unreadable records; " if more > 0 else "")
        + f"the {len(records)} unreadable records are on the set-aside list, to fix and take "
        "in again or promote"
    )
    return warnings


def _take_all(
    session: Session,
    incident: Incident,
    posts: Iterator[HelpPostIn],
    actor: Principal,
    workers: int,
    now: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> IntakeReport:
    total = IntakeReport()
    batch: list[HelpPostIn] = []

    def flush() -> None:
        done = intake.take_in(session, incident=incident, posts=batch, actor=actor,
                              workers=workers, now=now).report  # fmt: skip
        _add(total, done)
        if on_progress is not None:
            on_progress(len(batch))
        batch.clear()

    for post in posts:
        batch.append(post)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return total


def _add(total: IntakeReport, done: IntakeReport) -> None:
    for name in ("read", "known", "ignored", "quarantined", "new_requests", "merged"):
        setattr(total, name, getattr(total, name) + getattr(done, name))
    total.request_ids.extend(done.request_ids)
