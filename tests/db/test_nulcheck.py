"""The database's NUL backstop: every path into the database refuses a NUL character alike.

Without it PostgreSQL failed the statement with a driver error (and aborted the
transaction) while SQLite stored the NUL. Now a flush, a dirty attribute, a JSON value, a
Core executemany, an UPDATE's values and a WHERE operand are all refused before the driver
sees them, with the bilingual 422 naming the table and the column, on both backends (the
``session`` fixture runs every test on SQLite and on PostgreSQL), and the transaction
goes on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from zhengwu.db import nulcheck
from zhengwu.db.nulcheck import NulColumnError
from zhengwu.errors import InvalidInputError
from zhengwu.rescue.models import Incident

START = datetime(2025, 7, 20, 8, tzinfo=UTC)


def _incident(name: str, **fields: Any) -> Incident:
    return Incident(name=name, type="flood", starts_at=START, **fields)


def _count(session: Session, prefix: str) -> int:
    query = select(func.count()).where(Incident.name.startswith(prefix))
    return int(session.execute(query).scalar_one())


def test_a_flush_is_refused_naming_the_table_and_the_column(session: Session) -> None:
    session.add(_incident("NUL测试\x00暴雨"))
    with pytest.raises(NulColumnError) as caught:
        session.flush()
    error = caught.value
    assert isinstance(error, InvalidInputError) and error.status_code == 422
    assert error.place == "rescue_incidents.name"
    assert error.message_zh == (
        "数据库列「rescue_incidents.name」的值含有空字符（NUL，\\u0000），数据库无法保存"
    )
    assert error.message_en == (
        "column rescue_incidents.name: the value contains a NUL character (\\u0000), "
        "which the database cannot store"
    )
    session.rollback()
    # Nothing reached the database, and it goes on (PostgreSQL's transaction was not aborted).
    session.add(_incident("NUL测试 暴雨"))
    session.flush()
    assert _count(session, "NUL测试") == 1


@pytest.mark.parametrize(
    ("field", "value", "place"),
    [
        ("description", "积水\x00一米", "rescue_incidents.description"),
        ("keywords", ["洪水", "被困\x00"], "rescue_incidents.keywords.1"),
        ("hotline", "\x00", "rescue_incidents.hotline"),
    ],
    ids=["text", "json-list", "only-nul"],
)
def test_a_changed_attribute_is_refused(
    session: Session, field: str, value: object, place: str
) -> None:
    incident = _incident("NUL测试 改")
    session.add(incident)
    session.flush()
    setattr(incident, field, value)
    with pytest.raises(NulColumnError) as caught:
        session.flush()
    assert caught.value.place == place


def test_a_core_executemany_is_refused_before_any_row_is_written(session: Session) -> None:
    """The bulk paths (desk CSV import, rescue demo) insert with Core: no flush to watch."""
    rows = [{"name": f"NUL测试 {i}", "type": "flood", "status": "active", "regions": [],
             "hashtags": [], "keywords": [], "reverify_hours": 6.0, "starts_at": START,
             "created_at": START, "hotline": "12345" if i != 7 else "123\x0045"}
            for i in range(10)]  # fmt: skip
    with pytest.raises(NulColumnError) as caught:
        session.execute(insert(Incident), rows)
    assert caught.value.place == "rescue_incidents.hotline"
    assert _count(session, "NUL测试") == 0  # none of the ten; the transaction goes on
    session.execute(insert(Incident), [{**r, "hotline": "12345"} for r in rows])
    assert _count(session, "NUL测试") == 10


def test_values_written_into_a_statement_are_refused(session: Session) -> None:
    session.add(_incident("NUL测试 值"))
    session.flush()
    change = update(Incident).where(Incident.name == "NUL测试 值").values(description="a\x00")
    with pytest.raises(NulColumnError) as caught:
        session.execute(change)
    assert caught.value.place == "rescue_incidents.description"
    # A WHERE operand too: PostgreSQL refused it, SQLite found nothing.
    with pytest.raises(NulColumnError) as caught:
        session.execute(select(Incident.id).where(Incident.name == "NUL测试\x00"))
    assert caught.value.place == "rescue_incidents.name"
    with pytest.raises(NulColumnError) as caught:
        session.execute(text("SELECT :q"), {"q": "a\x00b"})
    assert caught.value.place == "q"  # a parameter of one's own, named as it is
    unchanged = select(Incident.description).where(Incident.name == "NUL测试 值")
    assert session.execute(unchanged).scalar_one() is None


def test_other_control_characters_and_escapes_are_kept(session: Session) -> None:
    # \x01 … \x1f are stored alike by both; "\\u0000" spelled out is six characters.
    kept = "换行\n制表\t响铃\x07 \\u0000"
    session.add(_incident("NUL测试 其他", description=kept, keywords=[kept]))
    session.flush()
    session.expire_all()
    stored = session.execute(select(Incident).where(Incident.name == "NUL测试 其他")).scalar_one()
    assert (stored.description, stored.keywords) == (kept, [kept])


def test_a_driver_level_statement_is_refused_naming_the_parameter(session: Session) -> None:
    connection = session.connection()
    marker = "?" if connection.dialect.name == "sqlite" else "%s"
    with pytest.raises(NulColumnError) as caught:
        connection.exec_driver_sql(f"SELECT {marker}", ("a\x00",))
    assert caught.value.place == "参数 0"
    assert connection.exec_driver_sql(f"SELECT {marker}", ("a",)).scalar_one() == "a"


def test_bytes_are_not_texts_and_pass_the_check() -> None:
    # A MinHash signature (help_requests.signature) holds NUL bytes: stored as it is.
    assert not nulcheck._may_hold_nul([(b"\x00\x01", memoryview(b"\x00"), "文本", 3)])
    assert nulcheck._may_hold_nul([("文\x00本",)])
    assert nulcheck._may_hold_nul({"a": "\\u0000"})  # spelled out: a suspicion, dismissed later
