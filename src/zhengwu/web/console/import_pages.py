"""设置 › 导入记录: the import runs, newest first, as ``zhengwu imports`` lists them; and
隔离记录, the quarantined records, as ``zhengwu quarantine`` lists them.

Each run of ``zhengwu import``, ``zhengwu desk import-csv`` and the sheet imports (a hotline
export, a category tree, a routing table, a matrix's member list): its format, files, when
it ran, its counts, and the files it refused whole (a GBK CSV, a member of an archive not
in the format) with why, to fix and import again — an import that refused every file too
(0 read). A run with anything in the quarantine links to it (``zhengwu quarantine --run
N`` shown beside the link) — its records left out, and the values left out of records it
kept (a bad 公开电话 of an organisation imported), which its count of quarantined records
leaves out and the page names beside it: 隔离记录 lists the records newest first, 50 a page, of one run
or one format or all, each with its source (``file:line``), its reason (in Chinese and
English, as the importer wrote it) and the start of its raw text, masked
(:func:`zhengwu.privacy.excerpt.masked_excerpt`) as the service desk's upload page keeps
the raw row out of sight: it may hold callers' names, phones and ID numbers. A run's
records download as the JSON Lines of ``zhengwu quarantine --run N --json`` — every
record in file order, then the files refused whole — their raw text masked too (the CLI,
on the server, gives it as read); each download is audited. It leaves as it is masked, 100
records a piece (:data:`DOWNLOAD_PIECE`): masking is most of its time (about a third of a
millisecond a record), and a piece a record cost as much again in hops between threads.
Only the admin opens these pages (the runs name files on the server from every area), from
a tile of the settings page the admin alone sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import func, select

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError
from zhengwu.ingest import quarantine
from zhengwu.ingest.models import ImportRun
from zhengwu.privacy.excerpt import masked, masked_excerpt
from zhengwu.web.console.base import (
    ConsoleDB,
    ConsoleRoute,
    Pager,
    Viewer,
    int_or_none,
    render,
    require,
)

router = APIRouter(
    prefix="/console/settings/imports", route_class=ConsoleRoute, include_in_schema=False
)
PAGE = 50  # runs a page of 导入记录 lists
QUARANTINE_PAGE = 50  # records a page of 隔离记录 lists
RAW_SHOWN = 200  # characters of a record's raw text the list shows (masked)
# Records a piece of a download holds: the first piece leaves after ~60 ms of masking.
DOWNLOAD_PIECE = 100


def require_admin(principal: Principal) -> None:
    """Refuse everyone but the admin (403; a visitor is sent to the login first)."""
    require(principal, "settings")
    if principal.role != "admin":
        raise ForbiddenError(
            "只有平台管理员可以查看导入记录", "only the platform admin may see the import runs"
        )


@router.get("", response_class=HTMLResponse)
def import_runs(
    request: Request, db: ConsoleDB, principal: Viewer, offset: Annotated[int, Query(ge=0)] = 0
) -> HTMLResponse:
    """List the import runs newest first, with their counts and refused files; paged."""
    require_admin(principal)
    total = db.scalar(select(func.count()).select_from(ImportRun)) or 0
    pager = Pager(total=total, offset=offset, size=PAGE, anchor="import-runs")
    newest = select(ImportRun).order_by(ImportRun.id.desc())
    runs = list(db.scalars(newest.offset(pager.offset).limit(PAGE)))
    # A run may quarantine values of records it kept (a bad 公开电话) and count 0 records:
    # what is in the quarantine, not ``quarantined``, says whether to link there.
    entries = quarantine.count_by_run(db, [r.id for r in runs])
    return render(request, "imports.html", area="settings", runs=runs, pager=pager, entries=entries)


@router.get("/quarantine", response_class=HTMLResponse)
def quarantined_records(
    request: Request, db: ConsoleDB, principal: Viewer, run: str | None = None,
    format: str | None = None, offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:  # fmt: skip
    """List the quarantined records newest first, of one run and/or format; paged."""
    require_admin(principal)
    run_id = int_or_none(run)
    the_run = None if run_id is None else quarantine.get_run(db, run_id)
    values = 0  # the run's entries that are values of records it kept, not records
    if the_run is not None:
        kept = quarantine.count_by_run(db, [the_run.id]).get(the_run.id, 0)
        values = max(0, kept - the_run.quarantined)
    fmt = (format or "").strip() or None
    where = quarantine.filters(run_id, fmt)
    total = quarantine.count(db, where)
    params = {"run": run_id, "format": fmt}
    pager = Pager(
        total=total, offset=offset, size=QUARANTINE_PAGE, params=params, anchor="quarantine"
    )
    entries = quarantine.newest(db, where, offset=pager.offset, limit=QUARANTINE_PAGE)
    rows = [(e, masked_excerpt(e.raw, RAW_SHOWN) if e.raw else "") for e in entries]
    return render(
        request, "quarantine.html", area="settings", rows=rows, pager=pager, run=the_run,
        fmt=fmt, formats=quarantine.formats(db), raw_shown=RAW_SHOWN, values=values,
    )  # fmt: skip


@router.get("/quarantine.jsonl", response_class=StreamingResponse)
def quarantine_download(
    request: Request, db: ConsoleDB, principal: Viewer, run: int
) -> StreamingResponse:
    """Download run ``run``'s quarantine as ``zhengwu quarantine --run N --json`` prints it
    (all of it: the records in file order, then the files refused whole), each record's
    raw text masked; audited (``import_run`` / ``quarantine_download``)."""
    require_admin(principal)
    the_run = quarantine.get_run(db, run)
    audit_service.record(
        db, entity_type="import_run", entity_id=the_run.id, action="quarantine_download",
        actor=principal, data={"records": quarantine.count(db, quarantine.filters(run))},
    )  # fmt: skip
    factory, refused = request.app.state.session_factory, quarantine.refused_lines(the_run)

    def body() -> Iterator[bytes]:
        # The request's session is closed before the body is sent: the rows get their own.
        # A piece of DOWNLOAD_PIECE records at a time: each piece the server sends is a hop
        # between the worker thread and the event loop, 90,000 of them for a large run.
        with factory() as session:
            lines: list[bytes] = []
            for entry in quarantine.of_run(session, run):
                lines.append(orjson.dumps(quarantine.record_line(entry, raw=masked)) + b"\n")
                if len(lines) == DOWNLOAD_PIECE:
                    yield b"".join(lines)
                    lines = []
        lines.extend(orjson.dumps(line) + b"\n" for line in refused)
        if lines:
            yield b"".join(lines)

    name = f"quarantine-run-{the_run.id}.jsonl"
    return StreamingResponse(
        body(), media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
