"""Deadlines in working days (工作日): due dates, overdue checks and handling times.

The calendar — public holidays, 调休 make-up days, a deployment's own overrides — is
:mod:`zhengwu.servicedesk.workdays`; this module is the desk's one door to it.
"""

from __future__ import annotations

from datetime import datetime

from zhengwu.db.base import utcnow
from zhengwu.servicedesk import workdays


def add_working_days(start: datetime, days: int) -> datetime:
    """Return the moment ``days`` working days after ``start``."""
    return workdays.add_working_days(start, days)


def working_days_between(a: datetime, b: datetime) -> float:
    """Return the working days (fractional) from ``a`` to ``b``."""
    return workdays.working_days_between(a, b)


def is_overdue(due: datetime | None, done_at: datetime | None, now: datetime | None = None) -> bool:
    """Return whether a deadline was missed (done after it, or not done and past it)."""
    if due is None:
        return False
    return (done_at or now or utcnow()) > due
