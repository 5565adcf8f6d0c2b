"""内容库: the content library in the console — list and search, upload, item, distribution.

Pages call the library's services and access rules (``zhengwu.library``) like the JSON API
does; form errors come back next to their fields with status 422, and nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, Organization
from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError, ZhengwuError
from zhengwu.library import access, distribution
from zhengwu.library import service as library_service
from zhengwu.library.models import (
    KIND_LABELS,
    KINDS,
    LABELS,
    TARGET_STATE_LABELS,
    VISIBILITIES,
    VISIBILITY_LABELS,
    DistributionPlan,
    ItemUpdate,
)
from zhengwu.library.service import ItemFilters, Upload
from zhengwu.web.console.base import (
    CHINA,
    ConsoleDB,
    ConsoleRoute,
    Viewer,
    Writer,
    int_or_none,
    render,
    require,
)
from zhengwu.web.gate import before_body, path_int

router = APIRouter(prefix="/console/library", route_class=ConsoleRoute, include_in_schema=False)
PAGE = 30
DONE = {"created": "已保存到内容库", "updated": "已保存修改", "planned": "已计划分发",
        "file": "已上传文件"}  # fmt: skip
COMMON: dict[str, Any] = {"kind_labels": KIND_LABELS, "kinds": KINDS, "labels_all": LABELS,
          "visibilities": VISIBILITIES, "visibility_labels": VISIBILITY_LABELS,
          "state_labels": TARGET_STATE_LABELS}  # fmt: skip


def _names(db: Any, model: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.execute(select(model.id, model.name).where(model.id.in_(wanted)))
    return {int(row[0]): str(row[1]) for row in rows}


def _matrix_choices(db: Any, principal: Any) -> list[tuple[int, str]]:
    ids = set(db.scalars(access.own_matrices(principal)))
    return sorted(_names(db, Matrix, set(ids)).items())


@router.get("", response_class=HTMLResponse)
def library_list(
    request: Request,
    db: ConsoleDB,
    principal: Viewer,
    q: str = "",
    label: str = "",
    tag: str = "",
    kind: str = "",
    matrix_id: str = "",
    organization_id: str = "",
    offset: int = 0,
) -> HTMLResponse:
    """List and search the items you may see, labelled items first."""
    require(principal, "library")
    filters = ItemFilters(
        q=q.strip(), label=label or None, tag=tag.strip() or None, kind=kind or None,
        matrix_id=int_or_none(matrix_id), organization_id=int_or_none(organization_id),
        limit=PAGE, offset=max(offset, 0),
    )  # fmt: skip
    total, items = library_service.list_items(db, principal, filters)
    return render(
        request, "library.html", area="library", items=items, total=total, q=q, label=label,
        tag=tag, kind=kind, matrix_id=matrix_id, offset=filters.offset, page=PAGE,
        matrices=_matrix_choices(db, principal), done=DONE.get(request.query_params.get("done", "")),
        orgs=_names(db, Organization, {i.organization_id for i in items}),
        matrix_names=_names(db, Matrix, {i.matrix_id for i in items}), **COMMON,
    )  # fmt: skip


def _new_form(request: Request, db: Any, principal: Any, *, values: dict[str, Any] | None = None,
              error: ZhengwuError | None = None, status_code: int = 200) -> HTMLResponse:  # fmt: skip
    return render(
        request, "library_new.html", area="library", status_code=status_code, error=error,
        values=values or {"kind": "article", "visibility": "matrix", "labels": []},
        matrices=_matrix_choices(db, principal), **COMMON,
    )  # fmt: skip


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, db: ConsoleDB, principal: Viewer) -> HTMLResponse:
    """Show the upload form."""
    require(principal, "library")
    return _new_form(request, db, principal)


def _may_create(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a new item's upload from anyone without the library (before it is read)."""
    require(principal, "library")
    access.require_library(principal)


def _may_add_file(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a file for an item the caller may not change (before the file is read)."""
    require(principal, "library")
    library_service.get_manageable(session, principal, path_int(request, "item_id"))


@router.post("/new", response_class=HTMLResponse)
@before_body(_may_create)
def create(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "article",
    visibility: Annotated[str, Form()] = "matrix",
    matrix_id: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    labels: Annotated[list[str] | None, Form()] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Create an item from the upload form; errors are shown in the form (422)."""
    require(principal, "library")
    values = {"title": title, "body": body, "kind": kind, "visibility": visibility,
              "matrix_id": matrix_id, "tags": tags, "labels": labels or []}  # fmt: skip
    uploads = [Upload(f.filename, f.file) for f in files or [] if f.filename]
    try:
        item = library_service.create(
            db, principal, title=title, body=body, kind=kind, visibility=visibility,
            matrix_id=int_or_none(matrix_id), tags=[tags], labels=labels or [], files=uploads,
        )  # fmt: skip
    except ZhengwuError as exc:
        db.rollback()
        return _new_form(request, db, principal, values=values, error=exc,
                         status_code=exc.status_code)  # fmt: skip
    return RedirectResponse(f"/console/library/{item.id}?done=created", status_code=303)


def _item_page(request: Request, db: Any, principal: Any, item_id: int, *,
               error: ZhengwuError | None = None, status_code: int = 200) -> HTMLResponse:  # fmt: skip
    item = library_service.get(db, principal, item_id)
    eligible = distribution.eligible_accounts(db, principal)
    return render(
        request, "library_item.html", area="library", item=item, status_code=status_code,
        read=library_service.to_read(item, principal), error=error,
        report=distribution.report(db, item), eligible=eligible,
        matrix_names=_names(db, Matrix, {item.matrix_id, *(m for _, m in eligible)}),
        org_name=_names(db, Organization, {item.organization_id}).get(item.organization_id or 0),
        history=library_service.history(db, item), skipped=_skipped(request, eligible),
        done=DONE.get(request.query_params.get("done", "")), **COMMON,
    )  # fmt: skip


def _skipped(request: Request, eligible: list[tuple[Account, int]]) -> list[Account]:
    """Return the accounts a plan just skipped as already distributed (``?skipped=1,2``).

    Only accounts the viewer may distribute to are named: the ids come from the URL.
    """
    wanted = {int(p) for p in request.query_params.get("skipped", "").split(",") if p.isdigit()}
    return [a for a, _ in eligible if a.id in wanted]


@router.get("/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, db: ConsoleDB, principal: Viewer, item_id: int) -> HTMLResponse:
    """Show an item: labels, tags, files, history, the distribution form and status."""
    require(principal, "library")
    return _item_page(request, db, principal, item_id)


def _acted(
    request: Request, db: Any, principal: Any, item_id: int, action: Callable[[], object],
    done: str,
) -> Response:  # fmt: skip
    """Run a form's action; on an expected error show the item page with the message (the
    refused change rolled back), else go back to the item with a flash."""
    try:
        action()
    except ZhengwuError as exc:
        db.rollback()
        return _item_page(request, db, principal, item_id, error=exc, status_code=exc.status_code)
    return RedirectResponse(f"/console/library/{item_id}?done={done}", status_code=303)


@router.post("/{item_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    item_id: int,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    visibility: Annotated[str, Form()] = "matrix",
    tags: Annotated[str, Form()] = "",
    labels: Annotated[list[str] | None, Form()] = None,
    expected_version: Annotated[str, Form()] = "",
) -> Response:
    """Save an item's text, visibility, tags and labels (a new version, audited)."""
    require(principal, "library")
    item = library_service.get_manageable(db, principal, item_id)

    def save() -> None:
        data = ItemUpdate(title=title, body=body, visibility=visibility,
                          tags=library_service.clean_tags([tags]), labels=labels or [],
                          expected_version=int_or_none(expected_version))  # fmt: skip
        library_service.update(db, principal, item, data)

    return _acted(request, db, principal, item_id, save, "updated")


@router.post("/{item_id}/files", response_class=HTMLResponse)
@before_body(_may_add_file)
def add_file(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    item_id: int,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Attach a file to an item."""
    require(principal, "library")
    item = library_service.get_manageable(db, principal, item_id)

    def attach() -> None:
        if file is None or not file.filename:
            raise InvalidInputError("请选择文件", "choose a file")
        library_service.add_file(db, principal, item, Upload(file.filename, file.file))

    return _acted(request, db, principal, item_id, attach, "file")


def _scheduled_time(value: str) -> datetime:
    """Read the form's 计划时间: Beijing time unless it carries its own offset."""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"计划时间「{value}」无法识别：请按 2025-07-01 09:30 的格式填写（北京时间）",
            f"the scheduled time {value!r} is not a date and time: write it as "
            "2025-07-01 09:30 (Beijing time)",
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=CHINA)


@router.post("/{item_id}/distribute", response_class=HTMLResponse)
def distribute(
    request: Request,
    db: ConsoleDB,
    principal: Writer,
    item_id: int,
    account_ids: Annotated[list[int] | None, Form()] = None,
    scheduled_at: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    again: Annotated[str, Form()] = "",
) -> Response:
    """Plan the item's distribution to the chosen matrix accounts.

    Accounts it is already distributed to are skipped and named on the page, unless the
    "again" box is ticked (audited).
    """
    require(principal, "library")
    item = library_service.get(db, principal, item_id)
    skipped: list[int] = []

    def plan() -> None:
        if not account_ids:
            raise InvalidInputError("请至少选择一个账号", "choose at least one account")
        when = None
        if scheduled_at.strip():
            when = _scheduled_time(scheduled_at.strip())
        outcome = distribution.plan(db, principal, item, DistributionPlan(
            account_ids=account_ids, scheduled_at=when, text=text or None,
            again=again == "yes"))  # fmt: skip
        skipped.extend(s.account_id for s in outcome.skipped)

    response = _acted(request, db, principal, item_id, plan, "planned")
    if isinstance(response, RedirectResponse):
        shown = f"&skipped={','.join(map(str, skipped))}" if skipped else ""
        response.headers["location"] += f"{shown}#distribution"
    return response


@router.post("/{item_id}/delete", response_class=HTMLResponse)
def delete(request: Request, db: ConsoleDB, principal: Writer, item_id: int) -> Response:
    """Delete an item."""
    require(principal, "library")
    item = library_service.get_manageable(db, principal, item_id)
    library_service.remove(db, principal, item)
    return RedirectResponse("/console/library", status_code=303)
