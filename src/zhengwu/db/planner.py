"""Steering SQLite's query planner where it has no statistics to choose by.

SQLite picks an index without statistics (nobody runs ANALYZE on a desk's database): for
``citizen_key IN (…400 keys…) AND state IN (…) AND received_at >= …`` it takes the state
and time index and reads every open request since that time — all of them, for an export
not in time order, more with every batch — where the citizen index reads a handful per
key. :func:`unindexed` marks a term SQLite must not use an index for (its documented
unary ``+``); PostgreSQL, which plans from its statistics, gets the column as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class Unindexed(ColumnElement[Any]):
    """A column that SQLite's planner does not use an index for (same value, same type)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


def unindexed(column: Any) -> ColumnElement[Any]:
    """Return ``column`` as a term SQLite answers without an index of its own."""
    return Unindexed(column)


@compiles(Unindexed)
def _plain(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(Unindexed, "sqlite")
def _sqlite(element: Unindexed, compiler: Any, **kw: Any) -> str:
    # Unary + is a no-op on any value in SQLite, and takes the term out of index choice.
    return "+" + str(compiler.process(element.column, **kw))
