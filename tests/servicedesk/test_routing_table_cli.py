"""``zhengwu desk routing export|import`` on the test's database (SQLite and PostgreSQL):
the round trip, a centre's GBK sheet with bad rows, --dry-run, --replace and --as."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.ingest.models import QuarantineEntry
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingTableVersion

from .conftest import World
from .test_routing_fallback_cli import _json, _run


def _state(engine: Engine) -> tuple[int, set[tuple[str | None, str | None, int]]]:
    with Session(engine) as session:
        rules = {(r.adcode, r.category_code, r.organization_id)
                 for r in routing_service.active_rules(session)}  # fmt: skip
        return routing_service.table_version(session), rules


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(
    configured_database: str, committed_world: World, committed_engine: Engine,
    tmp_path: Path, fmt: str,
) -> None:  # fmt: skip
    before = _state(committed_engine)
    out = tmp_path / f"派单表.{fmt}"
    said = _run("routing", "export", "--format", fmt, "--out", str(out)).stdout
    assert "exported 4" in said and out.stat().st_size > 0
    summary = _json("routing", "import", str(out))
    assert (summary["read"], summary["unchanged"], summary["refused"]) == (4, 4, 0)
    assert summary["applied"] is True and summary["version"] is None and summary["plan"] == []
    assert _state(committed_engine) == before


def test_export_prints_csv_or_json_without_out(
    configured_database: str, committed_world: World
) -> None:
    printed = _run("routing", "export").stdout
    assert printed.splitlines()[0].lstrip("\ufeff").startswith("区划代码,区划名称,分类代码")
    assert "郑州市金水区住房和城乡建设局" in printed
    rows = orjson.loads(_run("routing", "export", "--format", "json").stdout)
    assert sorted(r["区划代码"] for r in rows) == ["410100", "410105", "410105", "410300"]
    refused = _run("routing", "export", "--format", "xlsx", code=2)
    assert "--out" in refused.output
    assert "未知格式" in _run("routing", "export", "--format", "ods", code=2).output


def test_a_gbk_sheet_with_bad_rows_dry_run_then_import(
    configured_database: str, committed_world: World, committed_engine: Engine,
    tmp_path: Path,
) -> None:  # fmt: skip
    path = tmp_path / "派单.csv"
    path.write_bytes((
        "区划,问题分类,责任单位\n"
        "中原区,城乡建设,郑州市公安局\n"
        "金水区,城乡建设,不存在的单位\n"
        "二七区,城乡建设,郑州市公安局\n"
        "二七区,城乡建设,郑州市12345政务服务便民热线\n"
    ).encode("gbk"))  # fmt: skip
    before = _state(committed_engine)
    dry = _run("routing", "import", str(path), "--dry-run").stdout
    assert "dry run, nothing written" in dry
    assert "+ 新增 add     区划 410102 分类 01 → 郑州市公安局" in dry
    assert "第 3 行「责任单位」" in dry and "不存在的单位" in dry
    assert "第 4 行「责任单位」：与第 5 行（郑州市12345政务服务便民热线）" in dry
    assert "第 5 行「责任单位」：与第 4 行（郑州市公安局）" in dry
    assert _state(committed_engine) == before

    done = _json("routing", "import", str(path))
    assert (done["added"], done["refused"], done["version"]) == (1, 3, before[0] + 1)
    assert [r["source"].rsplit(":", 1)[1] for r in done["refused_rows"]] == ["3", "4", "5"]
    assert _state(committed_engine)[1] == before[1] | {
        ("410102", "01", committed_world.orgs["police"])
    }
    with Session(committed_engine) as session:
        kept = session.scalars(select(QuarantineEntry.source).where(
            QuarantineEntry.run_id == done["run_id"]).order_by(QuarantineEntry.id)).all()  # fmt: skip
    assert [k.rsplit(":", 1)[1] for k in kept] == ["3", "4", "5"]


def test_replace_retires_and_refuses_a_file_with_bad_rows_whole(
    configured_database: str, committed_world: World, committed_engine: Engine,
    tmp_path: Path,
) -> None:  # fmt: skip
    version, _ = _state(committed_engine)
    bad = tmp_path / "bad.csv"
    bad.write_text("区划代码,分类代码,承办单位\n410105,01,郑州市金水区住房和城乡建设局\n"
                   "410105,02,nobody\n", encoding="utf-8")  # fmt: skip
    refused = _run("routing", "import", str(bad), "--replace", code=2)
    assert "refused 1" in refused.stdout
    assert "替换导入（--replace）未做任何改动" in refused.output
    assert "a replacing import (--replace) changed nothing" in refused.output
    assert _state(committed_engine)[0] == version

    good = tmp_path / "good.csv"
    good.write_text("区划代码,分类代码,承办单位\n410105,01,郑州市金水区住房和城乡建设局\n",
                    encoding="utf-8")  # fmt: skip
    said = _run("routing", "import", str(good), "--replace").stdout
    assert "retired 3" in said and f"routing table version {version + 1}" in said
    assert said.count("- 停用 retire") == 3
    assert _state(committed_engine) == (
        version + 1, {("410105", "01", committed_world.orgs["js_housing"])},
    )  # fmt: skip


def test_import_as_a_user(
    configured_database: str, committed_world: World, committed_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "派单.csv"
    path.write_text("区划,分类,承办单位\n中原区,环境保护,郑州市公安局\n", encoding="utf-8")
    refused = _run("routing", "import", str(path), "--as", "u_office", code=2)
    assert "无权" in refused.output
    _run("routing", "import", str(path), "--as", "u_admin")
    with Session(committed_engine) as session:
        newest = session.scalars(
            select(RoutingTableVersion).order_by(RoutingTableVersion.version.desc())
        ).first()
    assert newest is not None and newest.actor_name == "用户admin"
