"""Demo logins, one per role, printed by ``zhengwu demo`` (never for production)."""

from __future__ import annotations

from typing import Any

import duckdb
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, Organization
from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.workflow import OPEN_STATES

DEMO_PASSWORD = "zhengwu-demo"


def busiest_organization(session: Session) -> Organization | None:
    """Return the body the demo's handler and operator work for.

    The body with the most open requests (work to do: accept, reply, resolve, ask for an
    extension), then the most requests routed to it, among bodies that run an account (the
    operator's work); without routed requests, the first 公安 body with an account.
    """
    open_count = func.sum(case((ServiceRequest.state.in_(OPEN_STATES), 1), else_=0))
    with_account = select(Account.organization_id).where(Account.organization_id.is_not(None))
    busiest = session.scalars(
        select(Organization)
        .join(ServiceRequest, ServiceRequest.organization_id == Organization.id)
        .where(Organization.id.in_(with_account))
        .group_by(Organization.id)
        .order_by(open_count.desc(), func.count(ServiceRequest.id).desc(), Organization.id)
        .limit(1)
    ).first()
    return busiest or session.scalars(
        select(Organization).join(Account, Account.organization_id == Organization.id)
        .where(Organization.sector == "公安").order_by(Organization.id)
    ).first() or session.scalars(select(Organization).order_by(Organization.id)).first()  # fmt: skip


def office_matrix(session: Session) -> Matrix | None:
    """Return the matrix the demo's ``office`` login runs: the first regional matrix."""
    return session.scalars(
        select(Matrix).where(Matrix.kind == "regional").order_by(Matrix.id)
    ).first()


def create_demo_users(
    session: Session, analytics: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> dict[str, Any]:
    """Create one demo user per role (idempotent); return the logins for the summary.

    Runs after the service desk's step, so that the handler and the operator belong to the
    body with the most work (:func:`busiest_organization`).
    """
    matrix = office_matrix(session)
    org = busiest_organization(session)
    wanted = [
        ("admin", "admin", "平台管理员", {}),
        ("office", "matrix_office", "矩阵管理员", {"matrix_id": matrix.id if matrix else None}),
        ("operator", "operator", "账号运营", {"organization_id": org.id if org else None}),
        ("handler", "handler", "承办人", {"organization_id": org.id if org else None}),
        ("dispatcher", "dispatcher", "救援调度", {}),
        ("verifier", "verifier", "信息核实员", {}),
    ]
    created = []
    for username, role, name, scope in wanted:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        if any(v is None for v in scope.values()):
            continue
        auth_service.create_user(
            session,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=name,
            **scope,
        )
        created.append(username)
    return {
        "logins": ", ".join(u for u, *_ in wanted),
        "password": DEMO_PASSWORD,
        "handler/operator": org.name if org else "—",
        "new": len(created),
    }
