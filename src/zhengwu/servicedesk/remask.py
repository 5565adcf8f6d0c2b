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
of a pass it indexes the library items that mention them again. A re-masked request gets
a new ``updated_at``, so the next search refresh re-indexes it too. A directory that
changes again mid-pass restarts the pass with both changes.

Requests are found by the last four digits of a changed number (ASCII or full-width) in
their original text, so the pass reads only those; a number whose last four digits are
split by a separator ("6666-12 34") is not found. The public board and Open311 mask again
at display, so a withdrawn number is hidden there at once; the pass makes the stored text
and the search index follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from zhengwu.accounts import phones as published_phones
from zhengwu.db.base import utcnow
from zhengwu.servicedesk import masking
from zhengwu.servicedesk.models import MaskingState, ServiceRequest

BATCH = 2000  # requests read per transaction
TAIL = 4  # digits a request's text must contain to be read
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True, slots=True)
class RemaskReport:
    """What one step did: requests read and re-masked, library items re-indexed."""

    checked: int = 0
    remasked: int = 0
    reindexed: int = 0
    more: bool = False

    def counts(self) -> dict[str, int]:
        """Return the counts by name (for the worker's report)."""
        return {"checked": self.checked, "remasked": self.remasked, "reindexed": self.reindexed}


def tails(numbers: frozenset[str] | set[str] | list[str]) -> list[str]:
    """Return the fragments a text containing one of ``numbers`` (digit strings) contains."""
    found: set[str] = set()
    for digits in numbers:
        tail = digits[-TAIL:]
        found.update((tail, tail.translate(_FULL_WIDTH)))
    return sorted(found)


def _state(session: Session) -> MaskingState:
    state = session.get(MaskingState, 1)
    if state is None:
        state = MaskingState(id=1, numbers=[], pending=[], cursor=0)
        session.add(state)
    return state


def step(session: Session, *, limit: int = BATCH) -> RemaskReport:
    """Take up a changed directory and re-mask one batch of the requests it touches.

    The caller commits (the worker commits each step and calls again while ``more``).
    """
    current = sorted(published_phones.directory(session))
    state = _state(session)
    if current != list(state.numbers):
        changed = set(current) ^ set(state.numbers)
        state.pending = sorted(set(state.pending) | changed)
        state.numbers = current
        state.cursor = 0
    if not state.pending:
        return RemaskReport()
    fragments = tails(state.pending)
    keep = frozenset(current)
    rows = session.execute(
        select(ServiceRequest.id, ServiceRequest.text, ServiceRequest.text_masked,
               ServiceRequest.citizen_name, ServiceRequest.citizen_phone)
        .where(ServiceRequest.id > state.cursor,
               or_(*(ServiceRequest.text.contains(f) for f in fragments)))
        .order_by(ServiceRequest.id).limit(limit)
    ).all()  # fmt: skip
    remasked = 0
    table = ServiceRequest.__table__
    assert isinstance(table, Table)
    now = utcnow()
    for row in rows:
        text = masking.mask(row.text, name=row.citizen_name, phone=row.citizen_phone, keep=keep)
        if text != row.text_masked:
            # The table, not the mapped class: re-masking is no edit of the request, so
            # its version (a handler's optimistic lock) stays; updated_at moves, which
            # the search refresh follows.
            session.execute(
                update(table).where(table.c.id == row.id).values(text_masked=text, updated_at=now)
            )
            remasked += 1
    if len(rows) == limit:
        state.cursor = rows[-1].id
        return RemaskReport(len(rows), remasked, more=True)
    from zhengwu.library import service as library

    reindexed = library.reindex_mentioning(session, fragments)
    state.pending = []
    state.cursor = 0
    return RemaskReport(len(rows), remasked, reindexed)
