"""What an export of this desk carries to a new desk beyond a hotline's own columns.

A hotline's columns (:mod:`.csvimport`) hold one handling: its reply, its 办结 and its one
回访 rating. A request of the desk can hold more, and the rates count it: every rating the
citizen gave (a request reopened after a 不满意 and rated again counts both in 满意率), a
first response that was only the 受理 (counted in 回应率, with no reply to show it), and how
often it was reopened (重启), a deadline extended (延期) and where an open request stands
(已受理, 办理中, 重办). :mod:`.export` writes them as 历次满意度 (the ratings before the latest
handling's: ``1分 2025-07-05 10:00:00；3分 2025-07-09 11:00:00``), 首次响应时间, 重启次数,
办理期限 and 办理状态, so that a migration to a new desk (``desk export``, then ``desk
import-csv`` there) keeps 回应率, 按时办结率 and 满意率 as they were.

The import records them on the requests it creates, once (a row found ``existing`` adds
nothing): each earlier rating as a :class:`~.models.RequestRating` with an audit entry
``follow_up`` (reason :data:`IMPORTED_EARLIER_RATING`), an earlier first response, the
reopen count, a 办理期限 later than the one the new desk computes (an extension), and the
open state of :data:`STATES` (audited with reason :data:`IMPORTED_STATE`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.servicedesk.models import RequestRating, RequestSource, ServiceRequest

CHINA = timezone(timedelta(hours=8))
COLUMNS: dict[str, tuple[str, ...]] = {
    "earlier_ratings": ("历次满意度",),
    "first_response_at": ("首次响应时间",),
    "reopen_count": ("重启次数",),
    "resolve_due": ("办理期限",),
}
IMPORTED_EARLIER_RATING = "导入的历次回访 / earlier follow-up imported from an export"
IMPORTED_STATE = "导入的办理状态 / state imported from an export"
# 办理状态 words of an export (export.STATUS_WORDS) that say more than "open": the state a
# created request takes, the action that leads there (its audit entry) and the states the
# import may have left it in (a received request, or one answered by the row's reply).
STATES: dict[str, tuple[str, str, frozenset[str]]] = {
    "已受理": ("accepted", "accept", frozenset({"received"})),
    "办理中": ("in_progress", "start", frozenset({"received", "replied"})),
    "重办": ("reopened", "reopen", frozenset({"received", "replied"})),
}
_RATING = re.compile(r"([1-5])\s*分?\s+(\S.*)")
_SEPARATOR = re.compile(r"[；;]")

Cell = tuple[str, str]  # the file's column and the cell's text


@dataclass(frozen=True, slots=True)
class Carried:
    """A row's earlier ratings (1–5, when), its first response and its reopen count."""

    ratings: tuple[tuple[int, datetime], ...] = ()
    first_response_at: datetime | None = None
    reopen_count: int = 0
    resolve_due: datetime | None = None
    state: str | None = None  # a word of STATES

    def __bool__(self) -> bool:
        return bool(
            self.ratings or self.first_response_at or self.reopen_count or self.resolve_due
            or self.state
        )  # fmt: skip


def ratings_text(ratings: Iterable[tuple[int, datetime]]) -> str:
    """Return the 历次满意度 cell: ``1分 2025-07-05 10:00:00；3分 …`` (China time)."""
    return "；".join(f"{s}分 {at.astimezone(CHINA):%Y-%m-%d %H:%M:%S}" for s, at in ratings)


def read(
    cells: dict[str, Cell | None], time: Callable[[Cell, str], datetime],
    answered: datetime | None, status: str | None,
) -> Carried | None:  # fmt: skip
    """Return what a row carries (None: nothing), from its cells by field; ValueError with
    a bilingual reason naming the column when a cell cannot be read.

    ``time`` reads a time cell as the import does; ``answered`` is the first response the
    import records anyway (the reply's time, else the 办结's): a 首次响应时间 not before it
    carries nothing.
    """
    ratings: list[tuple[int, datetime]] = []
    found = cells.get("earlier_ratings")
    if found is not None:
        column, text = found
        for part in filter(None, (p.strip() for p in _SEPARATOR.split(text))):
            m = _RATING.fullmatch(part)
            if m is None:
                raise ValueError(
                    f"「{column}」无法识别：{part!r}（应为「评分 时间」，以；分隔，如 1分 2025-07-05 "
                    f"10:00:00）/ unreadable earlier rating {part!r} in column '{column}': give "
                    "'rating time' pairs separated by ；, such as 1分 2025-07-05 10:00:00"
                )
            ratings.append((int(m[1]), time((column, m[2]), "earlier rating time")))
    first = cells.get("first_response_at")
    first_at = time(first, "first response time") if first is not None else None
    if first_at is not None and answered is not None and first_at >= answered:
        first_at = None
    reopened = cells.get("reopen_count")
    count = 0
    if reopened is not None:
        column, text = reopened
        if not text.isdigit() or int(text) > 1000:
            raise ValueError(
                f"「{column}」应为 0 或正整数：{text!r} / column '{column}' should be a count "
                f"(0, 1, 2 …): {text!r}"
            )
        count = int(text)
    # Only a desk's export (a row with its 首次响应时间) says where an open request stands
    # and what its deadline is: another hotline's 已受理 stays an open ticket, as it always
    # was, and its 办理期限 (5个工作日, say) is not read.
    due = cells.get("resolve_due") if first is not None else None
    due_at = time(due, "deadline") if due is not None else None
    state = status if status in STATES and first is not None else None
    carried = Carried(tuple(ratings), first_at, count, due_at, state)
    return carried if carried else None


def apply(session: Session, carried: dict[str, Carried], *, actor: Principal) -> None:
    """Record on each request created by a row (its source ref → what it carries) the
    earlier ratings, the earlier first response and the reopen count."""
    if not carried:
        return
    session.flush()
    query = select(RequestSource.source_ref, RequestSource.request_id).where(
        RequestSource.source_ref.in_(carried)
    )
    ids: dict[str, int] = dict(session.execute(query).all())
    for ref, what in carried.items():
        request = session.get(ServiceRequest, ids[ref]) if ref in ids else None
        if request is None:
            continue
        if what.first_response_at is not None and (
            request.first_response_at is None or what.first_response_at < request.first_response_at
        ):
            request.first_response_at = what.first_response_at
        request.reopen_count = max(request.reopen_count, what.reopen_count)
        if what.resolve_due is not None and (
            request.resolve_due is None or what.resolve_due > request.resolve_due
        ):
            request.resolve_due = what.resolve_due
        if what.state is not None:
            _carry_state(session, request, what.state, actor)
        for satisfaction, at in what.ratings:
            session.add(
                RequestRating(request_id=request.id, satisfaction=satisfaction, rated_at=at)
            )
            audit_service.record(
                session, entity_type="request", entity_id=request.id, action="follow_up",
                actor=actor, reason=IMPORTED_EARLIER_RATING,
                data={"satisfaction": satisfaction, "earlier": True}, at=at,
            )  # fmt: skip
    session.flush()


def _carry_state(session: Session, request: ServiceRequest, word: str, actor: Principal) -> None:
    """Put a created request in the open state its export's 办理状态 says (已受理 …), when
    the import left it where that state comes from and a body handles it."""
    state, action, before = STATES[word]
    if request.state not in before or request.organization_id is None:
        return
    at = request.first_response_at or request.received_at
    audit_service.record(
        session, entity_type="request", entity_id=request.id, action=action, actor=actor,
        from_state=request.state, to_state=state, reason=IMPORTED_STATE, at=at,
    )  # fmt: skip
    if state == "accepted":
        request.accepted_at = request.accepted_at or at
        request.first_response_at = request.first_response_at or at
    request.state = state
