"""Workflow actions: check who and when, apply the effect, record the transition.

Every action goes through :func:`perform` (staff) or :func:`citizen_act` (the citizen with
their token): the transition table refuses illegal moves with a 409, the access rule
refuses strangers with a 403, the version column refuses a second writer with a 409, and
the audit log gets who, when, why, from and to — all in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zhengwu.accounts.models import Account, MatrixMember, Organization
from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError
from zhengwu.servicedesk import access, deadlines, replies
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.errors import IllegalTransitionError, StaleRequestError
from zhengwu.servicedesk.models import RequestHelper, RequestRating, ServiceRequest
from zhengwu.servicedesk.schemas import ActionInput
from zhengwu.servicedesk.workflow import ACTION_LABELS, OPEN_STATES, REASON_REQUIRED, next_state

# The audit data key of an action's idempotency key (see :func:`perform`).
EVENT_KEY = "event_key"
CITIZEN = Principal(role="public", username="citizen", display_name="市民")
Effect = Callable[[Session, ServiceRequest, ActionInput, datetime], dict[str, object]]


def token_hash(token: str) -> str:
    """Return the stored form of a citizen token."""
    return hashlib.sha256(token.encode()).hexdigest()


# The fields of an action as its form labels them (Chinese, English).
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "organization_id": ("承办单位", "handling organisation"),
    "helper_organization_ids": ("协办单位", "helper organisations"),
    "reason": ("理由 / 说明", "reason"),
    "reply_text": ("公开答复内容", "public reply"),
    "satisfaction": ("满意度", "satisfaction"),
    "days": ("延期工作日数", "extension working days"),
    "duplicate_of": ("保留的诉求编号", "request number to keep"),
    "category_code": ("新分类", "new category"),
}


def _need(value: object, field: str, action: str) -> None:
    if value is None or value == "" or value == []:
        zh, en = FIELD_NAMES.get(field, (field, field))
        raise InvalidInputError(
            f"「{ACTION_LABELS.get(action, action)}」需要填写「{zh}」",
            f"{action.replace('_', ' ')} needs the {en}",
        )


def _organization(session: Session, organization_id: int | None, action: str) -> Organization:
    _need(organization_id, "organization_id", action)
    org = session.get(Organization, organization_id)
    if org is None:
        raise InvalidInputError(
            f"机构不存在：{organization_id}", f"no such organisation: {organization_id}"
        )
    return org


def _respond(session: Session, request: ServiceRequest, now: datetime, body: str | None) -> None:
    """Mark the first response and queue its public reply (only the first time)."""
    if request.first_response_at is not None:
        return
    request.first_response_at = now
    replies.queue(
        session, request=request, kind="first_response",
        body=body or replies.first_response_text(session, request), now=now,
    )  # fmt: skip


def _accept(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    if r.organization_id is None:
        raise InvalidInputError(
            "尚未确定承办单位，请先派单", "no handling organisation yet: assign it first"
        )
    r.accepted_at = r.accepted_at or now
    _respond(s, r, now, None)
    return {"organization_id": r.organization_id}


def _assign(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    return _hand_over(s, r, d, "assign")


def _transfer(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    return _hand_over(s, r, d, "transfer")


def _hand_over(s: Session, r: ServiceRequest, d: ActionInput, action: str) -> dict[str, object]:
    """Give the request to the organisation of ``d`` (``action``: assign or transfer)."""
    org = _organization(s, d.organization_id, action)
    if org.id == r.organization_id:
        raise InvalidInputError("不能转办给当前承办单位", "already handled by that organisation")
    before = r.organization_id
    r.organization_id, r.routing_rule_id = org.id, None
    helper = s.get(RequestHelper, (r.id, org.id))
    if helper is not None:  # the new lead is no longer a helper of itself
        s.delete(helper)
    return {"from_organization_id": before, "organization_id": org.id}


def _return(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    before = r.organization_id
    if r.matrix_id is None and before is not None:
        # Keep it visible to an office: the matrix of the body that returns it.
        r.matrix_id = s.scalar(
            select(MatrixMember.matrix_id).join(Account, Account.id == MatrixMember.account_id)
            .where(Account.organization_id == before).order_by(MatrixMember.matrix_id).limit(1)
        )  # fmt: skip
    r.organization_id, r.routing_rule_id = None, None
    return {"from_organization_id": before}


def _reply(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    _need(d.reply_text, "reply_text", "reply")
    assert d.reply_text is not None
    r.reply_text = d.reply_text
    if r.first_response_at is None:
        _respond(s, r, now, d.reply_text)
    else:
        replies.queue(s, request=r, kind="progress", body=d.reply_text, now=now)
    return {}


def _resolve(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    _need(d.reply_text, "reply_text", "resolve")
    assert d.reply_text is not None
    r.reply_text = d.reply_text
    r.resolved_at = now
    r.first_response_at = r.first_response_at or now
    r.extension_days = r.extension_reason = None
    body = replies.closing_text(s, r, d.reply_text)
    replies.queue(s, request=r, kind="closing", body=body, now=now)
    return {"on_time": not deadlines.is_overdue(r.resolve_due, now)}


def rate(session: Session, request: ServiceRequest, satisfaction: int, at: datetime) -> None:
    """Set the 回访 rating of ``request`` and keep it in its rating history for good."""
    request.satisfaction, request.followed_up_at = satisfaction, at
    session.add(RequestRating(request_id=request.id, satisfaction=satisfaction, rated_at=at))


def _follow_up(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    _need(d.satisfaction, "satisfaction", "follow_up")
    assert d.satisfaction is not None
    rate(s, r, d.satisfaction, now)
    r.feedback = d.reason
    return {"satisfaction": d.satisfaction}


def _reopen(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    previous = {"resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
                "satisfaction": r.satisfaction}  # fmt: skip
    r.reopen_count += 1
    # The new handling has no rating yet; the earlier one stays in RequestRating (满意率).
    r.resolved_at = r.followed_up_at = r.satisfaction = None
    category = _category(s, r)
    days = category.resolve_days if category else 15
    r.resolve_due = deadlines.add_working_days(now, days)
    return {
        **previous,
        "organization_id": r.organization_id,
        "resolve_due": r.resolve_due.isoformat(),
        "days": days,
    }


def _category(s: Session, r: ServiceRequest) -> Category | None:
    if r.category_code is None:
        return None
    tree = category_service.get_tree(s, include_inactive=True)
    return next((c for c in tree if c.code == r.category_code), None)


def _cohandle(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    _need(d.helper_organization_ids, "helper_organization_ids", "cohandle")
    added = []
    for org_id in dict.fromkeys(d.helper_organization_ids):
        org = _organization(s, org_id, "cohandle")
        if org.id == r.organization_id:
            raise InvalidInputError("主办单位不能同时协办", "the lead cannot also be a helper")
        if s.get(RequestHelper, (r.id, org.id)) is None:
            s.add(RequestHelper(request_id=r.id, organization_id=org.id, added_at=now))
            added.append(org.id)
    return {"helper_organization_ids": added}


def _no_effect(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    # start, note, invalid: the transition and its audit entry (with the reason) are the effect.
    return {}


def _ask_extension(
    s: Session, r: ServiceRequest, d: ActionInput, now: datetime
) -> dict[str, object]:
    _need(d.days, "days", "request_extension")
    if r.extension_days is not None:
        raise ConflictError("已有待审批的延期申请", "an extension request is already pending")
    r.extension_days, r.extension_reason = d.days, d.reason
    return {"days": d.days}


def _pending_extension(r: ServiceRequest) -> int:
    if r.extension_days is None:
        raise ConflictError("没有待审批的延期申请", "no extension request is pending")
    return r.extension_days


def _approve(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    days = _pending_extension(r)
    old = r.resolve_due or now
    r.resolve_due = deadlines.add_working_days(old, days)
    r.extension_days = r.extension_reason = None
    return {"days": days, "old_due": old.isoformat(), "new_due": r.resolve_due.isoformat()}


def _refuse(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    days = _pending_extension(r)
    r.extension_days = r.extension_reason = None
    return {"days": days}


def _supervise(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    r.supervised_at, r.supervision_count = now, r.supervision_count + 1
    return {"supervision_count": r.supervision_count}


def _duplicate(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    _need(d.duplicate_of, "duplicate_of", "duplicate")
    kept = s.scalar(select(ServiceRequest).where(ServiceRequest.public_id == d.duplicate_of))
    if kept is None or kept.id == r.id or kept.state == "duplicate":
        raise InvalidInputError(
            f"不能标记为 {d.duplicate_of} 的重复件", f"cannot mark as duplicate of {d.duplicate_of}"
        )
    r.duplicate_of_id = kept.id
    return {"duplicate_of": kept.public_id}


def _reclassify(s: Session, r: ServiceRequest, d: ActionInput, now: datetime) -> dict[str, object]:
    _need(d.category_code, "category_code", "reclassify")
    assert d.category_code is not None
    category = category_service.get(s, d.category_code)
    before = r.category_code
    r.category_code, r.classified_by, r.classification_confidence = category.code, "staff", None
    return {"from": before, "to": category.code}


EFFECTS: dict[str, Effect] = {
    "accept": _accept,
    "assign": _assign,
    "transfer": _transfer,
    "return": _return,
    "start": _no_effect,
    "reply": _reply,
    "resolve": _resolve,
    "follow_up": _follow_up,
    "reopen": _reopen,
    "cohandle": _cohandle,
    "note": _no_effect,
    "request_extension": _ask_extension,
    "approve_extension": _approve,
    "refuse_extension": _refuse,
    "supervise": _supervise,
    "duplicate": _duplicate,
    "invalid": _no_effect,
    "reclassify": _reclassify,
}


def _apply(
    session: Session, *, request: ServiceRequest, action: str, actor: Principal,
    data: ActionInput, now: datetime | None, event_key: str | None = None,
) -> ServiceRequest:  # fmt: skip
    now = now or utcnow()
    target = next_state(request.state, action)
    if target is None:
        raise IllegalTransitionError(request.state, action)
    if data.expected_version is not None and data.expected_version != request.version:
        raise StaleRequestError(request.public_id)
    if action in REASON_REQUIRED:
        _need((data.reason or "").strip(), "reason", action)
    before, public_id = request.state, request.public_id
    try:
        # No flush half-way through the effect: the request's UPDATE goes out once, below.
        with session.no_autoflush:
            detail = EFFECTS[action](session, request, data, now)
        request.state = target
        request.updated_at = now
        # The UPDATE carries WHERE version = <read version>: a concurrent writer matches no row.
        session.flush()
    except StaleDataError:
        raise StaleRequestError(public_id) from None
    if event_key is not None:
        detail = {**detail, EVENT_KEY: event_key}
    audit_service.record(
        session, entity_type="request", entity_id=request.id, action=action, actor=actor,
        from_state=before, to_state=target, reason=data.reason, data=detail or None, at=now,
    )  # fmt: skip
    return request


def event_keys(session: Session, request: ServiceRequest) -> set[str]:
    """Return the idempotency keys of the outside events recorded in a request's history."""
    history = audit_service.history(session, entity_type="request", entity_id=request.id)
    keys = ((entry.data or {}).get(EVENT_KEY) for entry in history)
    return {key for key in keys if isinstance(key, str)}


def already_replied(current: str | None, text: str) -> bool:
    """Return whether the reply ``text`` of a row is the request's reply already: an
    export's 答复意见 of a request answered on the desk (or by an earlier row) imported
    again records nothing — nor is it refused because the request has moved on."""
    return current is not None and current.strip() == text.strip()


def record_reply(
    session: Session, *, request: ServiceRequest, text: str, at: datetime, actor: Principal,
    event_key: str,
) -> bool:  # fmt: skip
    """Record a public reply the handling body gave outside the desk, at the time it gave it.

    For imports of hotline exports (答复意见 with its 答复时间): the reply is kept as a
    reply through the desk would be — the request's reply text, its first response at
    ``at`` (so 回应率 and response times count it), the reply under the source post when
    the request came from one, an audit entry ``reply`` carrying ``event_key``. A request
    still ``received`` becomes ``replied`` (the hotline took it in and answered it); others
    follow the transition table. Returns False when the history shows ``event_key`` already,
    or when ``text`` is the request's reply already (an export of a request answered on the
    desk, imported again: :func:`already_replied`).
    """
    if event_key in event_keys(session, request) or already_replied(request.reply_text, text):
        return False
    before, public_id = request.state, request.public_id
    target = "replied" if before == "received" else next_state(before, "reply")
    if target is None:
        raise IllegalTransitionError(before, "reply")
    try:
        with session.no_autoflush:
            _reply(session, request, ActionInput.model_construct(reply_text=text), at)
        request.state = target
        session.flush()
    except StaleDataError:
        raise StaleRequestError(public_id) from None
    audit_service.record(
        session, entity_type="request", entity_id=request.id, action="reply", actor=actor,
        from_state=before, to_state=target, reason="导入的答复 / reply imported from an export",
        data={EVENT_KEY: event_key}, at=at,
    )  # fmt: skip
    return True


IMPORTED_RESOLUTION = "导入的办结 / resolution imported from an export"
IMPORTED_FOLLOW_UP = "导入的回访 / follow-up imported from an export"


def imported_resolution_target(state: str) -> str | None:
    """Return the state an imported 办结 leads to from ``state``; None when it records nothing.

    The hotline closed the ticket: a request not yet handled on the desk (已接收, 已转办)
    is resolved as it is; others follow the transition table. One already closed (办结,
    回访, 重复件, 无效件) records nothing — it is closed on the desk already.
    """
    if state in ("received", "assigned"):
        return "resolved"
    if state not in OPEN_STATES:
        return None
    return next_state(state, "resolve")


def record_resolution(
    session: Session, *, request: ServiceRequest, at: datetime, satisfaction: int | None,
    followed_up_at: datetime | None, actor: Principal, resolve_key: str, follow_up_key: str,
) -> tuple[bool, bool]:  # fmt: skip
    """Record that the hotline closed a request (办结) at ``at``, and its 回访 rating if any.

    For imports of hotline exports (办理状态 已办结 / 办结时间 / 满意度): the request becomes
    已办结 at ``at`` (its first response then too, if it had none), audited ``resolve``
    with ``resolve_key``; a satisfaction (1–5) becomes the 回访 at ``followed_up_at`` (else
    ``at``), audited ``follow_up`` with ``follow_up_key``. Nothing is queued under a source
    post (an export's history is not news to post). Each key is recorded once; returns
    whether the resolution and the follow-up were recorded now. A request the transition
    table does not let close (已退单) raises IllegalTransitionError.
    """
    keys = event_keys(session, request)
    resolved = followed = False
    if resolve_key not in keys:
        before = request.state
        target = imported_resolution_target(before)
        if target is None and before in OPEN_STATES:
            raise IllegalTransitionError(before, "resolve")
        if target is not None:
            _transition(session, request, target, lambda r: _close(r, at))
            audit_service.record(
                session, entity_type="request", entity_id=request.id, action="resolve",
                actor=actor, from_state=before, to_state=target, reason=IMPORTED_RESOLUTION,
                data={"on_time": not deadlines.is_overdue(request.resolve_due, at),
                      EVENT_KEY: resolve_key}, at=at,
            )  # fmt: skip
            resolved = True
    if satisfaction is not None and follow_up_key not in keys:
        before = request.state
        if before in OPEN_STATES:  # closed by an earlier import, reopened on the desk since
            raise IllegalTransitionError(before, "follow_up")
        if before != "resolved":  # rated (回访) or closed otherwise on the desk already
            return resolved, followed
        when = followed_up_at or at

        def rated(r: ServiceRequest) -> None:
            rate(session, r, satisfaction, when)

        _transition(session, request, "followed_up", rated)
        audit_service.record(
            session, entity_type="request", entity_id=request.id, action="follow_up",
            actor=actor, from_state=before, to_state="followed_up", reason=IMPORTED_FOLLOW_UP,
            data={"satisfaction": satisfaction, EVENT_KEY: follow_up_key}, at=when,
        )  # fmt: skip
        followed = True
    return resolved, followed


def _close(request: ServiceRequest, at: datetime) -> None:
    """The effect of an imported 办结 (as :func:`_resolve`, without a closing post)."""
    request.resolved_at = at
    request.first_response_at = request.first_response_at or at
    request.extension_days = request.extension_reason = None


def _transition(
    session: Session, request: ServiceRequest, target: str,
    effect: Callable[[ServiceRequest], None],
) -> None:  # fmt: skip
    """Apply ``effect`` and move ``request`` to ``target`` in one versioned UPDATE."""
    public_id = request.public_id
    try:
        with session.no_autoflush:
            effect(request)
        request.state = target
        session.flush()
    except StaleDataError:
        raise StaleRequestError(public_id) from None


def perform(
    session: Session, *, request: ServiceRequest, action: str, actor: Principal,
    data: ActionInput | None = None, now: datetime | None = None, event_key: str | None = None,
) -> ServiceRequest:  # fmt: skip
    """Perform a workflow action as staff (or a job): access, state, effect, audit.

    ``now`` is when the action happens (default: the real clock). A replay of history or a
    simulated clock passes the event's own time: the audit entry, the times the effect
    sets (accepted, resolved, supervised …) and any reply it queues all carry it.

    ``event_key`` is an idempotency key of the outside event the action replays (an import
    or a replay): it is kept in the audit entry's data under ``event_key``, so a second
    run can see in the request's history that the event was applied already.
    """
    if action not in EFFECTS:
        raise InvalidInputError(f"未知操作：{action}", f"unknown action: {action}")
    access.require(actor, action, request)
    return _apply(session, request=request, action=action, actor=actor,
                  data=data or ActionInput(), now=now, event_key=event_key)  # fmt: skip


def citizen_act(
    session: Session, *, request: ServiceRequest, action: str, token: str,
    data: ActionInput, now: datetime | None = None,
) -> ServiceRequest:  # fmt: skip
    """Reopen or rate a request as the citizen who submitted it (proven by the token)."""
    if action not in {"reopen", "follow_up"}:
        raise ForbiddenError("市民只能重启或评价诉求", "citizens may only reopen or rate")
    if not secrets.compare_digest(token_hash(token), request.citizen_token_hash):
        raise ForbiddenError("凭证无效", "invalid citizen token")
    return _apply(session, request=request, action=action, actor=CITIZEN, data=data, now=now)
