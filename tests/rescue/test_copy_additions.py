"""What a near-copy of a help post adds (a second phone, more people, a door) reaches its
request's 情况: the export, the console and the API, masked on public views."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from sqlalchemy.orm import Session

from zhengwu.auth.principal import PUBLIC
from zhengwu.rescue import access, intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Incident
from zhengwu.rescue.spreadsheet import EXPORT_HEADER, export_csv

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
