"""Citizen streams of the simulator: requests to the service desk and flood help posts.

They are registered as simulator streams, so ``zhengwu simulate`` (and the demo) writes
``requests/`` and ``help/`` next to the platform files, in the same Weibo API format that the
importers read, plus ground truth for tests and benchmarks.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from zhengwu.simulate.helpposts import write_help_posts
from zhengwu.simulate.population import LEVELS
from zhengwu.simulate.requests import write_requests
from zhengwu.simulate.streams import StreamContext, register_stream
from zhengwu.simulate.weibo import statuses_counts, user_json

CHINA = timezone(timedelta(hours=8))
# Requests per day and help posts per flood, by scale.
REQUESTS_PER_DAY = {"city": 20.0, "province": 120.0, "national": 1500.0}
HELP_POSTS = {"city": 800, "province": 3000, "national": 10_000}
# The bodies whose accounts post the official notices among the help posts.
_NOTICE_BODIES = frozenset({"publish", "emergency"})


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
            n_posts=HELP_POSTS.get(ctx.config.scale, 800), officials=notice_accounts(ctx),
        )  # fmt: skip
        ctx.truth.section("help").update(_jsonable(result, ctx))
        ctx.files.extend(sorted((ctx.out / "help").glob("*")))


def notice_accounts(ctx: StreamContext) -> list[dict[str, object]]:
    """Return the Weibo users that post the flood's official notices.

    They are the struck city's own 发布 and emergency bureau accounts of its highest level
    (the province level for a municipality, the county level for a county-level city),
    embedded exactly as the Weibo stream embeds them, so the notices add no account. Empty
    when Weibo is not simulated or the city has neither account.
    """
    if "weibo" not in ctx.config.platforms:
        return []
    accounts, act = ctx.population.accounts["weibo"], ctx.activity["weibo"]
    unit, orgs = ctx.event.unit.place.adcode, ctx.population.orgs
    found = [
        (LEVELS.index(a.level), i)
        for i, a in enumerate(accounts)
        if a.org >= 0 and a.unit == unit and orgs[a.org].body in _NOTICE_BODIES
    ]
    if not found:
        return []
    top = min(level for level, _ in found)
    statuses = statuses_counts(act)
    return [
        user_json(accounts[i], act, i, int(statuses[i]), full=False)
        for level, i in found
        if level == top
    ]


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
