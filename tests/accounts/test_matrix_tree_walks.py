"""The matrix tree walked in the database: ``descendant_ids`` (a matrix and every matrix below
it) and ``ancestors`` (the trail above it), one recursive CTE each instead of every matrix
read (below) or one query per level (above) — deep trees, many branches and a cycle of bad
data, with the answers of the Python walks they replace (SQLite, PostgreSQL)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhengwu.accounts import service
from zhengwu.accounts.models import Matrix

from ..index.test_overseen_matrices import _matrices, _python_walk, _tree
from .test_member_search import _statements

DEPTH = 150


def _climb(session: Session, matrix: Matrix) -> list[int]:
    """The trail as it was read: one matrix per level, the top first."""
    trail: list[int] = []
    parent_id = matrix.parent_id
    while parent_id is not None and parent_id not in trail:
        trail.insert(0, parent_id)
        parent_id = session.scalar(select(Matrix.parent_id).where(Matrix.id == parent_id))
    return trail


def _chain(session: Session, depth: int, name: str, parent: Matrix | None = None) -> list[Matrix]:
    """A matrix (top-level, or below ``parent``) and ``depth`` more, each below the one before."""
    return _matrices(session, depth + 1, name, lambda made: made[-1] if made else parent)


def _one_recursive_statement(seen: list[str]) -> None:
    assert len(seen) == 1 and "RECURSIVE" in seen[0].upper(), seen


@pytest.mark.parametrize("seed", [4, 5, 6], ids=["seed4", "seed5", "seed6"])
def test_branches_below_and_above_in_one_statement_each(session: Session, seed: int) -> None:
    made = _tree(session, seed)
    rng = random.Random(seed)
    for matrix in [made[0], made[1], *rng.sample(made[2:], 12)]:
        with _statements(session) as seen:
            below = service.descendant_ids(session, matrix)
        _one_recursive_statement(seen)
        assert below == _python_walk(session, matrix.id)
        with _statements(session) as seen:
            above = service.ancestors(session, matrix)
        _one_recursive_statement(seen)
        assert [m.id for m in above] == _climb(session, matrix)
        # Every matrix above has this one in its subtree; none below it is above it.
        assert all(matrix.id in service.descendant_ids(session, m) for m in above)
        assert not below & {m.id for m in above}


def test_a_deep_chain(session: Session) -> None:
    chain = _chain(session, DEPTH, "深")
    side = Matrix(name="深-旁支", kind="regional", parent_id=chain[DEPTH // 2].id)
    session.add(side)
    session.flush()
    with _statements(session) as seen:
        trail = service.ancestors(session, chain[-1])
    _one_recursive_statement(seen)
    assert trail == chain[:-1]  # the top first, every level, nothing of the side branch
    assert service.ancestors(session, side) == chain[: DEPTH // 2 + 1]
    assert service.ancestors(session, chain[0]) == []
    assert service.descendant_ids(session, chain[0]) == {m.id for m in chain} | {side.id}
    assert service.descendant_ids(session, chain[-1]) == {chain[-1].id}
    assert service.descendant_ids(session, chain[DEPTH // 2]) == {
        m.id for m in chain[DEPTH // 2 :]
    } | {side.id}


def test_a_cycle_of_bad_data_ends_both_walks(session: Session) -> None:
    top, mid, low = _chain(session, 2, "环")
    # Bad data: the top below its own grandchild (the service refuses such a move).
    session.execute(update(Matrix).where(Matrix.id == top.id).values(parent_id=low.id))
    session.expire_all()
    every = {top.id, mid.id, low.id}
    for start, trail in ((top, [mid, low]), (mid, [low, top]), (low, [top, mid])):
        assert service.descendant_ids(session, start) == every
        # Each matrix once, the matrix itself not among those above it.
        assert service.ancestors(session, start) == trail


def test_the_matrices_of_more_accounts_than_one_statement_takes(session: Session) -> None:
    """The compliance export of a national matrix names the matrices of 100,000 and more
    failing accounts: more ids than PostgreSQL takes in one statement (65,535) are asked a
    chunk at a time, and each account's matrices come back whole and by name."""
    from zhengwu.accounts.models import Account, MatrixMember

    top, sub = _chain(session, 1, "全国政务矩阵")
    accounts = [Account(platform="weibo", uid=f"chunk-{i}", name=f"账号{i}") for i in range(3)]
    session.add_all(accounts)
    session.flush()
    session.add_all([
        MatrixMember(matrix_id=top.id, account_id=accounts[0].id),
        MatrixMember(matrix_id=sub.id, account_id=accounts[0].id),
        MatrixMember(matrix_id=sub.id, account_id=accounts[2].id),
    ])  # fmt: skip
    session.flush()
    far = max(a.id for a in accounts) + 1
    # The real accounts first and last among 70,000 ids, so they fall in different chunks.
    ids = [accounts[0].id, *range(far, far + 70_000), accounts[2].id, accounts[1].id]
    assert len(ids) > 65_535
    found = service.member_matrices(session, ids, below=top.id)
    assert {k: [m.id for m in v] for k, v in found.items()} == {
        accounts[0].id: [m.id for m in sorted((top, sub), key=lambda m: (m.name, m.id))],
        accounts[2].id: [sub.id],
    }
    assert set(service.member_matrices(session, ids, below=sub.id)) == {
        accounts[0].id,
        accounts[2].id,
    }
