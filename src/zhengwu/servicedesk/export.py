"""Export of requests as CSV, Excel (xlsx) or JSON (``zhengwu desk export``, the desk API).

The columns are the hotline import's (:mod:`zhengwu.servicedesk.csvimport`: 工单编号,
受理时间, 诉求内容, 问题分类, 区划代码, 事发地址, 联系人, 联系电话, 邮箱, 答复意见, 答复时间,
办理状态, 办结时间, 满意度, 回访时间, 是否公开), so an export imports again
(``zhengwu desk import-csv``); 历次满意度, 首次响应时间, 重启次数, 办理期限, 来源渠道,
承办单位, 签收时间, 协办单位, 督办次数, 督办时间, 所属矩阵, 退回单位, 退回原因 and 退回时间 (the
body that returned a request 已退回, why and when, from its latest 退单) carry what a new desk needs to keep each
request's handling and count the same rates (:mod:`zhengwu.servicedesk.carried`); a few
more columns for people (区划名称, 是否超期) have names the import ignores.

- 工单编号 is the hotline's own ticket number for an imported request (its ``12345:`` or
  ``csv:`` prefix taken off), else the request's public id: re-importing an export of
  imported tickets into the same desk finds them ("existing"), never doubles them.
- 办理状态 is a word the import reads (:data:`STATUS_WORDS`); a duplicate or invalid
  request (重复件 / 无效件) has no hotline status and is quarantined by the import.
- 答复时间 is the first response's time (the import needs one with a reply).
- Rows stream from the database (``yield_per``: a server-side cursor on PostgreSQL), so
  memory stays flat however many rows; Excel is written in openpyxl's write-only mode,
  in worksheets of at most 1,048,576 rows (诉求, 诉求 (2) …), Excel's limit.
- Access: the reader's readable requests (:mod:`zhengwu.servicedesk.access`), in full, as
  the request page shows them to their handlers; any other role gets the public board's
  requests with the personal data masked (name 张**, phone 138******21, masked text and
  reply and 退回原因, no e-mail, the address cut to its street as Open311 shows it) and without the
  citizen's ratings (满意度, 回访时间, 历次满意度 blank).
- CSV and Excel cells that start like a formula (= + - @) get a ``'`` before them
  (:func:`zhengwu.sheetcells.safe_text`); the import takes it off again
  (:func:`zhengwu.sheetcells.read_cell`).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import IO, Any, Literal

import orjson
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from zhengwu import regions
from zhengwu.accounts import phones as published_phones
from zhengwu.accounts.models import Matrix, Organization
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.privacy import coarse_address
from zhengwu.servicedesk import access, carried, deadlines, masking, service
from zhengwu.servicedesk.filters import RequestFilters, apply
from zhengwu.servicedesk.models import RequestHelper, RequestRating, ServiceRequest
from zhengwu.servicedesk.workflow import OPEN_STATES, STATE_LABELS
from zhengwu.sheetcells import safe_text, sheet_cell

Format = Literal["csv", "xlsx", "json"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json")
MEDIA_TYPES: dict[Format, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
BATCH = 1000  # rows fetched per round trip (yield_per)
CHINA = timezone(timedelta(hours=8))
COLUMNS = (
    "工单编号", "诉求编号", "受理时间", "诉求内容", "问题分类", "区划代码", "区划名称", "事发地址",
    "联系人", "联系电话", "邮箱", "答复意见", "答复时间", "办理状态", "办结时间", "满意度", "回访时间",
    "历次满意度", "首次响应时间", "重启次数", "是否公开", "来源渠道", "承办单位", "办理期限", "是否超期",
    "签收时间", "协办单位", "督办次数", "督办时间", "所属矩阵", "退回单位", "退回原因",
    "退回时间",
)  # fmt: skip
# 办理状态 as the hotline import reads it (csvimport.OPEN_STATUSES / CLOSED_STATUSES).
STATUS_WORDS = {
    "received": "待受理", "accepted": "已受理", "assigned": "已转办", "in_progress": "办理中",
    "replied": "已答复", "returned": "已退回", "reopened": "重办", "resolved": "已办结",
    "followed_up": "已回访",
}  # fmt: skip
# The sources whose source_ref is ``<source>:<the hotline's ticket number>``.
TICKET_SOURCES = carried.TICKET_CHANNELS

_SR = ServiceRequest
_ORG = aliased(Organization)
_MATRIX = aliased(Matrix)
_FIELDS = (
    _SR.id, _SR.public_id, _SR.source, _SR.source_ref, _SR.received_at, _SR.text,
    _SR.text_masked, _SR.category_code, _SR.adcode, _SR.address, _SR.citizen_name,
    _SR.citizen_phone, _SR.citizen_email, _SR.reply_text, _SR.first_response_at, _SR.state,
    _SR.resolved_at, _SR.satisfaction, _SR.followed_up_at, _SR.is_public, _SR.resolve_due,
    _SR.reopen_count, _SR.accepted_at, _SR.supervision_count, _SR.supervised_at,
    _ORG.name.label("organization"), _MATRIX.name.label("matrix"),
)  # fmt: skip


def export_query(
    principal: Principal, filters: RequestFilters
) -> tuple[Select[*tuple[Any, ...]], bool]:
    """Return the SELECT of the rows ``principal`` may export, and whether they are unmasked."""
    narrowed = apply(service.visible_query(principal), filters)
    query: Select[*tuple[Any, ...]] = (
        narrowed.with_only_columns(*_FIELDS)
        .outerjoin(_ORG, _ORG.id == _SR.organization_id)
        .outerjoin(_MATRIX, _MATRIX.id == _SR.matrix_id)
        .order_by(_SR.received_at.desc(), _SR.id.desc())
    )
    return query, access.reads_requests(principal)


def ticket_number(source_ref: str, public_id: str) -> str:
    """Return the 工单编号 of a request: the hotline's own number, else the public id.

    The number is the source ref's (``12345:<number>``, ``csv:<number>``), whatever the
    request's channel: a hotline ticket that came by 微博 (its export's 来源) is still that
    hotline's ticket, and its number finds it again."""
    for source in TICKET_SOURCES:
        if source_ref.startswith(prefix := f"{source}:"):
            return source_ref[len(prefix) :]
    return public_id


def _time(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _region_name(adcode: str | None) -> str:
    division = regions.get(adcode) if adcode else None
    return division.name if division else ""


def _earlier_ratings(session: Session, rows: Sequence[Any]) -> dict[int, str]:
    """Return the 历次满意度 cell of the reopened requests among ``rows``: their ratings
    before the latest handling's (the latest is 满意度), oldest first."""
    ids = [r.id for r in rows if r.reopen_count]
    if not ids:
        return {}
    found: dict[int, list[tuple[int, datetime]]] = {}
    query = (
        select(RequestRating.request_id, RequestRating.satisfaction, RequestRating.rated_at)
        .where(RequestRating.request_id.in_(ids))
        .order_by(RequestRating.request_id, RequestRating.rated_at, RequestRating.id)
    )
    for request_id, satisfaction, rated_at in session.execute(query):
        found.setdefault(request_id, []).append((satisfaction, rated_at))
    latest = {r.id for r in rows if r.satisfaction is not None}
    return {
        i: carried.ratings_text(ratings[:-1] if i in latest else ratings)
        for i, ratings in found.items()
    }


def _helpers(session: Session, rows: Sequence[Any]) -> dict[int, str]:
    """Return the 协办单位 cell of ``rows``: their co-handling bodies' names, by id."""
    ids = [r.id for r in rows]
    found: dict[int, list[str]] = {}
    query = (
        select(RequestHelper.request_id, Organization.name)
        .join(Organization, Organization.id == RequestHelper.organization_id)
        .where(RequestHelper.request_id.in_(ids))
        .order_by(RequestHelper.request_id, RequestHelper.added_at, Organization.id)
    )
    for request_id, name in session.execute(query):
        found.setdefault(request_id, []).append(name)
    return {i: "；".join(names) for i, names in found.items()}


def _returns(session: Session, rows: Sequence[Any]) -> dict[int, tuple[str, str, str]]:
    """Return the 退回单位, 退回原因 and 退回时间 cells of the requests 已退回 among ``rows``: the
    body its latest 退单 names (``from_organization_id``, or an imported return's
    ``returned_by``), that 退单's reason as written (an imported return's ``return_reason``:
    its entry's reason may be the import's own note; or a later re-import's note giving it,
    :func:`carried.record_return_reasons`) and its time — left empty for an imported return
    whose row had no 退回时间 (``dated_by``): the import's estimate is not passed on as a fact."""
    ids = [r.id for r in rows if r.state == "returned"]
    if not ids:
        return {}
    entries = (
        select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.data, AuditEntry.reason,
               AuditEntry.at)
        .where(AuditEntry.entity_type == "request", AuditEntry.action.in_(("return", "note")),
               AuditEntry.entity_id.in_(ids))
        .order_by(AuditEntry.entity_id, AuditEntry.at, AuditEntry.id)
    )  # fmt: skip
    latest: dict[int, tuple[dict[str, Any], str | None, datetime]] = {}
    for request_id, action, data, reason, at in session.execute(entries):
        data = data or {}
        if action == "return":
            latest[request_id] = (data, reason, at)
        elif "return_reason" in data and request_id in latest:  # a reason imported later
            kept, kept_reason, kept_at = latest[request_id]
            latest[request_id] = ({**kept, "return_reason": data["return_reason"]},
                                  kept_reason, kept_at)  # fmt: skip
    org_ids = {
        d["from_organization_id"] for d, _, _ in latest.values() if d.get("from_organization_id")
    }
    query = select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
    names: dict[object, str] = dict(session.execute(query).all()) if org_ids else {}
    return {
        request_id: (
            names.get(data.get("from_organization_id"), "") or data.get("returned_by") or "",
            (data.get("return_reason") if "returned_by" in data else reason) or "",
            _time(at) if data.get("dated_by", "returned_at") == "returned_at" else "",
        )
        for request_id, (data, reason, at) in latest.items()
    }


def iter_records(
    session: Session, *, principal: Principal, filters: RequestFilters, batch: int = BATCH
) -> Iterator[dict[str, str]]:
    """Yield the export's rows (column → cell text), newest first, ``batch`` rows a fetch."""
    query, unmasked = export_query(principal, filters)
    keep = frozenset() if unmasked else published_phones.directory(session)
    now = deadlines.desk_now(session)
    result = session.execute(query.execution_options(yield_per=batch))
    for part in result.partitions():
        earlier, helpers = _earlier_ratings(session, part), _helpers(session, part)
        returned = _returns(session, part)
        # Staff's replies and reasons are stored as written: a masked export keeps only the
        # government accounts' handles in them.
        written = [*(r.reply_text for r in part), *(why for _, why, _ in returned.values())]
        officials = frozenset() if unmasked else masking.officials(session, written)
        yield from (
            _record(row, earlier, helpers, unmasked, keep, now, returned, officials) for row in part
        )


def _record(
    row: Any, earlier: dict[int, str], helpers: dict[int, str], unmasked: bool,
    keep: frozenset[str], now: datetime, returned: dict[int, tuple[str, str, str]],
    officials: frozenset[str],
) -> dict[str, str]:  # fmt: skip
    """Return one request's export row (masked unless ``unmasked``; ``officials``: the
    government accounts' handles in the reply, :func:`masking.officials`)."""
    text, reply = row.text, row.reply_text
    name, phone, email = row.citizen_name or "", row.citizen_phone or "", row.citizen_email
    address = row.address or ""
    returned_by, why, returned_at = returned.get(row.id, ("", "", ""))
    if not unmasked:
        address = coarse_address(address)  # to the street, as Open311 shows it
        text = masking.mask(row.text_masked, keep=keep)
        reply, why = (
            masking.mask(written, name=row.citizen_name, phone=row.citizen_phone, keep=keep,
                         officials=officials) if written else written
            for written in (reply, why)
        )  # fmt: skip
        name = masking.mask_name(name) if name else ""
        phone = masking.mask_phone(phone) if phone else ""
        email = None
    # A rating is the citizen's own feedback (回访): only its handlers read it, as on the
    # request's page; a masked export shows the state (已回访) as the board does.
    rating = row.satisfaction if unmasked else None
    replied = row.first_response_at or row.resolved_at or row.received_at if reply else None
    overdue = (row.state in OPEN_STATES and row.resolve_due is not None
               and row.resolve_due < now)  # fmt: skip
    return {
        "工单编号": ticket_number(row.source_ref, row.public_id),
        "诉求编号": row.public_id,
        "受理时间": _time(row.received_at),
        "诉求内容": text,
        "问题分类": row.category_code or "",
        "区划代码": row.adcode or "",
        "区划名称": _region_name(row.adcode),
        "事发地址": address,
        "联系人": name,
        "联系电话": phone,
        "邮箱": email or "",
        "答复意见": reply or "",
        "答复时间": _time(replied),
        "办理状态": STATUS_WORDS.get(row.state, STATE_LABELS.get(row.state, row.state)),
        "办结时间": _time(row.resolved_at),
        "满意度": str(rating) if rating is not None else "",
        "回访时间": _time(row.followed_up_at) if rating is not None else "",
        "历次满意度": earlier.get(row.id, "") if unmasked else "",
        "首次响应时间": _time(row.first_response_at),
        "重启次数": str(row.reopen_count) if row.reopen_count else "",
        "是否公开": "是" if row.is_public else "否",
        "来源渠道": row.source,
        "承办单位": row.organization or "",
        "办理期限": _time(row.resolve_due),
        "是否超期": "是" if overdue else "否",
        "签收时间": _time(row.accepted_at),
        "协办单位": helpers.get(row.id, ""),
        "督办次数": str(row.supervision_count) if row.supervision_count else "",
        "督办时间": _time(row.supervised_at) if row.supervision_count else "",
        "所属矩阵": row.matrix or "",
        "退回单位": returned_by,
        "退回原因": why,
        "退回时间": returned_at,
    }


def _sheet_rows(
    records: Iterable[dict[str, str]], columns: Sequence[str] = COLUMNS
) -> Iterator[list[str]]:
    """Yield the header, then each record as neutralised cells (no formula runs)."""
    yield list(columns)
    for record in records:
        yield [safe_text(record[c]) for c in columns]


def csv_chunks(
    records: Iterable[dict[str, str]], *, rows_per_chunk: int = 500,
    columns: Sequence[str] = COLUMNS,
) -> Iterator[bytes]:  # fmt: skip
    """Yield the CSV (UTF-8 with a BOM, so Excel reads Chinese) in chunks of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for n, cells in enumerate(_sheet_rows(records, columns), start=1):
        writer.writerow(cells)
        if n % rows_per_chunk == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def json_chunks(records: Iterable[dict[str, str]], *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """Yield a JSON array of objects (column → text) in chunks; no cell is altered."""
    parts: list[bytes] = [b"["]
    for n, record in enumerate(records):
        parts.append((b",\n" if n else b"\n") + orjson.dumps(record))
        if len(parts) >= rows_per_chunk:
            yield b"".join(parts)
            parts = []
    parts.append(b"\n]\n")
    yield b"".join(parts)


EXCEL_MAX_ROWS = 1_048_576  # rows of one worksheet, its header included


def write_xlsx(
    records: Iterable[dict[str, str]], out: IO[bytes], *, sheet_rows: int = EXCEL_MAX_ROWS,
    columns: Sequence[str] = COLUMNS, title: str = "诉求",
) -> None:  # fmt: skip
    """Write the rows to ``out`` as an Excel workbook (write-only: rows are not kept).

    A worksheet (named ``title``) holds at most ``sheet_rows`` rows (Excel's limit,
    1,048,576): a national export of more requests goes on in 诉求 (2), 诉求 (3) …, each
    with the header, rather than a sheet Excel cannot open. Control characters Excel does
    not allow in a cell (C0 but tab, newline, carriage return) are dropped from the cell's
    text. ``columns`` are the record's keys written, in order (the request export's by
    default; the routing table's: :mod:`zhengwu.servicedesk.routing.sheet`).
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    # Control characters a worksheet cannot hold (a text sent with \x01 or \x0b in it)
    # are left out of the cell: openpyxl would stop the workbook, and the download with it.
    rows = ([str(sheet_cell(c)) for c in cells] for cells in _sheet_rows(records, columns))
    header = next(rows)
    sheet = book.create_sheet(title)
    sheet.append(header)
    used, sheets = 1, 1
    for cells in rows:
        if used == sheet_rows:
            sheets += 1
            sheet = book.create_sheet(f"{title} ({sheets})")
            sheet.append(header)
            used = 1
        sheet.append(cells)
        used += 1
    book.save(out)


def xlsx_chunks(
    records: Iterable[dict[str, str]], *, chunk: int = 1 << 16, columns: Sequence[str] = COLUMNS,
    title: str = "诉求",
) -> Iterator[bytes]:  # fmt: skip
    """Yield an Excel workbook built in a temporary file (a zip is only whole at its end)."""
    with tempfile.TemporaryFile() as spool:
        write_xlsx(records, spool, columns=columns, title=title)
        spool.seek(0)
        while data := spool.read(chunk):
            yield data


def chunks(
    fmt: Format, records: Iterable[dict[str, str]], *, columns: Sequence[str] = COLUMNS,
    title: str = "诉求",
) -> Iterator[bytes]:  # fmt: skip
    """Yield the export in format ``fmt`` (``columns`` and the worksheet's ``title``: see
    :func:`write_xlsx`)."""
    if fmt == "csv":
        return csv_chunks(records, columns=columns)
    if fmt == "json":
        return json_chunks(records)
    return xlsx_chunks(records, columns=columns, title=title)


def record_export(
    session: Session, *, principal: Principal, filters: RequestFilters, fmt: Format
) -> None:
    """Write the audit entry of an export: who took which requests out, masked or not."""
    from dataclasses import asdict

    from zhengwu.audit import service as audit_service

    asked = {k: v if not isinstance(v, datetime) else v.isoformat()
             for k, v in asdict(filters).items() if v not in (None, [], ())}  # fmt: skip
    audit_service.record(
        session, entity_type="request_export", entity_id=principal.user_id or 0, action="export",
        actor=principal, data={"format": fmt, "filters": asked,
                               "unmasked": access.reads_requests(principal)},
    )  # fmt: skip
