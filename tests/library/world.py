"""A small province for the library tests: three matrices, accounts, one user per role.

河南 (provincial matrix) has two sub-matrices, 郑州 and 洛阳. 郑州 has police and housing
accounts, one of them on a platform without a publishing connector (toutiao).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.auth.principal import Principal
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage

PASSWORD = "library-pass-1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

ORGS = {
    "prov": ("河南省委网信办", "省", "网信", "410000"),
    "police": ("郑州市公安局", "市", "公安", "410100"),
    "housing": ("郑州市住房保障和房地产管理局", "市", "住建", "410100"),
    "ly": ("洛阳市住房和城乡建设局", "市", "住建", "410300"),
}
ACCOUNTS = {
    # key: (platform, uid, name, org, matrix)
    "prov_weibo": ("weibo", "9001", "河南网信", "prov", "henan"),
    "police_weibo": ("weibo", "1001", "平安郑州", "police", "zz"),
    "police_douyin": ("douyin", "d1001", "郑州警方", "police", "zz"),
    "housing_wechat": ("wechat", "w2001", "郑州住房", "housing", "zz"),
    "housing_toutiao": ("toutiao", "t2001", "郑州住房头条号", "housing", "zz"),
    "ly_weibo": ("weibo", "3001", "洛阳住建", "ly", "ly"),
}
USERS = {
    # username: (role, org, matrix)
    "admin": ("admin", None, None),
    "office_henan": ("matrix_office", None, "henan"),
    "office_zz": ("matrix_office", None, "zz"),
    "office_ly": ("matrix_office", None, "ly"),
    "op_police": ("operator", "police", None),
    "op_housing": ("operator", "housing", None),
    "op_ly": ("operator", "ly", None),
    "handler": ("handler", "police", None),
    "dispatcher": ("dispatcher", None, None),
    "verifier": ("verifier", None, None),
}


@dataclass
class World:
    """Ids and principals of what the factory made."""

    orgs: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    matrices: dict[str, int] = field(default_factory=dict)
    principals: dict[str, Principal] = field(default_factory=dict)

    def __getitem__(self, username: str) -> Principal:
        """Return the principal of a user."""
        return self.principals[username]


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # Argon2 is slow on purpose: hash the shared test password once per test run.
    return auth_service.hash_password(PASSWORD)


def build_world(session: Session) -> World:
    """Create the province in ``session`` (flushed, not committed)."""
    world = World()
    for key, (name, level, sector, adcode) in ORGS.items():
        org = Organization(name=name, level=level, sector=sector, adcode=adcode)
        session.add(org)
        session.flush()
        world.orgs[key] = org.id
    henan = Matrix(name="河南政务矩阵", kind="regional", adcode="410000")
    session.add(henan)
    session.flush()
    for key, name, adcode in (("zz", "郑州政务矩阵", "410100"), ("ly", "洛阳政务矩阵", "410300")):
        sub = Matrix(name=name, kind="regional", adcode=adcode, parent_id=henan.id)
        session.add(sub)
        session.flush()
        world.matrices[key] = sub.id
    world.matrices["henan"] = henan.id
    for key, (platform, uid, name, org, matrix) in ACCOUNTS.items():
        account = Account(platform=platform, uid=uid, name=name, organization_id=world.orgs[org],
                          is_government=True)  # fmt: skip
        session.add(account)
        session.flush()
        world.accounts[key] = account.id
        session.add(MatrixMember(matrix_id=world.matrices[matrix], account_id=account.id))
    for username, (role, org, matrix) in USERS.items():
        user = User(
            username=username, password_hash=_password_hash(), role=role,
            display_name=f"{username}用户", organization_id=world.orgs[org] if org else None,
            matrix_id=world.matrices[matrix] if matrix else None,
        )  # fmt: skip
        session.add(user)
        session.flush()
        world.principals[username] = auth_service.principal_of(user)
    session.flush()
    return world


def upload(name: str, data: bytes) -> tuple[str, io.BytesIO]:
    """Return a (filename, stream) pair for the service."""
    return name, io.BytesIO(data)


class FailsTwice:
    """A Weibo connector that is down for its first two sends, then publishes."""

    platform = "weibo"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: OutboxMessage) -> str:
        """Fail twice like an outage, then return the platform's id."""
        self.calls += 1
        if self.calls <= 2:
            raise RuntimeError("微博接口超时 / Weibo API timeout")
        return f"wb-{message.id}"


def deliver_after_two_failures(session: Session) -> None:
    """Deliver the queued Weibo messages on the third attempt (two failures first)."""
    connector = FailsTwice()
    for _ in range(3):
        outbox_service.deliver_pending(session, [connector], max_attempts=5)
