"""Ground truth (``truth.json``): what the simulator knows that the payloads only imply.

Tests and benchmarks of later modules read it: the window, the rainstorm and who posted
about it, dormant accounts per platform (no post in the ``dormant_days`` before the window
end, computed from what was actually written), designed dormant and never-posting
accounts, zombies, accounts that reply to comments with their reply rate, post counts,
non-government accounts, and the follower concentration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from zhengwu.simulate.activity import PlatformActivity
from zhengwu.simulate.population import Account
from zhengwu.simulate.streams import StreamContext

DORMANT_DAYS = 14  # 国办秘函〔2019〕19号: no post in two weeks fails the check


def _uids(accounts: list[Account], mask: np.ndarray) -> list[str]:
    return [accounts[i].uid for i in np.flatnonzero(mask).tolist()]


def top_share(values: np.ndarray, share: float = 0.01) -> float:
    """Return the fraction of the total held by the top ``share`` of values."""
    if values.size == 0 or values.sum() == 0:
        return 0.0
    k = max(1, round(values.size * share))
    top = np.sort(values)[::-1][:k]
    return float(top.sum() / values.sum())


def record_platform(
    ctx: StreamContext,
    platform: str,
    accounts: list[Account],
    act: PlatformActivity,
    posts: np.ndarray,
    last_ts: np.ndarray,
    event_posts: np.ndarray,
    extra: dict[str, Any] | None = None,
) -> None:
    """Record the truth of one platform from what its stream wrote."""
    window = ctx.window
    days = min(DORMANT_DAYS, window.days)
    cutoff = window.end_ts - days * 86_400
    gov = np.array([a.org >= 0 for a in accounts], dtype=bool)
    section: dict[str, Any] = {
        "accounts": len(accounts),
        "government_accounts": int(gov.sum()),
        "posts": int(posts.sum()),
        "posts_by_government": int(posts[gov].sum()),
        "dormant_days": days,
        "dormant": _uids(accounts, last_ts < cutoff),
        "designed_dormant": _uids(accounts, act.dormant),
        "never_posted": _uids(accounts, act.never),
        "zombies": _uids(accounts, act.zombie),
        "repliers": {
            accounts[i].uid: float(act.reply_rate[i]) for i in np.flatnonzero(act.replier).tolist()
        },
        "event_posts": int(event_posts.sum()),
        "event_posters": _uids(accounts, event_posts > 0),
        "followers_top1pct_share": round(top_share(act.followers[gov]), 4),
        "median_posts_per_day_government": round(
            float(np.median(posts[gov]) / window.days) if gov.any() else 0.0, 4
        ),
        "max_posts_per_day": round(float(posts.max() / window.days) if posts.size else 0.0, 2),
        "non_government": [
            {"uid": a.uid, "name": a.name, "kind": a.kind, "verified_type": a.verified_type}
            for a in accounts
            if a.org < 0
        ],
    }
    section.update(extra or {})
    ctx.truth.section("platforms")[platform] = section
    event = ctx.truth.section("event")
    event.setdefault("posters", {})[platform] = section["event_posters"]


def record_run(ctx: StreamContext) -> None:
    """Record the run settings, the window, the scope and the event."""
    config, event, scope = ctx.config, ctx.event, ctx.population.scope
    ctx.truth.sections.update(
        seed=config.seed,
        scale=config.scale,
        requested_platforms=list(config.platforms),
        window=ctx.window.iso() | {"days": ctx.window.days},
        scope={
            "provinces": [p.adcode for p in scope.provinces],
            "cities": [u.place.adcode for u in scope.units],
            "central": scope.central,
        },
    )
    dates = [ctx.window.dates[d] for d in event.days]
    ctx.truth.section("event").update(
        kind="rainstorm",
        city=event.unit.place.adcode,
        city_name=event.unit.place.name,
        province=event.unit.province.adcode,
        hashtag=event.hashtag,
        tag=event.tag,
        days=[d.isoformat() for d in dates],
        start=f"{dates[0].isoformat()}T00:00:00+08:00",
        end=f"{dates[-1].isoformat()}T23:59:59+08:00",
    )


def write_truth(ctx: StreamContext) -> Path:
    """Write ``truth.json`` (sorted keys, so equal runs give equal bytes)."""
    files = sorted(str(p.relative_to(ctx.out)) for p in ctx.files)
    ctx.truth.sections["files"] = [*files, "truth.json"]
    path = ctx.out / "truth.json"
    path.write_bytes(
        orjson.dumps(ctx.truth.sections, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return path
