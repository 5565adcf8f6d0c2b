"""Bulk re-classification after the category tree changed (``zhengwu desk reclassify``).

The classifier (:func:`zhengwu.servicedesk.classifying.classify`, the model when trained,
else the keyword rules) runs again on the open requests — closed ones only when asked —
with the tree intake uses now (:func:`zhengwu.servicedesk.snapshot.current`). What it does:

- a category a person chose (``classified_by`` ``staff`` or ``citizen``) stays, unless the
  category has left the tree (deleted or deactivated): then the classifier decides;
- a text the classifier cannot place keeps its category (nothing is blanked);
- each change is one audit entry ``reclassify`` on the request (from, to, by, confidence,
  ``"bulk": true``), written by the system; the request's state, deadlines and routing do
  not change (a request that now belongs elsewhere is transferred by the office);
- ``dry_run`` computes the same summary and writes nothing.

Requests are read in id order, :data:`BATCH` at a time, so memory stays flat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.servicedesk import snapshot
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.classifying import classify
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.workflow import OPEN_STATES

BATCH = 500
PERSON_CHOSEN = frozenset({"staff", "citizen"})


@dataclass(slots=True)
class ReclassifySummary:
    """What a run did (or would do): counts, and the changes per (from, to) category."""

    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    kept_person_choice: int = 0  # chosen by staff or the citizen, still in the tree
    not_placed: int = 0  # the classifier found no category: kept
    moves: Counter[tuple[str | None, str]] = field(default_factory=Counter)
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        """Return the summary as JSON-ready data (moves as from → to → count rows)."""
        return {
            "examined": self.examined, "changed": self.changed, "unchanged": self.unchanged,
            "kept_person_choice": self.kept_person_choice, "not_placed": self.not_placed,
            "dry_run": self.dry_run,
            "moves": [{"from": a, "to": b, "count": n}
                      for (a, b), n in sorted(self.moves.items(), key=lambda m: (-m[1], str(m[0])))],
        }  # fmt: skip


def reclassify(
    session: Session, *, actor: Principal, category: str | None = None,
    since: datetime | None = None, include_closed: bool = False, dry_run: bool = False,
) -> ReclassifySummary:  # fmt: skip
    """Run the classifier again on the requests chosen; return what changed (caller commits).

    ``category``: only requests filed under this code or one of its subcategories (a code
    that has left the tree: that code alone). ``since``: only requests received from then.
    """
    tree = snapshot.current(session).tree
    active = {c.code for c in tree}
    summary = ReclassifySummary(dry_run=dry_run)
    query = select(ServiceRequest)
    if not include_closed:
        query = query.where(ServiceRequest.state.in_(OPEN_STATES))
    if category is not None:
        full = category_service.get_tree(session, include_inactive=True)
        codes = {c.code for c in full if category in category_service.lineage(full, c.code)}
        query = query.where(ServiceRequest.category_code.in_(codes | {category}))
    if since is not None:
        query = query.where(ServiceRequest.received_at >= since)
    last = 0
    while True:
        batch = list(session.scalars(
            query.where(ServiceRequest.id > last).order_by(ServiceRequest.id).limit(BATCH)
        ))  # fmt: skip
        if not batch:
            return summary
        for request in batch:
            _one(session, request, tree, active, actor, summary)
        last = batch[-1].id
        # Flushed, the batch's requests are clean: the session holds them weakly, so memory
        # stays flat without taking them from a caller that still uses them.
        session.flush()


def _one(
    session: Session, request: ServiceRequest, tree: Sequence[snapshot.CategoryNode],
    active: set[str],
    actor: Principal, summary: ReclassifySummary,
) -> None:  # fmt: skip
    summary.examined += 1
    current = request.category_code
    if request.classified_by in PERSON_CHOSEN and current in active:
        summary.kept_person_choice += 1
        return
    found = classify(request.text, tree)
    if found.code is None:
        summary.not_placed += 1
        return
    if found.code == current:
        summary.unchanged += 1
        return
    summary.changed += 1
    summary.moves[(current, found.code)] += 1
    if summary.dry_run:
        return
    request.category_code = found.code
    request.classified_by = found.by
    request.classification_confidence = found.confidence
    audit_service.record(
        session, entity_type="request", entity_id=request.id, action="reclassify", actor=actor,
        from_state=request.state, to_state=request.state,
        reason="分类树变更后重新分类 / re-classified after the category tree changed",
        data={"from": current, "to": found.code, "by": found.by,
              "confidence": found.confidence, "bulk": True},
    )  # fmt: skip
