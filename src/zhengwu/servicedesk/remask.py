"""Keep stored masked texts in line with the published numbers (公开电话) as they change.

A request's public text (``text_masked``) is masked once, at intake, with the published
numbers of that moment (:func:`zhengwu.accounts.phones.directory`). When an office's
number is registered later, the requests taken in before still show it masked; when a
number is taken off the list (registered by mistake, a person's mobile), the requests
taken in meanwhile still show it readable. The library's search index has the same lag.

:func:`step` — the worker job ``published-numbers`` (:mod:`zhengwu.jobs`) — compares the
directory with the one it last took up (:class:`~zhengwu.servicedesk.models.MaskingState`)
and re-masks, from the original text and with the intake's name and phone, every request
whose text contains one of the numbers that changed, a batch per transaction; at the end
of a pass it masks again the public replies waiting in the outbox that mention them (a
withdrawn number must not go out with a queued reply; a newly registered one stays masked
there: a reply's body, masked when it was queued, is its only text) and indexes the
library items that mention them again. A re-masked request gets
a new ``updated_at``, so the next search refresh re-indexes it too. A directory that
changes again mid-pass restarts the pass with both changes.

Requests are found by the last four digits of a changed number (ASCII or full-width) in
their original text, so the pass reads only those; a number whose last four digits are
split by a separator ("6666-12 34") is not found. The public board and Open311 mask again
at display, so a withdrawn number is hidden there at once; the pass makes the stored text
and the search index follow.

**The masking rules' version.** Stored texts also keep the masks of the *rules* in force
when they were made. :data:`zhengwu.privacy.MASKING_RULES_VERSION` names the rules;
``MaskingState.rules_version`` the ones the stored texts follow. While they differ,
:func:`step` first masks every stored text again — every request from its original text
with the intake's name and phone and today's published numbers, a batch per transaction
(``rules_cursor`` keeps the place: an interrupted pass continues, it does not restart),
then every library item whose indexed document the rules change — and records the
version. First of all it masks again the public replies still waiting in the outbox
(queued, or failed and never sent: a gateway may publish a queued one at any time) with
the request's name and phone, as :func:`zhengwu.servicedesk.replies.queue` masked them:
the body is the only text of a reply (a later reply overwrites ``reply_text``), so it is
masked again as stored — what the new rules add is masked, what they leave readable that
the old rules masked stays masked. A delivered reply's body stays the record of what was
published (the platform holds that text); a reader who may not see personal data reads
it masked by today's rules all the same (:func:`zhengwu.servicedesk.presenters.detail`). As above, only a request whose masked text changed gets a new ``updated_at``, so
the search refresh re-indexes just those. ``zhengwu desk remask`` runs the same passes by
hand (:func:`run`), ``--all`` forcing the full pass, ``--dry-run`` only counting
(:func:`preview`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from zhengwu.accounts import phones as published_phones
from zhengwu.db.base import utcnow
from zhengwu.outbox.models import OutboxMessage
from zhengwu.privacy import MASKING_RULES_VERSION
from zhengwu.servicedesk import masking
from zhengwu.servicedesk.models import MaskingState, ServiceRequest

BATCH = 2000  # requests read per transaction
LIBRARY_BATCH = 500  # library items read per transaction (the rules pass)
OUTBOX_BATCH = 500  # waiting replies read per transaction (the rules pass)
TAIL = 4  # digits a request's text must contain to be read
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True, slots=True)
class RemaskReport:
    """What one step did: requests read and re-masked, library items re-indexed, waiting
    outbox replies re-masked."""

    checked: int = 0
    remasked: int = 0
    reindexed: int = 0
    more: bool = False
    rules: bool = False  # a step of the masking-rules pass (every stored text)
    outbox: int = 0

    def counts(self) -> dict[str, int]:
        """Return the counts by name (for the worker's report)."""
        return {"checked": self.checked, "remasked": self.remasked, "reindexed": self.reindexed,
                "outbox": self.outbox}  # fmt: skip


def tails(numbers: frozenset[str] | set[str] | list[str]) -> list[str]:
    """Return the fragments a text containing one of ``numbers`` (digit strings) contains."""
    found: set[str] = set()
    for digits in numbers:
        tail = digits[-TAIL:]
        found.update((tail, tail.translate(_FULL_WIDTH)))
    return sorted(found)


def _state(session: Session) -> MaskingState:
    # Locked (PostgreSQL): the worker and `zhengwu desk remask` never take the same batch.
    state = session.get(MaskingState, 1, with_for_update=True)
    if state is None:
        # No row yet: nothing recorded, so the stored texts' rules are unknown (0) and the
        # first step re-masks them all (a few statements on an empty database).
        state = MaskingState(id=1, numbers=[], pending=[], cursor=0, rules_version=0,
                             rules_kind=None, rules_cursor=0)  # fmt: skip
        session.add(state)
    return state


_COLUMNS = (ServiceRequest.id, ServiceRequest.text, ServiceRequest.text_masked,
            ServiceRequest.citizen_name, ServiceRequest.citizen_phone)  # fmt: skip
_Row = Row[int, str, str, str | None, str | None]


def _remask(session: Session, rows: Sequence[_Row], keep: Collection[str], *,
            write: bool = True) -> int:  # fmt: skip
    """Mask ``rows`` again as intake does; store the texts that changed; return how many."""
    changed: list[dict[str, Any]] = []
    officials = masking.officials(session, (row.text for row in rows))
    for row in rows:
        text = masking.mask(row.text, name=row.citizen_name, phone=row.citizen_phone, keep=keep,
                            officials=officials)  # fmt: skip
        if text != row.text_masked:
            changed.append({"rid": row.id, "masked": text})
    if changed and write:
        table = ServiceRequest.__table__
        assert isinstance(table, Table)
        # The table, not the mapped class: re-masking is no edit of the request, so its
        # version (a handler's optimistic lock) stays; updated_at moves, and the search
        # queue's trigger (text_masked changed) has the refresh index it again.
        session.execute(
            update(table).where(table.c.id == bindparam("rid"))
            .values(text_masked=bindparam("masked"), updated_at=utcnow()),
            changed,
        )  # fmt: skip
    return len(changed)


def _remask_outbox(
    session: Session, keep: Collection[str], *, after: int, limit: int, write: bool = True,
    fragments: Sequence[str] = (),
) -> tuple[int, int | None]:  # fmt: skip
    """Mask again up to ``limit`` replies with an id above ``after`` not yet delivered
    (with ``fragments``: only those whose body contains one); store the bodies that
    changed. Return (how many changed, the last id read when the batch was full — else
    None: no more)."""
    mentions = [or_(*(OutboxMessage.body.contains(f) for f in fragments))] if fragments else []
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.body, ServiceRequest.citizen_name,
               ServiceRequest.citizen_phone)
        .join(ServiceRequest, ServiceRequest.id == OutboxMessage.entity_id)
        .where(OutboxMessage.entity_type == "request", OutboxMessage.state != "delivered",
               OutboxMessage.id > after, *mentions)
        .order_by(OutboxMessage.id).limit(limit)
    ).all()  # fmt: skip
    officials = masking.officials(session, (row.body for row in rows))
    changed = [
        {"mid": row.id, "body": body}
        for row in rows
        if (body := masking.mask(row.body, name=row.citizen_name, phone=row.citizen_phone,
                                 keep=keep, officials=officials)) != row.body
    ]  # fmt: skip
    if changed and write:
        table = OutboxMessage.__table__
        assert isinstance(table, Table)
        session.execute(
            update(table).where(table.c.id == bindparam("mid")).values(body=bindparam("body")),
            changed,
        )
    return len(changed), rows[-1].id if len(rows) == limit else None


def _rules_step(session: Session, state: MaskingState, keep: frozenset[str],
                limit: int) -> RemaskReport:  # fmt: skip
    """One batch of the masking-rules pass: waiting outbox replies, requests by id, then
    library items."""
    outbox = 0
    if state.rules_kind in (None, "outbox"):
        state.rules_kind = "outbox"
        outbox, last = _remask_outbox(session, keep, after=state.rules_cursor,
                                      limit=min(limit, OUTBOX_BATCH))  # fmt: skip
        if last is not None:
            state.rules_cursor = last
            return RemaskReport(more=True, rules=True, outbox=outbox)
        state.rules_kind, state.rules_cursor = "requests", 0  # and on to the requests
    if state.rules_kind != "library":
        state.rules_kind = "requests"
        rows = session.execute(
            select(*_COLUMNS).where(ServiceRequest.id > state.rules_cursor)
            .order_by(ServiceRequest.id).limit(limit)
        ).all()  # fmt: skip
        remasked = _remask(session, rows, keep)
        if len(rows) == limit:
            state.rules_cursor = rows[-1].id
        else:
            state.rules_kind, state.rules_cursor = "library", 0
        return RemaskReport(len(rows), remasked, more=True, rules=True, outbox=outbox)
    from zhengwu.library import service as library

    _, reindexed, last = library.remask_index(
        session, after=state.rules_cursor, limit=min(limit, LIBRARY_BATCH)
    )
    if last is not None:
        state.rules_cursor = last
        return RemaskReport(reindexed=reindexed, more=True, rules=True)
    state.rules_version, state.rules_kind, state.rules_cursor = MASKING_RULES_VERSION, None, 0
    return RemaskReport(reindexed=reindexed, more=bool(state.pending), rules=True)


def step(session: Session, *, limit: int = BATCH) -> RemaskReport:
    """Take up changed rules or a changed directory and re-mask one batch of requests.

    A pass for new masking rules (every stored text) comes first; the published numbers'
    pass (only the requests that mention a changed number) after it — numbers changed
    during the rules pass are kept pending for it. The state is flushed; the caller
    commits (the worker commits each step and calls again while ``more``).
    """
    report = _step(session, limit)
    session.flush()
    return report


def _step(session: Session, limit: int) -> RemaskReport:
    current = sorted(published_phones.directory(session))
    state = _state(session)
    if current != list(state.numbers):
        changed = set(current) ^ set(state.numbers)
        state.pending = sorted(set(state.pending) | changed)
        state.numbers = current
        state.cursor = 0
    keep = frozenset(current)
    if state.rules_version != MASKING_RULES_VERSION:
        return _rules_step(session, state, keep, limit)
    if not state.pending:
        return RemaskReport()
    fragments = tails(state.pending)
    rows = session.execute(
        select(*_COLUMNS)
        .where(ServiceRequest.id > state.cursor,
               or_(*(ServiceRequest.text.contains(f) for f in fragments)))
        .order_by(ServiceRequest.id).limit(limit)
    ).all()  # fmt: skip
    remasked = _remask(session, rows, keep)
    if len(rows) == limit:
        state.cursor = rows[-1].id
        return RemaskReport(len(rows), remasked, more=True)
    # The replies waiting in the outbox that mention a changed number: a withdrawn one is
    # masked before a gateway publishes it (a newly registered one stays masked there: the
    # body is a reply's only text, masked when it was queued).
    outbox = 0
    last: int | None = 0
    while last is not None:
        replies, last = _remask_outbox(session, keep, after=last, limit=OUTBOX_BATCH,
                                       fragments=fragments)  # fmt: skip
        outbox += replies
    from zhengwu.library import service as library

    reindexed = library.reindex_mentioning(session, fragments)
    state.pending = []
    state.cursor = 0
    return RemaskReport(len(rows), remasked, reindexed, outbox=outbox)


@dataclass(frozen=True, slots=True)
class RunReport:
    """What ``zhengwu desk remask`` did (or, dry, would do)."""

    rules_version: int  # the code's
    stored_version: int  # what the stored texts followed before the run
    checked: int = 0
    remasked: int = 0
    library_reindexed: int = 0
    steps: int = 0
    dry_run: bool = False
    outbox_remasked: int = 0  # replies waiting in the outbox

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON values."""
        return {
            "rules_version": self.rules_version, "stored_version": self.stored_version,
            "checked": self.checked, "remasked": self.remasked,
            "library_reindexed": self.library_reindexed, "steps": self.steps,
            "dry_run": self.dry_run, "outbox_remasked": self.outbox_remasked,
        }  # fmt: skip


def stored_version(session: Session) -> int:
    """Return the rules' version the stored masked texts follow (0: unknown)."""
    state = session.get(MaskingState, 1)
    return state.rules_version if state is not None else 0


def force_full_pass(session: Session) -> None:
    """Have the next steps mask every stored text again, as if the rules had changed.

    The stored version is set to unknown (0) and the cursor to the start; a pass under
    way for new rules is not restarted. The caller commits.
    """
    state = _state(session)
    if state.rules_version == MASKING_RULES_VERSION:
        state.rules_version, state.rules_kind, state.rules_cursor = 0, None, 0


def run(
    begin: Callable[[], Any], *, everything: bool = False, limit: int = BATCH,
    progress: Callable[[RemaskReport], None] | None = None,
) -> RunReport:  # fmt: skip
    """Run the re-masking passes to their end, each step in its own transaction.

    ``begin`` returns a context manager yielding a session that commits on exit
    (:func:`zhengwu.db.engine.unit_of_work`). With ``everything`` a full pass is forced
    even when the stored version is the code's. Interrupted, the committed steps stay
    and the next run (or the worker) continues from the cursor.
    """
    with begin() as session:
        was = stored_version(session)
        if everything:
            force_full_pass(session)
    checked = remasked = reindexed = steps = outbox = 0
    while True:
        with begin() as session:
            report = step(session, limit=limit)
        steps += 1
        checked += report.checked
        remasked += report.remasked
        reindexed += report.reindexed
        outbox += report.outbox
        if progress is not None:
            progress(report)
        if not report.more:
            break
    return RunReport(MASKING_RULES_VERSION, was, checked, remasked, reindexed, steps,
                     outbox_remasked=outbox)  # fmt: skip


def preview(session: Session, *, everything: bool = False, limit: int = BATCH) -> RunReport:
    """Count what the rules pass would change, writing nothing (``--dry-run``).

    Reads every request (with ``everything``, or when the stored version differs from
    the code's), every indexed library item and every reply waiting in the outbox, masks
    each as the pass would and counts those whose stored text would change. Nothing to
    do: all counts 0.
    """
    from zhengwu.library import service as library

    was = stored_version(session)
    if not everything and was == MASKING_RULES_VERSION:
        return RunReport(MASKING_RULES_VERSION, was, dry_run=True)
    keep = published_phones.directory(session)
    checked = remasked = reindexed = steps = outbox = 0
    last: int | None = 0
    while last is not None:
        changed, last = _remask_outbox(session, keep, after=last, limit=OUTBOX_BATCH, write=False)
        outbox += changed
    cursor = 0
    while True:
        rows = session.execute(
            select(*_COLUMNS).where(ServiceRequest.id > cursor)
            .order_by(ServiceRequest.id).limit(limit)
        ).all()  # fmt: skip
        steps += 1
        checked += len(rows)
        remasked += _remask(session, rows, keep, write=False)
        if len(rows) < limit:
            break
        cursor = rows[-1].id
    after: int | None = 0
    while after is not None:
        _, changed, after = library.remask_index(
            session, after=after, limit=LIBRARY_BATCH, dry_run=True
        )
        reindexed += changed
    return RunReport(MASKING_RULES_VERSION, was, checked, remasked, reindexed, steps, True,
                     outbox)  # fmt: skip
