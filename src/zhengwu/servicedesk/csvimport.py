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
==================  ==============================================================

A category matches a category code or name of the tree; an unknown one is kept in the
request's attributes (``source_category``) and the text is classified instead. A row without
a ticket id gets a stable id from its time and text, so importing a file twice adds nothing.
Rows that cannot become a request (no text, unreadable time, text over 4,000 characters,
bad encoding) go to the quarantine with the reason — nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import ZhengwuError
from zhengwu.ingest.files import iter_csv_rows
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.platforms.timeparse import DateError, parse_time
from zhengwu.servicedesk import service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.schemas import RequestIntake

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
}  # fmt: skip


@dataclass(slots=True)
class CsvImportSummary:
    """Counts of one import: read = created + merged + existing + quarantined."""

    run_id: int | None = None
    read: int = 0
    created: int = 0
    merged: int = 0
    existing: int = 0
    quarantined: int = 0


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


def _intake(row: dict[str, str], source: str, codes: dict[str, str]) -> RequestIntake:
    """Build the intake of one row; raise ValueError with a reason people can act on."""
    text = _pick(row, "text")
    if not text:
        raise ValueError("缺少诉求内容 / no request text")
    subject = _pick(row, "subject")
    if subject and not text.startswith(subject):
        text = f"{subject}：{text}"
    when_raw = _pick(row, "submitted_at")
    submitted = None
    if when_raw:
        try:
            submitted = _parse_time(when_raw)
        except DateError as exc:
            raise ValueError(f"时间无法识别 / unreadable time {when_raw!r}: {exc}") from None
    ticket = _pick(row, "source_ref")
    if not ticket:
        ticket = "h" + hashlib.sha1(f"{when_raw}|{text}".encode()).hexdigest()[:20]
    raw_category = _pick(row, "category")
    code = codes.get(raw_category) if raw_category else None
    attributes = {"source_category": raw_category} if raw_category and code is None else {}
    return RequestIntake(
        source=source, source_ref=f"{source}:{ticket}", text=text, category_code=code,
        adcode=_pick(row, "adcode"), address=_pick(row, "address"),
        citizen_name=_pick(row, "citizen_name"), citizen_phone=_pick(row, "citizen_phone"),
        citizen_email=_pick(row, "citizen_email"), attributes=attributes, submitted_at=submitted,
    )  # fmt: skip


def import_csv(
    session: Session, path: Path, *, actor: Principal, source: str = "12345"
) -> CsvImportSummary:
    """Import a hotline CSV export as requests; quarantine the rows that cannot be used."""
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
        where = f"{path.name}:row {number}"
        if row is None or problem:
            quarantine(where, problem or "unreadable row", row)
            continue
        try:
            intake = _intake(row, source, codes)
        except ValidationError as exc:
            quarantine(where, f"字段无效 / invalid field: {exc.errors()[0]['msg']}", row)
            continue
        except ValueError as exc:
            quarantine(where, str(exc), row)
            continue
        try:
            with session.begin_nested():  # a refused row leaves the rest of the import intact
                outcome = service.receive(session, intake=intake, actor=actor)
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
