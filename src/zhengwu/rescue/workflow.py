"""The lifecycle of a help request: an explicit transition table, nothing implicit.

    new ─► verified ─► dispatched ─► on_scene ─► resolved ─► announced
     │        ▲  │          │ ▲          │           ▲
     │        └──┼──────────┘ │ (team    │           │
     └───────────┴──► dispatched released)└──────────┘ (resolve from any open state)

- ``new → dispatched`` is allowed: a critical request whose phone does not answer cannot
  wait for a verification that may never come; the queue keeps flagging it "unverified".
- A released team sends the request back to ``verified`` (or ``new`` if it never was).
- ``resolved`` needs an outcome (rescued, relocated, no_longer_needed, unreachable) and
  queues the closing notices (已结束·公告待发送); ``announced`` (已结束·已公告) follows when
  the outbox has delivered every one of them (:mod:`zhengwu.rescue.notices`), at once when
  there is no post to answer under. Neither is reached by hand.
Anything else raises :class:`ConflictError` (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError
from zhengwu.rescue import clock
from zhengwu.rescue.models import HelpRequest

OPEN_STATES = ("new", "verified", "dispatched", "on_scene")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"verified", "dispatched", "resolved"}),
    "verified": frozenset({"dispatched", "resolved"}),
    "dispatched": frozenset({"on_scene", "verified", "new", "resolved"}),
    "on_scene": frozenset({"resolved", "verified", "new"}),
    "resolved": frozenset({"announced"}),
    "announced": frozenset(),
    "merged": frozenset(),  # by hand only: zhengwu.rescue.corrections.merge_requests
}
STATE_LABELS = {
    "new": "待核实",
    "verified": "已核实",
    "dispatched": "已派出",
    "on_scene": "救援中",
    "resolved": "已结束·公告待发送",
    "announced": "已结束·已公告",
    "merged": "已合并",
}
# The timestamp each state stamps when it is entered.
_STAMPS = {
    "dispatched": "dispatched_at",
    "on_scene": "on_scene_at",
    "resolved": "resolved_at",
    "announced": "announced_at",
}


def can(request: HelpRequest, to: str) -> bool:
    """Return whether ``request`` may move to state ``to`` now."""
    return to in TRANSITIONS.get(request.state, frozenset())


def transition(
    session: Session,
    *,
    request: HelpRequest,
    to: str,
    actor: Principal,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Move ``request`` to state ``to`` (or raise 409), stamp the time and audit it."""
    if not can(request, to):
        raise ConflictError(
            f"求助 #{request.id} 当前为「{STATE_LABELS.get(request.state, request.state)}」，"
            f"不能转为「{STATE_LABELS.get(to, to)}」",
            f"help request #{request.id} cannot go from {request.state} to {to}",
        )
    now = at or clock.now(session, request.incident_id)
    before = request.state
    request.state = to
    if to in _STAMPS:
        setattr(request, _STAMPS[to], now)
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action=f"to_{to}",
        actor=actor, from_state=before, to_state=to, reason=reason, data=data, at=now,
    )  # fmt: skip


def flush_or_conflict(session: Session, request: HelpRequest) -> None:
    """Write pending changes now; a concurrent change to ``request`` becomes a 409."""
    number = request.id  # read now: after a failed flush the object cannot be loaded
    try:
        session.flush()
    except StaleDataError:
        # The unit of work (request, command) rolls back; the session is unusable until then.
        raise ConflictError(
            f"求助 #{number} 刚被其他人修改（例如已派给其他队伍），请刷新后再操作",
            f"help request #{number} was changed by someone else meanwhile "
            "(for example dispatched to another team); reload and try again",
        ) from None
