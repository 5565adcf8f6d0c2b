"""Who may read and change accounts, organisations and matrices — the one rule of the domain.

- admin: everything;
- matrix office (矩阵管理员, ``principal.matrix_id``): its matrix and every matrix below it
  (the tree through ``Matrix.parent_id``) — reads them and their member accounts and
  organisations; creates sub-matrices under them, renames, moves within that subtree
  (never its own matrix out of it, never retypes it), adds, removes and imports members —
  only accounts within its *account scope* (below); registers the published numbers
  (公开电话) of those organisations;
- operator / handler of organisation X (``principal.organization_id``): reads X's accounts,
  X itself, and the matrices those accounts sit in; changes nothing;
- everyone else (dispatcher, verifier, team, the public): nothing here (403; the public is
  asked to log in first).

Every route of ``accounts.views`` and the matrix console goes through these functions.

Account scope of a matrix office (:func:`addable_account_ids`) — the accounts it may put
into its matrices, so that it can never take over (and then publish on) an account that is
not its own:

1. the accounts already members of a matrix of its subtree, and
2. the accounts of organisations whose region (``Organization.adcode``) lies inside the
   region of its own matrix — the matrix's adcode, or the nearest ancestor's when it has
   none (a vertical sub-matrix lies in its parent's region); for a vertical matrix with a
   sector (系统) only the organisations of that sector.

An account not linked to an organisation is in no region (its platform location is what
its owner typed): only an admin adds it. A sub-matrix's region must lie inside its
parent's (:func:`zhengwu.accounts.service.create_matrix`), and the scope is that of the
office's own matrix, so creating sub-matrices never widens it. Admins add any account.
"""

from __future__ import annotations

from sqlalchemy import Select, false, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhengwu import regions
from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, InvalidInputError, NotFoundError
from zhengwu.regions.codes import level_of

MANAGING_ROLES = frozenset({"admin", "matrix_office"})
READING_ROLES = frozenset({"admin", "matrix_office", "operator", "handler"})
ORGANIZATION_ROLES = frozenset({"operator", "handler"})


def subtree_ids(root_id: int, *, name: str = "matrix_subtree") -> Select[int]:
    """Return a SELECT of ``root_id`` and the ids of every matrix below it.

    A recursive CTE with UNION (not UNION ALL): a cycle in bad data ends the recursion
    instead of looping, on SQLite and PostgreSQL alike. ``name`` names the CTE: two
    subtrees in one statement need two names.
    """
    tree = select(Matrix.id).where(Matrix.id == root_id).cte(name, recursive=True)
    tree = tree.union(select(Matrix.id).join(tree, Matrix.parent_id == tree.c.id))
    return select(tree.c.id)


def ancestor_ids(matrix_id: int, *, name: str = "matrix_ancestors") -> Select[int]:
    """Return a SELECT of the ids of every matrix above ``matrix_id`` (its parent, the
    parent's parent, … up to the top; not the matrix itself).

    A recursive CTE climbing ``parent_id``, with UNION as in :func:`subtree_ids`: a cycle in
    bad data ends the climb (each matrix once) on SQLite and PostgreSQL alike.
    """
    up = select(Matrix.id, Matrix.parent_id).where(Matrix.id == matrix_id).cte(name, recursive=True)
    up = up.union(select(Matrix.id, Matrix.parent_id).join(up, Matrix.id == up.c.parent_id))
    return select(up.c.id).where(up.c.id != matrix_id)


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


def require_retype(
    principal: Principal, matrix: Matrix, *, kind: str | None, sector: str | None
) -> None:
    """Raise 403 when an office would change the kind or sector of its own root matrix.

    They bound the office's account scope (a vertical matrix's sector narrows it), so
    only an admin changes them.
    """
    retyped = kind is not None and kind != matrix.kind
    resectored = sector is not None and (" ".join(sector.split()) or None) != matrix.sector
    if (retyped or resectored) and principal.role != "admin" and matrix.id == principal.matrix_id:
        raise ForbiddenError(
            "不能修改您自己的根矩阵的类型或系统（它们决定您的管理范围），请联系平台管理员",
            "a matrix office may not change the kind or sector of its own root matrix "
            "(they bound its scope): ask an admin",
        )


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


# -- the account scope of a matrix office (see the module docstring) -------------------------


def matrix_region(session: Session, matrix: Matrix) -> str | None:
    """Return the region of ``matrix``: its adcode, else its nearest ancestor's (None: none).

    Old codes resolve to their successor; a cycle in bad data ends the walk.
    """
    seen: set[int] = set()
    current: Matrix | None = matrix
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if current.adcode:
            division = regions.get(current.adcode)
            return division.adcode if division is not None else current.adcode
        current = session.get(Matrix, current.parent_id) if current.parent_id else None
    return None


def region_prefix(adcode: str) -> str:
    """Return the code prefix every division inside ``adcode`` starts with (4101 for 410100)."""
    level = level_of(adcode)
    return adcode[:2] if level == "province" else adcode[:4] if level == "city" else adcode


def region_contains(region: str, adcode: str) -> bool:
    """Return whether division ``adcode`` lies inside (or is) division ``region``."""
    inner, outer = regions.get(adcode), regions.get(region)
    if inner is None or outer is None:  # not in the table: the codes themselves decide
        return adcode.startswith(region_prefix(region))
    return outer.adcode in regions.ancestors(inner.adcode)


def region_label(adcode: str) -> str:
    """Return ``名称（代码）`` of a division for messages (the bare code when unknown)."""
    division = regions.get(adcode)
    return f"{division.name}（{adcode}）" if division is not None else adcode


def check_region_inside(
    *, name: str, adcode: str | None, parent_name: str, parent_region: str | None
) -> None:
    """Refuse (422) a matrix whose region ``adcode`` is not inside its parent's region.

    The one check of a matrix's place in the tree, for the API, the console and the
    importer alike. ``parent_region`` is the parent's adcode, or its nearest ancestor's
    (:func:`matrix_region`); None — a top-level matrix or a parent without any region —
    and a matrix without an adcode of its own (it lies in its parent's region) always
    pass. A region holds itself and what lies below it (区县 in their 市, 市 in their 省),
    so a child in another place (320102 under 广州 440100) or at a higher level (广东
    440000 under 广州) is refused. Old codes count as their successors on both sides: a
    parent stored with 522200 铜仁地区 holds 520602 碧江区 of today's 铜仁市 520600.

    The rule is the same for vertical matrices (垂直矩阵): one with an adcode (湖南公安
    430000) lies inside its parent's region; its sector (系统) is not compared with the
    parent's (a 政法 matrix may hold 公安 and 法院 ones).
    """
    if adcode is None or parent_region is None or region_contains(parent_region, adcode):
        return
    raise InvalidInputError(
        f"矩阵「{name}」的区域 {region_label(adcode)} 不在上级矩阵「{parent_name}」的区域 "
        f"{region_label(parent_region)} 之内",
        f"the region {adcode} of matrix {name!r} is not inside the region {parent_region} of "
        f"its parent matrix {parent_name!r}",
    )


def addable_account_ids(session: Session, principal: Principal) -> Select[int]:
    """Return a SELECT of the accounts ``principal`` may add to the matrices it manages.

    Admin: every account. Matrix office: its account scope (module docstring). Others:
    none.
    """
    if principal.role == "admin":
        return select(Account.id)
    if not _is_office(principal):
        return select(Account.id).where(false())
    root = session.get(Matrix, principal.matrix_id)
    members = select(MatrixMember.account_id.label("id")).where(
        MatrixMember.matrix_id.in_(manageable_matrix_ids(principal))
    )
    region = matrix_region(session, root) if root is not None else None
    if root is None or region is None:
        return select(members.subquery().c.id)
    orgs = select(Organization.id).where(
        Organization.adcode.startswith(region_prefix(region), autoescape=True)
    )
    if root.kind == "vertical" and root.sector:
        orgs = orgs.where(Organization.sector == root.sector)
    in_region = select(Account.id.label("id")).where(Account.organization_id.in_(orgs))
    return select(union(members, in_region).subquery().c.id)


def can_add_account(session: Session, principal: Principal, account: Account) -> bool:
    """Return whether ``principal`` may put ``account`` into a matrix it manages."""
    if principal.role == "admin":
        return True
    return _contains(session, Account.id, addable_account_ids(session, principal), account.id)


def require_addable(session: Session, principal: Principal, account: Account) -> None:
    """Raise 403 unless ``account`` lies within ``principal``'s account scope."""
    if not can_add_account(session, principal, account):
        raise ForbiddenError(
            f"账号「{account.name}」不在您管理的矩阵范围内，不能加入矩阵"
            "（只能添加本矩阵已有的账号，或所在区域内机构的账号；其他账号请联系平台管理员）",
            f"account {account.id} is outside the scope of the matrices you manage: you may "
            "add accounts already in your matrices, or of organisations in your matrix's "
            "region; ask an admin for others",
        )
