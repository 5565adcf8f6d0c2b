"""Triage: an explainable priority score and the flags a dispatcher needs to see.

The score adds up named parts so that the queue can show why a request is where it is:

=============  ==========================================================================
urgency        critical 40, urgent 25, normal 10 (from the extraction or the spreadsheet)
vulnerable     pregnant, infant, injured 12; elderly, disabled, ill 8; child,
               on_medication 6 — summed, at most 30
people         people still waiting (total − helped): 5·log2(1 + n), at most 15
hazard         10 for a stated hazard (rising water, landslide); when trapped (被困, 困在,
               出不去 …) +5, and +10 more each for rising water and for a high-risk
               person (elderly, child, ill …: ``situation.HIGH_RISK``) trapped with it
waiting        0.1 for every 6-minute mark of the clock (:00, :06, … :54) passed since the
               request was reported — 1 an hour —, at most 24 (old requests rise)
verification   confirmed +5, unreachable +3 (silence may mean worse), unverified 0,
               already_rescued −40, false −60; a citizen's "已获救" not yet confirmed −20
=============  ==========================================================================

Likes, reposts and mirrors are not inputs and never will be: 5 % of help posts got 95 % of
the attention in 2021, and attention is not need.

Only the waiting part depends on the clock. The rest, the **base**, is stored with each
request in tenths (``priority_base``), with ``priority_fresh`` = base − the clock mark of
``reported_at`` (:func:`stored`); every flush of a changed or new request recomputes them
(:func:`zhengwu.rescue.models.restore_priorities`). Counting waiting in marks of the clock
rather than rounding the hours keeps the order the database can read from an index: at a
given moment, a request reported 24 hours ago or more scores base + 24 (ordered by
``priority_base``), one reported since scores ``priority_fresh`` + the current mark
(ordered by ``priority_fresh``) — see :mod:`zhengwu.rescue.listing`.
"""

from __future__ import annotations

import math
from datetime import datetime

from zhengwu.rescue import clock
from zhengwu.rescue.models import HelpRequest
from zhengwu.rescue.situation import HIGH_RISK
from zhengwu.rescue.workflow import OPEN_STATES

URGENCY = {"critical": 40.0, "urgent": 25.0, "normal": 10.0}
VULNERABLE = {
    "pregnant": 12.0,
    "infant": 12.0,
    "injured": 12.0,
    "elderly": 8.0,
    "disabled": 8.0,
    "ill": 8.0,
    "child": 6.0,
    "on_medication": 6.0,
}
VERIFICATION = {
    "confirmed": 5.0,
    "unreachable": 3.0,
    "unverified": 0.0,
    "already_rescued": -40.0,
    "false": -60.0,
}
REPORTED_RESCUED = -20.0
MAX_VULNERABLE, MAX_PEOPLE, MAX_WAITING = 30.0, 15.0, 24.0
# The waiting part grows by a tenth at each mark of the clock 6 minutes apart (10 an hour).
MARK_SECONDS = 360
MAX_MARKS = int(MAX_WAITING * 10)


def mark(moment: datetime) -> int:
    """Return the number of 6-minute marks of the clock from 1970 to ``moment`` (UTC)."""
    return math.floor(moment.timestamp() / MARK_SECONDS)


def marks_waited(reported_at: datetime, now: datetime) -> int:
    """Return the clock marks passed from ``reported_at`` to ``now``: 0 to 240."""
    return min(max(mark(now) - mark(reported_at), 0), MAX_MARKS)


def waiting(request: HelpRequest) -> int:
    """Return how many people of ``request`` still wait for help (at least one while open)."""
    total = request.people_total or 1
    return max(total - (request.people_helped or 0), 0)


TRAPPED, TRAPPED_RISING, TRAPPED_AT_RISK = 5.0, 10.0, 10.0


def trapped(request: HelpRequest) -> float:
    """Return what being trapped adds to the hazard part: more with rising water or the frail.

    People who cannot leave (被困, 困在, 出不去) while the water still rises, or with an old
    person, a child or someone ill among them, are the ones a late boat loses.
    """
    if "trapped" not in (request.needs or ()):
        return 0.0
    rising = any(r.startswith("rising_water") for r in request.urgency_reasons or ())
    at_risk = bool(HIGH_RISK.intersection(request.vulnerabilities or ()))
    return TRAPPED + (TRAPPED_RISING if rising else 0.0) + (TRAPPED_AT_RISK if at_risk else 0.0)


def base_parts(request: HelpRequest) -> dict[str, float]:
    """Return the parts of ``request``'s score that do not depend on the clock."""
    hazard = (10.0 if request.hazard else 0.0) + trapped(request)
    verification = VERIFICATION.get(request.verification, 0.0)
    if request.reported_rescued_at and request.verification != "already_rescued":
        verification += REPORTED_RESCUED
    return {
        "urgency": URGENCY.get(request.urgency, 10.0),
        "vulnerable": min(
            sum(VULNERABLE.get(v, 4.0) for v in request.vulnerabilities or ()), MAX_VULNERABLE
        ),
        "people": round(min(5 * math.log2(1 + waiting(request)), MAX_PEOPLE), 1),
        "hazard": hazard,
        "verification": verification,
    }


def parts(request: HelpRequest, *, now: datetime | None = None) -> dict[str, float]:
    """Return the named parts of ``request``'s priority score."""
    named = base_parts(request)
    named["waiting"] = marks_waited(request.reported_at, now or clock.of(request)) / 10
    return {k: named[k] for k in ("urgency", "vulnerable", "people", "hazard", "waiting",
                                  "verification")}  # fmt: skip


def base_tenths(request: HelpRequest) -> int:
    """Return the clock-free part of the score in tenths (every part is a multiple of 0.1)."""
    return round(sum(base_parts(request).values()) * 10)


def stored(request: HelpRequest) -> tuple[int, int]:
    """Return ``(priority_base, priority_fresh)`` as a request stores them: the base in
    tenths, and the base less the clock mark of ``reported_at``."""
    base = base_tenths(request)
    return base, base - mark(request.reported_at)


def score(request: HelpRequest, *, now: datetime | None = None) -> tuple[float, dict[str, float]]:
    """Return ``request``'s priority score and its parts.

    The score is exactly ``(base_tenths + marks_waited) / 10``: the number the database
    orders by (:mod:`zhengwu.rescue.listing`).
    """
    now = now or clock.of(request)
    named = parts(request, now=now)
    tenths = base_tenths(request) + marks_waited(request.reported_at, now)
    return tenths / 10, named


def is_stale(request: HelpRequest, *, now: datetime | None = None) -> bool:
    """Return whether a request still waiting for a team needs re-verification."""
    now = now or clock.of(request)
    return bool(
        request.state in ("new", "verified")
        and request.reverify_due_at is not None
        and request.reverify_due_at <= now
    )


# The platform of the sources a citizen's follow-up updates become (zhengwu.rescue.followup).
FOLLOWUP_PLATFORM = "followup"


def has_new_info(request: HelpRequest) -> bool:
    """Return whether the citizen sent an update since the request was last verified."""
    since = request.verified_at or request.created_at
    return request.state in OPEN_STATES and any(
        s.platform == FOLLOWUP_PLATFORM and (since is None or s.posted_at > since)
        for s in request.sources
    )


def flags(request: HelpRequest, *, now: datetime | None = None) -> list[str]:
    """Return the warnings the queue shows next to a request."""
    found: list[str] = []
    if request.verification == "unverified":
        found.append("unverified")
    elif request.verification in ("false", "unreachable", "already_rescued"):
        found.append(request.verification)
    if is_stale(request, now=now):
        found.append("stale")
    if request.reported_rescued_at and request.state not in ("resolved", "announced"):
        found.append("reported_rescued")
    if 0 < request.people_helped < (request.people_total or 0):
        found.append("partial")
    if not request.phones:
        found.append("no_contact")
    if has_new_info(request):
        found.append("new_info")
    if request.completeness < 0.5:
        found.append("incomplete")
    return found


def fulfilment(request: HelpRequest) -> str:
    """Return Sahana's fulfilment status: none, partial or complete."""
    if request.people_helped <= 0:
        return "none"
    if request.people_total is None or request.people_helped >= request.people_total:
        return "complete"
    return "partial"
