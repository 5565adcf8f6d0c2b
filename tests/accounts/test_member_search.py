"""The name search's needles of one or two characters: the gram index of migration 0034."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from zhengwu.accounts import service
from zhengwu.accounts.member_search import (
    SHORT_GRAMS_INDEX,
    name_or_uid_contains,
    short_grams_contain,
    uses_short_grams,
)
from zhengwu.accounts.models import Account, Matrix, MatrixMember

from .test_matrix_service import SEARCHED

NAMES = [  # (name, uid): besides the other tests' names, cased ASCII and the gram cutter
    *SEARCHED, ("Ab公安", "QQ1"), ("甲乙\x01丙丁", "x\x01y"), ("ΩMEGA 气象", "Ωm"),
]  # fmt: skip
SHORT = [  # one and two characters: Chinese, digits, ASCII case, LIKE's wildcards as text
    "公", "公安", "安局", "局", "10", "1", "0%", "%", "_", "b_", "\\", "杠\\", "\\号", "x", "X",
    "zh", "ZH", "Zh", "p", "P", "QQ", "q1", "ab", "b公", "丙丁", "乙丙", "\x01丙", "气象", "无",
    " ", "a ",
]  # fmt: skip


def _reference(accounts: list[Account], needle: str) -> set[int]:
    """Return the ids of the accounts whose name or UID holds ``needle``, ignoring case."""
    low = needle.lower()
    return {a.id for a in accounts if low in a.name.lower() or low in a.uid.lower()}


def _found(session: Session, condition: Any) -> set[int]:
    return set(session.scalars(select(Account.id).where(condition)))


def _plan(session: Session, query: Any) -> str:
    compiled = query.compile(session.get_bind())
    rows = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
    return "\n".join(rows.scalars())


@contextmanager
def _statements(session: Session) -> Iterator[list[str]]:
    """Record the SQL statements ``session`` sends."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _check_pages(session: Session, matrix_id: int, in_order: list[Account]) -> None:
    """Walk every page of every short search, pages of 1, 3 and 100: the reference's rows."""
    for q in SHORT:
        if not q.strip():  # no search
            continue
        found = _reference(in_order, q.strip())
        want = [a.id for a in in_order if a.id in found]
        for size in (1, 3, 100):
            walked = []
            for offset in range(0, len(want) + size, size):
                total, page = service.member_page(
                    session, matrix_id, q=q, limit=size, offset=offset
                )
                assert total == len(want), (q, size, offset)
                walked += [a.id for a, _ in page]
            assert walked == want, (q, size)


def test_short_needles_find_what_the_reference_finds(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = [Account(platform="weibo", uid=u, name=n) for n, u in NAMES]
    matrix = Matrix(name="搜索", kind="regional")
    session.add_all([*accounts, matrix])
    session.flush()
    lead = accounts[1].id  # 公安
    session.add_all(
        MatrixMember(matrix_id=matrix.id, account_id=a.id, role="lead" if a.id == lead else "member")
        for a in accounts
    )  # fmt: skip
    session.flush()
    in_order = sorted(accounts, key=lambda a: (a.id != lead, a.name, a.id))
    postgres = session.get_bind().dialect.name == "postgresql"
    seen = set()
    for q in SHORT:
        want = _reference(accounts, q)
        seen.add(len(want))
        assert _found(session, name_or_uid_contains(q)) == want, q
        short = short_grams_contain(q)
        assert (short is None) == (q == "\x01丙"), q  # the cutter of the pairs: not indexed
        if postgres and short is not None:  # the function evaluated row by row
            assert _found(session, short) == want, q
    assert {0, 1} <= seen and max(seen) >= 5
    # A cased letter outside ASCII: its lower() may be longer in some locales (not a gram).
    assert short_grams_contain("Ω") is None and short_grams_contain("ωm") is None
    _check_pages(session, matrix.id, in_order)
    if not postgres:  # SQLite has no gram function nor index (0034 does nothing there)
        names = {i["name"] for i in sa_inspect(session.connection()).get_indexes("accounts")}
        assert SHORT_GRAMS_INDEX not in names
        assert "ix_accounts_name" in names
        return
    # The same through the index alone (no scan left to the planner): what it holds.
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_indexscan = off"))
    for q in SHORT:
        short = short_grams_contain(q)
        if short is None:
            continue
        query = select(Account.id).where(short)
        assert SHORT_GRAMS_INDEX in _plan(session, query), q
        assert _found(session, short) == _reference(accounts, q), q
    # The pages on the gram route whatever the planner would choose for a table this small
    # (which route a national matrix takes is the next test's, on statistics of 3,000 rows).
    monkeypatch.setattr(service, "uses_short_grams", lambda *_: True)
    with _statements(session) as sent:
        _check_pages(session, matrix.id, in_order)
    counts = [s for s in sent if "count(" in s and not s.startswith("EXPLAIN")]
    assert sum("account_short_grams" in s for s in counts) >= 20  # the gram index's pages


def test_the_gram_index_for_a_rare_pair_not_one_every_name_has_and_the_page_plans(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "_PG_SORT_UP_TO", 1_500)  # 账号 (3,000) walks, 号1 (1,111) not
    matrix = Matrix(name="全国", kind="regional")
    session.add(matrix)
    session.flush()
    rows = [{"platform": "weibo", "uid": f"u{i}", "name": f"账号{i}"} for i in range(3000)]
    rows[1234]["name"] = rows[2345]["name"] = "郑州气象"  # a pair two accounts hold
    ids = list(session.scalars(insert(Account).returning(Account.id), rows))
    session.execute(insert(MatrixMember), [
        {"matrix_id": matrix.id, "account_id": i, "role": "lead" if i == ids[7] else "member"}
        for i in ids
    ])  # fmt: skip
    accounts = list(session.scalars(select(Account).where(Account.id.in_(ids))))
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # statistics, as autovacuum keeps them
        session.execute(text("ANALYZE accounts, matrix_members"))
    # True: the index; False: not (every name has it); None: the planner's choice.
    for q, rare in (("气象", True), ("账号", False), ("号1", None), ("9", None)):
        found = _reference(accounts, q)
        lead_first = sorted(accounts, key=lambda a: (a.id != ids[7], a.name, a.id))
        want = [a.id for a in lead_first if a.id in found]
        with _statements(session) as sent:
            total, page = service.member_page(session, matrix.id, q=q, limit=50)
        assert (total, [a.id for a, _ in page]) == (len(want), want[:50]), q
        deep = service.member_page(session, matrix.id, q=q, limit=50, offset=len(want) - 20)[1]
        assert [a.id for a, _ in deep] == want[-20:], q
        counted = [s for s in sent if "count(" in s and not s.startswith("EXPLAIN")]
        assert len(counted) == 1, sent
        # SQLite walks the accounts by name when there are many matches (账号: all 3,000).
        walked = any("EXISTS" in s for s in sent)
        assert walked == (not postgres and len(want) >= service._SQLITE_WALK_FROM), q
        # PostgreSQL sorts a few thousand matches rather than risk walking every name.
        sorted_ = any("accounts.name || " in s for s in sent)
        assert sorted_ == (postgres and len(want) <= 1_500), (q, sent)
        # PostgreSQL: the gram index for the rare pair; without it where every name has it
        # (the planner would read the table and evaluate the gram function on each row).
        if rare is None:
            continue
        assert ("account_short_grams" in counted[0]) == (postgres and rare), (q, counted[0])
        if postgres:
            short = short_grams_contain(q)
            assert short is not None
            query = select(func.count()).select_from(Account).where(short)
            assert uses_short_grams(session, query) == rare, (q, _plan(session, query))
    # Planned for the needle (psycopg prepares a statement run five times; a generic plan
    # would be planned for no needle), and the setting is given back afterwards.
    if postgres:
        session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    with _statements(session) as sent:
        assert service.member_page(session, matrix.id, q="气象")[0] == 2
    forced = [s for s in sent if "force_custom_plan" in s]
    assert len(forced) == (1 if postgres else 0), sent
    if postgres:
        assert session.scalar(text("SHOW plan_cache_mode")) == "force_generic_plan"
