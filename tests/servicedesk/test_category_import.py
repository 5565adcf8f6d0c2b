"""Importing a deployment's category tree from a level CSV (``zhengwu desk categories import``)."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from zhengwu.audit.models import AuditEntry
from zhengwu.cli.desk_requests import app
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.importer import import_tree
from zhengwu.servicedesk.category.models import Category
from zhengwu.servicedesk.service import SYSTEM

runner = CliRunner()


def _taxonomy(shared_data: Path) -> Path:
    path = shared_data / "citizen-messages" / "taxonomy.csv"
    assert path.is_file()
    return path


def _paths(path: Path) -> set[tuple[str, ...]]:
    """Every category path of a level CSV, read with the csv module (the expected tree)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    out: set[tuple[str, ...]] = set()
    for row in rows:
        names = tuple(c.strip() for c in row if c.strip())
        out.update(names[: i + 1] for i in range(len(names)))
    return out


def _tree_paths(session: Session) -> dict[tuple[str, ...], Category]:
    rows = category_service.get_tree(session, include_inactive=True)
    by_code = {c.code: c for c in rows}
    out = {}
    for cat in rows:
        names = [by_code[c].name for c in reversed(category_service.lineage(rows, cat.code))]
        out[tuple(names)] = cat
    return out


def test_real_taxonomy_loads_keeps_codes_and_is_idempotent(
    session: Session, shared_data: Path
) -> None:
    path = _taxonomy(shared_data)
    category_service.ensure_default_tree(session)
    before = _tree_paths(session)
    wanted = _paths(path)
    leaves = len(path.read_text(encoding="utf-8").splitlines()) - 1

    dry = import_tree(session, path, actor=SYSTEM, dry_run=True)
    assert dry.run_id is None
    assert _tree_paths(session).keys() == before.keys()  # nothing written

    summary = import_tree(session, path, actor=SYSTEM)
    assert summary.read == leaves
    assert summary.quarantined == 0
    assert summary.created == len(wanted - before.keys())
    assert summary.imported + summary.updated + summary.duplicates == leaves
    assert (dry.read, dry.imported, dry.created) == (
        summary.read,
        summary.imported,
        summary.created,
    )
    after = _tree_paths(session)
    assert wanted <= after.keys()
    # The default tree's 城乡建设 keeps its code; its new children are numbered below it.
    assert after[("城乡建设",)].code == "01"
    assert after[("城乡建设", "安全生产")].code.startswith("01")
    assert after[("城乡建设", "安全生产", "事故处理")].parent_code == (
        after[("城乡建设", "安全生产")].code
    )
    for names, cat in before.items():
        assert after[names].code == cat.code
    # 政法 is new: a new first-level code after the default tree's 01…07.
    assert len(after[("政法",)].code) == 2 and after[("政法",)].code > "07"

    again = import_tree(session, path, actor=SYSTEM)
    assert (again.imported, again.updated, again.created) == (0, 0, 0)
    assert again.duplicates == leaves
    assert len(_tree_paths(session)) == len(after)

    run = session.get(ImportRun, summary.run_id)
    assert run is not None and run.format == "desk-categories" and run.imported == summary.imported
    audits = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "category", AuditEntry.action == "create"
        )
    ).all()
    assert len(audits) == summary.created
    run_audit = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "import_run",
                                 AuditEntry.entity_id == summary.run_id)
    ).one()  # fmt: skip
    assert run_audit.action == "categories-import"
    assert run_audit.data is not None and run_audit.data["created"] == summary.created


def test_bad_rows_are_quarantined_with_reasons(session: Session, tmp_path: Path) -> None:
    category_service.ensure_default_tree(session)
    inactive = category_service.get(session, "0105")  # 城乡建设 / 征收拆迁
    inactive.active = False
    session.flush()
    path = tmp_path / "tree.csv"
    path.write_text(
        "一级分类,二级分类,三级分类,办结时限\n"
        "城乡建设,物业管理,物业费,10\n"  # 2: new leaf under 0101, own deadline
        "城乡建设,,安全隐患,\n"  # 3: gap
        ",教育,学校,\n"  # 4: no first level
        f"城乡建设,{'长' * 70},,\n"  # 5: name too long
        "城乡建设,A/B,,\n"  # 6: slash
        "城乡建设,物业管理,维修基金,400\n"  # 7: deadline out of range
        "城乡建设,物业管理,电梯,三天\n"  # 8: not a number
        "城乡建设,物业管理,物业费,20\n"  # 9: repeated leaf, other deadline
        "城乡建设,物业管理,物业费,10\n"  # 10: repeated leaf, same: a duplicate
        "城乡建设,征收拆迁,,\n"  # 11: inactive: made active again
        "城乡建设,物业管理,,30\n",  # 12: existing leaf, new deadline
        encoding="utf-8",
    )
    summary = import_tree(session, path, actor=SYSTEM)
    reasons = {q.source.rsplit(":", 1)[1]: q.reason for q in summary.quarantines}
    assert set(reasons) == {"3", "4", "5", "6", "7", "8", "9"}
    assert "empty level" in reasons["3"] and "二级分类" in reasons["3"]
    assert "empty level '一级分类'" in reasons["4"]
    assert "longer than 64" in reasons["5"]
    assert "contains '/'" in reasons["6"]
    assert "resolve_days" in reasons["7"]
    assert "whole number" in reasons["8"]
    assert "line 2" in reasons["9"]
    assert (summary.read, summary.imported, summary.updated, summary.duplicates) == (11, 1, 2, 1)
    assert summary.created == 1
    tree = _tree_paths(session)
    fee = tree[("城乡建设", "物业管理", "物业费")]
    assert fee.parent_code == "0101" and fee.code == "010101" and fee.resolve_days == 10
    assert fee.response_days == tree[("城乡建设", "物业管理")].response_days  # inherited
    assert tree[("城乡建设", "征收拆迁")].active is True
    assert tree[("城乡建设", "物业管理")].resolve_days == 30
    stored = session.scalars(
        select(QuarantineEntry).where(QuarantineEntry.run_id == summary.run_id)
    ).all()
    assert len(stored) == 7
    updates = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "category", AuditEntry.action == "update"
        )
    ).all()
    assert len(updates) == 2


def test_file_without_level_columns_is_refused(session: Session, tmp_path: Path) -> None:
    from zhengwu.errors import InvalidInputError

    path = tmp_path / "wrong.csv"
    path.write_text("code,name\n01,城乡建设\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="一级分类"):
        import_tree(session, path, actor=SYSTEM)


def test_cli_import_dry_run_and_list(
    configured_database: str, committed_engine: Engine, shared_data: Path
) -> None:
    path = _taxonomy(shared_data)
    dry = runner.invoke(app, ["categories", "import", str(path), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    planned = orjson.loads(dry.stdout)
    assert planned["run_id"] is None and planned["created"] > 600
    with Session(committed_engine) as s:
        assert s.scalar(select(Category).where(Category.name == "政法")) is None
    done = runner.invoke(app, ["categories", "import", str(path)])
    assert done.exit_code == 0, done.output
    assert f"新建分类 categories created {planned['created']}" in done.stdout
    listed = runner.invoke(app, ["categories", "list", "--json"])
    names = {c["name"] for c in orjson.loads(listed.stdout)["categories"]}
    assert {"政法", "安全生产", "事故处理"} <= names
    table = runner.invoke(app, ["categories", "list"]).stdout.splitlines()
    third = next(line for line in table if "事故处理" in line)
    assert third.startswith("    ") and not third.startswith("     ")  # two levels deep
    again = runner.invoke(app, ["categories", "import", str(path), "--json"])
    assert orjson.loads(again.stdout)["created"] == 0


def test_sectors_come_from_the_file_or_the_parent_and_route(
    session: Session, tmp_path: Path
) -> None:
    from zhengwu.accounts.models import Organization
    from zhengwu.servicedesk.routing import service as routing_service

    category_service.ensure_default_tree(session)
    path = tmp_path / "tree.csv"
    path.write_text(
        "一级分类,二级分类,三级分类,系统\n"
        "城乡建设,供水,水压不足,水务\n"  # its own 系统; 供水 takes 城乡建设's
        "城乡建设,物业管理,电梯故障,\n"  # none given: 物业管理's (none) — nothing to take
        "卫生健康,,,卫健；医保\n"  # a new first level with two 系统
        "卫生健康,医院服务,挂号难,\n"  # both new: 卫生健康's
        "卫生健康,医院服务,挂号难,卫健\n",  # the same leaf with other sectors: refused
        encoding="utf-8",
    )
    summary = import_tree(session, path, actor=SYSTEM)
    assert (summary.imported, summary.quarantined) == (4, 1)
    assert "with other sectors" in summary.quarantines[0].reason
    tree = _tree_paths(session)
    town = tree[("城乡建设",)].sectors
    assert town == ["住建", "城管", "自然资源", "水利"]
    assert tree[("城乡建设", "供水")].sectors == town
    assert tree[("城乡建设", "供水", "水压不足")].sectors == ["水务"]
    assert tree[("城乡建设", "物业管理", "电梯故障")].sectors == []
    assert tree[("卫生健康",)].sectors == ["卫健", "医保"]
    assert tree[("卫生健康", "医院服务")].sectors == ["卫健", "医保"]
    assert tree[("卫生健康", "医院服务", "挂号难")].sectors == ["卫健", "医保"]

    # Routing by sector reaches them: the new first level, and the leaf with its own 系统.
    water = Organization(name="郑州市水务局", level="市", sector="水务", adcode="410100")
    health = Organization(name="郑州市卫生健康委员会", level="市", sector="卫健", adcode="410100")
    session.add_all([water, health])
    session.flush()
    rules = routing_service.derive_rules(session, actor=SYSTEM).rules
    routed = {(r.category_code, r.organization_id) for r in rules}
    assert (tree[("卫生健康",)].code, health.id) in routed
    assert (tree[("城乡建设", "供水", "水压不足")].code, water.id) in routed
    # A subcategory that shares its parent's sectors is routed by the parent's rule.
    assert tree[("卫生健康", "医院服务")].code not in {r.category_code for r in rules}

    # Changing a leaf's 系统 in the file updates it; the same file again changes nothing.
    path.write_text("一级分类,二级分类,三级分类,sectors\n城乡建设,供水,水压不足,水务、住建\n",
                    encoding="utf-8")  # fmt: skip
    changed = import_tree(session, path, actor=SYSTEM)
    assert changed.updated == 1
    assert _tree_paths(session)[("城乡建设", "供水", "水压不足")].sectors == ["水务", "住建"]
    assert import_tree(session, path, actor=SYSTEM).duplicates == 1
