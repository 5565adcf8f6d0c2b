"""The simulator's request stream through the real intake paths, end to end."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import numpy as np
import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.content import store
from zhengwu.ingest.pipeline import run_import
from zhengwu.outbox.models import OutboxMessage
from zhengwu.servicedesk import rates
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.demo import replay_events
from zhengwu.servicedesk.models import RequestSource, ServiceRequest
from zhengwu.servicedesk.posts import intake_from_posts
from zhengwu.servicedesk.service import SYSTEM
from zhengwu.simulate.requests import write_requests

from .conftest import World

ACCOUNTS = [
    SimpleNamespace(platform="weibo", uid="1001", name="平安郑州", sector="公安", adcode="410100"),
    SimpleNamespace(platform="weibo", uid="1002", name="金水住建", sector="住建", adcode="410105"),
    SimpleNamespace(
        platform="weibo", uid="1004", name="金水生态环境", sector="生态环境", adcode="410105"
    ),
]


def test_stream_is_deterministic_and_realistic(tmp_path: Path) -> None:
    one = write_requests(tmp_path / "a", accounts=ACCOUNTS, rng=np.random.default_rng(7),
                         start=date(2025, 7, 1), days=3)  # fmt: skip
    two = write_requests(tmp_path / "b", accounts=ACCOUNTS, rng=np.random.default_rng(7),
                         start=date(2025, 7, 1), days=3)  # fmt: skip
    a, b = Path(one["paths"]["weibo-requests.jsonl"]), Path(two["paths"]["weibo-requests.jsonl"])
    assert a.read_bytes() == b.read_bytes()
    statuses = [orjson.loads(line) for line in a.read_bytes().splitlines()]
    assert any("@平安郑州" in s["text"] or "@金水住建" in s["text"] for s in statuses)
    assert any("retweeted_status" in s for s in statuses)
    assert any(c in s["text"] for s in statuses for c in ("#马上办#", "#问政#"))
    assert any("138" in s["text"] or "139" in s["text"] for s in statuses)
    events = orjson.loads(Path(one["paths"]["handling-events.json"]).read_bytes())
    actions = {e["action"] for entry in events for e in entry["events"]}
    assert {"accept", "resolve", "follow_up"} <= actions


def simulated_stream(
    session: Session, tmp_path: Path
) -> tuple[dict[str, Any], dict[str, Path], duckdb.DuckDBPyConnection]:
    """Simulate four days of a small city's requests and import its Weibo posts.

    Returns the simulator's summary, its files by name and the analytics store.
    """
    out = write_requests(tmp_path, accounts=ACCOUNTS, rng=np.random.default_rng(3),
                         start=date(2025, 7, 1), days=4, per_day=15)  # fmt: skip
    paths = {k: Path(v) for k, v in out["paths"].items()}
    con = store.connect(tmp_path / "analytics.duckdb")
    run_import(
        "weibo-api", [paths["weibo-requests.jsonl"]], session=session, analytics=con, workers=1
    )
    return out, paths, con


def test_stream_through_intake_dedup_replay_and_rates(
    session: Session, world: World, tmp_path: Path
) -> None:
    out, paths, con = simulated_stream(session, tmp_path)
    posts = intake_from_posts(session, con, since=datetime(2025, 6, 30, tzinfo=UTC), actor=SYSTEM)
    hotline = import_csv(session, paths["12345-requests.csv"], actor=SYSTEM, source="12345")
    form = import_csv(session, paths["form-requests.csv"], actor=SYSTEM, source="form")
    assert posts.scanned == out["weibo_statuses"]
    assert posts.refused == 0
    assert hotline.quarantined == 0
    assert hotline.created == out["hotline_rows"]
    assert form.quarantined == 0
    assert form.created == out["form_rows"]

    # De-duplication against the truth: no two problems share a request, and every repost
    # and same-citizen copy lands in its problem's request.
    truth = [orjson.loads(line) for line in paths["truth.jsonl"].read_bytes().splitlines()]
    request_of = dict(
        session.execute(select(RequestSource.source_ref, RequestSource.request_id)).all()
    )
    problems_per_request: dict[int, set[str]] = defaultdict(set)
    requests_per_problem: dict[str, set[int]] = defaultdict(set)
    for row in truth:
        rid = request_of[row["source_ref"]]
        problems_per_request[rid].add(row["problem"])
        requests_per_problem[row["problem"]].add(rid)
    assert all(len(p) == 1 for p in problems_per_request.values())
    assert all(len(r) == 1 for r in requests_per_problem.values())

    summary = replay_events(
        session, paths["handling-events.json"], now=datetime(2025, 7, 12, tzinfo=UTC)
    )
    assert summary.missing == 0
    assert summary.applied > summary.skipped
    rows = rates.compute(session, start=date(2025, 7, 1), end=date(2025, 7, 6), by="organization")
    total = sum(r.n for r in rows)
    assert total == len(problems_per_request)
    resolved = sum(r.resolved for r in rows)
    assert 0 < resolved < total  # some bodies are slow: not everything is done by the 12th
    states = set(session.scalars(select(ServiceRequest.state)))
    assert {"resolved", "followed_up"} <= states
    _replay_is_idempotent(session, paths["handling-events.json"], summary.pending)
    con.close()


def _traces(session: Session) -> tuple[int | None, int | None]:
    audit = session.scalar(select(func.count()).select_from(AuditEntry))
    return audit, session.scalar(select(func.count()).select_from(OutboxMessage))


def _replay_is_idempotent(session: Session, path: Path, pending: int) -> None:
    """A second replay at the same time applies nothing: no audit entry, no second reply."""
    before = _traces(session)
    again = replay_events(session, path, now=datetime(2025, 7, 12, tzinfo=UTC))
    assert again.applied == 0
    assert again.already > 0
    assert again.skipped >= again.already
    assert again.pending == pending
    assert _traces(session) == before
    # Later, only the events that have come due since are applied, once.
    later = replay_events(session, path, now=datetime(2025, 9, 1, tzinfo=UTC))
    assert later.applied > 0
    assert later.pending == 0
    after_later = _traces(session)
    assert after_later != before
    last = replay_events(session, path, now=datetime(2025, 9, 1, tzinfo=UTC))
    assert (last.applied, last.pending) == (0, 0)
    assert _traces(session) == after_later
