"""The rainstorm (暴雨): a burst of posts in one city over three days.

Seed 000 counts 8,800 government accounts posting about the 2023 京津冀 rainstorm. Here
one city is struck: during the event days its government accounts post many extra
messages with the hashtag ``#<city>暴雨#`` (warnings, closures, rescue progress), its
provincial and the central emergency bodies join, a few accounts elsewhere send support,
matrix members repost their lead's event posts, and all of it gets far more engagement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhengwu.simulate.activity import PlatformActivity
from zhengwu.simulate.config import Window, rng
from zhengwu.simulate.population import Account
from zhengwu.simulate.scope import CityUnit, Scope

# Sectors that lead the response: they post most.
CORE_SECTORS = frozenset({"发布", "应急", "气象", "消防", "公安", "水利", "交通", "政务服务"})
INTENSITY = (1.0, 2.2, 1.0)  # relative strength of the event days
ENGAGEMENT_BOOST = 6.0
PLATFORM_FACTOR = {"weibo": 1.0, "wechat": 0.3, "douyin": 0.45}


@dataclass(frozen=True, slots=True)
class Rainstorm:
    """Where and when the rainstorm strikes."""

    unit: CityUnit
    days: tuple[int, ...]  # window day indices
    intensity: tuple[float, ...]

    @property
    def tag(self) -> str:
        """Return the hashtag text without ``#`` (郑州暴雨)."""
        return f"{self.unit.place.short}暴雨"

    @property
    def hashtag(self) -> str:
        """Return the Weibo hashtag (``#郑州暴雨#``)."""
        return f"#{self.tag}#"


def choose_rainstorm(scope: Scope, window: Window, seed: int) -> Rainstorm:
    """Pick the struck city (郑州 for seed 0 when in scope) and the event days."""
    candidates = [u for u in scope.units if u.kind != "direct_county"] or list(scope.units)
    unit = next((u for u in candidates if u.place.adcode == "410100" and seed == 0), None)
    if unit is None:
        gen = rng(seed, "event", "city")
        unit = candidates[int(gen.integers(len(candidates)))]
    length = min(3, window.days)
    first = min(max(round(window.days * 0.55), 1), window.days - length) if window.days > 3 else 0
    days = tuple(range(first, first + length))
    return Rainstorm(unit, days, INTENSITY[:length])


def event_rates(event: Rainstorm, accounts: list[Account], platform: str) -> np.ndarray:
    """Return each account's extra event posts per day at intensity 1 (0 = not taking part)."""
    city, province = event.unit.place.adcode, event.unit.province.adcode
    rates = np.zeros(len(accounts))
    for i, a in enumerate(accounts):
        if a.unit == city:
            if a.org >= 0:
                rates[i] = 6.0 if a.sector in CORE_SECTORS and a.level != "乡" else 1.5
            else:
                rates[i] = {"media": 5.0, "user": 1.0}.get(a.kind, 1.5)
        elif a.province == province and a.org >= 0:
            rates[i] = 2.0 if not a.unit else 0.4
        elif a.org >= 0 and a.level == "中央":
            rates[i] = 3.0 if a.sector in CORE_SECTORS else 0.5
        elif a.kind == "media" and not a.province:
            rates[i] = 4.0
        elif a.org >= 0 and a.level in ("省", "市"):
            rates[i] = 0.05  # support from elsewhere ("郑州加油")
    return rates * PLATFORM_FACTOR[platform]


def participation(event: Rainstorm, accounts: list[Account]) -> np.ndarray:
    """Return the probability that each account takes part at all."""
    city, province = event.unit.place.adcode, event.unit.province.adcode
    p = np.zeros(len(accounts))
    for i, a in enumerate(accounts):
        if a.unit == city:
            p[i] = 0.95 if a.sector in CORE_SECTORS else (0.6 if a.level == "乡" else 0.8)
        elif a.province == province:
            p[i] = 0.7 if not a.unit else 0.15
        elif a.level == "中央" or (a.kind == "media" and not a.province):
            p[i] = 0.9 if a.sector in CORE_SECTORS or a.kind == "media" else 0.2
        elif a.level in ("省", "市"):
            p[i] = 0.3
    return p


def add_event(
    event: Rainstorm, activity: PlatformActivity, accounts: list[Account], seed: int
) -> None:
    """Draw the event posts of one platform into ``activity.event_counts``."""
    gen = rng(seed, "event", activity.platform)
    takes_part = gen.random(len(accounts)) < participation(event, accounts)
    # Dormant accounts stay silent even now: that is what makes them dormant.
    silent = activity.quiet_from <= event.days[0]
    lam = np.where(takes_part & ~silent, event_rates(event, accounts, activity.platform), 0.0)
    intensity = np.asarray(event.intensity)
    counts = gen.poisson(lam[:, None] * intensity[None, :])
    # Everyone who takes part posts at least once on the peak day.
    peak = int(np.argmax(intensity))
    counts[:, peak] = np.where(lam > 0, np.maximum(counts[:, peak], 1), counts[:, peak])
    activity.event_counts = np.minimum(counts, 255).astype(np.uint8)
    activity.event_days = event.days
