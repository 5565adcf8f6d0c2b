"""A NUL character in an imported file, through the real CLI on SQLite and on PostgreSQL.

SQLite stored a NUL and PostgreSQL refused it, so the same file imported on one database
and stopped the import (or the whole transaction) on the other. Now the record holding
it goes to the quarantine on both, with a reason naming the field; the entry shows the
NUL as ``\\u0000`` (PostgreSQL could not store the entry otherwise); every other record
of the file is imported as usual.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.accounts.models import Account, Matrix
from zhengwu.auth.principal import Principal
from zhengwu.cli.main import app
from zhengwu.content import store
from zhengwu.db.engine import unit_of_work
from zhengwu.ingest.models import QuarantineEntry
from zhengwu.ingest.pipeline import run_import
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpSource, SetAside
from zhengwu.rescue.schemas import IncidentCreate
from zhengwu.servicedesk.models import ServiceRequest

from .test_cli_import import USER, _status

runner = CliRunner()
NUL_ESCAPE = "\\u0000"


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = orjson.loads(result.stdout.strip().splitlines()[-1])
    return summary


def _quarantine(engine: Engine) -> list[tuple[str, str, str | None]]:
    with Session(engine) as session:
        rows = session.execute(
            select(QuarantineEntry.source, QuarantineEntry.reason, QuarantineEntry.raw).order_by(
                QuarantineEntry.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_a_platform_record_with_a_nul_is_quarantined_naming_the_field(
    configured_database: str, committed_engine: Engine, tmp_path: Path
) -> None:
    other = {**USER, "id": 1234567890, "idstr": "1234567890", "screen_name": "平安\x00深圳",
             "name": "平安\x00深圳"}  # fmt: skip
    lines = [
        _status(4091509081366576, 10),
        {**_status(4091509081366577, 5), "text": "提醒\x00注意防范电信诈骗"},
        {**_status(4091509081366578, 1), "user": other},
    ]
    path = tmp_path / "statuses.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    summary = _json(["import", "weibo-api", str(path), "--json"])
    assert (summary["read"], summary["quarantined"]) == (3, 2), summary
    # DuckDB's vectorised route (taken by large files) leaves such lines to the importer.
    with unit_of_work() as session, store.open_store() as con:
        fast = run_import("weibo-api", [path], session=session, analytics=con, fast=True)
    assert (fast.read, fast.quarantined, fast.duplicates) == (3, 2, 1)
    entries = _quarantine(committed_engine)
    assert len(entries) == 4  # each import quarantines the same two records
    for source, reason, raw in entries:
        assert source.startswith(str(path)) and "\x00" not in (raw or "") + reason + source
        assert raw is not None and NUL_ESCAPE in raw
    reasons = {reason for _, reason, _ in entries}
    assert reasons == {
        "字段「text」含有空字符（NUL，\\u0000），数据库无法保存 / field 'text' contains a NUL "
        "character (\\u0000), which the database cannot store",
        "字段「account.name」含有空字符（NUL，\\u0000），数据库无法保存 / field 'account.name' "
        "contains a NUL character (\\u0000), which the database cannot store",
    }
    with Session(committed_engine) as session:
        # The author of the first record is kept; the one with the NUL is nowhere.
        assert list(session.scalars(select(Account.name))) == ["广东政法"]


def test_a_hotline_row_with_a_nul_is_quarantined_naming_the_column(
    configured_database: str, committed_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["工单编号", "受理时间", "诉求内容", "联系电话"])
        writer.writerow(["A1", "2025-07-02 10:00:00", "金水区小区物业乱收费", "13811112222"])
        writer.writerow(["A2", "2025-07-03 10:00:00", "路灯坏了\x00三天", "13811113333"])
    summary = _json(["desk", "import-csv", str(path), "--json"])
    assert (summary["read"], summary["created"], summary["quarantined"]) == (2, 1, 1)
    [(source, reason, _)] = _quarantine(committed_engine)
    assert source.endswith("export.csv:3"), source
    assert reason.startswith("字段「诉求内容」含有空字符（NUL，\\u0000）"), reason
    with Session(committed_engine) as session:
        assert list(session.scalars(select(ServiceRequest.text))) == ["金水区小区物业乱收费"]


def test_a_volunteers_row_with_a_nul_is_quarantined_and_kept_readable(
    configured_database: str, committed_engine: Engine, tmp_path: Path
) -> None:
    with Session(committed_engine) as session:
        rescue_service.create_incident(
            session,
            data=IncidentCreate(name="郑州暴雨", regions=["410100"],
                                starts_at=datetime(2021, 7, 20, tzinfo=UTC)),
            actor=Principal(role="dispatcher", user_id=None, username="d", display_name="调度员"),
        )  # fmt: skip
        session.commit()
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "序号,姓名,地址,人数,情况,紧急程度,联系方式\n"
        "1,张建国,郑州市金水区文化路32号院3号楼,8,老人孩子被困水已到二楼,紧急,13800001111\n"
        "2,刘桂兰,郑州市二七区航海中路158号院,1,老人\x00被困,紧急,13900002211\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rescue", "import-csv", "郑州暴雨", str(sheet), "--json"])
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout.strip().splitlines()[-1])
    assert (report["read"], report["quarantined"], report["new_requests"]) == (2, 1, 1)
    with Session(committed_engine) as session:
        [aside] = session.scalars(select(SetAside).where(SetAside.kind == "quarantined"))
        assert aside.reason.startswith("sheet.csv 第 3 行：字段「情况」含有空字符（NUL，\\u0000）")
        assert aside.text is not None and f"老人{NUL_ESCAPE}被困" in aside.text
        assert ["张建国" in s.text for s in session.scalars(select(HelpSource))] == [True]


def test_a_matrix_entry_with_a_nul_is_quarantined_naming_the_field(
    configured_database: str, committed_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "matrices.json"
    entries = [
        {"id": "m1", "name": "郑州政务矩阵", "kind": "regional", "adcode": "410100"},
        {"id": "m2", "name": "郑州\x00公安", "kind": "vertical", "sector": "公安"},
    ]
    path.write_text(json.dumps(entries, ensure_ascii=False), "utf-8")
    summary = _json(["import", "zhengwu-matrices", str(path), "--json"])
    assert (summary["read"], summary["imported"], summary["quarantined"]) == (2, 1, 1)
    [(source, reason, raw)] = _quarantine(committed_engine)
    assert source.endswith("matrices.json:[2]")
    assert reason.startswith("字段「name」含有空字符（NUL，\\u0000）"), reason
    assert raw is not None and f"郑州{NUL_ESCAPE}公安" in raw
    with Session(committed_engine) as session:
        assert list(session.scalars(select(Matrix.name))) == ["郑州政务矩阵"]
