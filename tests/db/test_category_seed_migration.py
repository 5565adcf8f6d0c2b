"""Migration 0005: the default category tree it loads is its own copy (it imports no
application code), and that copy is what the application loads into an empty table today.

When the application's tree (``servicedesk/category/default_tree.toml``) or its schema's
defaults change, the comparison fails: 0005 keeps loading the tree it shipped with, and
the change wants a migration of its own for the databases that exist.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.db import migrate
from zhengwu.servicedesk.category import service as category_service

# The columns 0005 creates, but for the id and the time of loading.
COLUMNS = ("code", "name", "parent_code", "description", "keywords", "attributes",
           "response_days", "resolve_days", "group", "sectors", "sort_order", "active",
           "version")  # fmt: skip


def _tree(conn: sa.Connection) -> list[dict[str, Any]]:
    """The categories in the database, in the order they were written."""
    table = sa.Table("request_categories", sa.MetaData(), autoload_with=conn)
    rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings()
    return [{name: row[name] for name in COLUMNS} for row in rows]


def test_0005_loads_the_tree_the_app_loads_into_an_empty_table(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0005")
    with empty_engine.connect() as conn:
        loaded = _tree(conn)
    assert len(loaded) > 30 and loaded[0]["code"] == "01" and loaded[0]["group"] == "城乡建设"
    assert any(row["attributes"] and row["attributes"][0]["values"] for row in loaded)
    migrate.upgrade(empty_engine)  # every head, for the application's model
    with empty_engine.connect() as conn, conn.begin() as transaction:
        conn.execute(sa.text("DELETE FROM request_categories"))
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            assert category_service.ensure_default_tree(session) == len(loaded)
            assert _tree(session.connection()) == loaded
        transaction.rollback()
