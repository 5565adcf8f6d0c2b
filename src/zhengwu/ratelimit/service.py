"""Counting events per client against a limit, in the database (shared) or in memory.

The database counter keeps one row per (scope, key, window) and increments it with one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` — atomic on SQLite and PostgreSQL, so two
processes counting the same client at the same moment both see the other's event. The
limit is a sliding window approximated from two fixed ones: the current window's count
plus the previous window's, weighted by how much of it still lies within the last
``window`` seconds. Rows older than two windows are deleted (at most once per window per
process). Each count is its own short transaction, committed even when the request that
made it fails — a failed login must count.

The memory counter (``ZHENGWU_RATE_LIMIT_STORE=memory``) is an exact sliding window of the
process alone: with N server processes a client gets N times the limit.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, Insert, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from zhengwu.config import get_settings
from zhengwu.ratelimit.models import RateLimitWindow

KEY_LENGTH = 128  # longer keys (an IPv6 address is at most 45 characters) are cut


@contextmanager
def _transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """A transaction of its own on an engine; a savepoint on a connection already in use."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            yield conn
    else:
        with bind.begin_nested():
            yield bind


def _upsert(conn: Connection, *, scope: str, key: str, window_no: int, expires_at: float) -> Insert:
    values = {
        "scope": scope,
        "key": key,
        "window_no": window_no,
        "hits": 1,
        "expires_at": expires_at,
    }
    table = RateLimitWindow.__table__
    assert isinstance(table, Table)
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(table).values(values)
        return pg.on_conflict_do_update(
            index_elements=["scope", "key", "window_no"], set_={"hits": table.c.hits + 1}
        ).returning(table.c.hits)
    lite = sqlite.insert(table).values(values)
    return lite.on_conflict_do_update(
        index_elements=["scope", "key", "window_no"], set_={"hits": table.c.hits + 1}
    ).returning(table.c.hits)


def count_event(
    bind: Engine | Connection, *, scope: str, key: str, window: float, now: float
) -> float:
    """Count one event of ``key`` at ``now`` (Unix seconds); return the events in the last window.

    The answer includes this event: a limit of N allows the events for which it is ≤ N.
    """
    key = key[:KEY_LENGTH]
    window_no = int(now // window)
    with _transaction(bind) as conn:
        stmt = _upsert(conn, scope=scope, key=key, window_no=window_no,
                       expires_at=(window_no + 2) * window)  # fmt: skip
        hits = conn.execute(stmt).scalar_one()
        previous = conn.scalar(
            select(RateLimitWindow.hits).where(
                RateLimitWindow.scope == scope, RateLimitWindow.key == key,
                RateLimitWindow.window_no == window_no - 1,
            )
        )  # fmt: skip
    elapsed = now / window - window_no  # the part of the current window gone by, 0 … 1
    return int(hits) + (previous or 0) * (1.0 - elapsed)


def cleanup(bind: Engine | Connection, *, now: float | None = None) -> int:
    """Delete the counters no limit reads any more; return how many."""
    moment = time.time() if now is None else now
    with _transaction(bind) as conn:
        result = conn.execute(delete(RateLimitWindow).where(RateLimitWindow.expires_at < moment))
    return int(result.rowcount or 0)


def shared() -> bool:
    """Return whether limits are counted in the database (``ZHENGWU_RATE_LIMIT_STORE``)."""
    return get_settings().rate_limit_store == "database"


class WindowLimiter:
    """Allows ``limit`` events per ``window`` seconds per key (a client address).

    With an ``engine`` (or a ``bind`` per call) the events are counted in the database and
    shared by every process using it; without, in this process's memory.
    """

    def __init__(self, scope: str, limit: int, window: float, engine: Engine | None = None) -> None:
        self.scope = scope
        self.limit = limit
        self.window = window
        self.engine = engine
        self.events: dict[str, deque[float]] = defaultdict(deque)  # the memory counter
        self._lock = threading.Lock()
        self._cleaned_at = 0.0

    def allow(
        self, key: str, *, bind: Engine | Connection | None = None, now: float | None = None
    ) -> bool:
        """Count one event of ``key``; return False when it is over the limit."""
        target = bind if bind is not None else self.engine
        if target is None:
            return self._allow_in_memory(key, time.monotonic() if now is None else now)
        moment = time.time() if now is None else now
        if moment - self._cleaned_at > self.window:
            self._cleaned_at = moment
            cleanup(target, now=moment)
        seen = count_event(target, scope=self.scope, key=key, window=self.window, now=moment)
        return seen <= self.limit

    def _allow_in_memory(self, key: str, now: float) -> bool:
        with self._lock:
            events = self.events[key]
            while events and now - events[0] > self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True


def limiter(scope: str, limit: int, window: float, engine: Engine | None) -> WindowLimiter:
    """Return a limiter counting in ``engine``'s database, or in memory when so configured."""
    return WindowLimiter(scope, limit, window, engine if shared() else None)
