"""``zhengwu desk routing export|import``: the routing table as a sheet (派单表).

Registered on ``desk routing`` by :mod:`zhengwu.cli.desk_requests` (:func:`register`),
next to ``list``, ``add``, ``fallback``, ``retire`` and ``derive``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from zhengwu.cli.common import check_output, console, handle_errors, print_json

SHOWN = 200  # planned changes printed (all: --json)


def register(routing_app: typer.Typer) -> None:
    """Add ``export`` and ``import`` to the ``desk routing`` group."""
    routing_app.command("export")(routing_export)
    routing_app.command("import")(routing_import)


@handle_errors
def routing_export(
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json")] = "csv",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="file to write (its directory must exist); default: print "
                     "the CSV or JSON"),
    ] = None,
) -> None:  # fmt: skip
    """Export the rules in force as a sheet people read and edit (派单表).

    One row per rule, fallbacks (兜底) first: 区划代码 区划名称 分类代码 分类名称 (the path in
    the tree) 承办单位 承办单位编号 承办单位代码 兜底 说明 规则编号 版本 生效时间. Cells that
    start like a formula are kept as text. `zhengwu desk routing import` reads the file back
    as it is: edit it, then import it. See docs/servicedesk.md.

    Example: zhengwu desk routing export --format xlsx --out 派单表.xlsx
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.errors import InvalidInputError
    from zhengwu.servicedesk.routing import sheet

    known = sheet.check_format(fmt)
    if out is None and known == "xlsx":
        raise InvalidInputError(
            "Excel 文件须用 --out 指定写入的文件", "an Excel file needs --out (the file to write)"
        )
    if out is not None:
        check_output(out, "--out")
    rows = 0
    with unit_of_work() as session:

        def counted() -> Any:
            nonlocal rows
            for record in sheet.iter_records(session):
                rows += 1
                yield record

        if out is None:
            for chunk in sheet.chunks(known, counted()):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        with out.open("wb") as fh:
            for chunk in sheet.chunks(known, counted()):
                fh.write(chunk)
    console.print(f"已导出 exported {rows} 条规则 rules → {out}", markup=False)


@handle_errors
def routing_import(
    path: Annotated[
        Path, typer.Argument(help="CSV (UTF-8 or GBK) or Excel (.xlsx): the export's columns, "
                            "or the centre's own 区划 / 分类 / 承办单位")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print what would be added, changed and retired; "
                           "write nothing")
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="retire the rules in force the file does not name "
                           "(a file with refused rows then changes nothing)")
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="import as this user, an admin: the table's version and the "
                     "audit log name them (default: the system)"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:  # fmt: skip
    """Load the routing table from a sheet: add and change rules (and retire, --replace).

    Divisions by code or name (renamed ones resolve to their successor), categories by
    code, name or path in the city's tree, bodies by id, code or exact name. A row that
    cannot be read is refused with its row, column and reason (kept in the quarantine);
    two rows for one division and category with different bodies are both refused. The
    good rows are applied, as one new version of the table — with --replace, a file with
    refused rows changes nothing. Admin only. See docs/servicedesk.md.

    Example: zhengwu desk routing export --out 派单表.csv && zhengwu desk routing import 派单表.csv --dry-run
    """
    from zhengwu.cli.desk_requests import _principal, _warn
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.routing.importer import TableRefusedError, import_table

    with unit_of_work() as session:
        actor = _principal(session, as_user)
        summary = import_table(session, path, actor=actor, dry_run=dry_run, replace=replace)
        if not summary.applied:
            session.rollback()
    for warning in summary.warnings:
        _warn(warning)
    if json_out:
        print_json(summary.to_dict())
    else:
        _print_summary(summary)
    if summary.refused_whole and not dry_run:
        raise TableRefusedError(summary)


def _print_summary(summary: Any) -> None:
    """Print an import's counts, its planned or made changes and its refused rows."""
    if summary.dry_run:
        console.print("试运行，未写入 dry run, nothing written")
    console.print(
        f"读取 read {summary.read}  新增 added {summary.added}  变更 changed {summary.changed}  "
        f"未变 unchanged {summary.unchanged}  重复 repeated {summary.repeated}  "
        f"拒绝 refused {summary.refused}  停用 retired {summary.retired}"
    )
    if summary.version is not None:
        console.print(f"路由表版本 routing table version {summary.version}")
    elif summary.applied:
        console.print("路由表未改动 the routing table is unchanged")
    for planned in summary.plan[:SHOWN]:
        console.print(planned.line(), markup=False, soft_wrap=True)
    if len(summary.plan) > SHOWN:
        console.print(f"… 另有 {len(summary.plan) - SHOWN} 项 more (--json lists all)")
    for q in summary.quarantines:
        console.print(f"拒绝 refused {q.source}: {q.reason}", markup=False, soft_wrap=True)
    if summary.run_id and summary.refused:
        console.print(f"(zhengwu quarantine --run {summary.run_id})")
    if summary.refused_whole and summary.dry_run:
        console.print(
            "有被拒绝的行：使用 --replace 导入时不会做任何改动 / rows are refused: with --replace "
            "the import would change nothing",
            style="yellow", markup=False,
        )  # fmt: skip
