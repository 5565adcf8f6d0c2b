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
waiting        1 per hour since the request was reported, at most 24 (old requests rise)
verification   confirmed +5, unreachable +3 (silence may mean worse), unverified 0,
               already_rescued −40, false −60; a citizen's "已获救" not yet confirmed −20
=============  ==========================================================================

Likes, reposts and mirrors are not inputs and never will be: 5 % of help posts got 95 % of
the attention in 2021, and attention is not need.
"""

from __future__ import annotations

import math
from datetime import datetime

from zhengwu.db.base import utcnow
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


def waiting(request: HelpRequest) -> int:
    """Return how many people of ``request`` still wait for help (at least one while open)."""
    total = request.people_total or 1
    return max(total - request.people_helped, 0)


TRAPPED, TRAPPED_RISING, TRAPPED_AT_RISK = 5.0, 10.0, 10.0


def trapped(request: HelpRequest) -> float:
    """Return what being trapped adds to the hazard part: more with rising water or the frail.

    People who cannot leave (被困, 困在, 出不去) while the water still rises, or with an old
    person, a child or someone ill among them, are the ones a late boat loses.
    """
    if "trapped" not in request.needs:
        return 0.0
    rising = any(r.startswith("rising_water") for r in request.urgency_reasons)
    at_risk = bool(HIGH_RISK.intersection(request.vulnerabilities))
    return TRAPPED + (TRAPPED_RISING if rising else 0.0) + (TRAPPED_AT_RISK if at_risk else 0.0)


def parts(request: HelpRequest, *, now: datetime | None = None) -> dict[str, float]:
    """Return the named parts of ``request``'s priority score."""
    now = now or utcnow()
    hours = max((now - request.reported_at).total_seconds() / 3600, 0.0)
    hazard = (10.0 if request.hazard else 0.0) + trapped(request)
    verification = VERIFICATION.get(request.verification, 0.0)
    if request.reported_rescued_at and request.verification != "already_rescued":
        verification += REPORTED_RESCUED
    return {
        "urgency": URGENCY.get(request.urgency, 10.0),
        "vulnerable": min(
            sum(VULNERABLE.get(v, 4.0) for v in request.vulnerabilities), MAX_VULNERABLE
        ),
        "people": round(min(5 * math.log2(1 + waiting(request)), MAX_PEOPLE), 1),
        "hazard": hazard,
        "waiting": round(min(hours, MAX_WAITING), 1),
        "verification": verification,
    }


def score(request: HelpRequest, *, now: datetime | None = None) -> tuple[float, dict[str, float]]:
    """Return ``request``'s priority score and its parts."""
    named = parts(request, now=now)
    return round(sum(named.values()), 1), named


def is_stale(request: HelpRequest, *, now: datetime | None = None) -> bool:
    """Return whether a request still waiting for a team needs re-verification."""
    now = now or utcnow()
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
