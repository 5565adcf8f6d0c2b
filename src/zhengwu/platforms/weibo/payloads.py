"""The Weibo JSON payload shapes, as msgspec Structs holding only the fields zhengwu uses.

One ``StatusPayload`` covers the open API v2 status, the m.weibo.cn ``mblog`` and the
weibo.com ajax status: their fields overlap, and the importers read the differences
(HTML text, display-string counts, relative dates) from the same struct. Unknown fields
are skipped by the decoder, which is what keeps the JSON Lines path fast.

Types are as loose as real payloads are and no looser: ids come as numbers or strings,
m.weibo.cn counts as numbers or display strings ("100万+"), but a negative count is a
validation error whose message names the path (``$.reposts_count``).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

# Counts are stored as 64-bit integers downstream; anything outside is not a count.
MAX_COUNT = 2**63 - 1
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
# m.weibo.cn shows large counts as display strings ("1.2万", "100万+"); parse_count reads them.
LooseCount = Count | str | None
LooseId = int | str | None


class UserPayload(msgspec.Struct, kw_only=True, gc=False):
    """A Weibo user (open API ``user``, m.weibo.cn ``mblog.user`` or ``userInfo``)."""

    id: LooseId = None
    idstr: str | None = None
    screen_name: str | None = None
    name: str | None = None
    province: int | str | None = None
    city: int | str | None = None
    location: str | None = None
    description: str | None = None
    followers_count: LooseCount = None
    friends_count: LooseCount = None
    follow_count: LooseCount = None  # m.weibo.cn's name for friends_count
    statuses_count: LooseCount = None
    created_at: str | None = None
    verified_type: int | str | None = None
    verified_reason: str | None = None


class PageInfo(msgspec.Struct, kw_only=True, gc=False):
    """The card attached to an m.weibo.cn mblog (video, article, link)."""

    type: int | str | None = None
    play_count: int | float | str | None = None  # "1.2万次播放" on video cards


class LongTextPayload(msgspec.Struct, kw_only=True, gc=False):
    """The full text of a long post (长微博): ``status.longText`` of the open API and m.weibo.cn."""

    content: str | None = msgspec.field(default=None, name="longTextContent")


class _StatusFields(msgspec.Struct, kw_only=True, gc=False):
    """The fields of a status other than its author and reposted root."""

    id: LooseId = None
    idstr: str | None = None
    mid: LooseId = None
    bid: str | None = None
    mblogid: str | None = None  # weibo.com ajax name of bid
    created_at: str | int | None = None
    text: str | None = None
    text_raw: str | None = None  # weibo.com ajax: text without HTML
    # A long post (isLongText) has its text cut ("…全文"); the full text comes as
    # longText.longTextContent (open API with isGetLongText, m.weibo.cn) or, in crawlers'
    # merged records, as longTextContent (weibo.com ajax, statuses/extend) and its plain
    # longTextContent_raw.
    long_text: LongTextPayload | None = msgspec.field(default=None, name="longText")
    long_text_content: str | None = msgspec.field(default=None, name="longTextContent")
    long_text_raw: str | None = msgspec.field(default=None, name="longTextContent_raw")
    source: str | None = None
    uid: LooseId = None  # statuses fetched with trim_user carry only the author's id
    reposts_count: LooseCount = None
    comments_count: LooseCount = None
    attitudes_count: LooseCount = None
    deleted: int | str | None = None
    region_name: str | None = None  # "发布于 北京"
    page_info: PageInfo | None = None
    # Present on user objects only: tells a user line apart when text is absent.
    screen_name: str | None = None


class StatusPayload(_StatusFields, kw_only=True, gc=False):
    """A Weibo status (open API v2), mblog (m.weibo.cn) or ajax status (weibo.com)."""

    user: UserPayload | None = None
    retweeted_status: StatusPayload | None = None


NULL_RAW = msgspec.Raw(b"null")


class StatusLine(_StatusFields, kw_only=True, gc=False):
    """A status read from one JSON Lines line, with its author left as raw JSON.

    Decoding the ~50-key user object is half the cost of a line, and the same author
    repeats across lines byte for byte, so the converter decodes each distinct author once.
    """

    user: msgspec.Raw = NULL_RAW
    retweeted_status: StatusPayload | None = None


STATUS_DECODER = msgspec.json.Decoder(StatusPayload)
LINE_DECODER = msgspec.json.Decoder(StatusLine)
USER_DECODER = msgspec.json.Decoder(UserPayload)
ANY_DECODER: msgspec.json.Decoder[object] = msgspec.json.Decoder()


def status_from_object(value: object) -> StatusPayload:
    """Validate an already decoded JSON object as a status (raises msgspec.ValidationError)."""
    return msgspec.convert(value, StatusPayload)


def user_from_object(value: object) -> UserPayload:
    """Validate an already decoded JSON object as a user (raises msgspec.ValidationError)."""
    return msgspec.convert(value, UserPayload)
