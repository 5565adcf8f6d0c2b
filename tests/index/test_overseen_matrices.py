"""``index.access.overseen_matrices``: an office's matrix and every matrix below it, read in
one statement (a recursive CTE) instead of every matrix of the country walked level by
level in Python — with the answers of that walk (SQLite, PostgreSQL)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix
from zhengwu.auth.principal import Principal
from zhengwu.index.access import overseen_matrices

from ..accounts.test_member_search import _statements


def _python_walk(session: Session, matrix_id: int | None) -> set[int]:
    """The walk as it was: every matrix read, the subtree found level by level."""
    if matrix_id is None:
        return set()
    parents = {row[0]: row[1] for row in session.execute(select(Matrix.id, Matrix.parent_id))}
    found, frontier = {matrix_id}, {matrix_id}
    while frontier:
        frontier = {m for m, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found & set(parents)


def _office(matrix_id: int | None) -> Principal:
    return Principal(role="matrix_office", username="o", display_name="o", matrix_id=matrix_id)


def _matrices(
    session: Session, count: int, name: str, parent_of: Callable[[list[Matrix]], Matrix | None]
) -> list[Matrix]:
    """``count`` matrices named ``name`` and a number, each below ``parent_of(those made
    before it)`` (None: top-level)."""
    made: list[Matrix] = []
    for i in range(count):
        parent = parent_of(made)
        matrix = Matrix(name=f"{name}{i}", kind="regional",
                        parent_id=parent.id if parent else None)  # fmt: skip
        session.add(matrix)
        session.flush()
        made.append(matrix)
    return made


def _tree(session: Session, seed: int, size: int = 120) -> list[Matrix]:
    """Two top-level matrices and ``size`` more, each below a random earlier one."""
    rng = random.Random(seed)
    return _matrices(
        session, size + 2, f"树{seed}-", lambda made: rng.choice(made) if len(made) >= 2 else None
    )


@pytest.mark.parametrize("seed", [1, 2, 3], ids=["seed1", "seed2", "seed3"])
def test_the_subtree_is_the_walk_s_in_one_statement(session: Session, seed: int) -> None:
    made = _tree(session, seed)
    rng = random.Random(seed)
    for matrix in [made[0], made[1], *rng.sample(made[2:], 10)]:
        expected = _python_walk(session, matrix.id)
        with _statements(session) as seen:
            found = overseen_matrices(session, _office(matrix.id))
        assert found == expected
        assert len(seen) == 1 and "RECURSIVE" in seen[0].upper(), seen  # not every matrix
    # The two top-level subtrees split the tree between them.
    both = (
        overseen_matrices(session, _office(made[0].id)),
        overseen_matrices(session, _office(made[1].id)),
    )
    assert both[0] | both[1] == {m.id for m in made} and not both[0] & both[1]


def test_no_matrix_an_unknown_one_and_a_cycle(session: Session) -> None:
    top = Matrix(name="环-顶", kind="regional")
    session.add(top)
    session.flush()
    mid = Matrix(name="环-中", kind="regional", parent_id=top.id)
    session.add(mid)
    session.flush()
    low = Matrix(name="环-底", kind="regional", parent_id=mid.id)
    session.add(low)
    session.flush()
    assert overseen_matrices(session, _office(None)) == set()
    missing = (session.scalar(select(Matrix.id).order_by(Matrix.id.desc()).limit(1)) or 0) + 1000
    assert overseen_matrices(session, _office(missing)) == _python_walk(session, missing) == set()
    assert overseen_matrices(session, _office(mid.id)) == {mid.id, low.id}
    # Bad data: the top below its own grandchild. The walk ends, with each matrix once.
    session.execute(update(Matrix).where(Matrix.id == top.id).values(parent_id=low.id))
    session.expire_all()
    for start in (top, mid, low):
        assert overseen_matrices(session, _office(start.id)) == {top.id, mid.id, low.id}
        assert _python_walk(session, start.id) == {top.id, mid.id, low.id}
