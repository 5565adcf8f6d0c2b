"""The compliance gate's accounts read straight into Arrow (COPY on PostgreSQL, batches elsewhere)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.index import dimensions
from zhengwu.index.access import matrix_account_ids, matrix_account_parts
from zhengwu.index.dimensions import (
    CHECKED_SCHEMA,
    UNKNOWN,
    checked_accounts,
    checked_names,
    load_dimensions,
)

from ..accounts.test_matrix_tree_walks import _chain
from ..accounts.test_member_search import _statements

# Names CSV must quote: commas, quotes, line breaks, an empty one, a lone backslash.
AWKWARD = ["a,b", 'say "hi"', "two\nlines", "", "back\\slash", "  spaced  "]


@pytest.fixture
def registry(session: Session) -> Matrix:
    """Accounts with awkward names, with and without a body; one closed, one not governmental."""
    body = Organization(name='公安局,"一"', sector="", level="市", adcode="410100")
    bare = Organization(name="无系统", sector="", level="")
    session.add_all([body, bare])
    session.flush()
    matrix = Matrix(name="矩阵", kind="regional")
    session.add(matrix)
    session.flush()
    for i, name in enumerate(AWKWARD):
        account = Account(platform="weibo", uid=f"u{i}", name=name, is_government=True,
                          organization_id=(body.id, bare.id, None)[i % 3])  # fmt: skip
        session.add(account)
        session.flush()
        if i % 2 == 0:
            session.add(MatrixMember(matrix_id=matrix.id, account_id=account.id, role="member"))
    session.add(Account(platform="weibo", uid="closed", name="关停", is_government=True,
                        status="closed"))  # fmt: skip
    session.add(Account(platform="weibo", uid="private", name="个人"))
    session.flush()
    return matrix


def test_checked_accounts_match_the_dimensions(session: Session, registry: Matrix) -> None:
    table = checked_accounts(session)
    assert table.schema == CHECKED_SCHEMA
    full = load_dimensions(session).accounts
    expected = full.select(CHECKED_SCHEMA.names).cast(CHECKED_SCHEMA)
    assert table.to_pylist() == expected.to_pylist()
    rows = {r["uid"]: r for r in table.to_pylist()}
    assert "closed" not in rows and "private" not in rows
    assert [rows[f"u{i}"]["name"] for i in range(len(AWKWARD))] == AWKWARD
    assert rows["u0"]["org_name"] == '公安局,"一"' and rows["u0"]["sector"] == UNKNOWN
    assert (rows["u1"]["sector"], rows["u1"]["level"]) == (UNKNOWN, UNKNOWN)
    assert rows["u2"]["org_name"] is None  # no body: NULL, not ""


def test_checked_accounts_among_a_matrix(session: Session, registry: Matrix) -> None:
    members = select(MatrixMember.account_id).where(MatrixMember.matrix_id == registry.id)
    table = checked_accounts(session, among=members)
    assert table.column("uid").to_pylist() == ["u0", "u2", "u4"]
    nobody = select(MatrixMember.account_id).where(MatrixMember.matrix_id == -1)
    empty = checked_accounts(session, among=nobody)
    assert (empty.num_rows, empty.schema) == (0, CHECKED_SCHEMA)


@pytest.mark.parametrize("among", [False, True])
def test_keys_then_names_are_the_whole_rows(
    session: Session, registry: Matrix, among: bool
) -> None:
    """``names=False`` and :func:`checked_names` of any ids give back the full table's rows."""
    members = select(MatrixMember.account_id).where(MatrixMember.matrix_id == registry.id)
    whole = checked_accounts(session, among=members if among else None).to_pylist()
    keys = checked_accounts(session, among=members if among else None, names=False)
    assert keys.schema == CHECKED_SCHEMA and len(whole) == keys.num_rows > 0
    extra = ("name", "org_name", "sector", "level")
    assert all(keys.column(c).null_count == keys.num_rows for c in extra)
    named = checked_names(session, [r["account_id"] for r in whole[::2]])
    assert len(named) == len(whole[::2])
    for row, key in zip(whole, keys.to_pylist(), strict=True):
        assert {c: row[c] for c in ("account_id", "platform", "uid")} == {
            c: key[c] for c in ("account_id", "platform", "uid")
        }
        if row["account_id"] in named:
            assert named[row["account_id"]] == tuple(row[c] for c in extra)
    assert checked_names(session, []) == {}


def test_rows_arrive_in_batches(
    session: Session, registry: Matrix, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dimensions, "BATCH_ROWS", 2)
    assert checked_accounts(session).num_rows == len(AWKWARD)


def _subtree(session: Session, registry: Matrix) -> dict[str, Matrix]:
    """Below ``registry``: a sub-matrix sharing one account with it and adding two (one
    closed), and one below that repeating an account of the sub-matrix and adding one."""
    sub, low = _chain(session, 1, "下级", parent=registry)
    uid = {a.uid: a.id for a in session.scalars(select(Account))}
    douyin = Account(platform="douyin", uid="d1", name="抖音号", is_government=True)
    session.add(douyin)
    session.flush()
    for matrix, uids in ((sub, ["u0", "u1", "closed"]), (low, ["u1", "private"])):
        for u in uids:
            session.add(MatrixMember(matrix_id=matrix.id, account_id=uid[u], role="member"))
    session.add(MatrixMember(matrix_id=low.id, account_id=douyin.id, role="member"))
    session.flush()
    return {"top": registry, "sub": sub, "low": low}


@pytest.mark.parametrize("which", ["top", "sub", "low"])
def test_member_keys_read_a_subtree_once_in_two_parts(
    session: Session, registry: Matrix, which: str
) -> None:
    """A matrix's subtree read in two parts with nothing in common: together exactly the
    accounts of ``matrix_account_ids``; the checked ones' keys as ``checked_accounts`` gives
    them, and every account (closed, not governmental too) counted by platform."""
    matrix = _subtree(session, registry)[which]
    own, below = matrix_account_parts(matrix.id)
    own_ids, below_ids = set(session.scalars(own)), set(session.scalars(below))
    assert not own_ids & below_ids  # an account in two matrices below: read once still
    every = set(session.scalars(matrix_account_ids(matrix.id)))
    assert own_ids | below_ids == every
    with _statements(session) as sent:
        keys, platforms = dimensions.member_keys(session, (own, below))
    # One read of the subtree; PostgreSQL's COPY goes by the driver's cursor, which
    # SQLAlchemy's events do not see: no other statement either way.
    assert len(sent) == (0 if session.get_bind().dialect.name == "postgresql" else 1), sent
    assert keys.schema == CHECKED_SCHEMA
    expected = checked_accounts(session, among=matrix_account_ids(matrix.id), names=False)
    assert sorted(keys.to_pylist(), key=lambda r: r["account_id"]) == expected.to_pylist()
    counted = session.execute(
        select(Account.platform, func.count())
        .where(Account.id.in_(every))
        .group_by(Account.platform)
    )
    assert platforms == {str(row[0]): int(row[1]) for row in counted}
    expected_uids = {
        "top": {"u0", "u1", "u2", "u4", "closed", "private", "d1"},
        "sub": {"u0", "u1", "closed", "private", "d1"},
        "low": {"u1", "private", "d1"},
    }[which]
    assert set(session.scalars(select(Account.uid).where(Account.id.in_(every)))) == expected_uids
    assert sum(platforms.values()) == len(expected_uids) > keys.num_rows  # closed, private


def test_member_keys_of_nothing(session: Session, registry: Matrix) -> None:
    nobody = select(MatrixMember.account_id).where(MatrixMember.matrix_id == -1)
    keys, platforms = dimensions.member_keys(session, (nobody, nobody))
    assert (keys.num_rows, keys.schema, platforms) == (0, CHECKED_SCHEMA, {})
