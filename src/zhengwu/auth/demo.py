"""Demo logins, one per role, printed by ``zhengwu demo`` (never for production)."""

from __future__ import annotations

from typing import Any

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, Organization
from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User

DEMO_PASSWORD = "zhengwu-demo"


def create_demo_users(
    session: Session, analytics: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> dict[str, Any]:
    """Create one demo user per role (idempotent); return the logins for the summary."""
    matrix = session.scalars(
        select(Matrix).where(Matrix.kind == "regional").order_by(Matrix.id)
    ).first()
    org = session.scalars(
        select(Organization).join(Account, Account.organization_id == Organization.id)
        .where(Organization.sector == "公安").order_by(Organization.id)
    ).first() or session.scalars(select(Organization).order_by(Organization.id)).first()  # fmt: skip
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
        "new": len(created),
    }
