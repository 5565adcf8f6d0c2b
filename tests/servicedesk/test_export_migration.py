"""A desk's export imported into a new desk (a migration: ``desk export``, then ``desk
import-csv`` there) keeps every request as it was — its state, times, reply, category,
text and ratings — so that 回应率, 按时办结率 and 满意率 are the same on both desks."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix
from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.servicedesk import deadlines, export, rates, service
from zhengwu.servicedesk.actions import perform
from zhengwu.servicedesk.csvimport import BATCH_ROWS, import_csv
from zhengwu.servicedesk.filters import RequestFilters
from zhengwu.servicedesk.models import RequestHelper, RequestRating, ServiceRequest
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake
from zhengwu.servicedesk.service import SYSTEM
from zhengwu.servicedesk.upload import intake_warnings

from .conftest import World

HEADER = ["工单编号", "来电时间", "诉求内容", "问题分类", "所属区域", "联系人", "联系电话",
          "答复意见", "答复时间", "办理状态", "办结时间", "满意度", "回访时间"]  # fmt: skip
HOTLINE = [
    ["H1", "2025-07-02 09:00:00", "金水区小区电梯停运三天，物业不修", "0101", "金水区", "王建国",
     "13811112222", "已修复", "2025-07-03 10:00:00", "已回访", "2025-07-04 10:00:00", "满意",
     "2025-07-05 10:00:00"],
    ["H2", "2025-07-02 10:00:00", "金水区路灯不亮，晚上很黑", "0103", "金水区", "", "", "已修复",
     "2025-07-03 10:00:00", "已办结", "2025-07-04 10:00:00", "不满意", ""],
    ["H3", "2025-07-02 11:00:00", "金水区噪音扰民", "0201", "金水区", "", "", "正在处理",
     "2025-07-03 10:00:00", "办理中", "", "", ""],
]  # fmt: skip
KEPT = ("state", "received_at", "first_response_at", "resolved_at",
        "satisfaction", "followed_up_at", "reply_text", "category_code", "text", "is_public",
        "adcode", "address", "citizen_name", "citizen_phone", "citizen_email", "resolve_due",
        "organization_id", "reopen_count")  # fmt: skip


def _act(
    session: Session, world: World, request: ServiceRequest, action: str,
    who: str = "js_housing", **data: object,
) -> None:  # fmt: skip
    perform(session, request=request, action=action, actor=world.principals[who],
            data=ActionInput.model_validate(data))  # fmt: skip


def _form(session: Session, text: str) -> ServiceRequest:
    return service.receive(session, actor=SYSTEM, intake=RequestIntake(
        source="form", text=text, region="金水区", category_code="0103",
        citizen_phone="13900002222", citizen_email="a@example.cn",
    )).request  # fmt: skip


def _desk(session: Session, world: World, tmp_path: Path) -> None:
    """A desk's history: imported tickets closed and rated, and requests of the desk
    accepted, reopened after a bad rating, extended (延期)."""
    hotline = tmp_path / "hotline.csv"
    with hotline.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *HOTLINE])
    assert import_csv(session, hotline, actor=SYSTEM).created == 3
    rerated = _form(session, "金水区小区健身器材损坏")
    _act(session, world, rerated, "accept")
    _act(session, world, rerated, "resolve", reply_text="已更换器材")
    _act(session, world, rerated, "follow_up", who="office", satisfaction=1)
    _act(session, world, rerated, "reopen", who="office", reason="没修好")
    _act(session, world, rerated, "resolve", reply_text="已再次更换")
    _act(session, world, rerated, "follow_up", who="office", satisfaction=5)
    accepted = _form(session, "金水区小区垃圾没人清运")
    _act(session, world, accepted, "accept")  # a first response (受理) with no reply
    reopened = _form(session, "金水区小区楼道灯坏了")
    _act(session, world, reopened, "accept")
    _act(session, world, reopened, "resolve", reply_text="已修")
    _act(session, world, reopened, "follow_up", who="office", satisfaction=2)
    _act(session, world, reopened, "reopen", who="office", reason="又坏了")  # open, rated once
    extended = _form(session, "金水区小区道路破损")
    _act(session, world, extended, "accept")
    _act(session, world, extended, "start")
    _act(session, world, extended, "request_extension", days=10, reason="需要施工")
    _act(session, world, extended, "approve_extension", who="office")
    session.flush()


def _requests(session: Session) -> dict[str, dict[str, object]]:
    """Each request by its text, with what a migration keeps (times to the second)."""
    found = {}
    for r in session.scalars(select(ServiceRequest)):
        values = {k: getattr(r, k) for k in KEPT}
        found[r.text] = {
            k: v.replace(microsecond=0) if hasattr(v, "microsecond") else v
            for k, v in values.items()
        }
    return found


def _rates(session: Session) -> list[tuple[object, ...]]:
    rows = rates.compute(session, start=date(2020, 1, 1), end=date(2040, 1, 1), by="category")
    return sorted(
        (r.key, r.n, r.responded, r.responded_on_time, r.resolved, r.resolved_on_time,
         r.followed_up, r.satisfied, r.response_rate, r.ontime_rate, r.satisfaction_rate)
        for r in rows
    )  # fmt: skip


@pytest.mark.parametrize("batch_rows", [BATCH_ROWS, 0], ids=["batched", "one-by-one"])
def test_a_new_desk_keeps_every_rating_state_and_time_of_the_old_one(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    old_desk = session.begin_nested()
    _desk(session, world, tmp_path)
    before, rates_before = _requests(session), _rates(session)
    ratings_before = session.scalar(select(func.count()).select_from(RequestRating))
    out = tmp_path / "export.csv"
    records = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    out.write_bytes(b"".join(export.chunks("csv", records)))
    old_desk.rollback()  # the new desk: the same city, no request yet
    assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 0

    summary = import_csv(session, out, actor=SYSTEM, batch_rows=batch_rows)
    assert (summary.created, summary.quarantined) == (7, 0)
    # Before: the reopened requests' first ratings (1分, 2分) were lost — 满意率 2/4 became
    # 2/3 — the 受理 with no reply left 回应率, and the 延期 and the states were dropped.
    assert _rates(session) == rates_before
    assert session.scalar(select(func.count()).select_from(RequestRating)) == ratings_before == 5
    assert _requests(session) == before
    # Imported again on the new desk: nothing doubled, no rating counted twice.
    again = import_csv(session, out, actor=SYSTEM, batch_rows=batch_rows)
    assert (again.existing, again.created, again.quarantined) == (7, 0, 0)
    assert _rates(session) == rates_before


def test_an_unreadable_earlier_rating_is_refused_naming_its_column(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([
            ["工单编号", "受理时间", "诉求内容", "办理状态", "历次满意度", "首次响应时间", "重启次数"],
            ["B1", "2025-07-01 09:00:00", "金水区路灯不亮", "重办", "很差 2025-07-02", "", "1"],
            ["B2", "2025-07-01 09:00:00", "金水区井盖丢失", "重办", "2分 1800", "", "1"],
            ["B3", "2025-07-01 09:00:00", "金水区噪音扰民", "重办", "", "", "两次"],
        ])  # fmt: skip
    summary = import_csv(session, path, actor=SYSTEM)
    assert (summary.created, summary.quarantined) == (0, 3)
    assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 0
    found = session.scalars(
        select(QuarantineEntry.reason).where(QuarantineEntry.run_id == summary.run_id)
        .order_by(QuarantineEntry.id)
    ).all()  # fmt: skip
    assert found[0].startswith("「历次满意度」无法识别：'很差 2025-07-02'（应为「评分 时间」")
    assert "in column '历次满意度'" in found[0]
    assert found[1].startswith("「历次满意度」是一个数字 '1800'")
    assert found[2] == (
        "「重启次数」应为 0 或正整数：'两次' / column '重启次数' should be a count (0, 1, 2 …): '两次'"
    )


HANDLING = ("source", "accepted_at", "supervision_count", "supervised_at")


def _handling(session: Session) -> dict[str, tuple[object, ...]]:
    """Each request by its text: its channel, 签收, 督办, state, body and co-handling bodies."""
    helpers: dict[int, list[int]] = {}
    for request_id, org_id in session.execute(
        select(RequestHelper.request_id, RequestHelper.organization_id)
    ):
        helpers.setdefault(request_id, []).append(org_id)
    found: dict[str, tuple[object, ...]] = {}
    for r in session.scalars(select(ServiceRequest)):
        values = [getattr(r, k) for k in HANDLING]
        kept = [v.replace(microsecond=0) if isinstance(v, datetime) else v for v in values]
        found[r.text] = (*kept, r.state, r.organization_id, sorted(helpers.get(r.id, [])))
    return found


def _by_organization(session: Session) -> list[tuple[object, ...]]:
    rows = rates.compute(session, start=date(2020, 1, 1), end=date(2040, 1, 1),
                         by="organization")  # fmt: skip
    return sorted((r.key, r.n, r.responded, r.resolved, r.resolved_on_time, r.followed_up,
                   r.satisfied) for r in rows)  # fmt: skip


def test_a_new_desk_keeps_each_request_s_channel_handling_body_cohandling_and_supervision(
    session: Session, world: World, tmp_path: Path
) -> None:
    """The channel (来源渠道: a form's request stayed a form's, not "csv"), 已转办 and
    已退回, the 签收 time, the co-handling bodies (协办) and 督办 were lost in a migration;
    the rates stay the same, by category and by organisation."""
    old_desk = session.begin_nested()
    _desk(session, world, tmp_path)
    transferred = _form(session, "金水区小区消防通道被占")
    _act(session, world, transferred, "accept")
    _act(session, world, transferred, "transfer", organization_id=world.orgs["city_housing"],
         reason="涉及全市")  # fmt: skip
    returned = _form(session, "金水区小区绿化带被毁")
    _act(session, world, returned, "accept")
    _act(session, world, returned, "return", reason="不属于本单位职责")
    helped = _form(session, "金水区小区违章搭建")
    _act(session, world, helped, "accept")
    _act(session, world, helped, "cohandle", helper_organization_ids=[world.orgs["police"]])
    _act(session, world, helped, "supervise", who="office", reason="群众多次反映")
    _act(session, world, helped, "supervise", who="office", reason="仍未处理")
    session.flush()
    before, handling = _requests(session), _handling(session)
    rates_before, by_org = _rates(session), _by_organization(session)
    assert handling["金水区小区违章搭建"][2] == 2
    out = tmp_path / "export.csv"
    records = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    out.write_bytes(b"".join(export.chunks("csv", records)))
    old_desk.rollback()

    summary = import_csv(session, out, actor=SYSTEM)
    assert (summary.created, summary.quarantined) == (10, 0)
    assert _handling(session) == handling
    assert _requests(session) == before
    assert (_rates(session), _by_organization(session)) == (rates_before, by_org)
    again = import_csv(session, out, actor=SYSTEM)
    assert (again.existing, again.created) == (10, 0)
    assert _handling(session) == handling


def test_an_older_export_without_the_handling_columns_still_imports(
    session: Session, world: World, tmp_path: Path
) -> None:
    """An export written before 签收时间, 协办单位, 督办次数 and 督办时间 imports as it did; a
    handling body the new desk does not know by name is kept in the request's attributes."""
    old_desk = session.begin_nested()
    accepted = _form(session, "金水区小区垃圾没人清运")
    _act(session, world, accepted, "accept")
    session.flush()
    records = list(export.iter_records(session, principal=SYSTEM, filters=RequestFilters()))
    old_desk.rollback()
    older = [c for c in export.COLUMNS if c not in ("签收时间", "协办单位", "督办次数", "督办时间")]
    for record in records:
        record["承办单位"] = "已撤并的住建局"
    out = tmp_path / "older.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=older, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
    summary = import_csv(session, out, actor=SYSTEM)
    assert (summary.created, summary.quarantined) == (1, 0)
    [request] = session.scalars(select(ServiceRequest)).all()
    assert (request.state, request.source) == ("accepted", "form")
    assert request.organization_id == world.orgs["js_housing"]  # the routing's body stays
    assert request.attributes["source_organization"] == "已撤并的住建局"


def test_a_returned_request_keeps_its_matrix_when_the_new_desk_has_it(
    session: Session, world: World, tmp_path: Path
) -> None:
    """A request 已退回 waits in its matrix's queue, with no body. Its matrix came from the
    new desk's routing (the 郑州 matrix) instead of the export's 所属矩阵 (金水区's); a
    matrix the new desk does not have falls back to the routing, and the import says so."""
    jinshui = Matrix(name="金水区政务新媒体矩阵", kind="vertical", parent_id=world.matrices["zz"])
    session.add(jinshui)
    session.flush()
    old_desk = session.begin_nested()
    # On the old desk, 金水区's matrix was the regional one over the district.
    jinshui.kind, jinshui.adcode = "regional", "410105"
    gone = Matrix(name="已撤并的金水区矩阵", kind="vertical")
    session.add(gone)
    session.flush()
    returned = _form(session, "金水区小区绿化带被毁")
    _act(session, world, returned, "accept")
    _act(session, world, returned, "return", reason="不属于本单位职责")
    assert returned.matrix_id == jinshui.id
    orphan = _form(session, "金水区小区井盖丢失")
    _act(session, world, orphan, "accept")
    _act(session, world, orphan, "return", reason="不属于本单位职责")
    orphan.matrix_id = gone.id  # a matrix of the old desk only
    session.flush()
    records = list(export.iter_records(session, principal=SYSTEM, filters=RequestFilters()))
    assert {r["所属矩阵"] for r in records} == {"金水区政务新媒体矩阵", "已撤并的金水区矩阵"}
    out = tmp_path / "export.csv"
    out.write_bytes(b"".join(export.chunks("csv", records)))
    old_desk.rollback()  # the new desk: 金水区's matrix is not the district's regional one

    with deadlines.collect_provisional() as provisional:
        summary = import_csv(session, out, actor=SYSTEM)
    assert (summary.created, summary.quarantined) == (2, 0)
    found = {r.text: r for r in session.scalars(select(ServiceRequest))}
    kept, fallen = found["金水区小区绿化带被毁"], found["金水区小区井盖丢失"]
    assert (kept.state, kept.organization_id, kept.matrix_id) == ("returned", None, jinshui.id)
    # Not in the new desk: the new desk's routing decides (郑州's regional matrix).
    assert (fallen.state, fallen.organization_id) == ("returned", None)
    assert fallen.matrix_id == world.matrices["zz"]
    assert fallen.attributes["source_matrix"] == "已撤并的金水区矩阵"
    assert summary.routed_instead == 1
    warnings = intake_warnings(session, summary, provisional)
    [said] = [w for w in warnings if "已撤并的金水区矩阵" in w]
    assert "按本系统的派单规则" in said and "new desk's routing" in said


def _returned_elsewhere(session: Session, world: World) -> dict[str, str]:
    """The export row of a request 金水区住建局 transferred to the city's 住建局, which
    returned it (退单); the old desk is rolled back (the new desk has no request)."""
    old_desk = session.begin_nested()
    returned = _form(session, "金水区小区绿化带被毁")
    _act(session, world, returned, "transfer", organization_id=world.orgs["city_housing"],
         reason="涉及全市")  # fmt: skip
    _act(session, world, returned, "return", who="city_housing", reason="不属于本单位职责")
    session.flush()
    [record] = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    old_desk.rollback()
    return record


def _return_entry(session: Session, tmp_path: Path, record: dict[str, str]) -> AuditEntry:
    """Import ``record`` into the new desk; return its request's return entry."""
    out = tmp_path / "export.csv"
    out.write_bytes(b"".join(export.chunks("csv", [record], columns=list(record))))
    assert import_csv(session, out, actor=SYSTEM).created == 1
    [request] = session.scalars(select(ServiceRequest)).all()
    assert (request.state, request.organization_id) == ("returned", None)
    history = audit_service.history(session, entity_type="request", entity_id=request.id)
    # The new desk's routing gave it to 金水区住建局 at import: a true entry of its own.
    [route] = [h for h in history if h.action == "route"]
    assert route.data is not None and route.data["organization_id"] is not None
    [back] = [h for h in history if h.action == "return"]
    return back


def test_a_returned_request_s_history_names_the_body_that_returned_it(
    session: Session, world: World, tmp_path: Path
) -> None:
    """On the new desk the routing gives the returned request to 金水区住建局 again: the
    imported return entry named no body, and the history read as if the routing's body
    had returned it. The export says who returned it (退回单位) and why (退回原因), and the
    import's return entry names that body and gives that reason, as the old desk's did."""
    record = _returned_elsewhere(session, world)
    assert (record["办理状态"], record["承办单位"]) == ("已退回", "")
    assert record["退回单位"] == "郑州市住房和城乡建设局"
    assert record["退回原因"] == "不属于本单位职责"
    back = _return_entry(session, tmp_path, record)
    assert back.data == {"from_organization_id": world.orgs["city_housing"],
                         "returned_by": "郑州市住房和城乡建设局", "dated_by": "returned_at",
                         "return_reason": "不属于本单位职责"}  # fmt: skip
    assert back.reason == "不属于本单位职责"
    # The new desk's export says it again (not the import's own note).
    [again] = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    assert (again["退回单位"], again["退回原因"]) == ("郑州市住房和城乡建设局", "不属于本单位职责")


def test_an_export_without_a_return_reason_imports_with_the_import_s_note(
    session: Session, world: World, tmp_path: Path
) -> None:
    """An export written before 退回原因 was added: the return entry's reason is the
    import's note naming the body, and the next export's 退回原因 stays empty."""
    record = _returned_elsewhere(session, world)
    del record["退回原因"]
    back = _return_entry(session, tmp_path, record)
    assert back.data == {"from_organization_id": world.orgs["city_housing"],
                         "returned_by": "郑州市住房和城乡建设局", "dated_by": "returned_at"}  # fmt: skip
    assert back.reason is not None and "由郑州市住房和城乡建设局退回" in back.reason
    assert "returned by 郑州市住房和城乡建设局" in back.reason
    [again] = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    assert (again["退回单位"], again["退回原因"]) == ("郑州市住房和城乡建设局", "")


def test_a_masked_export_masks_the_return_reason(session: Session, world: World) -> None:
    """退回原因 is staff's free text, as 答复意见 is: a role that gets the requests masked
    sees the citizen's phone and name in it masked, the full export shows it as written."""
    returned = _form(session, "金水区小区绿化带被毁")
    _act(session, world, returned, "transfer", organization_id=world.orgs["city_housing"],
         reason="涉及全市")  # fmt: skip
    _act(session, world, returned, "return", who="city_housing",
         reason="不属于本单位职责，已电话13900002222告知")  # fmt: skip
    session.flush()

    def why(user: str) -> str:
        principal = world.principals[user]
        [record] = export.iter_records(session, principal=principal, filters=RequestFilters())
        return record["退回原因"]

    assert why("admin") == "不属于本单位职责，已电话13900002222告知"
    masked = why("dispatcher")
    assert masked.startswith("不属于本单位职责") and "13900002222" not in masked, masked


def test_a_returning_body_the_new_desk_lacks_is_named_as_the_export_names_it(
    session: Session, world: World, tmp_path: Path
) -> None:
    """A 退回单位 the new desk does not have: the return entry names it by the export's
    name (never the routing's body), and the request keeps it in its attributes."""
    record = _returned_elsewhere(session, world)
    record["退回单位"], record["退回原因"] = "已撤并的住建局", ""
    back = _return_entry(session, tmp_path, record)
    assert back.data == {"from_organization_id": None, "returned_by": "已撤并的住建局",
                         "dated_by": "returned_at"}  # fmt: skip
    assert back.reason is not None and "由已撤并的住建局退回" in back.reason
    [request] = session.scalars(select(ServiceRequest)).all()
    assert request.attributes["source_returned_by"] == "已撤并的住建局"


def test_an_office_s_import_refuses_a_row_of_a_matrix_outside_its_scope(
    session: Session, world: World, tmp_path: Path
) -> None:
    """郑州's office uploads a desk's export holding a 洛阳 request (所属矩阵 洛阳政务新媒体矩阵).
    The office may not put a request in another matrix's queue, and the import silently
    left the 所属矩阵 out: the row became a 郑州 request, the 洛阳 matrix never saw it. The
    row is refused with a bilingual reason naming the matrix (quarantined, its raw row kept
    for an admin or 洛阳's office to import); the office's own rows are imported; a row of
    that matrix already on file stays ``existing``."""
    old_desk = session.begin_nested()
    _form(session, "金水区小区路灯不亮")
    luoyang = service.receive(session, actor=SYSTEM, intake=RequestIntake(
        source="form", text="洛阳市西工区小区电梯停运", region="洛阳市", category_code="0101",
    )).request  # fmt: skip
    assert luoyang.matrix_id == world.matrices["ly"]
    session.flush()
    records = list(export.iter_records(session, principal=SYSTEM, filters=RequestFilters()))
    assert {r["所属矩阵"] for r in records} == {"郑州政务新媒体矩阵", "洛阳政务新媒体矩阵"}
    out = tmp_path / "export.csv"
    out.write_bytes(b"".join(export.chunks("csv", records)))
    old_desk.rollback()

    office = world.principals["office"]
    summary = import_csv(session, out, actor=office)
    assert (summary.created, summary.quarantined) == (1, 1)
    [request] = session.scalars(select(ServiceRequest)).all()
    assert (request.text, request.matrix_id) == ("金水区小区路灯不亮", world.matrices["zz"])
    [entry] = session.scalars(
        select(QuarantineEntry).where(QuarantineEntry.run_id == summary.run_id)
    ).all()
    assert entry.reason.startswith(
        "所属矩阵「洛阳政务新媒体矩阵」不在本账号管理的矩阵（郑州政务新媒体矩阵"
    )
    assert "matrix '洛阳政务新媒体矩阵' (所属矩阵) is outside your matrix" in entry.reason
    assert entry.raw is not None and "洛阳市西工区小区电梯停运" in entry.raw
    # An admin imports it where it belongs; the office's upload of it again adds nothing.
    admin = import_csv(session, out, actor=world.principals["admin"])
    assert (admin.created, admin.existing, admin.quarantined) == (1, 1, 0)
    moved = session.scalar(select(ServiceRequest).where(ServiceRequest.text.startswith("洛阳")))
    assert moved is not None and moved.matrix_id == world.matrices["ly"]
    again = import_csv(session, out, actor=office)
    assert (again.created, again.existing, again.quarantined) == (0, 2, 0)
