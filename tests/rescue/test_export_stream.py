"""The rescue export streams (CSV): the same sheet as the former in-memory export, written
batch by batch from the database in the queue's order, over HTTP as a chunked download."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from zhengwu.auth.principal import Principal
from zhengwu.rescue import access, corrections, dispatch, intake, listing, spreadsheet
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.demo import simulate_requests
from zhengwu.rescue.models import Incident, Team
from zhengwu.rescue.notices import HELPED_OUTCOMES, is_partial
from zhengwu.rescue.schemas import HelpSubmission, IncidentCreate, TeamCreate
from zhengwu.rescue.workflow import STATE_LABELS
from zhengwu.sheetcells import safe_row

from .conftest import COPY, DISPATCHER, ORIGINAL, OTHER, START, VERIFIER, make_users, post

NOW = datetime(2021, 7, 22, 12, 0, tzinfo=UTC)


def _former_export(session: Session, *, incident: Incident, principal: Principal) -> str:
    """The export as it was before it streamed: everything loaded, ranked in Python."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(spreadsheet.EXPORT_HEADER)
    requests = rescue_service.requests_of(session, incident=incident)
    for number, request in enumerate(rescue_service.rank(requests), start=1):
        seen = access.view(principal, request)
        rescued = {"complete": "是", "partial": "部分", "none": "否"}[seen.fulfilment]
        if request.outcome in HELPED_OUTCOMES:
            rescued = "部分" if is_partial(request) else "是"
        first_url = next((s.url for s in seen.sources if s.url), "")
        writer.writerow(safe_row((
            number, request.id, spreadsheet._local(request.reported_at), seen.name or "",
            seen.address or "", seen.area or "", seen.people_total or "", seen.people_helped,
            seen.text, spreadsheet.URGENCY_LABELS.get(seen.urgency, seen.urgency),
            " ".join(seen.phones), "是" if seen.verification == "confirmed" else "否", rescued,
            STATE_LABELS.get(seen.state, seen.state), seen.team_name or "", first_url or "",
        )))  # fmt: skip
    return out.getvalue()


def test_the_streamed_sheet_is_the_former_sheet(
    session: Session, make_incident: Callable[..., Incident], make_team: Callable[..., Team]
) -> None:
    incident, team = make_incident(), make_team()
    done = intake.take_in(session, incident=incident, actor=DISPATCHER, posts=[
        post("1", ORIGINAL), post("2", COPY, 3), post("3", OTHER, 9),
        post("4", '=HYPERLINK("http://evil.example") 求助！郑州市中原区建设路1号两人被困 13900001234', 20),
    ])  # fmt: skip
    first = rescue_service.get_request(session, request_id=done.requests[("weibo", "1")].id)
    other = rescue_service.get_request(session, request_id=done.requests[("weibo", "3")].id)
    dispatch.verify(session, request=first, method="phone", result="confirmed", actor=VERIFIER)
    dispatch.assign(session, request=first, team=team, actor=DISPATCHER)
    dispatch.fulfil(session, request=first, people=3, outcome="rescued", actor=DISPATCHER)
    dispatch.resolve(session, request=first, outcome="rescued", actor=DISPATCHER,
                     confirm_partial=True, partial_reason="其余人员已自行转移")  # fmt: skip
    formed = intake.submit(session, incident=incident, actor=DISPATCHER, data=HelpSubmission(
        text="@SUM(1+1) 郑州市金水区花园路5号，家里3个老人被困", name="-李四", phone="13912345678"))  # fmt: skip
    corrections.merge_requests(session, survivor=formed, other=other, actor=DISPATCHER,
                               reason="同一户")  # fmt: skip  # merged: in neither sheet
    session.flush()
    before = _former_export(session, incident=incident, principal=DISPATCHER)
    after = spreadsheet.export_csv(session, incident=incident, principal=DISPATCHER)
    assert after == before
    rows = list(csv.reader(io.StringIO(after, newline="")))
    assert len(rows) == 1 + 3  # the header, three requests (one merged away)
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    assert any(row[12] == "部分" for row in rows[1:])


def test_a_large_incident_is_written_batch_by_batch(
    session: Session, make_incident: Callable[..., Incident]
) -> None:
    incident = make_incident()
    simulate_requests(session, incident_id=incident.id, count=5000, now=NOW, seed=3)
    session.flush()
    session.expire_all()
    loads: list[str] = []

    def seen(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "help_requests.text" in statement:
            loads.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        rows = spreadsheet.export_rows(session, incident=incident, principal=DISPATCHER, now=NOW,
                                       batch=500)  # fmt: skip
        chunks = spreadsheet.csv_chunks(rows, rows_per_chunk=200)
        head = next(chunks)
        assert len(loads) == 1  # the first rows go out after one batch of 500 is loaded
        body = head + "".join(chunks)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(loads) == 10  # 5,000 requests, 500 at a time
    records = list(csv.reader(io.StringIO(body, newline="")))
    assert len(records) == 5001
    wanted = listing.ordered_ids(session, incident=incident, filters=listing.Filters(states=()),
                                 now=NOW)  # fmt: skip
    assert [int(r[1]) for r in records[1:]] == list(session.scalars(wanted))
    assert [int(r[0]) for r in records[1:]] == list(range(1, 5001))


def test_the_download_is_streamed(live_server: str, committed_engine: Engine) -> None:
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(session, data=IncidentCreate(
            name="大导出", regions=["410100"], starts_at=START), actor=DISPATCHER)  # fmt: skip
        team = rescue_service.create_team(session, data=TeamCreate(name="A队"), actor=DISPATCHER)
        simulate_requests(session, incident_id=incident.id, count=1500, now=NOW, seed=4)
        incident_id, team_id = incident.id, team.id
        session.commit()
    tokens = make_users(committed_engine, team_id=team_id)
    url = f"{live_server}/api/rescue/incidents/{incident_id}/export.csv"
    with httpx.stream("GET", url, headers={"authorization": f"Bearer {tokens['dispatcher']}"},
                      timeout=120) as reply:  # fmt: skip
        assert reply.status_code == 200
        assert reply.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in reply.headers
        pieces = list(reply.iter_raw())
        body = b"".join(pieces).decode("utf-8")
    assert body.startswith("\ufeff序号,求助编号")
    records = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))
    assert len(records) == 1501
    assert len({r[1] for r in records[1:]}) == 1500
    assert len(pieces) > 3  # written as it was read, not as one body
    refused = httpx.get(url, headers={"authorization": f"Bearer {tokens['verifier']}"}, timeout=60)
    assert refused.status_code == 403  # the export stays the dispatchers'
