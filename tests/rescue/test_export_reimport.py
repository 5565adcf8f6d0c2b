"""A sheet zhengwu exported, imported again into its incident (export → import round
trip): its rows are the requests they were written from — counted as known, nothing new
created, nothing merged — and only what volunteers marked on it since is applied."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import PUBLIC
from zhengwu.rescue import intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest, HelpSource, Incident
from zhengwu.rescue.schemas import HelpSubmission
from zhengwu.rescue.spreadsheet import EXPORT_HEADER, export_csv, import_csv

from .conftest import DISPATCHER, ORIGINAL, OTHER, post


def _counts(session: Session, incident: Incident) -> tuple[int, int, int]:
    requests = session.scalar(select(func.count()).select_from(HelpRequest)
                              .where(HelpRequest.incident_id == incident.id))  # fmt: skip
    sources = session.scalar(select(func.count()).select_from(HelpSource)
                             .where(HelpSource.incident_id == incident.id))  # fmt: skip
    audits = session.scalar(select(func.count()).select_from(AuditEntry)
                            .where(AuditEntry.entity_type == "help_request"))  # fmt: skip
    return int(requests or 0), int(sources or 0), int(audits or 0)


def _write(tmp_path: Path, rows: list[list[str]], name: str = "导出.csv") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path = tmp_path / name
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
    return path


def test_an_exported_sheet_imported_again_is_known_and_creates_nothing(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    incident = make_incident()
    intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL), post("2", OTHER, 5)],
                   actor=DISPATCHER)  # fmt: skip
    intake.submit(session, incident=incident, actor=DISPATCHER, data=HelpSubmission(
        name="赵六", address="郑州市中原区桐柏路绿城小区2号楼", phone="13700003333",
        text="一家三口被困二楼"))  # fmt: skip
    session.flush()
    before = _counts(session, incident)
    assert before[0] == 3
    for principal in (DISPATCHER, PUBLIC):  # full, and masked as the public board's
        rows = list(csv.reader(io.StringIO(export_csv(session, incident=incident,
                                                      principal=principal))))  # fmt: skip
        report = import_csv(session, incident=incident, path=_write(tmp_path, rows),
                            actor=DISPATCHER)  # fmt: skip
        assert (report.read, report.known, report.new_requests, report.merged,
                report.quarantined) == (3, 3, 0, 0, 0), principal  # fmt: skip
        assert _counts(session, incident) == before


def test_an_exported_sheet_carries_the_volunteers_marks_and_their_new_rows(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """Volunteers mark a row of the export 是否核实 = 是 and add a family at the bottom (no
    求助编号): the row's request is verified, the new row becomes a request."""
    incident = make_incident()
    taken = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)],
                           actor=DISPATCHER)  # fmt: skip
    rows = list(csv.reader(io.StringIO(export_csv(session, incident=incident,
                                                  principal=DISPATCHER))))  # fmt: skip
    rows[1][EXPORT_HEADER.index("是否核实")] = "是"
    added = dict.fromkeys(EXPORT_HEADER, "")
    added.update({"姓名": "钱八", "地址": "郑州市二七区大学路78号院", "联系方式": "13600004444",
                  "情况": "两位老人被困一楼", "是否核实": "否", "是否获救": "否"})  # fmt: skip
    rows.append([added[c] for c in EXPORT_HEADER])
    report = import_csv(session, incident=incident, path=_write(tmp_path, rows),
                        actor=DISPATCHER)  # fmt: skip
    assert (report.known, report.new_requests, report.merged) == (1, 1, 0)
    request = rescue_service.get_request(session, request_id=taken.requests[("weibo", "1")].id)
    assert request.verification == "confirmed" and request.state == "verified"
    assert len(request.sources) == 1  # the exported row is no mirror of it


def test_a_fact_changed_on_an_exported_row_is_not_dropped_silently(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """Volunteers write a second phone and a larger count into a row of the export: the
    row is still known (nothing merged), and the report says which cells were not taken
    in, so the coordinator corrects the request; unchanged rows, full or masked, say
    nothing."""
    incident = make_incident()
    taken = intake.take_in(session, incident=incident,
                           posts=[post("1", ORIGINAL), post("2", OTHER, 5)],
                           actor=DISPATCHER)  # fmt: skip
    session.flush()
    request_id = taken.requests[("weibo", "1")].id
    for principal in (DISPATCHER, PUBLIC):
        rows = list(csv.reader(io.StringIO(export_csv(session, incident=incident,
                                                      principal=principal))))  # fmt: skip
        report = import_csv(session, incident=incident, path=_write(tmp_path, rows),
                            actor=DISPATCHER)  # fmt: skip
        assert report.warnings == [], principal
    rows = list(csv.reader(io.StringIO(export_csv(session, incident=incident,
                                                  principal=DISPATCHER))))  # fmt: skip
    at = next(
        i for i, r in enumerate(rows) if r[EXPORT_HEADER.index("求助编号")] == str(request_id)
    )
    rows[at][EXPORT_HEADER.index("联系方式")] += " 13999998888"
    rows[at][EXPORT_HEADER.index("人数")] = "12"
    before = _counts(session, incident)
    report = import_csv(session, incident=incident, path=_write(tmp_path, rows),
                        actor=DISPATCHER)  # fmt: skip
    assert (report.known, report.new_requests, report.merged) == (2, 0, 0)
    assert _counts(session, incident) == before
    [warning] = report.warnings
    assert f"第 {at + 1} 行（求助编号 {request_id}）：人数、联系方式与系统中该求助的不同" in warning
    assert f"row {at + 1} (request {request_id}): people, phone differ" in warning


def test_the_report_counts_the_marks_a_sheet_applied(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """A re-import whose rows are all known says what its 是 marks changed: a coordinator
    sees that volunteers' 是否核实 / 是否获救 took effect, and the same sheet again changes
    nothing (the CLI line and the console's report read these counts)."""
    incident = make_incident()
    intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL), post("2", OTHER, 5)],
                   actor=DISPATCHER)  # fmt: skip
    rows = list(csv.reader(io.StringIO(export_csv(session, incident=incident,
                                                  principal=DISPATCHER))))  # fmt: skip
    rows[1][EXPORT_HEADER.index("是否核实")] = "是"
    rows[2][EXPORT_HEADER.index("是否获救")] = "是"
    path = _write(tmp_path, rows)
    report = import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    assert (report.known, report.new_requests) == (2, 0)
    assert (report.marked_verified, report.marked_rescued) == (1, 1)
    again = import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    assert (again.known, again.marked_verified, again.marked_rescued) == (2, 0, 0)
