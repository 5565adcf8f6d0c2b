"""The routing table as a sheet (派单表): export, and import back (SQLite and PostgreSQL).

The test city's table (:func:`tests.servicedesk.conftest.build_world`) goes out as CSV and
Excel and comes back unchanged; a 12345 centre's own sheet with bad rows is read row by
row (the good rows applied, the others refused with row, column and reason); ``replace``
retires what the file does not name, in one version, audited as the one-by-one commands.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, InvalidInputError
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import CategoryCreate
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing import sheet
from zhengwu.servicedesk.routing.importer import import_table
from zhengwu.servicedesk.routing.models import RoutingRule, RoutingRuleCreate
from zhengwu.servicedesk.service import SYSTEM

from .conftest import World

HEADER = "区划,问题分类,责任单位,备注\n"


def _table(session: Session) -> set[tuple[str | None, str | None, int]]:
    return {(r.adcode, r.category_code, r.organization_id)
            for r in routing_service.active_rules(session)}  # fmt: skip


def _write(session: Session, path: Path, fmt: str = "csv") -> Path:
    path.write_bytes(b"".join(sheet.chunks(sheet.check_format(fmt),
                                           sheet.iter_records(session))))  # fmt: skip
    return path


def _counts(session: Session) -> tuple[int, int, int, int]:
    """(table version, rules, audit entries, import runs): what a dry run must not change."""
    return (
        routing_service.table_version(session),
        session.scalar(select(func.count()).select_from(RoutingRule)) or 0,
        session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        session.scalar(select(func.count()).select_from(ImportRun)) or 0,
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_table_imports_back_unchanged(
    session: Session, world: World, tmp_path: Path, fmt: str
) -> None:
    routing_service.add_rules(session, actor=SYSTEM, note="兜底", rules=[
        RoutingRuleCreate(organization_id=world.orgs["hotline"]),
        RoutingRuleCreate(adcode="410100", organization_id=world.orgs["hotline"]),
    ])  # fmt: skip
    before, version = _table(session), routing_service.table_version(session)
    path = _write(session, tmp_path / f"派单表.{fmt}", fmt)
    summary = import_table(session, path, actor=SYSTEM)
    assert (summary.read, summary.unchanged, summary.refused) == (6, 6, 0)
    assert (summary.added, summary.changed, summary.retired, summary.version) == (0, 0, 0, None)
    assert summary.applied and summary.plan == []
    assert _table(session) == before and routing_service.table_version(session) == version
    # --replace with the whole table retires nothing either.
    again = import_table(session, path, actor=SYSTEM, replace=True)
    assert (again.unchanged, again.retired, again.version) == (6, 0, None)


def test_the_export_has_readable_columns_fallbacks_first(
    session: Session, world: World, tmp_path: Path
) -> None:
    routing_service.add_rules(session, actor=SYSTEM, rules=[
        RoutingRuleCreate(organization_id=world.orgs["hotline"], note="=HYPERLINK(\"x\")"),
    ])  # fmt: skip
    text = _write(session, tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(sheet.COLUMNS)
    first = rows[0]
    assert (first["区划代码"], first["区划名称"], first["分类名称"], first["兜底"]) == (
        "", "任意区划", "任意分类", "是",
    )  # fmt: skip
    assert first["说明"] == '\'=HYPERLINK("x")'  # formula-safe: kept as text
    assert first["承办单位"] == "郑州市12345政务服务便民热线"
    assert first["承办单位编号"] == str(world.orgs["hotline"])
    housing = next(r for r in rows if r["区划代码"] == "410105" and r["分类代码"] == "01")
    assert (housing["区划名称"], housing["分类名称"], housing["承办单位"], housing["兜底"]) == (
        "金水区", "城乡建设", "郑州市金水区住房和城乡建设局", "否",
    )  # fmt: skip
    rule = session.get(RoutingRule, int(housing["规则编号"]))
    assert rule is not None and housing["版本"] == str(rule.table_version)
    data = orjson.loads(b"".join(sheet.chunks("json", sheet.iter_records(session))))
    assert [r["规则编号"] for r in data] == [r["规则编号"] for r in rows]


def test_a_centres_own_sheet_applies_its_good_rows_and_refuses_the_others(
    session: Session, world: World, tmp_path: Path
) -> None:
    category_service.create(session, actor=SYSTEM, data=CategoryCreate(
        code="0199", name="其他", parent_code="01", response_days=1, resolve_days=15))  # fmt: skip
    category_service.create(session, actor=SYSTEM, data=CategoryCreate(
        code="0299", name="其他", parent_code="02", response_days=1, resolve_days=15))  # fmt: skip
    path = tmp_path / "派单.csv"
    path.write_bytes(
        (
            HEADER
            + "郑州市金水区,环境保护,郑州市生态环境局金水分局,不变\n"  # 2 unchanged
            + "金水区,噪声污染,郑州市生态环境局金水分局,新增\n"  # 3 added (a name)
            + "410100,01,郑州市12345政务服务便民热线,变更\n"  # 4 changed
            + "中原区,城乡建设,没有这个单位,\n"  # 5 unknown body
            + "中原区,没有的分类,郑州市公安局,\n"  # 6 unknown category
            + "二七区,城乡建设,郑州市公安局,\n"  # 7 conflict with 8
            + "郑州市二七区,01,郑州市住房和城乡建设局,\n"  # 8 conflict with 7
            + "朝阳区,城乡建设,郑州市公安局,\n"  # 9 two 朝阳区
            + "中原区,其他,郑州市公安局,\n"  # 10 two 其他
            + "江干区,城乡建设,郑州市公安局,改名的区划\n"  # 11 added: 上城区
            + "金水区,噪声污染,郑州市生态环境局金水分局,\n"  # 12 repeats 3
        ).encode("gbk")
    )  # a sheet saved by Excel on Chinese Windows
    summary = import_table(session, path, actor=SYSTEM)
    assert (summary.read, summary.added, summary.changed, summary.unchanged) == (11, 2, 1, 1)
    assert (summary.repeated, summary.refused, summary.retired) == (1, 6, 0)
    reasons = {q.source.rsplit(":", 1)[1]: q.reason for q in summary.quarantines}
    assert set(reasons) == {"5", "6", "7", "8", "9", "10"}
    assert "第 5 行「责任单位」" in reasons["5"] and "row 5, column 责任单位" in reasons["5"]
    assert "没有这个单位" in reasons["5"]
    assert "第 6 行「问题分类」" in reasons["6"] and "no category '没有的分类'" in reasons["6"]
    assert (
        "第 7 行「责任单位」：与第 8 行（郑州市住房和城乡建设局）的区划和分类相同" in reasons["7"]
    )
    assert "same division and category as row 7 (郑州市公安局)" in reasons["8"]
    assert "(this row: 郑州市住房和城乡建设局)" in reasons["8"]
    assert "110105" in reasons["9"] and "220104" in reasons["9"]
    assert "0199 城乡建设/其他" in reasons["10"] and "0299 环境保护/其他" in reasons["10"]
    table = _table(session)
    o = world.orgs
    assert ("410105", "0201", o["js_eco"]) in table
    assert ("330102", "01", o["police"]) in table  # 江干区 → 上城区, its successor
    assert ("410100", "01", o["hotline"]) in table and (
        "410100",
        "01",
        o["city_housing"],
    ) not in table
    assert not any(adcode in ("410102", "410103") for adcode, _, _ in table)  # nothing refused
    # One version for the whole file; the refused rows are quarantined with their raw text.
    assert summary.version == routing_service.table_version(session) == 2
    quarantined = session.scalars(
        select(QuarantineEntry).where(QuarantineEntry.run_id == summary.run_id)
        .order_by(QuarantineEntry.id)).all()  # fmt: skip
    assert [q.source for q in quarantined] == [q.source for q in summary.quarantines]
    # Each as its line is in the file (read as GBK), not its cells re-written.
    assert [q.raw for q in quarantined[:2]] == [
        "中原区,城乡建设,没有这个单位,",
        "中原区,没有的分类,郑州市公安局,",
    ]
    assert any("rows 3、12" in w or "第 3、12 行" in w for w in summary.warnings)


def test_dry_run_plans_and_writes_nothing(session: Session, world: World, tmp_path: Path) -> None:
    path = tmp_path / "派单.csv"
    path.write_text(HEADER + "410105,01,郑州市住房和城乡建设局,\n410102,01,郑州市公安局,\n",
                    encoding="utf-8")  # fmt: skip
    before, table = _counts(session), _table(session)
    summary = import_table(session, path, actor=SYSTEM, dry_run=True, replace=True)
    session.flush()
    assert _counts(session) == before and _table(session) == table
    assert not summary.applied and summary.run_id is None and summary.version is None
    plan = {(p.action, p.adcode, p.category_code): p for p in summary.plan}
    assert set(plan) == {("change", "410105", "01"), ("add", "410102", "01"),
                         ("retire", "410100", "01"), ("retire", "410105", "02"),
                         ("retire", "410300", "01")}  # fmt: skip
    change = plan["change", "410105", "01"]
    assert (change.was_organization, change.organization) == (
        "郑州市金水区住房和城乡建设局", "郑州市住房和城乡建设局",
    )  # fmt: skip
    assert change.row == "2" and plan["retire", "410300", "01"].row == ""


def test_replace_retires_what_the_file_leaves_out_in_one_audited_version(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "派单.xlsx"
    _write(session, path, "xlsx")
    # Keep the two 金水区 rules: delete the others from the sheet as a person would.
    from openpyxl import load_workbook

    book = load_workbook(path)
    ws = book.active
    assert ws is not None
    for row in range(ws.max_row, 1, -1):
        if ws.cell(row, 1).value != "410105":
            ws.delete_rows(row)
    book.save(path)
    in_force = {r.adcode: r for r in routing_service.active_rules(session) if r.adcode != "410105"}
    summary = import_table(session, path, actor=SYSTEM, replace=True)
    assert (summary.unchanged, summary.retired, summary.added, summary.changed) == (2, 2, 0, 0)
    assert _table(session) == {("410105", "01", world.orgs["js_housing"]),
                               ("410105", "02", world.orgs["js_eco"])}  # fmt: skip
    assert summary.version == 2
    for rule in in_force.values():
        session.refresh(rule)
        assert rule.retired_version == 2 and rule.valid_to is not None
    retired = session.scalars(select(AuditEntry).where(
        AuditEntry.entity_type == "routing_rule", AuditEntry.action == "retire")).all()  # fmt: skip
    assert sorted(e.entity_id for e in retired) == sorted(r.id for r in in_force.values())
    assert all(e.data == {"version": 2} for e in retired)
    runs = session.scalars(select(AuditEntry).where(AuditEntry.action == "routing-import")).all()
    assert [e.data["retired"] for e in runs] == [2]
    assert routing_service.versions(session)[0].note.startswith("导入派单表 派单.xlsx")


def test_replace_with_a_refused_row_changes_nothing(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "派单.csv"
    path.write_text(HEADER + "410105,01,郑州市住房和城乡建设局,\n410102,01,谁也不是,\n",
                    encoding="utf-8")  # fmt: skip
    before, table = _counts(session), _table(session)
    summary = import_table(session, path, actor=SYSTEM, replace=True)
    assert summary.refused_whole and not summary.applied and summary.refused == 1
    assert _counts(session) == before and _table(session) == table
    # Without --replace the good row is applied, as the category import does.
    summary = import_table(session, path, actor=SYSTEM)
    assert summary.applied and (summary.changed, summary.refused) == (1, 1)


def test_a_body_named_by_id_code_and_name_must_agree(
    session: Session, world: World, tmp_path: Path
) -> None:
    police = session.get(Organization, world.orgs["police"])
    assert police is not None
    police.external_id = "zz-police"
    path = tmp_path / "派单.csv"
    path.write_text(
        "区划代码,区划名称,分类代码,承办单位,承办单位编号,承办单位代码\n"
        f"410102,中原区,01,郑州市公安局,{police.id},zz-police\n"
        f"410103,二七区,01,郑州市公安局,{world.orgs['hotline']},\n"
        "410104,金水区,01,郑州市公安局,,\n"
        ",,02,,,zz-police\n",
        encoding="utf-8",
    )
    summary = import_table(session, path, actor=SYSTEM, dry_run=True)
    reasons = [q.reason for q in summary.quarantines]
    assert len(reasons) == 2
    assert "第 3 行「承办单位」" in reasons[0] and "承办单位编号" in reasons[0]
    assert "第 4 行「区划名称」" in reasons[1] and "410104" in reasons[1]
    assert {(p.adcode, p.category_code, p.organization_id) for p in summary.plan} == {
        ("410102", "01", police.id), (None, "02", police.id),
    }  # fmt: skip


def test_only_the_admin_imports_and_a_sheet_without_a_body_is_refused(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "派单.csv"
    path.write_text("区划,分类\n金水区,城乡建设\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as refused:
        import_table(session, path, actor=SYSTEM)
    assert "缺少承办单位列" in refused.value.message_zh and "承办单位" in refused.value.message_en
    empty = tmp_path / "empty.csv"
    empty.write_text("区划,承办单位\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="没有规则行"):
        import_table(session, empty, actor=SYSTEM, replace=True)
    office = world.principals["office"]
    assert isinstance(office, Principal)
    with pytest.raises(ForbiddenError):
        import_table(session, path, actor=office)


def test_a_rule_of_a_renamed_division_moves_to_its_successor(
    session: Session, world: World, tmp_path: Path
) -> None:
    """A rule stored under an old code (江干区 330104, merged into 上城区 330102 in 2021)
    routes no request (requests carry current codes): its exported row re-imports as the
    same rule under the current code, and the old one is retired in that version."""
    (old,) = routing_service.add_rules(session, actor=SYSTEM, rules=[
        RoutingRuleCreate(adcode="330104", category_code="01", organization_id=world.orgs["police"]),
    ])  # fmt: skip
    assert old.adcode == "330102"  # `routing add` moves it now; before, it stored it as given
    old.adcode = "330104"
    session.flush()
    text = _write(session, tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    assert "330104,上城区,01,城乡建设" in text
    summary = import_table(session, tmp_path / "t.csv", actor=SYSTEM)
    (moved,) = summary.plan
    assert (moved.action, moved.adcode, moved.rule_id) == ("change", "330102", old.id)
    session.refresh(old)
    assert old.retired_version == summary.version
    assert ("330102", "01", world.orgs["police"]) in _table(session)
    assert not any(adcode == "330104" for adcode, _, _ in _table(session))
