"""The desk on a simulated clock (the demo) and on the real clock (live use).

The demo plays a past period: every derived event of a simulated request — intake,
routing, handling, queued replies, 督办 — must fall between the request's received time
and the end of the period, never at today's time. Live intake keeps the real clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.chinatime import CHINA
from zhengwu.db.base import utcnow
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.outbox.models import OutboxMessage
from zhengwu.servicedesk import deadlines, demo, service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.models import RequestSource, ServiceRequest
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.scheduled import escalate_overdue, overdue_at_intake
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.workflow import OPEN_STATES

from .conftest import World
from .test_simulated_stream import simulated_stream

WINDOW = {"start": "2025-07-01", "end": "2025-07-05"}  # the stream's four days
PERIOD_END = datetime(2025, 7, 5, tzinfo=CHINA)


def _history(session: Session, request: ServiceRequest) -> list[AuditEntry]:
    return audit_service.history(session, entity_type="request", entity_id=request.id)


def test_demo_desk_step_runs_on_the_simulated_clock(
    session: Session, world: World, tmp_path: Path
) -> None:
    _, _, con = simulated_stream(session, tmp_path)
    assert demo.period_end({"window": WINDOW}) == PERIOD_END
    figures = demo.run(session, con, {"_input_dir": str(tmp_path), "window": WINDOW})
    con.close()
    requests = list(session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)))
    assert len(requests) == figures["requests"] > 20
    # Its clock is kept on its requests, for when demo-input/truth.json is gone.
    assert {r.demo_period_end for r in requests} == {PERIOD_END}

    # Every timeline entry and queued reply lies within [received, end of period].
    seen_actions: set[str] = set()
    for request in requests:
        history = _history(session, request)
        seen_actions |= {entry.action for entry in history}
        for entry in history:
            assert request.received_at <= entry.at <= PERIOD_END, (request.public_id, entry.action)
        # Taken in and routed at its own received time, by a rule in force then.
        at = {entry.action: entry.at for entry in history if entry.action in ("receive", "route")}
        assert at == {"receive": request.received_at, "route": request.received_at}
        assert request.created_at == request.received_at
        assert request.public_id[2:8] == f"{request.received_at.astimezone(CHINA):%y%m%d}"
    assert {"receive", "route", "merge", "accept", "resolve", "supervise"} <= seen_actions
    # The demo's table is in force from before the period, so intake finds its rules then.
    routes = session.scalars(select(AuditEntry).where(AuditEntry.action == "route")).all()
    by_rule = [(e.at, (e.data or {}).get("routing_rule_id")) for e in routes]
    assert sum(rule_id is not None for _, rule_id in by_rule) >= 10
    for at, rule_id in by_rule:
        if rule_id is not None:
            assert routing_service.get(session, rule_id).valid_from <= at
    assert max(s.received_at for s in session.scalars(select(RequestSource))) <= PERIOD_END
    messages = list(session.scalars(select(OutboxMessage)))
    assert {m.kind for m in messages} >= {"first_response", "closing"}
    for message in messages:
        request = session.get(ServiceRequest, message.entity_id)
        assert request is not None
        assert request.received_at <= message.created_at <= PERIOD_END

    # Deadlines run from the received time (where no extension or reopening moved them).
    days = {c.code: (c.response_days, c.resolve_days) for c in category_service.get_tree(session)}
    checked = 0
    for request in requests:
        actions = {entry.action for entry in _history(session, request)}
        if actions & {"approve_extension", "reopen"} or request.category_code is None:
            continue
        response_days, resolve_days = days[request.category_code]
        assert request.response_due == deadlines.add_working_days(
            request.received_at, response_days
        )
        assert request.resolve_due == deadlines.add_working_days(request.received_at, resolve_days)
        checked += 1
    assert checked > len(requests) / 2

    # The sweep supervised exactly the requests overdue at the end of the period, then.
    def overdue(r: ServiceRequest) -> bool:
        late_response = r.first_response_at is None and r.response_due < PERIOD_END
        return r.state in OPEN_STATES and (r.resolve_due < PERIOD_END or late_response)

    supervised = {
        r.id for r in requests if any(e.action == "supervise" for e in _history(session, r))
    }
    assert supervised == {r.id for r in requests if overdue(r)}
    assert figures["督办 supervised"] == len(supervised) > 0
    # Judged against today, every open request would be overdue; on the clock, not all are.
    assert any(r.state in OPEN_STATES and r.id not in supervised for r in requests)
    assert all(r.supervised_at == PERIOD_END for r in requests if r.id in supervised)
    # Running the sweep again at the same moment supervises nothing more.
    assert escalate_overdue(session, now=PERIOD_END) == []


def test_live_intake_handling_and_sweep_use_the_real_clock(session: Session, world: World) -> None:
    submitted = datetime(2025, 7, 3, 9, 30, tzinfo=CHINA)
    intake = RequestIntake(
        source="weibo", source_ref="weibo:5100000000000001", account_uid="1002",
        text="金水区文化路小区楼道里堆满杂物，存在消防隐患，请住建部门处理", category_code="01",
        adcode="410105", submitted_at=submitted,
    )  # fmt: skip
    before = utcnow()
    request = service.receive(session, intake=intake, actor=service.SYSTEM).request
    after = utcnow()
    assert request.received_at == submitted
    assert request.organization_id == world.orgs["js_housing"]  # the rules in force now
    assert request.resolve_due == deadlines.add_working_days(submitted, 15)
    assert before <= request.created_at <= after
    history = _history(session, request)
    assert [e.action for e in history] == ["receive", "route"]
    assert all(before <= e.at <= after for e in history)

    service.perform(session, request=request, action="accept",
                    actor=world.principals["js_housing"])  # fmt: skip
    (reply,) = session.scalars(select(OutboxMessage).where(OutboxMessage.entity_id == request.id))
    assert reply.kind == "first_response"
    assert before <= reply.created_at <= utcnow()

    # Judged on a clock the day after, it is not overdue. Live, its deadline (July 2025)
    # had passed before it was taken in: the sweep leaves it to the office.
    assert escalate_overdue(session, now=submitted + timedelta(days=1)) == []
    assert escalate_overdue(session) == []
    assert overdue_at_intake(session) == 1
    # One taken in while its deadlines were ahead (a replay at its own time), overdue now,
    # is supervised now.
    timely = service.receive(
        session, intake=intake.model_copy(update={"source_ref": "weibo:5100000000000002",
                                                  "text": "二七区大学路路灯不亮"}),
        actor=service.SYSTEM, now=submitted,
    ).request  # fmt: skip
    before_sweep = utcnow()
    assert [r.id for r in escalate_overdue(session)] == [timely.id]
    assert timely.supervised_at is not None and timely.supervised_at >= before_sweep
    (entry,) = [e for e in _history(session, timely) if e.action == "supervise"]
    assert entry.at == timely.supervised_at
    assert request.supervised_at is None


def test_csv_import_as_of_takes_rows_in_at_their_own_time(
    session: Session, world: World, tmp_path: Path
) -> None:
    routing_service.derive_rules(
        session, actor=service.SYSTEM, now=datetime(2025, 1, 1, tzinfo=CHINA)
    )
    path = tmp_path / "hotline.csv"
    path.write_text(
        "工单编号,受理时间,诉求内容,区划代码,答复意见,答复时间\n"
        "T1,2025-07-02 10:00:00,金水区某小区楼道堆放杂物存在消防隐患,410105,已清理,2025-07-03 15:00:00\n"
        "T2,2025-07-06 08:00:00,金水区某路段井盖缺失请尽快修复,410105,,\n"
        "T3,2025-07-02 11:00:00,金水区某小区噪音扰民请处理,410105,已处理,2025-07-08 09:00:00\n",
        encoding="utf-8",
    )
    summary = import_csv(session, path, actor=service.SYSTEM, as_of=PERIOD_END)
    assert (summary.created, summary.quarantined, summary.replies) == (1, 2, 1)
    reasons = session.scalars(
        select(QuarantineEntry.reason).where(QuarantineEntry.run_id == summary.run_id)
    ).all()
    assert len(reasons) == 2 and all("as-of" in r and "模拟时钟" in r for r in reasons)
    request = session.scalar(select(ServiceRequest).where(ServiceRequest.source_ref == "12345:T1"))
    assert request is not None
    at = {e.action: e.at for e in _history(session, request)}
    received = datetime(2025, 7, 2, 10, tzinfo=CHINA)
    assert at == {"receive": received, "route": received,
                  "reply": datetime(2025, 7, 3, 15, tzinfo=CHINA)}  # fmt: skip
    assert request.routing_rule_id is not None  # the derived table was in force in July
