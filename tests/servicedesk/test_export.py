"""Export of requests: it imports again (round trip), cells never run as formulas, personal
data is masked for a role that does not handle requests, and the API streams it over HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.files import iter_csv_rows
from zhengwu.ingest.workbook import SheetLeft
from zhengwu.servicedesk import export, service
from zhengwu.servicedesk.csvimport import import_csv
from zhengwu.servicedesk.filters import RequestFilters
from zhengwu.servicedesk.schemas import RequestIntake
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

HEADER = ["工单编号", "来电时间", "诉求内容", "所属区域", "联系人", "联系电话", "答复意见",
          "答复时间", "办理状态", "办结时间", "满意度", "回访时间", "是否公开"]  # fmt: skip
FORMULA = '=HYPERLINK("http://evil.example/","点我")'
ROWS = [
    # closed and rated, with a caller (closed: a re-import never merges into it)
    ["T1", "2025-07-02 09:00:00", "金水区小区物业乱收费，请查处", "金水区", "王建国", "13811112222",
     "已责成物业退费", "2025-07-03 10:00:00", "已办结", "2025-07-04 10:00:00", "5",
     "2025-07-05 10:00:00", "是"],
    # open, answered
    ["T2", "2025-07-06 09:00:00", "金水区路灯不亮", "金水区", "", "", "已安排维修",
     "2025-07-07 10:00:00", "办理中", "", "", "", "否"],
    # open, a text that a spreadsheet would run as a formula
    ["T3", "2025-07-08 09:00:00", FORMULA, "金水区", "", "", "", "", "待受理", "", "", "", "否"],
    # open, a text starting with + and -
    ["T4", "2025-07-09 09:00:00", "-金水区噪音扰民 +夜间施工", "金水区", "", "", "", "", "", "", "",
     "", "是"],
]  # fmt: skip


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def _export_csv(session: Session, path: Path, filters: RequestFilters | None = None) -> Path:
    records = export.iter_records(session, principal=SYSTEM, filters=filters or RequestFilters())
    path.write_bytes(b"".join(export.chunks("csv", records)))
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_an_export_imports_again_unchanged(session: Session, world: World, tmp_path: Path) -> None:
    first = import_csv(session, _write(tmp_path / "hotline.csv", ROWS), actor=SYSTEM)
    assert (first.created, first.quarantined) == (4, 0)
    out = _export_csv(session, tmp_path / "export.csv")
    rows = _read(out)
    assert list(rows[0]) == list(export.COLUMNS)
    assert [r["工单编号"] for r in rows] == ["T4", "T3", "T2", "T1"]  # newest first
    closed = rows[3]
    # Rated, so followed up (回访): a word the import reads as closed.
    assert (closed["办理状态"], closed["办结时间"], closed["满意度"], closed["回访时间"]) == (
        "已回访",
        "2025-07-04 10:00:00",
        "5",
        "2025-07-05 10:00:00",
    )
    assert (closed["联系人"], closed["联系电话"]) == ("王建国", "13811112222")  # the admin: in full
    # The same desk again: every ticket is found, none doubled, none refused.
    again = import_csv(session, out, actor=SYSTEM)
    assert (again.created, again.existing, again.quarantined) == (0, 4, 0)
    # Another channel's copy of the same file: four new requests, equal in every column
    # but their public id and channel.
    copy = import_csv(session, out, actor=SYSTEM, source="csv")
    assert (copy.created, copy.quarantined) == (4, 0)
    copied = _read(_export_csv(session, tmp_path / "copy.csv", RequestFilters(channels=["csv"])))
    same = [c for c in export.COLUMNS if c not in ("诉求编号", "来源渠道")]
    assert [{c: r[c] for c in same} for r in copied] == [{c: r[c] for c in same} for r in rows]
    assert {r["来源渠道"] for r in copied} == {"csv"}


def test_cells_starting_like_a_formula_are_neutralised(
    session: Session, world: World, tmp_path: Path
) -> None:
    import_csv(session, _write(tmp_path / "hotline.csv", ROWS), actor=SYSTEM)
    by_ticket = {r["工单编号"]: r for r in _read(_export_csv(session, tmp_path / "e.csv"))}
    assert by_ticket["T3"]["诉求内容"] == "'" + FORMULA
    assert by_ticket["T4"]["诉求内容"] == "'-金水区噪音扰民 +夜间施工"
    assert by_ticket["T2"]["诉求内容"] == "金水区路灯不亮"  # nothing else touched
    records = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    book = load_workbook(io.BytesIO(b"".join(export.chunks("xlsx", records))))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    text = header.index("诉求内容")
    cells = {row[0].value: row[text] for row in sheet.iter_rows(min_row=2)}
    assert cells["T3"].value == "'" + FORMULA and cells["T3"].data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    # JSON is not a spreadsheet: the text as it is.
    records = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
    data = orjson.loads(b"".join(export.chunks("json", records)))
    assert {r["工单编号"]: r["诉求内容"] for r in data}["T3"] == FORMULA


def test_an_export_longer_than_a_worksheet_goes_on_in_more_sheets(tmp_path: Path) -> None:
    records = [{c: f"{c}{i}" for c in export.COLUMNS} for i in range(7)]
    out = io.BytesIO()
    export.write_xlsx(iter(records), out, sheet_rows=3)  # header + 2 rows a sheet
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["诉求", "诉求 (2)", "诉求 (3)", "诉求 (4)"]
    first = export.COLUMNS[0]
    seen = []
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == list(export.COLUMNS)  # every sheet has the header
        assert 2 <= len(rows) <= 3
        seen += [row[0] for row in rows[1:]]
    assert seen == [f"{first}{i}" for i in range(7)]  # every row once, in order
    assert export.EXCEL_MAX_ROWS == 1_048_576
    # Read back as an import reads it: every sheet, in order, each row named by its sheet.
    saved = tmp_path / "诉求.xlsx"
    saved.write_bytes(out.getvalue())
    left: list[SheetLeft] = []
    back = list(iter_csv_rows(saved, left=left))
    assert [row[first] for _, row, _ in back if row is not None] == seen and left == []
    assert [str(n) for n, _, _ in back][1:3] == ["诉求:3", "诉求 (2):2"]


def test_filters_narrow_the_export(session: Session, world: World, tmp_path: Path) -> None:
    import_csv(session, _write(tmp_path / "hotline.csv", ROWS), actor=SYSTEM)

    def tickets(**kwargs: object) -> list[str]:
        records = export.iter_records(session, principal=SYSTEM, filters=RequestFilters(**kwargs))  # type: ignore[arg-type]
        return [r["工单编号"] for r in records]

    assert tickets(ticket="T2") == ["T2"]
    assert tickets(ticket="12345:T2") == ["T2"]
    assert tickets(ticket="nope") == []
    assert tickets(region="4101") == ["T4", "T3", "T2", "T1"]  # 郑州 takes in 金水区
    assert tickets(region="410300") == []
    # By name as a routing rule reads it: the city, the district, another city.
    assert tickets(region="郑州市") == tickets(region=" 金水区 ") == ["T4", "T3", "T2", "T1"]
    assert tickets(region="洛阳市") == []
    with pytest.raises(InvalidInputError) as several:  # no home region decides between them
        tickets(region="朝阳区")
    assert "对应多个区划" in several.value.message_zh and "110105" in several.value.message_zh
    assert "names several divisions" in several.value.message_en
    with pytest.raises(InvalidInputError) as unknown:
        tickets(region="火星区")
    assert unknown.value.message_zh == "未知的区划「火星区」"
    assert tickets(channels=["weibo"]) == []
    assert tickets(states=["resolved", "followed_up"]) == ["T1"]


# -- over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def imported(committed_engine: Engine, committed_world: World, tmp_path: Path) -> None:
    """The four hotline tickets, committed."""
    with Session(committed_engine) as session:
        import_csv(session, _write(tmp_path / "hotline.csv", ROWS), actor=SYSTEM)
        session.commit()


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        yield client


def _csv_rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_api_streams_the_export_the_reader_may_take(
    http: httpx.Client, committed_world: World, committed_engine: Engine, imported: None
) -> None:
    r = http.get("/api/desk/requests/export", headers=committed_world.headers("admin"),
                 params={"format": "csv", "state": ["received", "replied"]})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert {row["工单编号"] for row in _csv_rows(r.content)} == {"T2", "T3", "T4"}
    # Lookup by the hotline's ticket number, in the queue too.
    q = http.get("/api/desk/requests", headers=committed_world.headers("admin"),
                 params={"ticket": "T1"})  # fmt: skip
    assert q.status_code == 200 and len(q.json()) == 1
    x = http.get("/api/desk/requests/export", headers=committed_world.headers("admin"),
                 params={"format": "xlsx", "ticket": "T3"})  # fmt: skip
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content)).worksheets[0]
    assert sheet["A2"].value == "T3"
    with Session(committed_engine) as session:
        audits = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "request_export")
            .order_by(AuditEntry.id)
        ).all()
        assert [(a.action, a.data["format"]) for a in audits] == [("export", "csv"),
                                                                   ("export", "xlsx")]  # fmt: skip
        assert audits[1].data["filters"] == {"ticket": "T3"}


def test_a_role_that_does_not_handle_requests_gets_them_masked(
    http: httpx.Client, committed_world: World, imported: None
) -> None:
    r = http.get("/api/desk/requests/export", headers=committed_world.headers("dispatcher"))
    assert r.status_code == 200, r.text
    rows = {row["工单编号"]: row for row in _csv_rows(r.content)}
    # The public board's requests only (T2 and T3 are private calls), personal data masked.
    assert set(rows) == {"T1", "T4"}
    assert (rows["T1"]["联系人"], rows["T1"]["联系电话"]) == ("王**", "138******22")
    assert "13811112222" not in r.text and "王建国" not in r.text
    # A handler of another city reads none of them.
    other = http.get("/api/desk/requests/export", headers=committed_world.headers("ly_housing"),
                     params={"format": "json"})  # fmt: skip
    assert other.status_code == 200 and other.json() == []
    # The public cannot export at all.
    anonymous = http.get("/api/desk/requests/export")
    assert anonymous.status_code == 403
    assert "请先登录" in anonymous.json()["message_zh"]


def test_a_bad_filter_is_a_422(http: httpx.Client, committed_world: World) -> None:
    headers = committed_world.headers("admin")
    for params in ({"format": "pdf"}, {"channel": "fax"}, {"region": "41x"}, {"state": "x"}):
        r = http.get("/api/desk/requests/export", headers=headers, params=params)
        assert r.status_code == 422, (params, r.text)


def test_a_text_with_control_characters_still_exports_to_excel(
    http: httpx.Client, committed_world: World
) -> None:
    # A text sent with characters no worksheet cell may hold (\x01, \x0b): the workbook
    # stopped half-way, a 200 download cut short, for every reader whose export held it.
    sent = http.post("/api/requests", json={"text": "金水区\x01路灯\x0b不亮", "public": True})
    assert sent.status_code == 201, sent.text
    x = http.get("/api/desk/requests/export", headers=committed_world.headers("admin"),
                 params={"format": "xlsx"})  # fmt: skip
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content)).worksheets[0]
    header, *rows = sheet.iter_rows(values_only=True)
    text = header.index("诉求内容")
    assert [row[text] for row in rows] == ["金水区路灯不亮"]
    # The CSV and JSON keep the text as it came.
    j = http.get("/api/desk/requests/export", headers=committed_world.headers("admin"),
                 params={"format": "json"})  # fmt: skip
    assert [r["诉求内容"] for r in j.json()] == ["金水区\x01路灯\x0b不亮"]


def test_the_export_command_writes_each_format(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zhengwu.cli.desk_requests import app
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine

    migrate.upgrade(get_engine())
    runner = CliRunner()
    hotline = _write(tmp_path / "hotline.csv", ROWS)
    assert runner.invoke(app, ["import-csv", str(hotline)]).exit_code == 0
    out = tmp_path / "open.csv"
    done = runner.invoke(app, ["export", "--out", str(out), "--state", "received"])
    assert done.exit_code == 0, done.output
    assert "exported 2" in done.stdout
    assert [r["工单编号"] for r in _read(out)] == ["T4", "T3"]
    xlsx = tmp_path / "all.xlsx"
    done = runner.invoke(app, ["export", "--format", "xlsx", "--out", str(xlsx)])
    assert done.exit_code == 0, done.output
    assert load_workbook(xlsx).worksheets[0].max_row == 5
    bad = runner.invoke(app, ["export", "--format", "pdf", "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code != 0 and "unknown format" in bad.output
    nobody = runner.invoke(app, ["export", "--as", "nobody", "--out", str(tmp_path / "n.csv")])
    assert nobody.exit_code != 0 and "no such user" in nobody.output


# The API export's filter (a parameter of servicedesk.views._filters) → the CLI's option.
CLI_NAMES = {"organization_id": "organization", "start": "since", "end": "until"}


def test_the_export_command_takes_every_filter_of_the_api_export() -> None:
    import inspect

    import typer

    from zhengwu.cli.desk_requests import app
    from zhengwu.servicedesk import views

    api = [p for p in inspect.signature(views._filters).parameters if p != "principal"]
    command = typer.main.get_command(app).commands["export"]  # type: ignore[attr-defined]
    options = {p.name for p in command.params}
    assert [p for p in api if CLI_NAMES.get(p, p) not in options] == []


def test_the_export_command_filters_by_ticket_and_phone(
    configured_database: str, imported: None, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from zhengwu.cli.desk_requests import app

    runner = CliRunner()

    def exported(*args: str) -> list[str]:
        out = tmp_path / "out.csv"
        done = runner.invoke(app, ["export", "--out", str(out), *args])
        assert done.exit_code == 0, done.output
        return [r["工单编号"] for r in _read(out)]

    assert exported("--ticket", "T2") == ["T2"]
    assert exported("--ticket", "12345:T3") == ["T3"]
    assert exported("--phone", "138-1111-2222") == ["T1"]
    assert exported("--ticket", "", "--region", "") == ["T4", "T3", "T2", "T1"]  # as the API
    bad = runner.invoke(app, ["export", "--phone", "12", "--out", str(tmp_path / "p.csv")])
    assert bad.exit_code != 0 and "invalid phone" in bad.output
    # Bounded as the API's organization_id is (PostgreSQL refuses a larger integer).
    big = ["export", "--organization", str(2**31), "--out", str(tmp_path / "o.csv")]
    refused = runner.invoke(app, big)
    assert refused.exit_code == 2 and "--organization" in refused.output
    # A role that does not handle requests may not look a phone up (as the API: 403).
    out = tmp_path / "p.csv"
    as_dispatcher = ["export", "--as", "u_dispatcher", "--phone", "13811112222", "--out", str(out)]
    denied = runner.invoke(app, as_dispatcher)
    assert denied.exit_code != 0 and "only desk staff may look up a phone" in denied.output
    assert not out.exists()


def _bulk(session: Session, start: int, n: int) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert

    from zhengwu.servicedesk.models import ServiceRequest

    now = datetime.now(UTC)
    rows = [
        {"public_id": f"SRM{i:08d}", "citizen_token_hash": "x" * 64, "state": "received",
         "version": 1, "source": "12345", "source_ref": f"12345:M{i}", "is_public": False,
         "text": f"金水区第{i}号诉求，来电人王建国 13811112222", "text_masked": f"金水区第{i}号诉求",
         "citizen_name": "王建国", "citizen_phone": "13811112222", "fingerprint": "f" * 40,
         "adcode": "410105", "received_at": now - timedelta(seconds=i),
         "resolve_due": now + timedelta(days=5), "supervision_count": 0, "reopen_count": 0,
         "attributes": {}, "created_at": now, "updated_at": now}
        for i in range(start, start + n)
    ]  # fmt: skip
    session.execute(insert(ServiceRequest), rows)


def _export_peak(session: Session) -> tuple[int, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        size = 0
        records = export.iter_records(session, principal=SYSTEM, filters=RequestFilters())
        for chunk in export.chunks("csv", records):
            size += len(chunk)
        return tracemalloc.get_traced_memory()[1], size
    finally:
        tracemalloc.stop()


def test_export_memory_stays_flat_as_rows_grow(session: Session, world: World) -> None:
    _bulk(session, 0, 1_000)
    small_peak, small_size = _export_peak(session)
    _bulk(session, 1_000, 9_000)  # ten times the rows
    large_peak, large_size = _export_peak(session)
    assert large_size > 9 * small_size
    # Rows stream: the peak is the batch and the chunk, not the file (which grew 10×).
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak, large_size)


def test_a_masked_export_cuts_the_address_to_its_street(session: Session, world: World) -> None:
    service.receive(session, actor=SYSTEM, intake=RequestIntake(
        source="open311", text="小区电梯坏了一周", address="郑州市金水区花园路12号院3号楼2单元501室",
    ))  # fmt: skip

    def address(user: str) -> str:
        records = export.iter_records(
            session, principal=world.principals[user], filters=RequestFilters()
        )
        return next(iter(records))["事发地址"]

    # The public board's request for a role that does not handle it: as Open311 shows it.
    assert address("dispatcher") == "郑州市金水区花园路"
    assert address("admin") == "郑州市金水区花园路12号院3号楼2单元501室"


def test_a_masked_export_leaves_the_citizens_rating_out(
    session: Session, world: World, tmp_path: Path
) -> None:
    import_csv(session, _write(tmp_path / "hotline.csv", ROWS), actor=SYSTEM)

    def rated(user: str) -> dict[str, str]:
        records = export.iter_records(
            session, principal=world.principals[user], filters=RequestFilters()
        )
        return next(r for r in records if r["工单编号"] == "T1")

    # A rating is the citizen's own feedback (docs/privacy.md): the role that reads the
    # public board's requests masked sees neither the rating nor when it was given.
    masked = rated("dispatcher")
    assert (masked["满意度"], masked["回访时间"], masked["历次满意度"]) == ("", "", "")
    assert masked["办理状态"] == "已回访"  # the state stays: the board shows it too
    full = rated("admin")
    assert (full["满意度"], full["回访时间"]) == ("5", "2025-07-05 10:00:00")
