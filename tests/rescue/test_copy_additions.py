"""What a near-copy of a help post adds (a second phone, more people, a door) reaches its
request's 情况: the export, the console and the API, masked on public views."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC
from zhengwu.rescue import access, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Incident
from zhengwu.rescue.spreadsheet import EXPORT_HEADER, export_csv, import_csv

from .conftest import DISPATCHER, ORIGINAL, post

# The original, passed on with a second phone, a larger count and the room number.
EXTRA = ORIGINAL.replace("求救援！", "求救援！另一个电话13900005678，现在共10人，在302室")


def test_a_copy_s_extra_facts_show_on_the_merged_request(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    taken = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL),
                           post("2", "扩散！" + EXTRA, 20)], actor=DISPATCHER)  # fmt: skip
    assert taken.requests[("weibo", "2")] is taken.requests[("weibo", "1")]
    request = rescue_service.get_request(session, request_id=taken.requests[("weibo", "1")].id)
    assert len(request.sources) == 2
    full = access.view(DISPATCHER, request)
    added = " ".join(full.additions)
    assert "13900005678" in added and "共10人" in added and "302室" in added
    assert "扩散" not in added  # the copy's own call to spread it is no fact
    [_, row] = list(csv.reader(io.StringIO(export_csv(session, incident=incident,
                                                           principal=DISPATCHER))))  # fmt: skip
    situation = row[EXPORT_HEADER.index("情况")]
    assert "13900005678" in situation and "共10人" in situation
    masked = access.view(PUBLIC, request)
    shown = " ".join(masked.additions)
    assert "13900005678" not in shown and "139****5678" in shown and "共10人" in shown


def test_a_sheet_row_of_the_same_request_adds_nothing_but_its_new_facts(
    session: Session, make_incident: Callable[..., Incident], tmp_path: Path
) -> None:
    """A volunteers' sheet row merged into a post writes the same facts its own way
    (【姓名】…, the address whole, the phones in one cell): none of it is listed."""
    incident = make_incident()
    taken = intake.take_in(session, incident=incident, posts=[post("1", ORIGINAL)],
                           actor=DISPATCHER)  # fmt: skip
    sheet = tmp_path / "名单.csv"
    sheet.write_text(
        "姓名,地址,人数,情况,联系方式\n张建国,郑州市金水区文化路32号院3号楼,8,"
        "家中老人2名孩子1名被困 水已到二楼 求转发,13800001111 13900005678\n",
        encoding="utf-8",
    )
    report = import_csv(session, incident=incident, path=sheet, actor=DISPATCHER)
    assert (report.new_requests, report.merged) == (0, 1)
    request = rescue_service.get_request(session, request_id=taken.requests[("weibo", "1")].id)
    # The sheet's labels, its address and its 求转发 are no news; its second phone is the
    # request's now (read from the row), so it is not listed again either.
    assert request.phones == ["13800001111", "13900005678"]
    assert access.view(DISPATCHER, request).additions == []
