"""China local time (Asia/Shanghai): how a date or time given without an offset is read.

Stored timestamps are aware (naive ones are refused by the database layer), so every edge
that takes a time from a person — a query parameter, an Open311 filter — reads one without
an offset, or a bare date, as China time, the time its users live in.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def in_china(value: datetime) -> datetime:
    """Return ``value``, placed in China time when it carries no offset."""
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA)


def parse_china_time(text: str) -> datetime:
    """Return an ISO 8601 date or date-time as an aware datetime (no offset: China time).

    A bare date is midnight at its start. Raises ``ValueError`` when ``text`` is not ISO 8601.
    """
    return in_china(datetime.fromisoformat(text.strip()))
