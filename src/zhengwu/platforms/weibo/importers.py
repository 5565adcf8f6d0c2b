"""Weibo JSON importers: ``weibo-api`` (open API v2) and ``weibo-mblog`` (m.weibo.cn).

Both read JSON Lines (split across processes by byte range) and whole JSON documents.
One item comes out per status or user: a line, a list element, or an element of a
wrapper (``{"statuses": […]}``, ``{"users": […]}``, a container response's cards).
Quarantine sources are ``file:line``; records nested inside one line (or inside a
whole-file document, which counts as line 1) are ``file:line#k`` with k counted from 1.
A separate long-text response (no status id) is quarantined with how to import its text.

The crawler CSV importers live in :mod:`zhengwu.platforms.weibo.crawlers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import msgspec

from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import GBK_HINT, check_file, decode_line, iter_lines
from zhengwu.ingest.registry import ImportItem, register
from zhengwu.platforms.timeparse import CHINA_TZ
from zhengwu.platforms.weibo.constants import CARD_GROUP_TYPE, MBLOG_CARD_TYPE
from zhengwu.platforms.weibo.jsonfiles import encode_raw, sniff
from zhengwu.platforms.weibo.payloads import (
    ANY_DECODER,
    LINE_DECODER,
    NULL_RAW,
    USER_DECODER,
    status_from_object,
    user_from_object,
)
from zhengwu.platforms.weibo.records import RecordError, StatusConverter, quarantine

_STATUS_KEYS = ("text", "text_raw", "user", "retweeted_status", "deleted")
_STATUS_LISTS = ("statuses", "reposts")
# Keys only a user object has: a user whose screen_name is missing is still a user.
_USER_KEYS = ("screen_name", "followers_count", "friends_count", "follow_count", "statuses_count")
# Keys of which a Weibo record has at least one; a file whose first record has none is not
# Weibo data at all (a WeChat article list, a hot-search archive …).
_WEIBO_KEYS = frozenset(
    {"id", "idstr", "mid", "created_at", "text", "user", "screen_name", "statuses", "users"}
    | {"reposts", "retweeted_status", "deleted", "followers_count"}
)
_MBLOG_KEYS = frozenset({"ok", "data", "cards", "card_type", "card_group", "mblog", "userInfo"})
# A separate long-text response has the full text of a long post and none of the status.
_LONG_TEXT_KEYS = ("longTextContent", "longTextContent_raw")
_STATUS_PARTS = ("text", "text_raw", "created_at", "user", "retweeted_status")
# Turns one JSON object of a known kind (status or user) into its item.
_Convert = Callable[[dict[str, object], str, StatusConverter], ImportItem]


def _reason(exc: Exception) -> str:
    # msgspec names the path ("Expected `int` >= 0 - at `$.reposts_count`"); say it's a field.
    if isinstance(exc, msgspec.ValidationError):
        return f"字段无效 / invalid field: {exc}"
    return str(exc)


def _broken(raw: bytes, where: str, exc: Exception) -> ImportItem:
    if decode_line(raw) is None:
        return quarantine(where, GBK_HINT, raw)
    return quarantine(where, f"JSON 无法解析 / broken JSON: {exc}", raw)


def _long_text_response(obj: dict[str, object]) -> dict[str, object] | None:
    """Return the body of a separate long-text response, None for anything else.

    m.weibo.cn ``statuses/extend`` gives ``{"ok":1,"data":{"ok":1,"longTextContent":…,
    "reposts_count":…}}``, weibo.com ``ajax/statuses/longtext`` ``{"ok":1,"data":
    {"longTextContent":…,"longTextContent_raw":…}}``: the full text of a long post (长微博),
    asked for by the status's id, which the response does not repeat. Saved bare (the
    ``data`` only) or whole, it is not a status: no id, time, author or cut text.
    """
    data = obj.get("data")
    body = data if isinstance(data, dict) and not any(k in obj for k in _LONG_TEXT_KEYS) else obj
    if any(k in body for k in _LONG_TEXT_KEYS) and not any(k in body for k in _STATUS_PARTS):
        return body
    return None


def _long_text_quarantine(
    body: dict[str, object], obj: dict[str, object], where: str
) -> ImportItem:
    # The full text belongs in its status, which the crawler fetched it for.
    sid = next((body[k] for k in ("idstr", "id", "mid") if body.get(k) not in (None, "")), None)
    if sid is None:
        zh, en = "没有微博 id，无法对应到所属微博", "it has no status id to match it to its status"
    else:
        zh = f"只有微博 id {sid}，没有发布时间、作者和正文"
        en = f"it has status id {sid} but no created_at, author or text"
    return quarantine(
        where,
        f"长微博全文响应（statuses/extend 或 ajax/statuses/longtext）不是微博：{zh}；"
        "请把其 longTextContent 并入所属微博的 longText.longTextContent 字段，再导入该微博 / "
        "a long-text response (statuses/extend or ajax/statuses/longtext) is not a status: "
        f"{en}; merge its longTextContent into the status as longText.longTextContent and "
        "import that status",
        encode_raw(obj),
    )


def _anchor(path: Path, now: datetime | None) -> datetime:
    # Relative times ("5分钟前") count back from when the file was written.
    if now is not None:
        return now if now.tzinfo else now.replace(tzinfo=CHINA_TZ)
    return datetime.fromtimestamp(path.stat().st_mtime, CHINA_TZ)


class _WeiboJson:
    """Shared reading of JSON Lines / JSON documents; subclasses say how a record reads."""

    name = ""
    description = ""
    splittable = True
    expected: tuple[str, str] = ("", "")  # what the format takes, in Chinese and English

    def read(
        self, path: Path, *, byte_range: tuple[int, int] | None = None
    ) -> Iterator[ImportItem]:
        """Yield one item per status or user of ``path``; quarantine bad records."""
        check_file(path)
        layout = sniff(path)
        if layout.empty:
            return
        self._check_shape(path, layout.document if layout.is_document else layout.first)
        conv = self._converter(path)
        if layout.is_document:
            if byte_range is None or byte_range[0] == 0:
                yield from self._value(layout.document, f"{path}:1", conv, top=True)
            return
        yield from self._lines(path, byte_range, conv)

    def _lines(
        self, path: Path, byte_range: tuple[int, int] | None, conv: StatusConverter
    ) -> Iterator[ImportItem]:
        for lineno, raw in iter_lines(path, byte_range):
            yield from self._generic_line(raw, f"{path}:{lineno}", conv)

    def _generic_line(self, raw: bytes, where: str, conv: StatusConverter) -> Iterator[ImportItem]:
        try:
            value = ANY_DECODER.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            yield _broken(raw, where, exc)
            return
        yield from self._value(value, where, conv, top=True)

    def _converter(self, path: Path) -> StatusConverter:
        raise NotImplementedError

    def _value(
        self, value: object, where: str, conv: StatusConverter, *, top: bool
    ) -> Iterator[ImportItem]:
        # A list at the top of a line or document holds records; deeper lists do not.
        if top and isinstance(value, list):
            for k, element in enumerate(value, start=1):
                yield from self._value(element, f"{where}#{k}", conv, top=False)
            return
        if not isinstance(value, dict):
            kind = type(value).__name__ if value is not None else "null"
            yield quarantine(
                where, f"不是 JSON 对象 / not a JSON object (got {kind})", encode_raw(value)
            )
            return
        yield from self._object(value, where, conv)

    def _object(
        self, obj: dict[str, object], where: str, conv: StatusConverter
    ) -> Iterator[ImportItem]:
        for key in _STATUS_LISTS:
            if key in obj:
                yield from self._list(obj[key], key, where, conv, self._status)
                return
        if "users" in obj:
            yield from self._list(obj["users"], "users", where, conv, self._user)
        elif any(key in obj for key in _STATUS_KEYS):
            yield self._status(obj, where, conv)
        elif any(key in obj for key in _USER_KEYS):
            yield self._user(obj, where, conv)
        elif "created_at" in obj:
            yield self._status(obj, where, conv)
        elif (body := _long_text_response(obj)) is not None:
            yield _long_text_quarantine(body, obj, where)
        else:
            keys = ", ".join(list(obj)[:8])
            yield quarantine(
                where,
                f"不是微博或用户 / neither a status nor a user (keys: {keys})",
                encode_raw(obj),
            )

    def _list(
        self,
        items: object,
        key: str,
        where: str,
        conv: StatusConverter,
        convert: _Convert,
    ) -> Iterator[ImportItem]:
        if not isinstance(items, list):
            yield quarantine(where, f"{key} 不是列表 / {key} is not a list", encode_raw(items))
            return
        for k, element in enumerate(items, start=1):
            if isinstance(element, dict):
                yield convert(element, f"{where}#{k}", conv)
            else:
                yield from self._value(element, f"{where}#{k}", conv, top=False)

    def _status(self, obj: dict[str, object], where: str, conv: StatusConverter) -> ImportItem:
        try:
            return conv.status_item(status_from_object(obj))
        except (msgspec.ValidationError, RecordError) as exc:
            return quarantine(where, _reason(exc), encode_raw(obj))

    def _user(self, obj: dict[str, object], where: str, conv: StatusConverter) -> ImportItem:
        try:
            return conv.user_item(user_from_object(obj))
        except (msgspec.ValidationError, RecordError) as exc:
            return quarantine(where, _reason(exc), encode_raw(obj))

    def _check_shape(self, path: Path, value: object) -> None:
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, dict)), None)
        if not isinstance(value, dict):
            return  # scalars are quarantined one by one
        if isinstance(value.get("weibo"), list) and "text" not in value:
            raise InvalidInputError(
                f"这是 dataabc/weibo-crawler 的 JSON 输出（user + weibo），请用 weibo-crawler-csv "
                f"导入：{path}",
                f"this is dataabc/weibo-crawler's JSON output (user + weibo): import it with "
                f"weibo-crawler-csv: {path}",
            )
        if not self._is_weibo(value):
            keys = ", ".join(list(value)[:8])
            raise InvalidInputError(
                f"不是 {self.name} 格式：期望 {self.expected[0]}，首条记录的字段是 {keys}",
                f"not {self.name} data: expected {self.expected[1]}; first record has keys {keys}",
            )

    def _is_weibo(self, obj: dict[str, object]) -> bool:
        # A long-text response is Weibo's: read, it is quarantined saying what to do with it.
        return not _WEIBO_KEYS.isdisjoint(obj) or _long_text_response(obj) is not None


@register("weibo-api")
class WeiboApiImporter(_WeiboJson):
    """Weibo open API v2 statuses and users (JSON, JSON list, JSON Lines, timeline wrappers).

    ``observed_at`` stamps the records with when the counts were seen (unknown by default).
    API times are absolute; a relative one ("5分钟前") would count back from the file's
    modification time, as in ``weibo-mblog``.
    """

    name = "weibo-api"
    description = (
        "微博开放平台 API v2 statuses / users（JSON、JSON Lines、timeline 包装）/ "
        "Weibo open API v2 statuses and users (JSON, JSON Lines, the timeline wrapper)"
    )
    expected = (
        'status / user 对象、列表、JSON Lines 或 {"statuses": [...]} / {"users": [...]}',
        'status / user objects, a list, JSON Lines or {"statuses": [...]} / {"users": [...]}',
    )

    def __init__(self, *, observed_at: datetime | None = None) -> None:
        self.observed_at = observed_at

    def _converter(self, path: Path) -> StatusConverter:
        return StatusConverter(html=False, now=_anchor(path, None), observed_at=self.observed_at)

    def _lines(
        self, path: Path, byte_range: tuple[int, int] | None, conv: StatusConverter
    ) -> Iterator[ImportItem]:
        for lineno, raw in iter_lines(path, byte_range):
            yield from self._line(raw, f"{path}:{lineno}", conv)

    def _line(self, raw: bytes, where: str, conv: StatusConverter) -> Iterator[ImportItem]:
        # Hot path: one typed decode per line; only other shapes take the generic route.
        try:
            status = LINE_DECODER.decode(raw)
        except msgspec.ValidationError:
            status = None  # not a status object: the generic route tells what it is
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            yield _broken(raw, where, exc)
            return
        if status is not None and (status.text is not None or status.user != NULL_RAW):
            try:
                item = conv.line_item(status)
            except RecordError as exc:
                item = quarantine(where, str(exc), raw)
            except (msgspec.ValidationError, UnicodeDecodeError):
                # A bad author: re-read the whole line to report its full path.
                yield from self._generic_line(raw, where, conv)
                return
            yield item
        elif status is not None and status.screen_name is not None:
            yield self._user_line(raw, where, conv)
        else:
            yield from self._generic_line(raw, where, conv)

    def jsonl_parser(self, path: Path) -> JsonLinesParser | None:
        """Return a parser of single lines of ``path`` that gives what read() gives for them.

        None when ``path`` is not JSON Lines (one JSON document, or nothing to read); raises
        InvalidInputError like read() when the file is not this format. Used by the
        vectorised fast path for the lines it does not take itself.
        """
        check_file(path)
        layout = sniff(path)
        if layout.empty or layout.is_document:
            return None
        self._check_shape(path, layout.first)
        return JsonLinesParser(path, self._converter(path), self, layout.first)

    def _user_line(self, raw: bytes, where: str, conv: StatusConverter) -> ImportItem:
        try:
            return conv.user_item(USER_DECODER.decode(raw))
        except (msgspec.ValidationError, RecordError) as exc:
            return quarantine(where, _reason(exc), raw)

    def _check_shape(self, path: Path, value: object) -> None:
        probe = value[0] if isinstance(value, list) and value else value
        if (
            isinstance(probe, dict)
            and _WEIBO_KEYS.isdisjoint(probe)
            and (probe.keys() & _MBLOG_KEYS)
            and _long_text_response(probe) is None
        ):
            raise InvalidInputError(
                f"这是 m.weibo.cn 的数据，请使用 weibo-mblog 格式：{path}",
                f"this is m.weibo.cn data, import it with format weibo-mblog: {path}",
            )
        super()._check_shape(path, value)


@dataclass(frozen=True, slots=True)
class JsonLinesParser:
    """Parses one line of a weibo-api JSON Lines file exactly as the importer does."""

    path: Path
    converter: StatusConverter
    importer: WeiboApiImporter
    first: object  # the first line's JSON value (None when it is broken)

    def parse(self, raw: bytes, lineno: int) -> Iterator[ImportItem]:
        """Yield the items of line ``lineno`` (``raw`` without its line break)."""
        return self.importer._line(raw, f"{self.path}:{lineno}", self.converter)


@register("weibo-mblog")
class WeiboMblogImporter(_WeiboJson):
    """m.weibo.cn container responses, cards and mblogs (HTML text, display counts).

    Relative times ("刚刚", "30秒前", "5分钟前", "昨天 12:00", "06-14") are anchored at ``now``, which
    defaults to the file's modification time (when the crawler wrote it); ``now`` is also
    stamped as ``observed_at`` on every record.
    """

    name = "weibo-mblog"
    description = (
        "m.weibo.cn 容器接口 cards / mblog（HTML 正文、“100万+” 计数、相对时间）/ "
        "m.weibo.cn container cards (mblog): HTML text, counts such as 100万+, "
        "relative dates such as 5分钟前"
    )
    expected = (
        'm.weibo.cn 响应 {"ok":1,"data":{"cards":[...]}}、card、mblog 或其列表 / JSON Lines',
        'm.weibo.cn responses {"ok":1,"data":{"cards":[...]}}, cards, mblogs, a list of them '
        "or JSON Lines",
    )

    def __init__(self, *, now: datetime | None = None) -> None:
        self.now = now

    def _converter(self, path: Path) -> StatusConverter:
        anchor = _anchor(path, self.now)
        return StatusConverter(html=True, now=anchor, observed_at=anchor)

    def _object(
        self, obj: dict[str, object], where: str, conv: StatusConverter
    ) -> Iterator[ImportItem]:
        if (body := _long_text_response(obj)) is not None:
            yield _long_text_quarantine(body, obj, where)
        elif "ok" in obj or ("data" in obj and isinstance(obj["data"], dict)):
            yield from self._response(obj, where, conv)
        elif "cards" in obj:
            yield from self._cards(obj["cards"], where, conv)
        elif "card_type" in obj or "card_group" in obj:
            yield from self._cards([obj], where, conv, nested=False)
        elif isinstance(mblog := obj.get("mblog"), dict):
            yield self._status(mblog, where, conv)
        elif isinstance(user := obj.get("userInfo"), dict):
            yield self._user(user, where, conv)
        else:
            yield from super()._object(obj, where, conv)

    def _response(
        self, obj: dict[str, object], where: str, conv: StatusConverter
    ) -> Iterator[ImportItem]:
        ok, data = obj.get("ok"), obj.get("data")
        if "ok" in obj and ok not in (1, "1", True):
            message = obj.get("msg") or obj.get("message") or ""
            yield quarantine(
                where,
                f"接口返回失败 / response not ok (ok={ok!r}) {message}".strip(),
                encode_raw(obj),
            )
        elif not isinstance(data, dict):
            yield quarantine(where, "响应缺少 data / response without data", encode_raw(obj))
        else:
            yield from self._object(data, where, conv)

    def _cards(
        self, cards: object, where: str, conv: StatusConverter, *, nested: bool = True
    ) -> Iterator[ImportItem]:
        if not isinstance(cards, list):
            yield quarantine(where, "cards 不是列表 / cards is not a list", encode_raw(cards))
            return
        for k, card in enumerate(cards, start=1):
            here = f"{where}#{k}" if nested else where
            if not isinstance(card, dict):
                yield quarantine(
                    here, "card 不是 JSON 对象 / card is not an object", encode_raw(card)
                )
            elif isinstance(mblog := card.get("mblog"), dict):
                yield self._status(mblog, here, conv)
            elif isinstance(group := card.get("card_group"), list):
                yield from self._cards(group, here, conv)
            elif card.get("card_type") in (MBLOG_CARD_TYPE, str(MBLOG_CARD_TYPE)):
                yield quarantine(
                    here, "card_type 9 没有 mblog / card_type 9 without mblog", encode_raw(card)
                )
            elif card.get("card_type") in (CARD_GROUP_TYPE, str(CARD_GROUP_TYPE)):
                continue  # an empty group
            # Other cards (user header, "没有更多内容", ads) are not posts: nothing to import.

    def _is_weibo(self, obj: dict[str, object]) -> bool:
        return super()._is_weibo(obj) or not _MBLOG_KEYS.isdisjoint(obj)
