"""Who may read and change accounts, organisations and matrices — the one rule of the domain.

- admin: everything;
- matrix office (矩阵管理员, ``principal.matrix_id``): its matrix and every matrix below it
  (the tree through ``Matrix.parent_id``) — reads them and their member accounts and
  organisations; creates sub-matrices under them, renames, moves within that subtree
  (never its own matrix out of it), adds, removes and imports members; registers the
  published numbers (公开电话) of those organisations;
- operator / handler of organisation X (``principal.organization_id``): reads X's accounts,
  X itself, and the matrices those accounts sit in; changes nothing;
- everyone else (dispatcher, verifier, team, the public): nothing here (403; the public is
  asked to log in first).

Every route of ``accounts.views`` and the matrix console goes through these functions.
"""

from __future__ import annotations

from sqlalchemy import Select, false, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, NotFoundError

MANAGING_ROLES = frozenset({"admin", "matrix_office"})
READING_ROLES = frozenset({"admin", "matrix_office", "operator", "handler"})
ORGANIZATION_ROLES = frozenset({"operator", "handler"})


def subtree_ids(root_id: int) -> Select[int]:
    """Return a SELECT of ``root_id`` and the ids of every matrix below it.

    A recursive CTE with UNION (not UNION ALL): a cycle in bad data ends the recursion
    instead of looping, on SQLite and PostgreSQL alike.
    """
    tree = select(Matrix.id).where(Matrix.id == root_id).cte("matrix_subtree", recursive=True)
    tree = tree.union(select(Matrix.id).join(tree, Matrix.parent_id == tree.c.id))
    return select(tree.c.id)


def _is_office(principal: Principal) -> bool:
    return principal.role == "matrix_office" and principal.matrix_id is not None


def _is_org_reader(principal: Principal) -> bool:
    return principal.role in ORGANIZATION_ROLES and principal.organization_id is not None


def manageable_matrix_ids(principal: Principal) -> Select[int]:
    """Return a SELECT of the ids of the matrices ``principal`` may change."""
    if principal.role == "admin":
        return select(Matrix.id)
    if _is_office(principal):
        assert principal.matrix_id is not None
        return subtree_ids(principal.matrix_id)
    return select(Matrix.id).where(false())


def manageable_matrices(principal: Principal) -> Select[Matrix]:
    """Return a SELECT of the matrices ``principal`` may change (create under, rename, move)."""
    if principal.role == "admin":
        return select(Matrix)
    return select(Matrix).where(Matrix.id.in_(manageable_matrix_ids(principal)))


def _org_account_ids(organization_id: int) -> Select[int]:
    return select(Account.id).where(Account.organization_id == organization_id)


def readable_matrix_ids(principal: Principal) -> Select[int]:
    """Return a SELECT of the ids of the matrices ``principal`` may read."""
    if _is_org_reader(principal):
        assert principal.organization_id is not None
        return select(MatrixMember.matrix_id).where(
            MatrixMember.account_id.in_(_org_account_ids(principal.organization_id))
        )
    return manageable_matrix_ids(principal)


def readable_matrices(principal: Principal) -> Select[Matrix]:
    """Return a SELECT of the matrices ``principal`` may read."""
    if principal.role == "admin":
        return select(Matrix)
    return select(Matrix).where(Matrix.id.in_(readable_matrix_ids(principal)))


def readable_account_ids(principal: Principal) -> Select[int]:
    """Return a SELECT of the ids of the accounts ``principal`` may read."""
    if principal.role == "admin":
        return select(Account.id)
    if _is_office(principal):
        return select(MatrixMember.account_id).where(
            MatrixMember.matrix_id.in_(manageable_matrix_ids(principal))
        )
    if _is_org_reader(principal):
        assert principal.organization_id is not None
        return _org_account_ids(principal.organization_id)
    return select(Account.id).where(false())


def readable_accounts(principal: Principal) -> Select[Account]:
    """Return a SELECT of the accounts ``principal`` may read."""
    if principal.role == "admin":
        return select(Account)
    if _is_org_reader(principal):
        assert principal.organization_id is not None
        return select(Account).where(Account.organization_id == principal.organization_id)
    return select(Account).where(Account.id.in_(readable_account_ids(principal)))


def readable_organizations(principal: Principal) -> Select[Organization]:
    """Return a SELECT of the organisations ``principal`` may read.

    An office reads the bodies that run an account of its matrices; an operator or
    handler its own body.
    """
    if principal.role == "admin":
        return select(Organization)
    if _is_org_reader(principal):
        return select(Organization).where(Organization.id == principal.organization_id)
    if _is_office(principal):
        orgs = select(Account.organization_id).where(
            Account.id.in_(readable_account_ids(principal)),
            Account.organization_id.is_not(None),
        )
        return select(Organization).where(Organization.id.in_(orgs))
    return select(Organization).where(false())


def _refuse(principal: Principal) -> ForbiddenError:
    if not principal.is_authenticated:
        return ForbiddenError(
            "请先登录后再查看账号与矩阵", "please log in to see accounts and matrices"
        )
    return ForbiddenError(
        f"当前角色（{principal.role_label}）无权管理账号与矩阵",
        f"role {principal.role!r} has no access to accounts and matrices",
    )


def require_reader(principal: Principal) -> None:
    """Raise 403 unless ``principal`` may use the account and matrix API at all."""
    if principal.role not in READING_ROLES:
        raise _refuse(principal)


def require_manager(principal: Principal) -> None:
    """Raise 403 unless ``principal``'s role may change matrices (admin, matrix office)."""
    require_reader(principal)
    if principal.role not in MANAGING_ROLES or (
        principal.role == "matrix_office" and principal.matrix_id is None
    ):
        raise ForbiddenError(
            f"当前角色（{principal.role_label}）只能查看，不能修改矩阵",
            f"role {principal.role!r} may read but not change matrices",
        )


def _contains(
    session: Session, column: InstrumentedAttribute[int], ids: Select[int], wanted: int
) -> bool:
    query = select(column).where(column == wanted, column.in_(ids))
    return session.scalar(select(query.exists())) is True


def can_read_matrix(session: Session, principal: Principal, matrix: Matrix) -> bool:
    """Return whether ``principal`` may read ``matrix``."""
    if principal.role == "admin":
        return True
    if principal.role not in READING_ROLES:
        return False
    return _contains(session, Matrix.id, readable_matrix_ids(principal), matrix.id)


def can_manage_matrix(session: Session, principal: Principal, matrix: Matrix) -> bool:
    """Return whether ``principal`` may change ``matrix`` (its name, members, children)."""
    if principal.role == "admin":
        return True
    if not _is_office(principal):
        return False
    return _contains(session, Matrix.id, manageable_matrix_ids(principal), matrix.id)


def can_move_matrix(session: Session, principal: Principal, matrix: Matrix) -> bool:
    """Return whether ``principal`` may move ``matrix`` (an office never moves its own root)."""
    if principal.role == "admin":
        return True
    return matrix.id != principal.matrix_id and can_manage_matrix(session, principal, matrix)


def _matrix(session: Session, matrix_id: int) -> Matrix:
    matrix = session.get(Matrix, matrix_id)
    if matrix is None:
        raise NotFoundError(f"矩阵不存在：{matrix_id}", f"no such matrix: {matrix_id}")
    return matrix


def get_readable_matrix(session: Session, principal: Principal, matrix_id: int) -> Matrix:
    """Return matrix ``matrix_id`` if ``principal`` may read it (404 unknown, 403 not theirs)."""
    require_reader(principal)
    matrix = _matrix(session, matrix_id)
    if not can_read_matrix(session, principal, matrix):
        raise ForbiddenError(
            f"无权查看矩阵「{matrix.name}」", f"you may not read matrix {matrix_id}"
        )
    return matrix


def get_manageable_matrix(session: Session, principal: Principal, matrix_id: int) -> Matrix:
    """Return matrix ``matrix_id`` if ``principal`` may change it (404 unknown, 403 not theirs)."""
    require_manager(principal)
    matrix = _matrix(session, matrix_id)
    if not can_manage_matrix(session, principal, matrix):
        raise ForbiddenError(
            f"这不是您管理的矩阵：{matrix.name}", f"matrix {matrix_id} is not one you manage"
        )
    return matrix


def require_parent(session: Session, principal: Principal, parent_id: int | None) -> Matrix | None:
    """Return the parent a matrix may be placed under by ``principal`` (None: top level).

    Only an admin creates or moves matrices at the top level; an office places them under
    a matrix of its own subtree.
    """
    require_manager(principal)
    if parent_id is None:
        if principal.role != "admin":
            raise ForbiddenError(
                "只有平台管理员可以创建或移动顶级矩阵", "only an admin places top-level matrices"
            )
        return None
    parent = _matrix(session, parent_id)
    if not can_manage_matrix(session, principal, parent):
        raise ForbiddenError(
            f"上级矩阵「{parent.name}」不在您管理的范围内",
            f"parent matrix {parent_id} is not one you manage",
        )
    return parent


def get_readable_account(session: Session, principal: Principal, account_id: int) -> Account:
    """Return account ``account_id`` if ``principal`` may read it (404 unknown, 403 not theirs)."""
    require_reader(principal)
    account = session.get(Account, account_id)
    if account is None:
        raise NotFoundError(f"账号不存在：{account_id}", f"no such account: {account_id}")
    if principal.role != "admin" and not _contains(
        session, Account.id, readable_account_ids(principal), account.id
    ):
        raise ForbiddenError(
            f"无权查看账号「{account.name}」", f"you may not read account {account_id}"
        )
    return account


def get_manageable_organization(
    session: Session, principal: Principal, organization_id: int
) -> Organization:
    """Return organisation ``organization_id`` if ``principal`` may change it (404, 403).

    An admin changes every organisation, a matrix office those it reads (the bodies that
    run an account of its matrices).
    """
    require_manager(principal)
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFoundError(
            f"机构不存在：{organization_id}", f"no such organisation: {organization_id}"
        )
    if principal.role != "admin":
        readable = readable_organizations(principal).where(Organization.id == org.id)
        if session.scalar(readable) is None:
            raise ForbiddenError(
                f"机构「{org.name}」不在您管理的矩阵内",
                f"organisation {organization_id} is outside the matrices you manage",
            )
    return org


def get_readable_organization(
    session: Session, principal: Principal, organization_id: int
) -> Organization:
    """Return organisation ``organization_id`` if ``principal`` may read it (404, 403)."""
    require_reader(principal)
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFoundError(
            f"机构不存在：{organization_id}", f"no such organisation: {organization_id}"
        )
    if principal.role != "admin" and not can_read_organization(session, principal, org):
        raise ForbiddenError(
            f"无权查看机构「{org.name}」", f"you may not read organisation {organization_id}"
        )
    return org


def can_read_organization(session: Session, principal: Principal, org: Organization) -> bool:
    """Return whether ``principal`` may read ``org``."""
    if principal.role == "admin":
        return True
    readable = readable_organizations(principal).where(Organization.id == org.id)
    return session.scalar(select(readable.exists())) is True


def can_manage_organization(session: Session, principal: Principal, org: Organization) -> bool:
    """Return whether ``principal`` may change ``org`` (its published numbers)."""
    if principal.role == "admin":
        return True
    return _is_office(principal) and can_read_organization(session, principal, org)
