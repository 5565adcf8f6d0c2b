"""Weibo importer ``weibo-notes``: MediaCrawler's Weibo note (post) and creator store.

Columns (FORMATS.md §2, facts only; no MediaCrawler code is reused, its licence is
non-commercial):

- note, schema of commit 0282e62: ``note_id, content (HTML stripped), create_time (unix),
  create_date_time, liked_count, comments_count, shared_count (strings), last_modify_ts
  (milliseconds), note_url, ip_location, user_id, nickname, gender, profile_url, avatar,
  source_keyword``;
- note, the anonymised 教学版 (commit 9f4f8bf): ``user_id`` is replaced by ``creator_hash``
  and the nickname is masked, so the post is kept under the hash and no account is made;
- creator: ``user_id, nickname, gender, avatar, desc, ip_location, follows, fans,
  tag_list, last_modify_ts``.

The store options that are files are read: JSON Lines, a JSON array and CSV. A note is
one item (its post, plus its author named by ``user_id`` + ``nickname``); a creator row is
one item whose primary record is the account. Comment rows belong to ``weibo-comments``.
The author's gender, avatar and profile link are not kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from zhengwu.ingest.registry import ImportItem, register
from zhengwu.platforms.records import AccountRecord, PostRecord
from zhengwu.platforms.text import extract_mentions, extract_topics, html_to_text
from zhengwu.platforms.wechat.sources import (
    PayloadError,
    RawRecord,
    count_of,
    id_of,
    import_items,
    iter_records,
    text_of,
)
from zhengwu.platforms.weibo.comments import created_of, observed_of
from zhengwu.platforms.weibo.constants import PLATFORM


@register("weibo-notes")
class WeiboNotesImporter:
    """MediaCrawler Weibo note and creator rows (JSON Lines, JSON array, CSV)."""

    name = "weibo-notes"
    description = (
        "微博正文与博主（MediaCrawler 导出，含教学版匿名数据）/ "
        "Weibo notes and creators (MediaCrawler JSON Lines/JSON/CSV, anonymised edition too)"
    )
    splittable = True

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per note or creator row; quarantine bad rows with their reason."""
        return import_items(iter_records(path, byte_range, csv_ok=True), _item)


def _item(record: dict[str, object], raw: RawRecord) -> ImportItem:
    if "comment_id" in record:
        raise PayloadError(
            "这是评论，不是微博正文；评论请用 weibo-comments 导入",
            "a comment row, not a note: import comments with weibo-comments",
        )
    if "note_id" in record:
        post, author = parse_note(record)
        return ImportItem(primary=post, related=[author] if author else [])
    if "user_id" in record and ("fans" in record or "follows" in record):
        return ImportItem(primary=parse_creator(record))
    raise PayloadError(
        "无法识别的记录：既不是微博正文（note_id）也不是博主（user_id + fans）",
        "unrecognised record: neither a note (note_id) nor a creator (user_id + fans)",
    )


def parse_note(record: Mapping[str, object]) -> tuple[PostRecord, AccountRecord | None]:
    """Return the post of a note row and its author when the row names one."""
    note_id = id_of(record, "note_id")
    if note_id is None:
        raise PayloadError("缺少微博 id（note_id）", "missing note_id")
    uid = id_of(record, "user_id")
    account_uid = uid or id_of(record, "creator_hash")
    if account_uid is None:
        raise PayloadError(
            "缺少博主 id（user_id / creator_hash）", "missing user_id / creator_hash"
        )
    content = text_of(record, "content") or ""
    text = html_to_text(content).strip() if "<" in content else content
    post = PostRecord(
        platform=PLATFORM,
        post_id=note_id,
        account_uid=account_uid,
        created_at=created_of(
            record, missing=("缺少发布时间（create_time）", "missing create_time")
        ),
        text=text,
        topics=extract_topics(text),
        mentions=extract_mentions(text),
        reposts=count_of(record.get("shared_count"), "shared_count"),
        comments=count_of(record.get("comments_count"), "comments_count"),
        likes=count_of(record.get("liked_count"), "liked_count"),
        url=text_of(record, "note_url"),
        region_name=_region(record),
        observed_at=observed_of(record),
    )
    name = text_of(record, "nickname")
    if uid is None or name is None:
        return post, None  # 教学版: a hash and a masked nickname name no account
    return post, AccountRecord(platform=PLATFORM, uid=uid, name=name, observed_at=post.observed_at)


def parse_creator(record: Mapping[str, object]) -> AccountRecord:
    """Return the account of a creator row (fans and follows are counts, maybe strings)."""
    uid = id_of(record, "user_id")
    name = text_of(record, "nickname")
    if uid is None or name is None:
        raise PayloadError(
            "缺少博主 id 或昵称（user_id / nickname）", "missing user_id or nickname"
        )
    return AccountRecord(
        platform=PLATFORM,
        uid=uid,
        name=name,
        followers=count_of(record.get("fans"), "fans"),
        friends=count_of(record.get("follows"), "follows"),
        description=text_of(record, "desc"),
        observed_at=observed_of(record),
    )


def _region(record: Mapping[str, object]) -> str | None:
    value = text_of(record, "ip_location")
    return None if value is None else value.removeprefix("发布于").strip() or None
