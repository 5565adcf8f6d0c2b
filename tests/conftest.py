"""Shared fixtures: an isolated data directory, and real databases (SQLite and PostgreSQL).

Every database test runs on SQLite, and on PostgreSQL when ``ZHENGWU_TEST_DATABASE_URL``
is set (CI sets it; there an unreachable PostgreSQL fails the run instead of skipping).
The schema is built from the Alembic migrations once per backend, and each test runs in a
transaction that is rolled back.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

# The property tests run on a shared 2-core CI machine next to the PostgreSQL server: no
# per-example deadline and no "generation is slow" health check, which fail by the load,
# not by the code. What a property test asserts is unchanged.
settings.register_profile("zhengwu", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("zhengwu")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
PG_URL = os.environ.get("ZHENGWU_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return the directory of real public samples (../shared/data)."""
    assert SHARED_DATA.is_dir(), f"shared data missing at {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Hash passwords with argon2id at its lowest cost in this test session.

    The production hasher (64 MiB, 3 passes, 4 lanes) takes 0.1–0.4 s per hash and per
    login on the 2-core CI machine, and the suite creates and logs in thousands of users.
    The code paths are the same (argon2id, verify, rehash check); ``tests/auth`` asks for
    :func:`production_password_hasher` to check passwords as production stores them.
    """
    from argon2 import PasswordHasher

    from zhengwu.auth import service

    production = service._hasher
    service._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    _PRODUCTION_HASHER.append(production)
    yield
    service._hasher = production


_PRODUCTION_HASHER: list[object] = []


@pytest.fixture
def production_password_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the production argon2id parameters for this test (see _cheap_password_hashing)."""
    from zhengwu.auth import service

    monkeypatch.setattr(service, "_hasher", _PRODUCTION_HASHER[0])


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point every test at its own data directory and fresh settings."""
    from zhengwu.config import get_settings
    from zhengwu.db.engine import dispose_cached_engines, get_engine

    monkeypatch.setenv("ZHENGWU_DATA_DIR", str(tmp_path / "zhengwu-data"))
    monkeypatch.delenv("ZHENGWU_DATABASE_URL", raising=False)
    monkeypatch.setenv("ZHENGWU_ENV", "test")
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    # Every engine the test's commands made, closed: dropped open, their connections would
    # be collected (and psycopg warn) in some later test.
    dispose_cached_engines()


def _backends() -> list[object]:
    params: list[object] = ["sqlite"]
    params.append(
        pytest.param("postgresql", marks=pytest.mark.postgres)
        if PG_URL
        else pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.skip(
            reason="ZHENGWU_TEST_DATABASE_URL not set: PostgreSQL tests need it (CI sets it)")])
    )  # fmt: skip
    return params


def _pg_schema_url(worker: str) -> tuple[str, str]:
    schema = f"zw_test_{worker}"
    assert PG_URL is not None
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema


@pytest.fixture(scope="session", params=_backends())
def db_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database engine, once per backend and test session."""
    from zhengwu.db import migrate
    from zhengwu.db.engine import make_engine

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        engine = make_engine(f"sqlite:///{path}")
    else:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        url, schema = _pg_schema_url(worker)
        admin = make_engine(PG_URL or "")
        try:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
        except Exception as exc:  # pragma: no cover - only when PostgreSQL is broken
            pytest.fail(f"PostgreSQL at ZHENGWU_TEST_DATABASE_URL is unreachable: {exc}")
        admin.dispose()
        engine = make_engine(url)
    migrate.upgrade(engine)
    from zhengwu.regions.service import sync_regions

    with Session(engine) as session:
        sync_regions(session)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = db_engine.connect()
    trans = connection.begin()
    sess = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield sess
    finally:
        sess.close()
        trans.rollback()
        connection.close()


_KEEP_TABLES = {"regions", "alembic_version"}


@pytest.fixture
def committed_engine(db_engine: Engine) -> Iterator[Engine]:
    """The migrated engine for tests whose data must be committed (servers, concurrency).

    Every table but the regions is emptied after the test.
    """
    from zhengwu.db.models import Base

    yield db_engine
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in _KEEP_TABLES]
    with db_engine.begin() as conn:
        if db_engine.dialect.name == "postgresql":
            # TRUNCATE, not DELETE: it costs ~1.8 s a test, but every table starts again
            # from an empty heap, so rows come back in the order they were written. After
            # DELETE (and autovacuum) PostgreSQL fills freed space first, and a test that
            # read rows without ORDER BY failed at random (tests/servicedesk/test_export.py).
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
            # Deleting accounts and requests queued them for search (migration 0018's triggers).
            conn.execute(text("DELETE FROM search_pending"))


def tcp_socket() -> socket.socket:
    """A TCP socket for a test server to listen on, its protocol named.

    asyncio turns Nagle's algorithm off (TCP_NODELAY) only on connections whose socket says
    IPPROTO_TCP, and ``socket.socket()`` says 0: uvicorn's response, written in two parts,
    then waited for the client's delayed ACK, 40 ms per request (46 ms → 4 ms for
    /healthz). Servers that bind their own port (``zhengwu serve``) name it already.
    """
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)


class QuickServer(uvicorn.Server):
    """uvicorn's server, stopping in milliseconds instead of 0.15–0.3 s.

    uvicorn looks at ``should_exit`` every 0.1 s, and its shutdown waits 0.1 s more before
    it looks whether the connections closed: ~0.19 s of each of the 1,170 tests (both
    backends) with a live server. This server looks every 5 ms; it stops as uvicorn's does
    (stop listening, close the connections, wait until they and their tasks are done, then
    the app's lifespan shutdown), only without the fixed wait.
    """

    TICK = 0.005

    async def main_loop(self) -> None:
        """Run uvicorn's tick (the Date header, ``should_exit``) every 5 ms, not 0.1 s."""
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            await asyncio.sleep(self.TICK)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop as uvicorn does, polling every 5 ms instead of sleeping 0.1 s first."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        while (self.server_state.connections or self.server_state.tasks) and not self.force_exit:
            await asyncio.sleep(self.TICK)
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run ``app`` in uvicorn on a free loopback port; yield its base URL."""
    import threading
    import time

    # The server is handed the socket this fixture bound, so no other process of the
    # parallel suite can take the port between choosing it and serving on it.
    sock = tcp_socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = QuickServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:  # pragma: no cover - only when the server is broken
            pytest.fail("server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def serve() -> Callable[[Any], AbstractContextManager[str]]:
    """Return :func:`serving`: ``with serve(app) as url`` runs an app a test built."""
    return serving


@pytest.fixture
def live_server(committed_engine: Engine) -> Iterator[str]:
    """Run the real app in uvicorn on a free loopback port; yield its base URL."""
    from zhengwu.web.app import create_app

    with serving(create_app(committed_engine)) as url:
        yield url


@pytest.fixture
def configured_database(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the settings (CLI commands, child processes) at the test's committed database.

    Yields its URL; CLI commands then run on SQLite and on PostgreSQL like the other tests.
    """
    from zhengwu.config import get_settings
    from zhengwu.db.engine import dispose_cached_engines, get_engine

    url = committed_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("ZHENGWU_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield url
    # The commands' pools (get_engine() and get_engine(migrate=False): `db upgrade` uses the
    # second), closed before the tables are emptied.
    dispose_cached_engines()
