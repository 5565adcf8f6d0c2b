"""Hotline exports of history: closed tickets come in closed, imported history is not swept
into 督办, hotline calls stay private, and another channel's ticket number is not taken for
a ticket on file — on the batched and the per-row path alike."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.chinatime import CHINA
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.servicedesk import csvbatch, rates, service
from zhengwu.servicedesk.csvimport import BATCH_ROWS, import_csv
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.scheduled import escalate_overdue, overdue_at_intake
from zhengwu.servicedesk.schemas import ActionInput
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World
from .test_csv_batches import _two_imports

HEADER = ["工单编号", "来电时间", "诉求内容", "联系电话", "答复意见", "答复时间", "办理状态",
          "办结时间", "满意度", "回访时间"]  # fmt: skip
PATHS = pytest.mark.parametrize("batch_rows", [0, BATCH_ROWS], ids=["per-row", "batched"])


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def _get(session: Session, ref: str) -> ServiceRequest:
    found = session.scalar(select(ServiceRequest).where(ServiceRequest.source_ref == ref))
    assert found is not None, ref
    return found


def _reasons(session: Session, run_id: int | None) -> dict[str, str]:
    rows = session.execute(
        select(QuarantineEntry.source, QuarantineEntry.reason)
        .where(QuarantineEntry.run_id == run_id).order_by(QuarantineEntry.id)
    ).all()  # fmt: skip
    return {source.rsplit(":", 1)[1]: reason for source, reason in rows}


def _history(session: Session, request: ServiceRequest) -> list[tuple[Any, ...]]:
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "request",
                                 AuditEntry.entity_id == request.id).order_by(AuditEntry.id)
    )  # fmt: skip
    return [(e.action, e.from_state, e.to_state, e.reason, e.at) for e in entries]


CLOSED = [
    # A 2019 call answered, closed and rated at its own times.
    ["H1", "2019-04-25 09:32:09", "金水区丰产路路灯不亮", "13800000001", "已修复", "2019-04-26 10:00",
     "已办结", "2019-04-27 10:00", "满意", "2019-04-28 09:00"],
    # Closed without a 办结时间: closed when it was answered.
    ["H2", "2019-05-01 08:00", "二七区大学路井盖丢失", "13800000002", "已补装", "2019-05-02 08:00",
     "已办结", "", "", ""],
    # Still open in the export.
    ["H3", "2019-05-03 08:00", "中原区建设路噪音扰民", "13800000003", "", "", "办理中", "", "", ""],
    # A 办结时间 alone says closed; 未评价 is no rating.
    ["H4", "2019-05-04 08:00", "惠济区某小区停水三天", "", "", "", "", "2019-05-20 17:00", "未评价",
     ""],
    # Unusable: closed without any time, an unknown status, open with a 办结时间, an
    # unreadable rating, a 办结 before the call.
    ["H5", "2019-05-05 08:00", "管城区某路段积水", "", "", "", "已办结", "", "", ""],
    ["H6", "2019-05-05 08:00", "管城区某路段积水严重", "", "", "", "搁置", "", "", ""],
    ["H7", "2019-05-05 08:00", "管城区某路段又积水", "", "", "", "办理中", "2019-05-06", "", ""],
    ["H8", "2019-05-05 08:00", "管城区某路段还积水", "", "", "", "已办结", "2019-05-06", "很好", ""],
    ["H9", "2019-05-05 08:00", "管城区某路段一直积水", "", "", "", "已办结", "2019-05-04", "", ""],
]  # fmt: skip


@PATHS
def test_closed_tickets_are_imported_closed_at_their_own_times(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    path = _write(tmp_path / "history.csv", CLOSED)
    summary = import_csv(session, path, actor=SYSTEM, batch_rows=batch_rows)
    assert (summary.created, summary.quarantined, summary.replies, summary.closed) == (4, 5, 2, 3)
    reasons = _reasons(session, summary.run_id)
    assert reasons["6"] == "已办结但缺少办结时间 / closed without its resolution time (办结时间)"
    assert reasons["7"].startswith("办理状态无法识别：'搁置'（已办结：")
    assert reasons["8"].startswith(
        "办理状态为「办理中」（未办结），却有办结时间 / status '办理中' says"
    )
    assert reasons["9"].startswith("满意度无法识别：'很好'")
    assert reasons["10"].startswith("办结时间早于受理时间 / resolution time 2019-05-04 00:00")

    h1 = _get(session, "12345:H1")
    at = {k: datetime.fromisoformat(v).replace(tzinfo=CHINA) for k, v in (
        ("call", "2019-04-25 09:32:09"), ("reply", "2019-04-26 10:00"),
        ("close", "2019-04-27 10:00"), ("rated", "2019-04-28 09:00"))}  # fmt: skip
    assert (h1.state, h1.resolved_at, h1.satisfaction, h1.followed_up_at, h1.first_response_at) == (
        "followed_up", at["close"], 5, at["rated"], at["reply"])  # fmt: skip
    assert h1.version == 4  # received → replied → resolved → followed_up
    history = _history(session, h1)
    assert [(a, f, t, r) for a, f, t, r, _ in history[2:]] == [
        ("reply", "received", "replied", "导入的答复 / reply imported from an export"),
        ("resolve", "replied", "resolved", "导入的办结 / resolution imported from an export"),
        ("follow_up", "resolved", "followed_up", "导入的回访 / follow-up imported from an export"),
    ]
    assert [e[4] for e in history[2:]] == [at["reply"], at["close"], at["rated"]]
    h2 = _get(session, "12345:H2")
    assert (h2.state, h2.resolved_at) == ("resolved", datetime(2019, 5, 2, tzinfo=UTC))
    assert h2.satisfaction is None
    assert _get(session, "12345:H3").state == "received"
    h4 = _get(session, "12345:H4")
    assert (h4.state, h4.first_response_at, h4.satisfaction) == ("resolved", h4.resolved_at, None)

    # The rates count them: 办结率 3 of 4, 满意率 1 of 1.
    rows = rates.compute(session, start=date(2019, 1, 1), end=date(2020, 1, 1), by="category")
    totals = [sum(getattr(r, k) for r in rows) for k in ("n", "resolved", "followed_up",
                                                         "satisfied")]  # fmt: skip
    assert totals == [4, 3, 1, 1]

    # The same file again records nothing; a later export closing H3 closes it, once.
    audit = session.scalar(select(func.count()).select_from(AuditEntry))
    again = import_csv(session, path, actor=SYSTEM, batch_rows=batch_rows)
    assert (again.existing, again.replies, again.closed, again.quarantined) == (4, 0, 0, 5)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit
    later = _write(tmp_path / "later.csv", [
        ["H3", "2019-05-03 08:00", "中原区建设路噪音扰民", "13800000003", "已责令整改",
         "2019-05-08 08:00", "已办结", "2019-05-09 08:00", "4", ""],
    ])  # fmt: skip
    for _ in range(2):
        closing = import_csv(session, later, actor=SYSTEM, batch_rows=batch_rows)
        assert closing.existing == 1
    assert (closing.replies, closing.closed) == (0, 0)  # the second time: recorded already
    h3 = _get(session, "12345:H3")
    assert (h3.state, h3.satisfaction, h3.followed_up_at) == (
        "followed_up", 4, datetime(2019, 5, 9, tzinfo=UTC))  # fmt: skip


def test_a_closing_of_a_ticket_returned_on_the_desk_is_refused_with_its_reason(
    session: Session, world: World, tmp_path: Path
) -> None:
    rows = [
        ["R1", "2025-07-01 08:00", "金水区经三路夜间施工噪音扰民", "", "", "", "办理中", "", "", ""]
    ]
    path = _write(tmp_path / "r.csv", rows)
    import_csv(session, path, actor=SYSTEM)
    request = _get(session, "12345:R1")
    service.perform(session, request=request, action="accept", actor=world.principals["js_eco"])
    service.perform(session, request=request, action="return", actor=world.principals["js_eco"],
                    data=ActionInput(reason="不属于本单位"))  # fmt: skip
    rows[0][6:8] = ["已办结", "2025-07-05 08:00"]
    for batch_rows in (0, BATCH_ROWS):
        summary = import_csv(session, _write(tmp_path / "c.csv", rows), actor=SYSTEM,
                             batch_rows=batch_rows)  # fmt: skip
        assert (summary.quarantined, summary.closed) == (1, 0)
        assert "不能执行「办结」" in _reasons(session, summary.run_id)["2"]
    assert _get(session, "12345:R1").state == "returned"


def test_imported_history_is_not_swept_into_supervision(
    session: Session, world: World, shared_data: Path, tmp_path: Path
) -> None:
    # The tester's case: real 2019 messages with their official replies, no status column.
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[:61]
    now = datetime.now(UTC).astimezone(CHINA)
    fresh = ["F1", "", "", f"{now - timedelta(hours=1):%Y-%m-%d %H:%M:%S}", "金水区花园路井盖缺失",
             "", ""]  # fmt: skip
    path = _write(tmp_path / "real.csv", [*rows[1:], fresh], header=rows[0])
    summary = import_csv(session, path, actor=SYSTEM)
    assert (summary.read, summary.quarantined, summary.replies) == (61, 0, 60)
    history = summary.created + summary.merged - 1
    assert summary.overdue_at_intake == summary.created - 1  # all but the fresh call
    # Live, the sweep leaves the history to the office: nothing supervised, nothing rewritten.
    assert escalate_overdue(session) == []
    assert overdue_at_intake(session) == summary.created - 1
    assert overdue_at_intake(session, within=world.principals["js_housing"]) <= history
    assert (
        session.scalar(select(func.count()).where(ServiceRequest.supervised_at.is_not(None))) == 0
    )
    # It shows as overdue, though.
    late = service.search(session, principal=world.principals["admin"], overdue=True)
    assert len(late) == summary.created - 1
    # The fresh call is chased when its own deadline passes (judged a month on).
    swept = escalate_overdue(session, now=datetime.now(UTC) + timedelta(days=40))
    assert [r.source_ref for r in swept] == ["12345:F1"]


def test_hotline_calls_are_private_unless_the_file_or_the_import_says_otherwise(
    session: Session, world: World, tmp_path: Path
) -> None:
    header = ["工单编号", "来电时间", "诉求内容", "是否公开"]
    rows = [["P1", "2025-07-01 08:00", "邻居装修噪音扰民，实名举报", ""],
            ["P2", "2025-07-01 09:00", "金水区丰产路路灯不亮", "是"],
            ["P3", "2025-07-01 10:00", "某医院收费不合理", "否"],
            ["P4", "2025-07-01 11:00", "二七区大学路井盖丢失", "yes"],
            ["P5", "2025-07-01 12:00", "二七区大学路井盖又丢了", "公开吧"]]  # fmt: skip
    path = _write(tmp_path / "p.csv", rows, header=header)
    summary = import_csv(session, path, actor=SYSTEM)
    assert (summary.created, summary.quarantined) == (4, 1)
    assert _reasons(session, summary.run_id)["6"].startswith("是否公开无法识别：'公开吧'")
    shown = set(
        session.scalars(service.public_requests().with_only_columns(ServiceRequest.source_ref))
    )
    assert {"12345:P1", "12345:P3"}.isdisjoint(shown)
    assert {"12345:P2", "12345:P4"} <= shown
    # --public makes the rows public unless the row says 否.
    rows = [[f"Q{r[0][1]}", *r[1:]] for r in rows[:3]]
    import_csv(session, _write(tmp_path / "q.csv", rows, header=header), actor=SYSTEM, public=True)
    public = {ref: _get(session, ref).is_public for ref in ("12345:Q1", "12345:Q2", "12345:Q3")}
    assert public == {"12345:Q1": True, "12345:Q2": True, "12345:Q3": False}


OTHER_CHANNEL = "岳麓区麓山南路井盖丢失，夜里有人掉进去"


@PATHS
def test_another_channels_ticket_with_a_known_number_is_quarantined_not_existing(
    session: Session, world: World, shared_data: Path, tmp_path: Path, batch_rows: int
) -> None:
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        real = list(csv.reader(fh))[:11]  # 留言编号 2549 first
    real_path = _write(tmp_path / "real.csv", real[1:], header=real[0])
    first = import_csv(session, real_path, actor=SYSTEM, batch_rows=batch_rows)
    assert first.created + first.merged == 10
    # The same file again: existing, nothing added (idempotent).
    again = import_csv(session, real_path, actor=SYSTEM, batch_rows=batch_rows)
    assert (again.existing, again.quarantined) == (10, 0)
    # The tester's other.csv: ticket 2549 of another channel.
    other = _write(tmp_path / "other.csv",
                   [["2549", "2026/11/20 10:00", OTHER_CHANNEL, "13912345678"]],
                   header=["编号", "来电时间", "诉求内容", "联系电话"])  # fmt: skip
    clash = import_csv(session, other, actor=SYSTEM, batch_rows=batch_rows)
    assert (clash.existing, clash.created, clash.quarantined) == (0, 0, 1)
    reason = _reasons(session, clash.run_id)["2"]
    assert reason.startswith(
        "编号已存在但内容不同（诉求内容、受理时间、联系电话或邮箱）：12345:2549"
    )
    assert "--source" in reason and "ticket number already on file" in reason
    # Each differing part alone is enough: the time, the phone, the text.
    r2549 = real[1]
    for when, phone, text, what in (
        ("2019/4/25 9:32:10", "", f"{r2549[2]}：{r2549[4]}", "受理时间"),
        (r2549[3], "13912345678", f"{r2549[2]}：{r2549[4]}", "联系电话或邮箱"),
        (r2549[3], "", OTHER_CHANNEL, "诉求内容"),
    ):
        one = _write(tmp_path / "one.csv", [["2549", when, text, phone]],
                     header=["编号", "来电时间", "诉求内容", "联系电话"])  # fmt: skip
        refused = import_csv(session, one, actor=SYSTEM, batch_rows=batch_rows)
        assert refused.quarantined == 1, what
        assert f"编号已存在但内容不同（{what}）" in _reasons(session, refused.run_id)["2"]
    # The same ticket exported again with its subject and text apart, and its reply: existing.
    assert again.replies == 0
    # Under its own source the other channel's ticket goes in.
    own = import_csv(session, other, actor=SYSTEM, batch_rows=batch_rows, source="csv")
    assert own.created == 1
    assert _get(session, "csv:2549").text == OTHER_CHANNEL


@PATHS
@pytest.mark.parametrize(
    ("via", "named", "not_named"),
    [
        ("cli", "请用 --source 指定其来源", ("来源」下拉框", "source 字段")),
        ("console", "请在「来源」下拉框中选择其来源", ("--source", "source 字段")),
        ("api", "请在 source 字段中指定其来源", ("--source", "下拉框")),
    ],
    ids=["cli", "console", "api"],
)  # fmt: skip
def test_the_advice_on_a_known_number_names_where_the_source_is_chosen(
    session: Session, world: World, tmp_path: Path, batch_rows: int, via: csvbatch.Via,
    named: str, not_named: tuple[str, ...],
) -> None:  # fmt: skip
    header = ["编号", "来电时间", "诉求内容", "联系电话"]
    first = _write(tmp_path / "a.csv", [["N1", "2025-07-01 08:00", "金水区路灯不亮", ""]], header)
    assert import_csv(session, first, actor=SYSTEM, batch_rows=batch_rows).created == 1
    other = _write(tmp_path / "b.csv", [["N1", "2025-07-02 08:00", OTHER_CHANNEL, ""]], header)
    clash = import_csv(session, other, actor=SYSTEM, batch_rows=batch_rows, via=via)
    assert clash.quarantined == 1
    reason = _reasons(session, clash.run_id)["2"]
    zh, en = csvbatch.SOURCE_CHOICE[via]
    assert named in reason and reason.endswith(en) and f"{zh} / " in reason
    assert [word for word in not_named if word in reason] == []


def test_two_rows_of_one_number_in_one_file_differ_the_second_is_quarantined(
    session: Session, world: World, tmp_path: Path
) -> None:
    rows = [["D1", "2025-07-01 08:00", "金水区丰产路路灯不亮", "13800000001", "", "", "", "", "", ""],
            ["D1", "2025-07-01 08:00", "二七区大学路井盖丢失", "13800000001", "", "", "", "", "", ""],
            ["D1", "2025-07-01 08:00", "金水区丰产路路灯不亮", "13800000001", "已修复",
             "2025-07-02 08:00", "", "", "", ""]]  # fmt: skip
    path = _write(tmp_path / "d.csv", rows)
    for batch_rows in (0, 2, BATCH_ROWS):
        savepoint = session.begin_nested()
        summary = import_csv(session, path, actor=SYSTEM, batch_rows=batch_rows)
        assert (summary.created, summary.quarantined, summary.existing, summary.replies) == (
            1, 1, 1, 1)  # fmt: skip
        assert "编号已存在但内容不同（诉求内容）" in _reasons(session, summary.run_id)["3"]
        savepoint.rollback()


def _closing_rows() -> tuple[list[list[str]], list[list[str]]]:
    """Two exports: the first with open tickets, the second closing, rating, repeating,
    clashing and copying them (every path of a closing and of a known number)."""
    p1, p2, p3 = "13912345678", "13698765432", "13511112222"
    noise = "金水区经三路夜间施工噪音扰民，凌晨两点还在打桩"
    lift = "金水区丰产路56号院电梯坏了一个月没人修"
    first = [
        ["K1", "2025-07-01 10:00", noise, p1, "", "", "办理中", "", "", ""],
        ["K2", "2025-07-02 11:00", lift, p2, "已督促物业", "2025-07-03 09:00", "", "", "", ""],
        ["K3", "2025-07-02 12:00", "二七区大学路井盖丢失", p3, "", "", "", "", "", ""],
    ]
    second = [
        *first,
        # K1 closed and rated later; K2 closed at its reply; K3 now clashes (another text).
        ["K1", "2025-07-01 10:00", noise, p1, "已责令停工", "2025-07-04 09:00", "已办结",
         "2025-07-05 10:00", "基本满意", "2025-07-06 10:00"],
        ["K2", "2025-07-02 11:00", lift, p2, "已督促物业", "2025-07-03 09:00", "已办结", "", "", ""],
        ["K3", "2025-07-02 12:00", "中原区建设路噪音扰民", p3, "", "", "", "", "", ""],
        # A copy of K1 by the same caller after K1 closed: a new request, closed itself.
        ["K4", "2025-07-07 10:00", noise + "，又开始了", p1, "", "", "已办结", "2025-07-08 10:00",
         "2", ""],
        # A copy of K3 by the same caller while it is open: merged, and closes it.
        ["K5", "2025-07-03 12:00", "二七区大学路井盖丢失！", p3, "", "", "已完成", "2025-07-09",
         "", ""],
        # A copy of K3 (closed now): a new request, open.
        ["K6", "2025-07-10 12:00", "二七区大学路井盖丢失了", p3, "", "", "", "", "", ""],
        # A brand-new closed ticket, rated, and one quarantined (rated but still open).
        ["K7", "2025-07-03 08:00", "惠济区某小区停水三天", "", "", "", "已回访", "2025-07-04",
         "5", "2025-07-05"],
        ["K8", "2025-07-03 08:00", "管城区某路段积水", "", "", "", "待受理", "", "满意", ""],
    ]  # fmt: skip
    return first, second


AS_OF = datetime(2025, 7, 8, 12, tzinfo=CHINA)  # K5's 办结 and K6 come later: quarantined


@pytest.mark.parametrize(
    ("batch_rows", "as_of"), [(2, None), (5, None), (BATCH_ROWS, None), (3, AS_OF)]
)
def test_batches_close_and_refuse_what_one_by_one_closes_and_refuses(
    session: Session, world: World, tmp_path: Path, batch_rows: int, as_of: datetime | None
) -> None:
    first, second = _closing_rows()
    one, two = _write(tmp_path / "1.csv", first), _write(tmp_path / "2.csv", second)
    savepoint = session.begin_nested()
    one_by_one = _two_imports(session, one, two, 0, as_of)
    savepoint.rollback()
    batched = _two_imports(session, one, two, batch_rows, as_of)
    assert batched["counts"] == one_by_one["counts"]
    assert batched["quarantine"] == one_by_one["quarantine"]
    assert batched["sources"] == one_by_one["sources"]
    assert batched["audit"] == one_by_one["audit"]
    assert batched["requests"] == one_by_one["requests"]
    requests = batched["requests"]
    reasons = [reason for _, reason, _ in batched["quarantine"]]
    assert any(r.startswith("编号已存在但内容不同（诉求内容）") for r in reasons)
    assert any("（未办结），却有满意度" in r for r in reasons)
    assert (requests["12345:K1"]["state"], requests["12345:K1"]["satisfaction"]) == (
        "followed_up", 4)  # fmt: skip
    assert requests["12345:K2"]["state"] == "resolved"
    assert requests["12345:K4"]["state"] == "followed_up"
    assert requests["12345:K7"]["satisfaction"] == 5
    counts = batched["counts"][1]
    if as_of is not None:  # on the simulated clock, each at its own time, none later
        assert sum("晚于模拟时钟" in r for r in reasons) == 2
        assert requests["12345:K3"]["state"] == "received"
        assert "12345:K6" not in requests
        k1 = requests["12345:K1"]
        assert (k1["resolved_at"], k1["created_at"]) == (
            datetime(2025, 7, 5, 10, tzinfo=CHINA), datetime(2025, 7, 1, 10, tzinfo=CHINA))  # fmt: skip
        return
    # The scenario reaches every path.
    assert (counts["created"], counts["merged"], counts["existing"]) == (3, 1, 5)
    assert (counts["closed"], counts["quarantined"], counts["replies"]) == (5, 2, 1)
    assert requests["12345:K3"]["state"] == "resolved"  # by its copy K5
    assert requests["12345:K6"]["state"] == "received"
