"""Streams written by the citizen-facing simulators: requests (诉求) and help posts (求助).

Both generators are self-contained (:mod:`zhengwu.simulate.requests`,
:mod:`zhengwu.simulate.helpposts`); these adapters give them the run's population, event
and seed, and record their counts in the ground truth (their own truth files sit next to
their output).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from zhengwu.simulate.config import CHINA_TZ, rng
from zhengwu.simulate.streams import StreamContext

# Requests per day and help posts per rainstorm, by scale.
REQUESTS_PER_DAY = {"city": 20.0, "province": 40.0, "national": 80.0}
HELP_POSTS = {"city": 1_500, "province": 3_000, "national": 6_000}


def _counts(result: dict[str, Any]) -> dict[str, Any]:
    """Drop file paths (absolute, so they would make equal runs differ)."""
    return {k: v for k, v in result.items() if not k.endswith(("path", "paths"))}


class RequestsStream:
    """Citizens' requests addressed to the struck city's government accounts."""

    name = "requests"

    def write(self, ctx: StreamContext) -> None:
        """Write ``requests/`` for the event city's Weibo government accounts."""
        if "weibo" not in ctx.config.platforms:
            return
        if ctx.event.unit.kind == "direct_county":
            # The request generator places problems in a city's counties; 济源-like
            # county-level cities have none, so there is nothing to address.
            ctx.truth.section("requests").update(skipped="county-level city without counties")
            return
        from zhengwu.simulate.requests import write_requests

        city = ctx.event.unit.place.adcode
        accounts = [a for a in ctx.population.accounts["weibo"] if a.org >= 0 and a.unit == city]
        result = write_requests(
            ctx.out,
            accounts=accounts,
            rng=rng(ctx.config.seed, "requests"),
            start=ctx.window.start,
            days=ctx.window.days,
            per_day=REQUESTS_PER_DAY[ctx.config.scale],
        )
        ctx.files.extend(sorted((ctx.out / "requests").iterdir()))
        ctx.truth.section("requests").update(_counts(result))


class HelpPostsStream:
    """Help posts (求助) and their mirrors during the rainstorm."""

    name = "help"

    def write(self, ctx: StreamContext) -> None:
        """Write ``help/posts.jsonl`` and ``help/truth.jsonl`` for the struck city."""
        if "weibo" not in ctx.config.platforms:
            return
        from zhengwu.simulate.helpposts import write_help_posts

        first = ctx.window.dates[ctx.event.days[0]]
        result = write_help_posts(
            ctx.out,
            rng=rng(ctx.config.seed, "help"),
            city_adcode=ctx.event.unit.place.adcode,
            start=datetime(first.year, first.month, first.day, 6, tzinfo=CHINA_TZ),
            n_posts=HELP_POSTS[ctx.config.scale],
        )
        ctx.files.extend(sorted((ctx.out / "help").iterdir()))
        ctx.truth.section("help").update(_counts(result))
