"""Posting behaviour and engagement: who posts how often, when, and how much response.

Per platform every account gets (vectorised with numpy):

* a daily posting rate, heavy-tailed: median 0.3 Weibo posts a day for government
  accounts, a long upper tail of hyperactive accounts (20+ a day, Pareto);
* followers, lognormal by level and sector (中央 ≫ 省 ≫ 市 ≫ 县 ≫ 乡), higher for active accounts;
* flags: dormant (~6.5 %: nothing in the last ≥ 21 days, some never post), zombie (~4 %:
  posts but ~0 engagement, never replies), replier (answers comments, never dormant or a
  zombie; the rate goes to the ground truth and scales both the share of the comments
  under its Weibo posts it answers and the share of its ordinary posts that are timeline
  replies "回复@网友…:" — the own replies the index's compliance gate looks for, see
  weibo.py and weibo_comments.py);
* a count matrix ``counts[account, day]`` drawn from Poisson(rate × day factor), where the
  day factor carries the weekly rhythm and public holidays (``chinese_calendar``).

Times within a day follow a daily rhythm (few posts at night, peaks 8–10 h and 20–22 h).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from zhengwu.simulate.config import Window, rng
from zhengwu.simulate.population import Account

# Relative posting intensity by hour of day (China time).
HOURLY: dict[str, tuple[float, ...]] = {
    "weibo": (0.8, 0.4, 0.2, 0.15, 0.15, 0.3, 1.2, 3.0, 6.5, 7.5, 6.8, 5.5,
              4.0, 3.5, 4.5, 5.0, 5.0, 4.8, 4.5, 5.0, 6.5, 7.0, 5.5, 2.5),
    "wechat": (0.3, 0.1, 0.05, 0.05, 0.05, 0.2, 1.5, 5.0, 6.0, 4.0, 3.0, 4.0,
               5.0, 3.0, 2.5, 2.5, 3.0, 5.0, 6.0, 5.0, 5.0, 5.5, 3.0, 1.0),
    "douyin": (1.0, 0.5, 0.2, 0.1, 0.1, 0.2, 0.8, 2.0, 3.5, 4.0, 4.0, 4.5,
               5.5, 4.5, 3.5, 3.5, 4.0, 5.0, 6.5, 7.0, 7.5, 7.0, 5.0, 2.5),
    # During an emergency accounts post around the clock.
    "event": (2.5, 2.0, 1.8, 1.8, 2.0, 2.5, 3.5, 4.5, 5.5, 6.0, 6.0, 5.5,
              5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.5, 6.0, 6.0, 5.0, 3.5),
}  # fmt: skip
WEEKDAY_FACTOR = (1.08, 1.08, 1.08, 1.08, 1.06, 0.72, 0.66)  # Monday … Sunday
HOLIDAY_FACTOR = 0.55

# Median daily rate of government accounts and the tails of the log-rate.
MEDIAN_RATE = {"weibo": 0.3, "wechat": 0.25, "douyin": 0.12}
LEVEL_SHIFT = {"中央": 1.2, "省": 0.9, "市": 0.5, "县": 0.0, "乡": -0.6}
SECTOR_SHIFT = {"发布": 0.6, "公安": 0.35, "政务服务": 0.4, "消防": 0.2, "文旅": 0.25,
                "气象": 0.3, "人大": -0.4, "政协": -0.4, "统计": -0.3, "退役军人": -0.2}  # fmt: skip
HYPERACTIVE_SHARE = 0.0025
MAX_RATE = {"weibo": 80.0, "wechat": 3.0, "douyin": 8.0}
# Followers: median by level, lognormal spread.
FOLLOWER_MEDIAN = {"中央": 3_000_000, "省": 600_000, "市": 90_000, "县": 12_000, "乡": 1_800}
PLATFORM_FOLLOWER_FACTOR = {"weibo": 1.0, "wechat": 0.6, "douyin": 1.4}
# Non-government accounts: (median daily rate, median followers).
NON_GOV = {
    "media": (12.0, 800_000),
    "company": (1.0, 80_000),
    "quasi": (0.8, 120_000),
    "campus": (0.5, 40_000),
    "user": (1.2, 180),
}
DORMANT_SHARE = 0.065
NEVER_SHARE = 0.3  # of the dormant accounts
ZOMBIE_SHARE = 0.04


@dataclass
class PlatformActivity:
    """Per-account behaviour of one platform, aligned with the platform's account list."""

    platform: str
    rate: np.ndarray
    followers: np.ndarray
    friends: np.ndarray
    prior_posts: np.ndarray
    quality: np.ndarray
    zombie: np.ndarray
    dormant: np.ndarray
    never: np.ndarray
    quiet_from: np.ndarray  # first window day with no posts any more (dormant accounts)
    replier: np.ndarray
    reply_rate: np.ndarray
    repost_prob: np.ndarray
    pic_prob: np.ndarray
    source: np.ndarray
    counts: np.ndarray  # uint8 [account, day]
    event_counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.uint8))
    event_days: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        """Return the number of accounts."""
        return int(self.rate.shape[0])


def day_factors(window: Window) -> np.ndarray:
    """Return the posting factor of each window day (weekday rhythm, public holidays)."""
    factors = np.empty(window.days)
    for i, day in enumerate(window.dates):
        factor = WEEKDAY_FACTOR[day.weekday()]
        holiday, workday = _calendar(day)
        if holiday and day.weekday() < 5:
            factor = HOLIDAY_FACTOR
        elif workday and day.weekday() >= 5:  # 调休: a weekend day worked
            factor = WEEKDAY_FACTOR[0]
        factors[i] = factor
    return factors


def _calendar(day: date) -> tuple[bool, bool]:
    """Return (statutory holiday, make-up working day) for a date."""
    import chinese_calendar

    try:
        on_holiday, _name = chinese_calendar.get_holiday_detail(day)
        workday = bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # Outside the calendar's years: weekends only.
        return False, False
    return bool(on_holiday) and not workday, workday


def hour_probabilities(kind: str) -> np.ndarray:
    """Return the hour-of-day distribution of a platform (or "event")."""
    weights = np.asarray(HOURLY[kind], dtype=float)
    probabilities: np.ndarray = weights / weights.sum()
    return probabilities


def build_activity(
    platform: str, accounts: list[Account], window: Window, seed: int
) -> PlatformActivity:
    """Draw the behaviour of every account of one platform."""
    gen = rng(seed, "activity", platform)
    n = len(accounts)
    gov = np.array([a.org >= 0 for a in accounts], dtype=bool)
    level = [a.level for a in accounts]
    sector = [a.sector for a in accounts]
    kind = [a.kind for a in accounts]

    # Posting rate: asymmetric log-normal around the median, plus a Pareto head.
    z = gen.standard_normal(n)
    shift = np.array(
        [
            LEVEL_SHIFT.get(lv, 0.0) + SECTOR_SHIFT.get(s, 0.0)
            for lv, s in zip(level, sector, strict=True)
        ]
    )
    log_rate = shift + np.where(z < 0, 0.9 * z, 0.42 * z)
    if gov.any():
        log_rate[gov] += np.log(MEDIAN_RATE[platform]) - np.median(log_rate[gov])
    rate = np.exp(log_rate)
    hyper = gov & (gen.random(n) < HYPERACTIVE_SHARE * np.exp(shift))
    pareto = np.minimum(10.0 * (1.0 - gen.random(n)) ** (-1 / 1.8), 80.0)
    platform_scale = MEDIAN_RATE[platform] / MEDIAN_RATE["weibo"]
    rate = np.where(hyper, pareto * platform_scale, rate)

    # Followers: lognormal by level and sector, higher for active accounts.
    median = np.array([FOLLOWER_MEDIAN.get(lv, 0) for lv in level], dtype=float)
    sector_boost = np.array([np.exp(SECTOR_SHIFT.get(s, 0.0) * 1.5) for s in sector])
    followers = median * sector_boost * np.exp(gen.normal(0.0, 1.25, n))
    # A few accounts become stars of their level (网红局长, a viral police account).
    followers *= np.where(gen.random(n) < 0.01, gen.uniform(5, 30, n), 1.0)
    followers *= (rate / MEDIAN_RATE[platform]) ** 0.3
    for k, (k_rate, k_followers) in NON_GOV.items():
        mask = np.array([x == k for x in kind], dtype=bool)
        if mask.any():
            rate[mask] = k_rate * np.exp(gen.normal(0, 0.6, mask.sum())) * platform_scale
            followers[mask] = k_followers * np.exp(gen.normal(0, 1.3, mask.sum()))
    # A WeChat subscription account pushes about once a day; video takes time to make.
    rate = np.minimum(rate, MAX_RATE[platform])
    national = np.array([a.kind != "user" and not a.province and a.org < 0 for a in accounts])
    followers[national] *= 60  # 央视新闻-class media: tens of millions
    followers = np.maximum(followers * PLATFORM_FOLLOWER_FACTOR[platform], 3).astype(np.int64)

    # Behaviour flags (government accounts only).
    dormant = gov & (gen.random(n) < DORMANT_SHARE)
    never = dormant & (gen.random(n) < NEVER_SHARE)
    zombie = gov & ~dormant & (gen.random(n) < ZOMBIE_SHARE)
    quiet_gap = gen.integers(21, 75, n)
    quiet_from = np.where(dormant, window.days - quiet_gap, window.days)
    quiet_from = np.where(never, -1, quiet_from)
    reply_p = np.array([_reply_probability(s, lv) for s, lv in zip(sector, level, strict=True)])
    replier = gov & ~zombie & ~dormant & (gen.random(n) < reply_p)
    reply_rate = np.where(replier, gen.uniform(0.05, 0.6, n), 0.0)

    quality = np.exp(gen.normal(0.0, 0.7, n))
    quality[zombie] = 0.001
    prior_years = gen.uniform(0.5, 9.0, n)
    prior_posts = np.where(never, 0, (rate * 365 * prior_years * 0.7).astype(np.int64))

    counts = _draw_counts(gen, rate, day_factors(window), quiet_from)
    level_repost = {"乡": 0.35, "县": 0.25, "市": 0.12, "省": 0.06}
    repost_prob = np.array([level_repost.get(lv, 0.0) for lv in level]) * gen.uniform(0.3, 1.7, n)
    return PlatformActivity(
        platform=platform,
        rate=rate,
        followers=followers,
        friends=np.exp(gen.normal(5.5, 1.0, n)).astype(np.int64),
        prior_posts=prior_posts,
        quality=quality,
        zombie=zombie,
        dormant=dormant,
        never=never,
        quiet_from=quiet_from,
        replier=replier,
        reply_rate=np.round(reply_rate, 3),
        repost_prob=np.clip(repost_prob, 0.0, 0.8),
        pic_prob=gen.uniform(0.2, 0.9, n),
        source=gen.integers(0, 1 << 16, n),
        counts=counts,
    )


def _reply_probability(sector: str, level: str) -> float:
    """Return how likely a body is to answer comments (service bodies answer most)."""
    # Most bodies answer some comments; the 国办 checks still find many that do not (互动回应差).
    base = {"政务服务": 0.95, "公安": 0.85, "发布": 0.75, "消防": 0.7, "文旅": 0.7}.get(sector, 0.6)
    return base * (0.6 if level == "乡" else 1.0)


def _draw_counts(
    gen: np.random.Generator, rate: np.ndarray, factors: np.ndarray, quiet_from: np.ndarray
) -> np.ndarray:
    """Return posts per account and day: Poisson(rate × day factor), silenced when dormant."""
    n, days = rate.shape[0], factors.shape[0]
    counts = np.empty((n, days), dtype=np.uint8)
    step = 8192
    day_index = np.arange(days)
    for lo in range(0, n, step):
        lam = rate[lo : lo + step, None] * factors[None, :]
        block = np.minimum(gen.poisson(lam), 255)
        block[day_index[None, :] >= quiet_from[lo : lo + step, None]] = 0
        counts[lo : lo + step] = block
    return counts


def sample_seconds(gen: np.random.Generator, hours: np.ndarray, size: int) -> np.ndarray:
    """Return ``size`` seconds-of-day following an hour-of-day distribution."""
    hour = gen.choice(24, size=size, p=hours)
    return hour * 3600 + gen.integers(0, 3600, size)


def growth(age_seconds: np.ndarray) -> np.ndarray:
    """Return the share of its final engagement a post has reached at a given age."""
    share: np.ndarray = 1.0 - np.exp(-np.maximum(age_seconds, 0) / 36_000.0)
    return share
