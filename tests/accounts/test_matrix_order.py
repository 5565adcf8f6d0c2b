"""A list of matrices starts at the top of a tree: the regional (lead) matrix first, then by
level (province, city, county), then by name — the demo's city-wide 许昌政务新媒体矩阵 sat
mid-list among its 25 vertical matrices, ordered by character code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts import service
from zhengwu.accounts.models import Matrix


def _add(
    session: Session, name: str, kind: str, adcode: str | None, parent: Matrix | None = None
) -> Matrix:
    matrix = Matrix(name=name, kind=kind, adcode=adcode, parent_id=parent.id if parent else None)
    session.add(matrix)
    session.flush()
    return matrix


def test_the_regional_matrix_leads_then_by_level_then_name(session: Session) -> None:
    # Names chosen so that character order alone puts the regional matrix in the middle.
    _add(session, "许昌公安政务新媒体矩阵", "vertical", "411000")
    _add(session, "许昌政务新媒体矩阵", "regional", "411000")
    _add(session, "许昌法院政务新媒体矩阵", "vertical", "411000")
    county = _add(session, "建安区政务新媒体矩阵", "regional", "411003")
    province = _add(session, "河南政务新媒体矩阵", "regional", "410000")
    _, top = service.matrix_page(session, query=select(Matrix), top=True)
    assert [m.name for m in top] == [
        "河南政务新媒体矩阵", "许昌政务新媒体矩阵", "建安区政务新媒体矩阵",
        "许昌公安政务新媒体矩阵", "许昌法院政务新媒体矩阵",
    ]  # fmt: skip
    # A level of sub-matrices, and its pages, in the same order: each row once.
    below = [
        _add(session, f"{name}政务新媒体矩阵", kind, code, province)
        for name, kind, code in (("河南公安", "vertical", "410000"), ("郑州", "regional", "410100"),
                                 ("河南法院", "vertical", "410000"), ("中牟县", "regional", "410122"))
    ]  # fmt: skip
    _, first = service.matrix_page(session, query=select(Matrix), parent_id=province.id, limit=2)
    _, rest = service.matrix_page(
        session, query=select(Matrix), parent_id=province.id, limit=2, offset=2
    )
    assert [m.name for m in first + rest] == [
        "郑州政务新媒体矩阵", "中牟县政务新媒体矩阵", "河南公安政务新媒体矩阵", "河南法院政务新媒体矩阵",
    ]  # fmt: skip
    assert {m.id for m in first + rest} == {m.id for m in below} and county.parent_id is None
