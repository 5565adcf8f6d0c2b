"""China time (北京时间) for what people read: stored timestamps are UTC, pages speak local time.

One helper for every page (console and public boards), registered as the Jinja filter
``local``: ``{{ r.received_at|local }}`` → ``2025-07-30 20:11``.
"""

from __future__ import annotations

from datetime import datetime

from zhengwu.chinatime import CHINA as CHINA  # re-exported: pages read it here
from zhengwu.chinatime import from_stored

MINUTE = "%Y-%m-%d %H:%M"


def china_time(value: datetime | str | None) -> datetime | None:
    """Return a timestamp (aware, naive UTC, or ISO 8601 text) in China time."""
    if value is None or value == "":
        return None
    return from_stored(datetime.fromisoformat(value) if isinstance(value, str) else value)


def local_time(value: datetime | str | None, fmt: str = MINUTE, empty: str = "—") -> str:
    """Return a timestamp formatted in China time (``empty`` when there is none)."""
    local = china_time(value)
    return local.strftime(fmt) if local else empty
