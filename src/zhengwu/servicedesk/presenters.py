"""Turn requests into the views each reader may see (masked unless they handle it)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from zhengwu import regions
from zhengwu.accounts import phones as published_phones
from zhengwu.accounts.models import Organization
from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.models import User
from zhengwu.auth.principal import ROLE_LABELS, Principal
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage
from zhengwu.servicedesk import access, deadlines, masking
from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.models import (
    RequestHelper,
    RequestRating,
    RequestSource,
    ServiceRequest,
)
from zhengwu.servicedesk.schemas import (
    AuditRead,
    OutboxRead,
    PublicRequest,
    RatingRead,
    RequestDetail,
    RequestSummary,
    SourceRead,
)
from zhengwu.servicedesk.workflow import OPEN_STATES, STATE_LABELS, actions_from


def _overdue(request: ServiceRequest) -> bool:
    due = request.resolve_due
    return (
        due is not None and request.state in OPEN_STATES
        and due < deadlines.desk_now(object_session(request))
    )  # fmt: skip


def summary(request: ServiceRequest, *, unmasked: bool) -> RequestSummary:
    """Return a queue row; the text is the original only for readers who handle it."""
    return RequestSummary(
        public_id=request.public_id, state=request.state,
        state_label=STATE_LABELS.get(request.state, request.state), source=request.source,
        text=request.text if unmasked else request.text_masked,
        category_code=request.category_code, adcode=request.adcode,
        organization_id=request.organization_id, matrix_id=request.matrix_id,
        received_at=request.received_at, response_due=request.response_due,
        resolve_due=request.resolve_due, overdue=_overdue(request),
        supervision_count=request.supervision_count, version=request.version,
    )  # fmt: skip


def _staff_words(
    session: Session, words: str | None, request: ServiceRequest, unmasked: bool
) -> str | None:
    """Return what staff wrote about ``request`` (its reply, an extension's reason) as a
    viewer sees it: masked, the request's own caller included, unless they may see
    personal data."""
    if unmasked or not words:
        return words
    return masking.mask_staff(session, words, request, keep=published_phones.directory(session))


def detail(session: Session, request: ServiceRequest, principal: Principal) -> RequestDetail:
    """Return everything about a request that ``principal`` may see."""
    unmasked = access.can_read(principal, request)
    helpers = list(
        session.scalars(
            select(RequestHelper.organization_id).where(RequestHelper.request_id == request.id)
        )
    )
    sources = session.scalars(
        select(RequestSource).where(RequestSource.request_id == request.id)
        .order_by(RequestSource.received_at, RequestSource.id)
    )  # fmt: skip
    kept = session.get(ServiceRequest, request.duplicate_of_id) if request.duplicate_of_id else None
    allowed = [a for a in actions_from(request.state)
               if access.can(principal, a, request) and _fits_extension(a, request)]  # fmt: skip
    base = summary(request, unmasked=unmasked).model_dump()
    if not unmasked:  # masked again, so a number withdrawn since (公开电话) is hidden at once
        base["text"] = masking.mask(request.text_masked, keep=published_phones.directory(session))
    entries = audit_service.history(session, entity_type="request", entity_id=request.id)
    history = [AuditRead.model_validate(h) for h in entries]
    if not unmasked:  # staff's reasons may name the caller; the data may carry their refs
        keep = published_phones.directory(session)
        signed = _signatures(session, entries)
        officials = masking.officials(session, (h.reason for h in history))
        history = [
            h.model_copy(update={
                "reason": (masking.mask_for(h.reason, request, keep=keep, officials=officials)
                           if h.reason else None),
                "data": None, "actor_name": signed.get(n, h.actor_name),
            })
            for n, h in enumerate(history)
        ]  # fmt: skip
    ratings = session.scalars(
        select(RequestRating).where(RequestRating.request_id == request.id)
        .order_by(RequestRating.rated_at, RequestRating.id)
    )  # fmt: skip
    return RequestDetail(
        **base, masked=not unmasked,
        citizen_name=request.citizen_name if unmasked else None,
        citizen_phone=request.citizen_phone if unmasked else None,
        citizen_email=request.citizen_email if unmasked else None,
        # A masked view places the request by its region (adcode), not the caller's address.
        address=request.address if unmasked else None,
        lat=request.lat if unmasked else None, lon=request.lon if unmasked else None,
        located_by=request.located_by,
        classified_by=request.classified_by,
        classification_confidence=request.classification_confidence,
        routing_rule_id=request.routing_rule_id,
        attributes=(request.attributes or {}) if unmasked else {},
        media_url=request.media_url if unmasked else None, platform=request.platform,
        # A post id leads to the citizen's Weibo account (and the addressed account with
        # the time to the post): the handlers' to read, as on the rescue side.
        source_post_id=request.source_post_id if unmasked else None,
        account_uid=request.account_uid if unmasked else None,
        helper_organization_ids=helpers, duplicate_of=kept.public_id if kept else None,
        first_response_at=request.first_response_at, accepted_at=request.accepted_at,
        resolved_at=request.resolved_at, followed_up_at=request.followed_up_at,
        # A rating is the citizen's own feedback (回访): its handlers read it, the public and
        # other bodies see only the rates it is counted in (满意率).
        satisfaction=request.satisfaction if unmasked else None,
        reply_text=_staff_words(session, request.reply_text, request, unmasked),
        # Staff's reason for more time may name the caller or quote their number.
        extension_days=request.extension_days,
        extension_reason=_staff_words(session, request.extension_reason, request, unmasked),
        reopen_count=request.reopen_count, allowed_actions=allowed,
        ratings=[RatingRead.model_validate(r) for r in ratings] if unmasked else [],
        sources=[SourceRead.model_validate(s) for s in sources] if unmasked else [],
        history=history,
        outbox=[_outbox(m, unmasked, _staff_words(session, m.body, request, unmasked))
                for m in outbox_service.for_entity(
                    session, entity_type="request", entity_id=request.id)],
    )  # fmt: skip


def _outbox(message: OutboxMessage, unmasked: bool, body: str | None = None) -> OutboxRead:
    """Return a public reply as a reader sees it: the post it answers (the citizen's), the
    account that speaks and the delivery errors (a connector's own words, which may quote
    what it was sent) only to the request's handlers. ``body``: the body as everyone else
    reads it — masked when it was queued, masked by today's rules when shown (a reply
    delivered before the rules changed keeps the masks of its day:
    :mod:`zhengwu.servicedesk.remask`); None: as stored."""
    shown = OutboxRead.model_validate(message)
    hidden = {"target_post_id": None, "account_uid": None, "error": None, "last_error": None,
              "last_error_at": None, "body": message.body if body is None else body}  # fmt: skip
    return shown if unmasked else shown.model_copy(update=hidden)


def _signatures(session: Session, entries: Sequence[AuditEntry]) -> dict[int, str]:
    """Return, by position in the request's history, who acted as a masked reader sees it:
    a member of staff (``entries``: the request's history) as their organisation and role
    (郑州市公安局·承办人), not by name —
    the rescue side hides its staff's names from masked readers too. Entries of no user
    (系统, 市民, an Open311 client) keep their name."""
    ids = {e.actor_user_id for e in entries if e.actor_user_id is not None}
    if not ids:
        return {}
    query = (
        select(User.id, User.role, Organization.name)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(User.id.in_(ids))
    )
    who = {
        uid: "·".join(p for p in (org, ROLE_LABELS.get(role, role)) if p)
        for uid, role, org in session.execute(query)
    }
    return {
        n: who.get(e.actor_user_id, "工作人员")
        for n, e in enumerate(entries)
        if e.actor_user_id is not None
    }


_DECIDE_EXTENSION = frozenset({"approve_extension", "refuse_extension"})


def _fits_extension(action: str, request: ServiceRequest) -> bool:
    """Return False for an extension step the request's pending extension rules out.

    Approving or refusing needs a pending extension; asking needs none pending (the
    action would only fail with a 409 otherwise).
    """
    pending = request.extension_days is not None
    if action in _DECIDE_EXTENSION:
        return pending
    return not (action == "request_extension" and pending)


def public_rows(
    session: Session, requests: Sequence[ServiceRequest], categories: Sequence[Category], *,
    own: bool = False,
) -> list[PublicRequest]:  # fmt: skip
    """Return board rows: masked text, names of category, region and handling body.

    The satisfaction rating (回访) is the citizen's own feedback, not a public fact: it
    is shown only to the citizen who gave it (``own``: the request's token was given);
    the public sees the 满意率 it is counted in.

    Replies are masked here, at display, so a number published since (公开电话) shows; the
    stored masked text is masked again, so a number withdrawn since is hidden at once (the
    job ``published-numbers`` then makes the stored text follow, :mod:`.remask`).
    """
    names = {c.code: c.name for c in categories}
    keep = published_phones.directory(session) if requests else frozenset()
    org_ids = {r.organization_id for r in requests if r.organization_id is not None}
    orgs: dict[int, str] = {}
    if org_ids:
        query = select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
        orgs = dict(session.execute(query).all())
    kept_ids = {r.duplicate_of_id for r in requests if r.duplicate_of_id is not None}
    kept: dict[int, str] = {}
    if kept_ids:
        query2 = select(ServiceRequest.id, ServiceRequest.public_id).where(
            ServiceRequest.id.in_(kept_ids)
        )
        kept = dict(session.execute(query2).all())
    officials = masking.officials(session, (r.reply_text for r in requests))
    rows = []
    for r in requests:
        division = regions.get(r.adcode) if r.adcode else None
        rows.append(
            PublicRequest(
                public_id=r.public_id,
                state=r.state,
                state_label=STATE_LABELS.get(r.state, r.state),
                category=names.get(r.category_code or ""),
                region=division.name if division else None,
                organization=orgs.get(r.organization_id) if r.organization_id else None,
                text=masking.mask(r.text_masked, keep=keep),
                reply_text=(
                    masking.mask_for(r.reply_text, r, keep=keep, officials=officials)
                    if r.reply_text
                    else None
                ),
                received_at=r.received_at,
                first_response_at=r.first_response_at,
                resolved_at=r.resolved_at,
                satisfaction=r.satisfaction if own else None,
                duplicate_of=kept.get(r.duplicate_of_id) if r.duplicate_of_id else None,
            )
        )
    return rows
