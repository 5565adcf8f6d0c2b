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
from zhengwu.servicedesk.csvimport import BATCH_ROWS, CsvImportSummary, import_csv
from zhengwu.servicedesk.filters import RequestFilters
from zhengwu.servicedesk.models import ServiceRequest
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
