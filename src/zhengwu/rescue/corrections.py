"""The coordinator corrects the machine's work (人工更正): edit a request, merge two.

The extractor reads addresses, phones, counts and urgency from posts written in a hurry,
and the de-duplicator (:mod:`zhengwu.rescue.merge`) misses copies that were retold in
other words. A coordinator who has called the people knows better:

- :func:`edit_request` corrects the extracted fields (地址、人数、电话、紧急程度、需求、
  弱势人群、险情、情况描述) of an open request, with the reason; every changed field is
  audited old → new (action ``edit``), like the people-count correction
  (:func:`zhengwu.rescue.dispatch.correct_people`, whose rules the count follows here).
  The sources keep what was posted; the views mask the new values as they mask the old.
  Corrected phones and addresses are matched like posted ones: a later post with the
  corrected phone joins the request (:func:`zhengwu.rescue.intake.rekey`).
- :func:`merge_requests` merges a request the de-duplicator missed into another: the
  survivor takes every source post, phone, need, verification, assignment and fulfilment
  (and the newer verification result: a new survivor of a verified request is verified);
  its people count is the larger of the two or the coordinator's number. The merged one
  becomes ``merged`` (已合并), points to the survivor (``merged_into_id``) and leaves the
  queues and the board; its own history stays under its number. Closed requests, and a
  merged-away request that a team is working on, are refused (409): merge into the
  request the team holds instead.

Undoing a wrong automatic merge is :func:`zhengwu.rescue.intake.unmerge` (split a source
post back out into a request of its own).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, InvalidInputError
from zhengwu.privacy.phones import PhoneError, normalise_callback_phone
from zhengwu.rescue import address as addresses
from zhengwu.rescue import clock, dispatch, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.extract import COMPLETENESS_WEIGHTS
from zhengwu.rescue.labels import NEED_LABELS, VULNERABILITY_LABELS
from zhengwu.rescue.models import HelpRequest
from zhengwu.rescue.schemas import RequestEdit
from zhengwu.rescue.workflow import OPEN_STATES, STATE_LABELS, flush_or_conflict, transition

EDITORS = dispatch.PEOPLE_EDITORS  # dispatchers and verifiers (who call the people) edit
MERGERS = ("dispatcher",)  # merging changes what teams are sent to: dispatchers only
MERGED = "merged"
# The fields :func:`edit_request` may change, in the order the audit lists them.
EDITABLE = ("address", "adcode", "lon", "lat", "people_total", "phones", "urgency", "needs",
            "vulnerabilities", "hazard", "text")  # fmt: skip


def _open(request: HelpRequest, action_zh: str, action_en: str) -> None:
    if request.state not in OPEN_STATES:
        label = STATE_LABELS.get(request.state, request.state)
        raise ConflictError(
            f"求助 #{request.id} 当前为「{label}」，不能{action_zh}",
            f"help request #{request.id} is {request.state}: cannot {action_en}",
        )


def _phones(raw: list[str]) -> list[str]:
    """Return the numbers the people can be called back on, in their normal form: a
    hotline (12345, 110) reaches an office, not them (refused, as on the help form)."""
    found: list[str] = []
    for value in raw:
        if not value.strip():
            continue
        try:
            found.append(normalise_callback_phone(value))
        except PhoneError as exc:
            raise InvalidInputError(exc.message_zh, exc.message_en) from None
    return list(dict.fromkeys(found))


def _codes(raw: list[str], known: dict[str, str], what_zh: str, what_en: str) -> list[str]:
    unknown = [c for c in raw if c not in known]
    if unknown:
        raise InvalidInputError(
            f"未知的{what_zh}：{'、'.join(unknown)}", f"unknown {what_en}: {', '.join(unknown)}"
        )
    return list(dict.fromkeys(raw))


def completeness(request: HelpRequest) -> tuple[float, list[str]]:
    """Return a request's completeness and missing fields from what it now holds."""
    present = {
        "phones": bool(request.phones),
        "address": bool(request.address or request.adcode),
        "people": request.people_total is not None,
        "needs": bool(request.needs) or bool(request.hazard),
        "name": bool(request.name),
    }
    score = sum(w for f, w in COMPLETENESS_WEIGHTS.items() if present[f])
    return round(score, 2), [f for f in COMPLETENESS_WEIGHTS if not present[f]]


def _wanted(session: Session, request: HelpRequest, data: RequestEdit) -> dict[str, Any]:
    """Return the new values ``data`` asks for, checked and normalised."""
    sent = data.model_dump(exclude_unset=True, exclude={"reason", "expected_version"})
    wanted: dict[str, Any] = {}
    if "address" in sent:
        written = (sent["address"] or "").strip() or None
        wanted["address"] = written
        if written:
            incident = rescue_service.get_incident(session, incident_id=request.incident_id)
            place = addresses.resolve(written, rescue_service.region_hint(incident))
            if place is not None:  # an address the regions do not know keeps the old place
                wanted.update(adcode=place.adcode, lon=place.lon, lat=place.lat)
    if sent.get("people_total") is not None:
        wanted["people_total"] = sent["people_total"]
    if sent.get("phones") is not None:
        wanted["phones"] = _phones(sent["phones"])
    if sent.get("urgency") is not None:
        wanted["urgency"] = sent["urgency"]
    if sent.get("needs") is not None:
        wanted["needs"] = _codes(sent["needs"], NEED_LABELS, "需求", "needs")
    if sent.get("vulnerabilities") is not None:
        wanted["vulnerabilities"] = _codes(
            sent["vulnerabilities"], VULNERABILITY_LABELS, "弱势人群", "vulnerable groups"
        )
    if "hazard" in sent:
        wanted["hazard"] = (sent["hazard"] or "").strip() or None
    if sent.get("text") is not None:  # a form's text area sends its lines with CRLF
        wanted["text"] = sent["text"].replace("\r\n", "\n").replace("\r", "\n").strip()
    return wanted


def edit_request(
    session: Session, *, request: HelpRequest, data: RequestEdit, actor: Principal
) -> dict[str, dict[str, Any]]:
    """Correct an open request's extracted fields (更正求助信息); return what changed.

    Dispatchers and verifiers; the reason is required and every changed field is audited
    as ``{"from": old, "to": new}`` (action ``edit``). A new address is placed again
    (adcode, coordinates) when the regions know it. The people count may not fall below
    the people already helped (409). ``data.expected_version`` refuses a stale form (409).
    A request already closed cannot be edited (409). Nothing changes, nothing is written.
    Corrected phones or a corrected address become match keys of the request
    (:func:`zhengwu.rescue.intake.rekey`): a later post with them joins it.
    """
    actor.require(*EDITORS)
    _open(request, "更正", "edit it")
    dispatch.check_version(request, data.expected_version)
    wanted = _wanted(session, request, data)
    total = wanted.get("people_total")
    if total is not None and total < request.people_helped:
        raise ConflictError(
            f"求助 #{request.id} 已救出 {request.people_helped} 人，人数不能少于已救出的人数",
            f"help request #{request.id} already has {request.people_helped} helped: "
            f"the count cannot be {total}",
        )
    changed = {
        name: {"from": getattr(request, name), "to": wanted[name]}
        for name in EDITABLE
        if name in wanted and getattr(request, name) != wanted[name]
    }
    if not changed:
        return {}
    for name, change in changed.items():
        setattr(request, name, change["to"])
    if "urgency" in changed:
        request.urgency_reasons = [*request.urgency_reasons, f"manual:{actor.display_name}"]
    request.completeness, request.missing = completeness(request)
    if changed.keys() & {"phones", "address", "adcode"}:
        intake.rekey(session, request)  # a later post with the corrected phone joins it
    audit_service.record(
        session, entity_type="help_request", entity_id=request.id, action="edit", actor=actor,
        reason=data.reason, from_state=request.state, to_state=request.state, data=changed,
        at=clock.now(session, request.incident_id),
    )  # fmt: skip
    flush_or_conflict(session, request)
    return changed


def _carry_verification(
    session: Session, survivor: HelpRequest, other: HelpRequest, actor: Principal
) -> None:
    """Let the survivor keep the newer verification of the two (its records moved with
    it); a new survivor of a verified request becomes verified."""
    if other.verified_at is not None and (
        survivor.verified_at is None or other.verified_at > survivor.verified_at
    ):
        survivor.verification, survivor.verified_at = other.verification, other.verified_at
        survivor.reverify_due_at = other.reverify_due_at
    firsts = [t for t in (survivor.first_verified_at, other.first_verified_at) if t]
    survivor.first_verified_at = min(firsts) if firsts else None
    if survivor.state == "new" and other.state == "verified":
        transition(session, request=survivor, to="verified", actor=actor,
                   reason=f"并入已核实的求助 #{other.id}")  # fmt: skip


def merge_requests(
    session: Session,
    *,
    survivor: HelpRequest,
    other: HelpRequest,
    actor: Principal,
    reason: str,
    people_total: int | None = None,
) -> HelpRequest:
    """Merge ``other`` into ``survivor`` (人工合并, dispatcher); return the survivor.

    See the module doc for what moves. Refused (409, in Chinese and English): the same
    request twice, two incidents, a request already closed or merged, and an ``other``
    a team holds (dispatched, on scene) — merge the other way round, or release it first.
    """
    actor.require(*MERGERS)
    if not reason.strip():
        raise InvalidInputError("合并求助需要填写理由", "merging requests needs a reason")
    if survivor.id == other.id:
        raise ConflictError("不能把求助合并到它自己", "a request cannot be merged into itself")
    if survivor.incident_id != other.incident_id:
        raise ConflictError(
            f"求助 #{other.id} 与 #{survivor.id} 属于不同的灾情，不能合并",
            f"help requests #{other.id} and #{survivor.id} belong to different incidents",
        )
    _open(survivor, "合并", "merge into it")
    _open(other, "合并", "merge it")
    if other.team_id is not None:
        raise ConflictError(
            f"求助 #{other.id} 已派给队伍，不能合并掉：请把 #{survivor.id} 合并到 #{other.id}，"
            "或先撤回队伍",
            f"help request #{other.id} is held by a team and cannot be merged away: merge "
            f"#{survivor.id} into #{other.id} instead, or release the team first",
        )
    helped = survivor.people_helped + other.people_helped
    total = people_total or max(survivor.people_total or 0, other.people_total or 0) or None
    if total is not None and total < helped:
        raise ConflictError(
            f"两件求助已救出 {helped} 人，合并后的人数不能少于已救出的人数",
            f"{helped} people were already helped: the merged count cannot be {total}",
        )
    before = {"people_total": survivor.people_total, "phones": list(survivor.phones)}
    facts = {name: getattr(other, name) for name in
             ("name", "age", "address", "adcode", "lon", "lat", "hazard", "phones",
              "vulnerabilities", "needs", "urgency", "urgency_reasons", "completeness",
              "missing")}  # fmt: skip
    facts["reported_at"] = other.reported_at
    facts["untimed"] = not other.reported_at_known
    intake.absorb(survivor, facts, other.reported_at)
    survivor.people_total = total
    survivor.people_helped = helped
    if other.reported_rescued_at and not survivor.reported_rescued_at:
        survivor.reported_rescued_at = other.reported_rescued_at
    moved = [s.id for s in other.sources]
    for source in list(other.sources):
        other.sources.remove(source)
        survivor.sources.append(source)
    for items in ("verifications", "assignments", "fulfilments"):
        for item in list(getattr(other, items)):
            getattr(other, items).remove(item)
            getattr(survivor, items).append(item)
            item.request_id = survivor.id
    survivor.completeness, survivor.missing = completeness(survivor)
    _carry_verification(session, survivor, other, actor)
    was = other.state
    other.state, other.merged_into_id = MERGED, survivor.id
    other.people_helped = 0
    now = clock.now(session, survivor.incident_id)
    audit_service.record(
        session, entity_type="help_request", entity_id=survivor.id, action="merge_manual",
        actor=actor, reason=reason.strip(), from_state=survivor.state, to_state=survivor.state,
        at=now, data={"merged": other.id, "sources": moved, "before": before,
                      "people_total": total},
    )  # fmt: skip
    audit_service.record(
        session, entity_type="help_request", entity_id=other.id, action="merged_into",
        actor=actor, reason=reason.strip(), from_state=was, to_state=MERGED, at=now,
        data={"survivor": survivor.id, "sources": moved},
    )  # fmt: skip
    flush_or_conflict(session, other)
    flush_or_conflict(session, survivor)
    return survivor
