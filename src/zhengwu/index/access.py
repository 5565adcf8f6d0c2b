"""Who may read and do what with the influence index — the one access rule of the index.

- admin, matrix office (矩阵管理员) and operator (运营人员): read every stored run — systems,
  periods, rankings, explanations (rankings are public once published anyway, and a
  ranking only means something against every other account);
- compliance reports (合规检查) name the accounts that fail: admin and operator read every
  account's, a matrix office only those of its matrix and the matrices below it
  (:func:`compliance_accounts`), and each may narrow the report to one matrix of its scope;
- publishing a period (发布) — making its rankings public: admin and matrix office;
- manual compliance flags: admin on any account, a matrix office on the accounts of its
  matrix (and its sub-matrices) only;
- running the index through the API: admin only (the CLI is for whoever runs the server);
- everyone else (handlers, rescue roles, the public): nothing here; the public sees the
  latest *published* rankings through :mod:`zhengwu.web.public`, found by
  :func:`latest_published`.

A run becomes published when a row for it exists in ``index_publications``; withdrawing
the publication deletes the row. Running the same system over the same period again
replaces the results in place, so a published period shows the latest computation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from zhengwu.accounts import access as accounts_access
from zhengwu.accounts import service as accounts_service
from zhengwu.accounts.models import Account, MatrixMember
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, NotFoundError
from zhengwu.index import results
from zhengwu.index.models import PublishedRun

READ_ROLES = ("matrix_office", "operator")
PUBLISH_ROLES = ("matrix_office",)
FLAG_ROLES = ("matrix_office",)


def _refuse(principal: Principal, zh: str, en: str) -> ForbiddenError:
    if not principal.is_authenticated:
        return ForbiddenError("请先登录", "please log in")
    return ForbiddenError(
        f"当前角色（{principal.role_label}）无权{zh}", f"role {principal.role!r} may not {en}"
    )


def can_read(principal: Principal) -> bool:
    """Return whether ``principal`` may read stored index results and systems."""
    return principal.is_authenticated and principal.has_role(*READ_ROLES)


def require_read(principal: Principal) -> None:
    """Raise 403 unless ``principal`` may read index results."""
    if not can_read(principal):
        raise _refuse(principal, "查看影响力指数结果", "read influence index results")


def require_run(principal: Principal) -> None:
    """Raise 403 unless ``principal`` may run the index through the API (admin)."""
    if not (principal.is_authenticated and principal.role == "admin"):
        raise _refuse(principal, "运行影响力指数计算", "run the influence index")


def require_publish(principal: Principal) -> None:
    """Raise 403 unless ``principal`` may publish or withdraw a period (admin, matrix office)."""
    if not (principal.is_authenticated and principal.has_role(*PUBLISH_ROLES)):
        raise _refuse(principal, "发布排行", "publish rankings")


def overseen_matrices(session: Session, principal: Principal) -> set[int]:
    """Return the ids of the matrix of a matrix office and of all its sub-matrices.

    One statement: the subtree's recursive CTE (:func:`zhengwu.accounts.access.subtree_ids`,
    SQLite and PostgreSQL alike), not every matrix of the country read and walked level by
    level here. Empty without a matrix, or for a matrix that does not exist; a cycle in bad
    data ends the walk.
    """
    if principal.matrix_id is None:
        return set()
    return set(session.scalars(accounts_access.subtree_ids(principal.matrix_id)))


def matrix_account_ids(matrix_id: int) -> Select[int]:
    """Return a SELECT of the member accounts of matrix ``matrix_id`` and of every matrix
    below it (one recursive CTE)."""
    return select(MatrixMember.account_id).where(
        MatrixMember.matrix_id.in_(accounts_access.subtree_ids(matrix_id))
    )


def matrix_account_parts(matrix_id: int) -> tuple[Select[int], Select[int]]:
    """Return the accounts of :func:`matrix_account_ids` as two SELECTs with none in common:
    the members of matrix ``matrix_id`` itself, and those of the matrices below it that are
    not among them.

    Read each on its own (:func:`zhengwu.index.dimensions.member_keys`), the first comes
    straight from the membership index and the second is what the matrices below add, so
    the database does not gather and deduplicate every membership of the subtree: a national
    matrix holding all 180,000 accounts has 540,000 memberships below and in it, and its
    accounts were read in 0.4–0.5 s that way against 0.2–0.3 s so (PostgreSQL).
    """
    below = accounts_access.subtree_ids(matrix_id)
    below = below.where(below.selected_columns[0] != matrix_id)
    own = aliased(MatrixMember)
    in_matrix = select(own.account_id).where(
        own.matrix_id == matrix_id, own.account_id == MatrixMember.account_id
    )
    return (
        select(MatrixMember.account_id).where(MatrixMember.matrix_id == matrix_id),
        select(MatrixMember.account_id).where(
            MatrixMember.matrix_id.in_(below), ~in_matrix.exists()
        ),
    )


def compliance_accounts(
    session: Session, principal: Principal, matrix_id: int | None = None
) -> Select[int] | pa.Table | None:
    """Return the accounts whose compliance ``principal`` reads (None: every one), as a
    SELECT of their ids or (a matrix) the keys the gate checks, already read.

    Admin and operator read every account; a matrix office the members of its matrix and
    of the matrices below it (none without a matrix). ``matrix_id`` narrows that to one
    matrix and the matrices below it — its own members, then what the matrices below add
    (:func:`matrix_account_parts`, as the matrix page reads them) —: an unknown one is a
    404, for an office one outside its own subtree a 403.
    """
    from zhengwu.index.dimensions import member_keys

    require_read(principal)
    office = principal.role == "matrix_office"
    if matrix_id is not None:
        if office:
            accounts_access.get_readable_matrix(session, principal, matrix_id)
        else:
            accounts_service.get_matrix(session, matrix_id=matrix_id)
        return member_keys(session, matrix_account_parts(matrix_id))[0]
    if office:
        return accounts_access.readable_account_ids(principal)
    return None


def name_matrices(session: Session, report: dict[str, Any], below: int | None) -> None:
    """Set each of ``report``'s rows' ``matrices`` (所属矩阵): the matrices its account is a
    member of among matrix ``below`` and those below it (None: among every matrix), by name
    (ties by id), each ``{"id", "name"}`` — one query for the rows.

    The matrix page's failing table and its export name them (joined by 、), and so does
    ``GET /api/index/compliance`` (below its ``?matrix=``, or an office's own matrix).
    """
    found = accounts_service.member_matrices(
        session, (r["account_id"] for r in report["rows"]), below=below
    )
    for row in report["rows"]:
        row["matrices"] = [{"id": m.id, "name": m.name} for m in found.get(row["account_id"], [])]


def scope_root(principal: Principal, matrix_id: int | None) -> int | None:
    """Return the matrix whose subtree a compliance report of ``principal`` covers: the one
    asked for, else an office's own (None: every account, for admin and operator)."""
    if matrix_id is not None:
        return matrix_id
    return principal.matrix_id if principal.role == "matrix_office" else None


def can_flag(session: Session, principal: Principal, account: Account) -> bool:
    """Return whether ``principal`` may set a manual compliance flag on ``account``."""
    if not principal.is_authenticated or not principal.has_role(*FLAG_ROLES):
        return False
    if principal.role == "admin":
        return True
    matrices = overseen_matrices(session, principal)
    query = select(MatrixMember.account_id).where(
        MatrixMember.account_id == account.id, MatrixMember.matrix_id.in_(matrices or {-1})
    )
    return session.scalar(select(query.exists())) is True


def require_flagging(principal: Principal) -> None:
    """Raise 403 unless ``principal``'s role may set compliance flags at all."""
    if not (principal.is_authenticated and principal.has_role(*FLAG_ROLES)):
        raise _refuse(principal, "设置合规标记", "set compliance flags")


def require_flag(session: Session, principal: Principal, account: Account) -> None:
    """Raise 403 unless ``principal`` may flag ``account`` (admin; its matrix's office)."""
    if can_flag(session, principal, account):
        return
    if principal.is_authenticated and principal.role == "matrix_office":
        raise ForbiddenError(
            f"账号 {account.name} 不在您管理的矩阵中，不能标记",
            f"account {account.platform}:{account.uid} is not in your matrix",
        )
    raise _refuse(principal, "设置合规标记", "set compliance flags")


# ---- publication ---------------------------------------------------------------------------


def publications(session: Session) -> dict[str, PublishedRun]:
    """Return every published run by run id."""
    return {p.run_id: p for p in session.scalars(select(PublishedRun))}


def publish(
    session: Session, con: duckdb.DuckDBPyConnection, *, principal: Principal, run_id: str
) -> PublishedRun:
    """Publish the stored run ``run_id`` (idempotent: publishing again keeps the first record)."""
    require_publish(principal)
    run = results.get_run(con, run_id)  # 404 when it is not stored
    found = session.get(PublishedRun, run_id)
    if found is not None:
        return found
    end: date = run["end_date"]
    published = PublishedRun(
        run_id=run_id, system=run["system"], period=run["period"], period_end=end,
        published_by=principal.username,
    )  # fmt: skip
    session.add(published)
    session.flush()
    return published


def withdraw(session: Session, *, principal: Principal, run_id: str) -> None:
    """Withdraw the publication of ``run_id`` (its rankings stop being public)."""
    require_publish(principal)
    found = session.get(PublishedRun, run_id)
    if found is None:
        shown = sorted(publications(session))[:20]
        listed = ", ".join(shown) or "—"
        raise NotFoundError(
            f"{run_id} 未发布（已发布的：{listed}）",
            f"{run_id} is not published (published: {listed})",
        )
    session.delete(found)
    session.flush()


_LATEST_FIRST = (
    PublishedRun.period_end.desc(),
    PublishedRun.published_at.desc(),
    PublishedRun.run_id,
)


def latest_published(session: Session, con: duckdb.DuckDBPyConnection) -> PublishedRun | None:
    """Return the published run of the latest period whose results are still stored."""
    stored = {r["run_id"] for r in results.list_runs(con)}
    query = select(PublishedRun).order_by(*_LATEST_FIRST)
    return next((p for p in session.scalars(query) if p.run_id in stored), None)


def latest_publication(session: Session) -> PublishedRun | None:
    """Return the latest publication by the operational DB alone (the store unread: it may
    be busy), in the order of :func:`latest_published`."""
    return session.scalars(select(PublishedRun).order_by(*_LATEST_FIRST).limit(1)).first()
