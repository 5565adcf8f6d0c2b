"""CSV import from existing 12345 hotline systems (``zhengwu desk import-csv``).

Column mapping — the first header found in each row of this table is used (case and spaces
ignored), so exports of most hotline systems and the city message sets load unchanged:

==================  ==============================================================
field               accepted headers
==================  ==============================================================
source_ref          工单编号 工单号 编号 留言编号 ticket_id id
submitted_at        受理时间 来电时间 登记时间 留言时间 提交时间 时间 submitted_at
subject             标题 主题 留言主题 subject       (put before the text)
text (required)     诉求内容 反映内容 内容 留言详情 诉求描述 问题描述 text description
category            问题分类 诉求分类 诉求类型 分类 一级分类 category service_code
adcode              区划代码 adcode
region              所属区域 区域 所属区县 所属地区 行政区域 region district
address             事发地址 事发地点 地址 address
citizen_name        联系人 来电人 姓名 留言用户 name
citizen_phone       联系电话 来电号码 电话 手机 phone
citizen_email       邮箱 电子邮箱 email
reply_text          答复意见 答复内容 回复内容 reply_text
replied_at          答复时间 回复时间 replied_at      (required with a reply)
status              办理状态 工单状态 处理状态 办结状态 状态 status state
resolved_at         办结时间 办结日期 结案时间 完成时间 关闭时间 resolved_at closed_at
satisfaction        满意度 回访满意度 满意度评价 回访结果 评价结果 评价 satisfaction
followed_up_at      回访时间 评价时间 followed_up_at
public              是否公开 公开 public is_public
channel             来源渠道 受理渠道 诉求渠道 诉求来源 工单来源 信息来源 反映渠道 来源方式 渠道
                    来源 channel   (微博 网站 电话 APP …: carried.CHANNEL_WORDS)
earlier_ratings …   历次满意度 首次响应时间 重启次数 办理期限 承办单位 签收时间 协办单位
                    督办次数 督办时间 所属矩阵 退回单位 退回原因 退回时间
                    (a desk's export: see carried)
==================  ==============================================================

A file without any of the text headers is refused as a whole (the message names the
accepted headers and the ones found). A category matches a category code or name of the
tree; an unknown one is kept in the request's attributes (``source_category``) and the text
is classified instead. A row without a ticket id gets a stable id from its time and text,
so importing a file twice adds nothing. A reply with its time becomes the handling body's
public reply on the request, given at that time (see :func:`actions.record_reply`), once.
A closed ticket (办理状态 in :data:`CLOSED_STATUSES`, or a 办结时间) is imported closed at its
own 办结时间, rated at its 回访时间 when it has a 满意度 (:func:`actions.record_resolution`),
once. The 所属区域 is the request's region: its text may only refine it
(:mod:`zhengwu.servicedesk.locate`). Hotline calls are private unless ``public`` or the
row's 是否公开 says otherwise. A known ticket number whose text, time or caller differs is
another channel's ticket: quarantined, never taken for the one on file.
Rows that cannot become a request (no text, unreadable time, text over
:data:`~zhengwu.servicedesk.schemas.MAX_TEXT` characters, a reply without a readable time,
bad encoding) go to the quarantine as ``file:line`` with the reason — nothing is dropped
silently.

Rows are taken in :data:`BATCH_ROWS` at a time by :mod:`zhengwu.servicedesk.csvbatch`
(a few queries and one savepoint per batch instead of ~10 queries and a savepoint per row:
about 9× faster), with the outcome of taking them in one by one through
:func:`service.receive` — which is what happens to the rows a batch leaves, and to every
row of a batch the database refuses, so that one bad row never costs the others.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhengwu import storable
from zhengwu.accounts import phones as published_phones
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError, ZhengwuError, named_as
from zhengwu.ingest.files import NOT_TEXT_HINT, check_file, iter_csv_rows, sheet_header
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.ingest.packed import PlainFile, check_packed, input_count, plain_files
from zhengwu.ingest.runs import ImportRefusedError
from zhengwu.ingest.workbook import SheetLeft
from zhengwu.platforms.timeparse import MAX_YEAR, MIN_YEAR, DateError, parse_time
from zhengwu.servicedesk import (
    access,
    actions,
    carried,
    csvbatch,
    csvprep,
    deadlines,
    dedup,
    office_merges,
    service,
    snapshot,
)
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import RequestSource, ServiceRequest
from zhengwu.servicedesk.schemas import MAX_REPLY, MAX_TEXT, RequestIntake
from zhengwu.servicedesk.workflow import OPEN_STATES
from zhengwu.sheetcells import read_cell
from zhengwu.validation_text import message_en, message_zh

log = logging.getLogger(__name__)
FORMAT = "desk-12345-csv"
BATCH_ROWS = 500  # rows taken in per batch (see csvbatch); 0: one by one
CHINA = timezone(timedelta(hours=8))
COLUMNS: dict[str, tuple[str, ...]] = {
    "source_ref": ("工单编号", "工单号", "编号", "留言编号", "ticket_id", "id"),
    "submitted_at": ("受理时间", "来电时间", "登记时间", "留言时间", "提交时间", "时间", "submitted_at"),
    "subject": ("标题", "主题", "留言主题", "subject"),
    "text": ("诉求内容", "反映内容", "内容", "留言详情", "诉求描述", "问题描述", "text", "description"),
    "category": ("问题分类", "诉求分类", "诉求类型", "分类", "一级分类", "category", "service_code"),
    "adcode": ("区划代码", "adcode"),
    "address": ("事发地址", "事发地点", "地址", "address"),
    "region": ("所属区域", "区域", "所属区县", "所属地区", "行政区域", "region", "district"),
    "citizen_name": ("联系人", "来电人", "姓名", "留言用户", "name"),
    "citizen_phone": ("联系电话", "来电号码", "电话", "手机", "phone"),
    "citizen_email": ("邮箱", "电子邮箱", "email"),
    "reply_text": ("答复意见", "答复内容", "回复内容", "reply_text"),
    "replied_at": ("答复时间", "回复时间", "replied_at"),
    "status": ("办理状态", "工单状态", "处理状态", "办结状态", "状态", "status", "state"),
    "resolved_at": ("办结时间", "办结日期", "结案时间", "完成时间", "关闭时间", "resolved_at", "closed_at"),
    "satisfaction": ("满意度", "回访满意度", "满意度评价", "回访结果", "评价结果", "评价", "satisfaction"),
    "followed_up_at": ("回访时间", "评价时间", "followed_up_at"),
    "public": ("是否公开", "公开", "public", "is_public"),
    # The desk's own public id (an export's 诉求编号): see _own_requests.
    "public_id": ("诉求编号",),
    # What an export of a desk carries to a new one (历次满意度 …): see carried.
    **carried.COLUMNS,
}  # fmt: skip
# Columns of a desk's own export that the import works out again rather than reads.
_DERIVED = frozenset(("区划名称", "是否超期"))
_ACCEPTED = frozenset(h.lower() for headers in COLUMNS.values() for h in headers) | _DERIVED


def unread_columns(keys: Iterable[str]) -> list[str]:
    """Return the header cells no field of :data:`COLUMNS` reads (msg_id, label, 点赞数 …):
    their cells are not imported, which the import says (:func:`columns_left_notice`)."""
    return [k.strip() for k in keys if k and k.strip() and k.strip().lower() not in _ACCEPTED]


def columns_left_notice(columns: list[str]) -> str:
    """Say, in Chinese and English, which columns of the file were not read."""
    return (
        f"未读取的列：{'、'.join(columns)}（不是可识别的表头，其内容未导入；可识别的表头如工单编号、"
        f"受理时间、问题分类，见 docs/servicedesk.md） / columns not read: {', '.join(columns)} "
        "(no header the desk reads, their cells were not imported; the headers it reads, such "
        "as 工单编号, 受理时间, 问题分类, are in docs/servicedesk.md)"
    )


# A public id of this desk (service._public_id): SR, the day (yymmdd), six letters.
_PUBLIC_ID = re.compile(r"^SR\d{6}[A-Z]{6}$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# 办理状态: what says the hotline closed the ticket, and what says it is still open. Any
# other value is refused (quarantined with these lists), never guessed.
CLOSED_STATUSES = _words(
    "已办结 办结 已完成 完成 已结案 结案 已关闭 关闭 已解决 解决 已办毕 办毕 办理完毕 处理完毕 "
    "已处理 待回访 已回访 已评价 closed resolved done completed finished"
)
OPEN_STATUSES = _words(
    "待受理 未受理 已受理 受理 受理中 待办 在办 办理中 处理中 待处理 未处理 未办结 待办结 已派单 派单 "
    "已转办 转办 已交办 交办 已签收 签收 已答复 答复 退回 已退回 延期 已延期 督办 已督办 重办 "
    "open new pending received processing in_progress replied"
)
# 满意度: 1–5 (满意率 counts 4 and 5), the words of the usual 3- and 5-level scales, and
# the words for "not rated".
SATISFACTION_WORDS = {
    "非常满意": 5, "满意": 5, "比较满意": 4, "基本满意": 4, "一般": 3, "不太满意": 2,
    "不满意": 2, "很不满意": 1, "非常不满意": 1,
}  # fmt: skip
NOT_RATED = _words("未评价 未回访 无评价 暂无 无 拒评 拒绝评价 未参评 - — /")
PUBLIC_WORDS = {
    **dict.fromkeys(("是", "公开", "1", "yes", "y", "true"), True),
    **dict.fromkeys(("否", "不公开", "保密", "0", "no", "n", "false"), False),
}  # fmt: skip


@dataclass(slots=True)
class _Row:
    """What one CSV row brings: the request, the body's reply with its time, the 办结."""

    intake: RequestIntake
    reply: tuple[str, datetime] | None
    closing: csvbatch.Closing | None = None
    own_id: str | None = None  # the desk's public id when the row is its own export's row
    carries: carried.Carried | None = None  # earlier ratings … of a desk's export (carried)


@dataclass(slots=True)
class CsvImportSummary:
    """Counts of one import: read = created + merged + existing + quarantined.

    ``replies`` counts the replies recorded and ``closed`` the 办结 recorded (each once,
    whatever its row counts as); ``overdue_at_intake`` the new requests still open that
    were already past their resolve deadline when taken in (the 督办 sweep leaves them to
    the office: :mod:`zhengwu.servicedesk.scheduled`); ``returned`` the returns (已退回)
    applied to open requests on file (:func:`carried.apply_returns`); ``kept_in_office_queue`` the new
    requests of a matrix office's import that routing would have placed outside its scope,
    kept in its own matrix queue instead (:class:`access.OfficeQueue`);
    ``merged_outside_scope`` the rows of such an import merged into an open request outside
    its scope (read-only for it: :mod:`office_merges`), ``merged_outside`` the first of
    them as (``file:line``, the request joined), and ``outside_events_left`` the rows whose
    reply or 办结 was not recorded because their request is outside its scope. ``sheets_left``
    says which sheets of a workbook were not read, and why (another header than the first
    table's, a chart), ``columns_left`` the columns of the header no field reads. ``not_carried`` says what a desk's export or a channel column brought
    that this desk could not take (:class:`carried.Report`): the new requests whose 承办单位
    or 所属矩阵 it does not have (left where its routing put them), those whose channel cell
    names no channel of the desk (``unknown_channels``, value → count).
    """

    @property
    def routed_instead(self) -> int:
        """Return how many new requests name a body or matrix this desk does not have."""
        return self.not_carried.routed

    @property
    def unknown_channels(self) -> dict[str, int]:
        """Return the channel cells no desk channel matches, with their counts."""
        return dict(self.not_carried.unknown_channels)

    run_id: int | None = None
    read: int = 0
    created: int = 0
    merged: int = 0
    existing: int = 0
    quarantined: int = 0
    replies: int = 0
    closed: int = 0
    overdue_at_intake: int = 0
    returned: int = 0
    sheets_left: list[str] = field(default_factory=list)
    columns_left: list[str] = field(default_factory=list)
    kept_in_office_queue: int = 0
    merged_outside_scope: int = 0
    merged_outside: list[tuple[str, str]] = field(default_factory=list)
    outside_events_left: int = 0
    not_carried: carried.Report = field(default_factory=carried.Report)

    def to_dict(self) -> dict[str, int | None]:
        """Return the counts, with the keys of ``zhengwu import`` too: imported = created,
        updated = merged, duplicates = existing (so read = imported + updated + duplicates
        + quarantined, as for every import)."""
        return {
            "run_id": self.run_id, "read": self.read, "created": self.created,
            "merged": self.merged, "existing": self.existing, "quarantined": self.quarantined,
            "replies": self.replies, "closed": self.closed,
            "overdue_at_intake": self.overdue_at_intake, "returned": self.returned,
            "imported": self.created,
            "updated": self.merged, "duplicates": self.existing,
        }  # fmt: skip

    def office_dict(self) -> dict[str, object]:
        """Return the counts only a matrix office's import has (an upload, or the CLI's
        ``--as``): its rows kept in its queue, and its calls merged outside its scope."""
        return {
            "kept_in_office_queue": self.kept_in_office_queue,
            "merged_outside_scope": self.merged_outside_scope,
            "outside_events_left": self.outside_events_left,
            "merged_outside": [{"source": s, "public_id": p} for s, p in self.merged_outside],
        }


def column_plan(
    keys: Iterable[str], columns: Mapping[str, tuple[str, ...]] = COLUMNS
) -> dict[str, tuple[str, ...]]:
    """Return, per field, the row keys that may hold it, in the order of ``columns`` (field →
    accepted headers; default :data:`COLUMNS`, the routing table import has its own).

    Headers match case- and space-insensitively; of two headers that match alike, the
    later column counts. Made once per file: every row has the header's keys.
    """
    normalised = {k.strip().lower(): k for k in keys if k}
    return {
        field: tuple(normalised[h.lower()] for h in headers if h.lower() in normalised)
        for field, headers in columns.items()
    }


def _cell(
    row: dict[str, str], plan: dict[str, tuple[str, ...]], field: str
) -> tuple[str, str] | None:
    """Return the column (the file's own header) and the text of ``field`` in ``row``."""
    for key in plan[field]:
        value = row.get(key)
        if value is not None and value.strip():
            # An export of ours wrote ``'=…`` for a cell that starts like a formula, and
            # a spreadsheet ``'138…`` for a number kept as text (:mod:`zhengwu.sheetcells`).
            return key, read_cell(value.strip())
    return None


def _pick(row: dict[str, str], plan: dict[str, tuple[str, ...]], field: str) -> str | None:
    found = _cell(row, plan, field)
    return found[1] if found else None


# Spreadsheet exports write times loosely: 2019/4/25 9:32:09, 2025-7-2 10:00, 2025年7月2日 10时,
# 2025年7月2日10时30分15秒. The whole cell must read so: a time the pattern does not reach
# (2025-07-01 9点, 下午 3:00) is refused rather than taken as midnight.
_LOOSE_TIME = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:(?:[ T]+|(?<=日))(\d{1,2})[:：时](?:(\d{1,2})(?:[:：分](?:(\d{1,2})(?:\.\d+)?秒?)?)?)?)?"
)
# A time with its year: a date first (2025-07-01, 2019/4/25, 2025年7月2日), or the Weibo
# API's "Fri Mar 31 23:47:24 +0800 2017". The platform parser's other forms are relative
# to the day of the import (昨天 12:00, 06-14, 5分钟前) and wrong for a ticket's history.
_DATED = re.compile(r"\d{4}[-/.年]|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ")
# A bare number (1800, 45839, 1751331000): an Excel date serial, a unix time, a year or an
# hour — never read as a date (the platform parser takes digits for unix seconds).
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def _parse_time(value: str) -> datetime:
    """Return an aware time from a CSV cell (China local time unless it says otherwise).

    Only a date with its year is a time: a bare number and a relative form are refused
    (:class:`DateError`), and so is a year outside the platform parser's range (2000–2100).
    """
    text = value.strip()
    if _NUMBER.fullmatch(text):
        raise DateError(f"a bare number {text!r} is no date")
    if not _DATED.match(text):
        raise DateError(f"unrecognised time {text!r}")
    try:
        return parse_time(text)
    except DateError:
        m = _LOOSE_TIME.fullmatch(text)
        if m is None:
            raise
        y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
        if not MIN_YEAR <= y <= MAX_YEAR:
            raise DateError(f"impossible year {y}") from None
        try:
            return datetime(y, mo, d, h, mi, sec, tzinfo=CHINA)
        except ValueError as exc:
            raise DateError(f"impossible date {text!r}: {exc}") from None


def _shape(ticket: str) -> str:
    """Return the form of a ticket number (2549 and 188006 alike: digits; GD2025… another)."""
    return re.sub(r"\d+", "9", re.sub(r"[A-Za-z]+", "a", ticket))


def swallowed(row: dict[str, str], plan: dict[str, tuple[str, ...]], line: str) -> str | None:
    """Return why a row seems to hold the rows after it in one cell (None when it does not).

    A quote left open in a CSV cell ("他说"不行…) runs on to the next quote of the file:
    every row between becomes text of that cell, and the file reads with fewer rows and no
    error — tickets gone without a word. A cell's inner line that reads as a row of this
    file — a ticket number of the same form (and about the row's own number's length) in
    the ticket column and a time in the time column — gives it away; the row is refused (with the rows it holds as its raw text) so
    that the quote is fixed and the file imported again.
    """
    keys = list(row)
    ticket_keys, time_keys = plan.get("source_ref", ()), plan.get("submitted_at", ())
    if not ticket_keys or not time_keys or not (row.get(ticket_keys[0]) or "").strip():
        return None
    ticket_at, time_at = keys.index(ticket_keys[0]), keys.index(time_keys[0])
    own = row[ticket_keys[0]].strip()
    form = _shape(own)
    for column, value in row.items():
        if "\n" not in value and "\r" not in value:
            continue
        for offset, inner in enumerate(value.splitlines()[1:], start=1):
            cells = next(csv.reader([inner]), [])
            if len(cells) <= max(ticket_at, time_at):
                continue
            ticket = cells[ticket_at].strip()
            if not ticket or _shape(ticket) != form or abs(len(ticket) - len(own)) > 2:
                continue
            try:
                _parse_time(cells[time_at].strip())
            except (DateError, ValueError):
                continue
            return (
                f'「{column}」里的第 {offset + 1} 行像是另一张工单（{ticket}）：可能是未闭合的引号（"）'
                f"把后面的行并进了这一格，请检查第 {line} 行起的引号后再导入 / a line of '{column}' "
                f'reads as another ticket ({ticket}): an unclosed quote (") may have merged the '
                f"rows after it into this cell; check the quotes from line {line} and import again"
            )
    return None


def check_header(path: Path, *, shown: str | None = None) -> list[str]:
    """Return the file's header; refuse a file none of whose headers names the request text.

    ``shown`` names the file in the message (the export a decompressed copy came from).
    """
    header = sheet_header(path, gbk=True)
    shown = shown or str(path)
    found = {h.lower() for h in header}
    if not header or any(name.lower() in found for name in COLUMNS["text"]):
        return header
    hint = f"；{NOT_TEXT_HINT}" if any("\ufffd" in h for h in header) else ""
    accepted, columns = "、".join(COLUMNS["text"]), "、".join(header)
    raise InvalidInputError(
        f"{shown} 不是可导入的诉求 CSV：缺少诉求内容列（需要其中之一：{accepted}）；"
        f"文件中的列：{columns}{hint}",
        f"{shown} is not a request CSV: no request text column (one of: "
        f"{', '.join(COLUMNS['text'])}); the file's columns: {', '.join(header)}",
    )


def _time(found: tuple[str, str], what_en: str) -> datetime:
    """Return the time of a cell (its column, its text); ValueError naming the column, one
    line per language, when it is unusable.

    A bare number (1800) is told apart from a date that cannot be (2025-02-30, hour 25, the
    year 1800) and from a text that is no date at all (昨天下午); the parser's own English
    is not repeated.
    """
    column, raw = found
    try:
        return _parse_time(raw)
    except DateError as exc:
        shown = raw.strip()
        if _NUMBER.fullmatch(shown):
            raise ValueError(
                f"「{column}」是一个数字 {shown!r}，不是日期和时间（应为如 2025-07-01 09:30:00 的日期和"
                f"时间；Excel 里请先把该列设为日期格式再导出）/ column '{column}' holds the bare number "
                f"{shown!r}, not a {what_en}: give a date and time such as 2025-07-01 09:30:00 "
                "(in Excel, format the column as dates before exporting)"
            ) from None
        if str(exc).startswith("impossible") or _LOOSE_TIME.fullmatch(shown):
            raise ValueError(
                f"「{column}」的时间不存在：{shown!r}（没有这一天或时刻，或年份不在 {MIN_YEAR}–"
                f"{MAX_YEAR} 年之间）/ impossible {what_en} {shown!r} in column '{column}': no "
                f"such day or hour, or a year outside {MIN_YEAR}–{MAX_YEAR}"
            ) from None
        raise ValueError(
            f"「{column}」的时间无法识别：{shown!r}（应为日期和时间，如 2025-07-01 09:30:00）/ "
            f"unreadable {what_en} {shown!r} in column '{column}': give a date and time such "
            "as 2025-07-01 09:30:00"
        ) from None


def _too_long(what_zh: str, what_en: str, text: str, limit: int = MAX_TEXT) -> ValueError:
    n = len(text)
    return ValueError(
        f"{what_zh}超过 {limit:,} 字（{n:,} 字）/ {what_en} longer than {limit:,} "
        f"characters ({n:,})"
    )


def _reply(
    row: dict[str, str], plan: dict[str, tuple[str, ...]], submitted: datetime | None
) -> tuple[str, datetime] | None:
    """Return the row's reply and its time (None without a reply); ValueError if unusable."""
    text = _pick(row, plan, "reply_text")
    if not text:
        return None
    if len(text) > MAX_REPLY:  # what the desk's API and console accept too
        raise _too_long("答复意见", "reply text", text, MAX_REPLY)
    when = _cell(row, plan, "replied_at")
    if not when:
        raise ValueError("有答复意见但缺少答复时间 / a reply without its reply time")
    at, when_raw = _time(when, "reply time"), when[1]
    if submitted is not None and at < submitted:
        raise ValueError(f"答复时间早于留言时间 / reply time {when_raw!r} before the request time")
    return text, at


def _public(row: dict[str, str], plan: dict[str, tuple[str, ...]], default: bool) -> bool:
    """Return whether the row's request is shown on the public board (是否公开)."""
    raw = _pick(row, plan, "public")
    if raw is None:
        return default
    value = PUBLIC_WORDS.get(raw.lower())
    if value is None:
        raise ValueError(
            f"是否公开无法识别：{raw!r}（是/否、1/0、yes/no）/ unreadable 是否公开 (public) "
            f"{raw!r}: use 是/否, 1/0 or yes/no"
        )
    return value


def _satisfaction(raw: str | None) -> int | None:
    """Return a 满意度 cell as 1–5 (None: not rated); ValueError if unreadable."""
    if raw is None or raw in NOT_RATED:
        return None
    cell = raw.removesuffix("分").removesuffix("星").strip()
    if cell in SATISFACTION_WORDS:
        return SATISFACTION_WORDS[cell]
    if cell.isdigit() and 1 <= int(cell) <= 5:
        return int(cell)
    words = "、".join(SATISFACTION_WORDS)
    raise ValueError(
        f"满意度无法识别：{raw!r}（1–5 或 {words}）/ unreadable satisfaction {raw!r} "
        "(1–5, or one of the words)"
    )


def _closing(
    row: dict[str, str], plan: dict[str, tuple[str, ...]], submitted: datetime | None,
    reply: tuple[str, datetime] | None,
) -> csvbatch.Closing | None:  # fmt: skip
    """Return the row's 办结 (None while the ticket is open); ValueError if unusable.

    Closed: a 办理状态 of :data:`CLOSED_STATUSES`, or a 办结时间 without a 办理状态. Its time
    is the 办结时间, else the reply's time; a 满意度 rates it (回访, at the 回访时间 if given).
    """
    status = _pick(row, plan, "status")
    resolved = _cell(row, plan, "resolved_at")
    resolved_raw = resolved[1] if resolved else None
    rating = _satisfaction(_pick(row, plan, "satisfaction"))
    word = status.lower().replace(" ", "") if status else None
    if word is not None and word not in CLOSED_STATUSES and word not in OPEN_STATUSES:
        closed_words, open_words = (
            "、".join(sorted(CLOSED_STATUSES)),
            "、".join(sorted(OPEN_STATUSES)),
        )
        raise ValueError(
            f"办理状态无法识别：{status!r}（已办结：{closed_words}；未办结：{open_words}）/ "
            f"unreadable status {status!r}: see docs/servicedesk.md for the accepted words"
        )
    if word is not None and word in OPEN_STATUSES:
        if resolved_raw or rating is not None:
            what_zh, what_en = (
                ("办结时间", "a resolution time") if resolved_raw else ("满意度", "a satisfaction")
            )
            raise ValueError(
                f"办理状态为「{status}」（未办结），却有{what_zh} / status {status!r} says open, "
                f"yet the row has {what_en}"
            )
        return None
    if word is None and not resolved_raw:
        if rating is not None:
            raise ValueError("有满意度但没有办结时间或办理状态 / a satisfaction without a "
                             "resolution time or status")  # fmt: skip
        return None
    if resolved:
        at = _time(resolved, "resolution time")
    elif reply is not None:
        at = reply[1]
    else:
        raise ValueError("已办结但缺少办结时间 / closed without its resolution time (办结时间)")
    if submitted is not None and at < submitted:
        raise ValueError(
            f"办结时间早于受理时间 / resolution time {at.astimezone(CHINA):%Y-%m-%d %H:%M} before the request"
        )
    if reply is not None and at < reply[1]:
        raise ValueError(
            f"办结时间早于答复时间 / resolution time {at.astimezone(CHINA):%Y-%m-%d %H:%M} before the reply"
        )
    followed = None
    followed_cell = _cell(row, plan, "followed_up_at")
    if rating is not None and followed_cell:
        followed = _time(followed_cell, "follow-up time")
        if followed < at:
            raise ValueError("回访时间早于办结时间 / follow-up time before the resolution")
    return csvbatch.Closing(at, rating, followed)


class NoText(ValueError):
    """A row without its request text (缺少诉求内容)."""


def short_row(cells: int, width: int) -> str:
    """Return why a CSV row without its text, with fewer cells than the header, is refused:
    a row cut short (a quote left open merging cells, a line break in an unquoted cell)
    rather than a ticket with no text."""
    return (
        f"缺少诉求内容：该行只有 {cells} 格，表头有 {width} 列，可能是逗号或引号有误（未闭合的引号"
        f"把几格并成一格，或内容里的换行没有加引号）/ no request text: the row has {cells} "
        f"cells where the header has {width}, likely a comma or quote problem (a quote left "
        f"open merging cells, or a line break in an unquoted cell)"
    )


def _row(
    row: dict[str, str],
    plan: dict[str, tuple[str, ...]],
    source: str,
    codes: dict[str, str],
    public: bool = False,
) -> _Row:
    """Build the intake, reply and 办结 of one row; raise ValueError with an actionable reason."""
    text = _pick(row, plan, "text")
    if not text:
        raise NoText("缺少诉求内容 / no request text")
    subject = _pick(row, plan, "subject")
    if subject and not text.startswith(subject):
        text = f"{subject}：{text}"
    if len(text) > MAX_TEXT:
        raise _too_long("诉求正文", "request text", text)
    when = _cell(row, plan, "submitted_at")
    when_raw = when[1] if when else None
    submitted = _time(when, "time") if when else None
    ticket = _pick(row, plan, "source_ref")
    if not ticket:
        ticket = "h" + hashlib.sha1(f"{when_raw}|{text}".encode()).hexdigest()[:20]
    raw_category = _pick(row, plan, "category")
    code = codes.get(raw_category) if raw_category else None
    attributes = {"source_category": raw_category} if raw_category and code is None else {}
    intake = RequestIntake(
        source=source, source_ref=f"{source}:{ticket}", text=text, category_code=code,
        adcode=_pick(row, plan, "adcode"), address=_pick(row, plan, "address"),
        region=_pick(row, plan, "region"),
        citizen_name=_pick(row, plan, "citizen_name"), citizen_phone=_pick(row, plan, "citizen_phone"),
        citizen_email=_pick(row, plan, "citizen_email"), attributes=attributes, submitted_at=submitted,
        public=_public(row, plan, public),
    )  # fmt: skip
    reply = _reply(row, plan, submitted)
    # An export of ours writes a request that came in by no hotline (the form, Open311, a
    # post) with its public id as 工单编号, and the same id as 诉求编号.
    own = ticket if ticket == _pick(row, plan, "public_id") and _PUBLIC_ID.match(ticket) else None
    closing = _closing(row, plan, submitted, reply)
    answered = reply[1] if reply else closing.at if closing else None
    cells = {name: _cell(row, plan, name) for name in carried.COLUMNS}
    desk = bool(_PUBLIC_ID.match(_pick(row, plan, "public_id") or ""))  # an export of ours
    carries = carried.read(
        cells, _time, answered, _pick(row, plan, "status"), desk=desk, received=submitted
    )
    return _Row(intake, reply, closing, own, carries)


def _invalid(exc: ValidationError, row: dict[str, str], plan: dict[str, tuple[str, ...]]) -> str:
    """Return why a row's field is refused, naming the column of the file it came from
    (字段「联系电话」, not the intake's citizen_phone: the person fixing the sheet reads it)."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "?"
    column = next((k for k in plan.get(field, ()) if (row.get(k) or "").strip()), None)
    if column is None:
        return (
            f"字段 {field} 无效：{message_zh(error)} / invalid field {field}: {message_en(error)}"
        )
    return (
        f"字段「{column}」无效：{message_zh(error)} / invalid column '{column}' ({field}): "
        f"{message_en(error)}"
    )


def _later_than(parsed: _Row, as_of: datetime) -> str | None:
    """Return why a row has not happened yet on a clock standing at ``as_of`` (else None)."""
    closing = parsed.closing
    times = (
        parsed.intake.submitted_at, parsed.reply[1] if parsed.reply else None,
        closing.at if closing else None, closing.followed_up_at if closing else None,
    )  # fmt: skip
    if not any(t is not None and t > as_of for t in times):
        return None
    when = as_of.astimezone(CHINA).isoformat()
    return f"时间晚于模拟时钟 {when} / later than the as-of time {when}"


@dataclass(slots=True)
class _Item:
    """One data row: where it is, its cells, and what it brings or why it is refused."""

    where: str
    raw: str | None  # the row as read (RowNo.raw), or the text near a damage (packed)
    parsed: _Row | None = None
    refused: str | None = None
    prepared: csvprep.Prepared | None = None  # its text work, done ahead by the worker
    settled: csvbatch.Outcome | None = None  # decided before any batch (_own_requests)


# Batches handed to the worker before the importer waits for the oldest one's text work.
AHEAD = 16


class _Importer:
    """Takes rows in by batches (:mod:`csvbatch`), the rows a batch leaves one by one.

    With a :class:`csvprep.Preparer`, a full batch is first handed to the worker and taken
    in once its text work is back — in file order, while the worker prepares the next.
    """

    def __init__(
        self, session: Session, run: ImportRun, summary: CsvImportSummary, actor: Principal,
        batch_rows: int, as_of: datetime | None, preparer: csvprep.Preparer | None = None,
        via: csvbatch.Via = "cli",
    ) -> None:  # fmt: skip
        self.session, self.run, self.summary, self.via = session, run, summary, via
        self.actor, self.batch_rows, self.as_of = actor, batch_rows, as_of
        self.office = access.office_queue(session, actor)
        self.scope = None if self.office is None else carried.OfficeScope(session, self.office)
        self.items: list[_Item] = []
        self.parsed = 0
        self.quarantined: list[dict[str, object]] = []
        self.config: snapshot.DeskSnapshot | None = None
        self.preparer = preparer
        self.context: csvprep.Context | None = None
        if preparer is not None:  # what the worker's text work depends on, as of the start
            self.context = csvprep.Context(
                published_phones.directory(session), get_settings().desk_home_adcode
            )
        self.pending: deque[tuple[list[_Item], Future[list[csvprep.Prepared]] | None]] = deque()
        self.carried: dict[str, carried.Carried] = {}  # of the rows that created a request
        self.on_file: dict[str, carried.Carried] = {}  # of the rows found existing

    def outside_scope(self, parsed: _Row) -> str | None:
        """Return why a matrix office's import refuses a new row whose 所属矩阵 is outside
        its scope (:class:`carried.OfficeScope`); a row on file already (its ticket, or a
        request of this desk by public id) stays ``existing`` as ever."""
        if self.scope is None or parsed.carries is None:
            return None
        reason = self.scope.refusal(parsed.carries)
        if reason is None:
            return None
        known = select(RequestSource.id).where(RequestSource.source_ref == outcome_ref(parsed))
        if self.session.scalar(known) is not None:
            return None
        if parsed.own_id is not None and self.session.scalar(
            select(ServiceRequest.id).where(ServiceRequest.public_id == parsed.own_id)
        ) is not None:  # fmt: skip
            return None
        return reason

    def add(self, item: _Item) -> None:
        """Queue a row; hand the queued rows on once a batch is full."""
        self.items.append(item)
        if item.parsed is not None:
            self.parsed += 1
            if self.parsed >= max(self.batch_rows, 1):
                self._hand_on()
                # Take in the batches whose text work is back; wait only with AHEAD queued.
                while self.pending and (
                    len(self.pending) > AHEAD
                    or self.pending[0][1] is None
                    or self.pending[0][1].done()
                ):  # fmt: skip
                    self._drain(*self.pending.popleft())

    def _hand_on(self) -> None:
        """Queue the rows read so far as a batch, their text work to the worker if any."""
        items, self.items, self.parsed = self.items, [], 0
        future = None
        if self.preparer is not None and self.context is not None:
            jobs = [csvprep.job(i.parsed.intake) for i in items if i.parsed is not None]
            try:
                future = self.preparer.submit(jobs, self.context) if jobs else None
            except Exception:  # a broken worker (its start failed): the work is done here
                self._without_worker()
        self.pending.append((items, future))

    def _without_worker(self) -> None:
        log.exception("CSV import: the text work worker failed; continuing without it")
        self.preparer, self.context = None, None

    def drain(self) -> None:
        """Take in every row read, in file order; write their quarantine entries."""
        if self.items:
            self._hand_on()
        while self.pending:
            self._drain(*self.pending.popleft())
        report = carried.apply(self.session, self.carried, actor=self.actor, office=self.office)
        self.summary.not_carried.merge(report)
        # A request on file a body still handles goes back to the office's queue when the
        # export says that body returned it; a return imported without its reason gets it.
        self.summary.returned += carried.apply_returns(
            self.session, self.on_file, actor=self.actor, office=self.office
        )
        carried.record_return_reasons(
            self.session, self.on_file, actor=self.actor, office=self.office
        )
        self.carried, self.on_file = {}, {}

    def _drain(
        self, items: list[_Item], future: Future[list[csvprep.Prepared]] | None
    ) -> None:  # fmt: skip
        """Take in one queued batch of rows, in file order; write their quarantine entries."""
        if future is not None:
            try:
                prepared = iter(future.result())
            except Exception:  # the worker failed: the rows' text work is done here instead
                self._without_worker()
            else:
                for item in items:
                    if item.parsed is not None:
                        item.prepared = next(prepared)
        # One snapshot and one working-day calendar for the queued rows, batched or not:
        # read once per batch_rows rows, never per row (a change made meanwhile is seen by
        # the next batch).
        self.config = snapshot.current(self.session)
        _own_requests(self.session, items)
        with deadlines.pinned():
            self._take_in(items)
        if self.quarantined:
            table = QuarantineEntry.metadata.tables[QuarantineEntry.__tablename__]
            self.session.execute(insert(table), self.quarantined)
            self.quarantined = []

    def _take_in(self, items: list[_Item]) -> None:
        """Take in ``items`` in file order: by batches, the rows a batch leaves one by one."""
        start = 0
        while start < len(items):
            rest = items[start:]
            if self.batch_rows <= 0:
                for item in rest:
                    self._one(item)
                break
            rows = [(i.parsed.intake, i.parsed.reply, i.parsed.closing)
                    for i in rest if i.parsed is not None]  # fmt: skip
            prepared = None
            if self.context is not None:
                prepared = (self.context, [i.prepared for i in rest if i.parsed is not None])
            try:
                batch = csvbatch.take_in(
                    self.session, rows, actor=self.actor, as_of=self.as_of, config=self.config,
                    prepared=prepared, office=self.office, via=self.via,
                )  # fmt: skip
            except csvbatch.BatchFailed:  # rolled back: one by one, only the faulty row fails
                for item in rest:
                    self._one(item)
                break
            done, taken = 0, 0
            for item in rest:
                if item.settled is not None:
                    self._count(item.settled, item)
                elif item.parsed is None:
                    self._refuse(item, item.refused or "")
                elif done < len(batch.outcomes):
                    outcome = batch.outcomes[done]
                    if outcome.reason is not None:  # refused as the per-row path would refuse it
                        self._refuse(item, outcome.reason)
                    else:
                        self._count(outcome, item)
                    done += 1
                else:
                    break
                taken += 1
            if batch.stopped:  # the row the batch left: the per-row path
                self._one(rest[taken])
                taken += 1
            start += taken

    def _count(self, outcome: csvbatch.Outcome, item: _Item) -> None:
        summary = self.summary
        if outcome.status == "created" and item.parsed is not None and item.parsed.carries:
            self.carried[outcome_ref(item.parsed)] = item.parsed.carries
        elif outcome.status == "existing" and item.parsed is not None and item.parsed.carries:
            self.on_file[outcome_ref(item.parsed)] = item.parsed.carries
        setattr(summary, outcome.status, getattr(summary, outcome.status) + 1)
        summary.replies += int(outcome.replied)
        summary.closed += int(outcome.closed)
        summary.overdue_at_intake += int(outcome.overdue)
        summary.kept_in_office_queue += int(outcome.kept)
        summary.outside_events_left += int(outcome.left)
        if outcome.joined_outside is not None:
            summary.merged_outside_scope += 1
            if len(summary.merged_outside) < office_merges.SHOWN:
                summary.merged_outside.append((item.where, outcome.joined_outside))

    def _refuse(self, item: _Item, reason: str) -> None:
        self.summary.quarantined += 1
        # The row's text comes cut by files.RAW_CHARS, a damage's by packed.RAW_HEAD; a NUL
        # in either is kept written as \u0000 (PostgreSQL could not store the entry).
        raw = None if item.raw is None else storable.shown(item.raw)
        self.quarantined.append({"run_id": self.run.id, "format": FORMAT, "source": item.where,
                                 "reason": storable.shown(reason), "raw": raw, "created_at": datetime.now(UTC)})  # fmt: skip

    def _one(self, item: _Item) -> None:
        """Take one row in through service.receive and actions.record_reply (a savepoint)."""
        parsed = item.parsed
        if item.settled is not None:
            self._count(item.settled, item)
            return
        if parsed is None:
            self._refuse(item, item.refused or "")
            return
        session, actor, replied, closed = self.session, self.actor, False, False
        clock = None if self.as_of is None else parsed.intake.submitted_at or self.as_of
        ref = outcome_ref(parsed)
        stored = csvbatch.stored_source(session, ref)
        if stored is not None:  # the ticket number is known: only the same ticket is "existing"
            fingerprint = dedup.fingerprint(parsed.intake.text)
            reason = csvbatch.conflict(stored, parsed.intake, fingerprint, via=self.via)
            if reason is not None:
                self._refuse(item, reason)
                return
        try:
            with session.begin_nested():  # a refused row leaves the rest of the import intact
                outcome = service.receive(
                    session, intake=parsed.intake, actor=actor, now=clock, config=self.config,
                    office=self.office,
                )  # fmt: skip
                request = outcome.request
                # Another body's request: the office's row neither replies to nor closes it.
                brings = parsed.reply is not None or parsed.closing is not None
                outside = outcome.merged_outside_scope or (
                    brings and outcome.status == "existing" and self.office is not None
                    and not self.office.reads(request.id, request.matrix_id,
                                              request.organization_id)
                )  # fmt: skip
                left = outside and brings
                if parsed.reply is not None and not outside and actions.record_reply(
                    session, request=request, text=parsed.reply[0], at=parsed.reply[1],
                    actor=actor, event_key=csvbatch.reply_key(ref),
                ):  # fmt: skip
                    replied = True
                if parsed.closing is not None and not outside:
                    closing = parsed.closing
                    closed, _ = actions.record_resolution(
                        session, request=request, at=closing.at,
                        satisfaction=closing.satisfaction, followed_up_at=closing.followed_up_at,
                        actor=actor, resolve_key=csvbatch.resolve_key(ref),
                        follow_up_key=csvbatch.follow_up_key(ref),
                    )  # fmt: skip
        except ZhengwuError as exc:
            self._refuse(item, exc.message_zh + " / " + exc.message_en)
            return
        overdue = (
            outcome.status == "created" and request.state in OPEN_STATES
            and request.resolve_due is not None and request.resolve_due < request.created_at
        )  # fmt: skip
        joined = request.public_id if outcome.merged_outside_scope else None
        self._count(csvbatch.Outcome(outcome.status, replied, closed, overdue,
                                     kept=outcome.kept_in_office, joined_outside=joined,
                                     left=left), item)  # fmt: skip


def _own_requests(session: Session, items: list[_Item]) -> None:
    """Settle the rows of an export of this desk that name one of its requests by public id.

    A request that came in by no hotline (the form, Open311, a post, a call registered on
    the desk) is exported with its public id as 工单编号 and 诉求编号. Imported again into
    the same desk, such a row is that request — ``existing``, nothing added — and not a new
    12345 ticket doubling it. Its reply and 办结 were made on the desk: a row that brings
    another reply, or a 办结 of a request still open, is refused with the reason (the
    request page records them), as is a row whose text is not the request's. A public id
    not on file (another desk's export) is imported as a ticket, as before.
    """
    own = {i.parsed.own_id: i for i in items if i.parsed is not None and i.parsed.own_id}
    if not own:
        return
    refs = {i.parsed.intake.source_ref for i in own.values() if i.parsed is not None}
    known = set(
        session.scalars(select(RequestSource.source_ref).where(RequestSource.source_ref.in_(refs)))
    )
    query = select(
        ServiceRequest.public_id, ServiceRequest.fingerprint, ServiceRequest.reply_text,
        ServiceRequest.state, ServiceRequest.source,
    ).where(ServiceRequest.public_id.in_(own))  # fmt: skip
    for public_id, fingerprint, reply_text, state, source in session.execute(query):
        item = own[public_id]
        parsed = item.parsed
        assert parsed is not None
        if parsed.intake.source_ref in known:  # a ticket of that number on file: as ever
            continue
        if dedup.fingerprint(parsed.intake.text) != fingerprint:
            reason = (
                f"诉求编号 {public_id} 已是本平台的诉求（来源 {source}），但诉求内容不同：未导入 / "
                f"request {public_id} is on file (source {source}) with another text: not imported"
            )
        elif (
            parsed.reply is not None and not actions.already_replied(reply_text, parsed.reply[0])
        ) or (parsed.closing is not None and state in OPEN_STATES):
            reason = (
                f"诉求 {public_id} 已在本平台（来源 {source}），导入不记录它的答复或办结："
                f"请在诉求页办理 / request {public_id} is on file (source {source}): an import "
                f"does not record its reply or 办结 — act on the request's page"
            )
        else:
            item.parsed, item.settled = None, csvbatch.Outcome("existing")
            continue
        item.parsed, item.refused = None, reason


def outcome_ref(parsed: _Row) -> str:
    """Return the source reference of a parsed row (always set by :func:`_row`)."""
    assert parsed.intake.source_ref is not None
    return parsed.intake.source_ref


def import_csv(
    session: Session, path: Path, *, actor: Principal, source: str = "12345",
    as_of: datetime | None = None, batch_rows: int = BATCH_ROWS, public: bool = False,
    prepare_ahead: bool | None = None, via: csvbatch.Via = "cli",
) -> CsvImportSummary:  # fmt: skip
    """Import a hotline CSV export as requests; quarantine the rows that cannot be used.

    A file without a request text column is refused (InvalidInputError) before anything
    is written. Live imports leave ``as_of`` out: each row is taken in now (keeping its
    time as received time). ``as_of`` replays the export on a simulated clock standing at
    that moment (the demo): each row is taken in, routed and logged at its own time (a row
    without one at ``as_of``), and a row or reply later than ``as_of`` is quarantined.
    Rows are taken in ``batch_rows`` at a time (:mod:`csvbatch`; the outcome is the one
    of taking them in one by one, which ``batch_rows=0`` does).

    Hotline calls are private: the requests stay off the public board and Open311 unless
    ``public`` (``--public``) or the row's 是否公开 says otherwise.

    An import by a matrix office (``actor``, the console's and the API's upload) keeps each
    new request that routing would place outside the office's scope in the office's own
    matrix queue, unassigned (:func:`access.office_queue`; counted in
    ``kept_in_office_queue``); a new row whose 所属矩阵 is another matrix of this desk is
    refused with the reason (:class:`carried.OfficeScope`). The admin's and the CLI's (the
    system's) imports route every row as the routing table says.

    ``prepare_ahead``: whether a worker process does the rows' text work (masking,
    normalisation, jurisdiction) for the next batches while this one is taken in
    (:mod:`csvprep`; the same outcome). Default: for batched files of at least
    :data:`csvprep.PARALLEL_MIN_BYTES` on a machine with a second core.

    ``via``: where the import was started (``cli``, ``console``, ``api``): a reason that
    advises choosing another source names that place's way of choosing it.

    A file found but refused whole (no request text column, an archive of several sheets,
    a workbook past an unpack limit) raises :class:`ImportRefusedError` naming it, with
    nothing written: the caller rolls back and may then store the run alone, as ``zhengwu
    import`` does (:func:`zhengwu.ingest.runs.record_refused_run`).
    """
    started = datetime.now(UTC)
    check_file(path)
    check_packed(path)
    try:
        return _import_file(
            session, path, actor, source, as_of, batch_rows, public, prepare_ahead, via
        )
    except InvalidInputError as exc:
        raise ImportRefusedError([exc], [{"file": str(path)} | exc.to_dict()], started) from exc


def _import_file(
    session: Session, path: Path, actor: Principal, source: str, as_of: datetime | None,
    batch_rows: int, public: bool, prepare_ahead: bool | None, via: csvbatch.Via,
) -> CsvImportSummary:  # fmt: skip
    """The import of :func:`import_csv` once the file is found."""
    with closing(plain_files(path, get_settings().data_dir / "tmp")) as plains:
        plain = _one_sheet(path, plains)
        # A member's copy under the data directory is named as the member in errors (a
        # workbook refused at an unpack limit, a header that cannot be read).
        with named_as(str(plain.path), plain.shown):
            width = len(check_header(plain.path, shown=plain.shown))
            if prepare_ahead is None:
                prepare_ahead = (
                    plain.path.stat().st_size >= csvprep.PARALLEL_MIN_BYTES and csvprep.usable()
                )
            preparer = csvprep.Preparer() if prepare_ahead and batch_rows > 0 else None
            try:
                return _import(
                    session,
                    plain,
                    actor,
                    source,
                    as_of,
                    batch_rows,
                    public,
                    preparer,
                    via,
                    width,
                )
            finally:
                if preparer is not None:
                    preparer.close()


def _one_sheet(path: Path, plains: Iterator[PlainFile]) -> PlainFile:
    """Return the one sheet of a (possibly compressed) export; refuse an archive of several."""
    if input_count(path) != 1:
        raise InvalidInputError(
            f"压缩包中应恰好有一个表格文件（CSV 或 .xlsx），请分别导入：{path}",
            f"the archive should hold exactly one sheet (CSV or .xlsx); import them one by one: "
            f"{path}",
        )
    return next(plains)


def _import(
    session: Session, plain: PlainFile, actor: Principal, source: str, as_of: datetime | None,
    batch_rows: int, public: bool, preparer: csvprep.Preparer | None, via: csvbatch.Via,
    width: int,
) -> CsvImportSummary:  # fmt: skip
    """Take the file's rows in; ``width``: how many columns its header has."""
    path, shown = plain.path, plain.shown
    run = ImportRun(format=FORMAT, paths=shown, started_at=datetime.now(UTC))
    session.add(run)
    session.flush()
    summary = CsvImportSummary(run_id=run.id)
    tree = category_service.get_tree(session)
    codes = {c.code: c.code for c in tree} | {c.name: c.code for c in tree}
    importer = _Importer(session, run, summary, actor, batch_rows, as_of, preparer, via)
    plan: dict[str, tuple[str, ...]] | None = None
    left: list[SheetLeft] = []
    for number, row, problem in iter_csv_rows(path, gbk=True, left=left):
        summary.read += 1
        where, raw = number.at(shown), number.raw
        if row is None or problem:
            importer.add(_Item(where, raw, refused=problem or "CSV 行无法读取 / unreadable row"))
            continue
        if plan is None:  # every row has the header's keys
            plan = column_plan(row)
            summary.columns_left = unread_columns(row)
        merged_rows = swallowed(row, plan, str(number))
        if merged_rows is not None:
            importer.add(_Item(where, raw, refused=merged_rows))
            continue
        try:
            parsed = _row(row, plan, source, codes, public)
        except ValidationError as exc:
            importer.add(_Item(where, raw, refused=_invalid(exc, row, plan)))
            continue
        except NoText as exc:
            cells = number.cells
            why = short_row(cells, width) if cells is not None and cells < width else str(exc)
            importer.add(_Item(where, raw, refused=why))
            continue
        except ValueError as exc:
            importer.add(_Item(where, raw, refused=str(exc)))
            continue
        late = _later_than(parsed, as_of) if as_of is not None else None
        refused = late or importer.outside_scope(parsed)
        importer.add(_Item(where, raw, parsed=None if refused else parsed, refused=refused))
    summary.sheets_left = [sheet.warning(shown) for sheet in left]
    if plain.damage is not None:  # a compressed export cut short: the rows before it stand
        summary.read += 1
        importer.add(_Item(plain.damage_at, plain.near, refused=plain.damage))
    importer.drain()
    run.finished_at = datetime.now(UTC)
    run.read, run.imported = summary.read, summary.created
    run.updated, run.duplicates = summary.merged, summary.existing
    run.quarantined = summary.quarantined
    session.flush()
    return summary
