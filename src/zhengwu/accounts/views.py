"""JSON API of accounts, organisations and matrices under ``/api`` (tag 账号与矩阵).

Reads go through :mod:`zhengwu.accounts.access` (admin everything, a matrix office its
subtree, an operator or handler its organisation); changes are for admins and matrix
offices, need the CSRF token when sent with a session cookie, and are written to the
audit log in the request's one transaction.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts import access, phones
from zhengwu.accounts import service as accounts_service
from zhengwu.accounts.models import (
    Account,
    AccountRead,
    Matrix,
    MatrixMember,
    MatrixRead,
    OrganizationRead,
    OrganizationUpdate,
)
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, InvalidInputError, NotFoundError
from zhengwu.servicedesk import upload
from zhengwu.web.deps import DB, CurrentPrincipal, WritingPrincipal
from zhengwu.web.gate import GatedRoute, before_body, path_int

router = APIRouter(prefix="/api", tags=["accounts 账号与矩阵"], route_class=GatedRoute)

Kind = Literal["regional", "vertical"]
Role = Literal["lead", "member"]


class AccountPage(BaseModel):
    """One page of accounts and the total matching the filters."""

    total: int
    limit: int
    offset: int
    items: list[AccountRead]


class OrganizationPage(BaseModel):
    """One page of organisations and the total matching the filters."""

    total: int
    limit: int
    offset: int
    items: list[OrganizationRead]


class MatrixRef(BaseModel):
    """A matrix an account belongs to, with the account's role in it."""

    id: int
    name: str
    kind: str
    role: str


class AccountDetail(AccountRead):
    """An account with the matrices (the caller may read) it belongs to."""

    matrices: list[MatrixRef]


class MatrixSummary(BaseModel):
    """A matrix in a list: its fields and how many members and sub-matrices it has.

    ``child_count`` counts the sub-matrices the caller may read; list them with
    ``GET /api/matrices?parent_id=…``, and the members with
    ``GET /api/matrices/{id}/members``.
    """

    id: int
    name: str
    kind: str
    adcode: str | None
    sector: str | None
    parent_id: int | None
    lead_account_id: int | None
    member_count: int
    child_count: int


class MatrixPage(BaseModel):
    """One page of matrices and the total matching the filters."""

    total: int
    limit: int
    offset: int
    items: list[MatrixSummary]


class MemberRead(BaseModel):
    """A member account of a matrix with its role (lead / member)."""

    role: str
    account: AccountRead


class MemberPage(BaseModel):
    """One page of a matrix's members (lead first, then by name) and their total."""

    total: int
    limit: int
    offset: int
    items: list[MemberRead]


class MatrixDetail(MatrixRead):
    """A matrix with its member count, its direct sub-matrices and whether the caller may change it.

    The members themselves are paged: ``GET /api/matrices/{id}/members``.
    """

    member_count: int
    children: list[MatrixSummary]
    may_manage: bool


class MatrixCreate(BaseModel):
    """A new matrix; without ``parent_id`` it is a top-level one (admin only).

    A vertical matrix needs a ``sector``; a sub-matrix's ``adcode`` lies inside its parent's.
    """

    name: str = Field(min_length=1, max_length=128)
    kind: Kind = "regional"
    parent_id: int | None = None
    adcode: str | None = Field(default=None, pattern=r"^\d{6}$")
    sector: str | None = Field(default=None, max_length=32)


class MatrixUpdate(BaseModel):
    """Changes to a matrix; sending ``parent_id`` (null: top level) moves it."""

    name: str | None = Field(default=None, min_length=1, max_length=128)
    kind: Kind | None = None
    sector: str | None = Field(default=None, max_length=32)
    lead_account_id: int | None = None
    parent_id: int | None = None


class MemberAdd(BaseModel):
    """An account to add: by ``account_id``, or by ``platform`` and ``uid``."""

    account_id: int | None = None
    platform: str | None = None
    uid: str | None = None
    role: Role = "member"


class MemberAdded(BaseModel):
    """The outcome of adding a member: added, changed (role) or already (a member)."""

    outcome: str
    role: str
    account: AccountRead


class RejectedRowRead(BaseModel):
    """A row of an imported member list that was not imported, and why."""

    row: int
    reason: str
    values: list[str]
    sheet: str = ""  # the row's sheet, in a workbook of several sheets


class ImportResult(BaseModel):
    """What a member-list import did (``warnings``: the sheets of a workbook not read, the
    blank rows skipped between rows of data — counted in ``blank_rows``)."""

    added: int
    already: int
    rejected_count: int
    rejected: list[RejectedRowRead]
    blank_rows: int = 0
    warnings: list[str] = []
    run_id: int | None = None  # the import run, whose quarantine holds the rejected rows
    dry_run: bool = False  # what the import would do: nothing written (run_id null)


def _summaries(db: DB, principal: Principal, matrices: list[Matrix]) -> list[MatrixSummary]:
    """Return ``matrices`` with their member and (readable) sub-matrix counts, two queries."""
    ids = [m.id for m in matrices]
    members = accounts_service.member_counts(db, ids) if ids else {}
    among = None if principal.role == "admin" else access.readable_matrix_ids(principal)
    children = accounts_service.child_counts(db, ids, among=among) if ids else {}
    return [
        MatrixSummary(
            id=m.id, name=m.name, kind=m.kind, adcode=m.adcode, sector=m.sector,
            parent_id=m.parent_id, lead_account_id=m.lead_account_id,
            member_count=members.get(m.id, 0), child_count=children.get(m.id, 0),
        )
        for m in matrices
    ]  # fmt: skip


# -- accounts and organisations ------------------------------------------------------------


@router.get("/accounts", response_model=AccountPage)
def list_accounts(
    db: DB,
    principal: CurrentPrincipal,
    platform: str | None = None,
    organization_id: int | None = None,
    adcode: Annotated[str | None, Query(pattern=r"^\d{1,6}$")] = None,
    matrix_id: int | None = None,
    kind: Annotated[str | None, Query(description="government (default), other or all")] = None,
    is_government: bool | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AccountPage:
    """List the accounts you may read (adcode is a prefix, q a name substring), paged.

    Government accounts (政务账号) by default, as the console's list: ``kind=other`` the
    others (citizens' accounts an import stored), ``kind=all`` both. ``is_government``
    (true / false) is the older spelling of ``kind`` and must agree with it when both are given.
    """
    access.require_reader(principal)
    government = accounts_service.government_filter(kind or "government")
    if is_government is not None:
        if kind is not None and government is not is_government:
            raise InvalidInputError(
                f"kind={kind} 与 is_government={str(is_government).lower()} 矛盾，请只给其一",
                f"kind={kind} contradicts is_government={str(is_government).lower()}: "
                "give one of them",
            )
        government = is_government
    total, found = accounts_service.list_accounts(
        db, query=access.readable_accounts(principal), platform=platform,
        organization_id=organization_id, adcode=adcode, matrix_id=matrix_id,
        is_government=government, q=q, limit=limit, offset=offset,
    )  # fmt: skip
    items = [AccountRead.model_validate(a) for a in found]
    return AccountPage(total=total, limit=limit, offset=offset, items=items)


@router.get("/accounts/{account_id}", response_model=AccountDetail)
def get_account(account_id: int, db: DB, principal: CurrentPrincipal) -> AccountDetail:
    """Show an account with the matrices it belongs to (those you may read)."""
    account = access.get_readable_account(db, principal, account_id)
    rows = db.execute(
        select(Matrix, MatrixMember.role)
        .join(MatrixMember, MatrixMember.matrix_id == Matrix.id)
        .where(MatrixMember.account_id == account.id,
               Matrix.id.in_(access.readable_matrix_ids(principal)))
        .order_by(Matrix.name, Matrix.id)
    ).all()  # fmt: skip
    matrices = [MatrixRef(id=m.id, name=m.name, kind=m.kind, role=role) for m, role in rows]
    return AccountDetail(**AccountRead.model_validate(account).model_dump(), matrices=matrices)


@router.get("/organizations", response_model=OrganizationPage)
def list_organizations(
    db: DB,
    principal: CurrentPrincipal,
    q: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> OrganizationPage:
    """List the organisations you may read (q: a name substring), by name, paged."""
    access.require_reader(principal)
    query = accounts_service.filter_organizations(access.readable_organizations(principal), q=q)
    total, found = accounts_service.organization_page(db, query=query, limit=limit, offset=offset)
    items = [OrganizationRead.model_validate(o) for o in found]
    return OrganizationPage(total=total, limit=limit, offset=offset, items=items)


@router.patch("/organizations/{organization_id}", response_model=OrganizationRead)
def update_organization(
    organization_id: int, data: OrganizationUpdate, db: DB, principal: WritingPrincipal
) -> OrganizationRead:
    """Set an organisation's published numbers (公开电话), the whole list; audited.

    Public pages leave these numbers readable instead of masking them. Each is checked
    and stored in normal form ("（0371）6666 1234" → "0371-66661234"); a value that is no
    phone number is refused with 422, ``[]`` removes them. Admins, and matrix offices for
    the bodies of their matrices.
    """
    org = access.get_manageable_organization(db, principal, organization_id)
    phones.set_public_phones(db, organization=org, phones=data.public_phones, actor=principal)
    return OrganizationRead.model_validate(org)


# -- matrices ------------------------------------------------------------------------------


@router.get("/matrices", response_model=MatrixPage)
def list_matrices(
    db: DB,
    principal: CurrentPrincipal,
    parent_id: int | None = None,
    top: bool = False,
    q: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MatrixPage:
    """List the matrices you may read by name, paged, with member and sub-matrix counts.

    ``parent_id``: the direct sub-matrices of one matrix; ``top``: the top-level ones;
    ``q``: a name substring. Members are listed by ``GET /api/matrices/{id}/members``.
    """
    access.require_reader(principal)
    total, found = accounts_service.matrix_page(
        db, query=access.readable_matrices(principal), parent_id=parent_id, top=top, q=q,
        limit=limit, offset=offset,
    )  # fmt: skip
    items = _summaries(db, principal, found)
    return MatrixPage(total=total, limit=limit, offset=offset, items=items)


def _detail(db: DB, principal: Principal, matrix: Matrix) -> MatrixDetail:
    children = list(
        db.scalars(
            select(Matrix)
            .where(Matrix.parent_id == matrix.id)
            .order_by(*accounts_service.tree_order())
        )
    )
    return MatrixDetail(
        id=matrix.id, external_id=matrix.external_id, name=matrix.name, kind=matrix.kind,
        adcode=matrix.adcode, sector=matrix.sector, lead_account_id=matrix.lead_account_id,
        parent_id=matrix.parent_id,
        member_count=accounts_service.member_counts(db, [matrix.id]).get(matrix.id, 0),
        children=_summaries(db, principal, children),
        may_manage=access.can_manage_matrix(db, principal, matrix),
    )  # fmt: skip


@router.get("/matrices/{matrix_id}", response_model=MatrixDetail)
def get_matrix(matrix_id: int, db: DB, principal: CurrentPrincipal) -> MatrixDetail:
    """Show a matrix with its members (and their roles) and its sub-matrices."""
    matrix = access.get_readable_matrix(db, principal, matrix_id)
    return _detail(db, principal, matrix)


@router.get("/matrices/{matrix_id}/members", response_model=MemberPage)
def list_members(
    matrix_id: int,
    db: DB,
    principal: CurrentPrincipal,
    q: Annotated[str | None, Query(max_length=64)] = None,
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> MemberPage:
    """List a matrix's members with their roles, the lead first, then by name, paged.

    ``q``: a substring of the name or UID (case-insensitive); ``role``: lead or member.
    """
    matrix = access.get_readable_matrix(db, principal, matrix_id)
    total, found = accounts_service.member_page(
        db, matrix.id, q=q, role=role, limit=limit, offset=offset
    )
    items = [MemberRead(role=r, account=AccountRead.model_validate(a)) for a, r in found]
    return MemberPage(total=total, limit=limit, offset=offset, items=items)


@router.post("/matrices", response_model=MatrixDetail, status_code=201)
def create_matrix(data: MatrixCreate, db: DB, principal: WritingPrincipal) -> MatrixDetail:
    """Create a matrix under one you manage (admin: also at the top level).

    422 when a vertical matrix has no sector (系统) or the region (adcode) is not inside the
    parent matrix's region.
    """
    parent = access.require_parent(db, principal, data.parent_id)
    matrix = accounts_service.create_matrix(
        db, name=data.name, kind=data.kind, parent=parent, actor=principal,
        adcode=data.adcode, sector=data.sector,
    )  # fmt: skip
    return _detail(db, principal, matrix)


def _account(db: DB, account_id: int) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"账号不存在：{account_id}", f"no such account: {account_id}")
    return account


@router.patch("/matrices/{matrix_id}", response_model=MatrixDetail)
def update_matrix(
    matrix_id: int, data: MatrixUpdate, db: DB, principal: WritingPrincipal
) -> MatrixDetail:
    """Rename, retype, set the sector or lead of, or move a matrix (a cycle: 409).

    The lead must be within your account scope (403); an office keeps the kind and sector
    of its own matrix (403); a vertical matrix needs a sector (422).
    """
    matrix = access.get_manageable_matrix(db, principal, matrix_id)
    access.require_retype(principal, matrix, kind=data.kind, sector=data.sector)
    move = "parent_id" in data.model_fields_set and data.parent_id != matrix.parent_id
    parent = None
    if move:
        if not access.can_move_matrix(db, principal, matrix):
            raise ForbiddenError(
                "不能移动您自己的根矩阵", "a matrix office may not move its own root matrix"
            )
        parent = access.require_parent(db, principal, data.parent_id)
    lead = _account(db, data.lead_account_id) if data.lead_account_id is not None else None
    accounts_service.update_matrix(
        db, matrix=matrix, actor=principal, name=data.name, kind=data.kind, sector=data.sector,
        lead_account=lead, move=move, parent=parent,
    )  # fmt: skip
    return _detail(db, principal, matrix)


@router.delete("/matrices/{matrix_id}", status_code=204, response_class=Response)
def delete_matrix(matrix_id: int, db: DB, principal: WritingPrincipal) -> Response:
    """Delete a matrix without sub-matrices (409 otherwise); an office keeps its own root."""
    matrix = access.get_manageable_matrix(db, principal, matrix_id)
    if not access.can_move_matrix(db, principal, matrix):
        raise ForbiddenError(
            "不能删除您自己的根矩阵", "a matrix office may not delete its own root matrix"
        )
    accounts_service.delete_matrix(db, matrix=matrix, actor=principal)
    return Response(status_code=204)


# -- members -------------------------------------------------------------------------------


@router.post("/matrices/{matrix_id}/members", response_model=MemberAdded, status_code=201)
def add_member(
    matrix_id: int, data: MemberAdd, db: DB, principal: WritingPrincipal
) -> JSONResponse:
    """Add an account (by id, or platform + uid) as lead or member; 200 when already one.

    A matrix office adds only accounts within its account scope — already in its matrices,
    or of organisations in its matrix's region (and sector) — 403 otherwise.
    """
    matrix = access.get_manageable_matrix(db, principal, matrix_id)
    if data.account_id is not None:
        account = _account(db, data.account_id)
    elif data.platform and data.uid:
        account = accounts_service.get_account(db, platform=data.platform, uid=data.uid)
    else:
        raise InvalidInputError(
            "请给出 account_id，或 platform 和 uid", "give account_id, or platform and uid"
        )
    outcome = accounts_service.add_member(
        db, matrix=matrix, account=account, role=data.role, actor=principal
    )
    body = MemberAdded(outcome=outcome, role=data.role, account=AccountRead.model_validate(account))
    return JSONResponse(
        body.model_dump(mode="json"), status_code=200 if outcome == "already" else 201
    )


@router.delete(
    "/matrices/{matrix_id}/members/{account_id}", status_code=204, response_class=Response
)
def remove_member(matrix_id: int, account_id: int, db: DB, principal: WritingPrincipal) -> Response:
    """Take an account out of a matrix (404 when it is not a member)."""
    matrix = access.get_manageable_matrix(db, principal, matrix_id)
    accounts_service.remove_member(db, matrix=matrix, account=_account(db, account_id),
                                   actor=principal)  # fmt: skip
    return Response(status_code=204)


def _may_import_members(session: Session, principal: Principal, request: Request) -> None:
    """Refuse a member list from anyone who may not change the matrix (before it is read)."""
    access.get_manageable_matrix(session, principal, path_int(request, "matrix_id"))


@router.post("/matrices/{matrix_id}/members/import", response_model=ImportResult)
@before_body(_may_import_members)
async def import_members(
    matrix_id: int, file: Annotated[UploadFile, File()], db: DB, principal: WritingPrincipal,
    dry_run: Annotated[bool, Form()] = False,
) -> ImportResult:  # fmt: skip
    """Import a CSV member list (platform,uid[,role] or name[,role]); bad rows are reported.

    The whole list is one transaction; every rejected row comes back with its line number
    and reason (an account outside a matrix office's account scope is one), and is
    quarantined in the import run ``run_id`` with its raw text. With ``dry_run`` the answer
    is what the import would do now, and nothing is written (``run_id`` null).
    """

    def work() -> ImportResult:
        matrix = access.get_manageable_matrix(db, principal, matrix_id)
        rules = accounts_service.MEMBER_LIST_UPLOAD
        with upload.saved_upload(file.file, file.filename or "", **rules) as path:
            report = accounts_service.import_member_file(db, matrix=matrix, path=path,
                                                         actor=principal, dry_run=dry_run)  # fmt: skip
        return ImportResult(
            added=report.added, already=report.already, rejected_count=len(report.rejected),
            rejected=[RejectedRowRead(row=r.row, reason=r.reason, values=r.values, sheet=r.sheet)
                      for r in report.rejected],
            blank_rows=len(report.blank_rows), warnings=report.warnings, run_id=report.run_id,
            dry_run=report.dry_run,
        )  # fmt: skip

    return await run_in_threadpool(work)
