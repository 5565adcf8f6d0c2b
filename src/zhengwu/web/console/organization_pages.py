"""机构: the organisations you may read, one organisation's page, and its published numbers.

The list and the page follow the API's rule (:mod:`zhengwu.accounts.access`): an admin reads
every organisation, a matrix office the bodies that run an account of its matrices, an
operator its own body. The published numbers (公开电话, docs/privacy.md) are changed only
through :func:`zhengwu.accounts.phones.set_public_phones`, which checks, normalises and
audits them, by those ``PATCH /api/organizations/{id}`` allows (admins; offices for the
bodies of their matrices). A refused or invalid list comes back in the form with what was
typed and why.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts import access, phones
from zhengwu.accounts import service as accounts_service
from zhengwu.accounts.models import LEVELS, Account, Organization
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, InvalidInputError, ZhengwuError
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Viewer, Writer, render, require
from zhengwu.web.console.matrix_pages import PLATFORM_LABELS

router = APIRouter(
    prefix="/console/organizations", route_class=ConsoleRoute, include_in_schema=False
)
PAGE = 100
# How many characters of a division code select that division and everything below it.
PREFIX_DIGITS = {"province": 2, "city": 4, "county": 6}


def region_prefix(raw: str) -> str | None:
    """Read the region filter: an adcode prefix ("41", "4101"), a code or a division name.

    A full code or a name stands for the division and everything below it (410100 and
    郑州市 → "4101"); returns None when empty, raises a bilingual 422 when unknown.
    """
    text = raw.strip()
    if not text:
        return None
    if text.isdigit() and len(text) < 6:
        return text
    division = regions.get(text) if text.isdigit() else None
    if division is None and not text.isdigit():
        found = regions.resolve_address(text)
        division = regions.get(found.adcode) if found is not None else None
    if division is None:
        raise InvalidInputError(
            f"未知的区划：{text}（请输入区划代码或名称，如 410100 或 郑州市）",
            f"unknown division: {text} (enter a division code or name, e.g. 410100 or 郑州市)",
        )
    return division.adcode[: PREFIX_DIGITS.get(division.level, 6)]


@router.get("", response_class=HTMLResponse)
def organizations(
    request: Request, db: ConsoleDB, principal: Viewer, q: str = "", sector: str = "",
    level: str = "", region: str = "", offset: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:  # fmt: skip
    """List the organisations you may read, by name, sector, level and region; paged."""
    require(principal, "organizations")
    readable = access.readable_organizations(principal)
    sectors = accounts_service.organization_sectors(db, query=readable)
    places = accounts_service.organization_regions(db, query=readable)
    filters = {"q": q, "sector": sector, "level": level, "region": region}
    try:
        prefix = region_prefix(region)
    except InvalidInputError as exc:
        return render(
            request, "organizations.html", area="organizations", rows=[], total=0, more=False,
            offset=0, page=PAGE, filters=filters, sectors=sectors, places=places, levels=LEVELS, prefix=None,
            error=exc, status_code=exc.status_code, prev_query="", next_query="",
        )  # fmt: skip
    query = accounts_service.filter_organizations(
        readable, q=q, sector=sector or None, level=level or None, adcode=prefix
    )
    total, found = accounts_service.organization_page(db, query=query, limit=PAGE, offset=offset)
    counts = accounts_service.account_counts(
        db, organization_ids=[o.id for o in found], account_ids=_account_scope(principal)
    )
    kept = {k: v for k, v in filters.items() if v}
    return render(
        request, "organizations.html", area="organizations", total=total, offset=offset,
        rows=[(o, counts.get(o.id, 0)) for o in found], more=offset + len(found) < total,
        page=PAGE, filters=filters, sectors=sectors, places=places, levels=LEVELS, prefix=prefix, error=None,
        prev_query=urlencode(kept | {"offset": max(offset - PAGE, 0)}),
        next_query=urlencode(kept | {"offset": offset + PAGE}),
    )  # fmt: skip


def _account_scope(principal: Principal) -> Select[int] | None:
    """Return the accounts ``principal`` may open (None: all of them, for an admin)."""
    return None if principal.role == "admin" else access.readable_account_ids(principal)


def _detail(
    request: Request, db: Session, principal: Principal, org: Organization, *,
    typed: str | None = None, error: ZhengwuError | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    parent = db.get(Organization, org.parent_id) if org.parent_id else None
    children = list(
        db.scalars(
            select(Organization)
            .where(Organization.parent_id == org.id)
            .order_by(Organization.name, Organization.id)
        )
    )
    related = [o.id for o in [*children, *([parent] if parent else [])]]
    readable_ids = set(
        db.scalars(
            select(Organization.id).where(
                Organization.id.in_(related),
                Organization.id.in_(
                    access.readable_organizations(principal).with_only_columns(Organization.id)
                ),
            )
        )
    ) if related else set()  # fmt: skip
    accounts_query = select(Account).where(Account.organization_id == org.id)
    scope = _account_scope(principal)
    if scope is not None:
        accounts_query = accounts_query.where(Account.id.in_(scope))
    accounts = list(db.scalars(accounts_query.order_by(Account.platform, Account.name, Account.id)))
    current = list(org.public_phones or [])
    return render(
        request, "organization.html", area="organizations", org=org, parent=parent,
        children=children, readable_ids=readable_ids, accounts=accounts, phones=current,
        may_edit=access.can_manage_organization(db, principal, org),
        typed="\n".join(current) if typed is None else typed, error=error,
        platform_labels=PLATFORM_LABELS, status_code=status_code,
    )  # fmt: skip


@router.get("/{organization_id}", response_class=HTMLResponse)
def organization(
    request: Request, db: ConsoleDB, principal: Viewer, organization_id: int
) -> HTMLResponse:
    """Show an organisation: parent, children, accounts, and its published numbers (公开电话)."""
    require(principal, "organizations")
    org = access.get_readable_organization(db, principal, organization_id)
    return _detail(request, db, principal, org)


@router.post("/{organization_id}/phones", response_class=HTMLResponse)
def save_phones(
    request: Request, db: ConsoleDB, principal: Writer, organization_id: int,
    public_phones: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Replace the published numbers (separated by commas or lines; empty removes them)."""
    require(principal, "organizations")
    org = access.get_readable_organization(db, principal, organization_id)
    try:
        if not access.can_manage_organization(db, principal, org):  # the API's rule
            raise ForbiddenError(
                "只有平台管理员和该机构所在矩阵的矩阵管理员可以修改公开电话",
                "only admins and the matrix offices of this organisation may change its"
                " published numbers",
            )
        # One text: parse_phones splits it at commas, semicolons, 、 and line breaks.
        changed = phones.set_public_phones(
            db, organization=org, phones=public_phones, actor=principal
        )
    except ZhengwuError as exc:
        # Nothing of the refused change may stay: roll back, then show the form again.
        db.rollback()
        org = access.get_readable_organization(db, principal, organization_id)
        return _detail(request, db, principal, org, typed=public_phones, error=exc,
                       status_code=exc.status_code)  # fmt: skip
    done = "organization-phones-saved" if changed else "organization-phones-unchanged"
    return RedirectResponse(
        f"/console/organizations/{organization_id}?done={done}#phones", status_code=303
    )
