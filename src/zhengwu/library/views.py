"""JSON API of the content library (媒资库): items, files, labels, distribution."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.library import access as library_access
from zhengwu.library import distribution, storage
from zhengwu.library import service as library_service
from zhengwu.library.models import (
    DistributionPlan,
    DistributionReport,
    FileRead,
    ItemPage,
    ItemRead,
    ItemUpdate,
)
from zhengwu.library.service import ItemFilters, Upload
from zhengwu.web.deps import DB, CurrentPrincipal, WritingPrincipal
from zhengwu.web.gate import GatedRoute, before_body, path_int

router = APIRouter(prefix="/api/library", tags=["library 内容库"], route_class=GatedRoute)


@router.get("/items", response_model=ItemPage)
def list_items(
    db: DB,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(description="search words (Chinese is segmented)")] = "",
    label: Annotated[str | None, Query(description="原创 首发 独家 权威")] = None,
    tag: str | None = None,
    kind: str | None = None,
    organization_id: int | None = None,
    matrix_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ItemPage:
    """List or search the items you may see, labelled items first (权威 > 独家 > 首发 > 原创)."""
    filters = ItemFilters(
        q=q, label=label or None, tag=tag or None, kind=kind or None,
        organization_id=organization_id, matrix_id=matrix_id, limit=limit, offset=offset,
    )  # fmt: skip
    total, items = library_service.list_items(db, principal, filters)
    return ItemPage(total=total, items=[library_service.to_read(i, principal) for i in items])


def _may_create(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a new item's upload from anyone without the library (before it is read)."""
    library_access.require_library(principal)


def _may_add_file(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a file for an item the caller may not change (before the file is read)."""
    library_service.get_manageable(session, principal, path_int(request, "item_id"))


@router.post("/items", response_model=ItemRead, status_code=201)
@before_body(_may_create)
def create_item(
    db: DB,
    principal: WritingPrincipal,
    title: Annotated[str, Form()],
    body: Annotated[str, Form()] = "",
    kind: Annotated[str, Form(description="article image video audio document")] = "article",
    visibility: Annotated[str, Form(description="organization matrix shared")] = "matrix",
    matrix_id: Annotated[int | None, Form()] = None,
    organization_id: Annotated[int | None, Form(description="admin only")] = None,
    tags: Annotated[list[str] | None, Form(description="repeat or separate by commas")] = None,
    labels: Annotated[list[str] | None, Form(description="原创 首发 独家 权威")] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> ItemRead:
    """Create an item with its files (multipart); a refused file refuses the whole item."""
    uploads = [Upload(f.filename or "", f.file) for f in files or [] if f.filename or f.size]
    item = library_service.create(
        db, principal, title=title, body=body, kind=kind, visibility=visibility,
        matrix_id=matrix_id, organization_id=organization_id, tags=tags or [],
        labels=labels or [], files=uploads,
    )  # fmt: skip
    db.flush()
    return library_service.to_read(library_service.get(db, principal, item.id), principal)


@router.get("/items/{item_id}", response_model=ItemRead)
def get_item(db: DB, principal: CurrentPrincipal, item_id: int) -> ItemRead:
    """Return one item."""
    return library_service.to_read(library_service.get(db, principal, item_id), principal)


@router.patch("/items/{item_id}", response_model=ItemRead)
def patch_item(db: DB, principal: WritingPrincipal, item_id: int, data: ItemUpdate) -> ItemRead:
    """Edit an item's text, kind, visibility, tags or labels; each change is audited."""
    item = library_service.get_manageable(db, principal, item_id)
    library_service.update(db, principal, item, data)
    db.flush()
    return library_service.to_read(library_service.get(db, principal, item_id), principal)


@router.delete("/items/{item_id}", status_code=204)
def delete_item(db: DB, principal: WritingPrincipal, item_id: int) -> Response:
    """Delete an item (its audit trail stays)."""
    item = library_service.get_manageable(db, principal, item_id)
    library_service.remove(db, principal, item)
    return Response(status_code=204)


@router.post("/items/{item_id}/files", response_model=FileRead, status_code=201)
@before_body(_may_add_file)
def add_file(
    db: DB, principal: WritingPrincipal, item_id: int, file: Annotated[UploadFile, File()]
) -> FileRead:
    """Attach one more file to an item (409 when the item already has the same content)."""
    item = library_service.get_manageable(db, principal, item_id)
    added = library_service.add_file(db, principal, item, Upload(file.filename or "", file.file))
    return FileRead.model_validate(added)


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """Return a Content-Disposition header that keeps a Chinese file name (RFC 6266)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@router.get("/items/{item_id}/files/{file_id}", response_class=FileResponse)
def download_file(
    db: DB, principal: CurrentPrincipal, item_id: int, file_id: int, inline: bool = False
) -> FileResponse:
    """Download a file of an item you may see (``inline=true`` to preview it)."""
    item = library_service.get(db, principal, item_id)
    file = library_service.get_file(item, file_id)
    return FileResponse(
        storage.open_blob(file.sha256),
        media_type=file.content_type,
        headers={
            "Content-Disposition": content_disposition(file.filename, inline=inline),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/items/{item_id}/distributions", response_model=DistributionReport, status_code=201)
def plan_distribution(
    db: DB, principal: WritingPrincipal, item_id: int, data: DistributionPlan
) -> DistributionReport:
    """Plan publishing an item on accounts of your matrix; return the distribution report.

    Accounts the item is already planned, queued or delivered on are not queued again:
    they are listed in ``skipped``. Send ``"again": true`` to publish there once more
    (audited).
    """
    item = library_service.get(db, principal, item_id)
    outcome = distribution.plan(db, principal, item, data)
    db.flush()
    return distribution.report(db, item, outcome.skipped)


@router.get("/items/{item_id}/distributions", response_model=DistributionReport)
def distribution_status(db: DB, principal: CurrentPrincipal, item_id: int) -> DistributionReport:
    """Return the distribution report of an item: each target's status from the outbox."""
    item = library_service.get(db, principal, item_id)
    return distribution.report(db, item)
