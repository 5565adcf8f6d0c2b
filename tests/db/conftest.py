"""Fixtures of the database tests: an empty database to migrate step by step."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from zhengwu.db.engine import make_engine


@pytest.fixture
def empty_engine(db_engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A database of the same backend with nothing in it, for migrating step by step."""
    if db_engine.dialect.name == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'steps.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"zw_steps_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    with db_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = db_engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with db_engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
