"""Weibo importer ``weibo-comments``: MediaCrawler's Weibo comment store (FORMATS.md §2).

Columns (schema of MediaCrawler commit 0282e62): ``comment_id, create_time (unix seconds,
may be a string), create_date_time, note_id, content, sub_comment_count,
comment_like_count, last_modify_ts (milliseconds), ip_location, parent_comment_id, user_id,
nickname, gender, profile_url, avatar``. Counts may be strings. The store options that are
files are read: JSON Lines (the default since 2026-03), a JSON array and CSV (utf-8-sig,
header row); the database stores are not files.

Each row becomes one :class:`~zhengwu.platforms.records.CommentRecord`. Only what the
index needs is kept: ids, the author's uid, time, text and counts. The commenter's
nickname, gender, avatar, profile link and IP location are dropped at this edge, also from
the raw text that the quarantine keeps of a bad row. Field names are facts; no
MediaCrawler code is reused (its licence is non-commercial).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import orjson

from zhengwu.ingest.files import RAW_CHARS
from zhengwu.ingest.registry import ImportItem, register
from zhengwu.platforms.records import CommentRecord
from zhengwu.platforms.text import html_to_text
from zhengwu.platforms.wechat.sources import (
    PayloadError,
    RawRecord,
    count_of,
    id_of,
    import_items,
    iter_records,
    text_of,
    time_of,
)
from zhengwu.platforms.weibo.constants import PLATFORM

# The commenter's personal data: never stored, not even in the quarantine.
PERSONAL_FIELDS = frozenset({"nickname", "gender", "profile_url", "avatar", "ip_location"})
# What a crawler writes for a missing id: MediaCrawler formats the author id with str(),
# so an absent one arrives as "None".
_NO_ID = frozenset({"none", "null", "undefined", "nan", "0"})


@register("weibo-comments")
class WeiboCommentsImporter:
    """MediaCrawler Weibo comment rows (JSON Lines, JSON array, CSV): one comment per row."""

    name = "weibo-comments"
    description = (
        "微博评论（MediaCrawler 导出；账号自己的评论计为互动回复）/ "
        "Weibo comments (MediaCrawler JSON Lines/JSON/CSV; an account's own comments count "
        "as its replies)"
    )
    splittable = True

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per comment row; quarantine bad rows with their reason."""
        return import_items(
            _without_personal_data(iter_records(path, byte_range, csv_ok=True)), _item
        )


def _without_personal_data(records: Iterator[RawRecord]) -> Iterator[RawRecord]:
    """Drop the commenter's personal fields from the raw text a quarantine entry keeps.

    A line that is not readable JSON (broken, GBK) keeps its raw text: it cannot be taken
    apart, and the operator needs it to see what is wrong with the file.
    """
    for record in records:
        value = record.value
        if isinstance(value, dict) and not PERSONAL_FIELDS.isdisjoint(value):
            kept = {k: v for k, v in value.items() if k not in PERSONAL_FIELDS}
            record = replace(record, raw=orjson.dumps(kept).decode("utf-8")[:RAW_CHARS])
        yield record


def _item(record: dict[str, object], raw: RawRecord) -> ImportItem:
    return ImportItem(primary=parse_comment(record))


def _id(record: Mapping[str, object], key: str) -> str | None:
    value = id_of(record, key)
    if value is None or value.lower() in _NO_ID:
        return None
    return value


def _not_a_comment(record: Mapping[str, object]) -> PayloadError | None:
    """Return why a record of another MediaCrawler table is not a comment (None if it may be)."""
    if "comment_id" in record:
        if "aweme_id" in record and "note_id" not in record:
            return PayloadError(
                "这是抖音评论，不是微博评论", "a Douyin comment, not a Weibo comment"
            )
        return None
    if "note_id" in record and ("liked_count" in record or "note_url" in record):
        return PayloadError(
            "这是微博正文，不是评论（本格式只导入评论；正文请用 weibo-notes 导入）",
            "a Weibo note row, not a comment (this format imports comments only; import notes "
            "with weibo-notes)",
        )
    if "fans" in record or "follows" in record:
        return PayloadError(
            "这是创作者资料，不是评论（博主资料请用 weibo-notes 导入）",
            "a creator row, not a comment (import creators with weibo-notes)",
        )
    return None


def parse_comment(record: Mapping[str, object]) -> CommentRecord:
    """Return the comment of a MediaCrawler Weibo comment row; raise PayloadError if unusable."""
    other = _not_a_comment(record)
    if other is not None:
        raise other
    comment_id = _id(record, "comment_id")
    if comment_id is None:
        raise PayloadError("缺少评论 id（comment_id）", "missing comment_id")
    note_id = _id(record, "note_id")
    if note_id is None:
        raise PayloadError("缺少所评论的微博 id（note_id）", "missing note_id")
    user_id = _id(record, "user_id")
    if user_id is None:
        if "creator_hash" in record:
            raise PayloadError(
                "评论者已匿名化（教学版 creator_hash），无法识别账号自己的回复",
                "the author is anonymised (creator_hash): own replies cannot be recognised",
            )
        raise PayloadError("缺少评论者 id（user_id）", "missing user_id")
    created_at = created_of(record, missing=("缺少评论时间（create_time）", "missing create_time"))
    parent = _id(record, "parent_comment_id")
    return CommentRecord(
        platform=PLATFORM,
        comment_id=comment_id,
        note_id=note_id,
        account_uid=user_id,
        created_at=created_at,
        content=html_to_text(text_of(record, "content") or "").strip(),
        # Weibo's rootid of a top-level comment is the comment itself.
        parent_comment_id=parent if parent != comment_id else None,
        likes=count_of(record.get("comment_like_count"), "comment_like_count"),
        sub_comments=count_of(record.get("sub_comment_count"), "sub_comment_count"),
        observed_at=observed_of(record),
    )


def created_of(record: Mapping[str, object], *, missing: tuple[str, str]) -> datetime:
    """Return a MediaCrawler row's time: ``create_time``, else the China-time ``create_date_time``.

    ``missing`` is the (Chinese, English) reason when the row has neither.
    """
    for key in ("create_time", "create_date_time"):
        value = record.get(key)
        if value not in (None, ""):
            return time_of(value, key)
    raise PayloadError(*missing)


def observed_of(record: Mapping[str, object]) -> datetime | None:
    """Return when a MediaCrawler row was crawled (``last_modify_ts``), None when absent."""
    modified = record.get("last_modify_ts")
    return None if modified in (None, "") else time_of(modified, "last_modify_ts")
