"""The periodic jobs on a real, committed database: each job's work, failures, schedule, locks."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Organization
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError
from zhengwu.jobs.registry import Job, Step, get_job, names, select_jobs
from zhengwu.jobs.runner import Worker, _lock_key, run_job, run_jobs
from zhengwu.library.models import ContentItem, DistributionTarget
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage
from zhengwu.search import indexer
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import RequestIntake


def _world(engine: Engine) -> dict[str, int]:
    """One account, a due scheduled distribution, a queued reply and an overdue request."""
    with Session(engine) as session:
        org = Organization(name="郑州市公安局", level="市", sector="公安", adcode="410100")
        session.add(org)
        session.flush()
        account = Account(platform="weibo", uid="1001", name="平安郑州", organization_id=org.id,
                          verified_reason="郑州市公安局官方微博", is_government=True)  # fmt: skip
        item = ContentItem(title="暴雨防范提示", body="请远离低洼地带", kind="article",
                           created_by_name="t", updated_by_name="t")  # fmt: skip
        session.add_all([account, item])
        session.flush()
        target = DistributionTarget(
            item_id=item.id, account_id=account.id, state="planned", planned_by_name="t",
            scheduled_at=datetime.now(UTC) - timedelta(minutes=5),
        )  # fmt: skip
        reply = outbox_service.enqueue(session, kind="first_response", platform="weibo",
                                       body="已收到，正在办理", target_post_id="4091509081366576")  # fmt: skip
        category_service.ensure_default_tree(session)
        intake = RequestIntake(source="form", text="金水区小区物业乱收费",
                               submitted_at=datetime(2025, 7, 2, 10, tzinfo=UTC))  # fmt: skip
        # Taken in when it came (its deadlines then ahead), long overdue now.
        request = desk_service.receive(
            session, intake=intake, actor=desk_service.SYSTEM, now=intake.submitted_at
        ).request
        session.add(target)
        session.commit()
        return {"target": target.id, "reply": reply.id, "request": request.id}


def test_without_a_connector_the_outbox_stays_queued(committed_engine: Engine) -> None:
    _world(committed_engine)
    reports = {r.name: r.counts for r in run_jobs(select_jobs(), engine=committed_engine)}
    # The reply and the released distribution: queued, counted as waiting.
    assert reports["outbox-delivery"] == {"delivered": 0, "failed": 0, "waiting": 2, "announced": 0}
    with Session(committed_engine) as session:
        states = set(session.scalars(select(OutboxMessage.state)))
    assert states == {"queued"}  # nothing is shown as published that reached no platform
    assert not (get_settings().data_dir / "outbox").exists()


def test_a_refused_release_is_counted_and_logged_with_its_reason(
    committed_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    ids = _world(committed_engine)
    with Session(committed_engine) as session:  # the account was closed after the plan
        target = session.get(DistributionTarget, ids["target"])
        assert target is not None
        account = session.get(Account, target.account_id)
        assert account is not None
        account.status = "closed"
        account_id = account.id
        session.commit()
    with caplog.at_level(logging.WARNING, logger="zhengwu.jobs.registry"):
        [report] = run_jobs(select_jobs(["distribution-release"]), engine=committed_engine)
    assert report.ok and report.counts == {"queued": 0, "refused": 1}
    [logged] = [
        r.getMessage() for r in caplog.records if "scheduled distribution" in r.getMessage()
    ]
    assert f"账号 account {account_id}" in logged and "账号已停用 / account is closed" in logged
    with Session(committed_engine) as session:
        target = session.get(DistributionTarget, ids["target"])
        assert target is not None and target.state == "failed" and target.outbox_id is None
        assert target.reason == "账号已停用 / account is closed"


def test_every_job_does_its_work_once(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHENGWU_OUTBOX_CONNECTOR", "file")
    get_settings.cache_clear()
    ids = _world(committed_engine)
    reports = run_jobs(select_jobs(), engine=committed_engine)
    assert [r.name for r in reports] == names()
    assert all(r.ok and not r.skipped and r.seconds >= 0 for r in reports)
    done = {r.name: r.counts for r in reports}
    assert done == {
        "distribution-release": {"queued": 1, "refused": 0},
        "desk-escalation": {"supervised": 1},
        # the reply, and the distribution released earlier in the same round
        "outbox-delivery": {"delivered": 2, "failed": 0, "waiting": 0, "announced": 0},
        # A new database records no masking rules' version yet: the first run reads the
        # one request (already masked with today's rules: nothing changes) and records it.
        "published-numbers": {"checked": 1, "remasked": 0, "reindexed": 0, "outbox": 0},
        "search-refresh": {"accounts": 1, "requests": 1},
    }
    with Session(committed_engine) as session:
        target = session.get(DistributionTarget, ids["target"])
        assert target is not None and target.state == "queued"
        messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.state, m.external_id) for m in messages] == [
            ("delivered", f"local-{m.id}") for m in messages
        ]
        request = session.get(ServiceRequest, ids["request"])
        assert request is not None and request.supervision_count == 1
        assert indexer.pending(session) == {"accounts": 0, "requests": 0}
    # What the file connector wrote: what would be published, one JSON line per message.
    written = (get_settings().data_dir / "outbox" / "weibo.jsonl").read_bytes().splitlines()
    bodies = {orjson.loads(line)["body"] for line in written}
    assert bodies == {"已收到，正在办理", "暴雨防范提示\n\n请远离低洼地带"}
    # Run again: nothing is left to do, nothing is done twice.
    again = {r.name: r.counts for r in run_jobs(select_jobs(), engine=committed_engine)}
    assert again == {
        "distribution-release": {"queued": 0, "refused": 0},
        "desk-escalation": {"supervised": 0},
        "outbox-delivery": {"delivered": 0, "failed": 0, "waiting": 0, "announced": 0},
        # The rules' version is recorded: nothing is read.
        "published-numbers": {"checked": 0, "remasked": 0, "reindexed": 0, "outbox": 0},
        "search-refresh": {"accounts": 0, "requests": 0},
    }
    assert len((get_settings().data_dir / "outbox" / "weibo.jsonl").read_bytes().splitlines()) == 2


def _org_step(fail_on: int | None) -> Job:
    """A job that adds one organisation per step, three steps, failing on step ``fail_on``."""
    calls = []

    def step(session: Session) -> Step:
        calls.append(1)
        session.add(Organization(name=f"测试机构{len(calls)}", level="市", sector="公安"))
        session.flush()
        if len(calls) == fail_on:
            raise RuntimeError(f"step {len(calls)} broke")
        return Step({"added": 1}, more=len(calls) < 3)

    return Job("test-orgs", "测试", 60, step, "add organisations")


def _orgs(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(Organization.name).order_by(Organization.id)))


def test_a_failing_job_is_reported_logged_and_stops_nothing_else(
    committed_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with Session(committed_engine) as session:
        session.add(Account(platform="weibo", uid="2001", name="洛阳住建"))
        session.commit()
    with caplog.at_level(logging.ERROR, logger="zhengwu.jobs.runner"):
        reports = run_jobs(
            [_org_step(fail_on=2), get_job("search-refresh")], engine=committed_engine
        )
    broken, refresh = reports
    assert broken.error == "RuntimeError: step 2 broke" and not broken.ok
    assert broken.counts == {"added": 1} and broken.steps == 1
    # Step 1 was committed and is kept; step 2 was rolled back whole.
    assert _orgs(committed_engine) == ["测试机构1"]
    assert refresh.ok and refresh.counts == {"accounts": 1, "requests": 0}
    logged = [r for r in caplog.records if "test-orgs" in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # with its traceback
    assert broken.to_dict()["error"] == "RuntimeError: step 2 broke"


def test_a_job_runs_step_after_step_until_done_or_stopped(committed_engine: Engine) -> None:
    report = run_job(_org_step(fail_on=None), engine=committed_engine)
    assert (report.counts, report.steps, report.error) == ({"added": 3}, 3, None)
    assert _orgs(committed_engine) == ["测试机构1", "测试机构2", "测试机构3"]
    stop = threading.Event()
    stop.set()  # asked to stop: the step in progress commits, no further step starts
    stopped = run_job(_org_step(fail_on=None), engine=committed_engine, stop=stop)
    assert stopped.steps == 1 and len(_orgs(committed_engine)) == 4
    assert run_jobs([get_job("search-refresh")], engine=committed_engine, stop=stop) == []


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _counting(name: str, interval: float, ran: list[str]) -> Job:
    def step(session: Session) -> Step:
        ran.append(name)
        return Step({"runs": 1})

    return Job(name, name, interval, step, name)


def test_the_worker_runs_each_job_when_its_interval_has_passed(committed_engine: Engine) -> None:
    ran: list[str] = []
    clock = Clock()
    jobs = [_counting("fast", 10, ran), _counting("slow", 60, ran)]
    worker = Worker(jobs, engine=committed_engine, clock=clock)
    assert [r.name for r in worker.run_due()] == ["fast", "slow"]  # all due at start
    assert worker.run_due() == [] and worker.seconds_to_next() == 10
    clock.now += 10
    assert [r.name for r in worker.run_due()] == ["fast"]
    clock.now += 50
    assert [r.name for r in worker.run_due()] == ["fast", "slow"]
    assert [r.name for r in worker.run_all()] == ["fast", "slow"]  # --once: due or not
    assert ran == ["fast", "slow", "fast", "fast", "slow", "fast", "slow"]


def test_run_forever_stops_when_asked(committed_engine: Engine) -> None:
    ran: list[str] = []
    worker = Worker([_counting("tick", 0.05, ran)], engine=committed_engine)
    rounds: list[int] = []
    thread = threading.Thread(target=worker.run_forever, args=(lambda r: rounds.append(len(r)),))
    thread.start()
    deadline = time.monotonic() + 10
    while len(ran) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    worker.stop()
    thread.join(timeout=10)
    assert not thread.is_alive() and worker.stopping
    assert len(ran) >= 3 and set(rounds) == {1}


def test_intervals_and_job_names_come_from_settings_and_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZHENGWU_WORKER_JOBS", '["search-refresh", "outbox-delivery"]')
    monkeypatch.setenv("ZHENGWU_WORKER_INTERVALS", '{"search-refresh": 5}')
    get_settings.cache_clear()
    worker = Worker.from_settings()
    assert [j.name for j in worker.jobs] == ["outbox-delivery", "search-refresh"]  # run order
    assert worker.intervals == {"outbox-delivery": 30, "search-refresh": 5}
    assert Worker.from_settings(["desk-escalation"], every=2).intervals == {"desk-escalation": 2}
    with pytest.raises(InvalidInputError, match="nope"):
        Worker.from_settings(["nope"])
    monkeypatch.setenv("ZHENGWU_WORKER_INTERVALS", '{"search-refrsh": 5}')  # misspelt
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError) as caught:
        Worker.from_settings()
    assert (
        "未知的后台任务" in caught.value.message_zh and "search-refrsh" in caught.value.message_en
    )
    with pytest.raises(InvalidInputError, match="more than 0"):
        Worker(select_jobs(), intervals={"search-refresh": 0})


def test_two_workers_never_run_one_job_at_once(committed_engine: Engine) -> None:
    """PostgreSQL: the second worker skips the job; SQLite: it waits for the first's step."""
    with Session(committed_engine) as session:
        session.add(Account(platform="weibo", uid="3001", name="郑州发布"))
        session.commit()
    job = get_job("search-refresh")
    other = committed_engine.connect()
    holder = other.begin()
    if committed_engine.dialect.name == "postgresql":
        other.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(job)})
        skipped = run_job(job, engine=committed_engine)
        holder.rollback()
        other.close()
        assert skipped.skipped and skipped.ok and skipped.counts == {}
    else:
        other.exec_driver_sql("BEGIN IMMEDIATE")  # another writer holds SQLite's lock
        timer = threading.Timer(0.5, lambda: (holder.rollback(), other.close()))
        timer.start()
        waited = run_job(job, engine=committed_engine)
        timer.join()
        assert waited.ok and not waited.skipped and waited.seconds >= 0.4
        assert waited.counts == {"accounts": 1, "requests": 0}
    after = run_job(job, engine=committed_engine)
    assert after.ok and not after.skipped
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 1
        assert indexer.stats(session)["accounts"] == 1


def test_the_outbox_file_connector_names_files_safely(tmp_path: Path) -> None:
    connector = outbox_service.FileConnector(tmp_path / "out")
    message = OutboxMessage(id=7, kind="other", platform="../We Chat", body="通知")
    assert connector.send(message) == "local-7"
    (written,) = (tmp_path / "out").iterdir()
    assert written.name == "___we_chat.jsonl"
    assert orjson.loads(written.read_bytes())["body"] == "通知"


def test_on_the_demos_data_escalation_runs_on_the_demos_clock(committed_engine: Engine) -> None:
    """The demo's data (its demo-input/truth.json in the data directory): 督办 judges the
    deadlines as of the simulated period's end, as the demo's own sweep, never today."""
    ids = _world(committed_engine)
    truth = get_settings().data_dir / "demo-input" / "truth.json"
    truth.parent.mkdir(parents=True, exist_ok=True)
    # The period ends the day after the request came: its deadlines are still ahead.
    truth.write_bytes(orjson.dumps({"window": {"start": "2025-07-01", "end": "2025-07-03"}}))
    [report] = run_jobs(select_jobs(["desk-escalation"]), engine=committed_engine)
    assert report.ok and report.counts == {"supervised": 0}  # today, it would be overdue
    # A longer period: overdue at its end, and supervised as of then.
    truth.write_bytes(orjson.dumps({"window": {"start": "2025-07-01", "end": "2025-09-01"}}))
    [report] = run_jobs(select_jobs(["desk-escalation"]), engine=committed_engine)
    assert report.counts == {"supervised": 1}
    with Session(committed_engine) as session:
        request = session.get(ServiceRequest, ids["request"])
        assert request is not None and request.supervision_count == 1
        # 00:00 China time of the window's end day, not today.
        assert request.supervised_at == datetime(2025, 8, 31, 16, tzinfo=UTC)
