"""Normalised records that every importer produces and the rest of zhengwu consumes.

These are the only shapes that cross the platform edge. They are ``msgspec.Struct`` so
that building millions of them stays cheap, and they serialise straight to the JSON Lines
that ``zhengwu import --dry-run`` prints.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

Platform = Literal["weibo", "wechat", "douyin", "bilibili", "other"]


class AccountRecord(
    msgspec.Struct, kw_only=True, omit_defaults=False, tag="account", tag_field="kind", gc=False
):
    """One account as seen on a platform (a snapshot of its profile).

    Untracked by the garbage collector (``gc=False``): it holds scalars only, so it can
    take part in no reference cycle, and a national import builds one per distinct author
    (hundreds of thousands) that the collector would otherwise walk again and again.
    """

    platform: str
    uid: str
    name: str
    verified_type: int | None = None
    is_government: bool = False
    followers: int | None = None
    adcode: str | None = None
    verified_reason: str | None = None
    description: str | None = None
    location: str | None = None
    friends: int | None = None
    statuses: int | None = None
    created_at: datetime | None = None
    observed_at: datetime | None = None


class PostRecord(msgspec.Struct, kw_only=True, omit_defaults=False, tag="post", tag_field="kind"):
    """One post (status, article, video) with the counts observed at ``observed_at``."""

    platform: str
    post_id: str
    account_uid: str | None
    created_at: datetime
    text: str
    topics: list[str] = msgspec.field(default_factory=list)
    mentions: list[str] = msgspec.field(default_factory=list)
    reposts: int | None = None
    comments: int | None = None
    likes: int | None = None
    reads: int | None = None
    is_repost: bool = False
    root_post_id: str | None = None
    root_deleted: bool = False
    # Optional extras that some formats carry.
    bid: str | None = None
    title: str | None = None
    url: str | None = None
    shares: int | None = None
    zaikan: int | None = None  # WeChat 在看
    plays: int | None = None
    favorites: int | None = None
    is_headline: bool | None = None  # WeChat 头条 (first article of a push)
    is_original: bool | None = None  # WeChat copyright_stat 11 / 原创
    source: str | None = None  # publishing tool
    region_name: str | None = None  # IP 属地 / 发布位置
    observed_at: datetime | None = None


class CommentRecord(
    msgspec.Struct, kw_only=True, omit_defaults=False, tag="comment", tag_field="kind", gc=False
):
    """One comment under a post, with the counts observed at ``observed_at``.

    ``account_uid`` is the comment's author: when it is a government account, the comment
    is one of that account's own replies (互动力, the compliance reply check). Nothing else
    about the author is kept — no nickname, gender, avatar, profile link or IP location.
    """

    platform: str
    comment_id: str
    note_id: str  # the post commented on
    account_uid: str  # the author
    created_at: datetime
    content: str
    parent_comment_id: str | None = None  # the root comment of a reply in a thread
    likes: int | None = None
    sub_comments: int | None = None  # replies in its thread
    observed_at: datetime | None = None


class QuarantineRecord(
    msgspec.Struct, kw_only=True, omit_defaults=False, tag="quarantine", tag_field="kind"
):
    """A record that could not be used, with where it came from and why."""

    source: str  # "file:line" (or "file:row N" for CSV)
    reason: str
    raw: str | None = None


class HotSearchRecord(
    msgspec.Struct, kw_only=True, omit_defaults=False, tag="hot_search", tag_field="kind"
):
    """One entry of a daily Weibo hot-search (热搜) archive."""

    day: str  # ISO date of the archive file
    title: str
    url: str | None = None
    rank: int | None = None  # band_rank when the URL carries it


Record = AccountRecord | PostRecord | CommentRecord | QuarantineRecord | HotSearchRecord
