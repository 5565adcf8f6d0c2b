"""Weibo payloads → normalised records (``from_payload``): posts, authors, reposted roots.

:class:`StatusConverter` is built once per file: it caches what is costly and repeats
across lines (the government check and adcode of an author, publishing-tool names), so
the JSON Lines hot path does a few dict lookups per status besides building the records.
"""

from __future__ import annotations

import re
from datetime import datetime

import msgspec

from zhengwu.ingest.files import RAW_CHARS
from zhengwu.ingest.registry import ImportItem
from zhengwu.platforms.government import is_government_account
from zhengwu.platforms.records import AccountRecord, PostRecord, QuarantineRecord
from zhengwu.platforms.text import (
    CountError,
    extract_mentions,
    extract_topics,
    html_to_text,
    parse_count,
)
from zhengwu.platforms.timeparse import DateError, parse_time, parse_weibo_api_time
from zhengwu.platforms.weibo.constants import DELETED_FLAG, PLATFORM
from zhengwu.platforms.weibo.payloads import (
    MAX_COUNT,
    NULL_RAW,
    USER_DECODER,
    PageInfo,
    StatusLine,
    StatusPayload,
    UserPayload,
)
from zhengwu.regions import resolve_weibo_user

# Caches are cleared when full: a miss only costs one decode, and memory stays bounded
# (raw author JSON is ~1.5 KB, so 20,000 authors hold ~30 MB).
_CACHE_MAX = 50_000
_RAW_AUTHORS_MAX = 20_000
# "1.2万次播放", "3,456次观看": the number at the start is the count.
_PLAY_COUNT = re.compile(r"\s*([\d.,]+\s*[万亿wWkK]?\+?)")
# m.weibo.cn shows a deleted or hidden retweet root with this text and no user.
_GONE_ROOT = ("此微博已被作者删除", "此微博已被删除", "该微博已被删除")


# uid, name, verified_type, is_government, adcode, reason, description, location, created_at
_Profile = tuple[
    str, str, int | None, bool, str | None, str | None, str | None, str | None, datetime | None
]


class RecordError(ValueError):
    """A payload that cannot become a record; the message is the quarantine reason."""


def quarantine(where: str, reason: str, raw: bytes | str | None) -> ImportItem:
    """Return the item of a bad input record: where it is, why, and its first ``RAW_CHARS`` characters."""
    if isinstance(raw, bytes):
        raw = raw[: RAW_CHARS * 4].decode("utf-8", errors="replace")
    return ImportItem(
        primary=QuarantineRecord(
            source=where, reason=reason, raw=None if raw is None else raw[:RAW_CHARS]
        )
    )


def count(value: object, field: str) -> int | None:
    """Return a non-negative count from a number or display string, or raise RecordError."""
    if value is None:
        return None
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return value
    try:
        number = parse_count(value, field=field)
    except CountError as exc:
        raise RecordError(f"计数无效 / bad count: {exc}") from None
    if number is not None and number > MAX_COUNT:
        raise RecordError(f"计数过大 / count too large: {field} = {value!r}")
    return number


def timestamp(value: object, field: str, now: datetime | None) -> datetime:
    """Return an aware datetime from any Weibo time form, or raise RecordError."""
    try:
        if type(value) is str and len(value) == 30 and value[13] == ":":
            return parse_weibo_api_time(value)
        return parse_time(value, now=now)
    except DateError as exc:
        raise RecordError(f"日期无效 / bad {field}: {exc}") from None


def id_text(value: int | str | None) -> str | None:
    """Return an id as text (ids come as numbers or strings), or None when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _account_adcode(province: str | None, city: str | None, location: str | None) -> str | None:
    """Return the adcode of a Weibo user's region (zhengwu.regions), None when unknown."""
    return resolve_weibo_user(province, city, location)


class AccountFacts:
    """Cache of what is costly to derive for an account: 政务 flag, adcode, created_at."""

    def __init__(self) -> None:
        self._facts: dict[tuple[object, ...], tuple[bool, str | None, datetime | None]] = {}

    def get(
        self,
        *,
        uid: str,
        name: str,
        verified_type: int | None,
        verified_reason: str | None,
        province: str | None = None,
        city: str | None = None,
        location: str | None = None,
        created_at: object = None,
        institutional: bool = False,
    ) -> tuple[bool, str | None, datetime | None]:
        """Return ``(is_government, adcode, created_at)``; raise RecordError on a bad date."""
        key: tuple[object, ...] = (
            uid,
            name,
            verified_type,
            verified_reason,
            province,
            city,
            location,
            created_at,
        )
        if institutional:
            key += (True,)
        facts = self._facts.get(key)
        if facts is None:
            facts = account_facts(
                name=name, verified_type=verified_type, verified_reason=verified_reason,
                province=province, city=city, location=location, created_at=created_at,
                institutional=institutional,
            )  # fmt: skip
            if len(self._facts) >= _CACHE_MAX:
                self._facts.clear()
            self._facts[key] = facts
        return facts


def account_facts(
    *,
    name: str,
    verified_type: int | None,
    verified_reason: str | None,
    province: str | None = None,
    city: str | None = None,
    location: str | None = None,
    created_at: object = None,
    institutional: bool = False,
) -> tuple[bool, str | None, datetime | None]:
    """Return ``(is_government, adcode, created_at)`` of an account; raise RecordError on a bad date.

    Uncached: :class:`AccountFacts` caches it for rows that repeat an account, and
    :class:`StatusConverter` caches whole profiles.
    """
    gov = is_government_account(verified_type, verified_reason, name, institutional=institutional)
    adcode = _account_adcode(province, city, location)
    created = None if created_at in (None, "") else timestamp(created_at, "created_at", None)
    return gov, adcode, created


class StatusConverter:
    """Turn Weibo status and user payloads into records (``from_payload`` for one file).

    ``html`` says the text is m.weibo.cn HTML; ``now`` anchors relative dates ("5分钟前");
    ``observed_at`` is stamped on every record (when the counts were seen).
    """

    def __init__(
        self, *, html: bool, now: datetime | None = None, observed_at: datetime | None = None
    ) -> None:
        self._html = html
        self._now = now
        self._observed_at = observed_at
        self._profiles: dict[tuple[object, ...], _Profile | None] = {}
        self._raw_authors: dict[bytes, tuple[str | None, AccountRecord | None]] = {}
        self._sources: dict[str | None, str] = {}

    def status_item(self, status: StatusPayload) -> ImportItem:
        """Return the item of one status: the post, its author, the reposted root and its author."""
        user = status.user
        if user is None:
            return self._item(status, id_text(status.uid), None)
        return self._item(status, _uid(user), self.account(user))

    def line_item(self, status: StatusLine) -> ImportItem:
        """Return the item of a JSON Lines status whose author is still raw JSON.

        Raises msgspec.ValidationError when the author is invalid (the caller re-reads the
        line the careful way to report the full path).
        """
        if status.user == NULL_RAW:
            return self._item(status, id_text(status.uid), None)
        uid, author = self.author(bytes(status.user))
        # Each item gets its own record: consumers may stamp or mutate records.
        return self._item(status, uid, None if author is None else msgspec.structs.replace(author))

    def author(self, raw: bytes) -> tuple[str | None, AccountRecord | None]:
        """Return the uid and account of a raw JSON user object, decoded once per distinct bytes.

        Raises msgspec.ValidationError when the user is invalid. The record is shared
        between calls with the same bytes: copy it before changing it.
        """
        try:
            return self._raw_authors[raw]
        except KeyError:
            found = self.decode_author(raw)
            if len(self._raw_authors) >= _RAW_AUTHORS_MAX:
                self._raw_authors.clear()
            self._raw_authors[raw] = found
            return found

    def decode_author(self, raw: bytes | str) -> tuple[str | None, AccountRecord | None]:
        """Return the uid and account of a raw JSON user object, without the bytes cache.

        For callers that hand over each distinct JSON once (the fast path groups them):
        keeping the bytes would only cost memory. Raises msgspec.ValidationError (or
        DecodeError) when the user is invalid.
        """
        user = USER_DECODER.decode(raw)
        return _uid(user), self.account(user)

    def source(self, value: str | None) -> str | None:
        """Return the publishing tool of a status's ``source`` HTML as plain text (cached)."""
        return self._sources.get(value) or self._source(value)

    def _item(
        self, status: StatusPayload | StatusLine, uid: str | None, author: AccountRecord | None
    ) -> ImportItem:
        post = self.post(status, uid)
        related: list[AccountRecord | PostRecord] = [] if author is None else [author]
        root = status.retweeted_status
        if root is not None and not post.root_deleted:
            root_user = root.user
            try:
                root_uid = id_text(root.uid) if root_user is None else _uid(root_user)
                related.append(self.post(root, root_uid))
            except RecordError:
                # The repost stands on its own and keeps root_post_id; a root too broken
                # to be a post (a hidden one without created_at) gives no root record.
                pass
            else:
                if root_user is not None and (root_author := self.account(root_user)):
                    related.append(root_author)
        return ImportItem(primary=post, related=related)

    def user_item(self, user: UserPayload) -> ImportItem:
        """Return the item of one user line (an account snapshot)."""
        account = self.account(user, required=True)
        assert account is not None  # required=True raises instead of returning None
        return ImportItem(primary=account)

    def post(self, status: StatusPayload | StatusLine, account_uid: str | None) -> PostRecord:
        """Return the post of a status payload, or raise RecordError with the reason."""
        if (status.deleted is not None or account_uid is None) and _is_deleted(status):
            raise RecordError("微博已被删除 / status deleted")
        post_id = status.idstr or id_text(status.id) or id_text(status.mid)
        if post_id is None:
            raise RecordError("缺少微博 id / missing status id")
        if status.created_at is None:
            raise RecordError("缺少发布时间 created_at / missing created_at")
        text = status.text_raw if status.text_raw is not None else status.text
        if text is None:
            raise RecordError("缺少正文 text / missing text")
        full = None
        if (
            status.long_text is not None
            or status.long_text_content is not None
            or status.long_text_raw is not None
        ):
            full = self._long_text(status)  # a long post: its full text, not the cut one
        if full is not None:
            text = full
        elif self._html:
            text = html_to_text(text)
        # Inlined fast cases (API time, int counts): this runs once per imported line.
        created_at = status.created_at
        if type(created_at) is str and len(created_at) == 30 and created_at[3] == " ":
            try:
                created = parse_weibo_api_time(created_at)
            except DateError as exc:
                raise RecordError(f"日期无效 / bad created_at: {exc}") from None
        else:
            created = timestamp(created_at, "created_at", self._now)
        reposts, comments, likes = (
            status.reposts_count,
            status.comments_count,
            status.attitudes_count,
        )
        post = PostRecord(
            platform=PLATFORM,
            post_id=post_id,
            account_uid=account_uid,
            created_at=created,
            text=text,
            topics=extract_topics(text),
            mentions=extract_mentions(text),
            reposts=reposts if type(reposts) is int else count(reposts, "reposts_count"),
            comments=comments if type(comments) is int else count(comments, "comments_count"),
            likes=likes if type(likes) is int else count(likes, "attitudes_count"),
            source=self._sources.get(status.source) or self._source(status.source),
            observed_at=self._observed_at,
        )
        # Rare fields are set afterwards: msgspec is several times slower to build a
        # struct from more than 15 keyword arguments, and this runs once per line.
        if (root := status.retweeted_status) is not None:
            post.is_repost = True
            post.root_post_id = root.idstr or id_text(root.id) or id_text(root.mid)
            post.root_deleted = _is_deleted(root)
        if status.bid is not None or status.mblogid is not None:
            post.bid = status.bid or status.mblogid
        if status.region_name is not None:
            post.region_name = _region(status.region_name)
        if status.page_info is not None:
            post.plays = _plays(status.page_info)
        return post

    def _long_text(self, status: StatusPayload | StatusLine) -> str | None:
        """Return the full text of a long post (长微博) as plain text, None when it has none.

        ``longText.longTextContent`` (open API, m.weibo.cn) is text as the format's text
        is (HTML in m.weibo.cn); a crawler's merged ``longTextContent`` (weibo.com ajax
        longtext, m.weibo.cn statuses/extend) is HTML, its ``longTextContent_raw`` plain.
        """
        if status.long_text_raw:
            return status.long_text_raw
        nested = status.long_text
        if nested is not None and nested.content:
            return html_to_text(nested.content) if self._html else nested.content
        if status.long_text_content:
            return html_to_text(status.long_text_content)
        return None

    def account(self, user: UserPayload, *, required: bool = False) -> AccountRecord | None:
        """Return the account of a user payload; None (or RecordError if required) without an id.

        A user whose ``screen_name`` (and ``name``) is blank or missing is kept with an empty
        name, which the account merge and upsert read as unknown: its followers and
        verified_type still count, and a name stored before stays.
        """
        # Authors repeat across lines: everything but the counts comes from a cache keyed
        # by the raw profile fields, so a known author costs one tuple and one lookup.
        key = (
            user.idstr, user.id, user.screen_name, user.name, user.verified_type,
            user.verified_reason, user.location, user.province, user.city, user.created_at,
            user.description,
        )  # fmt: skip
        try:
            profile = self._profiles[key]
        except KeyError:
            profile = self._profile(user)
            if len(self._profiles) >= _CACHE_MAX:
                self._profiles.clear()
            self._profiles[key] = profile
        if profile is None:
            if required:
                raise RecordError("用户缺少 id / user without id")
            return None
        uid, name, verified_type, gov, adcode, reason, description, location, created = profile
        friends = user.friends_count if user.friends_count is not None else user.follow_count
        return AccountRecord(
            platform=PLATFORM,
            uid=uid,
            name=name,
            verified_type=verified_type,
            is_government=gov,
            followers=count(user.followers_count, "followers_count"),
            adcode=adcode,
            verified_reason=reason,
            description=description,
            location=location,
            friends=count(friends, "friends_count"),
            statuses=count(user.statuses_count, "statuses_count"),
            created_at=created,
            observed_at=self._observed_at,
        )

    def _profile(self, user: UserPayload) -> _Profile | None:
        uid = _uid(user)
        if uid is None:
            return None
        # The first name that is not blank; none: unknown (""), as a Weibo-COV blank nick_name.
        name = next((n for n in (user.screen_name, user.name) if n and n.strip()), "")
        verified_type = _verified_type(user.verified_type)
        reason = user.verified_reason or None
        location = user.location or None
        # The profile cache (self._profiles) already stands for AccountFacts' cache here.
        gov, adcode, created = account_facts(
            name=name,
            verified_type=verified_type,
            verified_reason=reason,
            province=None if user.province is None else str(user.province),
            city=None if user.city is None else str(user.city),
            location=location,
            created_at=user.created_at,
        )
        return (
            uid,
            name,
            verified_type,
            gov,
            adcode,
            reason,
            user.description or None,
            location,
            created,
        )

    def _source(self, source: str | None) -> str | None:
        # The publishing tool is HTML (<a href=…>微博 weibo.com</a>) from a handful of apps;
        # post() looks the cache up first and calls this only on a miss (or an empty tool).
        if not source:
            return None
        if len(self._sources) >= _CACHE_MAX:
            self._sources.clear()
        text = self._sources[source] = html_to_text(source).strip()
        return text or None


def _uid(user: UserPayload) -> str | None:
    return user.idstr or id_text(user.id)


def _is_deleted(status: StatusPayload | StatusLine) -> bool:
    if status.deleted is not None and str(status.deleted) == DELETED_FLAG:
        return True
    text = status.text
    no_user = status.user is None or status.user == NULL_RAW
    return no_user and text is not None and any(g in text for g in _GONE_ROOT)


def _verified_type(value: int | str | None) -> int | None:
    if value is None or type(value) is int:
        return value
    text = str(value).strip()
    return int(text) if text.lstrip("-").isdecimal() else None


def _region(value: str | None) -> str | None:
    # m.weibo.cn: "发布于 北京" (IP 属地).
    if not value:
        return None
    return value.removeprefix("发布于").strip() or None


def _plays(page_info: PageInfo | None) -> int | None:
    if page_info is None or page_info.play_count is None:
        return None
    value = page_info.play_count
    if isinstance(value, str):
        match = _PLAY_COUNT.match(value)
        if match is None:
            raise RecordError(f"播放数无效 / bad page_info.play_count: {value!r}")
        value = match.group(1).replace(" ", "")
    return count(value, "page_info.play_count")
