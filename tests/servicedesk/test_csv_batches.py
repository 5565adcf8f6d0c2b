"""The hotline CSV import by batches: the same requests, sources, audit trail and quarantine as
taking the rows in one by one, across batch boundaries and with the database refusing a batch."""

from __future__ import annotations

import csv
import logging
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.chinatime import CHINA
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.outbox.models import OutboxMessage
from zhengwu.servicedesk import csvbatch, dedup, service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.csvimport import BATCH_ROWS, import_csv
from zhengwu.servicedesk.models import RequestRating, RequestSource, ServiceRequest
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

HEADER = ["工单编号", "受理时间", "标题", "诉求内容", "问题分类", "区划代码", "联系电话", "联系人",
          "答复意见", "答复时间"]  # fmt: skip
NOISE = "金水区经三路夜间施工噪音扰民，凌晨两点还在打桩"
LIFT = "金水区丰产路56号院电梯坏了一个月没人修"


def _real(shared_data: Path, n: int, *, replies: bool) -> list[list[str]]:
    """The first ``n`` real messages with replies, as hotline rows (phones from a small pool)."""
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))[:n]
    return [
        [r["留言编号"], r["留言时间"], r["留言主题"], r["留言详情"], "", "", f"1380000{i % 4:04d}",
         r["留言用户"], r["答复意见"] if replies else "", r["答复时间"] if replies else ""]
        for i, r in enumerate(rows)
    ]  # fmt: skip


def _made_up() -> list[list[str]]:
    """Rows for every way a row can go: new, copy, copy with reply, reply refused, repeats."""
    p1, p2 = "13912345678", "13698765432"
    return [
        ["C1", "2025-07-01 10:00", "", NOISE, "噪声污染", "410105", p1, "王五", "", ""],
        ["C2", "2025-07-02 10:00", "", NOISE + "，还没人管吗？", "", "", p1, "王五", "", ""],
        ["C3", "2025-07-03 10:00", "", NOISE, "", "", p1, "王五", "已责令停工", "2025-07-04 09:00"],
        ["C4", "2025-07-05 10:00", "", NOISE, "", "", p1, "王五", "再次核查", "2025-07-06 09:00"],
        ["C1", "2025-07-01 10:00", "", NOISE, "噪声污染", "410105", p1, "王五", "已处理", "2025-07-07"],
        ["C5", "2025-07-02 11:00", "电梯", LIFT, "物业管理", "", p2, "", "已督促物业维修", "2025-07-03"],
        ["C5", "2025-07-02 11:00", "电梯", LIFT, "物业管理", "", p2, "", "已督促物业维修", "2025-07-03"],
        ["C6", "not a time", "", "内容", "", "", "", "", "", ""],
        ["C7", "2025-07-03", "", "", "", "", "", "", "", ""],
        ["C8", "2025-07-03", "", "中原区建设路井盖丢失", "", "", "", "", "已修复", ""],
        ["", "2025-07-04 08:00", "", "二七区大学路路灯不亮", "", "", "", "", "", ""],
        ["C9", "2025-07-04", "", "惠济区某小区停水三天", "", "12", "", "", "", ""],
        ["C10", "2025-07-06 10:00", "", LIFT + "，物业说没钱修", "", "", p2, "", "", ""],
    ]  # fmt: skip


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def _dump(session: Session, run_ids: list[int | None], clocked: bool) -> dict[str, Any]:
    """Everything the import leaves, keyed so that two runs compare (no ids; the desk's
    times only on a simulated clock, where they are the rows' own)."""
    session.expire_all()
    requests = session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)).all()
    ref = {r.id: r.source_ref for r in requests}
    skip = {"id", "public_id", "citizen_token_hash", "updated_at"} | (
        set() if clocked else {"created_at"}
    )
    columns = [c.key for c in ServiceRequest.__table__.columns if c.key not in skip]
    sources = session.scalars(select(RequestSource).order_by(RequestSource.id)).all()
    audits = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "request").order_by(AuditEntry.id)
    ).all()
    quarantine = session.execute(
        select(QuarantineEntry.source, QuarantineEntry.reason, QuarantineEntry.raw)
        .where(QuarantineEntry.run_id.in_(run_ids)).order_by(QuarantineEntry.id)
    ).all()  # fmt: skip
    return {
        "requests": {r.source_ref: {c: getattr(r, c) for c in columns} for r in requests},
        "sources": [
            (
                s.source_ref,
                ref[s.request_id],
                s.kind,
                s.citizen_key,
                s.fingerprint,
                s.received_at,
                s.text,
            )
            for s in sources
        ],
        "audit": [
            (
                ref[e.entity_id],
                e.action,
                e.from_state,
                e.to_state,
                e.reason,
                e.data,
                e.at if clocked or e.action == "reply" else None,
            )
            for e in audits
        ],
        "quarantine": [tuple(q) for q in quarantine],
        "ratings": [
            (ref[g.request_id], g.satisfaction, g.rated_at)
            for g in session.scalars(select(RequestRating).order_by(RequestRating.id))
        ],
    }


def _two_imports(
    session: Session, first: Path, second: Path, batch_rows: int, as_of: datetime | None
) -> dict[str, Any]:
    runs = [
        import_csv(session, p, actor=SYSTEM, batch_rows=batch_rows, as_of=as_of)
        for p in (first, second)
    ]
    counts = [{k: v for k, v in r.to_dict().items() if k != "run_id"} for r in runs]
    return {"counts": counts, **_dump(session, [r.run_id for r in runs], as_of is not None)}


AS_OF = datetime(2025, 7, 6, 12, tzinfo=CHINA)  # the second C1 comes later: quarantined


@pytest.mark.parametrize(
    ("batch_rows", "as_of"), [(3, None), (7, None), (BATCH_ROWS, None), (4, AS_OF)]
)
def test_batches_leave_what_one_by_one_leaves(
    session: Session, world: World, shared_data: Path, tmp_path: Path, batch_rows: int,
    as_of: datetime | None,
) -> None:  # fmt: skip
    # First an export without replies, then the full one: known sources with new replies,
    # copies of requests from the first import and of the same file, replies refused.
    made_up = _made_up()
    first = _write(tmp_path / "first.csv", [*_real(shared_data, 15, replies=False), made_up[0]])
    second = _write(tmp_path / "second.csv", [*_real(shared_data, 30, replies=True), *made_up])
    savepoint = session.begin_nested()
    one_by_one = _two_imports(session, first, second, 0, as_of)
    savepoint.rollback()
    batched = _two_imports(session, first, second, batch_rows, as_of)
    assert batched["counts"] == one_by_one["counts"]
    assert batched["quarantine"] == one_by_one["quarantine"]
    assert batched["sources"] == one_by_one["sources"]
    assert batched["audit"] == one_by_one["audit"]
    assert batched["ratings"] == one_by_one["ratings"]
    assert [(ref, value) for ref, value, _ in batched["ratings"]] == [
        (ref, row["satisfaction"])
        for ref, row in batched["requests"].items()
        if row["satisfaction"] is not None
    ]  # every imported rating is kept, once
    assert batched["requests"] == one_by_one["requests"]
    # The scenario does reach every path.
    second_run = batched["counts"][1]
    assert second_run["created"] > 0
    assert second_run["merged"] >= 2
    assert second_run["existing"] >= 16
    assert second_run["replies"] > 15
    reasons = [reason for _, reason, _ in batched["quarantine"]]
    assert any("不能执行「答复」" in r for r in reasons)
    assert any("缺少答复时间" in r for r in reasons)
    assert any("晚于模拟时钟" in r for r in reasons) == (as_of is not None)
    c1 = batched["requests"]["12345:C1"]
    assert (c1["state"], c1["reply_text"], c1["version"]) == ("replied", "已责令停工", 2)
    # On the simulated clock the test city's rules (made today) were not in force yet.
    assert c1["organization_id"] == (world.orgs["js_eco"] if as_of is None else None)


def test_a_bad_row_inside_a_batch_is_quarantined_and_its_neighbours_taken_in(
    session: Session, world: World, tmp_path: Path
) -> None:
    rows = [[f"B{i}", f"2025-07-{i + 1:02d} 09:00", "", f"金水区第{i}号路灯不亮", "", "", "", "",
             "", ""] for i in range(10)]  # fmt: skip
    rows[4][1] = "下周二"  # unreadable time: quarantined, the rows around it go in
    rows[5][5] = "4101"  # not an adcode
    path = _write(tmp_path / "b.csv", rows)
    summary = import_csv(session, path, actor=SYSTEM, batch_rows=4)
    assert (summary.read, summary.created, summary.quarantined) == (10, 8, 2)
    entries = session.execute(
        select(QuarantineEntry.source, QuarantineEntry.reason)
        .where(QuarantineEntry.run_id == summary.run_id).order_by(QuarantineEntry.id)
    ).all()  # fmt: skip
    assert [source for source, _ in entries] == [f"{path}:6", f"{path}:7"]
    assert "时间无法识别" in entries[0][1]
    zh, en = entries[1][1].split(" / ")
    # Named by the file's column, the one a person fixing the sheet reads.
    assert zh.startswith("字段「区划代码」无效：") and en.startswith(
        "invalid column '区划代码' (adcode): "
    )
    taken = session.scalars(
        select(ServiceRequest.source_ref).where(ServiceRequest.source_ref.like("12345:B%"))
    ).all()
    assert sorted(taken) == sorted(f"12345:B{i}" for i in range(10) if i not in (4, 5))


def test_more_rows_than_one_batch(
    session: Session, world: World, shared_data: Path, tmp_path: Path
) -> None:
    path = _write(tmp_path / "many.csv", _real(shared_data, BATCH_ROWS + 30, replies=True))
    summary = import_csv(session, path, actor=SYSTEM)
    assert summary.read == BATCH_ROWS + 30
    assert summary.created > BATCH_ROWS
    assert summary.created + summary.merged + summary.quarantined == summary.read
    assert summary.replies == summary.created + summary.merged  # each row answered
    stored = session.scalar(
        select(func.count()).select_from(RequestSource).where(RequestSource.source == "12345")
    )
    assert stored == summary.created + summary.merged
    again = import_csv(session, path, actor=SYSTEM)
    assert (again.existing, again.created, again.replies, again.quarantined) == (
        summary.created + summary.merged,
        0,
        0,
        summary.quarantined,
    )


def test_an_office_import_keeps_the_same_rows_in_its_queue_by_batches_and_one_by_one(
    session: Session, world: World, tmp_path: Path
) -> None:
    # A 洛阳 row (洛阳's rule, body and matrix) and a row with no place and no rule: both
    # outside the 郑州 office's scope; the rest of the scenario stays inside it.
    rows = [
        *_made_up(),
        ["L1", "2025-07-02 09:00", "", "涧西区某小区物业不作为，电梯坏了", "物业管理", "410305",
         "13500000001", "", "", ""],
        ["N1", "2025-07-02 09:30", "", "路灯不亮好几天了", "", "", "13500000002", "", "", ""],
    ]  # fmt: skip
    path = _write(tmp_path / "office.csv", rows)
    office = world.principals["office"]
    savepoint = session.begin_nested()
    first = import_csv(session, path, actor=office, batch_rows=0)
    one_by_one = {"counts": first.to_dict(), **_dump(session, [first.run_id], False)}
    savepoint.rollback()
    savepoint = session.begin_nested()
    summary = import_csv(session, path, actor=office, batch_rows=4)
    batched = {"counts": summary.to_dict(), **_dump(session, [summary.run_id], False)}
    one_by_one["counts"]["run_id"] = batched["counts"]["run_id"]
    assert batched == one_by_one
    assert summary.kept_in_office_queue == 2
    zz = world.matrices["zz"]
    for ref in ("12345:L1", "12345:N1"):
        kept = batched["requests"][ref]
        assert (kept["matrix_id"], kept["organization_id"], kept["routing_rule_id"]) == (
            zz, None, None,
        ), ref  # fmt: skip
    c1 = batched["requests"]["12345:C1"]  # inside the scope: routed as ever
    assert (c1["matrix_id"], c1["organization_id"]) == (zz, world.orgs["js_eco"])
    # The system's import of the same file routes the 洛阳 row to 洛阳.
    savepoint.rollback()
    system = import_csv(session, path, actor=SYSTEM, batch_rows=4)
    assert system.kept_in_office_queue == 0
    l1 = session.scalars(
        select(ServiceRequest).where(ServiceRequest.source_ref == "12345:L1")
    ).one()
    assert (l1.matrix_id, l1.organization_id) == (world.matrices["ly"], world.orgs["ly_housing"])


def test_a_batch_the_database_refuses_is_rolled_back_whole(
    session: Session, world: World, tmp_path: Path
) -> None:
    rows = [
        (RequestIntake(source="12345", source_ref=f"12345:K{i}", text=f"金水区第{i}号井盖丢失"),
         None, None)
        for i in range(3)
    ]  # fmt: skip
    plan = csvbatch.decide(session, rows, actor=SYSTEM)
    # Another import takes the second source in before the batch is written.
    service.receive(session, intake=rows[1][0], actor=SYSTEM)
    before = session.scalar(select(func.count()).select_from(ServiceRequest))
    with pytest.raises(csvbatch.BatchFailed):
        csvbatch.write(session, plan)
    assert session.scalar(select(func.count()).select_from(ServiceRequest)) == before
    # Taken in again, the other rows go in and the second is known.
    path = _write(tmp_path / "k.csv", [[f"K{i}", "", "", f"金水区第{i}号井盖丢失", "", "", "",
                                        "", "", ""] for i in range(3)])  # fmt: skip
    summary = import_csv(session, path, actor=SYSTEM)
    assert (summary.created, summary.existing) == (2, 1)


def test_dedup_parts_match_the_whole() -> None:
    a, b = NOISE, NOISE + "，还没人管吗？"
    na, nb = dedup.normalise(a), dedup.normalise(b)
    assert dedup.digest(na) == dedup.fingerprint(a)
    assert dedup.jaccard(dedup.grams(na), dedup.grams(nb)) == dedup.similarity(a, b)
    assert dedup.grams(dedup.normalise("路灯")) == {"路灯"}
    assert dedup.jaccard(set(), {"abc"}) == 0.0


_NFKC_ALPHABET = st.sampled_from(
    [
        *"，！？：（）；…\u3000\xa0 ,.!?:;()abcAZ09路灯不亮①㎡Ａ１＃＠［］",
        "\u0301",
        "\u0308",
        "\u3099",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.text(_NFKC_ALPHABET, max_size=40))
def test_normalise_is_nfkc_without_the_noise(text: str) -> None:
    # The full-width punctuation replaced before NFKC leaves what NFKC makes of the text,
    # combining marks after it included.
    reference = dedup._NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()
    assert dedup.normalise(text) == reference


def test_normalise_on_real_messages(shared_data: Path) -> None:
    source = shared_data / "citizen-messages" / "messages_with_replies.csv"
    with source.open(encoding="utf-8-sig", newline="") as fh:
        texts = [row["留言详情"] for row in csv.DictReader(fh)][:500]
    for text in texts:
        assert (
            dedup.normalise(text)
            == dedup._NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()
        )


def test_headers_match_loosely_and_the_later_of_two_alike_counts(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "h.csv"
    path.write_text(" ID ,id,内容,诉求内容\nX1,X2,b,路灯坏了\n", encoding="utf-8")
    summary = import_csv(session, path, actor=SYSTEM)
    assert summary.created == 1
    req = session.scalar(select(ServiceRequest).where(ServiceRequest.source == "12345"))
    assert req is not None
    assert (req.source_ref, req.text) == ("12345:X2", "路灯坏了")


def test_a_reply_under_a_social_post_leaves_the_batch_for_the_per_row_path(
    session: Session, world: World, tmp_path: Path
) -> None:
    at, posted = datetime(2025, 7, 2, 9, tzinfo=CHINA), datetime(2025, 7, 1, 9, tzinfo=CHINA)
    rows = [
        (RequestIntake(source="weibo", source_ref=f"weibo:W{i}", text=f"金水区第{i}号井盖丢失",
                       submitted_at=posted), ("已修复", at) if i == 1 else None, None)
        for i in range(3)
    ]  # fmt: skip
    batch = csvbatch.take_in(session, rows, actor=SYSTEM)
    # W1's reply is also queued under post W1: the batch stops there, W2 is not looked at.
    # (Posted in July 2025 and taken in now: already past its resolve deadline.)
    assert (batch.outcomes, batch.stopped) == ([csvbatch.Outcome("created", overdue=True)], True)
    path = _write(tmp_path / "w.csv", [
        [f"W{i}", "2025-07-01 09:00", "", f"金水区第{i}号井盖丢失", "", "", "", "",
         "已修复" if i == 1 else "", "2025-07-02 09:00" if i == 1 else ""] for i in range(3)
    ])  # fmt: skip
    summary = import_csv(session, path, actor=SYSTEM, source="weibo", batch_rows=2)
    assert (summary.existing, summary.created, summary.replies) == (1, 2, 1)
    queued = session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.target_post_id == "W1")
    ).all()
    assert queued == ["已修复"]


def test_a_batch_without_routing_rules_logs_it_once_as_intake_does(
    session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    category_service.ensure_default_tree(session)
    routing_service.NO_RULES_LOGGED.reset()
    path = _write(tmp_path / "u.csv", [[f"U{i}", "2025-07-01 09:00", "", f"金水区第{i}号路灯不亮",
                                        "", "", "", "", "", ""] for i in range(5)])  # fmt: skip
    with caplog.at_level(logging.WARNING, logger=routing_service.__name__):
        summary = import_csv(session, path, actor=SYSTEM, batch_rows=2)
    assert summary.created == 5
    warnings = [r.getMessage() for r in caplog.records if r.name == routing_service.__name__]
    assert len(warnings) == 1
    assert routing_service.NO_RULES_WARNING in warnings[0]
    assert "12345" in warnings[0]


def _office_entries(session: Session, run_refs: dict[int, str]) -> list[tuple[Any, ...]]:
    """The office matrices' merge_outside_scope entries, keyed like _dump (no ids)."""
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "matrix").order_by(AuditEntry.id)
    ).all()
    return [
        (e.entity_id, e.action, run_refs[e.data["request_id"]], e.data["source_ref"])
        for e in entries
    ]


def test_an_office_row_merged_outside_its_scope_is_the_same_by_batches_and_one_by_one(
    session: Session, world: World, tmp_path: Path
) -> None:
    # 洛阳's request of a caller (the system's intake routes it to 洛阳's body and queue).
    text = "涧西区某小区物业不作为，电梯坏了"
    phone = "13500000009"
    first = _write(tmp_path / "ly.csv", [
        ["L1", "2025-07-02 09:00", "", text, "物业管理", "410305", phone, "", "", ""],
    ])  # fmt: skip
    import_csv(session, first, actor=SYSTEM)
    ly = session.scalars(
        select(ServiceRequest).where(ServiceRequest.source_ref == "12345:L1")
    ).one()
    assert ly.matrix_id == world.matrices["ly"]
    # The 郑州 office's export: the same caller calls again (merged into 洛阳's request, with
    # a reply of its own hotline), and the 洛阳 ticket itself comes back with a reply.
    office_rows = [
        ["Z1", "2025-07-03 09:00", "", text + "，还没人管", "", "", phone, "", "已转洛阳", "2025-07-03 10:00"],
        ["Z2", "2025-07-03 11:00", "", text, "", "", phone, "", "", ""],
        ["L1", "2025-07-02 09:00", "", text, "物业管理", "410305", phone, "", "已答复", "2025-07-04"],
        ["C1", "2025-07-01 10:00", "", NOISE, "噪声污染", "410105", "13912345678", "", "", ""],
    ]  # fmt: skip
    path = _write(tmp_path / "office.csv", office_rows)
    office = world.principals["office"]
    outcomes = []
    for batch_rows in (0, 3):
        savepoint = session.begin_nested()
        summary = import_csv(session, path, actor=office, batch_rows=batch_rows)
        refs = {r.id: r.source_ref for r in session.scalars(select(ServiceRequest))}
        dump = {**_dump(session, [summary.run_id], False),
                "office": _office_entries(session, refs)}  # fmt: skip
        counts = {**summary.to_dict(), "run_id": None}
        outcomes.append((counts, summary.merged_outside_scope, summary.outside_events_left,
                         [(w.rsplit(":", 1)[1], p) for w, p in summary.merged_outside], dump))  # fmt: skip
        savepoint.rollback()
    assert outcomes[0] == outcomes[1]
    counts, merged_outside, left, listed, dump = outcomes[1]
    assert (counts["merged"], counts["existing"], counts["created"]) == (2, 1, 1)
    assert (merged_outside, left) == (2, 2)  # Z1's reply and L1's reply: not recorded
    assert listed == [("2", ly.public_id), ("3", ly.public_id)]  # file lines of Z1, Z2
    assert counts["replies"] == 0
    request = dump["requests"]["12345:L1"]
    assert (request["state"], request["reply_text"]) == ("received", None)
    zz = world.matrices["zz"]
    merges = [a for a in dump["audit"] if a[1] == "merge"]
    assert [(a[0], a[5]) for a in merges] == [
        ("12345:L1", {"source_ref": "12345:Z1", "kind": "copy", "office_matrix_id": zz,
                      "outside_scope": True}),
        ("12345:L1", {"source_ref": "12345:Z2", "kind": "copy", "office_matrix_id": zz,
                      "outside_scope": True}),
    ]  # fmt: skip
    assert dump["office"] == [
        (zz, "merge_outside_scope", "12345:L1", "12345:Z1"),
        (zz, "merge_outside_scope", "12345:L1", "12345:Z2"),
    ]
    # The system's import of the same file records the reply on 洛阳's request as ever.
    system = import_csv(session, path, actor=SYSTEM, batch_rows=3)
    assert (system.merged_outside_scope, system.outside_events_left) == (0, 0)
    assert system.replies >= 1
    session.refresh(ly)
    assert ly.reply_text == "已转洛阳"
