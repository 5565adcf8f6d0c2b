"""Factories of the service-desk tests: a small city (郑州) with bodies, accounts, a matrix,
routing rules and one user per role."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.auth.principal import Principal
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRuleCreate
from zhengwu.servicedesk.service import SYSTEM

ORGS = {
    # key: (name, level, sector, adcode)
    "hotline": ("郑州市12345政务服务便民热线", "市", "政务服务", "410100"),
    "city_housing": ("郑州市住房和城乡建设局", "市", "住建", "410100"),
    "js_housing": ("郑州市金水区住房和城乡建设局", "县", "住建", "410105"),
    "js_eco": ("郑州市生态环境局金水分局", "县", "生态环境", "410105"),
    "police": ("郑州市公安局", "市", "公安", "410100"),
    "ly_housing": ("洛阳市住房和城乡建设局", "市", "住建", "410300"),
}
ACCOUNTS = {
    # key: (uid, name, org key)
    "police": ("1001", "平安郑州", "police"),
    "js_housing": ("1002", "金水住建", "js_housing"),
    "hotline": ("1003", "郑州12345", "hotline"),
    "js_eco": ("1004", "金水生态环境", "js_eco"),
    "ly_housing": ("2001", "洛阳住建", "ly_housing"),
}
USERS = {
    # key: (role, org key, matrix key)
    "admin": ("admin", None, None),
    "office": ("matrix_office", None, "zz"),
    "js_housing": ("handler", "js_housing", None),
    "city_housing": ("handler", "city_housing", None),
    "js_eco": ("handler", "js_eco", None),
    "police": ("operator", "police", None),
    "ly_housing": ("handler", "ly_housing", None),
    "ly_office": ("matrix_office", None, "ly"),
    "dispatcher": ("dispatcher", None, None),
}


@dataclass
class World:
    """Ids of what the factories made, and a principal (and API token) per user."""

    orgs: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    matrices: dict[str, int] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str) -> dict[str, str]:
        """Return the Authorization header of ``user``."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def build_world(session: Session, *, with_tokens: bool = False) -> World:
    """Create the test city in ``session`` (flushed, not committed)."""
    category_service.ensure_default_tree(session)
    world = World()
    for key, (name, level, sector, adcode) in ORGS.items():
        org = Organization(name=name, level=level, sector=sector, adcode=adcode)
        session.add(org)
        session.flush()
        world.orgs[key] = org.id
    for key, (uid, name, org_key) in ACCOUNTS.items():
        account = Account(
            platform="weibo", uid=uid, name=name, organization_id=world.orgs[org_key],
            is_government=True, adcode=ORGS[org_key][3],
        )  # fmt: skip
        session.add(account)
        session.flush()
        world.accounts[key] = account.id
    zz = Matrix(name="郑州政务新媒体矩阵", kind="regional", adcode="410100",
                lead_account_id=world.accounts["hotline"])  # fmt: skip
    ly = Matrix(name="洛阳政务新媒体矩阵", kind="regional", adcode="410300",
                lead_account_id=world.accounts["ly_housing"])  # fmt: skip
    session.add_all([zz, ly])
    session.flush()
    world.matrices = {"zz": zz.id, "ly": ly.id}
    for key in ("police", "js_housing", "hotline", "js_eco"):
        session.add(MatrixMember(matrix_id=zz.id, account_id=world.accounts[key]))
    session.add(MatrixMember(matrix_id=ly.id, account_id=world.accounts["ly_housing"], role="lead"))
    # city_housing runs no account: it reaches the matrix office through requests' matrix_id.
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
    routing_service.add_rules(
        session, actor=SYSTEM, note="test city",
        rules=[
            RoutingRuleCreate(category_code="01", adcode="410105", organization_id=world.orgs["js_housing"]),
            RoutingRuleCreate(category_code="01", adcode="410100", organization_id=world.orgs["city_housing"]),
            RoutingRuleCreate(category_code="02", adcode="410105", organization_id=world.orgs["js_eco"]),
            RoutingRuleCreate(category_code="01", adcode="410300", organization_id=world.orgs["ly_housing"]),
        ],
    )  # fmt: skip
    session.flush()
    return world


@pytest.fixture
def world(session: Session) -> World:
    """The test city inside the rolled-back test transaction."""
    return build_world(session)


@pytest.fixture
def committed_world(committed_engine: Engine) -> World:
    """The test city committed (for servers and concurrency), with API tokens."""
    with Session(committed_engine) as session:
        world = build_world(session, with_tokens=True)
        session.commit()
    return world
