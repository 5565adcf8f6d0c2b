"""Rate limits shared through the database: two server processes count the same clients.

Two apps on two engines of their own (as two ``zhengwu serve`` workers or two servers
behind a proxy would have) serve over real HTTP; what one counts the other sees.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import serving

from zhengwu.auth import service as auth_service
from zhengwu.db.engine import make_engine
from zhengwu.ratelimit import service as ratelimit_service
from zhengwu.ratelimit.models import RateLimitWindow
from zhengwu.web.app import create_app

PASSWORD = "long-enough-1"


def _server(engine: Engine) -> AbstractContextManager[str]:
    """Serve a new app on ``engine`` on a free loopback port (another 'process')."""
    return serving(create_app(engine))


@pytest.fixture
def second_engine(committed_engine: Engine) -> Iterator[Engine]:
    """An engine of its own on the same database: another process's connection pool."""
    engine = make_engine(committed_engine.url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def _hits(engine: Engine, scope: str) -> int:
    with Session(engine) as s:
        return int(
            s.scalar(select(func.coalesce(func.sum(RateLimitWindow.hits), 0))
                     .where(RateLimitWindow.scope == scope)) or 0
        )  # fmt: skip


def test_a_second_server_sees_the_login_attempts_of_the_first(
    committed_engine: Engine, second_engine: Engine
) -> None:
    auth_service._ip_attempts.clear()
    with Session(committed_engine) as s:
        auth_service.create_user(s, username="wang", password=PASSWORD, role="admin")
        s.commit()
    bad = {"username": "nobody", "password": "wrong-password"}
    with _server(committed_engine) as first, _server(second_engine) as second:
        for _ in range(auth_service.IP_ATTEMPTS):
            assert httpx.post(f"{first}/api/auth/login", data=bad).status_code == 403
        # The other process refuses the next attempt, even with the right password.
        good = {"username": "wang", "password": PASSWORD}
        refused = httpx.post(f"{second}/api/auth/login", data=good)
        assert refused.status_code == 429, refused.text
        assert refused.json()["message_en"] == "too many login attempts; try later"
    assert _hits(committed_engine, "login") == auth_service.IP_ATTEMPTS + 1
    assert auth_service._ip_attempts == {}  # nothing counted in this process's memory


def test_the_public_desk_form_limit_is_shared_too(
    committed_engine: Engine, second_engine: Engine
) -> None:
    from zhengwu.servicedesk.public_views import ANON_LIMIT

    with _server(committed_engine) as first, _server(second_engine) as second:
        codes = [
            httpx.post(f"{(first, second)[i % 2]}/api/requests",
                       json={"text": f"金水区第{i}个小区路灯坏了"}, timeout=30).status_code
            for i in range(ANON_LIMIT + 1)
        ]  # fmt: skip
    assert codes[:ANON_LIMIT] == [201] * ANON_LIMIT, codes
    assert codes[-1] == 429
    assert _hits(committed_engine, "desk-intake") == ANON_LIMIT + 1


def test_memory_store_counts_per_process(
    committed_engine: Engine, second_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhengwu.config import get_settings

    monkeypatch.setenv("ZHENGWU_RATE_LIMIT_STORE", "memory")
    get_settings.cache_clear()
    first = ratelimit_service.limiter("rescue-help", 2, 60.0, committed_engine)
    second = ratelimit_service.limiter("rescue-help", 2, 60.0, second_engine)
    assert [first.allow("10.0.0.1") for _ in range(3)] == [True, True, False]
    assert second.allow("10.0.0.1")  # the other process knows nothing of them
    assert _hits(committed_engine, "rescue-help") == 0


def test_concurrent_counts_from_two_engines_are_all_kept(
    committed_engine: Engine, second_engine: Engine
) -> None:
    now = time.time()
    engines = (committed_engine, second_engine)

    def count(engine: Engine) -> None:
        for _ in range(10):
            ratelimit_service.count_event(engine, scope="t", key="k", window=3600.0, now=now)

    threads = [threading.Thread(target=count, args=(engines[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _hits(committed_engine, "t") == 40  # no increment lost


def test_the_previous_window_counts_while_it_overlaps_and_old_windows_are_removed(
    committed_engine: Engine,
) -> None:
    limiter = ratelimit_service.WindowLimiter("t", 4, 60.0, committed_engine)
    start = 6000.0  # the start of a window (6000 / 60 = 100)
    assert all(limiter.allow("a", now=start + 50) for _ in range(4))
    assert not limiter.allow("a", now=start + 55)  # 5 in the window
    # 10 s into the next window 5/6 of the previous one still counts: 5 × 5/6 + 1 > 4 …
    assert not limiter.allow("a", now=start + 70)
    # … 50 s into it only 1/6 does: 5 × 1/6 + 2 ≤ 4.
    assert limiter.allow("a", now=start + 110)
    # Two windows later nothing of it counts; the old rows are cleaned up on the way.
    assert limiter.allow("a", now=start + 180)
    with Session(committed_engine) as s:
        windows = s.scalars(select(RateLimitWindow.window_no).where(RateLimitWindow.key == "a"))
        assert sorted(windows) == [101, 103]  # window 100 expired at 6120
    # cleanup() removes whatever no limit reads any more.
    ratelimit_service.count_event(committed_engine, scope="t", key="b", window=60.0, now=start)
    assert ratelimit_service.cleanup(committed_engine, now=start + 119) == 0
    assert ratelimit_service.cleanup(committed_engine, now=start + 121) == 1
    assert _hits(committed_engine, "t") == 3  # a's windows 101 (2 hits) and 103 (1)
