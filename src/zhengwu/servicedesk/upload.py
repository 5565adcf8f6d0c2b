"""Import a hotline export uploaded through the console or the API (12345 导出表上传).

The same import as ``zhengwu desk import-csv`` (:func:`zhengwu.servicedesk.csvimport.import_csv`)
on a copy of the upload: the copy is written in chunks to a directory of its own under
``<data_dir>/tmp`` (never held in memory), under the upload's own file name, so that the
importer picks the reader by its suffix (.csv, .xlsx, .csv.gz, .csv.zst, .zip …, an old .xls is
refused) and the quarantine says which file a bad row came from; the directory is removed
afterwards. The import runs in the caller's transaction. The outcome carries the counts, the
warnings the CLI prints, and the quarantined rows of this run — location and reason only,
never the raw row (it holds the caller's name and phone number).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypedDict

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.db.engine import rolled_back_if
from zhengwu.errors import InvalidInputError, named_as
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.servicedesk import carried, deadlines, export, office_merges
from zhengwu.servicedesk.csvbatch import Via
from zhengwu.servicedesk.csvimport import CsvImportSummary, columns_left_notice, import_csv
from zhengwu.servicedesk.routing import service as routing_service

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a month of a big city's hotline is ~20 MB of CSV
CHUNK = 1024 * 1024
QUARANTINE_SHOWN = 200  # rows of the quarantine the page and the answer list (all: the CLI)
_UNSAFE = re.compile(r"[^\w.\-（）() ]+")


@dataclass(slots=True)
class UploadOutcome:
    """What one uploaded export did: the counts, the warnings, the quarantined rows."""

    filename: str
    summary: CsvImportSummary
    warnings: list[str] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (location, reason)
    dry_run: bool = False  # a check (检查): what the import would do, nothing kept

    def to_dict(self) -> dict[str, object]:
        """Return the outcome as the API answers it."""
        return {
            "filename": self.filename,
            "dry_run": self.dry_run,
            **self.summary.to_dict(),
            **self.summary.office_dict(),
            "warnings": self.warnings,
            "quarantine": [{"source": s, "reason": r} for s, r in self.quarantined],
            "quarantine_shown": len(self.quarantined),
        }


def check_source(source: str) -> None:
    """Refuse a source the requests cannot carry, before anything is read."""
    allowed = import_sources()
    if source not in allowed:
        raise InvalidInputError(
            f"来源无效：{source!r}（可选：{'、'.join(allowed)}）",
            f"invalid source {source!r} (one of: {', '.join(allowed)})",
        )


def import_sources() -> tuple[str, ...]:
    """Return the sources a hotline export may be imported as (12345, csv), for a form's
    choice: those whose ticket numbers an export writes back (:data:`export.TICKET_SOURCES`).

    A social or form channel (weibo, form, open311 …) is no hotline's: its requests come in
    by their own intake, and a file imported under its name would count as that channel.
    """
    return export.TICKET_SOURCES


CHOOSE_EXPORT = (
    "请选择要导入的热线导出文件（CSV 或 Excel）",
    "choose a hotline export (CSV or Excel)",
)


class UploadRules(TypedDict):
    """What one form's upload may be and what its refusals say (Chinese, English): the
    keywords of :func:`saved_upload` for the routing table, a matrix's member list and the
    volunteers' sheet (``saved_upload(stream, name, **rules)``)."""

    limit: int
    choose: tuple[str, str]  # none chosen: what to choose
    too_large: tuple[str, str]  # past ``limit``: what to do instead


def check_filename(filename: str, choose: tuple[str, str] = CHOOSE_EXPORT) -> None:
    """Refuse (422) an upload without a file (the form was sent with none chosen), saying
    what to choose (``choose``: Chinese, English)."""
    if not filename.strip():
        raise InvalidInputError(*choose)


def safe_name(filename: str) -> str:
    """Return the upload's file name without directories or odd characters, suffix kept."""
    name = _UNSAFE.sub("_", Path(filename.replace("\\", "/")).name).strip(" .")
    return name[-120:] if name else "upload.csv"


@contextmanager
def saved_upload(
    stream: BinaryIO, filename: str, *, limit: int | None = None,
    too_large: tuple[str, str] | None = None, choose: tuple[str, str] = CHOOSE_EXPORT,
) -> Iterator[Path]:  # fmt: skip
    """Copy an upload in chunks to a directory of its own under the data dir; remove it after.

    Refuses (422) an upload without a file name (``choose``: what to choose, Chinese and
    English) or larger than ``limit`` bytes (default :data:`MAX_UPLOAD_BYTES`), with
    ``too_large`` (Chinese, English) as what to do instead (default: a hotline export's
    advice). The console's other uploads (the routing table, a matrix's member list, the
    volunteers' sheet) are saved by it too, each with its own words.
    """
    limit = MAX_UPLOAD_BYTES if limit is None else limit
    check_filename(filename, choose)
    work = get_settings().data_dir / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="desk-upload-", dir=work))
    try:
        path = folder / safe_name(filename)
        size = 0
        with path.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    mb = limit // (1024 * 1024)
                    zh, en = too_large or (
                        "请压缩（.zip / .gz）后上传，或用命令 zhengwu desk import-csv 导入",
                        "upload it compressed (.zip / .gz) or import it with zhengwu desk import-csv",
                    )
                    raise InvalidInputError(
                        f"文件超过 {mb} MB：{zh}", f"the file is larger than {mb} MB: {en}"
                    )
                out.write(chunk)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def shown_as(path: Path) -> AbstractContextManager[None]:
    """Name a saved upload by its own file name in the errors raised inside: the copy's
    path (``<data_dir>/tmp/desk-upload-…/export.csv``) means nothing to who uploaded it."""
    return named_as(str(path), path.name)


def import_upload(
    session: Session, path: Path, *, actor: Principal, source: str = "12345", public: bool = False,
    dry_run: bool = False, via: Via,
) -> UploadOutcome:  # fmt: skip
    """Import a saved upload (:func:`saved_upload`) in ``session``'s transaction.

    Locations in the quarantine, the import run and error messages name the upload's file
    (``export.csv:12``), not the copy, which is gone once the request ends.

    ``dry_run`` (the console's 检查) runs the same import in a savepoint and rolls it back
    once its outcome is read: the counts, warnings and quarantined rows are the ones the
    import would have now, and nothing of it stays (no request, import run or quarantine
    row; its ``run_id`` is None).

    ``via``: the API's upload (``api``) or the console's (``console``): a reason advising
    another source names the ``source`` field or the 来源 drop-down.
    """
    check_source(source)
    with rolled_back_if(session, dry_run):
        outcome = _import(session, path, actor=actor, source=source, public=public, via=via)
    if dry_run:
        outcome.dry_run, outcome.summary.run_id = True, None
    return outcome


def _import(
    session: Session, path: Path, *, actor: Principal, source: str, public: bool, via: Via
) -> UploadOutcome:
    copy, shown = str(path), path.name
    with shown_as(path), deadlines.collect_provisional() as provisional:
        summary = import_csv(session, path, actor=actor, source=source, public=public, via=via)
    summary.sheets_left = [w.replace(copy, shown) for w in summary.sheets_left]
    summary.merged_outside = [(w.replace(copy, shown), p) for w, p in summary.merged_outside]
    outcome = UploadOutcome(shown, summary, intake_warnings(session, summary, provisional))
    if summary.run_id is None:
        return outcome
    run_id = summary.run_id
    q = QuarantineEntry
    if summary.quarantined:
        session.execute(
            update(q)
            .where(q.run_id == run_id, q.source.startswith(copy, autoescape=True))
            .values(source=literal(shown) + func.substr(q.source, len(copy) + 1))
        )
    session.execute(update(ImportRun).where(ImportRun.id == run_id).values(paths=shown))
    outcome.quarantined = quarantined_rows(session, run_id, limit=QUARANTINE_SHOWN)
    return outcome


def quarantined_rows(
    session: Session, run_id: int, *, limit: int | None = None
) -> list[tuple[str, str]]:
    """Return ``(where, why)`` of the rows an import run quarantined, in the file's order
    (the first ``limit``; None: all)."""
    q = QuarantineEntry
    rows = session.execute(
        select(q.source, q.reason).where(q.run_id == run_id).order_by(q.id).limit(limit)
    )
    return [(str(s), str(r)) for s, r in rows]


def intake_warnings(
    session: Session, summary: CsvImportSummary, provisional: Iterable[int]
) -> list[str]:
    """Return what an import says besides its counts (as ``zhengwu desk import-csv`` does).

    The sheets of a workbook that were not read; the columns no field reads; no routing rules while requests came in;
    deadlines in a year without the official holiday schedule; new requests already past
    their deadline when taken in (history); a matrix office's new requests kept in its own
    queue because routing would have placed them outside its scope
    (:class:`zhengwu.servicedesk.access.OfficeQueue`); its calls merged into requests
    outside its scope, which it reads read-only (:mod:`zhengwu.servicedesk.office_merges`);
    a desk's export naming a handling body or matrix this desk does not have, routed here
    instead, or a channel column's value (信件 …) no channel of the desk matches
    (:mod:`zhengwu.servicedesk.carried`).
    """
    warnings = list(summary.sheets_left)  # a workbook's sheets not read, and why
    if summary.columns_left:  # msg_id, label …: no header the desk reads
        warnings.append(columns_left_notice(summary.columns_left))
    if summary.created and not routing_service.has_rules(session):
        warnings.append(routing_service.NO_RULES_WARNING)
    notice = deadlines.provisional_notice(provisional)
    if notice:
        warnings.append(notice)
    if summary.overdue_at_intake:
        n = summary.overdue_at_intake
        warnings.append(
            f"{n} 件新诉求接收时已超过办结期限（历史工单）：不自动督办，在诉求办理页显示为超期，"
            f"请逐件决定 / {n} new request(s) were past their resolve deadline when taken in "
            "(history): not supervised automatically; they show as overdue on the desk queue"
        )
    if summary.kept_in_office_queue:
        n = summary.kept_in_office_queue
        warnings.append(
            f"{n} 件新诉求按路由规则不在本矩阵的范围内（没有区划或规则，或属其他矩阵的单位），"
            f"已留在本矩阵的队列、未派单：请派给本矩阵的承办单位 / {n} new request(s) would have "
            "been routed outside your matrix (no place or rule, or another matrix's body): "
            "they are kept in your matrix's queue, unassigned — dispatch them to a body of "
            "your matrix"
        )
    if summary.merged_outside_scope:
        joined = list(dict.fromkeys(p for _, p in summary.merged_outside))
        warnings.append(
            office_merges.notice(summary.merged_outside_scope, joined, summary.outside_events_left)
        )
    elif summary.outside_events_left:  # rows on file before, their request outside the scope
        warnings.append(office_merges.left_notice(summary.outside_events_left))
    if summary.not_carried.routed:  # a desk's export naming bodies or matrices this desk lacks
        warnings.append(
            carried.routed_instead_notice(summary.not_carried.routed, summary.not_carried.names)
        )
    if summary.not_carried.unknown_channels:  # a channel column's 信件 …: the import's source
        warnings.append(carried.unknown_channels_notice(summary.not_carried))
    return warnings
