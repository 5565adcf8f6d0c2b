"""Citizen streams of the simulator: requests to the service desk and flood help posts.

They are registered as simulator streams, so ``zhengwu simulate`` (and the demo) writes
``requests/`` and ``help/`` next to the platform files, in the same Weibo API format that the
importers read, plus ground truth for tests and benchmarks.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from zhengwu.simulate.helpposts import write_help_posts
from zhengwu.simulate.requests import write_requests
from zhengwu.simulate.streams import StreamContext, register_stream

CHINA = timezone(timedelta(hours=8))
# Requests per day and help posts per flood, by scale.
REQUESTS_PER_DAY = {"city": 20.0, "province": 120.0, "national": 1500.0}
HELP_POSTS = {"city": 800, "province": 3000, "national": 10_000}


def _rng(ctx: StreamContext, salt: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64([ctx.config.seed, salt]))


class RequestsStream:
    """Citizens' requests addressed to government accounts (mentions, #马上办#, forms, 12345)."""

    name = "requests"

    def write(self, ctx: StreamContext) -> None:
        """Write ``requests/`` for the whole window."""
        accounts = [a for a in ctx.population.accounts.get("weibo", []) if a.kind == "gov"]
        if not accounts:
            return
        if ctx.config.scale == "city" and ctx.event.unit.kind == "direct_county":
            # Requests are placed in a city's counties; a county-level city run (济源) has none.
            ctx.truth.section("requests").update(skipped="county-level city without counties")
            return
        result = write_requests(
            ctx.out, accounts=accounts, rng=_rng(ctx, 311), start=ctx.window.start,
            days=ctx.window.days, per_day=REQUESTS_PER_DAY.get(ctx.config.scale, 20.0),
        )  # fmt: skip
        ctx.truth.section("requests").update(_jsonable(result, ctx))
        ctx.files.extend(sorted((ctx.out / "requests").glob("*")))


class HelpPostsStream:
    """Help posts during the simulated rainstorm (#…暴雨互助#), with reposts and copies."""

    name = "help"

    def write(self, ctx: StreamContext) -> None:
        """Write ``help/`` for the rainstorm's city, starting on its first day."""
        first_day = ctx.window.dates[ctx.event.days[0]] if ctx.event.days else ctx.window.start
        start = datetime(first_day.year, first_day.month, first_day.day, 6, tzinfo=CHINA)
        result = write_help_posts(
            ctx.out, rng=_rng(ctx, 119), city_adcode=ctx.event.unit.place.adcode, start=start,
            n_posts=HELP_POSTS.get(ctx.config.scale, 800),
        )  # fmt: skip
        ctx.truth.section("help").update(_jsonable(result, ctx))
        ctx.files.extend(sorted((ctx.out / "help").glob("*")))


def _jsonable(value: dict[str, object], ctx: StreamContext) -> dict[str, object]:
    """Return a result with its file paths relative to the output directory.

    Absolute paths would make two equal runs into different directories differ.
    """
    out = str(ctx.out)

    def clean(v: object) -> object:
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        text = str(v) if hasattr(v, "__fspath__") else v
        if isinstance(text, str) and text.startswith(out):
            return text[len(out) :].lstrip("/")
        return text

    return {k: clean(v) for k, v in value.items()}


register_stream(RequestsStream)
register_stream(HelpPostsStream)
