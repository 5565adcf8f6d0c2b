"""A per-client sliding-window limit for anonymous submissions.

Counted in the database by default, so every server process (``--workers N``, several
servers behind a proxy) shares one limit; see :mod:`zhengwu.ratelimit.service`.
"""

from __future__ import annotations

from sqlalchemy import Engine

from zhengwu.ratelimit import service as ratelimit_service
from zhengwu.servicedesk.errors import IntakeThrottledError


class SlidingWindow:
    """Allow at most ``limit`` events per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float, engine: Engine | None = None) -> None:
        self.limit = limit
        self.window = window
        self._limiter = ratelimit_service.limiter("desk-intake", limit, window, engine)

    def hit(self, key: str) -> None:
        """Count one event for ``key``; raise IntakeThrottledError (429) over the limit."""
        if not self._limiter.allow(key):
            raise IntakeThrottledError(
                "提交过于频繁，请稍后再试", "too many submissions from this client; try later"
            )
