"""Replay the simulator's handling events (``requests/handling-events.json``) for the demo.

Each event says what happened to a request how many hours after it was received: the
handling body accepts, returns, asks for an extension, resolves; the office assigns and
decides extensions; the citizen rates or reopens (played by the office's 回访 here, as the
simulated citizens hold no tokens). A request a fallback rule gave to the city's 12345
centre (no place: :mod:`zhengwu.servicedesk.routing.fallback`) is dispatched by the centre
(转办) to the body the citizen meant before that body's first step. Events later than ``now`` are left for the future, so a
demo shows work in progress, overdue requests and rates that move.

A replay is idempotent: every action it applies keeps the key ``<source_ref>#<event index>``
in its audit entry, and a later replay starts each request after the last event its history
shows applied (a request's events are in time order), so running it again applies only the
events that have come due since — nothing twice, no second reply to the citizen.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account
from zhengwu.auth.principal import Principal
from zhengwu.chinatime import CHINA
from zhengwu.db.base import utcnow
from zhengwu.errors import ZhengwuError
from zhengwu.servicedesk import actions
from zhengwu.servicedesk.models import RequestSource, ServiceRequest
from zhengwu.servicedesk.routing.fallback import is_fallback
from zhengwu.servicedesk.routing.models import RoutingRule
from zhengwu.servicedesk.schemas import ActionInput

OFFICE = Principal(role="admin", username="demo-office", display_name="12345热线（模拟）")
_FIELDS = ("reason", "days", "reply_text", "satisfaction")
DISPATCH_REASON = "兜底单位人工派单，转至承办单位 / dispatched by hand by the fallback body"


@dataclass(slots=True)
class ReplaySummary:
    """What a replay did: ``skipped`` counts the events not applied, among them ``already``
    (applied by an earlier replay) and the ones the workflow refused."""

    requests: int = 0
    missing: int = 0
    applied: int = 0
    skipped: int = 0
    pending: int = 0
    already: int = 0


def _lead(request: ServiceRequest) -> Principal:
    return Principal(role="handler", username="demo-handler", display_name="承办人（模拟）",
                     organization_id=request.organization_id)  # fmt: skip


def _addressed_org(session: Session, uid: str | None) -> int | None:
    if not uid:
        return None
    return session.scalar(select(Account.organization_id).where(Account.uid == uid).limit(1))


def _routed_by_fallback(session: Session, request: ServiceRequest) -> bool:
    """Return whether a fallback rule (兜底) gave ``request`` its body, and it is still there."""
    if request.routing_rule_id is None:  # routed by no rule, or handed over since
        return False
    rule = session.get(RoutingRule, request.routing_rule_id)
    return rule is not None and is_fallback(rule)


def _replayed_up_to(session: Session, request: ServiceRequest, source_ref: str) -> int:
    """Return the index of the last event of ``source_ref`` already applied (-1: none)."""
    prefix = f"{source_ref}#"
    done = [int(k[len(prefix) :]) for k in actions.event_keys(session, request)
            if k.startswith(prefix) and k[len(prefix) :].isdigit()]  # fmt: skip
    return max(done, default=-1)


def replay_events(session: Session, path: Path, *, now: datetime | None = None) -> ReplaySummary:
    """Apply the events of ``path`` that happened before ``now`` (default: the current time).

    Events an earlier replay applied (or passed over before one it applied) are skipped.
    """
    now = now or utcnow()
    entries: list[dict[str, Any]] = orjson.loads(path.read_bytes())
    summary = ReplaySummary()
    for entry in entries:
        request_id = session.scalar(
            select(RequestSource.request_id).where(RequestSource.source_ref == entry["source_ref"])
        )
        request = session.get(ServiceRequest, request_id) if request_id else None
        if request is None:
            summary.missing += 1
            continue
        summary.requests += 1
        received = datetime.fromisoformat(entry["received_at"])
        done = _replayed_up_to(session, request, entry["source_ref"])
        for index, event in enumerate(entry["events"]):
            if index <= done:
                summary.already += 1
                summary.skipped += 1
                continue
            key = f"{entry['source_ref']}#{index}"
            at = received + timedelta(hours=float(event["after_hours"]))
            if at > now:
                summary.pending += 1
                continue
            action = str(event["action"])
            data = ActionInput.model_validate({k: event[k] for k in _FIELDS if k in event})
            if action == "assign" or (event["actor"] == "lead" and request.organization_id is None):
                org = _addressed_org(session, entry.get("addressed_uid"))
                if org is None or org == request.organization_id:
                    summary.skipped += 1
                    continue
                data.organization_id = org
                if action != "assign":
                    _try(session, request, "assign", OFFICE, data, at, summary, key)
            elif event["actor"] == "lead" and _routed_by_fallback(session, request):
                # The fallback body (the city's 12345 centre) took it: it dispatches it by
                # hand (转办) to the body the citizen meant, which then handles it.
                org = _addressed_org(session, entry.get("addressed_uid"))
                if org is not None and org != request.organization_id:
                    dispatch = ActionInput(organization_id=org, reason=DISPATCH_REASON)
                    _try(session, request, "transfer", _lead(request), dispatch, at, summary, key)
            actor = _lead(request) if event["actor"] == "lead" else OFFICE
            _try(session, request, action, actor, data, at, summary, key)
    return summary


def _try(session: Session, request: ServiceRequest, action: str, actor: Principal,
         data: ActionInput, at: datetime, summary: ReplaySummary, key: str) -> None:  # fmt: skip
    try:
        with session.begin_nested():
            actions.perform(session, request=request, action=action, actor=actor, data=data,
                            now=at, event_key=key)  # fmt: skip
    except ZhengwuError:  # e.g. a state the simulation did not foresee: leave the request be
        session.expire(request)
        summary.skipped += 1
        return
    summary.applied += 1


def period_end(truth: dict[str, Any]) -> datetime:
    """Return the end of the simulated period: 00:00 China time of the window's end day."""
    end = date.fromisoformat(truth["window"]["end"])  # the first day after the window
    return datetime.combine(end, time(), tzinfo=CHINA)


def demo_clock(data_dir: Path | None = None) -> datetime | None:
    """Return the demo's simulated "now" (:func:`period_end`) when the data directory holds
    the data ``zhengwu demo`` made (its ``demo-input/truth.json``), else None (real data).

    The periodic 督办 judges deadlines as of this moment on demo data, as the demo's own
    sweep did, so a worker run later never stamps the simulated requests with today's 督办.
    """
    from zhengwu.config import get_settings

    truth = (data_dir or get_settings().data_dir) / "demo-input" / "truth.json"
    try:
        stamp = truth.stat().st_mtime_ns
    except OSError:
        return None
    return _period_end_of(truth, stamp)


# Where a session keeps the demo's clock it read from the database (None: none stored).
_READ = "zhengwu.servicedesk.demo.clock"


def clock(session: Session | None = None) -> datetime | None:
    """Return the demo's simulated "now" on the data ``zhengwu demo`` made, else None (real
    data): the clock the demo stored on its requests (``demo_period_end``:
    :func:`start_demo_clock`), else — for a demo's data made before it stored it (revision
    0046), or without a session — :func:`demo_clock`'s, from ``demo-input/truth.json``.

    The stored clock is read once per session (one HTTP request, one command): the queue
    judges every row it shows against it. Without the file it stays: the demo's data is
    never judged on today's clock because the file was deleted, or a demo run crashed
    after the simulation cleared its output.
    """
    if session is not None:
        read: dict[str, datetime | None] = session.info.setdefault(_READ, {})
        if "clock" not in read:
            read["clock"] = session.scalar(select(func.max(ServiceRequest.demo_period_end)))
        if read["clock"] is not None:
            return read["clock"]
    return demo_clock()


def start_demo_clock(session: Session, period_end: datetime) -> int:
    """Put the requests the demo made on its clock: those created on the simulated timeline
    (``created_at`` no later than ``period_end``) that have no clock yet. A request taken in
    live, or real history already in the database (taken in today), gets none; one that
    has a clock keeps it. Return how many were put on it."""
    done = session.execute(
        update(ServiceRequest)
        .where(ServiceRequest.demo_period_end.is_(None), ServiceRequest.created_at <= period_end)
        .values(demo_period_end=period_end, updated_at=ServiceRequest.updated_at)  # as it was
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # fmt: skip
    session.info.pop(_READ, None)
    return int(done or 0)


@functools.lru_cache(maxsize=4)
def _period_end_of(truth: Path, stamp: int) -> datetime | None:
    """Return the period end of ``truth`` (read once per file version ``stamp``)."""
    try:
        return period_end(orjson.loads(truth.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError):  # not a demo's truth file after all
        return None


def run(
    session: Session, analytics: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> dict[str, Any]:
    """The service-desk step of ``zhengwu demo``: intake, routing, handling, 督办, rates.

    Everything runs on the simulated clock, never today's: the routing table is in force
    from the day before the period, each request is taken in and routed at its own time,
    handling events are played up to the end of the period (:func:`period_end`), and the
    overdue sweep judges the requests as of that moment.
    """
    from zhengwu.servicedesk.category import service as category_service
    from zhengwu.servicedesk.csvimport import import_csv
    from zhengwu.servicedesk.posts import DEFAULT_HASHTAGS, intake_from_posts
    from zhengwu.servicedesk.routing import service as routing_service
    from zhengwu.servicedesk.scheduled import escalate_overdue
    from zhengwu.servicedesk.service import SYSTEM

    input_dir = Path(str(truth["_input_dir"]))
    start = date.fromisoformat(truth["window"]["start"])
    since = datetime.combine(start, time(), tzinfo=CHINA) - timedelta(days=1)
    as_of = period_end(truth)
    category_service.ensure_default_tree(session)
    routing_service.derive_rules(session, actor=SYSTEM, now=since)
    posts = intake_from_posts(
        session, analytics, since=since, actor=SYSTEM, hashtags=DEFAULT_HASHTAGS, as_of=as_of
    )
    created = posts.created
    # Hotline calls stay private; the web form's citizens asked on the public board.
    for name, source in (("12345-requests.csv", "12345"), ("form-requests.csv", "form")):
        path = input_dir / "requests" / name
        if path.exists():
            created += import_csv(
                session, path, actor=SYSTEM, source=source, as_of=as_of, public=source == "form"
            ).created
    events = input_dir / "requests" / "handling-events.json"
    applied = replay_events(session, events, now=as_of).applied if events.exists() else 0
    supervised = len(escalate_overdue(session, now=as_of))
    start_demo_clock(session, as_of)  # kept in the database: the file may go
    end = date.fromisoformat(truth["window"]["end"]) + timedelta(days=1)
    return {
        "requests": created,
        "handled steps": applied,
        "督办 supervised": supervised,
        **desk_figures(session, start=start, end=end),
    }


def desk_figures(session: Session, *, start: date, end: date) -> dict[str, str]:
    """Return the demo summary's desk figures over [start, end): how many requests the whole
    city counts and its office's matrix of them, and the rates — the matrix's, as the
    office's matrix page shows them (the whole city's when there is no matrix).

    A request the desk could not route into the matrix (no place and no body named) is
    the city's, not the matrix's: the summary says both counts instead of rates that
    disagree with the page.
    """
    from zhengwu.auth.demo import office_matrix
    from zhengwu.servicedesk import rates

    overall = rates.compute(session, start=start, end=end, by="category")
    n = sum(r.n for r in overall)
    matrix = office_matrix(session)
    row = rates.matrix_row(session, matrix, start=start, end=end) if matrix else None
    shown = [row] if row else overall
    inside = sum(r.n for r in shown)

    def pct(num: int, den: int) -> str:
        # Rounded as the page rounds it (635/647 is 98.2 % there, not 98.1 %).
        rate = rates.ratio(num, den)
        return "–" if rate is None else f"{100 * rate:.1f}%"

    return {
        "受理 counted": (
            f"全市 {n}，其中矩阵 {inside}（以下比率按矩阵，同矩阵页）"
            if inside != n
            else f"全市 {n}"
        ),
        "回应率": pct(sum(r.responded for r in shown), inside),
        "办结率": pct(sum(r.resolved for r in shown), inside),
        "按时办结率": pct(sum(r.resolved_on_time for r in shown), sum(r.resolved for r in shown)),
        "满意率": pct(sum(r.satisfied for r in shown), sum(r.followed_up for r in shown)),
    }
