"""账号页: an account with its matrix list, compliance, latest score, posts and metrics."""

from __future__ import annotations

from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from zhengwu.accounts import access
from zhengwu.accounts import service as accounts_service
from zhengwu.accounts.models import Account, Organization
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, NotFoundError
from zhengwu.index import explain
from zhengwu.index.compliance import REASONS_ZH
from zhengwu.web import charts
from zhengwu.web.console import analytics
from zhengwu.web.console.base import ConsoleDB, ConsoleRoute, Viewer, render, require
from zhengwu.web.console.matrix_pages import PLATFORM_LABELS, oversees

router = APIRouter(prefix="/console/accounts", route_class=ConsoleRoute, include_in_schema=False)
PAGE = 100


def visible_accounts(session: Session, principal: Principal) -> Select[Account]:
    """Return a SELECT of the accounts ``principal`` may open in the console (the API's rule)."""
    return access.readable_accounts(principal)


KINDS = accounts_service.ACCOUNT_KINDS


@router.get("", response_class=HTMLResponse)
def accounts(
    request: Request, db: ConsoleDB, principal: Viewer, q: str = "",
    offset: Annotated[int, Query(ge=0)] = 0, kind: str = "government",
) -> HTMLResponse:  # fmt: skip
    """List the accounts you may open (your organisation's, or your matrix's).

    Government accounts (政务账号) by default; ``kind=other`` lists the others (citizens'
    accounts an import stored), ``kind=all`` both.
    """
    require(principal, "accounts")
    query = visible_accounts(db, principal)
    government = accounts_service.government_filter(kind)
    if government is not None:
        query = query.where(Account.is_government.is_(government))
    if q.strip():
        query = query.where(Account.name.contains(q.strip(), autoescape=True))
    found = list(
        db.scalars(query.order_by(Account.platform, Account.name, Account.id).limit(PAGE + 1)
                   .offset(offset))
    )  # fmt: skip
    orgs = _org_names(db, {a.organization_id for a in found if a.organization_id})
    return render(
        request, "accounts.html", area="accounts", accounts=found[:PAGE], more=len(found) > PAGE,
        offset=offset, page=PAGE, q=q, orgs=orgs, platform_labels=PLATFORM_LABELS,
        kind=kind, kinds=KINDS,
    )  # fmt: skip


def _org_names(db: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = db.execute(select(Organization.id, Organization.name).where(Organization.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows}


def _latest_score(
    con: duckdb.DuckDBPyConnection, check: analytics.Check, account: Account
) -> dict[str, Any] | None:
    if check.run_id is None:
        return None
    try:
        return explain.find_entity(con, check.run_id, f"{account.platform}:{account.uid}")
    except NotFoundError:
        return None


@router.get("/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request, db: ConsoleDB, principal: Viewer, account_id: int
) -> HTMLResponse:
    """Show an account: matrices, compliance, latest index score, posts per day, recent posts."""
    require(principal, "accounts")
    account = db.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"账号不存在：{account_id}", f"no such account: {account_id}")
    visible = visible_accounts(db, principal).where(Account.id == account.id)
    if db.scalar(select(visible.exists())) is not True:
        raise ForbiddenError("您无权查看此账号", "you may not open this account")
    org = db.get(Organization, account.organization_id) if account.organization_id else None
    matrices = [(m, oversees(db, principal, m)) for m in accounts_service.matrices_of(db, account)]
    with analytics.analytics() as con:
        check = analytics.latest_check(con, [account.platform])
        report = analytics.compliance_report(db, con, [account.id], check)
        series = analytics.daily_series(con, account.platform, account.uid)
        posts = analytics.recent_posts(con, account.platform, account.uid)
        score = _latest_score(con, check, account)
    posts_chart = charts.line_chart(
        series.labels, [charts.Series("发文数 posts", series.posts, charts.PALETTE[1])],
        title=f"{account.name} 每日发文（{series.start} – {series.end}）",
    )  # fmt: skip
    engagement_chart = charts.line_chart(
        series.labels,
        [charts.Series("互动量 engagement", series.engagement, charts.PALETTE[0])],
        title=f"{account.name} 每日互动（转发+评论+点赞）",
    )
    return render(
        request, "account.html", area="accounts", account=account, org=org, matrices=matrices,
        check=check, compliance=report["rows"][0] if report["rows"] else None,
        reasons_zh=REASONS_ZH, series=series, posts=posts, score=score,
        posts_chart=posts_chart, engagement_chart=engagement_chart,
        platform_labels=PLATFORM_LABELS,
    )  # fmt: skip
