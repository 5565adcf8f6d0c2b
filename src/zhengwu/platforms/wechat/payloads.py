"""WeChat official-account (公众号) payloads turned into PostRecord / AccountRecord.

Three sources (FORMATS.md §5):

* the profile history article list (``profile_ext`` → ``general_msg_list``): one push
  (群发) per record, a lead article (头条) plus ``multi_app_msg_item_list``; no counts;
* lqqyt2423/wechat_spider's mongoexport rows: one article per row with its counters;
* the official datacube ``getarticletotal`` rows: cumulative counts per day.

Identities are shared so the three join: an article is ``"<mid>_<idx>"`` (the datacube
``msgid`` form, e.g. ``"2247483904_1"``) and an account is its ``__biz`` (base64 of the
numeric ``fakeid``: 共青团中央 is fakeid 3075193430 = biz ``MzA3NTE5MzQzMA==``).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from datetime import date, datetime, time
from urllib.parse import parse_qs, urlsplit

import orjson

from zhengwu.platforms.government import is_government_account
from zhengwu.platforms.records import AccountRecord, PostRecord
from zhengwu.platforms.text import extract_topics
from zhengwu.platforms.timeparse import CHINA_TZ
from zhengwu.platforms.wechat.sources import (
    PayloadError,
    count_of,
    id_of,
    object_of,
    text_of,
    time_of,
)

PLATFORM = "wechat"
ORIGINAL = 11  # copyright_stat 11 = 原创 (wechat_spider code comment); 100/101 = not declared
ALL_SOURCES = 99999999  # datacube user_source 全部 (every channel)
TEXT_MESSAGE = 1  # comm_msg_info.type 1 = 文字 (a push without articles); 49 = 图文
_MONGO_NUMBERS = ("$numberInt", "$numberLong", "$numberDouble", "$numberDecimal")


# ---- shared helpers


def article_id(biz: str | None, local_id: str) -> str:
    """Return a WeChat article's id: ``<biz>:<mid>_<idx>``.

    ``mid`` (appmsgid) is numbered per account, so the same ``2247483904_1`` exists in many
    accounts; prefixing the account's biz keeps articles of different accounts apart (and the
    datacube's msgid, which is the same ``mid_idx``, lands on the same article).
    """
    return f"{biz}:{local_id}" if biz else local_id


def clean_url(value: str) -> str:
    """Undo the escaping article URLs carry (JSON ``\\/`` residue and HTML ``&amp;``)."""
    return html.unescape(value.replace("\\/", "/"))


def clean_text(value: str | None) -> str | None:
    """Undo HTML entities and the literal ``\\n`` left by double-encoded article lists."""
    if not value:
        return None
    # The profile list is a JSON string inside JSON; crawlers that decode it once leave
    # "\\n" and "\\/" behind (the real 共青团中央 sample has "每晚9:30\\n陪你青听").
    return html.unescape(value.replace("\\n", "\n").replace("\\/", "/"))


def url_key(url: str) -> tuple[str | None, str | None, str | None]:
    """Return ``(__biz, mid, idx)`` from an ``mp.weixin.qq.com/s?…`` article URL."""
    query = parse_qs(urlsplit(url).query)

    def first(name: str) -> str | None:
        values = query.get(name)
        return (values[0].strip() or None) if values else None

    return first("__biz"), first("mid"), first("idx")


def biz_of_fakeid(fakeid: str) -> str:
    """Return the ``__biz`` account id of a numeric ``fakeid`` (its base64 form)."""
    return base64.b64encode(fakeid.encode("ascii")).decode("ascii")


def is_original(value: object) -> bool | None:
    """Return 原创 from a copyright_stat (None when absent or not a number)."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return int(str(value)) == ORIGINAL
    except ValueError:
        return None


def _mongo(value: object) -> object:
    """Unwrap mongoexport extended JSON (``{"$numberInt": "3"}``, ``{"$date": …}``)."""
    if isinstance(value, dict) and len(value) == 1:
        key, inner = next(iter(value.items()))
        if key in _MONGO_NUMBERS or key == "$date":
            return _mongo(inner)
    return value


def _topics(*texts: str | None) -> list[str]:
    seen: dict[str, None] = {}
    for text in texts:
        for topic in extract_topics(text or ""):
            seen.setdefault(topic, None)
    return list(seen)


# ---- (a) profile history article list


def unwrap_article_list(obj: dict[str, object]) -> list[object] | None:
    """Return the pushes of a ``{"list": […]}`` / ``{"general_msg_list": "<json>"}`` wrapper."""
    if "general_msg_list" in obj:
        inner = obj["general_msg_list"]
        if isinstance(inner, str):
            # The real profile_ext response embeds the list as a JSON string.
            try:
                inner = orjson.loads(inner)
            except orjson.JSONDecodeError as exc:
                raise PayloadError(
                    "general_msg_list 不是有效的 JSON", f"general_msg_list is not valid JSON: {exc}"
                ) from None
        obj = inner if isinstance(inner, dict) else {"list": inner}
    if "list" not in obj:
        return None
    items = obj["list"]
    if not isinstance(items, list):
        raise PayloadError("list 不是数组", "list is not an array")
    return items


def is_profile_push(record: Mapping[str, object]) -> bool:
    """Return whether a record is a push of the profile article list."""
    return "comm_msg_info" in record or "app_msg_ext_info" in record


def parse_profile_push(record: Mapping[str, object]) -> tuple[PostRecord, list[PostRecord]]:
    """Return the lead article (头条) of one push and its other articles."""
    comm = object_of(record, "comm_msg_info")
    if comm is None:
        raise PayloadError("缺少 comm_msg_info", "missing comm_msg_info")
    push_id = id_of(comm, "id")
    created_at = time_of(comm.get("datetime"), "comm_msg_info.datetime")
    fakeid = id_of(comm, "fakeid")
    fallback_biz = biz_of_fakeid(fakeid) if fakeid and fakeid.isascii() else None
    ext = object_of(record, "app_msg_ext_info")
    if ext is None:
        return _text_push(comm, push_id, fallback_biz, created_at), []
    others = ext.get("multi_app_msg_item_list") or []
    if not isinstance(others, list):
        raise PayloadError(
            "multi_app_msg_item_list 不是数组", "multi_app_msg_item_list is not an array"
        )
    articles: list[PostRecord] = []
    for index, article in enumerate([ext, *others], start=1):
        if not isinstance(article, dict):
            raise PayloadError(f"第 {index} 篇文章不是对象", f"article {index} is not an object")
        articles.append(_article(article, index, push_id, fallback_biz, created_at))
    return articles[0], articles[1:]


def _article(
    article: Mapping[str, object],
    index: int,
    push_id: str | None,
    fallback_biz: str | None,
    created_at: datetime,
) -> PostRecord:
    raw_url = text_of(article, "content_url")
    url = clean_url(raw_url) if raw_url else None
    biz, mid, idx = url_key(url) if url else (None, None, None)
    if mid and idx:
        post_id = article_id(biz or fallback_biz, f"{mid}_{idx}")
    elif push_id:
        # Deleted articles lose their URL; the push id + position still names them.
        post_id = article_id(fallback_biz, f"{push_id}_{index}")
    else:
        raise PayloadError(
            "缺少文章 id（无 content_url 与 comm_msg_info.id）", "missing article id"
        )
    title = clean_text(text_of(article, "title"))
    digest = clean_text(text_of(article, "digest"))
    text = digest or title or ""
    return PostRecord(
        platform=PLATFORM,
        post_id=post_id,
        account_uid=biz or fallback_biz,
        created_at=created_at,
        text=text,
        topics=_topics(title, digest),
        title=title,
        url=url,
        is_headline=index == 1,
        is_original=is_original(article.get("copyright_stat")),
    )


def _text_push(
    comm: Mapping[str, object], push_id: str | None, biz: str | None, created_at: datetime
) -> PostRecord:
    kind = comm.get("type")
    if kind != TEXT_MESSAGE:
        raise PayloadError(
            f"不支持的消息类型（type={kind!r}），只导入图文和文字消息",
            f"unsupported push type {kind!r}: only articles (49) and text (1) are imported",
        )
    if push_id is None:
        raise PayloadError("缺少 comm_msg_info.id", "missing comm_msg_info.id")
    text = clean_text(text_of(comm, "content")) or ""
    return PostRecord(
        platform=PLATFORM,
        post_id=article_id(biz, push_id),
        account_uid=biz,
        created_at=created_at,
        text=text,
        topics=_topics(text),
        is_headline=True,
    )


# ---- (b) wechat_spider mongoexport rows


def is_spider_row(record: Mapping[str, object]) -> bool:
    """Return whether a record is a wechat_spider post row."""
    return any(key in record for key in ("msgBiz", "msgMid", "readNum", "publishAt", "link"))


def parse_spider_row(record: Mapping[str, object]) -> tuple[PostRecord, AccountRecord | None]:
    """Return the article of a wechat_spider row and, when it names one, its account."""
    link = text_of(record, "link")
    url = clean_url(link) if link else None
    url_biz, url_mid, url_idx = url_key(url) if url else (None, None, None)
    biz = _mongo_id(record, "msgBiz") or url_biz
    mid = _mongo_id(record, "msgMid") or url_mid
    idx = _mongo_id(record, "msgIdx") or url_idx
    if not (mid and idx):
        raise PayloadError("缺少文章 id（msgMid/msgIdx 或 link）", "missing msgMid/msgIdx and link")
    if record.get("publishAt") in (None, ""):
        raise PayloadError("缺少发布时间 publishAt", "missing publishAt")
    created_at = time_of(_mongo(record["publishAt"]), "publishAt")
    updated = _mongo(record.get("updateNumAt"))
    observed_at = time_of(updated, "updateNumAt") if updated not in (None, "") else None
    # isFail marks a page whose counters could not be fetched: its numbers mean nothing.
    counts = {
        key: None if record.get("isFail") is True else count_of(_mongo(record.get(key)), key)
        for key in ("readNum", "likeNum", "likeNum2")
    }
    title = clean_text(text_of(record, "title"))
    digest = clean_text(text_of(record, "digest"))
    post = PostRecord(
        platform=PLATFORM,
        post_id=article_id(biz, f"{mid}_{idx}"),
        account_uid=biz,
        created_at=created_at,
        text=digest or title or "",
        topics=_topics(title, digest),
        title=title,
        url=url,
        reads=counts["readNum"],
        likes=counts["likeNum"],  # likeNum = old_like_num = 点赞
        zaikan=counts["likeNum2"],  # likeNum2 = like_num = 在看
        is_headline=idx == "1",
        is_original=is_original(_mongo(record.get("copyrightStat"))),
        observed_at=observed_at,
    )
    name = text_of(record, "accountName")
    if not (biz and name):
        return post, None
    account = AccountRecord(
        platform=PLATFORM,
        uid=biz,
        name=name,
        # A 公众号 name with 局/委/发布 … must be verified by WeChat, so the name counts.
        is_government=is_government_account(None, None, name, institutional=True),
        observed_at=observed_at,
    )
    return post, account


def _mongo_id(record: Mapping[str, object], key: str) -> str | None:
    value = _mongo(record.get(key))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return id_of({key: value}, key)


# ---- (c) datacube statistics


def unwrap_datacube(obj: dict[str, object]) -> list[object] | None:
    """Return the rows of an official datacube response ``{"list": […]}``."""
    if "list" not in obj:
        return None
    rows = obj["list"]
    if not isinstance(rows, list):
        raise PayloadError("list 不是数组", "list is not an array")
    return rows


def end_of_day(day: date) -> datetime:
    """Return 23:59:59 China time of ``day`` (when a day's statistics are final)."""
    return datetime.combine(day, time(23, 59, 59), CHINA_TZ)


def _day(record: Mapping[str, object], key: str) -> date:
    value = text_of(record, key)
    if value is None:
        raise PayloadError(f"缺少日期 {key}", f"missing {key}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PayloadError(
            f"日期无效（{key}={value!r}）", f"invalid date in {key}: {value!r}"
        ) from None


def parse_datacube_row(record: Mapping[str, object], *, account_uid: str) -> PostRecord:
    """Return the latest cumulative snapshot of a ``getarticletotal`` row (every day is checked).

    Only the latest day becomes a record: the analytics store keeps a post's latest
    observation and would take an older day, re-imported, for a change, so the same file
    imported twice would not be a no-op. Importing the datacube daily builds the series.
    """
    source = record.get("user_source")
    if source is not None and source != ALL_SOURCES and str(source) != str(ALL_SOURCES):
        raise PayloadError(
            f"渠道分项数据（user_source={source}），只导入全部渠道合计",
            f"per-channel breakdown row (user_source={source}), only totals are imported",
        )
    msgid = id_of(record, "msgid")
    if msgid is None:
        raise PayloadError(
            "缺少 msgid（账号级汇总数据如 getuserread 不是文章）",
            "missing msgid (account-level rows such as getuserread are not articles)",
        )
    if "details" not in record:
        # getarticlesummary counts one day's reads only; taken as a snapshot it would make
        # an article's reads fall back to that day's number.
        raise PayloadError(
            "每日增量数据（getarticlesummary），不是累计数；请导入 getarticletotal",
            "daily increments (getarticlesummary), not cumulative counts; import getarticletotal",
        )
    details = record["details"]
    if not isinstance(details, list) or not details:
        raise PayloadError("details 为空或不是数组", "details is empty or not an array")
    # ref_date of getarticletotal is the day the article was sent (群发日期); the datacube
    # has no publish time, so the article is dated at 00:00 that day.
    created_at = datetime.combine(_day(record, "ref_date"), time(0, 0), CHINA_TZ)
    title = clean_text(text_of(record, "title"))
    snapshots: list[PostRecord] = []
    for detail in details:
        if not isinstance(detail, dict):
            raise PayloadError("details 的元素不是对象", "a details element is not an object")
        snapshots.append(
            PostRecord(
                platform=PLATFORM,
                post_id=article_id(account_uid, msgid),
                account_uid=account_uid,
                created_at=created_at,
                text=title or "",
                title=title,
                reads=count_of(detail.get("int_page_read_count"), "int_page_read_count"),
                shares=count_of(detail.get("share_count"), "share_count"),
                favorites=count_of(detail.get("add_to_fav_count"), "add_to_fav_count"),
                is_headline=msgid.endswith("_1"),
                observed_at=end_of_day(_day(detail, "stat_date")),
            )
        )
    return max(snapshots, key=lambda post: post.observed_at or created_at)
