"""Service-desk services: intake, reading, searching (the caller commits).

The workflow actions live in :mod:`zhengwu.servicedesk.actions`; this module re-exports
:func:`perform` and :func:`citizen_act` so that callers only import ``service``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts import phones as published_phones
from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.privacy.handles import has_handle
from zhengwu.servicedesk import access, deadlines, dedup, locate, masking, office_merges, snapshot
from zhengwu.servicedesk import filters as request_filters
from zhengwu.servicedesk.actions import citizen_act, perform, token_hash
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.classifying import Classification, classify
from zhengwu.servicedesk.models import SOCIAL_SOURCES, RequestSource, ServiceRequest
from zhengwu.servicedesk.routing import fallback as routing_fallback
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.schemas import RequestIntake, StaffIntakeReceipt
from zhengwu.servicedesk.workflow import OPEN_STATES

__all__ = [
    "SYSTEM",
    "IntakeOutcome",
    "citizen_act",
    "create_request",
    "get_by_public_id",
    "get_readable",
    "get_viewable",
    "perform",
    "receive",
    "search",
    "token_hash",
    "visible_text",
]

SYSTEM = Principal(role="admin", username="system", display_name="系统")
_CN = ZoneInfo("Asia/Shanghai")
_ID_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I/O: read over the phone without confusion
DEFAULT_RESPONSE_DAYS, DEFAULT_RESOLVE_DAYS = 1, 15


@dataclass(slots=True)
class IntakeOutcome:
    """What an intake did: a new request, a merge into an open one, or a source seen before."""

    request: ServiceRequest
    status: Literal["created", "merged", "existing"]
    citizen_token: str | None = None  # only for a new request; shown to the citizen once
    kept_in_office: bool = False  # a new request kept in the importing office's queue
    # What routing would have done with it then (rule, body, matrix: the route entry's
    # ``outside_scope``), None when it was routed as the table says.
    outside_scope: dict[str, Any] | None = None
    # A matrix office's call merged into a request outside its scope: it reads that request
    # read-only (:mod:`zhengwu.servicedesk.office_merges`).
    merged_outside_scope: bool = False


def _public_id(at: datetime) -> str:
    """Return a new public id: SR, the day received (China) and six random letters (one
    draw of the system's random source for the six, uniform over the 24⁶ suffixes)."""
    n = secrets.randbelow(len(_ID_LETTERS) ** 6)
    letters = []
    for _ in range(6):
        n, i = divmod(n, len(_ID_LETTERS))
        letters.append(_ID_LETTERS[i])
    return f"SR{at.astimezone(_CN):%y%m%d}{''.join(letters)}"


def _source_ref(intake: RequestIntake) -> str:
    return intake.source_ref or f"{intake.source}:{secrets.token_hex(12)}"


def _post_id(intake: RequestIntake, source_ref: str) -> str | None:
    if intake.source not in SOCIAL_SOURCES:
        return None
    prefix = f"{intake.source}:"
    return source_ref[len(prefix) :] if source_ref.startswith(prefix) else source_ref


def addressed_account(session: Session, uid: str | None, source: str) -> Account | None:
    """Return the account a request addresses: its ``account_uid``, on the source's own
    platform for a social source (intake, and a re-route: :mod:`.routing.reroute`)."""
    if not uid:
        return None
    query = select(Account).where(Account.uid == uid)
    if source in SOCIAL_SOURCES:
        query = query.where(Account.platform == source)
    return session.scalar(query.order_by(Account.id).limit(1))


def _region_hint(session: Session, account: Account | None) -> str | None:
    if account is None:
        return None
    if account.adcode:
        return account.adcode
    if account.organization_id is not None:
        org = session.get(Organization, account.organization_id)
        return org.adcode if org else None
    return None


def matrix_for(
    session: Session, config: snapshot.DeskSnapshot, account: Account | None, adcode: str | None,
    organization_id: int | None,
) -> int | None:  # fmt: skip
    """Pick the matrix whose office watches the request: the addressed account's (regional
    first), else the most specific regional matrix over the place, else the handler's."""
    if account is not None:
        mid = session.scalar(
            select(Matrix.id).join(MatrixMember, MatrixMember.matrix_id == Matrix.id)
            .where(MatrixMember.account_id == account.id)
            .order_by(Matrix.kind != "regional", Matrix.id).limit(1)
        )  # fmt: skip
        if mid is not None:
            return mid
    if adcode:
        chain = regions.ancestors(adcode)
        over = [(mid, code) for mid, code in config.regional_matrices if code in chain]
        if over:
            return min(over, key=lambda r: (chain.index(r[1]), r[0]))[0]
    if organization_id is not None:
        return config.organization_matrix.get(organization_id)
    return None


def _merge_target(
    session: Session, intake: RequestIntake, key: str | None, received: datetime
) -> tuple[ServiceRequest, str] | None:
    """Return the request this intake repeats (and how), or None for a new problem."""
    if intake.root_ref:
        root = session.scalar(
            select(RequestSource).where(RequestSource.source_ref == intake.root_ref)
        )
        if root is not None:
            target = session.get(ServiceRequest, root.request_id)
            while target is not None and target.duplicate_of_id is not None:
                target = session.get(ServiceRequest, target.duplicate_of_id)
            if target is not None:
                return target, "repost"
    if key is None:
        return None
    candidates = session.scalars(
        select(ServiceRequest)
        .where(
            ServiceRequest.citizen_key == key,
            ServiceRequest.state.in_(OPEN_STATES),
            ServiceRequest.received_at >= received - timedelta(days=dedup.COPY_WINDOW_DAYS),
        )
        .order_by(ServiceRequest.received_at.desc())
        .limit(20)
    )
    fp = dedup.fingerprint(intake.text)
    for candidate in candidates:
        if candidate.fingerprint == fp or (
            dedup.similarity(candidate.text, intake.text) >= dedup.COPY_SIMILARITY
        ):
            return candidate, "copy"
    return None


def _add_source(
    session: Session, request: ServiceRequest, intake: RequestIntake, ref: str, kind: str,
    key: str | None, received: datetime,
) -> None:  # fmt: skip
    session.add(
        RequestSource(
            request_id=request.id,
            source=intake.source,
            source_ref=ref,
            kind=kind,
            citizen_key=key,
            text=intake.text,
            fingerprint=dedup.fingerprint(intake.text),
            received_at=received,
        )
    )


def receive(
    session: Session, *, intake: RequestIntake, actor: Principal, now: datetime | None = None,
    config: snapshot.DeskSnapshot | None = None, office: access.OfficeQueue | None = None,
) -> IntakeOutcome:  # fmt: skip
    """Take in a request from any channel: merge repeats, else classify, locate and route.

    ``now`` is the desk's clock at this intake (default: the real clock). Live intake
    leaves it out: an export's request keeps its ``submitted_at`` as received time and is
    taken in, routed and logged now. A replay of history or a simulated stream passes the
    request's own time (the batch intakes' ``as_of``): the receive and route entries, the
    routing table consulted (the rules in force then) and the record's created time all
    carry it, and the deadlines run from the received time either way. ``config``: the
    desk snapshot a batch intake already holds (default: :func:`snapshot.current`).
    ``office``: the queue of the matrix office taking the request in (its upload, or a
    request it registers itself), which keeps a new request routing would place outside the
    office's scope (:class:`access.OfficeQueue`; :func:`office_queue_notice` says why).
    """
    now = now or utcnow()
    received = intake.submitted_at or now
    ref = _source_ref(intake)
    # A reference made up here is new by construction; only a given one can repeat.
    seen = (
        session.scalar(select(RequestSource.request_id).where(RequestSource.source_ref == ref))
        if intake.source_ref
        else None
    )
    if seen is not None:
        existing = session.get(ServiceRequest, seen)
        assert existing is not None  # the foreign key guarantees it
        return IntakeOutcome(existing, "existing")
    key = dedup.citizen_key(
        source=intake.source, citizen_uid=intake.citizen_uid, phone=intake.citizen_phone,
        email=intake.citizen_email,
    )  # fmt: skip
    merge = _merge_target(session, intake, key, received)
    if merge is not None:
        target, kind = merge
        _add_source(session, target, intake, ref, kind, key, received)
        # Not before the request it joins (a replay may take in a later-received one first).
        at = max(now, target.received_at)
        outside = office is not None and not office.reads(
            target.id, target.matrix_id, target.organization_id
        )
        office_matrix = office.matrix_id if office is not None and outside else None
        audit_service.record(
            session, entity_type="request", entity_id=target.id, action="merge", actor=actor,
            from_state=target.state, to_state=target.state, at=at,
            data=office_merges.merge_data(ref, kind, office_matrix),
        )  # fmt: skip
        if office_matrix is not None:
            audit_service.record(
                session, entity_type="matrix", entity_id=office_matrix, actor=actor, at=at,
                action=office_merges.ACTION, data=office_merges.office_entry_data(target, ref),
            )  # fmt: skip
        _flush(session)
        return IntakeOutcome(target, "merged", merged_outside_scope=outside)
    return _create(
        session, intake=intake, actor=actor, ref=ref, key=key, received=received, now=now,
        config=config, office=office,
    )  # fmt: skip


NO_RULE = "无匹配的路由规则，进入派单队列 / no rule matched: dispatch queue"
OFFICE_QUEUE = (
    "登记方矩阵管理员的范围之外：留在登记方矩阵的队列，待派单 / outside the scope of the "
    "office that took it in: kept unassigned in the office's own matrix queue"
)


@dataclass(slots=True)
class NewRequest:
    """A new request as intake builds it: its columns and its two audit entries' contents.

    Built by :func:`build_new_request` for both the per-row intake (:func:`receive`, which
    makes a :class:`ServiceRequest` of ``values``) and the batched CSV intake
    (:mod:`zhengwu.servicedesk.csvbatch`, which inserts ``values`` as a row), so that the two
    paths cannot drift apart.
    """

    values: dict[str, Any]
    receive_data: dict[str, Any]  # the ``receive`` audit entry's data
    route_data: dict[str, Any]  # the ``route`` audit entry's data
    # None when a specific rule matched; else why a fallback routed it or why it waits
    route_reason: str | None
    kept_in_office: bool = False  # kept in the importing office's queue (``office``)


def build_new_request(
    session: Session, intake: RequestIntake, *, ref: str, key: str | None, fingerprint: str,
    received: datetime, now: datetime, config: snapshot.DeskSnapshot, account: Account | None,
    keep: frozenset[str], citizen_token: str,
    nodes: Mapping[str, snapshot.CategoryNode] | None = None,
    classified: Classification | None = None,
    masked: str | None = None,
    located: tuple[str | None, str | None] | None = None,
    office: access.OfficeQueue | None = None,
) -> NewRequest:  # fmt: skip
    """Classify, locate and route ``intake``; return the new request's columns and audit data.

    ``account``: the account the intake addresses (its region hints the place, its matrix
    watches the request). ``keep``: the published numbers that stay unmasked.
    ``citizen_token``: the secret shown to the citizen once (only its hash is stored).
    ``nodes``: the snapshot's categories by code, when the caller holds them already.
    ``classified``: the text's classification, when the caller made it already (a batch
    classifies its texts at once: :func:`classifying.classify_texts`); only for an intake
    without a category. ``masked`` and ``located``: the masked text and (adcode, located_by)
    when the caller computed them already with this ``keep``, no ``account`` and the
    deployment's home region (the CSV import's worker: :mod:`zhengwu.servicedesk.csvprep`).
    ``office``: the queue of the matrix office importing the request; when the routed
    matrix and body are both outside its scope (:meth:`access.OfficeQueue.covers`), the
    request is queued on the office's matrix with no body and no rule, and the route entry
    keeps what routing would have done (``outside_scope``).
    Nothing is written; a category or rule the snapshot names is read as it stands.
    """
    tree = config.tree
    if classified is not None and not intake.category_code:
        cls = classified
    else:
        cls = classify(intake.text, tree, given=intake.category_code, codes=nodes)
    if nodes is not None:
        category = nodes.get(cls.code) if cls.code else None
    else:
        category = next((c for c in tree if c.code == cls.code), None)
    if located is not None and account is None:
        adcode, located_by = located
    else:
        adcode, located_by = locate.locate(
            intake, hint=_region_hint(session, account), home=get_settings().desk_home_adcode
        )
    rule = routing_service.route(
        session, category_codes=category_service.lineage(tree, cls.code, by_code=nodes),
        adcode=adcode,
        at=now, rules=config.routing,
    )  # fmt: skip
    if rule is None and not config.rules:
        routing_service.note_unrouted_without_rules(intake.source)
    org_id = rule.organization_id if rule else None
    matrix_id = matrix_for(session, config, account, adcode, org_id)
    outside: dict[str, Any] | None = None
    why = routing_fallback.why(rule, adcode=adcode, category_code=cls.code)
    if office is not None and not office.covers(matrix_id, org_id):
        outside = {"routing_rule_id": rule.id if rule else None, "organization_id": org_id,
                   "matrix_id": matrix_id}  # fmt: skip
        if why is not None:
            outside["fallback"] = why
        rule, org_id, matrix_id = None, None, office.matrix_id
    response_days = category.response_days if category else DEFAULT_RESPONSE_DAYS
    resolve_days = category.resolve_days if category else DEFAULT_RESOLVE_DAYS
    phone = _citizen_phone(intake, keep)
    if masked is None or phone != intake.citizen_phone or has_handle(masked):
        # Masked with the phone kept (for a post, the one found in its text), as the
        # published-numbers pass masks it again: the stored text is the same either way.
        # A CSV worker masks no handles (it has no database to tell a government account).
        masked = masking.mask(intake.text, name=intake.citizen_name, phone=phone, keep=keep,
                              officials=masking.officials(session, [intake.text]))  # fmt: skip
    values: dict[str, Any] = {
        "public_id": _public_id(received), "citizen_token_hash": token_hash(citizen_token),
        "state": "received", "version": 1, "source": intake.source, "source_ref": ref,
        "platform": intake.source if intake.source in SOCIAL_SOURCES else None,
        "source_post_id": _post_id(intake, ref),
        "account_uid": account.uid if account else intake.account_uid,
        "is_public": intake.public, "text": intake.text,
        "text_masked": masked,
        "citizen_name": intake.citizen_name, "citizen_phone": phone,
        "citizen_email": intake.citizen_email, "citizen_key": key, "fingerprint": fingerprint,
        "category_code": cls.code, "classified_by": cls.by,
        "classification_confidence": cls.confidence,
        "address": intake.address or intake.region,
        "lat": intake.lat, "lon": intake.lon, "adcode": adcode, "located_by": located_by,
        "attributes": intake.attributes, "media_url": intake.media_url,
        "organization_id": org_id,
        "matrix_id": matrix_id,
        "routing_rule_id": rule.id if rule else None, "received_at": received,
        "response_due": deadlines.add_working_days(received, response_days),
        "resolve_due": deadlines.add_working_days(received, resolve_days),
        "first_response_at": None, "accepted_at": None, "resolved_at": None,
        "followed_up_at": None, "satisfaction": None, "feedback": None, "extension_days": None,
        "extension_reason": None, "supervised_at": None, "reply_text": None, "supervision_count": 0,
        "reopen_count": 0, "created_at": now, "updated_at": now,
    }  # fmt: skip
    route_data = route_entry_data(rule, category_code=cls.code, adcode=adcode)
    route_reason = None if rule else NO_RULE
    if why is not None and outside is None:
        # A fallback (兜底) routed it: say so, and why, to the handler and in the audit log.
        route_data["fallback"] = why
        route_reason = routing_fallback.reason(why)
    if outside is not None:
        route_data |= {"office_matrix_id": matrix_id, "outside_scope": outside}
        route_reason = OFFICE_QUEUE
    return NewRequest(
        values=values,
        # The working days of both deadlines: `zhengwu desk calendar recompute` counts them
        # again on a newly loaded calendar from these.
        receive_data={"source": intake.source, "source_ref": ref, "category_code": cls.code,
                      "classified_by": cls.by, "adcode": adcode, "located_by": located_by,
                      "response_days": response_days, "resolve_days": resolve_days},
        route_data=route_data, route_reason=route_reason, kept_in_office=outside is not None,
    )  # fmt: skip


def route_entry_data(
    rule: snapshot.RuleNode | None, *, category_code: str | None, adcode: str | None
) -> dict[str, Any]:
    """Return the data of a request's ``route`` audit entry: the rule that routed it (None:
    it waits unassigned), the table version, the body, and what it was routed by."""
    return {
        "routing_rule_id": rule.id if rule else None,
        "table_version": rule.table_version if rule else None,
        "organization_id": rule.organization_id if rule else None,
        "category_code": category_code, "adcode": adcode,
    }  # fmt: skip


def _citizen_phone(intake: RequestIntake, keep: frozenset[str]) -> str | None:
    """Return the phone kept with a new request: the one given, else — for a social post,
    whose author has no phone field — the first phone written in the post (its digits),
    so that the lookup by phone finds it (:func:`zhengwu.servicedesk.filters.apply`)."""
    if intake.citizen_phone or intake.source not in SOCIAL_SOURCES:
        return intake.citizen_phone
    return dedup.phone_in_text(intake.text, keep=keep)


def _create(
    session: Session, *, intake: RequestIntake, actor: Principal, ref: str, key: str | None,
    received: datetime, now: datetime, config: snapshot.DeskSnapshot | None = None,
    office: access.OfficeQueue | None = None,
) -> IntakeOutcome:  # fmt: skip
    token = secrets.token_urlsafe(18)
    built = build_new_request(
        session, intake, ref=ref, key=key, fingerprint=dedup.fingerprint(intake.text),
        received=received, now=now, config=snapshot.current(session) if config is None else config,
        account=addressed_account(session, intake.account_uid, intake.source), keep=published_phones.directory(session),
        citizen_token=token, office=office,
    )  # fmt: skip
    request = ServiceRequest(**built.values)
    session.add(request)
    _flush(session)
    _add_source(session, request, intake, ref, "original", key, received)
    audit_service.record(
        session, entity_type="request", entity_id=request.id, action="receive", actor=actor,
        to_state="received", at=now, data=built.receive_data,
    )  # fmt: skip
    audit_service.record(
        session, entity_type="request", entity_id=request.id, action="route", actor=actor,
        from_state="received", to_state="received", at=now, reason=built.route_reason,
        data=built.route_data,
    )  # fmt: skip
    _flush(session)
    return IntakeOutcome(
        request, "created", token, built.kept_in_office, built.route_data.get("outside_scope")
    )


def office_queue_notice(session: Session, outcome: IntakeOutcome) -> str | None:
    """Return what a matrix office is told when a request it registered was kept in its own
    matrix queue (:class:`access.OfficeQueue`), and why, in Chinese and English; None when
    it was routed as the routing table says.

    The why is what routing would have done: send it to another matrix's body (named), put
    it on another matrix's queue with no body, or leave it on no queue at all (no place or
    no rule). Bodies and matrices are public bodies: their names are no personal data.
    """
    outside = outcome.outside_scope
    if not outcome.kept_in_office or outside is None:
        return None
    org = _named(session, Organization, outside.get("organization_id"))
    matrix = _named(session, Matrix, outside.get("matrix_id"))
    if org is not None:
        queue_zh = f"（{matrix[1]}的队列）" if matrix else ""
        queue_en = f" (the queue of {matrix[1]})" if matrix else ""
        why_zh = f"按路由规则应派给{org[1]}{queue_zh}，不在本矩阵的范围内"
        why_en = f"routing would send it to {org[1]}{queue_en}, outside your matrix"
    elif matrix is not None:
        why_zh = f"没有匹配的路由规则，按区划或所找账号应进入{matrix[1]}的队列，不在本矩阵的范围内"
        why_en = (
            f"no routing rule matched, and its place or the account addressed puts it on the "
            f"queue of {matrix[1]}, outside your matrix"
        )
    else:
        why_zh = "没有区划或匹配的路由规则，不会进入任何矩阵的队列"
        why_en = "no place or routing rule matched: it would be on no matrix's queue"
    public_id = outcome.request.public_id
    return (
        f"诉求 {public_id} 已留在本矩阵的队列、未派单：{why_zh}。请派给本矩阵的承办单位"
        f" / request {public_id} is kept in your matrix's queue, unassigned: {why_en}. "
        "Dispatch it to a body of your matrix"
    )


def staff_intake_warnings(
    session: Session, principal: Principal, outcome: IntakeOutcome
) -> list[str]:
    """Return what a matrix office is told about a request it registered by hand: kept in
    its own queue (:func:`office_queue_notice`); merged into a request outside its scope,
    which it reads read-only (:mod:`office_merges`); or already on file as a request it
    does not read at all — which it then cannot open. Other roles: nothing."""
    if principal.role != "matrix_office":
        return []
    notice = office_queue_notice(session, outcome)
    if notice is not None:
        return [notice]
    public_id = outcome.request.public_id
    if outcome.merged_outside_scope:
        return [office_merges.notice(1, [public_id], 0)]
    if outcome.status != "created" and not access.can_read(principal, outcome.request):
        if office_merges.reads_read_only(session, principal, outcome.request):
            return [
                f"本次登记的来源已登记过，属于诉求 {public_id}：它不在本矩阵的范围内，本矩阵的来电已并入，"
                f"可只读查看 / this registration was registered before, as request {public_id}: "
                "outside your matrix, joined by a call of yours — you can read it read-only"
            ]
        how_zh, how_en = (
            ("与已有诉求重复，并入了诉求", "repeats an open request and was merged into")
            if outcome.status == "merged"
            else ("的来源已登记过，属于诉求", "was registered before, as request")
        )
        return [
            f"本次登记{how_zh} {public_id}，它不在本矩阵的范围内，本账号看不到；如需跟进请联系"
            f"平台管理员 / this registration {how_en} {public_id}, which is outside your "
            "matrix: you cannot see it — ask an admin to follow it up"
        ]
    return []


def staff_receipt(
    session: Session, principal: Principal, outcome: IntakeOutcome
) -> StaffIntakeReceipt:
    """Return the answer to staff who registered a request: the receipt, its queue, and
    :func:`staff_intake_warnings`."""
    req = outcome.request
    return StaffIntakeReceipt(
        public_id=req.public_id, status=outcome.status, citizen_token=outcome.citizen_token,
        state=req.state, category_code=req.category_code, organization_id=req.organization_id,
        matrix_id=req.matrix_id, kept_in_office_queue=outcome.kept_in_office,
        merged_outside_scope=outcome.merged_outside_scope,
        warnings=staff_intake_warnings(session, principal, outcome),
    )  # fmt: skip


def _named(
    session: Session, model: type[Organization] | type[Matrix], row_id: int | None
) -> tuple[int, str] | None:
    """Return (id, name) of an organisation or a matrix (None for None or a missing row)."""
    if row_id is None:
        return None
    found = session.execute(select(model.id, model.name).where(model.id == row_id)).first()
    return None if found is None else (found[0], found[1])


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # Two intakes of the same source at the same moment: the unique source_ref refuses
        # the second; the caller's transaction is spoilt, so report a conflict to retry.
        raise ConflictError(
            "该来源正在受理，请稍后重试", "this source is being taken in; retry"
        ) from exc


def create_request(session: Session, *, intake: RequestIntake, actor: Principal) -> ServiceRequest:
    """Take in a request and return it (new, or the one it merged into)."""
    return receive(session, intake=intake, actor=actor).request


def get_by_public_id(session: Session, public_id: str) -> ServiceRequest:
    """Return a request by its public id or raise NotFoundError (no access check)."""
    request = session.scalar(select(ServiceRequest).where(ServiceRequest.public_id == public_id))
    if request is None:
        raise NotFoundError(f"诉求不存在：{public_id}", f"no such request: {public_id}")
    return request


def get_by_reference(session: Session, ref: str) -> ServiceRequest:
    """Return a request by its public id (SR…), or by a hotline ticket number (工单编号) or
    source reference (``weibo:…``) it carries, merged copies too; NotFoundError otherwise
    (no access check)."""
    ref = ref.strip()
    request = session.scalar(select(ServiceRequest).where(ServiceRequest.public_id == ref))
    if request is not None:
        return request
    carriers = select(RequestSource.request_id).where(
        RequestSource.source_ref.in_(request_filters.ticket_refs(ref))
    )
    found = session.scalars(
        select(ServiceRequest).where(ServiceRequest.id.in_(carriers)).order_by(ServiceRequest.id)
    ).all()
    if len(found) > 1:  # the same number from two channels (12345:… and csv:…)
        ids = ", ".join(r.public_id for r in found)
        raise InvalidInputError(
            f"编号 {ref} 对应多条诉求：{ids}，请用诉求编号",
            f"{ref} names several requests: {ids} — give the public id",
        )
    if not found:
        raise NotFoundError(
            f"诉求不存在：{ref}（诉求编号 SR… 或工单编号）",
            f"no such request: {ref} (a public id SR… or a ticket number)",
        )
    return found[0]


def get_readable(session: Session, *, principal: Principal, public_id: str) -> ServiceRequest:
    """Return a request ``principal`` may read unmasked; NotFoundError otherwise."""
    query = access.readable_requests(principal).where(ServiceRequest.public_id == public_id)
    request = session.scalar(query)
    if request is None:
        raise NotFoundError(f"诉求不存在：{public_id}", f"no such request: {public_id}")
    return request


def get_viewable(session: Session, *, principal: Principal, public_id: str) -> ServiceRequest:
    """Return a request ``principal`` may open: one it reads unmasked, or — for a matrix
    office — one its call was merged into from outside its scope, read-only and masked
    (:func:`office_merges.reads_read_only`); NotFoundError otherwise."""
    try:
        return get_readable(session, principal=principal, public_id=public_id)
    except NotFoundError:
        request = session.scalar(
            select(ServiceRequest).where(ServiceRequest.public_id == public_id)
        )
        if request is None or not office_merges.reads_read_only(session, principal, request):
            raise
        return request


def public_requests() -> Select[ServiceRequest]:
    """Return a SELECT of the requests the public board shows (masked by the caller)."""
    return select(ServiceRequest).where(
        ServiceRequest.is_public.is_(True), ServiceRequest.state != "invalid"
    )


def visible_query(principal: Principal) -> Select[ServiceRequest]:
    """Return what ``principal`` may list: its readable requests, or the public ones."""
    if access.reads_requests(principal):
        return access.readable_requests(principal)
    return public_requests()


def visible_text(principal: Principal, request: ServiceRequest) -> str:
    """Return the text ``principal`` may see: the original for its handlers, else masked."""
    return request.text if access.can_read(principal, request) else request.text_masked


def search(
    session: Session,
    *,
    principal: Principal,
    ids: list[str] | None = None,
    category_codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    states: list[str] | None = None,
    organization_id: int | None = None,
    overdue: bool | None = None,
    filters: request_filters.RequestFilters | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[ServiceRequest]:
    """Return the requests ``principal`` may list, newest first, filtered.

    Staff get their readable requests; anyone else the public ones, whose text the caller
    must show masked (:func:`visible_text`). ``filters``, when given, replaces the single
    filter arguments (:mod:`zhengwu.servicedesk.filters`).
    """
    query = visible_query(principal)
    if ids:
        query = query.where(ServiceRequest.public_id.in_(ids))
    query = request_filters.apply(
        query,
        filters or request_filters.RequestFilters(
            states=states, category_codes=category_codes, organization_id=organization_id,
            overdue=overdue, start=start, end=end,
        ),
    )  # fmt: skip
    query = query.order_by(ServiceRequest.received_at.desc(), ServiceRequest.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))
