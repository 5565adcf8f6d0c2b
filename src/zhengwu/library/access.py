"""Who may see and manage what in the content library — its one access rule.

- admin: everything;
- matrix office (矩阵管理员) of matrix M: manages the items of M; also sees the items that
  descendant matrices share (``shared``) and those ancestor matrices share down to M;
- operator (账号运营) of organisation O: manages O's items; sees the items of "its
  matrices" (the user's matrix and every matrix where one of O's accounts is a member)
  whose visibility is ``matrix`` or ``shared``, and items ancestor matrices share down;
- everyone else (handler, dispatcher, verifier, team, the public): nothing (403).

Visibility of an item: ``organization`` (its organisation and its matrix's office),
``matrix`` (also the operators of its matrix), ``shared`` (also the matrices below it, and
the offices above it). Every route, the CLI and the search service go through here.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, false, literal, or_, select, union
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, NotFoundError
from zhengwu.library.models import ContentItem

LIBRARY_ROLES = ("matrix_office", "operator")


def require_library(principal: Principal) -> None:
    """Raise 403 unless ``principal`` may use the library at all (office, operator, admin)."""
    principal.require(*LIBRARY_ROLES)


def descendants(matrix_ids: Select[int]) -> Select[int]:
    """Return a SELECT of the matrices below ``matrix_ids`` (and themselves), any depth."""
    tree = (
        select(Matrix.id.label("id"))
        .where(Matrix.id.in_(matrix_ids))
        .cte("library_down", recursive=True)
    )
    tree = tree.union(select(Matrix.id).where(Matrix.parent_id == tree.c.id))
    return select(tree.c.id)


def ancestors(matrix_ids: Select[int]) -> Select[int]:
    """Return a SELECT of the matrices above ``matrix_ids`` (and themselves), any depth."""
    tree = (
        select(Matrix.id.label("id"), Matrix.parent_id.label("parent_id"))
        .where(Matrix.id.in_(matrix_ids))
        .cte("library_up", recursive=True)
    )
    tree = tree.union(select(Matrix.id, Matrix.parent_id).where(Matrix.id == tree.c.parent_id))
    return select(tree.c.id)


def own_matrices(principal: Principal) -> Select[int]:
    """Return a SELECT of the matrices ``principal`` works in (see the module docstring)."""
    if principal.role == "admin":
        return select(Matrix.id)
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        return select(literal(principal.matrix_id).label("id"))
    if principal.role == "operator":
        parts: list[Select[int]] = []
        if principal.matrix_id is not None:
            parts.append(select(literal(principal.matrix_id).label("id")))
        if principal.organization_id is not None:
            parts.append(
                select(MatrixMember.matrix_id.label("id"))
                .join(Account, Account.id == MatrixMember.account_id)
                .where(Account.organization_id == principal.organization_id)
            )
        if parts:
            return select(union(*parts).subquery().c.id)
    return select(Matrix.id).where(false())


def distribution_matrices(principal: Principal) -> Select[int]:
    """Return a SELECT of the matrices whose members ``principal`` may publish on.

    A matrix office plans for its matrix and the matrices below it; an operator for its
    own matrices, and there only on its organisation's accounts
    (:func:`zhengwu.library.distribution.eligible_accounts`).
    """
    if principal.role == "matrix_office":
        return descendants(own_matrices(principal))
    return own_matrices(principal)


def readable_items(principal: Principal) -> Select[ContentItem]:
    """Return a SELECT of the items ``principal`` may see (the search service filters by it)."""
    query = select(ContentItem)
    if principal.role == "admin":
        return query
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        mine = own_matrices(principal)
        return query.where(
            or_(
                ContentItem.matrix_id == principal.matrix_id,
                and_(
                    ContentItem.visibility == "shared",
                    or_(
                        ContentItem.matrix_id.in_(descendants(mine)),
                        ContentItem.matrix_id.in_(ancestors(mine)),
                    ),
                ),
            )
        )
    if principal.role == "operator" and principal.organization_id is not None:
        mine = own_matrices(principal)
        return query.where(
            or_(
                ContentItem.organization_id == principal.organization_id,
                and_(
                    ContentItem.visibility.in_(("matrix", "shared")),
                    ContentItem.matrix_id.in_(mine),
                ),
                and_(
                    ContentItem.visibility == "shared", ContentItem.matrix_id.in_(ancestors(mine))
                ),
            )
        )
    return query.where(false())


def can_read(session: Session, principal: Principal, item: ContentItem) -> bool:
    """Return whether ``principal`` may see ``item``."""
    query = readable_items(principal).where(ContentItem.id == item.id)
    return session.scalar(select(query.exists())) is True


def can_manage(principal: Principal, item: ContentItem) -> bool:
    """Return whether ``principal`` may edit, label, upload to or delete ``item``."""
    if principal.role == "admin":
        return True
    if principal.role == "matrix_office" and principal.matrix_id is not None:
        return item.matrix_id == principal.matrix_id
    if principal.role == "operator" and principal.organization_id is not None:
        return item.organization_id == principal.organization_id
    return False


def get_readable(session: Session, principal: Principal, item_id: int) -> ContentItem:
    """Return an item ``principal`` may see; 403 for other roles, 404 when unseen or absent."""
    require_library(principal)
    item = session.get(ContentItem, item_id)
    if item is None or not can_read(session, principal, item):
        raise NotFoundError(f"内容 {item_id} 不存在", f"library item {item_id} not found")
    return item


def get_manageable(session: Session, principal: Principal, item_id: int) -> ContentItem:
    """Return an item ``principal`` may manage (403 when it may only see it)."""
    item = get_readable(session, principal, item_id)
    if not can_manage(principal, item):
        raise ForbiddenError(
            f"无权修改内容 {item_id}（只能查看）", f"you may view but not change item {item_id}"
        )
    return item


def can_create_in(session: Session, principal: Principal, matrix_id: int | None) -> bool:
    """Return whether ``principal`` may file a new item under ``matrix_id``."""
    if principal.role == "admin":
        return True
    if matrix_id is None:
        return principal.role == "operator"
    return matrix_id in set(session.scalars(own_matrices(principal)))
