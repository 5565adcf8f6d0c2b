"""A volunteers' sheet row without a 时间 is taken in at the import's time: when it is
marked 是否核实 = 是, the same import verifies it, and the public board's 求助→核实 time
counted 0 minutes for it. Such requests are left out of the steps from the report, and
the board says how many (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC
from zhengwu.rescue import followup, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.board import board
from zhengwu.rescue.models import Incident
from zhengwu.rescue.spreadsheet import export_csv, import_csv

from .conftest import DISPATCHER, ORIGINAL, post

SHEET = """姓名,地址,人数,情况,联系方式,是否核实,是否获救,时间
张建国,郑州市金水区文化路32号院3号楼,8,老人孩子被困水已到二楼,13800001111,是,否,
刘桂兰,郑州市二七区航海中路158号院5号楼,1,老人心脏病药快吃完了,13900002211,是,否,2021-07-20 08:00
"""


def test_a_sheet_row_without_a_time_is_left_out_of_the_report_to_verification_time(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    incident = make_incident()
    path = tmp_path / "名单.csv"
    path.write_text(SHEET, encoding="utf-8")
    report = import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    assert report.new_requests == 2
    requests = {r.phones[0]: r for r in rescue_service.requests_of(session, incident=incident)}
    untimed, timed = requests["13800001111"], requests["13900002211"]
    assert untimed.verification == timed.verification == "confirmed"
    assert (untimed.reported_at_known, timed.reported_at_known) == (False, True)

    step = board(session, incident=incident, principal=PUBLIC).response_times
    reported = step["reported_to_verified"]
    assert (reported.count, reported.left_out) == (1, 1)  # only the row with a 时间
    assert reported.median_minutes is not None and reported.median_minutes > 0
    assert step["verified_to_dispatched"].left_out == 0
    # The export leaves its 时间 blank (not the import's time), so the sheet imported into
    # another incident does not make it known there either.
    exported = list(csv.DictReader(io.StringIO(export_csv(session, incident=incident,
                                                          principal=DISPATCHER))))  # fmt: skip
    times = {row["联系方式"]: row["时间"] for row in exported}
    assert times["13800001111"] == "" and times["13900002211"].startswith("2021-07-20 08:00")

    # The family's own post, with its time, joins the request: its report time is known now.
    intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)], actor=DISPATCHER)
    session.flush()
    joined = rescue_service.get_request(session, request_id=untimed.id)
    assert len(joined.sources) == 2
    assert joined.reported_at_known and joined.reported_at == post("1", ORIGINAL).posted_at
    again = board(session, incident=incident, principal=PUBLIC).response_times
    assert (again["reported_to_verified"].count, again["reported_to_verified"].left_out) == (2, 0)


def test_a_citizen_s_update_does_not_make_an_unknown_report_time_known(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """The citizen's update (their private link) is kept with its own time in the 处理记录;
    it says nothing of when the people asked: the request stays untimed, left out of the
    board's steps from the report, its 时间 blank in the export — also after its facts are
    recomputed (an unmerge of another source)."""
    incident = make_incident()
    path = tmp_path / "名单.csv"
    path.write_text(SHEET, encoding="utf-8")
    import_csv(session, incident=incident, path=path, actor=DISPATCHER)
    requests = {r.phones[0]: r for r in rescue_service.requests_of(session, incident=incident)}
    untimed = requests["13800001111"]
    imported_at = untimed.reported_at
    followup.issue(session, request=untimed, phone=None)
    update = followup.add_update(session, request=untimed, data=followup.FollowupUpdateIn(
        text="水又涨了，现在一共10人", people=None))  # fmt: skip
    session.flush()
    request = rescue_service.get_request(session, request_id=untimed.id)
    assert request.people_total == 10  # its facts are folded in
    assert not request.reported_at_known and request.reported_at == imported_at
    assert update.posted_at > imported_at  # the update keeps its own time
    step = board(session, incident=incident, principal=PUBLIC).response_times
    assert (step["reported_to_verified"].count, step["reported_to_verified"].left_out) == (1, 1)
    exported = list(csv.DictReader(io.StringIO(export_csv(session, incident=incident,
                                                          principal=DISPATCHER))))  # fmt: skip
    assert {row["联系方式"]: row["时间"] for row in exported}["13800001111"] == ""
    intake.refresh(request)  # the facts recomputed from the sources, the update among them
    assert not request.reported_at_known and request.reported_at == imported_at
