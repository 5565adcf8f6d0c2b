"""Batched intake of hotline CSV rows (``zhengwu desk import-csv``): same outcome, few statements.

Taking rows in one by one (:func:`service.receive` and :func:`actions.record_reply` under a
savepoint each) costs about ten queries, three flushes and a savepoint per row: 70–150
rows/s. :func:`take_in` decides a batch of rows in memory, from what it reads once per
batch, and writes the batch in a few statements:

* reads: which of the batch's sources are known (one ``IN`` query), the open requests of
  its citizens inside the merge window (one query), the known requests a row brings a
  reply to and their event keys, the desk snapshot and the published numbers (the event
  keys of a request a row joins with a reply are read when that happens);
* decides each row in file order as :func:`service.receive` would, the earlier rows of
  the batch counting as the database would count them after they were written: a known
  source is ``existing``; a citizen's open request with the same fingerprint or a
  near-copy text (received at most :data:`dedup.COPY_WINDOW_DAYS` before, newest first,
  20 at most) takes the row in as a ``copy`` (``merged``); else a new request —
  classified, located, routed, with working-day deadlines and a masked text, as
  ``service._create`` builds it (the tests compare both paths column by column);
* refuses a row whose ticket number is known but whose text, time or caller differs
  (:func:`conflict`: another channel's ticket), as the per-row path does before it;
* records a row's reply as :func:`actions.record_reply` would: once per event key, state
  ``replied`` where the workflow allows it (from 已接收 too), else refused with its reason
  (the row is quarantined, and a copy it brought is not kept); the reply text, the first
  response at the reply time, the version up by one, a ``reply`` audit entry; then its
  办结 and 回访 as :func:`actions.record_resolution` would (a closed request is no longer
  a merge candidate for the rows after it);
* writes the new requests (``INSERT … RETURNING``), the replies and closings of requests
  already in the database (``UPDATE … WHERE version =`` the version read), the sources and the audit
  entries — each table in the order the per-row path writes them — in one savepoint.

A row the batch does not decide ends it (:attr:`Batch.stopped`): a reply to a request
whose source is a social post (the reply is also queued under the post), an intake field
the CSV does not fill (repost root, coordinates, addressed account), or a row whose
request cannot be built (a category removed meanwhile: the per-row path quarantines it).
The caller takes that row in through the per-row path and starts the next batch after it.
When the batch's writes are refused (a source another import took in meanwhile, a public
id drawn twice, a request changed meanwhile), the savepoint is rolled back and
:class:`BatchFailed` raised: the caller then takes those rows in one by one, so that only
the row at fault is quarantined, as before.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zhengwu.accounts import phones as published_phones
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.config import get_settings
from zhengwu.db.base import Base, utcnow
from zhengwu.db.planner import unindexed
from zhengwu.errors import ZhengwuError
from zhengwu.servicedesk import (
    access,
    csvprep,
    deadlines,
    dedup,
    office_merges,
    service,
    snapshot,
)
from zhengwu.servicedesk.actions import (
    EVENT_KEY,
    IMPORTED_FOLLOW_UP,
    IMPORTED_RESOLUTION,
    already_replied,
    imported_resolution_target,
)
from zhengwu.servicedesk.classifying import Classification, classify_texts
from zhengwu.servicedesk.errors import IllegalTransitionError
from zhengwu.servicedesk.models import (
    SOCIAL_SOURCES,
    RequestRating,
    RequestSource,
    ServiceRequest,
)
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.workflow import OPEN_STATES, next_state

# The texts the per-row path writes (service._create, actions.record_reply).
IMPORTED_REPLY = "导入的答复 / reply imported from an export"
MAX_CANDIDATES = 20  # the open requests of one citizen compared, newest first (as receive)


@dataclass(frozen=True, slots=True)
class Closing:
    """A ticket the hotline closed: 办结 at ``at``, and the 回访 rating (1–5) if any."""

    at: datetime
    satisfaction: int | None = None
    followed_up_at: datetime | None = None


Reply = tuple[str, datetime]  # the body's reply and its time
Row = tuple[RequestIntake, Reply | None, Closing | None]
# The rows' text work done ahead (csvprep): the context it was done in, a value per row.
Prepared = tuple[csvprep.Context, Sequence[csvprep.Prepared | None]]


def reply_key(source_ref: str) -> str:
    """Return the event key of a row's reply (what makes a second import record it once)."""
    return f"{source_ref}#reply"


def resolve_key(source_ref: str) -> str:
    """Return the event key of a row's 办结 (recorded once, like its reply)."""
    return f"{source_ref}#resolve"


def follow_up_key(source_ref: str) -> str:
    """Return the event key of a row's 回访 rating."""
    return f"{source_ref}#follow_up"


StoredSource = tuple[str, datetime, str | None]  # fingerprint, received time, citizen key


def stored_source(session: Session, ref: str) -> StoredSource | None:
    """Return what a known source brought (for :func:`conflict`), None if it is new."""
    row = session.execute(
        select(RequestSource.fingerprint, RequestSource.received_at, RequestSource.citizen_key)
        .where(RequestSource.source_ref == ref)
    ).first()  # fmt: skip
    return None if row is None else (row[0], row[1], row[2])


# Where an import was started: each names its own way of choosing the source.
Via = Literal["cli", "console", "api"]
# The advice of a conflict, as each place offers the choice: (中文, English).
SOURCE_CHOICE: dict[Via, tuple[str, str]] = {
    "cli": ("请用 --source 指定其来源再导入（如 --source csv）",
            "import the file with --source (e.g. --source csv)"),
    "console": ("请在「来源」下拉框中选择其来源再导入（如 csv）",
                "choose its source in the 来源 (Source) drop-down and import again (e.g. csv)"),
    "api": ("请在 source 字段中指定其来源再导入（如 source=csv）",
            "send the file again with the source field (e.g. source=csv)"),
}  # fmt: skip


def conflict(
    stored: StoredSource, intake: RequestIntake, fingerprint: str, *, via: Via = "cli"
) -> str | None:
    """Return why a row is not the ticket already on file under its number (None if it is).

    The same ticket exported again (a re-import, a later export with its reply) has the
    same text, time and caller; another channel's ticket that happens to have the same
    number does not, and must not be taken for it. The advice names the choice of source
    where the import was started (``via``): the CLI's option, the console's drop-down, the
    API's field.
    """
    differs: list[tuple[str, str]] = []
    if stored[0] != fingerprint:
        differs.append(("诉求内容", "text"))
    if intake.submitted_at is not None and not same_second(stored[1], intake.submitted_at):
        differs.append(("受理时间", "time"))
    if stored[2] != _citizen(intake):
        differs.append(("联系电话或邮箱", "phone or e-mail"))
    if not differs:
        return None
    zh, en = "、".join(d[0] for d in differs), ", ".join(d[1] for d in differs)
    ref = intake.source_ref
    advice_zh, advice_en = SOURCE_CHOICE[via]
    return (
        f"编号已存在但内容不同（{zh}）：{ref} 已是另一条诉求——若这是另一渠道的工单，"
        f"{advice_zh} / ticket number already on file with a different {en}: {ref} is "
        f"another request — if this is another channel's ticket, {advice_en}"
    )


def same_second(stored: datetime, given: datetime) -> bool:
    """Return whether a row's time is the stored one to the second: an export writes whole
    seconds (受理时间 2025-07-01 09:30:05), while a request taken in live (form, API,
    Open311, a call registered on the desk) was stamped to the microsecond."""
    return stored.replace(microsecond=0) == given.replace(microsecond=0)


class BatchFailed(Exception):
    """The batch's writes were refused and rolled back: take its rows in one by one."""


@dataclass(slots=True, eq=False)
class _Target:
    """A request a row may join or reply to: in the database, or new earlier in the batch."""

    id: int | None
    state: str
    received_at: datetime
    fingerprint: str
    text: str
    version: int = 1
    first_response_at: datetime | None = None
    resolve_due: datetime | None = None
    reply_text: str | None = None
    social_post: bool = False  # a reply to it is also posted under its source post
    keys: set[str] = field(default_factory=set)  # event keys in its history
    keys_read: bool = True  # whether ``keys`` holds those of the database too
    values: dict[str, Any] | None = None  # the service_requests row of a new request
    update: dict[str, Any] | None = None  # what replies change on a request in the database
    norm: str | None = None  # the normalised text, once known
    gram_set: dedup.Grams | None = None  # its 3-grams, once compared
    kept: bool = False  # a new request kept in the importing office's queue
    public_id: str = ""
    matrix_id: int | None = None
    organization_id: int | None = None
    outside: bool | None = None  # outside the importing office's scope, once asked

    def outside_of(self, office: access.OfficeQueue | None) -> bool:
        """Return whether the importing office does not read this request (a request new
        in the batch is the office's own intake: always inside)."""
        if office is None or self.id is None or self.values is not None:
            return False
        if self.outside is None:
            self.outside = not office.reads(self.id, self.matrix_id, self.organization_id)
        return self.outside

    def grams(self) -> dedup.Grams:
        """Return the text's 3-grams (computed once: a request is compared with many rows)."""
        if self.gram_set is None:
            self.gram_set = dedup.gram_codes(
                self.norm if self.norm is not None else dedup.normalise(self.text)
            )
        return self.gram_set


class Outcome(NamedTuple):
    """What became of one row: created, merged, existing or quarantined (with the reason),
    whether its reply and its 办结 were recorded, whether a new request was already
    past its resolve deadline when taken in, whether it was kept in the importing
    office's queue (:class:`access.OfficeQueue`), the request outside that office's scope it
    was merged into (:mod:`office_merges`), and whether its reply or 办结 was left
    unrecorded because its request is outside that scope."""

    status: str
    replied: bool = False
    closed: bool = False
    overdue: bool = False
    reason: str | None = None
    kept: bool = False
    joined_outside: str | None = None  # merged into this request outside the office's scope
    left: bool = False  # its reply or 办结 not recorded: the request is outside that scope


@dataclass(slots=True)
class _Events:
    """What a row records on a request (as the per-row path would)."""

    reply: bool = False
    resolve: bool = False
    follow_up: bool = False


@dataclass(slots=True)
class Batch:
    """What :func:`take_in` did: one outcome per row decided, in order.

    An outcome (:class:`Outcome`) says what became of the row, with the reason the
    per-row path would give when it is ``quarantined``. ``stopped``:
    the row after the decided ones (``rows[len(outcomes)]``) was left for the per-row
    path; the rows after it were not looked at.
    """

    outcomes: list[Outcome] = field(default_factory=list)
    stopped: bool = False


@dataclass(slots=True)
class _Plan:
    """The decided rows' writes, in the order the per-row path would make them."""

    batch: Batch = field(default_factory=Batch)
    created: list[_Target] = field(default_factory=list)
    updated: list[_Target] = field(default_factory=list)
    sources: list[tuple[_Target, dict[str, Any]]] = field(default_factory=list)
    audits: list[tuple[_Target, dict[str, Any]]] = field(default_factory=list)
    ratings: list[tuple[_Target, dict[str, Any]]] = field(default_factory=list)


def take_in(
    session: Session, rows: Sequence[Row], *, actor: Principal, as_of: datetime | None = None,
    config: snapshot.DeskSnapshot | None = None, prepared: Prepared | None = None,
    office: access.OfficeQueue | None = None, via: Via = "cli",
) -> Batch:  # fmt: skip
    """Take in ``rows`` (in file order) as the per-row intake would; write them in one go.

    ``as_of``: the simulated clock of :func:`csvimport.import_csv` (each row taken in at its
    own time, or at ``as_of`` without one). Raises :class:`BatchFailed` (nothing written)
    when the database refuses the writes. ``config``: the desk snapshot the caller holds
    for the whole import (default: read it here). ``prepared``: the rows' text work done
    ahead (:mod:`csvprep`), one value per row. ``office``: the importing matrix office's
    queue (:func:`service.build_new_request`). ``via``: where the import was started
    (:func:`conflict`'s advice).
    """
    plan = decide(session, rows, actor=actor, as_of=as_of, config=config, prepared=prepared,
                  office=office, via=via)  # fmt: skip
    write(session, plan)
    return plan.batch


def _simple(intake: RequestIntake) -> bool:
    """Return whether the batch can decide this intake (the fields a CSV row fills)."""
    return (
        intake.source_ref is not None and intake.root_ref is None and intake.account_uid is None
        and intake.lat is None and intake.lon is None and intake.citizen_uid is None
    )  # fmt: skip


def _clock(intake: RequestIntake, as_of: datetime | None) -> datetime:
    """Return the desk's clock at a row's intake (the ``now`` of service.receive)."""
    return utcnow() if as_of is None else intake.submitted_at or as_of


def decide(
    session: Session, rows: Sequence[Row], *, actor: Principal, as_of: datetime | None = None,
    config: snapshot.DeskSnapshot | None = None, prepared: Prepared | None = None,
    office: access.OfficeQueue | None = None, via: Via = "cli",
) -> _Plan:  # fmt: skip
    """Decide each row in order (reading once for the batch); return the writes to make.

    ``prepared``: the rows' text work done ahead (:mod:`csvprep`): the normalised texts
    and fingerprints are used as they are; the masked texts and places only when they were
    made with this batch's published numbers and home region.
    """
    plan = _Plan()
    stored = _known_sources(session, [i.source_ref for i, _, _ in rows if i.source_ref])
    known = {ref: values[3] for ref, values in stored.items()}
    sources: dict[str, StoredSource] = {ref: v[:3] for ref, v in stored.items()}
    keyed = [(i, _citizen(i)) for i, _, _ in rows if i.source_ref not in known]
    candidates, by_id = _open_requests(session, keyed, as_of)
    answered = {known[i.source_ref] for i, r, c in rows if (r or c) and i.source_ref in known}
    _load(session, answered - by_id.keys(), by_id)
    for request_id, keys in _event_keys(session, answered).items():
        by_id[request_id].keys |= keys
    for request_id in answered:
        by_id[request_id].keys_read = True
    config = snapshot.current(session) if config is None else config
    keep = published_phones.directory(session)
    nodes = {c.code: c for c in config.tree}
    ready: Sequence[csvprep.Prepared | None] = [None] * len(rows)
    texts_ready = False
    if prepared is not None:
        ready = prepared[1]
        assert len(ready) == len(rows)
        texts_ready = prepared[0] == csvprep.Context(keep, get_settings().desk_home_adcode)
    # The texts without a category that may make new requests, classified at once (the
    # model, when trained, predicts them in one call); a row merged after all wastes little.
    unclassified = [i for i, _, _ in rows if not i.category_code and i.source_ref not in known]
    classified = dict(
        zip(map(id, unclassified),
            classify_texts([i.text for i in unclassified], config.tree), strict=True)
    )  # fmt: skip
    by_ref: dict[str, _Target] = {}
    outcomes = plan.batch.outcomes
    for n, (intake, reply, closing) in enumerate(rows):
        done = ready[n]
        if not _simple(intake):
            plan.batch.stopped = True
            break
        ref = intake.source_ref
        assert ref is not None
        now = _clock(intake, as_of)
        if done is not None:
            norm, fingerprint = done.norm, done.fingerprint
        else:
            norm = dedup.normalise(intake.text)
            fingerprint = dedup.digest(norm)
        if ref in sources:  # the ticket number is known: only the same ticket is "existing"
            reason = conflict(sources[ref], intake, fingerprint, via=via)
            if reason is not None:
                outcomes.append(Outcome("quarantined", reason=reason))
                continue
        seen = by_ref.get(ref) or (by_id.get(known[ref]) if ref in known else None)
        if seen is None and ref in known:  # known, and nothing to record on it
            outcomes.append(Outcome("existing"))
            continue
        if seen is not None and seen.outside_of(office):  # another body's: not replied to here
            outcomes.append(Outcome("existing", left=reply is not None or closing is not None))
            continue
        if seen is not None:
            check = _check_events(session, seen, ref, reply, closing)
            if check is _STOP:
                plan.batch.stopped = True
                break
            if isinstance(check, str):
                outcomes.append(Outcome("quarantined", reason=check))
                continue
            assert isinstance(check, _Events)
            _record(plan, seen, ref, reply, closing, check, actor)
            outcomes.append(Outcome("existing", check.reply, check.resolve))
            continue
        key = _citizen(intake)
        received = intake.submitted_at or now
        target = _merge_target(candidates.get(key, []) if key else [], norm, fingerprint,
                               received)  # fmt: skip
        if target is not None and office is not None and target.outside_of(office):
            _merge_outside(plan, target, intake, ref, key, fingerprint, received, now, actor,
                           office.matrix_id)  # fmt: skip
            sources[ref] = (fingerprint, received, key)
            by_ref[ref] = target
            outcomes.append(Outcome("merged", joined_outside=target.public_id,
                                    left=reply is not None or closing is not None))  # fmt: skip
            continue
        if target is not None:
            check = _check_events(session, target, ref, reply, closing)
            if check is _STOP:
                plan.batch.stopped = True
                break
            if isinstance(check, str):  # the per-row path rolls the merge back with it
                outcomes.append(Outcome("quarantined", reason=check))
                continue
            assert isinstance(check, _Events)
            plan.sources.append((target, _source(intake, ref, "copy", key, fingerprint,
                                                  received, now)))  # fmt: skip
            sources[ref] = (fingerprint, received, key)
            plan.audits.append((target, _audit(
                actor, "merge", target.state, target.state, max(now, target.received_at),
                data=office_merges.merge_data(ref, "copy", None),
            )))  # fmt: skip
            by_ref[ref] = target
            _record(plan, target, ref, reply, closing, check, actor)
            outcomes.append(Outcome("merged", check.reply, check.resolve))
            continue
        if reply is not None and intake.source in SOCIAL_SOURCES:
            plan.batch.stopped = True  # the reply goes out under the post: per row
            break
        try:  # _new_request plans nothing before it has built the whole request
            target = _new_request(
                session, plan, intake, ref=ref, key=key, norm=norm, fingerprint=fingerprint,
                received=received, now=now, actor=actor, config=config, nodes=nodes, keep=keep,
                classified=classified.get(id(intake)), done=done if texts_ready else None,
                office=office,
            )  # fmt: skip
        except ZhengwuError:  # e.g. a category removed meanwhile: the per-row path refuses it
            plan.batch.stopped = True
            break
        by_ref[ref] = target
        sources[ref] = (fingerprint, received, key)
        if key is not None:
            candidates.setdefault(key, []).append(target)
        events = _check_events(session, target, ref, reply, closing)
        assert isinstance(events, _Events)  # a new request takes its reply and its closing
        _record(plan, target, ref, reply, closing, events, actor)
        values = target.values
        assert values is not None
        overdue = values["state"] in OPEN_STATES and values["resolve_due"] < values["created_at"]
        outcomes.append(Outcome("created", events.reply, events.resolve, overdue,
                                kept=target.kept))  # fmt: skip
    return plan


_STOP = object()


def _merge_outside(
    plan: _Plan, target: _Target, intake: RequestIntake, ref: str, key: str | None,
    fingerprint: str, received: datetime, now: datetime, actor: Principal, office_matrix: int,
) -> None:  # fmt: skip
    """Merge a row into a request outside the importing office's scope, as
    service.receive does: the source, the request's merge entry naming the office, and the
    office matrix's entry (:mod:`office_merges`); nothing recorded on the request."""
    plan.sources.append((target, _source(intake, ref, "copy", key, fingerprint, received, now)))
    at = max(now, target.received_at)
    plan.audits.append((target, _audit(
        actor, "merge", target.state, target.state, at,
        data=office_merges.merge_data(ref, "copy", office_matrix),
    )))  # fmt: skip
    assert target.id is not None  # a request in the database (outside_of)
    entry = _audit(actor, office_merges.ACTION, None, None, at,
                   data=office_merges.office_entry_data((target.id, target.public_id), ref))  # fmt: skip
    plan.audits.append((target, {**entry, "entity_type": "matrix", "entity_id": office_matrix}))


def _check_events(
    session: Session, target: _Target, ref: str, reply: Reply | None, closing: Closing | None
) -> _Events | str | object:
    """Return what a row records on ``target`` — as actions.record_reply and
    record_resolution decide, in that order — or the reason the row is refused, or _STOP
    (a reply to a social post: the per-row path)."""
    events = _Events()
    if reply is None and closing is None:
        return events
    if not target.keys_read:  # a request the row joins: its history, read when first needed
        assert target.id is not None
        target.keys |= _event_keys(session, {target.id}).get(target.id, set())
        target.keys_read = True
    state = target.state
    if (
        reply is not None and reply_key(ref) not in target.keys
        and not already_replied(target.reply_text, reply[0])
    ):  # fmt: skip
        after = _after_reply(state)
        if after is None:
            return _refusal(state, "reply")
        if target.social_post:
            return _STOP  # the reply is also queued under the source post: per row
        events.reply, state = True, after
    if closing is not None:
        if resolve_key(ref) not in target.keys:
            after = imported_resolution_target(state)
            if after is None and state in OPEN_STATES:
                return _refusal(state, "resolve")
            if after is not None:
                events.resolve, state = True, after
        if closing.satisfaction is not None and follow_up_key(ref) not in target.keys:
            if state in OPEN_STATES:
                return _refusal(state, "follow_up")
            events.follow_up = state == "resolved"
    return events


def _refusal(state: str, action: str) -> str:
    error = IllegalTransitionError(state, action)
    return error.message_zh + " / " + error.message_en


def _record(
    plan: _Plan, target: _Target, ref: str, reply: Reply | None, closing: Closing | None,
    events: _Events, actor: Principal,
) -> None:  # fmt: skip
    """Record the events :func:`_check_events` allowed, in the per-row path's order."""
    if events.reply:
        assert reply is not None
        _reply(plan, target, ref, reply, actor)
    if events.resolve:
        assert closing is not None
        _resolve(plan, target, ref, closing, actor)
    if events.follow_up:
        assert closing is not None
        _follow_up(plan, target, ref, closing, actor)


def _after_reply(state: str) -> str | None:
    return "replied" if state == "received" else next_state(state, "reply")


def _reply(
    plan: _Plan, target: _Target, ref: str, reply: tuple[str, datetime], actor: Principal
) -> None:  # fmt: skip
    """Record a row's reply on ``target`` as actions.record_reply does (checked before)."""
    text, at = reply
    before = target.state
    after = _after_reply(before)
    assert after is not None
    if target.first_response_at is None:
        target.first_response_at = at
    target.reply_text = text
    _change(plan, target, after, reply_key(ref),
            {"reply_text": text, "first_response_at": target.first_response_at})  # fmt: skip
    plan.audits.append((target, _audit(
        actor, "reply", before, after, at, reason=IMPORTED_REPLY,
        data={EVENT_KEY: reply_key(ref)},
    )))  # fmt: skip


def _resolve(plan: _Plan, target: _Target, ref: str, closing: Closing, actor: Principal) -> None:
    """Record a row's 办结 on ``target`` as actions.record_resolution does (checked before)."""
    before = target.state
    after = imported_resolution_target(before)
    assert after is not None
    at = closing.at
    if target.first_response_at is None:
        target.first_response_at = at
    _change(plan, target, after, resolve_key(ref), {
        "resolved_at": at, "first_response_at": target.first_response_at,
        "extension_days": None, "extension_reason": None,
    })  # fmt: skip
    on_time = not deadlines.is_overdue(target.resolve_due, at)
    plan.audits.append((target, _audit(
        actor, "resolve", before, after, at, reason=IMPORTED_RESOLUTION,
        data={"on_time": on_time, EVENT_KEY: resolve_key(ref)},
    )))  # fmt: skip


def _follow_up(plan: _Plan, target: _Target, ref: str, closing: Closing, actor: Principal) -> None:
    """Record a row's 回访 rating on ``target`` (resolved) as record_resolution does."""
    when = closing.followed_up_at or closing.at
    _change(plan, target, "followed_up", follow_up_key(ref),
            {"satisfaction": closing.satisfaction, "followed_up_at": when})  # fmt: skip
    plan.ratings.append((target, {"satisfaction": closing.satisfaction, "rated_at": when,
                                  "created_at": utcnow()}))  # fmt: skip
    plan.audits.append((target, _audit(
        actor, "follow_up", "resolved", "followed_up", when, reason=IMPORTED_FOLLOW_UP,
        data={"satisfaction": closing.satisfaction, EVENT_KEY: follow_up_key(ref)},
    )))  # fmt: skip


def _change(
    plan: _Plan, target: _Target, state: str, key: str, columns: dict[str, Any]
) -> None:  # fmt: skip
    """Move ``target`` to ``state`` with ``columns`` changed: one versioned UPDATE per
    event in the per-row path, so the version goes up by one each time."""
    target.state, target.version = state, target.version + 1
    target.keys.add(key)
    # updated_at: the real clock, as the per-row path's flush sets it, even on an as-of clock.
    changes = {"state": state, "version": target.version, **columns, "updated_at": utcnow()}
    if target.values is not None:
        target.values.update(changes)
    else:
        if target.update is None:
            plan.updated.append(target)
            target.update = {"old_version": target.version - 1}
        target.update.update(changes)


def write(session: Session, plan: _Plan) -> None:
    """Write the plan inside one savepoint; BatchFailed (rolled back) if it is refused."""
    try:
        with session.begin_nested():
            _insert_requests(session, plan.created)
            _update(session, plan.updated)
            if plan.sources:
                session.execute(insert(_table(RequestSource)),
                                [{**row, "request_id": t.id} for t, row in plan.sources])  # fmt: skip
            if plan.audits:
                # A row naming its own entity (the office matrix's entry) keeps it.
                session.execute(insert(_table(AuditEntry)),
                                [{"entity_id": t.id, **row} for t, row in plan.audits])  # fmt: skip
            if plan.ratings:
                session.execute(insert(_table(RequestRating)),
                                [{**row, "request_id": t.id} for t, row in plan.ratings])  # fmt: skip
    except (DBAPIError, StaleDataError) as exc:
        raise BatchFailed(str(exc)) from exc
    if plan.updated:  # what the session holds of these requests is out of date now
        changed = {t.id for t in plan.updated}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, ServiceRequest) and obj.id in changed:
                session.expire(obj)


# The ids of n new requests, drawn from the table's sequence in the order they are taken in.
_PG_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('service_requests', 'id')) AS id"
    " FROM generate_series(1, :n) ORDER BY 1"
)


def _insert_requests(session: Session, created: list[_Target]) -> None:
    """Insert the new requests and give each target its id."""
    if not created:
        return
    table = _table(ServiceRequest)
    rows = [t.values for t in created if t.values is not None]
    if session.get_bind().dialect.name == "postgresql":
        # The ids drawn first, then one plain executemany (psycopg pipelines it): INSERT …
        # RETURNING of a batch is one statement as long as the batch, whose placeholders
        # psycopg rewrites in Python — 0.1 s for 500 rows, more than the rest of the batch.
        ids = list(session.execute(_PG_IDS, {"n": len(rows)}).scalars())
        session.execute(insert(table), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
        for target, i in zip(created, ids, strict=True):
            target.id = i
        return
    # Matched by public id (unique): asking for the ids in parameter order makes SQLite
    # send one INSERT per row.
    found: dict[str, int] = dict(
        session.execute(insert(table).returning(table.c.public_id, table.c.id), rows).all()
    )
    for target in created:
        assert target.values is not None
        target.id = found[target.values["public_id"]]


def _update(session: Session, targets: list[_Target]) -> None:
    """Write the replies and closings to requests in the database, refusing any changed
    meanwhile."""
    if not targets:
        return
    table = _table(ServiceRequest)
    c = table.c
    statements: dict[tuple[str, ...], Any] = {}  # by the columns changed (a few shapes)
    for target in targets:
        assert target.update is not None
        names = tuple(sorted(k for k in target.update if k != "old_version"))
        statement = statements.get(names)
        if statement is None:
            statement = statements[names] = (
                update(table)
                .where(c.id == bindparam("target_id"), c.version == bindparam("old_version"))
                .values({name: bindparam(f"new_{name}") for name in names})
            )  # fmt: skip
        params = {f"new_{name}": target.update[name] for name in names}
        params |= {"target_id": target.id, "old_version": target.update["old_version"]}
        result = session.execute(statement, params)
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleDataError(f"request {target.id} changed during the import")


def _table(model: type[Base]) -> Table:
    """Return a model's table (the Core INSERTs take the rows as they are built here)."""
    return model.metadata.tables[model.__tablename__]


def _citizen(intake: RequestIntake) -> str | None:
    return dedup.citizen_key(
        source=intake.source, citizen_uid=intake.citizen_uid, phone=intake.citizen_phone,
        email=intake.citizen_email,
    )  # fmt: skip


def _known_sources(
    session: Session, refs: list[str]
) -> dict[str, tuple[str, datetime, str | None, int]]:
    """Return {source_ref: (fingerprint, received time, citizen key, request id)} of the
    refs already taken in."""
    if not refs:
        return {}
    s = RequestSource
    query = select(s.source_ref, s.fingerprint, s.received_at, s.citizen_key, s.request_id).where(
        s.source_ref.in_(set(refs))
    )
    return {ref: (fp, at, key, rid) for ref, fp, at, key, rid in session.execute(query)}


def _event_keys(session: Session, ids: set[int]) -> dict[int, set[str]]:
    """Return the event keys in the history of each request (as actions.event_keys)."""
    keys: dict[int, set[str]] = {}
    if not ids:
        return keys
    query = select(AuditEntry.entity_id, AuditEntry.data).where(
        AuditEntry.entity_type == "request", AuditEntry.entity_id.in_(ids)
    )
    for entity_id, data in session.execute(query):
        value = (data or {}).get(EVENT_KEY)
        if isinstance(value, str):
            keys.setdefault(entity_id, set()).add(value)
    return keys


_COLUMNS = (
    ServiceRequest.id, ServiceRequest.state, ServiceRequest.received_at,
    ServiceRequest.fingerprint, ServiceRequest.text, ServiceRequest.version,
    ServiceRequest.first_response_at, ServiceRequest.platform, ServiceRequest.source_post_id,
    ServiceRequest.resolve_due, ServiceRequest.public_id, ServiceRequest.matrix_id,
    ServiceRequest.organization_id, ServiceRequest.reply_text,
)  # fmt: skip


def _target(row: Any) -> _Target:
    rid, state, received, fingerprint, text, version, first, platform, post, due = row[:10]
    public_id, matrix_id, organization_id, reply_text = row[10:]
    return _Target(rid, state, received, fingerprint, text, version=version,
                   first_response_at=first, resolve_due=due, reply_text=reply_text,
                   keys_read=False,
                   social_post=platform in SOCIAL_SOURCES and bool(post), public_id=public_id,
                   matrix_id=matrix_id, organization_id=organization_id)  # fmt: skip


def _open_requests(
    session: Session, keyed: list[tuple[RequestIntake, str | None]], as_of: datetime | None
) -> tuple[dict[str, list[_Target]], dict[int, _Target]]:
    """Return the open requests of the batch's citizens that a row could join (by citizen,
    and by id)."""
    keys = {key for _, key in keyed if key}
    if not keys:
        return {}, {}
    earliest = min((i.submitted_at or _clock(i, as_of)) for i, key in keyed if key)
    r = ServiceRequest
    query = (
        select(r.citizen_key, *_COLUMNS)
        # By the citizen index: SQLite, without statistics, would take the state and time
        # index and read every open request since ``earliest`` (zhengwu.db.planner).
        .where(r.citizen_key.in_(keys), unindexed(r.state).in_(OPEN_STATES),
               unindexed(r.received_at) >= earliest - timedelta(days=dedup.COPY_WINDOW_DAYS))
        .order_by(r.id)
    )  # fmt: skip
    found: dict[str, list[_Target]] = {}
    by_id: dict[int, _Target] = {}
    for key, *columns in session.execute(query):
        target = by_id[columns[0]] = _target(columns)
        found.setdefault(str(key), []).append(target)
    return found, by_id


def _load(session: Session, ids: set[int], by_id: dict[int, _Target]) -> None:
    """Add the requests ``ids`` (known sources that bring a reply) to ``by_id``."""
    if ids:
        query = select(*_COLUMNS).where(ServiceRequest.id.in_(ids))
        for row in session.execute(query):
            by_id[row[0]] = _target(row)


def _merge_target(
    candidates: list[_Target], norm: str, fingerprint: str, received: datetime
) -> _Target | None:
    """Return the open request a text (normalised) repeats, as service._merge_target does."""
    since = received - timedelta(days=dedup.COPY_WINDOW_DAYS)
    # Open ones only (as the per-row query asks): a row's 办结 may have closed one since.
    window = [c for c in candidates if c.received_at >= since and c.state in OPEN_STATES]
    window.sort(key=lambda c: c.received_at, reverse=True)
    grams: dedup.Grams | None = None
    for candidate in window[:MAX_CANDIDATES]:
        if candidate.fingerprint == fingerprint:
            return candidate
        grams = dedup.gram_codes(norm) if grams is None else grams
        if dedup.jaccard(candidate.grams(), grams) >= dedup.COPY_SIMILARITY:
            return candidate
    return None


def _source(
    intake: RequestIntake, ref: str, kind: str, key: str | None, fingerprint: str,
    received: datetime, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    return {
        "source": intake.source, "source_ref": ref, "kind": kind, "citizen_key": key,
        "text": intake.text, "fingerprint": fingerprint, "received_at": received,
        "created_at": now,
    }  # fmt: skip


def _audit(
    actor: Principal, action: str, from_state: str | None, to_state: str | None, at: datetime, *,
    data: dict[str, Any], reason: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {
        "entity_type": "request", "action": action, "from_state": from_state,
        "to_state": to_state, "actor_user_id": actor.user_id, "actor_name": actor.display_name,
        "reason": reason, "data": data, "at": at,
    }  # fmt: skip


def _new_request(
    session: Session, plan: _Plan, intake: RequestIntake, *, ref: str, key: str | None,
    norm: str, fingerprint: str, received: datetime, now: datetime, actor: Principal,
    config: snapshot.DeskSnapshot, nodes: dict[str, snapshot.CategoryNode],
    keep: frozenset[str], classified: Classification | None, done: csvprep.Prepared | None,
    office: access.OfficeQueue | None = None,
) -> _Target:  # fmt: skip
    """Build a new request as the per-row intake does (:func:`service.build_new_request`)."""
    built = service.build_new_request(
        session, intake, ref=ref, key=key, fingerprint=fingerprint, received=received, now=now,
        config=config, account=None, keep=keep,
        citizen_token=secrets.token_urlsafe(18),  # never shown: an import
        nodes=nodes, classified=classified,
        masked=None if done is None else done.masked,
        located=None if done is None else (done.adcode, done.located_by), office=office,
    )  # fmt: skip
    values = built.values
    target = _Target(None, "received", received, fingerprint, intake.text, values=values,
                     resolve_due=values["resolve_due"], norm=norm,
                     social_post=bool(values["platform"] and values["source_post_id"]),
                     kept=built.kept_in_office, public_id=values["public_id"],
                     matrix_id=values["matrix_id"], organization_id=values["organization_id"])  # fmt: skip
    plan.created.append(target)
    plan.sources.append((target, _source(intake, ref, "original", key, fingerprint, received,
                                         now)))  # fmt: skip
    plan.audits.append((target, _audit(actor, "receive", None, "received", now,
                                       data=built.receive_data)))  # fmt: skip
    plan.audits.append((target, _audit(actor, "route", "received", "received", now,
                                       reason=built.route_reason, data=built.route_data)))  # fmt: skip
    return target
