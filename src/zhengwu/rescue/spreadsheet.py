"""The volunteers' spreadsheet (《待救援人员信息》, Henan 2021): import and export as CSV.

Import reads the columns volunteers already use — 姓名, 地址, 人数, 情况, 紧急程度,
联系方式, 是否核实, 是否获救 (and 时间, 链接 when present; common variants of each name
are accepted). Each row goes through the same intake as posts, so a row that repeats a
Weibo request joins it. A row that cannot be a request (no address and no contact) is
quarantined with its reason, never dropped; a cell the import cannot read (a 人数 of
很多人 or 十几个, 紧急程度, 是否核实, 是否获救, 时间) takes the row in with a warning
naming the row and the cell (:func:`_row`). Re-importing the same sheet changes
nothing except the 是否核实 / 是否获救 marks volunteers have since filled in; so does
importing a sheet zhengwu exported (its rows are known by their 求助编号; a fact changed on
such a row is not taken in, and a warning names the row and the column).

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.db.engine import rolled_back_if
from zhengwu.errors import InvalidInputError, named_as
from zhengwu.ingest.files import sheet_rows
from zhengwu.ingest.workbook import SheetLeft
from zhengwu.platforms.timeparse import DateError, parse_time
from zhengwu.rescue import access, clock, intake, listing, people
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.additions import with_additions
from zhengwu.rescue.merge import HelpPostIn
from zhengwu.rescue.models import (
    SET_ASIDE_REASON_MAX,
    HelpRequest,
    HelpSource,
    Incident,
    SetAside,
    Verification,
)
from zhengwu.rescue.notices import HELPED_OUTCOMES, is_partial
from zhengwu.rescue.schemas import HelpRequestView, IntakeReport
from zhengwu.rescue.workflow import STATE_LABELS, transition
from zhengwu.sheetcells import read_cell, safe_row
from zhengwu.storable import clipped, column_length, find_nul, nul_reason, shown

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
    # zhengwu's own export (EXPORT_HEADER): the request a row was written from.
    "request_id": ("求助编号",),
}
# The 紧急程度 words volunteers write, each to a level (critical 超级紧急, urgent 紧急,
# normal 一般); any other word is warned and the urgency read from the row's text. A sheet
# graded 高/中/低 (or 高危 …) uses three levels too: its top is ours (高 → critical).
URGENCY: dict[str, str | None] = {
    **dict.fromkeys(("超级紧急", "特别紧急", "非常紧急", "极其紧急", "十万火急", "万分火急",
                     "万分紧急", "十分紧急", "很紧急", "特紧急", "特急", "危急", "紧急危重",
                     "非常急", "特别急", "高", "很高", "极高", "非常高", "高危", "极高危",
                     "危重", "最高"), "critical"),
    **dict.fromkeys(("紧急", "较急", "比较急", "较紧急", "比较紧急", "急", "很急", "加急",
                     "中", "中等", "较高", "比较高", "中危", "中高"), "urgent"),
    **dict.fromkeys(("一般", "普通", "不急", "不紧急", "不太急", "较缓", "暂缓",
                     "可缓", "缓", "正常", "低", "较低", "很低", "低危", "不高"), "normal"),
    "": None,
}  # fmt: skip
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


# What the columns a sheet row is stored in hold: a longer cell or name is cut to it.
NAME_MAX = column_length(HelpRequest.name)
ADDRESS_MAX = column_length(HelpRequest.address)
URL_MAX = column_length(HelpSource.url)
AUTHOR_MAX = column_length(HelpSource.author)
VERIFIER_MAX = column_length(Verification.verifier_name)


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


# The columns a request is acted on by (where, how to call back, what is wrong): a sheet
# without one of them is imported (it has an address or a contact), with a warning.
EXPECTED = {"address": ("地址", "address"), "phone": ("联系方式", "contact"),
            "situation": ("情况", "situation")}  # fmt: skip
CELL_SHOWN = 40  # characters of a cell quoted in a warning or a refused row's reason
WHERE_SHOWN = 100  # characters of the file (and worksheet) name in a reason or warning


def _quoted(value: str) -> str:
    """A cell as a warning or reason quotes it: its first :data:`CELL_SHOWN` characters."""
    return clipped(value, CELL_SHOWN)


def _where(place: str) -> str:
    """A file (or ``file!sheet``) as a reason or warning names it: a long name keeps its
    start and its end (the suffix, the worksheet), … between."""
    if len(place) <= WHERE_SHOWN:
        return place
    half = (WHERE_SHOWN - 1) // 2
    return place[:half] + "…" + place[-(WHERE_SHOWN - 1 - half) :]


def _missing_columns(columns: dict[str, int], header: Sequence[str], sheet: str) -> str | None:
    """The warning of a sheet read without an address, contact or situation column (its
    rows are taken in without them: a header the import does not know is named)."""
    missing = [labels for field, labels in EXPECTED.items() if field not in columns]
    if not missing:
        return None
    unknown = [t for i, t in enumerate(header) if t and i not in columns.values()]
    zh_unknown = f"；未识别的列：{'、'.join(_quoted(t) for t in unknown)}" if unknown else ""
    en_unknown = f"; columns not read: {', '.join(_quoted(t) for t in unknown)}" if unknown else ""
    zh = "、".join(f"「{z}」" for z, _ in missing)
    en = ", ".join(f"{z} ({e})" for z, e in missing)
    return (
        f"{_where(sheet)}：表格没有{zh}列，各行导入后缺少这些信息，请核对表头并人工补充{zh_unknown}"
        f" / {_where(sheet)}: the sheet has no {en} column{'s' if len(missing) > 1 else ''}; "
        "its rows are taken in without them: check the header and complete the requests"
        f"{en_unknown}"
    )


def _flag(value: str) -> bool | None:
    """Read a 是/否 cell: True, False, or None when it says neither (不知道, 待定, ?)."""
    value = value.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    return None


class _Row(msgspec.Struct, frozen=True, kw_only=True):
    """A sheet row read as a post: the facts it overrides, its marks, its warnings."""

    post: HelpPostIn
    known: dict[str, Any]
    verified: bool
    rescued: bool
    warnings: list[str]


def _row(cells: dict[str, str], number: int, source: str) -> _Row:
    """Return the row read as a post (or raise for a row that cannot be a request).

    Only a row that cannot be a request is refused: no address and no contact. A cell
    that cannot be read does not refuse it — people wait behind it: the row is taken in,
    with a warning naming the row and the cell. A 人数 that is no plain count (很多人,
    若干, 一家人, 十几个): as the extractor reads it — unknown, or at least 10 for 十几个
    (:func:`_people_warning`). An urgency word the sheet invented (不知道, 待定): the urgency is read from its
    text (一般 when none), the word kept in its text. A 是否核实 / 是否获救 that says
    neither 是 nor 否 (不知道, 待定, ?): not verified / not rescued, which a later sheet
    saying 是 still changes (:func:`_apply_marks`). A 时间 that cannot be read (昨天下午):
    the import's time, the cell kept in its text (a clock time there, 昨晚11点, is read as
    any stated time is).
    """
    if not cells.get("address") and not cells.get("phone"):
        raise ValueError("没有地址也没有联系方式 / neither address nor contact")
    at = f"{_where(source)} 第 {number} 行"
    warnings: list[str] = []
    unread: list[tuple[str, str]] = []  # (label, cell) kept in the text

    def warn(column_zh: str, column_en: str, value: str, zh: str, en: str) -> None:
        warnings.append(f"{at}：{column_zh}「{_quoted(value)}」无法识别，{zh} / row {number}: "
                        f"{column_en} {_quoted(value)!r} not understood, {en}")  # fmt: skip

    people_text = cells.get("people", "").strip()
    if people_text and not _PEOPLE.match(people_text):
        warnings.append(_people_warning(people_text, at, number))

    urgency_text = cells.get("urgency", "").strip()
    if urgency_text not in URGENCY:
        warn("紧急程度", "urgency", urgency_text, "已按情况描述判断（超级紧急/紧急/一般），请人工核定",
             "read from the text instead: check it")  # fmt: skip
        unread.append(("紧急程度", urgency_text))
    time_text = cells.get("time", "").strip()
    posted = _row_time(cells)
    if posted is None and time_text:
        warn("时间", "time", time_text, "已按导入时间记录，请人工核定",
             "taken in at the import's time: check it")  # fmt: skip
        unread.append(("时间", time_text))
    marks: list[bool] = []
    for key, column_zh, column_en, meaning_zh, meaning_en in (
        ("verified", "是否核实", "verified", "按未核实导入", "taken in as not verified"),
        ("rescued", "是否获救", "rescued", "按未获救导入", "taken in as not rescued"),
    ):
        flag = _flag(cells.get(key, ""))
        if flag is None:
            warn(column_zh, column_en, cells[key].strip(), f"{meaning_zh}（应为 是/否）",
                 f"{meaning_en} (yes or no)")  # fmt: skip
        marks.append(bool(flag))
    url = cells.get("url", "").strip() or None
    if url is not None and len(url) > URL_MAX:
        warnings.append(f"{at}：链接过长（{len(url)} 字符，上限 {URL_MAX}），未保存 / row {number}: "
                        f"link too long ({len(url)} characters, at most {URL_MAX}), not kept")  # fmt: skip
        url = None
    labels = (("姓名", "name"), ("地址", "address"), ("人数", "people"), ("联系方式", "phone"),
              ("情况描述", "situation"))  # fmt: skip
    text = "".join(
        f"【{label}】{cells[key].strip()}" for label, key in labels if cells.get(key, "").strip()
    )
    text += "".join(f"【{label}（无法识别）】{value}" for label, value in unread)
    identity = "|".join(cells.get(k, "").strip() for k in ("name", "address", "phone", "situation"))
    post = HelpPostIn(
        platform="csv", post_id="csv-" + hashlib.sha1(identity.encode()).hexdigest()[:20],
        text=text, posted_at=posted, author=clipped(source, AUTHOR_MAX), url=url,
    )  # fmt: skip
    known: dict[str, Any] = {}
    if URGENCY.get(urgency_text):
        # Set by the volunteer who filled the sheet in: shown 人工设定「表格·高」 (masked:
        # 人工设定), as a coordinator's hand-set urgency is; the text's reasons stay beside.
        known["urgency"] = URGENCY[urgency_text]
        known["urgency_reasons"] = [f"manual:表格·{urgency_text}"]
    # A cell longer than the request's column is cut there (its source's text keeps it).
    for key, limit in (("address", ADDRESS_MAX), ("name", NAME_MAX)):
        if cells.get(key, "").strip():
            known[key] = clipped(cells[key].strip(), limit)
    verified, rescued = marks
    return _Row(post=post, known=known, verified=verified, rescued=rescued, warnings=warnings)


# Words that make a count a lower bound: 十几个, 几十人, 二十来个, 100以上, 至少5人.
_AT_LEAST = re.compile(r"几|多|余|来|以上|至少|不止|上百|上千")


def _people_warning(cell: str, at: str, number: int) -> str:
    """The warning of a 人数 that is no plain count (很多人, 若干, 一家人, 十几个).

    The row is taken in, its cell kept in its text under 【人数】, which the extractor
    reads as it reads a post's (:func:`zhengwu.rescue.people.count_people`): 十几个 as
    10, 几十人 as 10 — taken as at least that many —, 一家三口 as 3; 很多人, 若干,
    一家人 as no count (the people count stays unknown, unless the situation states one).
    """
    read = people.count_people(f"人数{cell}")
    quoted = _quoted(cell)
    if read is None:
        return (f"{at}：人数「{quoted}」无法识别，按人数不详导入（情况中写明的人数仍会读取），"
                f"请人工核定 / row {number}: people {quoted!r} not understood, taken in with "
                "the count unknown (unless the situation states one): check it")  # fmt: skip
    if _AT_LEAST.search(cell):
        return (f"{at}：人数「{quoted}」不是确切人数，按至少 {read} 人导入，请人工核定 / "
                f"row {number}: people {quoted!r} is not an exact count, taken in as at "
                f"least {read}: check it")  # fmt: skip
    return (f"{at}：人数「{quoted}」不是数字，按 {read} 人导入，请人工核定 / row {number}: "
            f"people {quoted!r} is not a number, taken in as {read}: check it")  # fmt: skip


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
    if (missing := _missing_columns(columns, header, sheet)) is not None:
        warnings.append(missing)
    ours = _exported_requests(session, incident, rows[1:], columns)
    known_rows = 0
    applied = _Applied()
    for at, row, problem in rows[1:]:  # blank rows (between blocks of rows) left out
        cells = (
            {}
            if row is None
            else {f: read_cell(row[i]) if i < len(row) else "" for f, i in columns.items()}
        )
        if (request := ours.get(cells.get("request_id", "").strip())) is not None:
            known_rows += 1  # a row of this incident's own export: its request is known
            if edited := _edited_columns(request, cells, actor):
                warnings.append(_edited_warning(at.in_file(sheet), at.number, request, edited))
            applied.add(*_mark_exported(session, incident, request, cells, sheet, actor))
            continue
        try:
            if row is None:  # malformed CSV, neither UTF-8 nor GBK: quarantined as it is
                raise ValueError(problem)
            if (column := find_nul(dict(zip(header, row, strict=False)))) is not None:
                raise ValueError(nul_reason(column))  # PostgreSQL cannot store it
            read = _row(cells, at.number, at.in_file(sheet))
        except ValueError as exc:
            # The key is the row's cells (as before the raw line was kept: a sheet imported
            # again finds its rows set aside); the text is the row as it is in the file,
            # to fix and import again (a NUL written as \u0000). The reason, author and
            # link are cut to their columns (a long file name, a long cell).
            content = at.raw if row is None else ",".join(row)
            key = "csv-row-" + hashlib.sha1(shown(content).encode()).hexdigest()[:20]
            link = shown(cells.get("url") or "")
            reason = f"{_where(at.in_file(sheet))} 第 {at.number} 行：{exc}"
            bad[key] = SetAside(incident_id=incident.id, kind="quarantined", channel="csv",
                                platform="csv", post_id=key, text=shown(at.raw),
                                reason=clipped(reason, SET_ASIDE_REASON_MAX),
                                author=clipped(sheet, AUTHOR_MAX),
                                url=link if link and len(link) <= URL_MAX else None,
                                posted_at=_row_time(cells))  # fmt: skip
            continue
        warnings.extend(read.warnings)
        posts.append(read.post)
        overrides[read.post.post_id] = read.known
        marks[read.post.post_id] = (read.verified, read.rescued)
    outcome = intake.take_in(session, incident=incident, posts=posts, actor=actor, channel="csv",
                             assume_help=True, overrides=overrides)  # fmt: skip
    report = outcome.report
    report.read += known_rows
    report.known += known_rows
    stored = set(session.scalars(select(SetAside.post_id).where(
        SetAside.incident_id == incident.id, SetAside.post_id.in_(list(bad)))))  # fmt: skip
    for key, aside in bad.items():
        if key not in stored:
            session.add(aside)
    report.read += len(bad)
    report.quarantined = len(bad)
    report.refused = [aside.reason for aside in bad.values()]
    report.warnings.extend(warnings)
    _apply_marks(session, incident, marks, sheet, actor, applied)
    report.marked_verified, report.marked_rescued = applied.verified, applied.rescued
    session.flush()
    return report


def _exported_requests(
    session: Session, incident: Incident, rows: Sequence[tuple[Any, list[str] | None, str | None]],
    columns: dict[str, int],
) -> dict[str, HelpRequest]:  # fmt: skip
    """Return the requests of ``incident`` that the rows' 求助编号 name, by that cell: the
    rows of a sheet zhengwu exported (:data:`EXPORT_HEADER`). A 求助编号 of another
    incident, or none (a row volunteers added below), is an ordinary row."""
    at = columns.get("request_id")
    if at is None:
        return {}
    cells = {read_cell(r[at]).strip() for _, r, _ in rows if r is not None and at < len(r)}
    ids = sorted({int(c) for c in cells if c.isdigit() and len(c) <= 9})
    found: dict[str, HelpRequest] = {}
    for start in range(0, len(ids), EXPORT_BATCH):
        query = select(HelpRequest).where(HelpRequest.incident_id == incident.id,
                                          HelpRequest.id.in_(ids[start : start + EXPORT_BATCH]))  # fmt: skip
        query = query.options(*rescue_service.REQUEST_LOADS)  # viewed below (_edited_columns)
        found.update((str(r.id), r) for r in session.scalars(query))
    return found


# The cells of an exported row that say what its request is (not the marks volunteers
# fill in): (field, the export's column, its English name).
_FACT_CELLS = (("name", "姓名", "name"), ("address", "地址", "address"),
               ("people", "人数", "people"), ("situation", "情况", "situation"),
               ("urgency", "紧急程度", "urgency"), ("phone", "联系方式", "phone"))  # fmt: skip


def _edited_columns(
    request: HelpRequest, cells: dict[str, str], actor: Principal
) -> list[tuple[str, str]]:
    """Return the fact columns (Chinese, English) of an exported row whose cell is neither
    what the export writes for ``request`` now in full nor what it writes masked: what
    volunteers changed on the row (a second phone, a larger count), which the import
    does not take in and must say so."""
    written = [_export_row(0, request, access.view(who, request)) for who in (actor, PUBLIC)]
    edited = []
    for field, column, english in _FACT_CELLS:
        if field not in cells:
            continue  # the sheet has no such column
        at = EXPORT_HEADER.index(column)
        cell = " ".join(cells[field].split())
        if all(cell != " ".join(read_cell(str(row[at])).split()) for row in written):
            edited.append((column, english))
    return edited


def _edited_warning(
    where: str, number: int, request: HelpRequest, edited: list[tuple[str, str]]
) -> str:
    """The warning for an exported row whose facts were changed (:func:`_edited_columns`)."""
    zh = "、".join(c for c, _ in edited)
    en = ", ".join(e for _, e in edited)
    return (
        f"{_where(where)} 第 {number} 行（求助编号 {request.id}）：{zh}与系统中该求助的不同，"
        f"未导入（导出表的行只读取是否核实、是否获救）；如是新情况，请在求助页更正 / "
        f"row {number} (request {request.id}): {en} differ from the request's and were not "
        f"imported (a row of an export is read for its 是否核实 / 是否获救 marks only); if it "
        f"is news, correct the request on its page"
    )


@dataclass
class _Applied:
    """How many requests a sheet's 是 marks changed (:class:`IntakeReport`'s ``marked_*``)."""

    verified: int = 0
    rescued: int = 0

    def add(self, verified: bool, rescued: bool) -> None:
        """Count one request's marks that took effect."""
        self.verified += verified
        self.rescued += rescued


def _mark_exported(
    session: Session, incident: Incident, request: HelpRequest, cells: dict[str, str],
    sheet: str, actor: Principal,
) -> tuple[bool, bool]:  # fmt: skip
    """Apply what volunteers marked on a row of an export since it was written: a 是 in
    是否核实 of a request still unverified, a 是 in 是否获救 of one the export would not
    call rescued (a 部分 or 否 it wrote stays as it was). An unchanged row changes nothing.
    Return which marks took effect (verified, rescued)."""
    verified = _flag(cells.get("verified", "")) is True
    rescued = _flag(cells.get("rescued", "")) is True
    if not (verified or rescued):
        return False, False
    request = rescue_service.get_request(session, request_id=request.id)
    if rescued:
        seen = access.view(actor, request)
        rescued = _export_row(0, request, seen)[EXPORT_HEADER.index("是否获救")] != "是"
    return _mark(session, incident, request, verified, rescued, sheet, actor)


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
    applied: _Applied,
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
        applied.add(*_mark(session, incident, request, verified, rescued, sheet, actor))


def _mark(
    session: Session, incident: Incident, request: HelpRequest, verified: bool, rescued: bool,
    sheet: str, actor: Principal,
) -> tuple[bool, bool]:  # fmt: skip
    """Record a sheet's 是否核实 = 是 (a phone verification by the volunteers) and 是否获救
    = 是 (reported rescued) on ``request``, unless it already says so; return which were
    recorded (verified, rescued)."""
    done_verified = done_rescued = False
    if verified and request.verification == "unverified":
        done_verified = True
        # The volunteers verified it by phone; who exactly, the sheet does not say.
        record = Verification(request_id=request.id, method="phone", result="confirmed",
                              note=f"志愿者表格「{sheet}」标记为已核实",
                              verifier_user_id=actor.user_id,
                              verifier_name=clipped(f"志愿者表格 {sheet}", VERIFIER_MAX))  # fmt: skip
        session.add(record)
        now = clock.now(session, incident.id)
        request.verification = "confirmed"
        request.verified_at = request.first_verified_at = record.at = now
        request.reverify_due_at = now + timedelta(hours=incident.reverify_hours)
        if request.state == "new":
            transition(session, request=request, to="verified", actor=actor,
                       reason=f"志愿者表格「{sheet}」标记为已核实")  # fmt: skip
    if rescued and request.reported_rescued_at is None:
        request.reported_rescued_at = clock.now(session, incident.id)
        done_rescued = True
    return done_verified, done_rescued


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
    now = now or clock.now(session, incident.id)
    query = listing.ordered_ids(session, incident=incident, filters=listing.Filters(states=()),
                                now=now)  # fmt: skip
    ids = session.execute(query.execution_options(yield_per=batch)).scalars()
    number = 0
    for chunk in ids.partitions(batch):
        for request in listing.load(session, list(chunk)):
            number += 1
            yield _export_row(number, request, access.view(principal, request, now=now))


def _export_row(number: int, request: HelpRequest, seen: HelpRequestView) -> list[object]:
    rescued = {"complete": "是", "partial": "部分", "none": "否"}[seen.fulfilment]
    if request.outcome in HELPED_OUTCOMES:  # closed as done, unless people still wait
        rescued = "部分" if is_partial(request) else "是"
    first_url = next((s.url for s in seen.sources if s.url), "")
    return safe_row((
        number, request.id, _local(request.reported_at) if request.reported_at_known else "",
        seen.name or "", seen.address or "",
        seen.area or "", seen.people_total or "", seen.people_helped,
        with_additions(seen.text, seen.additions), URGENCY_LABELS.get(seen.urgency, seen.urgency), " ".join(seen.phones),
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
