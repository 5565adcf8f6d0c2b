"""Deadlines in working days (工作日): due dates, overdue checks and handling times.

The calendar (public holidays and 调休 make-up days) is
:mod:`zhengwu.servicedesk.workdays`; until that module is installed the desk counts
Monday–Friday only, so deadlines are never *earlier* than they should be by more than the
holidays in between.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from zhengwu.db.base import utcnow

_CN = ZoneInfo("Asia/Shanghai")  # weekdays are counted in China's local time


def _fallback_add(start: datetime, days: int) -> datetime:
    current = start.astimezone(_CN)
    step = 1 if days >= 0 else -1
    left = abs(days)
    while left:
        current += timedelta(days=step)
        if current.weekday() < 5:
            left -= 1
    return current


def _fallback_between(a: datetime, b: datetime) -> float:
    a, b = a.astimezone(_CN), b.astimezone(_CN)
    sign = 1.0
    if b < a:
        a, b, sign = b, a, -1.0
    total = 0.0
    cursor = a
    while cursor < b:
        nxt = min(
            b, (cursor + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        )
        if cursor.weekday() < 5:
            total += (nxt - cursor).total_seconds() / 86400
        cursor = nxt
    return sign * total


@cache
def _calendar() -> Any:
    try:
        return importlib.import_module("zhengwu.servicedesk.workdays")
    except ImportError:  # built by another team; weekends only until it lands
        return SimpleNamespace(
            add_working_days=_fallback_add, working_days_between=_fallback_between
        )


def add_working_days(start: datetime, days: int) -> datetime:
    """Return the moment ``days`` working days after ``start``."""
    fn: Callable[[datetime, int], datetime] = _calendar().add_working_days
    return fn(start, days)


def working_days_between(a: datetime, b: datetime) -> float:
    """Return the working days (fractional) from ``a`` to ``b``."""
    fn: Callable[[datetime, datetime], float] = _calendar().working_days_between
    return fn(a, b)


def is_overdue(due: datetime | None, done_at: datetime | None, now: datetime | None = None) -> bool:
    """Return whether a deadline was missed (done after it, or not done and past it)."""
    if due is None:
        return False
    return (done_at or now or utcnow()) > due
