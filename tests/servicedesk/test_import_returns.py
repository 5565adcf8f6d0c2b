"""A request 已退回 carried by ``desk import-csv`` from a desk's export: its return is dated
when it happened (退回时间), and a re-import brings the 退回原因 an earlier import lacked."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.audit.models import AuditEntry
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.servicedesk import export
from zhengwu.servicedesk.actions import perform
from zhengwu.servicedesk.csvimport import BATCH_ROWS, CsvImportSummary, import_csv
from zhengwu.servicedesk.filters import RequestFilters
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.servicedesk.schemas import ActionInput
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World
from .test_export_migration import _returned_elsewhere

BATCHES = pytest.mark.parametrize("batch_rows", [BATCH_ROWS, 0], ids=["batched", "one-by-one"])
FORMAT = "%Y-%m-%d %H:%M:%S"


def _import(
    session: Session, path: Path, record: dict[str, str], batch_rows: int
) -> CsvImportSummary:
    path.write_bytes(b"".join(export.chunks("csv", [record], columns=list(record))))
    return import_csv(session, path, actor=SYSTEM, batch_rows=batch_rows)


def _history(session: Session, action: str) -> list[AuditEntry]:
    [request] = session.scalars(select(ServiceRequest)).all()
    history = audit_service.history(session, entity_type="request", entity_id=request.id)
    return [h for h in history if h.action == action]


def _later(record: dict[str, str], **delta: float) -> str:
    return (datetime.strptime(record["受理时间"], FORMAT) + timedelta(**delta)).strftime(FORMAT)


def _again(session: Session) -> dict[str, str]:
    [record] = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    return record


@BATCHES
def test_an_imported_return_is_dated_at_its_退回时间(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    """The return entry was dated at the request's receipt, whatever time the 退单 had:
    the export now writes 退回时间 and the import dates the return at it."""
    record = _returned_elsewhere(session, world)
    assert record["退回时间"] >= record["受理时间"]  # the old desk's own 退单
    record["退回时间"] = _later(record, days=2, hours=3)
    assert _import(session, tmp_path / "a.csv", record, batch_rows).created == 1
    [back] = _history(session, "return")
    assert f"{back.at.astimezone(export.CHINA):{FORMAT}}" == record["退回时间"]
    assert back.reason == "不属于本单位职责"
    assert back.data is not None and back.data["dated_by"] == "returned_at"
    assert _again(session)["退回时间"] == record["退回时间"]  # the next desk gets it too


@BATCHES
def test_without_退回时间_the_return_is_dated_at_the_latest_time_before_it_and_says_so(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    """An export written before 退回时间: the return cannot be earlier than the 签收 the row
    gives, so it is dated there; its entry says so (data and reason, both languages) and
    the next export leaves 退回时间 empty rather than pass the estimate on as a fact."""
    record = _returned_elsewhere(session, world)
    del record["退回时间"]
    record["签收时间"] = _later(record, hours=5)
    assert _import(session, tmp_path / "a.csv", record, batch_rows).created == 1
    [back] = _history(session, "return")
    assert f"{back.at.astimezone(export.CHINA):{FORMAT}}" == record["签收时间"]
    assert back.data is not None and back.data["dated_by"] == "accepted_at"
    assert back.reason == (
        "不属于本单位职责（退回时间不详，按签收时间记 / return time unknown: dated at the 签收 time）"
    )
    again = _again(session)
    assert (again["退回原因"], again["退回时间"]) == ("不属于本单位职责", "")


def test_a_退回时间_before_the_request_is_refused(
    session: Session, world: World, tmp_path: Path
) -> None:
    record = _returned_elsewhere(session, world)
    record["退回时间"] = _later(record, days=-1)
    summary = _import(session, tmp_path / "a.csv", record, BATCH_ROWS)
    assert (summary.created, summary.quarantined) == (0, 1)
    reason = session.scalars(select(QuarantineEntry.reason)).one()
    assert "「退回时间」早于受理时间" in reason and "before the request time" in reason


@BATCHES
def test_a_re_import_brings_the_退回原因_an_earlier_import_lacked(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    """A request imported 已退回 from an export without 退回原因, imported again from one
    with it (found existing): the reason was dropped, since only created requests carried
    anything. It is recorded once as a note, shown in the history and exported again; the
    request's state and its return entry stay as they were."""
    record = _returned_elsewhere(session, world)
    older = {k: v for k, v in record.items() if k != "退回原因"}
    assert _import(session, tmp_path / "a.csv", older, batch_rows).created == 1
    [back] = _history(session, "return")
    assert _again(session)["退回原因"] == ""
    assert _import(session, tmp_path / "b.csv", record, batch_rows).existing == 1
    [note] = _history(session, "note")
    assert note.reason == (
        "导入的退回原因：不属于本单位职责 / return reason imported from an export: 不属于本单位职责"
    )
    assert note.data == {"return_reason": "不属于本单位职责", "return_entry_id": back.id}
    assert (note.from_state, note.to_state) == ("returned", "returned")
    assert _history(session, "return") == [back]
    assert _again(session)["退回原因"] == "不属于本单位职责"
    # Once: a third import adds nothing, nor does an export with another reason.
    record["退回原因"] = "另一个原因"
    assert _import(session, tmp_path / "c.csv", record, batch_rows).existing == 1
    assert len(_history(session, "note")) == 1
    assert _again(session)["退回原因"] == "不属于本单位职责"


def _transferred(record: dict[str, str]) -> dict[str, str]:
    """The same ticket as an earlier export had it: 已转办 to the body that later returned it."""
    earlier = {k: v for k, v in record.items() if not k.startswith("退回")}
    return {**earlier, "办理状态": "已转办", "承办单位": record["退回单位"]}


@BATCHES
def test_a_re_import_returns_an_open_request_as_the_body_s_退单_would(
    session: Session, world: World, tmp_path: Path, batch_rows: int
) -> None:
    """A ticket imported 已转办 to 市住建局, whose next export says 已退回 by 市住建局 (退回时间,
    退回原因): the row was found existing and the return dropped — the request stayed with
    the body that had returned it. It goes back to the office's queue as a 退单 does: no
    body, in the matrix's queue, 已退单, one return entry at the 退回时间 with the 退回原因;
    a second import of the file changes nothing."""
    record = _returned_elsewhere(session, world)
    record["退回时间"] = _later(record, hours=3)
    assert _import(session, tmp_path / "a.csv", _transferred(record), batch_rows).created == 1
    [request] = session.scalars(select(ServiceRequest)).all()
    assert (request.state, request.organization_id) == ("assigned", world.orgs["city_housing"])
    summary = _import(session, tmp_path / "b.csv", record, batch_rows)
    assert (summary.existing, summary.returned) == (1, 1)
    session.refresh(request)
    assert (request.state, request.organization_id) == ("returned", None)
    assert request.matrix_id == world.matrices["zz"]  # the dispatcher's queue holds it
    [back] = _history(session, "return")
    assert (back.from_state, back.to_state, back.reason) == (
        "assigned",
        "returned",
        "不属于本单位职责",
    )
    assert f"{back.at.astimezone(export.CHINA):{FORMAT}}" == record["退回时间"]
    assert back.data is not None
    assert back.data["from_organization_id"] == world.orgs["city_housing"]
    assert back.data["event_key"].startswith(f"{request.source_ref}#return@")
    again = _again(session)
    assert (again["办理状态"], again["退回单位"], again["退回原因"], again["退回时间"]) == (
        "已退回",
        "郑州市住房和城乡建设局",
        "不属于本单位职责",
        record["退回时间"],
    )
    summary = _import(session, tmp_path / "c.csv", record, batch_rows)
    assert (summary.existing, summary.returned) == (1, 0)
    assert _history(session, "return") == [back]
    assert not _history(session, "note")


def test_a_stale_return_leaves_a_request_another_body_handles_or_handled_since(
    session: Session, world: World, tmp_path: Path
) -> None:
    """The return is the body's that handles the request, and no older than what the desk
    did since: transferred on to 金水区住建局 after the first import, or accepted again by
    市住建局 after the 退回时间, the request stays where the desk put it."""
    record = _returned_elsewhere(session, world)
    record["退回时间"] = _later(record, hours=3)
    assert _import(session, tmp_path / "a.csv", _transferred(record), BATCH_ROWS).created == 1
    [request] = session.scalars(select(ServiceRequest)).all()
    city = world.principals["city_housing"]
    perform(session, request=request, action="accept", actor=city,
            now=datetime.strptime(record["退回时间"], FORMAT).replace(tzinfo=export.CHINA)
            + timedelta(minutes=1))  # fmt: skip
    assert _import(session, tmp_path / "b.csv", record, BATCH_ROWS).returned == 0
    assert (request.state, request.organization_id) == ("accepted", world.orgs["city_housing"])
    perform(
        session,
        request=request,
        action="transfer",
        actor=city,
        data=ActionInput(organization_id=world.orgs["js_housing"], reason="属地"),
    )
    record["退回时间"] = _later(record, days=1)  # later than the accept, but not its body's
    assert _import(session, tmp_path / "c.csv", record, BATCH_ROWS).returned == 0
    assert (request.state, request.organization_id) == ("assigned", world.orgs["js_housing"])
    assert not _history(session, "return")
