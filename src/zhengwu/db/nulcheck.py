"""The database's backstop against NUL characters (数据库层的空字符兜底).

The HTTP edge refuses a NUL (``\\x00``) in a request and the importers quarantine a record
holding one (:mod:`zhengwu.storable`), but a service called from a job, a CLI command or a
new code path could still hand one to the database, where PostgreSQL fails the statement
(and with it the transaction) with a driver error and SQLite stores it silently. So every
engine made by :func:`zhengwu.db.engine.make_engine` checks each statement's parameters
before the driver sees them and raises :class:`NulColumnError` — the bilingual 422 naming
the table and the column — on SQLite and PostgreSQL alike.

Why a ``before_cursor_execute`` hook rather than an ORM ``before_flush`` event or a
``TypeDecorator``: a flush event misses the Core ``insert(table)`` executemany of the bulk
paths (the desk CSV import, the rescue demo, match keys) and ``update().values(…)``; a
type would have to replace the explicit ``String(n)``/``Text``/``JSON`` of some 250 model
columns and does not know its column. Here every statement passes — a flush's rows, an
executemany's, values written into the statement, a WHERE's operands — with its table. The
driver's parameters are searched in one pass at C speed (:func:`_may_hold_nul`); only on a
match are the values before type processing (``compiled_parameters``, JSON still as lists
and dicts) walked column by column to name the place. Bytes are not texts and are not
checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Engine, event
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.sql import ClauseElement, Delete, Insert, Update
from sqlalchemy.sql.util import find_tables

from zhengwu.errors import InvalidInputError
from zhengwu.storable import find_nul

# A bind SQLAlchemy names after its column and a number: ``text_1`` in ``WHERE text = ?``.
_NUMBERED = re.compile(r"^(.+)_\d+$")
_ESCAPED_NUL = b"\\u0000"


class NulColumnError(InvalidInputError):
    """A value bound for the database holds a NUL character (422, naming table and column)."""

    def __init__(self, place: str) -> None:
        self.place = place
        super().__init__(
            f"数据库列「{place}」的值含有空字符（NUL，\\u0000），数据库无法保存",
            f"column {place}: the value contains a NUL character (\\u0000), which the "
            "database cannot store",
        )


def install(engine: Engine) -> None:
    """Check every statement ``engine`` runs for NUL characters before the driver sees it."""
    event.listen(engine, "before_cursor_execute", _before_cursor_execute)


def _before_cursor_execute(
    conn: Any,
    cursor: DBAPICursor,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    if not _may_hold_nul(parameters):
        return
    compiled = context.compiled if context is not None else None
    rows: Sequence[Mapping[str, Any]] = getattr(context, "compiled_parameters", None) or ()
    if compiled is None or not rows:  # a driver-level string (exec_driver_sql)
        found = find_nul(parameters)
        if found is not None:
            raise NulColumnError(f"参数 {found}" if found else "参数")
        return
    for key in rows[0]:
        found = find_nul([row[key] for row in rows])
        if found is not None:
            inside = found.partition(".")[2]  # the place inside a JSON value, if any
            raise NulColumnError(_place(compiled.statement, key, inside))


def _may_hold_nul(parameters: Any) -> bool:
    """Tell at C speed whether the driver's parameters may hold a NUL.

    They are what the driver is given — texts, numbers, timestamps, JSON written as text
    (SQLite) or wrapped for psycopg — and orjson writes them all in one call: a NUL in a
    text comes out as ``\\u0000``, and a JSON text's ``\\u0000`` as ``\\\\u0000``, which
    holds it too. So does a text that spells those six characters out, so a match is only
    a suspicion, confirmed or dismissed by the caller. What orjson cannot write (bytes, a
    lone surrogate) counts as a match; bytes are left out. The cost is one pass over every text written: ~2 %
    of the desk CSV import's CPU on SQLite, ~4 % on PostgreSQL (which is given timestamps
    and JSON as objects), part of it UTF-8 encoding that the driver then reuses; a walk
    in Python over every value cost more.
    """
    try:
        written = orjson.dumps(parameters, default=_unwrap, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return True
    return _ESCAPED_NUL in written


def _unwrap(value: Any) -> Any:
    """Return what orjson is to write for a parameter it cannot: nothing for bytes (not
    texts: a MinHash signature), the value inside psycopg's ``Json``/``Jsonb`` wrapper (a
    JSON parameter on PostgreSQL, told by its module so that SQLite's processes need not
    import psycopg)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    if type(value).__module__ == "psycopg.types.json":
        return value.obj
    raise TypeError(type(value).__name__)


def _place(statement: ClauseElement | None, key: str, inside: str) -> str:
    """Name where a bound value goes: ``table.column`` (and the place inside a JSON value).

    The bind's own name is a column of the statement's table (an INSERT or UPDATE, a flush's
    rows), or a column's name and a number (``WHERE text = :text_1``); anything else (a
    ``bindparam("masked")`` of one's own, a ``text()`` parameter) is named as it is.
    """
    tables: Sequence[Any] = ()
    if isinstance(statement, Insert | Update | Delete):
        tables = [statement.table]
    elif statement is not None:
        tables = find_tables(statement, include_crud=True)
    numbered = _NUMBERED.match(key)
    place = key
    for table in tables:
        columns = getattr(table, "c", {})
        name = key if key in columns else numbered.group(1) if numbered else None
        if name is not None and name in columns:
            place = f"{table.name}.{columns[name].name}"
            break
    return f"{place}.{inside}" if inside else place
