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
* records a row's reply as :func:`actions.record_reply` would: once per event key, state
  ``replied`` where the workflow allows it (from 已接收 too), else refused with its reason
  (the row is quarantined, and a copy it brought is not kept); the reply text, the first
  response at the reply time, the version up by one, a ``reply`` audit entry;
* writes the new requests (``INSERT … RETURNING``), the replies to requests already in
  the database (``UPDATE … WHERE version =`` the version read), the sources and the audit
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
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zhengwu.accounts import phones as published_phones
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.db.base import Base, utcnow
from zhengwu.errors import ZhengwuError
from zhengwu.servicedesk import dedup, service, snapshot
from zhengwu.servicedesk.actions import EVENT_KEY
from zhengwu.servicedesk.errors import IllegalTransitionError
from zhengwu.servicedesk.models import SOCIAL_SOURCES, RequestSource, ServiceRequest
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.workflow import OPEN_STATES, next_state

# The texts the per-row path writes (service._create, actions.record_reply).
IMPORTED_REPLY = "导入的答复 / reply imported from an export"
MAX_CANDIDATES = 20  # the open requests of one citizen compared, newest first (as receive)

Row = tuple[RequestIntake, tuple[str, datetime] | None]  # the intake, the reply and its time


def reply_key(source_ref: str) -> str:
    """Return the event key of a row's reply (what makes a second import record it once)."""
    return f"{source_ref}#reply"


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
    social_post: bool = False  # a reply to it is also posted under its source post
    keys: set[str] = field(default_factory=set)  # event keys in its history
    keys_read: bool = True  # whether ``keys`` holds those of the database too
    values: dict[str, Any] | None = None  # the service_requests row of a new request
    update: dict[str, Any] | None = None  # what replies change on a request in the database
    norm: str | None = None  # the normalised text, once known
    gram_set: set[str] | None = None  # its 3-grams, once compared

    def grams(self) -> set[str]:
        """Return the text's 3-grams (computed once: a request is compared with many rows)."""
        if self.gram_set is None:
            self.gram_set = dedup.grams(
                self.norm if self.norm is not None else dedup.normalise(self.text)
            )
        return self.gram_set


Outcome = tuple[str, bool, str | None]  # created|merged|existing|quarantined, replied, reason


@dataclass(slots=True)
class Batch:
    """What :func:`take_in` did: one outcome per row decided, in order.

    An outcome is (``created``/``merged``/``existing``, whether its reply was recorded,
    None) or (``quarantined``, False, the reason the per-row path would give). ``stopped``:
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


def take_in(
    session: Session, rows: Sequence[Row], *, actor: Principal, as_of: datetime | None = None,
    config: snapshot.DeskSnapshot | None = None,
) -> Batch:  # fmt: skip
    """Take in ``rows`` (in file order) as the per-row intake would; write them in one go.

    ``as_of``: the simulated clock of :func:`csvimport.import_csv` (each row taken in at its
    own time, or at ``as_of`` without one). Raises :class:`BatchFailed` (nothing written)
    when the database refuses the writes. ``config``: the desk snapshot the caller holds
    for the whole import (default: read it here).
    """
    plan = decide(session, rows, actor=actor, as_of=as_of, config=config)
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
    config: snapshot.DeskSnapshot | None = None,
) -> _Plan:  # fmt: skip
    """Decide each row in order (reading once for the batch); return the writes to make."""
    plan = _Plan()
    known = _known_sources(session, [i.source_ref for i, _ in rows if i.source_ref])
    keyed = [(i, _citizen(i)) for i, _ in rows if i.source_ref not in known]
    candidates, by_id = _open_requests(session, keyed, as_of)
    replied_known = {known[i.source_ref] for i, r in rows if r and i.source_ref in known}
    _load(session, replied_known - by_id.keys(), by_id)
    for request_id, keys in _event_keys(session, replied_known).items():
        by_id[request_id].keys |= keys
    for request_id in replied_known:
        by_id[request_id].keys_read = True
    config = snapshot.current(session) if config is None else config
    keep = published_phones.directory(session)
    nodes = {c.code: c for c in config.tree}
    by_ref: dict[str, _Target] = {}
    outcomes = plan.batch.outcomes
    for intake, reply in rows:
        if not _simple(intake):
            plan.batch.stopped = True
            break
        ref = intake.source_ref
        assert ref is not None
        now = _clock(intake, as_of)
        seen = by_ref.get(ref) or (by_id.get(known[ref]) if ref in known else None)
        if seen is None and ref in known:  # known, and no reply with it
            outcomes.append(("existing", False, None))
            continue
        if seen is not None:
            check = _check_reply(session, seen, ref, reply)
            if check is _STOP:
                plan.batch.stopped = True
                break
            if isinstance(check, str):
                outcomes.append(("quarantined", False, check))
                continue
            replied = check is True and reply is not None
            if replied:
                assert reply is not None
                _reply(plan, seen, ref, reply, actor)
            outcomes.append(("existing", replied, None))
            continue
        key = _citizen(intake)
        received = intake.submitted_at or now
        norm = dedup.normalise(intake.text)
        fingerprint = dedup.digest(norm)
        target = _merge_target(candidates.get(key, []) if key else [], norm, fingerprint,
                               received)  # fmt: skip
        if target is not None:
            check = _check_reply(session, target, ref, reply)
            if check is _STOP:
                plan.batch.stopped = True
                break
            if isinstance(check, str):  # the per-row path rolls the merge back with it
                outcomes.append(("quarantined", False, check))
                continue
            plan.sources.append((target, _source(intake, ref, "copy", key, fingerprint,
                                                  received, now)))  # fmt: skip
            plan.audits.append((target, _audit(
                actor, "merge", target.state, target.state, max(now, target.received_at),
                data={"source_ref": ref, "kind": "copy"},
            )))  # fmt: skip
            by_ref[ref] = target
            replied = check is True and reply is not None
            if replied:
                assert reply is not None
                _reply(plan, target, ref, reply, actor)
            outcomes.append(("merged", replied, None))
            continue
        if reply is not None and intake.source in SOCIAL_SOURCES:
            plan.batch.stopped = True  # the reply goes out under the post: per row
            break
        try:  # _new_request plans nothing before it has built the whole request
            target = _new_request(
                session, plan, intake, ref=ref, key=key, norm=norm, fingerprint=fingerprint,
                received=received, now=now, actor=actor, config=config, nodes=nodes, keep=keep,
            )  # fmt: skip
        except ZhengwuError:  # e.g. a category removed meanwhile: the per-row path refuses it
            plan.batch.stopped = True
            break
        by_ref[ref] = target
        if key is not None:
            candidates.setdefault(key, []).append(target)
        if reply is not None:
            _reply(plan, target, ref, reply, actor)
        outcomes.append(("created", reply is not None, None))
    return plan


_STOP = object()


def _check_reply(
    session: Session, target: _Target, ref: str, reply: tuple[str, datetime] | None
) -> bool | str | object:
    """Return whether a row's reply is to be recorded on ``target`` (as record_reply decides):
    True, False (none, or recorded before), the reason it is refused, or _STOP (per row)."""
    if reply is None:
        return False
    if not target.keys_read:  # a request the row joins: its history, read when first needed
        assert target.id is not None
        target.keys |= _event_keys(session, {target.id}).get(target.id, set())
        target.keys_read = True
    if reply_key(ref) in target.keys:
        return False
    if _after_reply(target.state) is None:
        error = IllegalTransitionError(target.state, "reply")
        return error.message_zh + " / " + error.message_en
    if target.social_post:
        return _STOP  # the reply is also queued under the source post: per row
    return True


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
    target.state, target.version = after, target.version + 1
    if target.first_response_at is None:
        target.first_response_at = at
    target.keys.add(reply_key(ref))
    # updated_at: the real clock, as the per-row path's flush sets it, even on an as-of clock.
    changes = {"state": after, "version": target.version, "reply_text": text,
               "first_response_at": target.first_response_at, "updated_at": utcnow()}  # fmt: skip
    if target.values is not None:
        target.values.update(changes)
    else:
        if target.update is None:
            plan.updated.append(target)
            target.update = {"old_version": target.version - 1}
        target.update.update(changes)
    plan.audits.append((target, _audit(
        actor, "reply", before, after, at, reason=IMPORTED_REPLY,
        data={EVENT_KEY: reply_key(ref)},
    )))  # fmt: skip


def write(session: Session, plan: _Plan) -> None:
    """Write the plan inside one savepoint; BatchFailed (rolled back) if it is refused."""
    try:
        with session.begin_nested():
            if plan.created:
                # Matched by public id (unique): asking for the ids in parameter order makes
                # SQLite send one INSERT per row.
                table = _table(ServiceRequest)
                ids: dict[str, int] = dict(session.execute(
                    insert(table).returning(table.c.public_id, table.c.id),
                    [t.values for t in plan.created if t.values is not None],
                ).all())  # fmt: skip
                for target in plan.created:
                    assert target.values is not None
                    target.id = ids[target.values["public_id"]]
            _update(session, plan.updated)
            if plan.sources:
                session.execute(insert(_table(RequestSource)),
                                [{**row, "request_id": t.id} for t, row in plan.sources])  # fmt: skip
            if plan.audits:
                session.execute(insert(_table(AuditEntry)),
                                [{**row, "entity_id": t.id} for t, row in plan.audits])  # fmt: skip
    except (DBAPIError, StaleDataError) as exc:
        raise BatchFailed(str(exc)) from exc
    if plan.updated:  # what the session holds of these requests is out of date now
        changed = {t.id for t in plan.updated}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, ServiceRequest) and obj.id in changed:
                session.expire(obj)


_REPLY_COLUMNS = ("state", "version", "reply_text", "first_response_at", "updated_at")


def _update(session: Session, targets: list[_Target]) -> None:
    """Write the replies to requests in the database, refusing any changed meanwhile."""
    if not targets:
        return
    table = _table(ServiceRequest)
    c = table.c
    statement = (
        update(table)
        .where(c.id == bindparam("target_id"), c.version == bindparam("old_version"))
        .values({name: bindparam(f"new_{name}") for name in _REPLY_COLUMNS})
    )
    for target in targets:
        assert target.update is not None
        params = {f"new_{name}": target.update[name] for name in _REPLY_COLUMNS}
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


def _known_sources(session: Session, refs: list[str]) -> dict[str, int]:
    """Return {source_ref: request id} of the refs already taken in."""
    if not refs:
        return {}
    query = select(RequestSource.source_ref, RequestSource.request_id).where(
        RequestSource.source_ref.in_(set(refs))
    )
    return dict(session.execute(query).all())


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
)  # fmt: skip


def _target(row: Any) -> _Target:
    rid, state, received, fingerprint, text, version, first, platform, post = row
    return _Target(rid, state, received, fingerprint, text, version=version,
                   first_response_at=first, keys_read=False,
                   social_post=platform in SOCIAL_SOURCES and bool(post))  # fmt: skip


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
        .where(r.citizen_key.in_(keys), r.state.in_(OPEN_STATES),
               r.received_at >= earliest - timedelta(days=dedup.COPY_WINDOW_DAYS))
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
    window = [c for c in candidates if c.received_at >= since]
    window.sort(key=lambda c: c.received_at, reverse=True)
    grams: set[str] | None = None
    for candidate in window[:MAX_CANDIDATES]:
        if candidate.fingerprint == fingerprint:
            return candidate
        grams = dedup.grams(norm) if grams is None else grams
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
    actor: Principal, action: str, from_state: str | None, to_state: str, at: datetime, *,
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
    keep: frozenset[str],
) -> _Target:  # fmt: skip
    """Build a new request as the per-row intake does (:func:`service.build_new_request`)."""
    built = service.build_new_request(
        session, intake, ref=ref, key=key, fingerprint=fingerprint, received=received, now=now,
        config=config, account=None, keep=keep,
        citizen_token=secrets.token_urlsafe(18),  # never shown: an import
        nodes=nodes,
    )  # fmt: skip
    values = built.values
    target = _Target(None, "received", received, fingerprint, intake.text, values=values,
                     norm=norm, social_post=bool(values["platform"] and values["source_post_id"]))  # fmt: skip
    plan.created.append(target)
    plan.sources.append((target, _source(intake, ref, "original", key, fingerprint, received,
                                         now)))  # fmt: skip
    plan.audits.append((target, _audit(actor, "receive", None, "received", now,
                                       data=built.receive_data)))  # fmt: skip
    plan.audits.append((target, _audit(actor, "route", "received", "received", now,
                                       reason=built.route_reason, data=built.route_data)))  # fmt: skip
    return target
