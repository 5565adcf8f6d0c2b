"""Posts of a group of accounts in one month, as numpy columns (no Python object per post).

Every platform writer draws a :class:`PostBatch` per (month, account chunk) from the count
matrices of :mod:`zhengwu.simulate.activity`, then renders it line by line. Rows are
sorted by account, then time; an account never has two posts in the same second, so
``(time, account)`` identifies a post and the platform ids built from it are unique.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zhengwu.simulate.activity import PlatformActivity, hour_probabilities, sample_seconds
from zhengwu.simulate.config import Month, Window

_GROUP = np.int64(1) << np.int64(40)


@dataclass(slots=True)
class PostBatch:
    """Posts as parallel columns, sorted by (account, time)."""

    acct: np.ndarray  # int64 account index on the platform
    ts: np.ndarray  # int64 unix seconds
    event: np.ndarray  # bool: an event post (rainstorm)
    pick: np.ndarray  # int64 random bits: template, topic, pictures …
    noise: np.ndarray  # float64 lognormal engagement noise

    def __len__(self) -> int:
        return int(self.acct.shape[0])

    def take(self, rows: np.ndarray) -> PostBatch:
        """Return the batch restricted to some rows (a boolean mask or indices)."""
        return PostBatch(
            self.acct[rows], self.ts[rows], self.event[rows], self.pick[rows], self.noise[rows]
        )


def draw_batch(
    activity: PlatformActivity,
    accounts: np.ndarray,
    month: Month,
    window: Window,
    gen: np.random.Generator,
    *,
    hours: str,
) -> PostBatch:
    """Draw the posts of ``accounts`` (sorted indices) in ``month``."""
    first, stop = month.first_day, month.stop_day
    days = np.arange(first, stop, dtype=np.int64)
    parts = [_expand(activity.counts[accounts, first:stop], accounts, days)]
    event_days = [d for d in activity.event_days if first <= d < stop]
    if event_days and activity.event_counts.size:
        cols = [activity.event_days.index(d) for d in event_days]
        parts.append(
            _expand(activity.event_counts[accounts][:, cols], accounts, np.array(event_days))
        )
    acct = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    event = np.concatenate([np.full(p[0].shape[0], i == 1) for i, p in enumerate(parts)])
    seconds = np.empty(acct.shape[0], dtype=np.int64)
    normal = ~event
    seconds[normal] = sample_seconds(gen, hour_probabilities(hours), int(normal.sum()))
    seconds[event] = sample_seconds(gen, hour_probabilities("event"), int(event.sum()))
    ts = window.start_ts + day * 86_400 + seconds
    order = np.lexsort((ts, acct))
    acct, ts, event = acct[order], ts[order], event[order]
    ts = _strictly_increasing(acct, ts)
    size = int(acct.shape[0])
    pick = gen.integers(0, 1 << 40, size, dtype=np.int64)
    noise = np.exp(gen.normal(0.0, 1.1, size))
    # A few posts go viral: one in 250 gets 10–60 times the usual response.
    viral = gen.random(size) < 0.004
    noise[viral] *= gen.uniform(10, 60, int(viral.sum()))
    return PostBatch(acct, ts, event, pick, noise)


def _expand(
    counts: np.ndarray, accounts: np.ndarray, days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a [account, day] count block into one (account, day) row per post."""
    flat = counts.reshape(-1).astype(np.int64)
    acct = np.repeat(np.repeat(accounts.astype(np.int64), days.shape[0]), flat)
    day = np.repeat(np.tile(days, accounts.shape[0]), flat)
    return acct, day


def _strictly_increasing(acct: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Push same-second posts of one account apart by a second each (rows sorted)."""
    if ts.shape[0] < 2:
        return ts
    pos = np.arange(ts.shape[0], dtype=np.int64)
    # ts strictly increasing within a group ⇔ ts - pos non-decreasing; groups are kept
    # apart by a large per-account offset, so one running maximum fixes every group.
    shifted = acct * _GROUP + (ts - pos)
    fixed = np.maximum.accumulate(shifted)
    return fixed - acct * _GROUP + pos


def group_bounds(acct: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (accounts, start row, stop row) of each account's rows in a sorted batch."""
    if acct.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    change = np.flatnonzero(np.diff(acct)) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [acct.shape[0]]])
    return acct[starts], starts, stops
