"""A per-client limit on anonymous help submissions (the public form and API).

In-process and per app instance: one server process is what a city's deployment runs
during an incident, and a restart forgetting the counts is harmless. A real person in
need sends one or two requests; a script flooding the queue would bury them.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from starlette.requests import Request

from zhengwu.auth.principal import Principal
from zhengwu.errors import ZhengwuError

SUBMISSIONS, WINDOW_SECONDS = 5, 600.0


class TooManySubmissionsError(ZhengwuError):
    """Too many help submissions from one client in a short time."""

    status_code = 429


@dataclass
class SubmissionLimiter:
    """Allows ``limit`` submissions per ``window`` seconds per client address."""

    limit: int = SUBMISSIONS
    window: float = WINDOW_SECONDS
    _seen: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def check(self, client: str) -> None:
        """Count one submission from ``client``; raise 429 when over the limit."""
        now = time.monotonic()
        times = self._seen[client]
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) >= self.limit:
            raise TooManySubmissionsError(
                "提交过于频繁，请稍后再试；如情况危急请直接拨打 119 / 110",
                "too many submissions from this address; try later (in danger: call 119 / 110)",
            )
        times.append(now)


def limit_anonymous(request: Request, principal: Principal) -> None:
    """Count an anonymous submission against its client address (429 when over)."""
    if principal.is_authenticated:
        return
    limiter: SubmissionLimiter | None = getattr(request.app.state, "rescue_limiter", None)
    if limiter is not None:
        limiter.check(request.client.host if request.client else "-")
