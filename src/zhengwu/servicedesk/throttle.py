"""A per-client sliding-window limit for anonymous submissions (in-process).

One server process counts its own clients; behind several workers each counts apart, which
still bounds a flood by workers × limit — enough against a script, and it needs no store.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from zhengwu.servicedesk.errors import IntakeThrottledError


class SlidingWindow:
    """Allow at most ``limit`` events per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one event for ``key``; raise IntakeThrottledError (429) over the limit."""
        now = time.monotonic()
        with self._lock:
            events = self._events[key]
            while events and now - events[0] > self.window:
                events.popleft()
            if len(events) >= self.limit:
                raise IntakeThrottledError(
                    "提交过于频繁，请稍后再试", "too many submissions from this client; try later"
                )
            events.append(now)
