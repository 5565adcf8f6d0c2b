"""An export imports again into the same desk unchanged, whatever happened to its requests
there: answered and closed on the desk, taken in live (to the microsecond), or taken in by
another channel than a hotline (the form, Open311), whose 工单编号 is the public id."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.servicedesk import export, service
from zhengwu.servicedesk.actions import perform
from zhengwu.servicedesk.csvimport import BATCH_ROWS, import_csv
from zhengwu.servicedesk.filters import RequestFilters
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

HEADER = ["工单编号", "来电时间", "诉求内容", "问题分类", "所属区域", "联系人", "联系电话"]
HOTLINE = [
    ["H1", "2025-07-02 09:00:00", "金水区小区电梯停运三天，物业不修", "0101", "金水区", "王建国", "13811112222"],
    ["H2", "2025-07-03 09:00:00", "金水区路灯不亮，晚上很黑", "0103", "金水区", "", ""],
]  # fmt: skip
BATCHES = pytest.mark.parametrize("batch_rows", [BATCH_ROWS, 0], ids=["batched", "one-by-one"])


def _export(session: Session, path: Path) -> Path:
    records = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    path.write_bytes(b"".join(export.chunks("csv", records)))
    return path


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {r["诉求编号"]: r for r in csv.DictReader(fh)}


def _sheet(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write ``rows`` (an export's, edited) under the export's header."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(export.COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ServiceRequest)) or 0


def _act(session: Session, world: World, public_id: str, action: str, **data: object) -> None:
    request = service.get_by_public_id(session, public_id)
    perform(session, request=request, action=action, actor=world.principals["js_housing"],
            data=ActionInput.model_validate(data))  # fmt: skip


@BATCHES
def test_requests_answered_and_closed_on_the_desk_import_again_as_existing(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    source = tmp_path / "hotline.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *HOTLINE])
    assert import_csv(session, source, actor=SYSTEM).created == 2
    by_ticket = {r["工单编号"]: p for p, r in _rows(_export(session, tmp_path / "a.csv")).items()}
    answered, closed = by_ticket["H1"], by_ticket["H2"]
    _act(session, world, answered, "accept")
    _act(session, world, answered, "reply", reply_text="已联系物业，三日内修复")
    _act(session, world, closed, "accept")
    _act(session, world, closed, "resolve", reply_text="路灯已修复")
    rows = _rows(_export(session, tmp_path / "b.csv"))
    assert (rows[answered]["答复意见"], rows[answered]["办理状态"]) == (
        "已联系物业，三日内修复",
        "已答复",
    )
    assert (rows[closed]["答复意见"], rows[closed]["办理状态"]) == ("路灯已修复", "已办结")
    before = _count(session)
    again = import_csv(session, tmp_path / "b.csv", actor=SYSTEM, batch_rows=batch_rows)
    # Before: 当前状态「已答复」不能执行「答复」— the desk's own reply refused on the way back.
    assert (again.existing, again.quarantined, again.replies, again.created) == (2, 0, 0, 0)
    assert _count(session) == before
    history = service.get_by_public_id(session, answered)
    assert (history.state, history.reply_text) == ("replied", "已联系物业，三日内修复")


@BATCHES
def test_requests_of_other_channels_import_again_without_doubling(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    # Taken in live: a call the desk registered (its own ticket, stamped to the microsecond),
    # a form and an Open311 request (no hotline ticket: exported under their public ids).
    registered = service.receive(session, actor=world.principals["admin"], intake=RequestIntake(
        source="12345", text="金水区某小区楼道漏水，物业不管", region="金水区", category_code="0102",
        citizen_phone="13900001111", public=False,
    )).request  # fmt: skip
    form = service.receive(session, actor=SYSTEM, intake=RequestIntake(
        source="form", text="金水区小区健身器材损坏", region="金水区", category_code="0103", citizen_phone="13900002222",
    )).request  # fmt: skip
    open311 = service.receive(session, actor=SYSTEM, intake=RequestIntake(
        source="open311", text="金水区井盖缺失", address="郑州市金水区花园路",
    )).request  # fmt: skip
    _act(session, world, form.public_id, "accept")
    _act(session, world, form.public_id, "resolve", reply_text="已更换器材")
    rows = _rows(_export(session, tmp_path / "e.csv"))
    assert rows[open311.public_id]["工单编号"] == open311.public_id
    assert rows[registered.public_id]["工单编号"] != registered.public_id
    before = _count(session)
    again = import_csv(session, tmp_path / "e.csv", actor=SYSTEM, batch_rows=batch_rows)
    # Before: the registered call refused (受理时间 differs: whole seconds against
    # microseconds), and the form's and Open311's rows taken in again as new 12345 tickets.
    assert (again.existing, again.created, again.merged, again.quarantined) == (3, 0, 0, 0)
    assert _count(session) == before


def test_a_changed_row_of_a_request_of_another_channel_is_refused_with_why(
    session: Session, world: World, tmp_path: Path
) -> None:
    request = service.receive(session, actor=SYSTEM, intake=RequestIntake(
        source="open311", text="金水区井盖缺失", address="郑州市金水区花园路",
    )).request  # fmt: skip
    path = _export(session, tmp_path / "e.csv")
    rows = list(_rows(path).values())
    rows[0]["答复意见"], rows[0]["答复时间"] = "已补装井盖", "2099-01-01 10:00:00"
    again = import_csv(session, _sheet(tmp_path / "edited.csv", rows), actor=SYSTEM)
    assert (again.existing, again.created, again.quarantined) == (0, 0, 1)
    assert service.get_by_public_id(session, request.public_id).reply_text is None
    # Another desk's export (a public id not on file) is a ticket like any other.
    rows[0]["工单编号"] = rows[0]["诉求编号"] = "SR990101ABCDEF"
    taken = import_csv(session, _sheet(tmp_path / "other.csv", rows), actor=SYSTEM)
    assert (taken.created, taken.replies, taken.quarantined) == (1, 1, 0)
