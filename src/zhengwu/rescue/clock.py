"""When the network acts on an incident: the real clock, or the demo's running clock.

Live, verification, dispatch, closing, a coordinator's entries and a citizen's form or
update are stamped with the real time. ``zhengwu demo`` plays a past period: its incident,
posts and requests carry that period's times, up to its end
(:func:`zhengwu.servicedesk.demo.period_end`). A coordinator who then verifies or closes
one of its requests in the console acted, on the real clock, months after the people
asked, and the board's 求助→核实 median said months.

So the demo's own incident acts on the demo's running clock: the period's end plus the
real time since the demo made its data. Actions keep their order and the real minutes
between them. The demo stores that clock on its incident (``demo_period_end``,
``demo_clock_from``: :func:`start_demo_clock`), and the clock is read from there: a demo
run that crashed after deleting ``demo-input/truth.json`` (the simulation clears its
output first) put the incident on today's clock, and the next run started the clock over.
An incident the demo made before it stored its clock (revision 0042) is known by the
file as before: on the demo's data (the data directory holds the demo's
``demo-input/truth.json``: :func:`zhengwu.servicedesk.demo.demo_clock`), the incident
named after the simulated city (:func:`zhengwu.rescue.demo.incident_name`) and created on
the simulated timeline (``created_at`` no later than the period's end), its clock starting
at the file's modification time. Any other incident — created live on the same data, or
real history already in a database the demo was run into — and every incident on real
data acts on the real clock: no real deployment's time is ever shifted.
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

    The incident and the demo's files are read once per session (one HTTP request, one
    command), not once per request shown: a page of 50 requests stat'ed them 200 times.
    """
    real = utcnow()
    read: dict[Any, Any] = session.info.setdefault(_READ, {})
    if incident_id not in read:
        incident = session.get(Incident, incident_id)
        if incident is None:
            return real
        read[incident_id] = _demo_clock(incident, read)
    started: tuple[datetime, datetime] | None = read[incident_id]
    if started is None:
        return real
    end, made = started
    return end + max(real - made, timedelta(0))


def _demo_clock(incident: Incident, read: dict[Any, Any]) -> tuple[datetime, datetime] | None:
    """Return where ``incident``'s demo clock starts (the period's end, the real time it
    starts at), or None for an incident on the real clock."""
    if incident.demo_period_end is not None and incident.demo_clock_from is not None:
        return incident.demo_period_end, incident.demo_clock_from
    if "demo" not in read:
        read["demo"] = demo_started()
    demo: tuple[datetime, datetime, str] | None = read["demo"]
    if demo is None:
        return None
    end, made, name = demo
    if incident.name == name and incident.created_at <= end:
        return end, made
    return None


def start_demo_clock(incident: Incident, *, period_end: datetime, made: datetime) -> None:
    """Put ``incident`` (the demo's own) on the demo's running clock: ``period_end`` at the
    real time ``made``. One that has a clock keeps it: a run of the demo again, or after
    one that crashed, goes on with the clock it had. One created after ``period_end`` is
    not the demo's (an incident of the same name created live): it keeps the real clock."""
    if incident.created_at > period_end:
        return
    if incident.demo_period_end is None or incident.demo_clock_from is None:
        incident.demo_period_end, incident.demo_clock_from = period_end, made


def of(request: HelpRequest) -> datetime:
    """Return the time now for ``request``'s incident (the real clock for a request in no
    session): what its waiting time and its re-verification are judged against."""
    session = object_session(request)
    if session is None or request.incident_id is None:
        return utcnow()
    return now(session, request.incident_id)
