"""Help posts from any importable post format (Weibo API JSON, crawler CSVs …).

The importers turn each input record into a typed :class:`PostRecord` plus side records
(for a Weibo repost, the reposted root). :func:`read_help_posts` turns those into
:class:`HelpPostIn` — the post's text and, for a repost, the root's text — which is what
merging and intake read. Quarantined records are counted, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from zhengwu.ingest.collect import nul_quarantine
from zhengwu.ingest.registry import ImportItem, get_importer
from zhengwu.platforms.records import PostRecord, QuarantineRecord
from zhengwu.rescue.merge import HelpPostIn


@dataclass(slots=True)
class ReadReport:
    """How many input records became posts, and which ones were quarantined (and why)."""

    posts: int = 0
    quarantined: int = 0
    reasons: list[tuple[str, str]] | None = None
    # The quarantined records themselves (where, why, the raw text), for the caller to
    # keep: :func:`zhengwu.rescue.channels.intake_file` sets them aside.
    records: list[QuarantineRecord] | None = None


def post_url(platform: str, post_id: str, account_uid: str | None, url: str | None) -> str | None:
    """Return a link to a post: the one the platform gave, else the usual Weibo address."""
    if url:
        return url
    if platform == "weibo":
        return f"https://m.weibo.cn/detail/{post_id}"
    return None


def help_post(record: PostRecord, root: PostRecord | None = None) -> HelpPostIn:
    """Return the help post of one imported post record (``root``: the post it reposts)."""
    return HelpPostIn(
        platform=record.platform,
        post_id=record.post_id,
        text=record.text,
        posted_at=record.created_at,
        author=record.account_uid,
        url=post_url(record.platform, record.post_id, record.account_uid, record.url),
        is_repost=record.is_repost,
        root_post_id=record.root_post_id,
        root_text=root.text if root is not None and not record.root_deleted else None,
        root_posted_at=root.created_at if root is not None else None,
    )


def _from_item(item: ImportItem) -> HelpPostIn | QuarantineRecord | None:
    primary = item.primary
    if isinstance(primary, QuarantineRecord):
        return primary
    if not isinstance(primary, PostRecord):
        return None  # an account or hot-search line: not a post
    root = next(
        (
            r
            for r in item.related
            if isinstance(r, PostRecord) and r.post_id == primary.root_post_id
        ),
        None,
    )
    return help_post(primary, root)


def read_help_posts(
    path: Path, *, fmt: str = "weibo-api", report: ReadReport | None = None
) -> Iterator[HelpPostIn]:
    """Yield the help-post candidates of a file in an importable format."""
    report = report if report is not None else ReadReport()
    report.reasons = report.reasons if report.reasons is not None else []
    report.records = report.records if report.records is not None else []
    for item in get_importer(fmt).read(path):
        found = nul_quarantine(item, str(path)) or _from_item(item)
        if isinstance(found, QuarantineRecord):
            report.quarantined += 1
            report.reasons.append((found.source, found.reason))
            report.records.append(found)
        elif found is not None:
            report.posts += 1
            yield found
