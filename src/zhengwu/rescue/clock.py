"""When the network acts on an incident: the real clock, or the demo's running clock.

Live, verification, dispatch, closing, a coordinator's entries and a citizen's form or
update are stamped with the real time. ``zhengwu demo`` plays a past period: its incident,
posts and requests carry that period's times, up to its end
(:func:`zhengwu.servicedesk.demo.period_end`). A coordinator who then verifies or closes
one of its requests in the console acted, on the real clock, months after the people
asked, and the board's 求助→核实 median said months.

So on the demo's data (the data directory holds the demo's ``demo-input/truth.json``:
:func:`zhengwu.servicedesk.demo.demo_clock`), the demo's own incident — named after the
simulated city (:func:`zhengwu.rescue.demo.incident_name`) and created on the simulated
timeline (``created_at`` no later than the period's end) — acts on the demo's running
clock: the period's end plus the real time since the demo made its data (the file's
modification time). Actions keep their order and the real minutes between them. Any
other incident — created live on the same data, or real history already in a database
the demo was run into — and every incident on real data (no such file) acts on the real
clock: no real deployment's time is ever shifted.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session, object_session

from zhengwu.db.base import utcnow
from zhengwu.rescue.models import HelpRequest, Incident


def demo_started() -> tuple[datetime, datetime, str] | None:
    """Return the demo's period end, when the demo made its data (``truth.json``'s
    modification time) and the name of its incident, or None on real data."""
    from zhengwu.config import get_settings
    from zhengwu.servicedesk.demo import demo_clock

    end = demo_clock()
    if end is None:
        return None
    truth = get_settings().data_dir / "demo-input" / "truth.json"
    try:
        stat = truth.stat()
    except OSError:  # pragma: no cover - removed since demo_clock read it
        return None
    name = _incident_name(truth, stat.st_mtime_ns)
    if name is None:
        return None
    return end, datetime.fromtimestamp(stat.st_mtime, UTC), name


@functools.lru_cache(maxsize=4)
def _incident_name(truth: Path, stamp: int) -> str | None:
    """Return the name of the demo's incident in ``truth`` (read once per version ``stamp``)."""
    from zhengwu.rescue.demo import incident_name

    try:
        return incident_name(orjson.loads(truth.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


# Where a session keeps what it read of the demo's clock: the demo (or None), and per
# incident whether it is the demo's.
_READ = "zhengwu.rescue.clock"


def now(session: Session, incident_id: int) -> datetime:
    """Return the time of an action on ``incident_id``'s data now (see the module doc).

    The demo's files are read once per session (one HTTP request, one command), not once
    per request shown: a page of 50 requests stat'ed them 200 times.
    """
    real = utcnow()
    read: dict[Any, Any] = session.info.setdefault(_READ, {})
    if "demo" not in read:
        read["demo"] = demo_started()
    demo: tuple[datetime, datetime, str] | None = read["demo"]
    if demo is None:
        return real
    end, made, name = demo
    if (ours := read.get(incident_id)) is None:
        incident = session.get(Incident, incident_id)
        ours = incident is not None and incident.name == name and incident.created_at <= end
        if incident is not None:
            read[incident_id] = ours
    if not ours:
        return real
    return end + max(real - made, timedelta(0))


def of(request: HelpRequest) -> datetime:
    """Return the time now for ``request``'s incident (the real clock for a request in no
    session): what its waiting time and its re-verification are judged against."""
    session = object_session(request)
    if session is None or request.incident_id is None:
        return utcnow()
    return now(session, request.incident_id)
