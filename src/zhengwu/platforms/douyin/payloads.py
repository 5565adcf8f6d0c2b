"""Douyin (抖音) payloads turned into PostRecord / AccountRecord.

Shapes (FORMATS.md §5): NanmiCoder/MediaCrawler's flattened ``aweme`` rows (counts as
strings), the raw web API ``aweme`` object (``statistics{…}``, ``author{…}``, ``ip_label``)
and MediaCrawler's creator rows. Field names are facts; no MediaCrawler code is reused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from zhengwu.platforms.government import is_government_account
from zhengwu.platforms.records import AccountRecord, PostRecord
from zhengwu.platforms.text import extract_mentions
from zhengwu.platforms.wechat.sources import (
    PayloadError,
    count_of,
    id_of,
    object_of,
    text_of,
    time_of,
)

PLATFORM = "douyin"
NOTE_TYPE = 68  # aweme_type 68 = 图文 (image note); its page is /note/<id>, videos /video/<id>
# Douyin topics are "#话题" with no closing "#": a topic runs to the next space, "#", "@"
# or punctuation. Weibo-style "#话题#" gives the same topic.
_TOPIC = re.compile(r"#([^\s#@，。！？、；：,!?;:…]{1,64})")
_CREATOR_KEYS = ("fans", "follows", "videos_count", "interaction", "follower_count")
# A verify reason with these words marks an institution (机构认证 / 政务号).
_INSTITUTION_WORDS = ("政务", "机构")


def extract_douyin_topics(text: str) -> list[str]:
    """Return the distinct topics of a Douyin text ("#话题" up to a space, # or @), in order."""
    if "#" not in text:
        return []
    seen: dict[str, None] = {}
    for match in _TOPIC.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def unwrap_aweme_list(obj: dict[str, object]) -> list[object] | None:
    """Return the awemes of a raw API response (``aweme_list`` or ``aweme_detail``)."""
    if "aweme_list" in obj:
        items = obj["aweme_list"]
        if not isinstance(items, list):
            raise PayloadError("aweme_list 不是数组", "aweme_list is not an array")
        return items
    if "aweme_detail" in obj and "aweme_id" not in obj:
        return [obj["aweme_detail"]]
    return None


def is_aweme(record: Mapping[str, object]) -> bool:
    """Return whether a record is a video/note (MediaCrawler row or raw API aweme)."""
    return "aweme_id" in record or "aweme_info" in record


def is_creator(record: Mapping[str, object]) -> bool:
    """Return whether a record is an account (MediaCrawler creator row or raw API user)."""
    has_id = "user_id" in record or "uid" in record or "sec_uid" in record
    return has_id and any(key in record for key in _CREATOR_KEYS)


def parse_aweme(record: Mapping[str, object]) -> tuple[PostRecord, AccountRecord | None]:
    """Return the post of an aweme and its author when the payload names one."""
    nested = object_of(record, "aweme_info")  # search results wrap the aweme
    if nested is not None:
        record = nested
    aweme_id = id_of(record, "aweme_id")
    if aweme_id is None:
        raise PayloadError("缺少 aweme_id", "missing aweme_id")
    if record.get("create_time") in (None, ""):
        raise PayloadError("缺少发布时间 create_time", "missing create_time")
    created_at = time_of(record["create_time"], "create_time")
    stats = object_of(record, "statistics")
    author = object_of(record, "author")
    counts = _counts(record, stats)
    desc = text_of(record, "desc") or ""
    title = text_of(record, "title")
    text = desc or title or ""
    modified = record.get("last_modify_ts")
    account = _author(record, author)
    post = PostRecord(
        platform=PLATFORM,
        post_id=aweme_id,
        account_uid=account.uid if account else id_of(record, "user_id", "sec_uid"),
        created_at=created_at,
        text=text,
        topics=extract_douyin_topics(text),
        mentions=extract_mentions(text),
        likes=counts["likes"],
        comments=counts["comments"],
        shares=counts["shares"],
        favorites=counts["favorites"],
        plays=counts["plays"],
        title=title,
        url=text_of(record, "aweme_url") or _page_url(aweme_id, record.get("aweme_type")),
        region_name=text_of(record, "ip_location") or text_of(record, "ip_label"),
        observed_at=time_of(modified, "last_modify_ts") if modified not in (None, "") else None,
    )
    return post, account


def _counts(
    record: Mapping[str, object], stats: Mapping[str, object] | None
) -> dict[str, int | None]:
    # MediaCrawler flattens statistics into *_count strings; the raw API keeps the object.
    if stats is not None:
        source, keys = stats, ("digg_count", "comment_count", "share_count", "collect_count")
    else:
        source, keys = record, ("liked_count", "comment_count", "share_count", "collected_count")
    names = ("likes", "comments", "shares", "favorites")
    counts = {name: count_of(source.get(key), key) for name, key in zip(names, keys, strict=True)}
    plays = count_of(source.get("play_count"), "play_count")
    # The web API reports play_count 0 for videos whose plays it does not disclose.
    counts["plays"] = plays or None
    return counts


def _page_url(aweme_id: str, aweme_type: object) -> str:
    kind = "note" if str(aweme_type) == str(NOTE_TYPE) else "video"
    return f"https://www.douyin.com/{kind}/{aweme_id}"


def _author(
    record: Mapping[str, object], author: Mapping[str, object] | None
) -> AccountRecord | None:
    if author is not None:
        return parse_creator(author)
    # A MediaCrawler aweme row carries its author's id, nickname and signature.
    uid = id_of(record, "user_id", "sec_uid")
    name = text_of(record, "nickname")
    if uid is None or name is None:
        return None
    return AccountRecord(
        platform=PLATFORM,
        uid=uid,
        name=name,
        description=text_of(record, "user_signature"),
        is_government=_is_government(record, name),
    )


def parse_creator(record: Mapping[str, object]) -> AccountRecord:
    """Return the account of a MediaCrawler creator row or a raw API user/author object."""
    uid = id_of(record, "user_id", "uid", "sec_uid")
    if uid is None:
        raise PayloadError("缺少账号 id（user_id/uid/sec_uid）", "missing user_id/uid/sec_uid")
    name = text_of(record, "nickname")
    if name is None:
        raise PayloadError("缺少昵称 nickname", "missing nickname")
    modified = record.get("last_modify_ts")
    reason = _verify_reason(record)
    return AccountRecord(
        platform=PLATFORM,
        uid=uid,
        name=name,
        is_government=_is_government(record, name),
        followers=_first_count(record, "fans", "follower_count", "max_follower_count"),
        friends=_first_count(record, "follows", "following_count"),
        statuses=_first_count(record, "videos_count", "aweme_count"),
        verified_reason=reason,
        description=text_of(record, "desc") or text_of(record, "signature"),
        location=text_of(record, "ip_location"),
        observed_at=time_of(modified, "last_modify_ts") if modified not in (None, "") else None,
    )


def _first_count(record: Mapping[str, object], *keys: str) -> int | None:
    for key in keys:
        if record.get(key) not in (None, ""):
            return count_of(record[key], key)
    return None


def _verify_reason(record: Mapping[str, object]) -> str | None:
    reasons = [text_of(record, key) for key in ("custom_verify", "enterprise_verify_reason")]
    joined = "；".join(reason for reason in reasons if reason)
    return joined or None


def _is_government(record: Mapping[str, object], name: str) -> bool:
    reason = _verify_reason(record)
    # enterprise_verify_reason is Douyin's blue V (机构认证), like Weibo's 蓝V badge.
    institutional = bool(text_of(record, "enterprise_verify_reason")) or any(
        word in (reason or "") for word in _INSTITUTION_WORDS
    )
    return is_government_account(None, reason, name, institutional=institutional)
