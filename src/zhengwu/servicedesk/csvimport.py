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
address             事发地址 事发地点 地址 所属区域 区域 address
citizen_name        联系人 来电人 姓名 留言用户 name
citizen_phone       联系电话 来电号码 电话 手机 phone
citizen_email       邮箱 电子邮箱 email
reply_text          答复意见 答复内容 回复内容 reply_text
replied_at          答复时间 回复时间 replied_at      (required with a reply)
==================  ==============================================================

A file without any of the text headers is refused as a whole (the message names the
accepted headers and the ones found). A category matches a category code or name of the
tree; an unknown one is kept in the request's attributes (``source_category``) and the text
is classified instead. A row without a ticket id gets a stable id from its time and text,
so importing a file twice adds nothing. A reply with its time becomes the handling body's
public reply on the request, given at that time (see :func:`actions.record_reply`), once.
Rows that cannot become a request (no text, unreadable time, text over
:data:`~zhengwu.servicedesk.schemas.MAX_TEXT` characters, a reply without a readable time,
bad encoding) go to the quarantine as ``file:line`` with the reason — nothing is dropped
silently.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError, ZhengwuError
from zhengwu.ingest.files import GBK_HINT, check_file, iter_csv_rows
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.platforms.timeparse import DateError, parse_time
from zhengwu.servicedesk import actions, service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.schemas import MAX_TEXT, RequestIntake

FORMAT = "desk-12345-csv"
CHINA = timezone(timedelta(hours=8))
COLUMNS: dict[str, tuple[str, ...]] = {
    "source_ref": ("工单编号", "工单号", "编号", "留言编号", "ticket_id", "id"),
    "submitted_at": ("受理时间", "来电时间", "登记时间", "留言时间", "提交时间", "时间", "submitted_at"),
    "subject": ("标题", "主题", "留言主题", "subject"),
    "text": ("诉求内容", "反映内容", "内容", "留言详情", "诉求描述", "问题描述", "text", "description"),
    "category": ("问题分类", "诉求分类", "诉求类型", "分类", "一级分类", "category", "service_code"),
    "adcode": ("区划代码", "adcode"),
    "address": ("事发地址", "事发地点", "地址", "所属区域", "区域", "address"),
    "citizen_name": ("联系人", "来电人", "姓名", "留言用户", "name"),
    "citizen_phone": ("联系电话", "来电号码", "电话", "手机", "phone"),
    "citizen_email": ("邮箱", "电子邮箱", "email"),
    "reply_text": ("答复意见", "答复内容", "回复内容", "reply_text"),
    "replied_at": ("答复时间", "回复时间", "replied_at"),
}  # fmt: skip


@dataclass(slots=True)
class _Row:
    """What one CSV row brings: the request, and the body's reply with its time if any."""

    intake: RequestIntake
    reply: tuple[str, datetime] | None


@dataclass(slots=True)
class CsvImportSummary:
    """Counts of one import: read = created + merged + existing + quarantined.

    ``replies`` counts the replies recorded (a row's reply is recorded once, whatever its
    row counts as).
    """

    run_id: int | None = None
    read: int = 0
    created: int = 0
    merged: int = 0
    existing: int = 0
    quarantined: int = 0
    replies: int = 0

    def to_dict(self) -> dict[str, int | None]:
        """Return the counts, with the keys of ``zhengwu import`` too: imported = created,
        updated = merged, duplicates = existing (so read = imported + updated + duplicates
        + quarantined, as for every import)."""
        return {
            "run_id": self.run_id, "read": self.read, "created": self.created,
            "merged": self.merged, "existing": self.existing, "quarantined": self.quarantined,
            "replies": self.replies, "imported": self.created, "updated": self.merged,
            "duplicates": self.existing,
        }  # fmt: skip


def _pick(row: dict[str, str], field: str) -> str | None:
    normalised = {k.strip().lower(): v for k, v in row.items() if k}
    for header in COLUMNS[field]:
        value = normalised.get(header.lower())
        if value is not None and value.strip():
            return value.strip()
    return None


# Spreadsheet exports write times loosely: 2019/4/25 9:32:09, 2025-7-2 10:00, 2025年7月2日 10时.
_LOOSE_TIME = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:时](\d{1,2})?(?:[:分](\d{1,2}))?)?"
)


def _parse_time(value: str) -> datetime:
    """Return an aware time from a CSV cell (China local time unless it says otherwise)."""
    try:
        return parse_time(value)
    except DateError:
        m = _LOOSE_TIME.match(value.strip())
        if m is None:
            raise
        y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
        try:
            return datetime(y, mo, d, h, mi, sec, tzinfo=CHINA)
        except ValueError as exc:
            raise DateError(str(exc)) from None


def check_header(path: Path) -> list[str]:
    """Return the file's header; refuse a file none of whose headers names the request text."""
    check_file(path)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        try:
            header = [h.strip() for h in next(csv.reader(fh), [])]
        except csv.Error as exc:
            raise InvalidInputError(
                f"CSV 表头无法读取：{exc}", f"unreadable CSV header: {exc}"
            ) from None
    found = {h.lower() for h in header}
    if not header or any(name.lower() in found for name in COLUMNS["text"]):
        return header
    hint = f"；{GBK_HINT}" if any("\ufffd" in h for h in header) else ""
    accepted, shown = "、".join(COLUMNS["text"]), "、".join(header)
    raise InvalidInputError(
        f"{path} 不是可导入的诉求 CSV：缺少诉求内容列（需要其中之一：{accepted}）；"
        f"文件中的列：{shown}{hint}",
        f"{path} is not a request CSV: no request text column (one of: "
        f"{', '.join(COLUMNS['text'])}); the file's columns: {', '.join(header)}",
    )


def _time(raw: str, what_zh: str, what_en: str) -> datetime:
    try:
        return _parse_time(raw)
    except DateError as exc:
        raise ValueError(f"{what_zh}无法识别 / unreadable {what_en} {raw!r}: {exc}") from None


def _too_long(what_zh: str, what_en: str, text: str) -> ValueError:
    n = len(text)
    return ValueError(
        f"{what_zh}超过 {MAX_TEXT:,} 字（{n:,} 字）/ {what_en} longer than {MAX_TEXT:,} "
        f"characters ({n:,})"
    )


def _reply(row: dict[str, str], submitted: datetime | None) -> tuple[str, datetime] | None:
    """Return the row's reply and its time (None without a reply); ValueError if unusable."""
    text = _pick(row, "reply_text")
    if not text:
        return None
    if len(text) > MAX_TEXT:
        raise _too_long("答复意见", "reply text", text)
    when_raw = _pick(row, "replied_at")
    if not when_raw:
        raise ValueError("有答复意见但缺少答复时间 / a reply without its reply time")
    at = _time(when_raw, "答复时间", "reply time")
    if submitted is not None and at < submitted:
        raise ValueError(f"答复时间早于留言时间 / reply time {when_raw!r} before the request time")
    return text, at


def _row(row: dict[str, str], source: str, codes: dict[str, str]) -> _Row:
    """Build the intake (and reply) of one row; raise ValueError with an actionable reason."""
    text = _pick(row, "text")
    if not text:
        raise ValueError("缺少诉求内容 / no request text")
    subject = _pick(row, "subject")
    if subject and not text.startswith(subject):
        text = f"{subject}：{text}"
    if len(text) > MAX_TEXT:
        raise _too_long("诉求正文", "request text", text)
    when_raw = _pick(row, "submitted_at")
    submitted = _time(when_raw, "时间", "time") if when_raw else None
    ticket = _pick(row, "source_ref")
    if not ticket:
        ticket = "h" + hashlib.sha1(f"{when_raw}|{text}".encode()).hexdigest()[:20]
    raw_category = _pick(row, "category")
    code = codes.get(raw_category) if raw_category else None
    attributes = {"source_category": raw_category} if raw_category and code is None else {}
    intake = RequestIntake(
        source=source, source_ref=f"{source}:{ticket}", text=text, category_code=code,
        adcode=_pick(row, "adcode"), address=_pick(row, "address"),
        citizen_name=_pick(row, "citizen_name"), citizen_phone=_pick(row, "citizen_phone"),
        citizen_email=_pick(row, "citizen_email"), attributes=attributes, submitted_at=submitted,
    )  # fmt: skip
    return _Row(intake, _reply(row, submitted))


def _invalid(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "?"
    return f"字段 {field} 无效 / invalid field {field}: {error['msg']}"


def _later_than(parsed: _Row, as_of: datetime) -> str | None:
    """Return why a row has not happened yet on a clock standing at ``as_of`` (else None)."""
    times = (parsed.intake.submitted_at, parsed.reply[1] if parsed.reply else None)
    if not any(t is not None and t > as_of for t in times):
        return None
    when = as_of.astimezone(CHINA).isoformat()
    return f"时间晚于模拟时钟 {when} / later than the as-of time {when}"


def import_csv(
    session: Session, path: Path, *, actor: Principal, source: str = "12345",
    as_of: datetime | None = None,
) -> CsvImportSummary:  # fmt: skip
    """Import a hotline CSV export as requests; quarantine the rows that cannot be used.

    A file without a request text column is refused (InvalidInputError) before anything
    is written. Live imports leave ``as_of`` out: each row is taken in now (keeping its
    time as received time). ``as_of`` replays the export on a simulated clock standing at
    that moment (the demo): each row is taken in, routed and logged at its own time (a row
    without one at ``as_of``), and a row or reply later than ``as_of`` is quarantined.
    """
    check_header(path)
    run = ImportRun(format=FORMAT, paths=str(path), started_at=datetime.now(UTC))
    session.add(run)
    session.flush()
    summary = CsvImportSummary(run_id=run.id)
    tree = category_service.get_tree(session)
    codes = {c.code: c.code for c in tree} | {c.name: c.code for c in tree}

    def quarantine(where: str, reason: str, raw: object) -> None:
        summary.quarantined += 1
        session.add(QuarantineEntry(run_id=run.id, format=FORMAT, source=where, reason=reason,
                                    raw=None if raw is None else str(raw)[:500]))  # fmt: skip

    for number, row, problem in iter_csv_rows(path):
        summary.read += 1
        where = f"{path}:{number}"
        if row is None or problem:
            quarantine(where, problem or "CSV 行无法读取 / unreadable row", row)
            continue
        try:
            parsed = _row(row, source, codes)
        except ValidationError as exc:
            quarantine(where, _invalid(exc), row)
            continue
        except ValueError as exc:
            quarantine(where, str(exc), row)
            continue
        late = _later_than(parsed, as_of) if as_of is not None else None
        if late:
            quarantine(where, late, row)
            continue
        clock = None if as_of is None else parsed.intake.submitted_at or as_of
        try:
            with session.begin_nested():  # a refused row leaves the rest of the import intact
                outcome = service.receive(session, intake=parsed.intake, actor=actor, now=clock)
                if parsed.reply is not None and actions.record_reply(
                    session, request=outcome.request, text=parsed.reply[0], at=parsed.reply[1],
                    actor=actor, event_key=f"{parsed.intake.source_ref}#reply",
                ):  # fmt: skip
                    summary.replies += 1
        except ZhengwuError as exc:
            quarantine(where, exc.message_zh + " / " + exc.message_en, row)
            continue
        setattr(summary, outcome.status, getattr(summary, outcome.status) + 1)
    run.finished_at = datetime.now(UTC)
    run.read, run.imported = summary.read, summary.created
    run.updated, run.duplicates = summary.merged, summary.existing
    run.quarantined = summary.quarantined
    session.flush()
    return summary
