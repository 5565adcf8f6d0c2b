"""Stored deadlines after a new working-day calendar: unchanged until `recompute`, which
counts open requests' deadlines again from their record, with audit entries (SQLite and
PostgreSQL), and the `zhengwu desk calendar` commands.

The 2031 schedule used here is made up for the tests (one working Saturday); 2031 is a year
no built-in calendar covers for years, so its deadlines are provisional until it is loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import PUBLIC
from zhengwu.cli.main import app
from zhengwu.config import get_settings
from zhengwu.servicedesk import recompute, service, workdays
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake
from zhengwu.servicedesk.workdays import DEFAULT, WEEKDAYS_ONLY, add_working_days

from .conftest import World, build_world

CN = ZoneInfo("Asia/Shanghai")
TEXT = "金水区文化路小区物业不作为，电梯坏了一个月没人修"  # 0101 物业管理: 1 and 15 days
SCHEDULE = """\
source = "测试用安排（非真实）/ made up for tests"
years = [2031]
holidays = [2031-01-01, 2031-01-22, 2031-01-23, 2031-01-24, 2031-01-25, 2031-04-05,
            2031-05-01, 2031-05-02, 2031-06-24, 2031-10-01, 2031-10-02, 2031-10-03]
[workdays]
2031-01-11 = "测试用调休（非真实）"
"""
runner = CliRunner()


def cn(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CN)


def iso(moment: datetime) -> str:
    """Return ``moment`` as the desk stores and reports it: ISO, in UTC."""
    return moment.astimezone(UTC).isoformat()


def _receive(session: Session, text: str, received: datetime) -> ServiceRequest:
    intake = RequestIntake(source="form", text=text, submitted_at=received)
    return service.receive(session, intake=intake, actor=PUBLIC, now=received).request


def _as_before_the_fix(session: Session, request: ServiceRequest) -> None:
    """Make ``request`` look as an earlier version stored it: deadlines counted Monday to
    Friday after 2026, and a receive entry without the working days."""
    request.response_due = add_working_days(request.received_at, 1, calendar=WEEKDAYS_ONLY)
    request.resolve_due = add_working_days(request.received_at, 15, calendar=WEEKDAYS_ONLY)
    entry = session.scalar(select(AuditEntry).where(
        AuditEntry.entity_id == request.id, AuditEntry.entity_type == "request",
        AuditEntry.action == "receive"))  # fmt: skip
    assert entry is not None and entry.data is not None
    assert (entry.data["response_days"], entry.data["resolve_days"]) == (1, 15)
    entry.data = {k: v for k, v in entry.data.items() if not k.endswith("_days")}
    session.flush()


def _entries(session: Session, request: ServiceRequest) -> list[AuditEntry]:
    history = audit_service.history(session, entity_type="request", entity_id=request.id)
    return [e for e in history if e.action == recompute.ACTION]


def test_deadlines_stored_before_the_fix_are_counted_again_only_on_request(
    session: Session, world: World
) -> None:
    old = _receive(session, TEXT, cn(2030, 12, 27, 10))
    _as_before_the_fix(session, old)
    assert old.resolve_due == cn(2031, 1, 17, 10)  # counted 元旦 as a working day
    done = _receive(session, TEXT + "，另一栋楼", cn(2030, 12, 27, 11))
    _as_before_the_fix(session, done)
    done.state, done.resolved_at = "resolved", cn(2030, 12, 29, 7)
    edited = _receive(session, TEXT + "，停车位被占", cn(2030, 12, 27, 12))
    edited.resolve_due = add_working_days(edited.received_at, 12)  # not what its record says
    session.flush()
    # Reading them changes nothing: the stored deadlines are what the desk shows and judges.
    session.expire_all()
    assert session.get(ServiceRequest, old.id).resolve_due == cn(2031, 1, 17, 10)  # type: ignore[union-attr]

    now = cn(2030, 12, 29, 8)
    dry = recompute.recompute_open(session, calendar=DEFAULT, actor=world.principals["admin"],
                                   now=now, dry_run=True)  # fmt: skip
    assert [(c.public_id, c.field) for c in dry.changed] == [(old.public_id, "resolve_due")]
    assert old.resolve_due == cn(2031, 1, 17, 10)  # a dry run writes nothing
    assert _entries(session, old) == []

    report = recompute.recompute_open(session, calendar=DEFAULT,
                                      actor=world.principals["admin"], now=now)  # fmt: skip
    assert report.checked == 2  # the resolved request is not open
    assert [c.to_dict() for c in report.changed] == [{
        "public_id": old.public_id, "field": "resolve_due",
        "old": iso(cn(2031, 1, 17, 10)), "new": iso(cn(2031, 1, 20, 10)),
        "days": 15,
    }]  # fmt: skip
    assert report.unexplained == [(edited.public_id, "resolve_due")]
    assert old.resolve_due == cn(2031, 1, 20, 10)
    assert done.resolve_due == cn(2031, 1, 17, 11)  # resolved: history, left alone
    assert edited.resolve_due == add_working_days(edited.received_at, 12)
    [entry] = _entries(session, old)
    assert entry.data is not None
    assert entry.data["field"] == "resolve_due"
    assert entry.data["old"] == iso(cn(2031, 1, 17, 10))
    assert entry.data["new"] == iso(cn(2031, 1, 20, 10))
    assert entry.actor_name == world.principals["admin"].display_name
    assert "重算办结期限" in (entry.reason or "")
    # Again: nothing left to change.
    again = recompute.recompute_open(session, calendar=DEFAULT,
                                     actor=world.principals["admin"], now=now)  # fmt: skip
    assert again.changed == []
    assert len(_entries(session, old)) == 1
    # A deadline already passed was judged: it stays.
    late = recompute.recompute_open(session, calendar=WEEKDAYS_ONLY,
                                    actor=world.principals["admin"], now=cn(2031, 2, 3))  # fmt: skip
    assert late.checked == 0


def test_a_loaded_schedule_counts_extensions_and_reopenings_again(
    session: Session, world: World, tmp_path: Path
) -> None:
    office, lead = world.principals["office"], world.principals["js_housing"]
    req = _receive(session, TEXT, cn(2030, 12, 27, 10))
    assert req.organization_id == world.orgs["js_housing"]
    assert req.resolve_due == cn(2031, 1, 20, 10)  # statutory: 元旦 is off
    at = cn(2030, 12, 30, 9)
    service.perform(session, request=req, action="accept", actor=lead, now=at)
    service.perform(session, request=req, action="request_extension", actor=lead, now=at,
                    data=ActionInput(days=5, reason="需召开业主大会"))  # fmt: skip
    service.perform(session, request=req, action="approve_extension", actor=office, now=at)
    assert req.resolve_due == cn(2031, 1, 30, 10)  # + 5: 春节 22–25 January is off
    path = tmp_path / "2031.toml"
    path.write_text(SCHEDULE, encoding="utf-8")
    schedule = workdays.load_calendar(path)
    report = recompute.recompute_open(session, calendar=schedule, actor=office, now=at)
    # The made-up working Saturday 11 January: one day earlier, extension included.
    assert [(c.field, c.new, c.days) for c in report.changed] == [
        ("resolve_due", cn(2031, 1, 29, 10), 20)
    ]
    [entry] = _entries(session, req)
    assert entry.data is not None
    assert entry.data["extensions"] == [5]
    assert entry.data["calendar"] == schedule.source
    # Reopened later: the deadline runs anew from the reopening (on the calendar then).
    lead_reply = ActionInput(reply_text="已维修电梯。")
    service.perform(session, request=req, action="resolve", actor=lead, now=cn(2030, 12, 31, 9),
                    data=lead_reply)  # fmt: skip
    service.perform(session, request=req, action="reopen", actor=office, now=cn(2031, 1, 2, 9),
                    data=ActionInput(reason="电梯又坏了"))  # fmt: skip
    assert req.resolve_due == add_working_days(cn(2031, 1, 2, 9), 15)
    report = recompute.recompute_open(session, calendar=schedule, actor=office,
                                      now=cn(2031, 1, 2, 10))  # fmt: skip
    assert [(c.field, c.new) for c in report.changed] == [
        ("resolve_due", add_working_days(cn(2031, 1, 2, 9), 15, calendar=schedule))
    ]


def _invoke(args: list[str]) -> tuple[int, str, str]:
    result = runner.invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_calendar_commands(configured_database: str, committed_engine: Engine,
                           tmp_path: Path) -> None:  # fmt: skip
    with Session(committed_engine) as session:
        build_world(session)
        req = _receive(session, TEXT, cn(2030, 12, 27, 10))
        session.commit()
        public_id, due = req.public_id, req.resolve_due
    code, out, err = _invoke(["desk", "calendar", "show", "--year", "2031", "--json"])
    assert code == 0, err
    shown = orjson.loads(out)
    assert shown["file"] is None
    [year] = shown["years"]
    assert year["status"] == "provisional"
    assert {"date": "2031-01-22", "name": "春节"} in year["holidays"]
    assert year["workdays"] == []
    assert year["owed_days_in_lieu"] == 3
    assert "2031 年的国务院办公厅放假安排尚未载入" in err  # said once, on stderr
    assert err.count("尚未载入") == 1
    code, out, err = _invoke(["desk", "calendar", "show", "--year", "2026"])
    assert code == 0 and "官方安排（内置）" in out and "春节调休" in out and err == ""

    bad = tmp_path / "bad.toml"
    bad.write_text("workdays = [2031-01-06]\n", encoding="utf-8")
    code, out, err = _invoke(["desk", "calendar", "check", str(bad)])
    assert code == 2
    assert "本来就是工作日" in err and "is a working day already" in err
    code, _, err = _invoke(["desk", "calendar", "import", str(bad)])
    assert code == 2
    target = get_settings().resolved_desk_calendar
    assert not target.exists()  # nothing was written

    path = tmp_path / "2031.toml"
    path.write_text(SCHEDULE, encoding="utf-8")
    code, out, err = _invoke(["desk", "calendar", "check", str(path), "--json"])
    assert code == 0, err
    assert orjson.loads(out)["years"] == [
        {"year": 2031, "complete": True, "holidays": 12, "workdays": 1}
    ]
    code, out, err = _invoke(["desk", "calendar", "import", str(path), "--dry-run",
                              "--recompute", "--json"])  # fmt: skip
    assert code == 0, err
    dry = orjson.loads(out)
    assert dry["dry_run"] is True
    assert [c["public_id"] for c in dry["recompute"]["changed"]] == [public_id]
    assert not target.exists()
    code, out, err = _invoke(["desk", "calendar", "import", str(path)])
    assert code == 0, err
    assert "已载入 loaded" in out and "deadlines already set are unchanged" in out
    assert workdays.load_calendar(target).years == {2031}
    with Session(committed_engine) as session:
        [entry] = session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "desk_calendar")).all()  # fmt: skip
        assert (entry.action, entry.actor_name) == ("import", "命令行")
        assert entry.data is not None and entry.data["workdays"] == ["2031-01-11"]
        stored = session.scalar(select(ServiceRequest).where(ServiceRequest.public_id == public_id))
        assert stored is not None and stored.resolve_due == due  # not changed by the import
    code, out, err = _invoke(["desk", "calendar", "show", "--year", "2031"])
    assert code == 0 and "官方安排（日历文件）" in out and "测试用调休" in out and err == ""

    # Import again (the same year once more): the replaced file is kept as .previous.
    code, _, err = _invoke(["desk", "calendar", "import", str(path)])
    assert code == 0, err
    assert target.with_name(target.name + ".previous").exists()
    code, out, err = _invoke(["desk", "calendar", "recompute", "--json"])
    assert code == 0, err
    report = orjson.loads(out)
    assert [(c["public_id"], c["field"]) for c in report["changed"]] == [(public_id, "resolve_due")]
    with Session(committed_engine) as session:
        stored = session.scalar(select(ServiceRequest).where(ServiceRequest.public_id == public_id))
        assert stored is not None and stored.resolve_due == cn(2031, 1, 17, 10)
        assert session.scalar(select(AuditEntry.action).where(
            AuditEntry.entity_id == stored.id, AuditEntry.action == recompute.ACTION
        )) == recompute.ACTION  # fmt: skip


def test_import_csv_says_once_that_deadlines_are_provisional(
    configured_database: str, committed_engine: Engine, tmp_path: Path
) -> None:
    with Session(committed_engine) as session:
        build_world(session)
        session.commit()
    path = tmp_path / "export.csv"
    path.write_text(
        "工单编号,受理时间,诉求内容\n"
        f"B1,2030-12-27 10:00:00,{TEXT}\n"
        "B2,2030-12-30 10:00:00,金水区花园路路灯不亮已经一周了\n",
        encoding="utf-8",
    )
    code, out, err = _invoke(["desk", "import-csv", str(path), "--json"])
    assert code == 0, err
    assert orjson.loads(out)["created"] == 2
    assert err.count("警告 warning") == 1  # one notice for both requests and both years
    assert err.count("2031 年的国务院办公厅放假安排尚未载入") == 1
    assert "deadlines in 2030 are provisional" in err
    earlier = tmp_path / "earlier.csv"
    earlier.write_text(f"工单编号,受理时间,诉求内容\nC1,2025-07-02 10:00:00,{TEXT}\n",
                       encoding="utf-8")  # fmt: skip
    code, out, err = _invoke(["desk", "import-csv", str(earlier)])
    assert code == 0, err
    assert "尚未载入" not in err  # 2025 has its official schedule
