"""导入热线工单: upload a 12345 hotline export from the desk console.

The form sits on the desk queue (``desk_queue.html``) for those who take requests in for
the whole desk (:func:`zhengwu.servicedesk.access.may_import`: the matrix office and the
admin); the import is :mod:`zhengwu.servicedesk.upload`, as ``POST /api/desk/import`` and
``zhengwu desk import-csv`` do, in the request's transaction.

检查 (a dry run: the import in a savepoint, rolled back) comes first if the user wishes; its
copy is kept for the user (:mod:`zhengwu.servicedesk.kept_uploads`), so that 导入 needs no
file chosen again — the form carries only the copy's token.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import ZhengwuError
from zhengwu.servicedesk import access, kept_uploads, upload
from zhengwu.servicedesk.models import SOURCE_LABELS
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Writer, render, require
from zhengwu.web.gate import before_body

router = APIRouter(prefix="/console/desk", route_class=ConsoleRoute, include_in_schema=False)


def _may_import(session: Session, principal: Principal, request: Request) -> None:
    """Refuse an export upload from anyone who may not import (before the file is read)."""
    require(principal, "desk")
    access.check_may_import(principal)


@router.post("/import", response_class=HTMLResponse)
@before_body(_may_import)
async def import_export(
    request: Request, db: ConsoleDB, principal: Writer,
    file: Annotated[UploadFile | None, File()] = None,
    source: Annotated[str, Form()] = "12345", public: Annotated[str, Form()] = "",
    dry_run: Annotated[str, Form()] = "", checked: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Check (dry run) or import an uploaded hotline export; show its counts, warnings and
    quarantined rows.

    A check keeps its copy for the user (``checked``: its token in the page's form), so
    that 导入 — or another check — needs no file chosen again; a file chosen anew is read
    instead.
    """
    filename = (file.filename or "") if file is not None else ""
    stream = file.file if file is not None else io.BytesIO()  # none: refused as unnamed
    checking = dry_run == "1"

    def work() -> Response:
        require(principal, "desk")
        access.check_may_import(principal)
        shown = upload.safe_name(filename) if filename else ""
        try:
            upload.check_source(source)
            outcome, token = kept_uploads.checked_or_chosen(
                lambda path: upload.import_upload(db, path, actor=principal, source=source,
                                                  public=public == "1", dry_run=checking,
                                                  via="console"),
                kind=KEPT_KIND, owner=principal, filename=filename, checked=checked,
                saved=lambda: upload.saved_upload(stream, filename), dry_run=checking,
            )  # fmt: skip
        except ZhengwuError as exc:
            db.rollback()  # nothing of a refused file stays
            return _page(request, filename=shown, source=source, public=public, error=exc,
                         status_code=exc.status_code)  # fmt: skip
        db.flush()
        return _page(request, filename=outcome.filename, source=source, public=public,
                     outcome=outcome, checked=token)  # fmt: skip

    return await run_in_threadpool(work)


KEPT_KIND = "hotline-export"


def _page(
    request: Request, *, filename: str, source: str, public: str,
    outcome: upload.UploadOutcome | None = None, error: ZhengwuError | None = None,
    checked: str | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    return render(
        request, "desk_import.html", area="desk", status_code=status_code, filename=filename,
        source=source, public=public == "1", outcome=outcome, error=error,
        source_labels=SOURCE_LABELS, import_sources=upload.import_sources(),
        max_mb=upload.MAX_UPLOAD_BYTES // (1024 * 1024), shown_cap=upload.QUARANTINE_SHOWN,
        checked=checked, kept_minutes=kept_uploads.kept_minutes(),
    )  # fmt: skip
