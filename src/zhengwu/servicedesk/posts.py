"""Intake from imported posts: @mentions of matrix accounts and service hashtags.

The analytics store's ``posts`` table holds every imported post. A post becomes (or joins)
a request when it mentions an account of any matrix (``@平安郑州 …``) or carries one of
the service hashtags (#马上办# #问政# …). Posts by matrix accounts themselves are their own
replies and announcements, not requests. Re-running the scan is harmless: each post's
``platform:post_id`` is the request source's idempotency key, and a repost joins the
request of the post it reposts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, MatrixMember
from zhengwu.auth.principal import Principal
from zhengwu.chinatime import CHINA
from zhengwu.errors import ZhengwuError
from zhengwu.servicedesk import service
from zhengwu.servicedesk.models import SOCIAL_SOURCES
from zhengwu.servicedesk.schemas import MAX_TEXT, RequestIntake

DEFAULT_HASHTAGS = ("马上办", "问政", "12345", "我要投诉", "有事找政府", "民生直通车", "随手拍")


@dataclass(slots=True)
class PostIntakeSummary:
    """What one scan did."""

    scanned: int = 0
    created: int = 0
    merged: int = 0
    existing: int = 0
    refused: int = 0


@dataclass(frozen=True, slots=True)
class PostWindow:
    """The time window a scan reads, and where the stored posts lie (None: no post)."""

    since: datetime
    until: datetime
    first_post: datetime | None
    newest_post: datetime | None

    def note(self, scanned: int) -> str | None:
        """Return what to tell a person when the window holds none of the stored posts."""
        if scanned:
            return None
        if self.newest_post is None or self.first_post is None:
            return (
                "没有已导入的帖子，请先导入（zhengwu import …） / no posts are stored: import "
                "some first (zhengwu import …)"
            )
        if self.since <= self.newest_post and self.first_post < self.until:
            return None  # posts in the window, none of them addressed to the desk
        first, newest = _china_minute(self.first_post), _china_minute(self.newest_post)
        return (
            f"窗口 {_china_minute(self.since)} – {_china_minute(self.until)} 内没有帖子；已存帖子在 "
            f"{first} – {newest}（用 --since 选择）/ no stored post lies in the window; the "
            f"stored posts run from {first} to {newest} (choose with --since)"
        )


def _china_minute(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def post_window(
    con: duckdb.DuckDBPyConnection, *, since: datetime | None, days: int, now: datetime
) -> PostWindow:
    """Return the window of a scan: from ``since`` to ``now``, or the last ``days`` days of
    stored posts — counted back from the newest post (today when the store is up to date,
    the end of the simulated period on the demo)."""
    row = con.execute("SELECT min(created_at), max(created_at) FROM posts").fetchone()
    first, newest = (
        (row[0].replace(tzinfo=UTC), row[1].replace(tzinfo=UTC))  # stored as naive UTC
        if row and row[0] is not None
        else (None, None)
    )
    if since is None:
        since = min(newest or now, now) - timedelta(days=days)
    return PostWindow(since, now, first, newest)


def _matrix_accounts(session: Session) -> dict[tuple[str, str], str]:
    """Return (platform, account name) → uid of every account in a matrix."""
    rows = session.execute(
        select(Account.platform, Account.name, Account.uid)
        .join(MatrixMember, MatrixMember.account_id == Account.id).distinct()
    )  # fmt: skip
    return {(platform, name): uid for platform, name, uid in rows}


def intake_from_posts(
    session: Session,
    analytics_con: duckdb.DuckDBPyConnection,
    *,
    since: datetime,
    actor: Principal,
    hashtags: Sequence[str] = DEFAULT_HASHTAGS,
    until: datetime | None = None,
    as_of: datetime | None = None,
) -> PostIntakeSummary:
    """Create or merge requests from the posts created in [since, until) (see module doc).

    Live (no ``as_of``): ``until`` defaults to the real clock and each post is taken in
    now. ``as_of`` replays the scan on a simulated clock standing at that moment (the
    demo's end of period): posts after it are not read, and each post is taken in, routed
    and logged at its own time, as if the desk had read it when it was posted.
    """
    accounts = _matrix_accounts(session)
    names = sorted({name for _, name in accounts})
    own = sorted(set(accounts.values()))
    tags = [t.strip("#") for t in hashtags]
    # DuckDB stores naive UTC timestamps.
    lo = since.astimezone(UTC).replace(tzinfo=None)
    end = until or as_of or datetime.now(UTC)
    end = min(end, as_of) if as_of is not None else end
    hi = end.astimezone(UTC).replace(tzinfo=None)
    rows = analytics_con.execute(
        """SELECT platform, post_id, account_uid, created_at, text, mentions, is_repost,
                  root_post_id
           FROM posts
           WHERE created_at >= ? AND created_at < ? AND text IS NOT NULL
             AND (list_has_any(coalesce(mentions, []), ?::VARCHAR[])
                  OR list_has_any(coalesce(topics, []), ?::VARCHAR[]))
             AND (account_uid IS NULL OR NOT list_contains(?::VARCHAR[], account_uid))
           ORDER BY created_at, post_id""",
        [lo, hi, names, tags, own],
    ).fetchall()
    summary = PostIntakeSummary()
    for platform, post_id, author, created, text, mentions, is_repost, root in rows:
        summary.scanned += 1
        addressed = next(
            (accounts[(platform, m)] for m in mentions or [] if (platform, m) in accounts), None
        )
        try:
            intake = RequestIntake(
                source=platform if platform in SOCIAL_SOURCES else "api",
                source_ref=f"{platform}:{post_id}", text=str(text)[:MAX_TEXT],
                citizen_uid=author, account_uid=addressed,
                root_ref=f"{platform}:{root}" if is_repost and root else None,
                submitted_at=created.replace(tzinfo=UTC),
            )  # fmt: skip
            clock = intake.submitted_at if as_of is not None else None
            outcome = service.receive(session, intake=intake, actor=actor, now=clock)
        except (ValueError, ZhengwuError):  # an unusable post (blank text …): count it, go on
            summary.refused += 1
            continue
        if outcome.status == "created":
            summary.created += 1
        elif outcome.status == "merged":
            summary.merged += 1
        else:
            summary.existing += 1
    return summary
