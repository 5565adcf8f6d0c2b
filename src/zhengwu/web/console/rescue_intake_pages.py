"""救援调度 · 受理: what the coordinator adds to intake by hand.

- 人工登记 (``/console/rescue/{id}/manual``): a request taken by phone or radio, entered in
  a form and taken in through the same extraction, merge and triage as the posts
  (:func:`zhengwu.rescue.intake.enter_manual`, channel ``phone`` 电话/人工);
- 未受理 (``/console/rescue/{id}/set-aside``): the posts intake set aside (not help,
  outside the regions) and the spreadsheet rows it refused, each with its reason, the
  post's link, author and post time (:func:`zhengwu.rescue.access.set_aside_view`), and a
  form to take one as a request after all (:func:`zhengwu.rescue.intake.promote`);
- 导入志愿者表格 (``POST /console/rescue/{id}/sheet``, the form on the triage page): the
  volunteers' 《待救援人员信息》 sheet (CSV in UTF-8 or GBK, or .xlsx; 5 MB at most) taken
  in by :func:`zhengwu.rescue.spreadsheet.import_upload` in the request's transaction; the
  triage page comes back with the counts, the warnings and the refused rows. 检查 (a dry
  run) comes first if the dispatcher wishes; its copy is kept for them, so that 导入 needs
  no file chosen again (:mod:`zhengwu.servicedesk.kept_uploads`).

The first two are for dispatchers and verifiers (the texts are shown unmasked); the
sheet is for dispatchers (:data:`zhengwu.rescue.spreadsheet.SHEET_IMPORTERS`), as in the
JSON API.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError, ZhengwuError
from zhengwu.rescue import access, intake, spreadsheet
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import HelpSubmission
from zhengwu.servicedesk import kept_uploads, upload
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Pager, Viewer, Writer, render, require
from zhengwu.web.console.rescue_pages import queue_page, validated
from zhengwu.web.gate import before_body

router = APIRouter(prefix="/console/rescue", route_class=ConsoleRoute, include_in_schema=False)
SET_ASIDE_PAGE = 50
KINDS = {"ignored": "非求助或区域外", "quarantined": "表格无法使用的行"}
TextField = Annotated[str, Form()]


@router.get("/{incident_id:int}/manual", response_class=HTMLResponse)
def manual_form(
    request: Request, db: ConsoleDB, principal: Viewer, incident_id: int
) -> HTMLResponse:
    """The form for a request taken by phone or radio (dispatcher, verifier)."""
    require(principal, "rescue")
    principal.require(*intake.MANUAL_ROLES)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    return render(request, "rescue_manual.html", area="rescue", incident=incident, values={},
                  errors={})  # fmt: skip


@router.post("/{incident_id:int}/manual", response_class=HTMLResponse)
def manual_enter(
    request: Request, db: ConsoleDB, principal: Writer, incident_id: int, text: TextField = "",
    name: TextField = "", phone: TextField = "", address: TextField = "", people: TextField = "",
) -> Response:  # fmt: skip
    """Take in the request; errors come back in the form with what was typed."""
    require(principal, "rescue")
    principal.require(*intake.MANUAL_ROLES)
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    values = {"text": text, "name": name, "phone": phone, "address": address, "people": people}
    errors: dict[str, str] = {}
    data = validated(HelpSubmission, {**values, "people": people.strip() or None}, errors)
    error: ZhengwuError | None = None
    if data is not None and not errors:
        try:
            found = intake.enter_manual(db, incident=incident, data=data, actor=principal)
        except ZhengwuError as exc:
            db.rollback()
            error = exc
        else:
            return RedirectResponse(
                f"/console/rescue/requests/{found.id}?done=rescue-manual", status_code=303
            )
    return render(request, "rescue_manual.html", area="rescue", incident=incident,
                  values=values, errors=errors, error=error,
                  status_code=error.status_code if error else 422)  # fmt: skip


@router.get("/{incident_id:int}/set-aside", response_class=HTMLResponse)
def set_aside_list(
    request: Request, db: ConsoleDB, principal: Viewer, incident_id: int, kind: str = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:  # fmt: skip
    """The inputs intake set aside and the rows it refused, newest first, with the reason."""
    require(principal, "rescue")
    principal.require(*intake.MANUAL_ROLES)
    if kind and kind not in KINDS:
        raise InvalidInputError(f"未知的类别：{kind}", f"unknown kind: {kind}")
    incident = rescue_service.get_incident(db, incident_id=incident_id)
    total, _ = intake.set_asides(db, incident=incident, kind=kind or None, limit=1)
    pager = Pager(total=total, offset=offset, size=SET_ASIDE_PAGE, params={"kind": kind})
    _, items = intake.set_asides(db, incident=incident, kind=kind or None, offset=pager.offset,
                                 limit=SET_ASIDE_PAGE)  # fmt: skip
    shown = [access.set_aside_view(principal, i) for i in items]
    return render(request, "rescue_set_aside.html", area="rescue", incident=incident,
                  items=shown, pager=pager, kind=kind, kinds=KINDS)  # fmt: skip


@router.post("/set-aside/{set_aside_id}/promote", response_class=HTMLResponse)
def set_aside_promote(
    request: Request, db: ConsoleDB, principal: Writer, set_aside_id: int,
    reason: TextField = "",
) -> Response:  # fmt: skip
    """Take a set-aside input as a request after all (转为求助), with the reason."""
    require(principal, "rescue")
    found = intake.get_set_aside(db, set_aside_id=set_aside_id)
    created = intake.promote(db, set_aside=found, actor=principal, reason=reason)
    return RedirectResponse(
        f"/console/rescue/requests/{created.id}?done=rescue-promote", status_code=303
    )


def _may_import_sheet(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a volunteers' sheet from anyone who may not import it (before it is read)."""
    require(principal, "rescue")
    principal.require(*spreadsheet.SHEET_IMPORTERS)


@router.post("/{incident_id:int}/sheet", response_class=HTMLResponse)
@before_body(_may_import_sheet)
async def sheet_import(
    request: Request, db: ConsoleDB, principal: Writer, incident_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    dry_run: TextField = "", checked: TextField = "",
) -> Response:  # fmt: skip
    """Check (检查: the import in a savepoint, rolled back) or import the volunteers'
    sheet; the triage page comes back with what the import did or would do (or why the
    whole file was refused).

    A check keeps its copy for the user (``checked``: its token in the page's form,
    :mod:`zhengwu.servicedesk.kept_uploads`), for this incident alone, so that 导入 — or
    another check — needs no file chosen again; a file chosen anew is read instead.
    """
    require(principal, "rescue")
    principal.require(*spreadsheet.SHEET_IMPORTERS)  # and before the body: _may_import_sheet
    filename = (file.filename or "") if file is not None else ""
    stream = file.file if file is not None else io.BytesIO()  # none: refused as unchosen
    checking = dry_run == "1"

    def work() -> Response:
        incident = rescue_service.get_incident(db, incident_id=incident_id)
        try:
            (report, shown), token = kept_uploads.checked_or_chosen(
                lambda path: (spreadsheet.import_upload(
                    db, incident=incident, path=path, actor=principal, dry_run=checking,
                ), path.name),
                kind=f"rescue-sheet:{incident.id}", owner=principal, filename=filename,
                checked=checked, dry_run=checking,
                saved=lambda: upload.saved_upload(stream, filename, **spreadsheet.SHEET_UPLOAD),
            )  # fmt: skip
        except ZhengwuError as exc:
            db.rollback()
            return queue_page(request, db, principal, incident_id, status_code=exc.status_code,
                              sheet={"name": filename, "error": exc})  # fmt: skip
        db.flush()
        return queue_page(request, db, principal, incident_id,
                          sheet={"name": shown, "report": report, "checked": token,
                                 "kept_minutes": kept_uploads.kept_minutes(),
                                 "shown_cap": spreadsheet.REFUSED_SHOWN})  # fmt: skip

    return await run_in_threadpool(work)
