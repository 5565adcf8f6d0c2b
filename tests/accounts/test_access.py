"""The access rule of accounts, organisations and matrices, role by role (table-driven).

A small world — two cities' matrices, a three-level subtree, bodies with accounts on two
platforms — and every role, the public included, against every SELECT and checker of
``accounts.access`` (SQLite, and PostgreSQL when configured).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts import access
from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.auth.principal import PUBLIC, Principal
from zhengwu.errors import ForbiddenError, NotFoundError

ORGS = {
    "police": ("郑州市公安局", "市", "公安", "410100"),
    "js_housing": ("郑州市金水区住房和城乡建设局", "县", "住建", "410105"),
    "ly_housing": ("洛阳市住房和城乡建设局", "市", "住建", "410300"),
}
ACCOUNTS = {
    # key: (platform, uid, name, org key)
    "police_weibo": ("weibo", "1001", "平安郑州", "police"),
    "police_douyin": ("douyin", "d1001", "郑州警方", "police"),
    "js_weibo": ("weibo", "1002", "金水住建", "js_housing"),
    "hotline": ("weibo", "1003", "郑州12345", None),
    "ly_weibo": ("weibo", "2001", "洛阳住建", "ly_housing"),
    "loose": ("weibo", "9001", "中牟发布", None),
}
MATRICES = {
    # key: (name, kind, parent key, members as (account key, role))
    "zz": ("郑州政务新媒体矩阵", "regional", None,
           [("hotline", "lead"), ("police_weibo", "member"), ("js_weibo", "member")]),
    "zz_police": ("郑州公安新媒体矩阵", "vertical", "zz",
                  [("police_weibo", "lead"), ("police_douyin", "member")]),
    "zz_police_sub": ("郑州公安分局矩阵", "vertical", "zz_police", []),
    "ly": ("洛阳政务新媒体矩阵", "regional", None, [("ly_weibo", "lead")]),
}  # fmt: skip
# The regional matrices' regions; the vertical ones lie in their parent's (no sector: legacy).
REGIONS = {"zz": "410100", "ly": "410300"}
USERS = {
    # key: (role, org key, matrix key)
    "admin": ("admin", None, None),
    "office": ("matrix_office", None, "zz"),
    "office_police": ("matrix_office", None, "zz_police"),
    "ly_office": ("matrix_office", None, "ly"),
    "operator": ("operator", "police", None),
    "handler": ("handler", "js_housing", None),
    "dispatcher": ("dispatcher", None, None),
    "verifier": ("verifier", None, None),
    "team": ("team", None, None),
}
ROLES = [*USERS, "public"]


@dataclass
class World:
    """Ids of what the factories made, a principal per user (and API tokens when asked)."""

    orgs: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    matrices: dict[str, int] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str) -> dict[str, str]:
        """Return the Authorization header of ``user`` (none for the public)."""
        if user == "public":
            return {}
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def build_world(session: Session, *, with_tokens: bool = False) -> World:
    """Create the world in ``session`` (flushed, not committed)."""
    world = World()
    for key, (name, level, sector, adcode) in ORGS.items():
        org = Organization(name=name, level=level, sector=sector, adcode=adcode)
        session.add(org)
        session.flush()
        world.orgs[key] = org.id
    for key, (platform, uid, name, org_key) in ACCOUNTS.items():
        account = Account(
            platform=platform, uid=uid, name=name, is_government=org_key is not None,
            organization_id=world.orgs[org_key] if org_key else None,
            adcode=ORGS[org_key][3] if org_key else "410122",
        )  # fmt: skip
        session.add(account)
        session.flush()
        world.accounts[key] = account.id
    for key, (name, kind, parent, members) in MATRICES.items():
        matrix = Matrix(name=name, kind=kind, parent_id=world.matrices[parent] if parent else None,
                        adcode=REGIONS.get(key))  # fmt: skip
        session.add(matrix)
        session.flush()
        world.matrices[key] = matrix.id
        for account_key, role in members:
            session.add(MatrixMember(matrix_id=matrix.id, account_id=world.accounts[account_key],
                                     role=role))  # fmt: skip
            if role == "lead":
                matrix.lead_account_id = world.accounts[account_key]
    for key, (role, org_key, matrix_key) in USERS.items():
        user = User(
            username=f"u_{key}", display_name=f"用户{key}", password_hash="-", role=role,
            organization_id=world.orgs[org_key] if org_key else None,
            matrix_id=world.matrices[matrix_key] if matrix_key else None,
        )  # fmt: skip
        session.add(user)
        session.flush()
        world.principals[key] = auth_service.principal_of(user)
        if with_tokens:
            world.tokens[key] = auth_service.create_token(session, user, "test")
    world.principals["public"] = PUBLIC
    session.flush()
    return world


@pytest.fixture
def world(session: Session) -> World:
    """The world inside the rolled-back test transaction."""
    return build_world(session)


ALL_MATRICES = set(MATRICES)
READABLE_MATRICES = {
    "admin": ALL_MATRICES,
    "office": {"zz", "zz_police", "zz_police_sub"},
    "office_police": {"zz_police", "zz_police_sub"},
    "ly_office": {"ly"},
    "operator": {"zz", "zz_police"},  # the matrices 平安郑州 and 郑州警方 sit in
    "handler": {"zz"},
}
MANAGEABLE_MATRICES = {
    "admin": ALL_MATRICES,
    "office": {"zz", "zz_police", "zz_police_sub"},
    "office_police": {"zz_police", "zz_police_sub"},
    "ly_office": {"ly"},
}
READABLE_ACCOUNTS = {
    "admin": set(ACCOUNTS),
    "office": {"police_weibo", "police_douyin", "js_weibo", "hotline"},
    "office_police": {"police_weibo", "police_douyin"},
    "ly_office": {"ly_weibo"},
    "operator": {"police_weibo", "police_douyin"},
    "handler": {"js_weibo"},
}
READABLE_ORGS = {
    "admin": set(ORGS),
    "office": {"police", "js_housing"},
    "office_police": {"police"},
    "ly_office": {"ly_housing"},
    "operator": {"police"},
    "handler": {"js_housing"},
}


# The accounts each role may put into a matrix (its account scope): the members of its
# subtree, and the accounts of bodies in its matrix's region (郑州公安 lies in 郑州's).
# 中牟发布 (no organisation, though its profile says 中牟县) is in no office's scope.
ADDABLE_ACCOUNTS = {
    "admin": set(ACCOUNTS),
    "office": {"police_weibo", "police_douyin", "js_weibo", "hotline"},
    "office_police": {"police_weibo", "police_douyin", "js_weibo"},
    "ly_office": {"ly_weibo"},
}


def _keys(ids: dict[str, int], found: set[int]) -> set[str]:
    return {k for k, v in ids.items() if v in found}


@pytest.mark.parametrize("role", ROLES)
def test_readable_and_manageable_sets_per_role(session: Session, world: World, role: str) -> None:
    p = world.principals[role]
    matrices = {m.id for m in session.scalars(access.readable_matrices(p))}
    assert _keys(world.matrices, matrices) == READABLE_MATRICES.get(role, set())
    assert set(session.scalars(access.readable_matrix_ids(p))) == matrices
    manageable = {m.id for m in session.scalars(access.manageable_matrices(p))}
    assert _keys(world.matrices, manageable) == MANAGEABLE_MATRICES.get(role, set())
    accounts = {a.id for a in session.scalars(access.readable_accounts(p))}
    assert _keys(world.accounts, accounts) == READABLE_ACCOUNTS.get(role, set())
    assert set(session.scalars(access.readable_account_ids(p))) == accounts
    orgs = {o.id for o in session.scalars(access.readable_organizations(p))}
    assert _keys(world.orgs, orgs) == READABLE_ORGS.get(role, set())


@pytest.mark.parametrize("role", ROLES)
def test_checkers_per_role(session: Session, world: World, role: str) -> None:
    p = world.principals[role]
    readers = set(READABLE_MATRICES)
    if role in readers:
        access.require_reader(p)
    else:
        with pytest.raises(ForbiddenError) as refused:
            access.require_reader(p)
        # The public is asked to log in; staff of other areas are told their role.
        assert ("请先登录" in refused.value.message_zh) == (role == "public")
    if role in MANAGEABLE_MATRICES:
        access.require_manager(p)
    else:
        with pytest.raises(ForbiddenError):
            access.require_manager(p)
    for key, matrix_id in world.matrices.items():
        matrix = session.get(Matrix, matrix_id)
        assert matrix is not None
        may_read = key in READABLE_MATRICES.get(role, set())
        may_manage = key in MANAGEABLE_MATRICES.get(role, set())
        assert access.can_read_matrix(session, p, matrix) is may_read, key
        assert access.can_manage_matrix(session, p, matrix) is may_manage, key
        # An office never moves (or deletes) its own root.
        assert access.can_move_matrix(session, p, matrix) is (
            may_manage and matrix_id != p.matrix_id
        )
        if may_read:
            assert access.get_readable_matrix(session, p, matrix_id) is matrix
        else:
            with pytest.raises(ForbiddenError):
                access.get_readable_matrix(session, p, matrix_id)
        if may_manage:
            assert access.get_manageable_matrix(session, p, matrix_id) is matrix
        else:
            with pytest.raises(ForbiddenError):
                access.get_manageable_matrix(session, p, matrix_id)
    for key, account_id in world.accounts.items():
        if key in READABLE_ACCOUNTS.get(role, set()):
            assert access.get_readable_account(session, p, account_id).id == account_id
        else:
            with pytest.raises(ForbiddenError):
                access.get_readable_account(session, p, account_id)


@pytest.mark.parametrize("role", [r for r in ROLES if r in READABLE_MATRICES])
def test_unknown_ids_are_404_for_readers(session: Session, world: World, role: str) -> None:
    p = world.principals[role]
    with pytest.raises(NotFoundError):
        access.get_readable_matrix(session, p, 987654)
    with pytest.raises(NotFoundError):
        access.get_readable_account(session, p, 987654)


@pytest.mark.parametrize("role", ROLES)
def test_organisation_checkers_per_role(session: Session, world: World, role: str) -> None:
    # The console's checkers answer as the API's getters do (read, and register numbers).
    p = world.principals[role]
    for key, org_id in world.orgs.items():
        org = session.get(Organization, org_id)
        assert org is not None
        may_read = key in READABLE_ORGS.get(role, set())
        may_manage = may_read and role in MANAGEABLE_MATRICES
        assert access.can_read_organization(session, p, org) is may_read, key
        assert access.can_manage_organization(session, p, org) is may_manage, key
        if may_read:
            assert access.get_readable_organization(session, p, org_id) is org
        else:
            with pytest.raises(ForbiddenError):
                access.get_readable_organization(session, p, org_id)
        if may_manage:
            assert access.get_manageable_organization(session, p, org_id) is org
        else:
            with pytest.raises(ForbiddenError):
                access.get_manageable_organization(session, p, org_id)
    if role in READABLE_ORGS:
        with pytest.raises(NotFoundError):
            access.get_readable_organization(session, p, 987654)


PARENTS: list[tuple[str, str | None, bool]] = [
    # (role, parent key or top level, allowed)
    ("admin", None, True),
    ("admin", "ly", True),
    ("office", None, False),
    ("office", "zz", True),
    ("office", "zz_police_sub", True),
    ("office", "ly", False),
    ("office_police", "zz", False),  # above its own root
    ("office_police", "zz_police", True),
    ("operator", "zz", False),
    ("handler", "zz", False),
    ("dispatcher", "zz", False),
    ("public", "zz", False),
]


@pytest.mark.parametrize(("role", "parent", "allowed"), PARENTS)
def test_where_each_role_may_place_a_matrix(
    session: Session, world: World, role: str, parent: str | None, allowed: bool
) -> None:
    p = world.principals[role]
    parent_id = world.matrices[parent] if parent else None
    check: Callable[[], Matrix | None] = lambda: access.require_parent(session, p, parent_id)  # noqa: E731
    if allowed:
        found = check()
        assert (found.id if found else None) == parent_id
    else:
        with pytest.raises(ForbiddenError):
            check()


@pytest.mark.parametrize("role", ROLES)
def test_addable_accounts_per_role(session: Session, world: World, role: str) -> None:
    p = world.principals[role]
    found = set(session.scalars(access.addable_account_ids(session, p)))
    assert _keys(world.accounts, found) == ADDABLE_ACCOUNTS.get(role, set())
    for key, account_id in world.accounts.items():
        account = session.get(Account, account_id)
        assert account is not None
        allowed = key in ADDABLE_ACCOUNTS.get(role, set())
        assert access.can_add_account(session, p, account) is allowed, key
        if not allowed:
            with pytest.raises(ForbiddenError) as refused:
                access.require_addable(session, p, account)
            assert refused.value.message_zh and refused.value.message_en


def test_scope_narrows_by_sector_and_without_a_region(session: Session, world: World) -> None:
    police_office, office = world.principals["office_police"], world.principals["office"]
    police = session.get(Matrix, world.matrices["zz_police"])
    zz = session.get(Matrix, world.matrices["zz"])
    assert police is not None and zz is not None
    assert access.matrix_region(session, police) == "410100"  # its parent's
    police.sector = "公安"
    session.flush()
    found = set(session.scalars(access.addable_account_ids(session, police_office)))
    assert _keys(world.accounts, found) == {"police_weibo", "police_douyin"}
    # A matrix with no region up its chain: only the members of its subtree.
    zz.adcode = None
    session.flush()
    assert access.matrix_region(session, police) is None
    found = set(session.scalars(access.addable_account_ids(session, office)))
    assert _keys(world.accounts, found) == READABLE_ACCOUNTS["office"]
    # An old code resolves to its successor: 江干区 (330104) became part of 上城区 (330102).
    zz.adcode = "330104"
    session.flush()
    assert access.matrix_region(session, zz) == "330102"


@pytest.mark.parametrize(
    ("region", "adcode", "inside"),
    [("410100", "410105", True), ("410100", "410100", True), ("410000", "410105", True),
     ("410100", "410300", False), ("540100", "110101", False), ("110000", "110101", True),
     ("410105", "410100", False), ("330100", "330104", True)],
)  # fmt: skip
def test_region_contains(region: str, adcode: str, inside: bool) -> None:
    assert access.region_contains(region, adcode) is inside


def test_subtree_survives_a_cycle_in_bad_data(session: Session, world: World) -> None:
    # zz → zz_police → zz_police_sub → zz: the CTE must end, not loop.
    zz = session.get(Matrix, world.matrices["zz"])
    assert zz is not None
    zz.parent_id = world.matrices["zz_police_sub"]
    zz.adcode = None
    session.flush()
    ids = set(session.scalars(access.subtree_ids(world.matrices["zz_police"])))
    assert ids == {world.matrices[k] for k in ("zz", "zz_police", "zz_police_sub")}
    # The region walk up the cycle ends too (no region anywhere on it).
    police = session.get(Matrix, world.matrices["zz_police"])
    assert police is not None
    assert access.matrix_region(session, police) is None


def test_committed_world_has_tokens(committed_engine: Engine) -> None:
    with Session(committed_engine) as session:
        world = build_world(session, with_tokens=True)
        session.commit()
    assert set(world.tokens) == set(USERS)
    with Session(committed_engine) as session:
        p = auth_service.principal_from_token(session, world.tokens["office_police"])
    assert p is not None
    assert p.matrix_id == world.matrices["zz_police"]
