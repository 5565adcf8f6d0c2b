"""China local time (Asia/Shanghai, 北京时间): the one place both directions are decided.

* In: every edge that takes a time from a person — a query parameter, an Open311 filter —
  reads one without an offset, or a bare date, as China time, the time its users live in
  (:func:`in_china`, :func:`parse_china_time`).
* Out: stored timestamps are UTC (the analytics store keeps them naive), and what people
  read is China time (:func:`from_stored`; pages format it with ``zhengwu.web.localtime``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991


def from_stored(moment: datetime) -> datetime:
    """Return a stored timestamp (aware, or naive UTC as the stores keep it) in China time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA)


def in_china(value: datetime) -> datetime:
    """Return ``value``, placed in China time when it carries no offset."""
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA)


def parse_china_time(text: str) -> datetime:
    """Return an ISO 8601 date or date-time as an aware datetime (no offset: China time).

    A bare date is midnight at its start. Raises ``ValueError`` when ``text`` is not ISO 8601.
    """
    return in_china(datetime.fromisoformat(text.strip()))
