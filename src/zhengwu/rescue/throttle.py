"""A per-client limit on anonymous help submissions (the public form and API).

Counted in the database by default, shared by every server process (``--workers N``,
several servers behind a proxy); ``ZHENGWU_RATE_LIMIT_STORE=memory`` counts per process
(:mod:`zhengwu.ratelimit.service`). A real person in need sends one or two requests; a
script flooding the queue would bury them.

The limit is a setting: ``ZHENGWU_RESCUE_HELP_LIMIT`` submissions (default 5) per
``ZHENGWU_RESCUE_HELP_WINDOW_SECONDS`` (default 600) per client address. Behind a shared
address (a shelter's Wi-Fi, a carrier's NAT) raise it; see docs/configuration.md.
"""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.requests import Request

from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.errors import ZhengwuError
from zhengwu.ratelimit import service as ratelimit_service

SUBMISSIONS, WINDOW_SECONDS = 5, 600.0  # the settings' defaults
# Follow-up calls (status, update, withdraw, phone + code look-ups) per client and window:
# enough for a worried person to reload, too few to guess a six-digit code.
FOLLOWUP_CALLS = 30


class TooManySubmissionsError(ZhengwuError):
    """Too many help submissions from one client in a short time."""

    status_code = 429


class SubmissionLimiter:
    """Allows ``limit`` submissions per ``window`` seconds per client address."""

    def __init__(
        self,
        limit: int = SUBMISSIONS,
        window: float = WINDOW_SECONDS,
        *,
        scope: str = "rescue-help",
        engine: Engine | None = None,
    ) -> None:
        self.limit = limit
        self.window = window
        self._limiter = ratelimit_service.limiter(scope, limit, window, engine)

    def check(self, client: str) -> None:
        """Count one submission from ``client``; raise 429 when over the limit."""
        if not self._limiter.allow(client):
            raise TooManySubmissionsError(
                "提交过于频繁，请稍后再试；如情况危急请直接拨打 119 / 110",
                "too many submissions from this address; try later (in danger: call 119 / 110)",
            )


def from_settings(engine: Engine | None = None) -> SubmissionLimiter:
    """Return a limiter with the configured limit and window (``ZHENGWU_RESCUE_HELP_*``)."""
    settings = get_settings()
    return SubmissionLimiter(
        limit=settings.rescue_help_limit, window=settings.rescue_help_window_seconds,
        engine=engine,
    )  # fmt: skip


def limit_anonymous(request: Request, principal: Principal) -> None:
    """Count an anonymous submission against its client address (429 when over)."""
    if principal.is_authenticated:
        return
    limiter: SubmissionLimiter | None = getattr(request.app.state, "rescue_limiter", None)
    if limiter is not None:
        limiter.check(request.client.host if request.client else "-")


def limit_followup(request: Request) -> None:
    """Count a follow-up call (any caller) against its client address (429 when over)."""
    limiter: SubmissionLimiter | None = getattr(request.app.state, "rescue_followup_limiter", None)
    if limiter is not None:
        limiter.check(request.client.host if request.client else "-")
