"""Importers for the CSV files of the common Weibo crawlers (FORMATS.md section 2).

``weibo-crawler-csv`` (dataabc/weibo-crawler posts or users.csv), ``weibo-search-csv``
(dataabc/weibo-search), ``weibospider-csv`` (dataabc/weiboSpider) and ``weibo-cov-csv``
(Weibo-COV posts or user pool). One item per data row; a bad row is quarantined as
``file:row`` (the header is row 1). The file kind is told by its header; a header that
fits none of the kinds raises InvalidInputError naming the expected columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import orjson

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import check_file, iter_csv_rows, refuse_not_utf8, sheet_rows
from zhengwu.ingest.registry import ImportItem, register
from zhengwu.platforms.records import AccountRecord, PostRecord
from zhengwu.platforms.text import extract_mentions, extract_topics, split_list
from zhengwu.platforms.weibo.constants import (
    FALSE_WORDS,
    PLATFORM,
    SEARCH_INSTITUTIONAL,
    TRUE_WORDS,
)
from zhengwu.platforms.weibo.records import (
    AccountFacts,
    RecordError,
    count,
    id_text,
    quarantine,
    timestamp,
)

Row = dict[str, str]
RowConverter = Callable[[Row], ImportItem]

# weibo-crawler's 18 post columns; a repost row repeats them prefixed with "源微博".
CRAWLER_POST_COLUMNS = (
    "id", "bid", "正文", "头条文章url", "原始图片url", "视频url", "Live Photo视频url", "位置",
    "日期", "工具", "点赞数", "评论数", "转发数", "话题", "@用户", "完整日期", "是否编辑过",
    "编辑次数",
)  # fmt: skip
ROOT_PREFIX = "源微博"


def read_header(path: Path) -> list[str] | None:
    """Return the header row of a CSV file or workbook (BOM and spaces stripped), None when empty.

    A CSV that is not UTF-8 as a whole is refused with what it is instead (GBK, as Excel
    saves a CSV on Chinese Windows) and the fix (:func:`refuse_not_utf8`): read as UTF-8
    its column names would be garbled and the file refused as "not a … file", which
    misleads. A single non-UTF-8 row in a UTF-8 file is quarantined alone (GBK_HINT).
    """
    refuse_not_utf8(path)
    first = next(sheet_rows(path), None)  # the generator closes the file when dropped
    if first is None:
        return None
    _, header, problem = first
    if problem is not None:  # a quoted header cell across lines, one of them not UTF-8
        raise InvalidInputError(
            f"CSV 表头不是 UTF-8 编码：{path}", f"the CSV header is not UTF-8: {path}"
        )
    return [h.strip() for h in header or []]


def account_from_path(path: Path, account_uid: str | None) -> tuple[str | None, str | None]:
    """Return ``(uid, screen name)`` of the account a crawler's per-user file belongs to.

    The crawlers write ``weibo/<screen_name>/<uid>.csv``: the uid is the file stem when it
    is numeric (``account_uid`` overrides it); the name is the folder's, and only trusted
    when the file still sits in that layout (grandparent folder ``weibo``).
    """
    stem_uid = path.stem if path.stem.isdecimal() else None
    uid = account_uid or stem_uid
    folder = path.parent.name
    name = None
    if uid is not None and uid == stem_uid and path.parent.parent.name == "weibo":
        name = folder if folder and folder != uid else None
    return uid, name


def _cell(row: Row, column: str) -> str | None:
    value = row.get(column)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required(row: Row, column: str) -> str:
    value = _cell(row, column)
    if value is None:
        raise RecordError(f"缺少 {column} / missing {column}")
    return value


def _time(row: Row, *columns: str) -> datetime:
    for column in columns:
        if (value := _cell(row, column)) is not None:
            return timestamp(value, column, None)
    raise RecordError(f"缺少发布时间 {'/'.join(columns)} / missing {'/'.join(columns)}")


def _count(row: Row, column: str) -> int | None:
    return count(_cell(row, column), column)


def _flag(row: Row, column: str) -> bool | None:
    value = (_cell(row, column) or "").lower()
    return True if value in TRUE_WORDS else False if value in FALSE_WORDS else None


def _list(row: Row, column: str, text: str, extract: Callable[[str], list[str]]) -> list[str]:
    # Crawlers comma-join what they extracted; older files lack the column, so extract.
    return split_list(row[column]) if column in row else extract(text)


class _CrawlerCsv:
    """Shared reading: pick the file kind by header, convert rows, quarantine bad ones."""

    name = ""
    description = ""
    splittable = False
    kinds: ClassVar[dict[str, frozenset[str]]] = {}  # file kind → columns its header must have

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per data row of ``path``; quarantine bad rows.

        CSV rows may span lines (quoted newlines), so these importers are not splittable
        and ``byte_range`` is not used.
        """
        header = read_header(path)
        if header is None:
            return
        convert = self._converter(path, self._kind(path, header))
        for row_no, row, problem in iter_csv_rows(path):
            where = row_no.at(path)
            if row is None:
                yield quarantine(where, problem or "CSV 行无法读取 / unreadable row", row_no.raw)
                continue
            try:
                item = convert(row)
            except RecordError as exc:
                item = quarantine(where, str(exc), row_no.raw)  # the row's line(s) as read
            yield item

    def _kind(self, path: Path, header: list[str]) -> str:
        columns = set(header)
        for kind, required in self.kinds.items():
            if required <= columns:
                return kind
        expected = " | ".join(", ".join(sorted(req)) for req in self.kinds.values())
        raise InvalidInputError(
            f"不是 {self.name} 文件：{path}，表头缺少必需列（需要：{expected}）",
            f"not a {self.name} file: {path}; the header lacks required columns ({expected})",
        )

    def _converter(self, path: Path, kind: str) -> RowConverter:
        raise NotImplementedError


@register("weibo-crawler-csv")
class WeiboCrawlerCsvImporter(_CrawlerCsv):
    """dataabc/weibo-crawler ``weibo/<screen_name>/<uid>.csv`` posts and ``users.csv``.

    The posts' account uid is ``account_uid`` when given, else the file stem when numeric.
    """

    name = "weibo-crawler-csv"
    description = (
        "dataabc/weibo-crawler 微博 CSV（<uid>.csv）、users.csv 与 JSON（<uid>.json）/ "
        "dataabc/weibo-crawler posts CSV (<uid>.csv), users.csv and JSON (<uid>.json)"
    )
    kinds: ClassVar[dict[str, frozenset[str]]] = {
        "posts": frozenset({"id", "正文"}),
        "users": frozenset({"用户id", "昵称"}),
    }

    def __init__(self, *, account_uid: str | None = None) -> None:
        self.account_uid = account_uid

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per row of a CSV file, or per user and post of a JSON file."""
        if _starts_with_brace(path):
            return _crawler_json(path)
        return super().read(path, byte_range=byte_range)

    def _converter(self, path: Path, kind: str) -> RowConverter:
        facts = AccountFacts()
        if kind == "users":
            return lambda row: ImportItem(primary=_crawler_user(row, facts))
        uid, name = account_from_path(path, self.account_uid)

        def convert(row: Row) -> ImportItem:
            post = _crawler_post(row, uid)
            related: list[AccountRecord | PostRecord] = []
            if uid is not None and name is not None:
                related.append(AccountRecord(platform=PLATFORM, uid=uid, name=name))
            if post.root_post_id is not None:
                related.extend(_crawler_root(row, facts))
            return ImportItem(primary=post, related=related)

        return convert


def _crawler_post(row: Row, uid: str | None, prefix: str = "") -> PostRecord:
    text = _cell(row, prefix + "正文") or ""
    original = _flag(row, "是否原创") if not prefix else None
    root_id = _cell(row, ROOT_PREFIX + "id") if not prefix else None
    is_repost = original is False or root_id is not None
    return PostRecord(
        platform=PLATFORM,
        post_id=_required(row, prefix + "id"),
        account_uid=uid,
        created_at=_time(row, prefix + "完整日期", prefix + "日期"),
        text=text,
        topics=_list(row, prefix + "话题", text, extract_topics),
        mentions=_list(row, prefix + "@用户", text, extract_mentions),
        reposts=_count(row, prefix + "转发数"),
        comments=_count(row, prefix + "评论数"),
        likes=_count(row, prefix + "点赞数"),
        is_repost=is_repost,
        root_post_id=root_id,
        # weibo-crawler leaves the 源微博 columns empty when the root is gone.
        root_deleted=is_repost and root_id is None,
        bid=_cell(row, prefix + "bid"),
        source=_cell(row, prefix + "工具"),
        region_name=_cell(row, prefix + "位置"),
    )


def _crawler_root(row: Row, facts: AccountFacts) -> list[AccountRecord | PostRecord]:
    root_uid = _cell(row, "源用户id")
    try:
        root = _crawler_post(row, root_uid, ROOT_PREFIX)
    except RecordError:
        return []  # the repost keeps root_post_id; an incomplete root gives no record
    related: list[AccountRecord | PostRecord] = [root]
    root_name = _cell(row, "源用户昵称")
    if root_uid is not None and root_name is not None:
        gov, _, _ = facts.get(
            uid=root_uid, name=root_name, verified_type=None, verified_reason=None
        )
        related.append(
            AccountRecord(platform=PLATFORM, uid=root_uid, name=root_name, is_government=gov)
        )
    return related


# weibo-crawler's JSON output ({"user": {…}, "weibo": [{…, "retweet": {…}}]}): its keys
# are the CSV's columns under other names, so a JSON post or user is read as a CSV row.
_JSON_POST_COLUMNS = dict(zip(
    ("id", "bid", "text", "article_url", "pics", "video_url", "live_photo_url", "location",
     "created_at", "source", "attitudes_count", "comments_count", "reposts_count", "topics",
     "at_users", "full_created_at", "edited", "edit_count"),
    CRAWLER_POST_COLUMNS, strict=True,
))  # fmt: skip
_JSON_USER_COLUMNS = {
    "id": "用户id", "screen_name": "昵称", "location": "所在地", "registration_time": "注册时间",
    "statuses_count": "微博数", "followers_count": "粉丝数", "follow_count": "关注数",
    "description": "简介", "verified_type": "认证类型", "verified_reason": "认证信息",
}  # fmt: skip


def _starts_with_brace(path: Path) -> bool:
    check_file(path)
    with path.open("rb") as fh:
        head = fh.read(64).removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{")


def _cells(obj: dict[str, object], columns: dict[str, str], prefix: str = "") -> Row:
    row: Row = {}
    for key, column in columns.items():
        value = obj.get(key)
        if value is not None and not isinstance(value, dict | list):
            row[prefix + column] = str(value)
    return row


def _crawler_json(path: Path) -> Iterator[ImportItem]:
    """Yield the user and the posts of a weibo-crawler ``<uid>.json`` file.

    The user is one item, each post another (``file:weibo[N]`` when quarantined, N from
    1); a post's ``retweet`` is read as the CSV's 源微博 columns.
    """
    try:
        data = orjson.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise InvalidInputError(
            f"不是可读的 JSON 文件（{exc}）：{path}", f"not a readable JSON file ({exc}): {path}"
        ) from None
    user = data.get("user") if isinstance(data, dict) else None
    posts = data.get("weibo") if isinstance(data, dict) else None
    if not isinstance(user, dict) and not isinstance(posts, list):
        raise InvalidInputError(
            f'不是 weibo-crawler 的 JSON 文件（应为 {{"user": {{…}}, "weibo": [...]}}）：{path}',
            f'not a weibo-crawler JSON file (expected {{"user": {{…}}, "weibo": [...]}}): {path}',
        )
    facts = AccountFacts()
    uid = None
    if isinstance(user, dict):
        try:
            account = _crawler_user(_cells(user, _JSON_USER_COLUMNS), facts)
        except RecordError as exc:
            yield quarantine(f"{path}:user", str(exc), orjson.dumps(user))
        else:
            uid = account.uid
            yield ImportItem(primary=account)
    for n, post in enumerate(posts if isinstance(posts, list) else [], start=1):
        where = f"{path}:weibo[{n}]"
        if not isinstance(post, dict):
            yield quarantine(where, "不是 JSON 对象 / not a JSON object", orjson.dumps(post))
            continue
        row = _cells(post, _JSON_POST_COLUMNS)
        if isinstance(root := post.get("retweet"), dict):
            row |= _cells(root, _JSON_POST_COLUMNS, ROOT_PREFIX)
            row["是否原创"] = "False"
            row |= _cells(root, {"user_id": "源用户id", "screen_name": "源用户昵称"})
        try:
            record = _crawler_post(row, id_text(post.get("user_id")) or uid)
            related = _crawler_root(row, facts) if record.root_post_id is not None else []
        except RecordError as exc:
            yield quarantine(where, str(exc), orjson.dumps(post))
        else:
            yield ImportItem(primary=record, related=related)


def _crawler_user(row: Row, facts: AccountFacts) -> AccountRecord:
    uid, name = _required(row, "用户id"), _required(row, "昵称")
    verified_type = _cell(row, "认证类型")
    vtype = int(verified_type) if verified_type and verified_type.lstrip("-").isdecimal() else None
    reason, location = _cell(row, "认证信息"), _cell(row, "所在地")
    gov, adcode, created = facts.get(
        uid=uid,
        name=name,
        verified_type=vtype,
        verified_reason=reason,
        location=location,
        created_at=_cell(row, "注册时间"),
    )
    return AccountRecord(
        platform=PLATFORM,
        uid=uid,
        name=name,
        verified_type=vtype,
        is_government=gov,
        followers=_count(row, "粉丝数"),
        adcode=adcode,
        verified_reason=reason,
        description=_cell(row, "简介"),
        location=location,
        friends=_count(row, "关注数"),
        statuses=_count(row, "微博数"),
        created_at=created,
    )


@register("weibo-search-csv")
class WeiboSearchCsvImporter(_CrawlerCsv):
    """dataabc/weibo-search result CSV: posts with their authors (蓝V = institutional)."""

    name = "weibo-search-csv"
    description = (
        "dataabc/weibo-search 搜索结果 CSV（含作者与认证颜色）/ "
        "dataabc/weibo-search result CSV (with the authors and their verification colour)"
    )
    kinds: ClassVar[dict[str, frozenset[str]]] = {
        "posts": frozenset({"id", "user_id", "微博正文", "发布时间"})
    }

    def _converter(self, path: Path, kind: str) -> RowConverter:
        facts = AccountFacts()

        def convert(row: Row) -> ImportItem:
            text = _cell(row, "微博正文") or ""
            uid, root_id = _required(row, "user_id"), _cell(row, "retweet_id")
            post = PostRecord(
                platform=PLATFORM,
                post_id=_required(row, "id"),
                account_uid=uid,
                created_at=_time(row, "发布时间"),
                text=text,
                topics=_list(row, "话题", text, extract_topics),
                mentions=_list(row, "艾特用户", text, extract_mentions),
                reposts=_count(row, "转发数"),
                comments=_count(row, "评论数"),
                likes=_count(row, "点赞数"),
                is_repost=root_id is not None,
                root_post_id=root_id,
                bid=_cell(row, "bid"),
                source=_cell(row, "发布工具"),
                region_name=_cell(row, "ip") or _cell(row, "发布位置"),
            )
            name = _cell(row, "用户昵称")
            if name is None:
                return ImportItem(primary=post)
            gov, _, _ = facts.get(
                uid=uid,
                name=name,
                verified_type=None,
                verified_reason=None,
                institutional=_cell(row, "user_authentication") == SEARCH_INSTITUTIONAL,
            )
            author = AccountRecord(platform=PLATFORM, uid=uid, name=name, is_government=gov)
            return ImportItem(primary=post, related=[author])

        return convert


@register("weibospider-csv")
class WeiboSpiderCsvImporter(_CrawlerCsv):
    """dataabc/weiboSpider ``<uid>.csv``: 微博id is a bid, kept as post_id and bid.

    The account uid is ``account_uid`` when given, else the file stem when numeric.
    """

    name = "weibospider-csv"
    description = (
        "dataabc/weiboSpider 微博 CSV（weibo.cn，微博id 为 bid）/ "
        "dataabc/weiboSpider posts CSV (weibo.cn; its 微博id column holds the bid)"
    )
    kinds: ClassVar[dict[str, frozenset[str]]] = {
        "posts": frozenset({"微博id", "微博正文", "发布时间"})
    }

    def __init__(self, *, account_uid: str | None = None) -> None:
        self.account_uid = account_uid

    def _converter(self, path: Path, kind: str) -> RowConverter:
        uid, name = account_from_path(path, self.account_uid)

        def convert(row: Row) -> ImportItem:
            bid, text = _required(row, "微博id"), _cell(row, "微博正文") or ""
            post = PostRecord(
                platform=PLATFORM,
                post_id=bid,
                account_uid=uid,
                created_at=_time(row, "发布时间"),
                text=text,
                topics=extract_topics(text),
                mentions=extract_mentions(text),
                reposts=_count(row, "转发数"),
                comments=_count(row, "评论数"),
                likes=_count(row, "点赞数"),
                is_repost=_flag(row, "是否为原创微博") is False,
                bid=bid,
                source=_cell(row, "发布工具"),
                region_name=_cell(row, "发布位置"),
            )
            related: list[AccountRecord | PostRecord] = []
            if uid is not None and name is not None:
                related.append(AccountRecord(platform=PLATFORM, uid=uid, name=name))
            return ImportItem(primary=post, related=related)

        return convert


@register("weibo-cov-csv")
class WeiboCovCsvImporter(_CrawlerCsv):
    """Weibo-COV v1/v2 posts (``_id`` = bid, hashed user_id) and the v2 user pool.

    User-pool accounts have hashed ids and no screen name: their name is empty.
    """

    name = "weibo-cov-csv"
    description = (
        "Weibo-COV v1/v2 微博 CSV 与用户池 CSV（user_id 已哈希）/ "
        "Weibo-COV v1/v2 posts CSV and user pool CSV (user_id hashed)"
    )
    kinds: ClassVar[dict[str, frozenset[str]]] = {
        "posts": frozenset({"_id", "user_id", "crawl_time", "created_at", "content"}),
        "users": frozenset({"user_id", "fans_num"}),
    }

    def _converter(self, path: Path, kind: str) -> RowConverter:
        facts = AccountFacts()
        if kind == "users":
            return lambda row: ImportItem(primary=_cov_user(row, facts))
        return lambda row: ImportItem(primary=_cov_post(row))


def _cov_post(row: Row) -> PostRecord:
    bid, text = _required(row, "_id"), _cell(row, "content") or ""
    root_bid = _cell(row, "origin_weibo")
    return PostRecord(
        platform=PLATFORM,
        post_id=bid,
        account_uid=_required(row, "user_id"),
        created_at=_time(row, "created_at"),
        text=text,
        topics=extract_topics(text),
        mentions=extract_mentions(text),
        reposts=_count(row, "repost_num"),
        comments=_count(row, "comment_num"),
        likes=_count(row, "like_num"),
        is_repost=root_bid is not None,
        root_post_id=root_bid,
        bid=bid,
        observed_at=_time(row, "crawl_time"),
    )


def _cov_user(row: Row, facts: AccountFacts) -> AccountRecord:
    uid = _required(row, "user_id")
    place = [p for p in (_cell(row, "province"), _cell(row, "city")) if p]
    location = " ".join(place) or None
    _, adcode, _ = facts.get(
        uid=uid, name="", verified_type=None, verified_reason=None, location=location
    )
    return AccountRecord(
        platform=PLATFORM,
        uid=uid,
        name="",
        followers=_count(row, "fans_num"),
        adcode=adcode,
        location=location,
        observed_at=_time(row, "crawl_time"),
    )
