"""A citizen's follow-up of their own help request (求助跟进): status, update, withdraw.

Whoever submits the public form (or the JSON API) gets a private link with an unguessable
token and, when they gave a phone, a six-digit query code to use with that phone. Only
hashes are stored (:class:`HelpFollowup`); the receipt shows the link once. With it the
citizen can

- see the status of the request, masked: received / verified / dispatched / rescued /
  closed, the team's name but none of its members' data, the updates sent with personal
  data masked (a submission that merged gets a key to someone else's request);
- add an update (more people, a changed situation, a new phone): it becomes a source of
  kind ``update`` on the request (its history), its facts are folded in and re-triage the
  request, and the queue flags it ``new_info`` until someone verifies again;
- withdraw it, "已自行脱险/已获救" (``self_rescued``) or "信息有误" (``withdrawn``), with
  a note: the request leaves the active queues, is closed with that outcome and its own
  public wording (never "rescued" by a team, :mod:`zhengwu.rescue.notices`), audited.

Every call is rate-limited per client (:func:`zhengwu.rescue.throttle.limit_followup`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow
from zhengwu.errors import ConflictError, NotFoundError
from zhengwu.privacy.phones import PhoneError, normalise_callback_phone
from zhengwu.rescue import access, clock, intake, merge, notices
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpFollowup, HelpRequest, HelpSource
from zhengwu.rescue.priority import FOLLOWUP_PLATFORM as PLATFORM
from zhengwu.rescue.schemas import HELP_PEOPLE_MAX, FollowupIssued
from zhengwu.rescue.workflow import OPEN_STATES, flush_or_conflict, transition

CODE_DIGITS = 6
# Who acts when a citizen updates or withdraws through their link (audit log, history).
CITIZEN = Principal(role="public", username="citizen", display_name="求助人（跟进链接）")

Status = Literal["received", "verified", "dispatched", "rescued", "closed"]
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "received": ("已受理，等待核实", "received, waiting to be verified"),
    "verified": ("已核实，等待派出救援", "verified, waiting for a team"),
    "dispatched": ("已派出救援队伍", "a rescue team has been sent"),
    "rescued": ("已获救", "rescued"),
    "closed": ("已结束", "closed"),
}
WITHDRAW_MARK = "【撤回请求】"  # the update a withdrawal becomes when it cannot close
WITHDRAW_REASONS = {"self_rescued": "已自行脱险/已获救", "withdrawn": "信息有误"}


class FollowupKey(BaseModel):
    """How a citizen names their request: the link's token, or the phone and query code."""

    token: str | None = Field(None, max_length=128)
    phone: str | None = Field(None, max_length=32)
    code: str | None = Field(None, max_length=12)


class FollowupUpdateIn(FollowupKey):
    """An update from the citizen: what changed, and optionally more people or a new phone."""

    text: str = Field(min_length=2, max_length=2000)
    people: int | None = Field(None, ge=1, le=HELP_PEOPLE_MAX)
    new_phone: str | None = Field(None, max_length=32)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        text = value.strip()
        if len(text) < 2:
            raise ValueError("describe what changed")
        return text

    @field_validator("new_phone", mode="before")
    @classmethod
    def _phone(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        return normalise_callback_phone(value) if value.strip() else None


class FollowupWithdrawIn(FollowupKey):
    """A withdrawal: ``self_rescued`` (已自行脱险/已获救) or ``withdrawn`` (信息有误)."""

    reason: Literal["self_rescued", "withdrawn"]
    note: str | None = Field(None, max_length=500)


class FollowupUpdateView(BaseModel):
    """One update the citizen sent."""

    at: datetime
    text: str


class FollowupStatus(BaseModel):
    """What the citizen sees of their request: no personal data of anyone else."""

    request_id: int
    status: Status
    status_zh: str
    status_en: str
    outcome: str | None
    outcome_label: str | None
    withdrawn: bool
    open: bool
    team_name: str | None
    people_total: int | None
    people_helped: int
    reported_at: datetime
    updates: list[FollowupUpdateView]
    withdrawal_requested: bool = Field(
        description="asked to withdraw with a key that may not close it; a coordinator confirms"
    )


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _lookup_hash(phone: str, code: str) -> str:
    return _hash(f"{phone}:{code}")


def issue(
    session: Session, *, request: HelpRequest, phone: str | None, source: HelpSource | None = None
) -> FollowupIssued:
    """Create a follow-up key to ``request``; return the token (and code) to show once.

    Called right after the submission was taken in: a request with more than this one
    source existed before, and the key does not make its holder the request's creator.
    The key is bound to the submission's ``source`` (by default the request's newest
    source that is not an update: the one just taken in), so it follows that source
    wherever a coordinator merges or splits it (:func:`open_key`).
    """
    if source is None:
        source = max((s for s in request.sources if s.kind != "update"), key=lambda s: s.id)
    token = secrets.token_urlsafe(24)
    code = None
    lookup = None
    if phone:
        for _ in range(10):  # a code the same phone already uses would be ambiguous
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            lookup = _lookup_hash(phone, code)
            taken = select(HelpFollowup.id).where(HelpFollowup.lookup_hash == lookup)
            if session.scalar(taken) is None:
                break
    creator = len(request.sources) == 1
    session.add(HelpFollowup(request_id=request.id, token_hash=_hash(token), lookup_hash=lookup,
                             creator=creator, source_id=source.id))  # fmt: skip
    session.flush()
    return FollowupIssued(token=token, code=code, url=page_url(token))


def page_url(token: str) -> str:
    """Return the path of the private follow-up page of ``token``."""
    return f"/board/rescue/followup/{token}"


def _not_found() -> NotFoundError:
    return NotFoundError(
        "跟进链接或查询码无效，请核对；情况危急请直接拨打 119 / 110",
        "the follow-up link or code is not valid (in danger: call 119 / 110)",
    )


def find(session: Session, key: FollowupKey) -> HelpRequest:
    """Return the request a token, or a phone with its code, opens; 404 otherwise."""
    return open_key(session, key)[0]


MERGE_HOPS = 20  # a merged request's survivor may itself have been merged since


def open_key(session: Session, key: FollowupKey) -> tuple[HelpRequest, bool]:
    """Return the request a token, or a phone with its code, opens, and whether the key
    made it (``creator``: it may close it); or 404.

    The key opens the request its submission's source is on now: a coordinator's merge
    (合并, the source moved to the survivor) takes it along — the key sees the survivor's
    status and adds to its history, but did not make it, so a withdrawal there only asks
    (:func:`withdraw`); a split (拆分, :func:`zhengwu.rescue.intake.unmerge`) takes it to
    the split-off request, which it made — never to the family left behind. A key with
    no source (older than migration 0039, not bound by it) opens its request, or the
    request that one was merged into — unless a citizen's submission was split off them
    since: it is bound then, or refused (:func:`_bind_older_key`).
    """
    phone = None
    if key.token:
        where = HelpFollowup.token_hash == _hash(key.token.strip())
    elif key.phone and key.code:
        try:
            phone = normalise_callback_phone(key.phone)
        except PhoneError:
            raise _not_found() from None
        where = HelpFollowup.lookup_hash == _lookup_hash(phone or "", key.code.strip())
    else:
        raise _not_found()
    found = session.scalar(select(HelpFollowup).where(where).limit(1))
    if found is None:
        raise _not_found()
    if found.source_id is None:
        _bind_older_key(session, found, phone=phone)
    home = None
    if found.source_id is not None:
        home = session.scalar(select(HelpSource.request_id).where(HelpSource.id == found.source_id))
    request = rescue_service.get_request(session, request_id=home or found.request_id,
                                         for_update=True)  # fmt: skip
    creator = found.creator and request.id == found.request_id
    for _ in range(MERGE_HOPS):
        if request.merged_into_id is None:
            break
        request = rescue_service.get_request(
            session, request_id=request.merged_into_id, for_update=True
        )
        creator = False
    return request, creator


SUBMITTED = ("form-", "api-")  # the post ids intake.submit gives a form's or API's request


def _bind_older_key(session: Session, key: HelpFollowup, *, phone: str | None) -> None:
    """Bind a key older than migration 0039 that its backfill could not bind to its
    submission's source when that can be told now, or refuse it when a split makes the
    request it opens uncertain.

    Unbound, a key opens the request it made or joined, following merges. That is right
    as long as no citizen's submission (a ``form-…`` or ``api-…`` source: what a key is
    issued for) was split off those requests since (拆分): the key's own is still there.
    Once one was, the key's submission may be the one split off, and the request left
    behind another family's. The submission is then the only candidate — the form and
    API sources on the request the key opens now, and those split off the requests it
    went through — or the only one that gave the ``phone`` the key was looked up with:
    the key is bound to it for good (and moved with it, as :func:`zhengwu.rescue.intake.unmerge`
    moves a bound key). Otherwise it is refused (409), never opening the wrong family's.
    """
    from zhengwu.audit.models import AuditEntry

    chain = [key.request_id]
    for _ in range(MERGE_HOPS):
        survivor = session.scalar(
            select(HelpRequest.merged_into_id).where(HelpRequest.id == chain[-1])
        )
        if survivor is None:
            break
        chain.append(survivor)
    split: dict[int, int] = {}  # source id → the request it was split off into
    for data in session.scalars(
        select(AuditEntry.data)
        .where(AuditEntry.entity_type == "help_request", AuditEntry.action == "unmerge",
               AuditEntry.entity_id.in_(chain))
        .order_by(AuditEntry.id)
    ):  # fmt: skip
        if isinstance(data, dict) and isinstance(data.get("source_id"), int):
            split[data["source_id"]] = int(data.get("to_request") or 0)
    if not split:
        return  # nothing split off: the key's submission is where it was
    submitted = or_(*(HelpSource.post_id.startswith(p) for p in SUBMITTED))
    candidates = list(
        session.scalars(
            select(HelpSource)
            .where(or_(HelpSource.request_id == chain[-1], HelpSource.id.in_(split)), submitted,
                   HelpSource.kind != "update")
            .order_by(HelpSource.id)
        )
    )  # fmt: skip
    if not any(c.id in split for c in candidates):
        return  # only other inputs (posts, calls) were split off: not a citizen's key's
    if len(candidates) > 1 and phone:
        candidates = [c for c in candidates if phone in ((c.fields or {}).get("phones") or ())]
    if len(candidates) != 1:
        raise ConflictError(
            "此跟进链接（或查询码）签发于系统升级之前，它所在的求助后来被协调人拆分，"
            "无法确定哪一条是您提交的，为免看到或改动他人的求助，已停止使用；"
            "请用提交时填写的手机号和查询码查询，或联系救援热线；情况危急请直接拨打 119 / 110",
            "this follow-up link (or code) was issued before an upgrade, and the request it "
            "opened has since been split by a coordinator: which part is yours cannot be "
            "told, so it is no longer used rather than show or change someone else's "
            "request; look up with the phone you gave and its code, or call the hotline "
            "(in danger: call 119 / 110)",
        )
    [source] = candidates
    key.source_id = source.id
    if source.id in split and source.request_id != key.request_id:
        key.request_id, key.creator = source.request_id, True  # it made the split-off one
    session.flush()


def status_of(request: HelpRequest) -> Status:
    """Return the citizen's word for where ``request`` stands."""
    if request.state in ("resolved", "announced"):
        helped = request.outcome in notices.HELPED_OUTCOMES and not notices.is_partial(request)
        return "rescued" if helped else "closed"
    if request.state in ("dispatched", "on_scene"):
        return "dispatched"
    return "verified" if request.state == "verified" else "received"


def status(
    request: HelpRequest, *, keep: Collection[str] = (), officials: Collection[str] = ()
) -> FollowupStatus:
    """Return the masked status of ``request`` for its citizen (sources loaded).

    The updates are masked as for any reader who may not see the request in full
    (:func:`zhengwu.rescue.access.mask_request_text`: phones, IDs, names, the request's own
    name and door; ``keep``: published numbers; ``officials``: government accounts' handles,
    :func:`zhengwu.rescue.access.government_handles`), since whoever else asked for the same
    people holds a key to the same request, and a link or code may be passed on.
    """
    code = status_of(request)
    zh, en = STATUS_LABELS[code]
    if request.outcome:
        zh = f"{zh} · {notices.OUTCOME_LABELS.get(request.outcome, request.outcome)}"
    return FollowupStatus(
        request_id=request.id, status=code, status_zh=zh, status_en=en, outcome=request.outcome,
        outcome_label=notices.OUTCOME_LABELS.get(request.outcome) if request.outcome else None,
        withdrawn=request.outcome in notices.WITHDRAWN_OUTCOMES,
        open=request.state in OPEN_STATES,
        team_name=request.team.name if request.team else None,
        people_total=request.people_total, people_helped=request.people_helped,
        reported_at=request.reported_at,
        updates=[FollowupUpdateView(at=s.posted_at,
                                    text=access.mask_request_text(s.text, request, keep=keep,
                                                                  officials=officials))
                 for s in request.sources if s.platform == PLATFORM],
        withdrawal_requested=request.state in OPEN_STATES and any(
            s.platform == PLATFORM and s.text.startswith(WITHDRAW_MARK) for s in request.sources),
    )  # fmt: skip


def _still_open(request: HelpRequest) -> None:
    if request.state not in OPEN_STATES:
        raise ConflictError(
            f"求助 #{request.id} 已结束，不能再修改；如仍需救援请重新提交或拨打 119 / 110",
            f"help request #{request.id} is closed; if you still need help submit again "
            "or call 119 / 110",
        )


def _facts(session: Session, request: HelpRequest, post: merge.HelpPostIn) -> dict[str, Any]:
    """Return what the extraction reads in a citizen's words (as a post's facts)."""
    incident = rescue_service.get_incident(session, incident_id=request.incident_id)
    analysed = merge.analyse([post], workers=1, region_hint=rescue_service.region_hint(incident))
    return intake.fields_of(analysed[0])


def _add_source(request: HelpRequest, post: merge.HelpPostIn, facts: dict[str, Any]) -> HelpSource:
    """Fold the facts in and keep the citizen's words as an update source (history).

    An update is no report: its time (the source's, shown in the 处理记录) is not when the
    people asked, so it never gives the request a report time (``untimed``; a time its
    words state is not read either) — a sheet row's unknown one stays unknown.
    """
    facts.pop("reported_at", None)
    facts["untimed"] = True
    intake.absorb(request, facts, post.posted_at or utcnow())
    source = HelpSource(
        incident_id=request.incident_id, request_id=request.id, channel="form",
        platform=PLATFORM, post_id=post.post_id, text=post.text, posted_at=post.posted_at,
        kind="update", merged_by=PLATFORM, score=1.0, fields=facts, created_at=post.posted_at,
    )  # fmt: skip
    request.sources.append(source)
    return source


def _post(text: str, now: datetime) -> merge.HelpPostIn:
    return merge.HelpPostIn(
        platform=PLATFORM, post_id=f"{PLATFORM}-{uuid.uuid4().hex[:16]}", text=text, posted_at=now
    )


def add_update(session: Session, *, request: HelpRequest, data: FollowupUpdateIn) -> HelpSource:
    """Add the citizen's update to ``request``'s history and re-triage it (audited)."""
    _still_open(request)
    now = clock.now(session, request.incident_id)
    labels = [("更新", data.text), ("人数", f"{data.people}人" if data.people else None),
              ("新联系方式", data.new_phone)]  # fmt: skip
    text = "".join(f"【{k}】{v}" for k, v in labels if v)
    post = _post(text, now)
    facts = _facts(session, request, post)
    if data.people:
        facts["people"] = data.people
    if data.new_phone:
        facts["phones"] = list(dict.fromkeys([data.new_phone, *facts.get("phones", ())]))
    facts.pop("update", None)  # "已获救" goes through withdraw, not a word in an update
    if data.people and request.people_total is not None and data.people < request.people_total:
        facts.pop("people")  # fewer people is a coordinator's correction, after a call
    source = _add_source(request, post, facts)
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="citizen_update",
        actor=CITIZEN, at=now, reason=data.text,
        data={"people": data.people, "new_phone": bool(data.new_phone)},
    )  # fmt: skip
    flush_or_conflict(session, request)
    return source


def withdraw(
    session: Session, *, request: HelpRequest, data: FollowupWithdrawIn, creator: bool = True
) -> bool:
    """Withdraw ``request`` for its citizen; return whether it was closed.

    The key of the submission that created the request closes it: the team, if any, is
    released; the closing notice says the citizen withdrew it. A key of a submission that
    merged into an existing request (``creator`` false) cannot close what someone else may
    have asked for: the withdrawal becomes an update (flagged ``new_info``; "safe" also
    marks the request reported rescued) for a coordinator to confirm by phone.
    """
    _still_open(request)
    now = clock.now(session, request.incident_id)
    note = (data.note or "").strip() or None
    reason = f"求助人撤回：{WITHDRAW_REASONS[data.reason]}" + (f"（{note}）" if note else "")
    if not creator:
        facts = {"update": "resolved"} if data.reason == "self_rescued" else {}
        _add_source(request, _post(f"{WITHDRAW_MARK}{reason}", now), facts)
        audit_service.record(
            session, entity_type="help_request", entity_id=request.id, action="withdraw_request",
            actor=CITIZEN, at=now, reason=reason, data={"outcome": data.reason, "note": note},
        )  # fmt: skip
        flush_or_conflict(session, request)
        return False
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="withdraw",
        actor=CITIZEN, at=now, reason=reason, data={"outcome": data.reason, "note": note},
    )  # fmt: skip
    transition(session, request=request, to="resolved", actor=CITIZEN, reason=reason, at=now,
               data={"outcome": data.reason, "by": "citizen"})  # fmt: skip
    request.outcome = data.reason
    for assignment in request.assignments:
        if assignment.active:
            assignment.active, assignment.released_at = False, now
    flush_or_conflict(session, request)
    count = notices.queue_notices(session, request=request)
    if count == 0:  # no post to answer under: the board's statement is the announcement
        transition(session, request=request, to="announced", actor=CITIZEN, at=now,
                   data={"notices": 0})  # fmt: skip
    flush_or_conflict(session, request)
    return True
