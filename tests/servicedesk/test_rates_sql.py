"""Rates computed with SQL aggregates equal a straightforward computation over every request."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.servicedesk import deadlines, rates
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import RequestRating, ServiceRequest

from .conftest import World

STATES = ("received", "accepted", "in_progress", "replied", "resolved", "followed_up",
          "reopened", "duplicate", "invalid")  # fmt: skip


def _moment(rng: random.Random) -> datetime:
    """A moment around the 2025 National Day holiday and its make-up Saturdays/Sundays."""
    start = datetime(2025, 9, 20, tzinfo=UTC)
    seconds = rng.randrange(0, 40 * 86400)
    moment = start + timedelta(seconds=seconds, microseconds=rng.randrange(0, 1_000_000))
    if rng.random() < 0.1:  # exactly midnight or 09:00 in China
        day = moment.date()
        hour = rng.choice((16, 1))  # 00:00 / 09:00 China
        moment = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    return moment


def test_handling_clock_equals_the_working_day_walk() -> None:
    rng = random.Random(7)
    for _ in range(4000):
        a = _moment(rng)
        b = (
            a + timedelta(seconds=rng.randrange(-3 * 86400, 30 * 86400))
            if rng.random() < 0.9
            else _moment(rng)
        )
        want = max(deadlines.working_days_between(a, b), 0.0)
        assert rates._clock().days(a, b) == want, (a, b)
    # Before the clock's first day it falls back to the walk.
    old = datetime(1999, 12, 30, 3, tzinfo=UTC)
    assert rates._clock().days(old, old + timedelta(days=5)) == deadlines.working_days_between(
        old, old + timedelta(days=5)
    )


def _random_requests(session: Session, world: World, n: int, seed: int) -> None:
    """Insert ``n`` random requests over three months across the world's bodies."""
    rng = random.Random(seed)
    codes = [c.code for c in category_service.get_tree(session, include_inactive=True)]
    orgs = [*world.orgs.values(), None]
    matrices = [*world.matrices.values(), None]
    for i in range(n):
        received = datetime(2025, 6, 1, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(0, 92 * 86400), microseconds=rng.randrange(0, 1_000_000)
        )
        state = rng.choice(STATES)
        responded = state != "received" and rng.random() < 0.95
        resolved = state in ("resolved", "followed_up") or (
            state == "reopened" and rng.random() < 0.3
        )
        first = received + timedelta(hours=rng.uniform(-1, 60)) if responded else None
        done = received + timedelta(hours=rng.uniform(-2, 600)) if resolved else None
        request = ServiceRequest(
            public_id=f"SRT{seed}{i:06d}", citizen_token_hash="x" * 64, state=state,
            source="form", source_ref=f"form:t{seed}-{i}", text="测试", text_masked="测试",
            fingerprint="f" * 40, category_code=rng.choice([*codes, None]),
            organization_id=rng.choice(orgs), matrix_id=rng.choice(matrices),
            received_at=received,
            response_due=received + timedelta(days=1) if rng.random() < 0.9 else None,
            resolve_due=received + timedelta(days=rng.choice((5, 10, 15))) if rng.random() < 0.9 else None,
            first_response_at=first, resolved_at=done,
            satisfaction=rng.randint(1, 5) if state == "followed_up" and rng.random() < 0.8 else None,
        )  # fmt: skip
        session.add(request)
        session.flush()
        # Earlier ratings of reopened handlings, then the current one (the row's).
        earlier = rng.choice((0, 0, 0, 1, 2)) if state in ("reopened", "followed_up") else 0
        values = [rng.randint(1, 5) for _ in range(earlier)]
        if request.satisfaction is not None:
            values.append(request.satisfaction)
        for value in values:
            session.add(RequestRating(request_id=request.id, satisfaction=value,
                                      rated_at=received + timedelta(days=1)))  # fmt: skip
    session.flush()


def _plain(session: Session, start: datetime, end: datetime, by: str) -> list[rates.RateRow]:
    """The rates the straightforward way: every request loaded, counted one by one."""
    requests = [
        r for r in session.scalars(select(ServiceRequest))
        if start <= r.received_at < end and r.state not in ("duplicate", "invalid")
    ]  # fmt: skip
    org_names = dict(session.execute(select(Organization.id, Organization.name)).all())
    matrix_names = dict(session.execute(select(Matrix.id, Matrix.name)).all())
    tree = category_service.get_tree(session, include_inactive=True)
    labels = {c.code: c.name for c in tree}
    of_org: dict[int, set[int]] = defaultdict(set)
    for oid, mid in session.execute(
        select(Account.organization_id, MatrixMember.matrix_id).join(
            MatrixMember, MatrixMember.account_id == Account.id
        )
    ):
        if oid is not None:
            of_org[oid].add(mid)

    def groups(r: ServiceRequest) -> list[tuple[str, str]]:
        if by == "organization":
            oid = r.organization_id
            return [(str(oid), org_names[oid])] if oid else [("-", "未派单")]
        if by == "category":
            top = category_service.top_level(tree, r.category_code)
            return [(top, labels[top])] if top else [("-", "未分类")]
        ids = set(of_org.get(r.organization_id or 0, set()))
        if r.matrix_id is not None:
            ids.add(r.matrix_id)
        return [(str(m), matrix_names[m]) for m in sorted(ids)] or [("-", "无矩阵")]

    given: dict[int, list[int]] = defaultdict(list)
    for rating in session.scalars(select(RequestRating)):
        given[rating.request_id].append(rating.satisfaction)
    rows: dict[str, rates.RateRow] = {}
    days: dict[str, list[float]] = defaultdict(list)
    for r in requests:
        for key, name in groups(r):
            row = rows.setdefault(key, rates.RateRow(key=key, name=name))
            row.n += 1
            if r.first_response_at is not None:
                row.responded += 1
                row.responded_on_time += (
                    r.response_due is None or r.first_response_at <= r.response_due
                )
            if r.resolved_at is not None:
                row.resolved += 1
                row.resolved_on_time += r.resolve_due is None or r.resolved_at <= r.resolve_due
                days[key].append(
                    max(deadlines.working_days_between(r.received_at, r.resolved_at), 0.0)
                )
            for value in given[r.id]:  # every rating the citizen gave, once each
                row.followed_up += 1
                row.satisfied += value >= 4
    out = []
    for key, row in rows.items():
        row.response_rate = round(row.responded / row.n, 4)
        row.response_ontime_rate = round(row.responded_on_time / row.n, 4)
        row.resolution_rate = round(row.resolved / row.n, 4)
        row.ontime_rate = round(row.resolved_on_time / row.resolved, 4) if row.resolved else None
        row.satisfaction_rate = (
            round(row.satisfied / row.followed_up, 4) if row.followed_up else None
        )
        if days[key]:
            row.mean_handling_days = round(statistics.fmean(days[key]), 2)
            row.median_handling_days = round(statistics.median(days[key]), 2)
        out.append(row)
    return sorted(out, key=lambda x: (-x.n, x.key))


@pytest.mark.parametrize("by", ["organization", "category", "matrix"])
def test_sql_rates_equal_the_plain_computation(session: Session, world: World, by: str) -> None:
    _random_requests(session, world, 600, seed=3)
    for period in ("2025-06", "2025-07", "2025-Q3", "2025", "2025-07-10..2025-07-20"):
        start, end = rates.period_bounds(period)
        got = rates.compute(session, start=start, end=end, by=by)  # type: ignore[arg-type]
        want = _plain(session, start, end, by)
        assert got == want, period
        assert sum(r.n for r in got) >= (400 if period == "2025" else 1)
    empty = rates.compute(session, start=date(2030, 1, 1), end=date(2030, 2, 1), by=by)  # type: ignore[arg-type]
    assert empty == []
