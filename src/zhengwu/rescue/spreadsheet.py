"""The volunteers' spreadsheet (《待救援人员信息》, Henan 2021): import and export as CSV.

Import reads the columns volunteers already use — 姓名, 地址, 人数, 情况, 紧急程度,
联系方式, 是否核实, 是否获救 (and 时间, 链接 when present; common variants of each name
are accepted). Each row goes through the same intake as posts, so a row that repeats a
Weibo request joins it. A row that cannot be used is quarantined with its reason, never
dropped; re-importing the same sheet changes nothing except the 是否核实 / 是否获救 marks
volunteers have since filled in.

Export writes the same layout back, with the state of each request, so the sheet people
know stays usable while the system runs; cells that would be read as formulas are
neutralised (:mod:`zhengwu.sheetcells`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.db.engine import rolled_back_if
from zhengwu.errors import InvalidInputError, named_as
from zhengwu.ingest.files import sheet_rows
from zhengwu.ingest.workbook import SheetLeft
from zhengwu.platforms.timeparse import DateError, parse_time
from zhengwu.rescue import access, intake, listing
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import HelpRequest, HelpSource, Incident, SetAside, Verification
from zhengwu.rescue.notices import HELPED_OUTCOMES, is_partial
from zhengwu.rescue.schemas import HelpRequestView, IntakeReport
from zhengwu.rescue.workflow import STATE_LABELS, transition
from zhengwu.sheetcells import read_cell, safe_row
from zhengwu.storable import find_nul, nul_reason, shown

if TYPE_CHECKING:  # not imported at run time: the service desk is a heavy import
    from zhengwu.servicedesk.upload import UploadRules

COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "求助人", "联系人", "被困人员"),
    "address": ("地址", "位置", "所在位置", "详细地址", "被困地点"),
    "people": ("人数", "被困人数"),
    "situation": ("情况", "情况描述", "具体情况", "求助内容"),
    "urgency": ("紧急程度", "紧急情况", "紧急"),
    "phone": ("联系方式", "电话", "联系电话", "手机"),
    "verified": ("是否核实", "核实", "已核实"),
    "rescued": ("是否获救", "获救", "已获救"),
    "time": ("时间", "发布时间", "求助时间"),
    "url": ("链接", "来源", "原微博"),
}
URGENCY = {"超级紧急": "critical", "特别紧急": "critical", "紧急": "urgent", "一般": "normal",
           "不紧急": "normal", "": None}  # fmt: skip
YES = {"是", "已核实", "已获救", "y", "yes", "√", "✓", "1", "true"}
NO = {"否", "未核实", "未获救", "n", "no", "×", "0", "false", ""}
# A count as volunteers write it: 3, 3人, 三个, 约10人, 10余人, 二十多个人, 5名, 3位, 3口.
_PEOPLE = re.compile(
    r"^\s*(?:约|大约|共)?\s*(\d+|[一二两三四五六七八九十百]+)\s*(?:多|余)?\s*"
    r"(?:人|口|个人|个|名|位|口人)?\s*(?:左右|多)?\s*$"
)
EXPORT_HEADER = ("序号", "求助编号", "时间", "姓名", "地址", "区县", "人数", "已救出", "情况",
                 "紧急程度", "联系方式", "是否核实", "是否获救", "状态", "救援队伍", "链接")  # fmt: skip
URGENCY_LABELS = {"critical": "超级紧急", "urgent": "紧急", "normal": "一般"}
# Who takes a sheet into an incident (admin too): the roles that take posts in by the API.
SHEET_IMPORTERS = ("dispatcher",)
UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # an upload from the console or the API
# An uploaded sheet (the console's form, the API): saved under its own file name by
# zhengwu.servicedesk.upload.saved_upload(stream, name, **SHEET_UPLOAD).
SHEET_UPLOAD: UploadRules = {
    "limit": UPLOAD_MAX_BYTES,
    "choose": (
        "请选择要导入的表格文件（CSV 或 Excel .xlsx）",
        "choose a sheet to import (CSV or .xlsx)",
    ),
    "too_large": ("请拆分后分批导入", "split it and import the parts"),
}
# What an upload may be: CSV, the workbook, and .xls only to be refused with what to do.
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xls")
REFUSED_SHOWN = 200  # refused rows a check's page and the CLI list (all: the JSON)


def _header_map(header: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        title = raw.strip().lstrip("\ufeff")
        for field, names in COLUMNS.items():
            if title in names and field not in found:
                found[field] = index
    if "address" not in found and "phone" not in found:
        raise InvalidInputError(
            "表格缺少「地址」和「联系方式」列，无法导入",
            f"the sheet has neither an address nor a phone column: {list(header)}",
        )
    return found


def _flag(value: str, column: str) -> bool:
    value = value.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"{column}「{value}」应为 是/否 / {column} must be yes or no")


def _row(
    cells: dict[str, str], number: int, source: str
) -> tuple[HelpPostIn, dict[str, Any], bool, bool, str | None]:
    """Return the post, the facts it overrides, its verified / rescued marks and a warning
    (or raise for a row that cannot be used).

    An urgency word the sheet invented (十万火急, 较急) does not refuse the row — people
    wait behind it: the row is taken in with the urgency read from its text (一般 when
    none), the word kept in its text, and a warning in the report.
    """
    if not cells.get("address") and not cells.get("phone"):
        raise ValueError("没有地址也没有联系方式 / neither address nor contact")
    urgency_text = cells.get("urgency", "").strip()
    warning = None
    if urgency_text not in URGENCY:
        warning = (
            f"{source} 第 {number} 行：紧急程度「{urgency_text}」无法识别（超级紧急/紧急/一般），"
            f"已按情况描述判断，请人工核定 / row {number}: unknown urgency {urgency_text!r}, "
            "read from the text instead: check it"
        )
    people_text = cells.get("people", "").strip()
    if people_text and not _PEOPLE.match(people_text):
        raise ValueError(f"人数「{people_text}」不是人数 / people is not a count")
    posted = _row_time(cells)
    if posted is None and cells.get("time", "").strip():
        raise ValueError(f"时间「{cells['time']}」无法识别 / unreadable time")
    labels = (("姓名", "name"), ("地址", "address"), ("人数", "people"), ("联系方式", "phone"),
              ("情况描述", "situation"))  # fmt: skip
    text = "".join(
        f"【{label}】{cells[key].strip()}" for label, key in labels if cells.get(key, "").strip()
    )
    if warning:
        text += f"【紧急程度（无法识别）】{urgency_text}"
    identity = "|".join(cells.get(k, "").strip() for k in ("name", "address", "phone", "situation"))
    post = HelpPostIn(
        platform="csv", post_id="csv-" + hashlib.sha1(identity.encode()).hexdigest()[:20],
        text=text, posted_at=posted, author=source, url=cells.get("url") or None,
    )  # fmt: skip
    known: dict[str, Any] = {}
    if URGENCY.get(urgency_text):
        known["urgency"] = URGENCY[urgency_text]
    if cells.get("address", "").strip():
        known["address"] = cells["address"].strip()
    if cells.get("name", "").strip():
        known["name"] = cells["name"].strip()
    verified = _flag(cells.get("verified", ""), "是否核实")
    rescued = _flag(cells.get("rescued", ""), "是否获救")
    return post, known, verified, rescued, warning


def _row_time(cells: dict[str, str]) -> datetime | None:
    """Return the 时间 of a row, or None when it has none or it cannot be read."""
    try:
        return parse_time(cells["time"].strip()) if cells.get("time", "").strip() else None
    except DateError:
        return None


def import_csv(
    session: Session, *, incident: Incident, path: Path, actor: Principal, name: str | None = None,
    dry_run: bool = False,
) -> IntakeReport:  # fmt: skip
    """Import a volunteers' sheet into ``incident``; bad rows are quarantined with reasons
    (each one's in ``refused``: where and why).

    The sheet may be UTF-8 or GBK/GB18030 (as Excel saves it on Chinese Windows), or the
    Excel workbook itself (``.xlsx``: :mod:`zhengwu.ingest.workbook`). ``name`` is what
    the reasons, warnings and errors call the sheet (an upload's own file name, not the
    temporary file's); by default the file's name. Dispatchers and admins only
    (:data:`SHEET_IMPORTERS`).

    ``dry_run`` (the console's 检查, the API's ``dry_run``, ``--dry-run``) runs the same
    import in a savepoint and rolls it back once its report is read: the counts, warnings
    and refused rows are the ones the import would have now, and nothing of it stays (no
    request, set-aside row, mark or audit entry; ``request_ids`` empty).
    """
    actor.require(*SHEET_IMPORTERS)
    with rolled_back_if(session, dry_run):
        report = _import_sheet(session, incident=incident, path=path, actor=actor, name=name)
    if dry_run:
        report.dry_run, report.request_ids = True, []
    return report


def _import_sheet(
    session: Session, *, incident: Incident, path: Path, actor: Principal, name: str | None
) -> IntakeReport:
    """The import of :func:`import_csv` (in the savepoint of a dry run)."""
    sheet = name or path.name
    left: list[SheetLeft] = []
    with named_as(str(path), sheet if name else str(path)):  # not an upload's temporary file
        rows = list(sheet_rows(path, gbk=True, left=left))
    if not rows:
        raise InvalidInputError(f"空表格：{sheet}", f"empty sheet: {sheet}")
    _, top, unreadable = rows[0]  # the header row (always read)
    if unreadable or top is None:
        raise InvalidInputError(
            f"表格不是 UTF-8 或 GBK 编码的 CSV：{sheet}", f"not a UTF-8 or GBK CSV file: {sheet}"
        )
    columns = _header_map(top)
    header = [title.strip().lstrip("\ufeff") for title in top]
    posts: list[HelpPostIn] = []
    overrides: dict[str, dict[str, Any]] = {}
    marks: dict[str, tuple[bool, bool]] = {}
    bad: dict[str, SetAside] = {}
    warnings = [part.warning(sheet) for part in left]  # a workbook's sheets not read
    for at, row, problem in rows[1:]:  # blank rows (between blocks of rows) left out
        cells = (
            {}
            if row is None
            else {f: read_cell(row[i]) if i < len(row) else "" for f, i in columns.items()}
        )
        try:
            if row is None:  # malformed CSV, neither UTF-8 nor GBK: quarantined as it is
                raise ValueError(problem)
            if (column := find_nul(dict(zip(header, row, strict=False)))) is not None:
                raise ValueError(nul_reason(column))  # PostgreSQL cannot store it
            post, known, verified, rescued, warning = _row(cells, at.number, at.in_file(sheet))
        except ValueError as exc:
            # The key is the row's cells (as before the raw line was kept: a sheet imported
            # again finds its rows set aside); the text is the row as it is in the file,
            # to fix and import again (a NUL written as \u0000).
            content = at.raw if row is None else ",".join(row)
            key = "csv-row-" + hashlib.sha1(shown(content).encode()).hexdigest()[:20]
            bad[key] = SetAside(incident_id=incident.id, kind="quarantined", channel="csv",
                                platform="csv", post_id=key, text=shown(at.raw),
                                reason=f"{at.in_file(sheet)} 第 {at.number} 行：{exc}", author=sheet,
                                url=shown(cells.get("url") or "") or None, posted_at=_row_time(cells))  # fmt: skip
            continue
        if warning:
            warnings.append(warning)
        posts.append(post)
        overrides[post.post_id] = known
        marks[post.post_id] = (verified, rescued)
    outcome = intake.take_in(session, incident=incident, posts=posts, actor=actor, channel="csv",
                             assume_help=True, overrides=overrides)  # fmt: skip
    report = outcome.report
    stored = set(session.scalars(select(SetAside.post_id).where(
        SetAside.incident_id == incident.id, SetAside.post_id.in_(list(bad)))))  # fmt: skip
    for key, aside in bad.items():
        if key not in stored:
            session.add(aside)
    report.read += len(bad)
    report.quarantined = len(bad)
    report.refused = [aside.reason for aside in bad.values()]
    report.warnings.extend(warnings)
    _apply_marks(session, incident, marks, sheet, actor)
    session.flush()
    return report


def import_upload(
    session: Session, *, incident: Incident, path: Path, actor: Principal, dry_run: bool = False
) -> IntakeReport:
    """Import an uploaded sheet saved under its own file name (its copy at ``path``; its
    rules: :data:`SHEET_UPLOAD`) by :func:`import_csv`, in the caller's transaction.

    A suffix other than :data:`UPLOAD_SUFFIXES` is refused (``.xls`` reaches the import's
    own refusal), and so is an empty file. ``dry_run``: as :func:`import_csv`.
    """
    actor.require(*SHEET_IMPORTERS)
    name = path.name
    if path.suffix.lower() not in UPLOAD_SUFFIXES:
        raise InvalidInputError(
            f"不支持的文件类型「{name}」：请上传 CSV（UTF-8 或 GBK）或 Excel（.xlsx）文件",
            f"unsupported file {name!r}: upload a CSV (UTF-8 or GBK) or Excel (.xlsx) file",
        )
    if path.stat().st_size == 0:
        raise InvalidInputError(f"空表格：{name}", f"empty sheet: {name}")
    return import_csv(session, incident=incident, path=path, actor=actor, name=name,
                      dry_run=dry_run)  # fmt: skip


def _apply_marks(
    session: Session,
    incident: Incident,
    marks: dict[str, tuple[bool, bool]],
    sheet: str,
    actor: Principal,
) -> None:
    ids = [k for k, (verified, rescued) in marks.items() if verified or rescued]
    if not ids:
        return
    sources = session.scalars(select(HelpSource).where(
        HelpSource.incident_id == incident.id, HelpSource.platform == "csv",
        HelpSource.post_id.in_(ids)))  # fmt: skip
    for source in sources:
        verified, rescued = marks[source.post_id]
        request = rescue_service.get_request(session, request_id=source.request_id)
        if verified and request.verification == "unverified":
            # The volunteers verified it by phone; who exactly, the sheet does not say.
            record = Verification(request_id=request.id, method="phone", result="confirmed",
                                  note=f"志愿者表格「{sheet}」标记为已核实",
                                  verifier_user_id=actor.user_id,
                                  verifier_name=f"志愿者表格 {sheet}")  # fmt: skip
            session.add(record)
            now = utcnow()
            request.verification = "confirmed"
            request.verified_at = request.first_verified_at = record.at = now
            request.reverify_due_at = now + timedelta(hours=incident.reverify_hours)
            if request.state == "new":
                transition(session, request=request, to="verified", actor=actor,
                           reason=f"志愿者表格「{sheet}」标记为已核实")  # fmt: skip
        if rescued and request.reported_rescued_at is None:
            request.reported_rescued_at = utcnow()


EXPORT_BATCH = 500  # requests loaded (and rows written) at a time


def export_rows(
    session: Session,
    *,
    incident: Incident,
    principal: Principal,
    now: datetime | None = None,
    batch: int = EXPORT_BATCH,
) -> Iterator[list[object]]:
    """Yield the export's header, then one row per request in priority order.

    The ids come from the database in the queue's order (:func:`listing.ordered_ids`)
    through ``yield_per`` (a server-side cursor on PostgreSQL), and the requests are
    loaded ``batch`` at a time: memory stays flat however large the incident. Every text
    cell goes through :func:`zhengwu.sheetcells.safe_cell`.
    """
    yield list(EXPORT_HEADER)
    query = listing.ordered_ids(session, incident=incident, filters=listing.Filters(states=()),
                                now=now or utcnow())  # fmt: skip
    ids = session.execute(query.execution_options(yield_per=batch)).scalars()
    number = 0
    for chunk in ids.partitions(batch):
        for request in listing.load(session, list(chunk)):
            number += 1
            yield _export_row(number, request, access.view(principal, request))


def _export_row(number: int, request: HelpRequest, seen: HelpRequestView) -> list[object]:
    rescued = {"complete": "是", "partial": "部分", "none": "否"}[seen.fulfilment]
    if request.outcome in HELPED_OUTCOMES:  # closed as done, unless people still wait
        rescued = "部分" if is_partial(request) else "是"
    first_url = next((s.url for s in seen.sources if s.url), "")
    return safe_row((
        number, request.id, _local(request.reported_at), seen.name or "", seen.address or "",
        seen.area or "", seen.people_total or "", seen.people_helped,
        seen.text, URGENCY_LABELS.get(seen.urgency, seen.urgency), " ".join(seen.phones),
        "是" if seen.verification == "confirmed" else "否", rescued,
        STATE_LABELS.get(seen.state, seen.state), seen.team_name or "", first_url or "",
    ))  # fmt: skip


def csv_chunks(rows: Iterable[Sequence[object]], *, rows_per_chunk: int = 200) -> Iterator[str]:
    """Yield ``rows`` as CSV text, ``rows_per_chunk`` rows a piece (no BOM: the caller's)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def export_csv(session: Session, *, incident: Incident, principal: Principal) -> str:
    """Return the incident's requests as CSV in the volunteers' layout (full data needs rights).

    The whole text at once: a download streams :func:`csv_chunks` of :func:`export_rows`.
    """
    return "".join(csv_chunks(export_rows(session, incident=incident, principal=principal)))


def _local(moment: datetime) -> str:
    return moment.astimezone(rescue_service.CHINA_TZ).strftime("%Y-%m-%d %H:%M")
