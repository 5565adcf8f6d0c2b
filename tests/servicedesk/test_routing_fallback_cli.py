"""The fallback body from the command line, round trip on the test's database (SQLite and
PostgreSQL): derive it, list it, name another, route a hotline row with no place, retire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.accounts.models import Organization
from zhengwu.cli.desk_requests import app
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.models import ServiceRequest

runner = CliRunner()
HOTLINE = "郑州市12345政务服务便民热线"


def _run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def _json(*args: str) -> Any:
    return orjson.loads(_run(*args, "--json").stdout.splitlines()[-1])


def _orgs(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        category_service.ensure_default_tree(session)  # another test may have emptied it
        found = [
            Organization(name=HOTLINE, level="市", sector="政务服务", adcode="410100"),
            Organization(name="郑州市人力资源和社会保障局", level="市", sector="人社",
                         adcode="410100"),
        ]  # fmt: skip
        session.add_all(found)
        session.commit()
        return {o.name: o.id for o in found}


def test_the_fallback_round_trip(
    configured_database: str, committed_engine: Engine, tmp_path: Path
) -> None:
    orgs = _orgs(committed_engine)
    hotline = orgs[HOTLINE]
    assert _json("routing", "fallback")["fallbacks"] == []
    said = _run("routing", "fallback").stdout
    assert "没有兜底规则" in said and "no fallback rule" in said

    # derive proposes the only city's 12345 centre: for its city, and for no place.
    derived = _json("routing", "derive")
    assert derived["fallbacks"] == 2 and derived["notes"] == []
    table = _json("routing", "list")
    fallbacks = {(r["adcode"], r["category_code"]): r for r in table["rules"] if r["fallback"]}
    assert {k: r["organization_id"] for k, r in fallbacks.items()} == {
        ("410100", None): hotline, (None, None): hotline,
    }  # fmt: skip
    assert all(not r["fallback"] for r in table["rules"] if r["adcode"] and r["category_code"])
    listed = _run("routing", "list").stdout
    assert "[兜底 fallback]" in listed
    # Each body by its name and number (before: "→ 机构 12", a number to look up).
    assert f"→ {HOTLINE} (#{hotline})" in listed

    # A per-category fallback by name, listed with the others; a new version of the table.
    _run("routing", "fallback", "--category", "05", "--org", "郑州市人力资源和社会保障局")
    shown = _json("routing", "fallback")
    assert shown["version"] == table["version"] + 1
    assert {(r["adcode"], r["category_code"]) for r in shown["fallbacks"]} == {
        ("410100", None), (None, None), (None, "05"),
    }  # fmt: skip
    refused = _run("routing", "fallback", "--category", "05", "--adcode", "410100", "--org",
                   HOTLINE, code=2)  # fmt: skip
    assert "routing add" in refused.output and "兜底规则不能同时限定分类和区划" in refused.output

    # A hotline row with no place: the per-category fallback takes 社保, the centre the rest.
    path = tmp_path / "export.csv"
    path.write_text(
        "工单编号,受理时间,诉求内容\n"
        "F1,2025-07-02 10:00:00,公司一直没给我们交社保，离职时才发现断缴了8年\n"
        "F2,2025-07-02 11:00:00,小区门口路灯不亮已经一周了\n",
        encoding="utf-8",
    )
    imported = _json("import-csv", str(path))
    assert imported["created"] == 2
    with Session(committed_engine) as session:
        placed = dict(session.execute(select(ServiceRequest.source_ref,
                                             ServiceRequest.organization_id)).all())  # fmt: skip
    assert placed == {"12345:F1": orgs["郑州市人力资源和社会保障局"], "12345:F2": hotline}

    # Retired, the city-wide fallback is gone from the list (and kept for what it routed).
    anywhere = next(r for r in shown["fallbacks"] if r["adcode"] is None and not r["category_code"])
    _run("routing", "retire", str(anywhere["id"]), "--reason", "热线改制")
    left = {(r["adcode"], r["category_code"]) for r in _json("routing", "fallback")["fallbacks"]}
    assert left == {("410100", None), (None, "05")}


def test_a_value_the_rule_refuses_is_an_error_not_a_traceback(
    configured_database: str, committed_engine: Engine
) -> None:
    orgs = _orgs(committed_engine)
    # A division name is read as the import reads it (test_routing_division_names); an
    # empty --adcode is still a value the rule's model refuses.
    for command in (["routing", "add", "--category", "05"], ["routing", "fallback"]):
        result = _run(*command, "--adcode", "", "--org", str(orgs[HOTLINE]), code=2)
        # Before: pydantic's ValidationError with a traceback, exit 1.
        assert "Traceback" not in result.output and "ValidationError" not in result.output
        assert "取值无效 adcode=''" in result.output
        assert "invalid value adcode=''" in result.output
    assert _json("routing", "list")["rules"] == []  # nothing added
