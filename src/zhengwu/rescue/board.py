"""Boards: counts by state and area, response times, closing notices (看板与统计)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from zhengwu.accounts import phones as published_phones
from zhengwu.auth.principal import Principal
from zhengwu.rescue import access, listing
from zhengwu.rescue.listing import CLOSED_STATES
from zhengwu.rescue.models import HelpRequest, Incident
from zhengwu.rescue.notices import (
    HELPED_OUTCOMES,
    is_partial,
    notice_text,
    people_remaining,
)
from zhengwu.rescue.schemas import BoardView, Durations

# reported → verified → dispatched → resolved, each step and the whole way.
STEPS = {
    "reported_to_verified": ("reported_at", "first_verified_at"),
    "verified_to_dispatched": ("first_verified_at", "dispatched_at"),
    "dispatched_to_resolved": ("dispatched_at", "resolved_at"),
    "reported_to_dispatched": ("reported_at", "dispatched_at"),
    "reported_to_resolved": ("reported_at", "resolved_at"),
}


def quantile(values: Sequence[float], q: float) -> float | None:
    """Return the ``q`` quantile of ``values`` (linear interpolation), None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def durations(
    minutes: dict[str, list[float]], left_out: dict[str, int] | None = None
) -> dict[str, Durations]:
    """Return median and p90 of each step's minutes (the database may have computed them:
    :func:`zhengwu.rescue.listing.step_minutes`), with how many requests each step left
    out (``left_out``: their report time is unknown, :func:`listing.untimed_counts`)."""
    out: dict[str, Durations] = {}
    for step, values in minutes.items():
        median, p90 = quantile(values, 0.5), quantile(values, 0.9)
        out[step] = Durations(
            count=len(values),
            median_minutes=None if median is None else round(median, 1),
            p90_minutes=None if p90 is None else round(p90, 1),
            left_out=(left_out or {}).get(step, 0),
        )
    return out


def counts(requests: Sequence[HelpRequest]) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Return requests by state, and by county (区县) and state."""
    by_state = dict.fromkeys(listing.LISTED_STATES, 0)
    by_area: dict[str, Counter[str]] = defaultdict(Counter)
    for request in requests:
        by_state[request.state] += 1
        by_area[access.area_name(request.adcode) or "未知区县"][request.state] += 1
    return by_state, {area: dict(c) for area, c in sorted(by_area.items())}


def notices(
    requests: Sequence[HelpRequest], *, hotline: str | None = None
) -> list[dict[str, str | int | bool | None]]:
    """Return the closing statements of closed requests, newest first.

    The board is where the coordinators' statement is published; whether a notice also
    reached the platforms is the outbox's business: ``announced_at`` is set only once
    every mirror's notice was delivered.
    """
    done = [r for r in requests if r.state in CLOSED_STATES]
    done.sort(key=lambda r: (r.resolved_at or r.reported_at, r.id), reverse=True)
    return [
        {
            "request_id": r.id,
            "area": access.area_name(r.adcode),
            "outcome": r.outcome,
            "partial": is_partial(r),
            "people_remaining": people_remaining(r) if r.outcome in HELPED_OUTCOMES else None,
            "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
            "announced_at": r.announced_at.isoformat() if r.announced_at else None,
            "text": notice_text(r, hotline=hotline),
        }
        for r in done
    ]


BOARD_PAGE = 50  # waiting requests, and closing notices, per page of the board


def board(
    session: Session,
    *,
    incident: Incident,
    principal: Principal,
    limit: int = BOARD_PAGE,
    offset: int = 0,
    notices_offset: int = 0,
    now: datetime | None = None,
) -> BoardView:
    """Return an incident's board as ``principal`` may see it (the public: masked).

    The board pages and the board API pass the public (:data:`~zhengwu.auth.principal.PUBLIC`)
    whoever is logged in: a board is what everyone sees, projected in a command room or
    shared as a screenshot, so a dispatcher's session must not unmask it; staff read the
    names, doors and phones in the console's queue.

    The counts are grouped by the database; the waiting requests (by priority) and the
    closing notices (latest first) are one page each of ``limit``, from ``offset`` and
    ``notices_offset``: a board of 50,000 requests loads two pages, not 50,000 rows.
    """
    by_state = listing.state_counts(session, incident=incident)
    people_total, people_helped = listing.people_sums(session, incident=incident)
    waiting = listing.page(
        session, incident=incident, filters=listing.Filters(), offset=offset, limit=limit,
        now=now,
    )  # fmt: skip
    closed = listing.notices_page(session, incident=incident, offset=notices_offset, limit=limit)
    keep = published_phones.directory(session)  # 公开电话 stay readable
    officials = access.government_handles(session, waiting.items)  # @平安郑州 too
    return BoardView(
        incident=access.incident_view(principal, incident, keep=keep, session=session),
        total=sum(by_state.values()),
        by_state=by_state,
        by_area=listing.area_counts(session, incident=incident),
        people_total=people_total,
        people_helped=people_helped,
        response_times=durations(
            listing.step_minutes(session, incident=incident, steps=STEPS),
            listing.untimed_counts(session, incident=incident, steps=STEPS),
        ),
        notices=notices(closed.items, hotline=incident.hotline),
        notices_total=closed.total,
        notices_offset=closed.offset,
        requests=[
            access.view(principal, r, now=now, keep=keep, officials=officials)
            for r in waiting.items
        ],
        requests_total=waiting.total,
        requests_offset=waiting.offset,
        page_size=limit,
    )
