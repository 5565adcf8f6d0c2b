"""Periodic jobs of the service desk: automatic supervision (督办) and the due-soon list.

The worker's job ``desk-escalation`` (``zhengwu worker``, or the server's background
thread) and ``zhengwu desk escalate`` run :func:`escalate_overdue` (every few minutes is
fine: a request is supervised once per missed deadline, so repeated runs add nothing).

**The sweep chases only deadlines the desk could have met.** A deadline that had already
passed when the request was taken in — imported history (a hotline export of 2011–2020, a
post found weeks late) — is not supervised automatically: supervising thousands of
old tickets at once tells nobody anything, buries the real 督办, and rewrites every row.
Such a request still shows as overdue (超期) in the queue and counts in the rates; the
office decides on each (办结, 督办 by hand, 无效), and :func:`overdue_at_intake` counts
those still open for the queue's notice. A new deadline set after intake (重启, 延期)
is chased as usual.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.servicedesk import access, deadlines
from zhengwu.servicedesk.actions import perform
from zhengwu.servicedesk.errors import StaleRequestError
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import ActionInput
from zhengwu.servicedesk.workflow import OPEN_STATES

SYSTEM = Principal(role="admin", username="system", display_name="系统（自动督办）")
_CN = ZoneInfo("Asia/Shanghai")


def _overdue_clause(now: datetime) -> object:
    """Missed resolve deadline not yet supervised since it was set, or no response in time —
    each only if the deadline was still ahead when the request was taken in."""
    sr = ServiceRequest
    late_resolve = and_(
        sr.resolve_due < now,
        sr.resolve_due >= sr.created_at,
        or_(sr.supervised_at.is_(None), sr.supervised_at < sr.resolve_due),
    )
    late_response = and_(
        sr.first_response_at.is_(None), sr.response_due < now, sr.response_due >= sr.created_at,
        sr.supervised_at.is_(None),
    )  # fmt: skip
    return and_(sr.state.in_(OPEN_STATES), or_(late_resolve, late_response))


NOTICE_CAP = 10_000  # the queue's notice counts this many at most ("10000+")


def overdue_at_intake(session: Session, *, within: Principal | None = None) -> int:
    """Count the open requests already past their resolve deadline when taken in (the ones
    the sweep leaves to the office), up to :data:`NOTICE_CAP` + 1; ``within`` limits it to
    those a principal may read."""
    sr = ServiceRequest
    base = access.readable_requests(within) if within is not None else select(sr)
    late = base.where(sr.state.in_(OPEN_STATES), sr.resolve_due < sr.created_at)
    capped = late.with_only_columns(sr.id).limit(NOTICE_CAP + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)


def _reason(request: ServiceRequest, now: datetime) -> str:
    if request.resolve_due is not None and request.resolve_due < now:
        due = request.resolve_due.astimezone(_CN).strftime("%Y-%m-%d %H:%M")
        return f"自动督办：超期未办结（应于 {due} 前办结） / overdue: not resolved by {due}"
    return "自动督办：超期未回应 / overdue: no first response in time"


def escalate_overdue(
    session: Session,
    *,
    now: datetime | None = None,
    within: Principal | None = None,
    limit: int | None = None,
) -> list[ServiceRequest]:
    """Supervise (督办) every open request that missed a deadline; return those supervised.

    ``within`` limits the run to the requests a principal oversees (a matrix office's own);
    ``limit`` to the first overdue requests by id (the worker commits between such runs).
    ``now`` is the moment deadlines are judged against and the 督办 is stamped with: the
    real clock for the worker and ``zhengwu desk escalate``; a simulated history (the demo)
    passes the end of its period.
    """
    now = now or utcnow()
    base = access.readable_requests(within) if within is not None else select(ServiceRequest)
    query = base.where(_overdue_clause(now)).order_by(ServiceRequest.id)  # type: ignore[arg-type]
    if limit is not None:
        query = query.limit(limit)
    done = []
    for request in session.scalars(query).all():
        try:
            with session.begin_nested():  # one request changed concurrently must not stop the run
                perform(
                    session, request=request, action="supervise", actor=SYSTEM,
                    data=ActionInput(reason=_reason(request, now)), now=now,
                )  # fmt: skip
        except StaleRequestError:
            session.expire(request)
            continue
        done.append(request)
    return done


def due_soon(
    session: Session, *, principal: Principal, within_hours: float = 24, now: datetime | None = None
) -> list[ServiceRequest]:
    """Return the open requests ``principal`` handles whose next deadline falls within the window.

    The window starts at ``now``, by default :func:`deadlines.desk_now` — the demo's clock on
    the data ``zhengwu demo`` made, as its 超期 is judged — else today.
    """
    now = now or deadlines.desk_now(session)
    until = now + timedelta(hours=within_hours)
    sr = ServiceRequest
    query = access.readable_requests(principal).where(
        sr.state.in_(OPEN_STATES),
        or_(
            and_(sr.resolve_due >= now, sr.resolve_due < until),
            and_(sr.first_response_at.is_(None), sr.response_due >= now, sr.response_due < until),
        ),
    )
    return list(session.scalars(query.order_by(sr.resolve_due, sr.id)))


def next_deadline(request: ServiceRequest, now: datetime) -> tuple[str, datetime | None]:
    """Return which deadline of an open request comes next, ``("response" | "resolve", due)``.

    The response deadline while nobody has answered and it has not passed; the resolution
    deadline otherwise. This is the deadline that puts a request on :func:`due_soon`'s list.
    """
    if (
        request.first_response_at is None
        and request.response_due is not None
        and request.response_due >= now
    ):
        return "response", request.response_due
    return "resolve", request.resolve_due
