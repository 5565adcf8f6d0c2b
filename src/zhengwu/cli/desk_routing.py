"""``zhengwu desk routing export|import|reroute``: the routing table as a sheet (派单表),
and re-routing the requests that wait with no body (未派单).

Registered on ``desk routing`` by :mod:`zhengwu.cli.desk_requests` (:func:`register`),
next to ``list``, ``add``, ``fallback``, ``retire`` and ``derive``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from zhengwu.cli.common import check_output, console, err_console, handle_errors, print_json

SHOWN = 200  # planned changes printed (all: --json)
AsAdminOpt = Annotated[
    str | None,
    typer.Option("--as", help="act as this user, an admin: the audit log (and a new version "
                 "of the table) name them (default: the system)"),
]  # fmt: skip


def register(routing_app: typer.Typer) -> None:
    """Add ``export``, ``import`` and ``reroute`` to the ``desk routing`` group."""
    routing_app.command("export", short_help="导出派单表 / export the rules as a sheet")(
        routing_export
    )
    routing_app.command(
        "import", short_help="从派单表载入规则 / load the routing table from a sheet"
    )(routing_import)
    routing_app.command(
        "reroute", short_help="按现行规则为未派单诉求派单 / route the requests waiting with no body"
    )(routing_reroute)


def note_waiting(session: Any) -> None:
    """Say on stderr how many requests wait with no body, and how to re-route them — after a
    command that added rules (``add``, ``fallback``, ``derive``, ``import``): a rule routes
    the requests taken in from now on, not those already waiting."""
    from zhengwu.servicedesk.routing.reroute import waiting_count

    n = waiting_count(session)
    if n:
        err_console.print(
            f"提示 note：{n} 件诉求未派单、正在等待承办单位，新规则不会自动派给它们：先运行 "
            "`zhengwu desk routing reroute --dry-run` 查看，再运行 `zhengwu desk routing reroute` "
            f"按现行规则重新派单 / {n} request(s) wait with no body, and new rules do not route "
            "them: see with `zhengwu desk routing reroute --dry-run`, then route them by the "
            "rules in force with `zhengwu desk routing reroute`",
            markup=False, soft_wrap=True,
        )  # fmt: skip


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
    as_user: AsAdminOpt = None,
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
        elif summary.added or summary.changed:
            note_waiting(session)
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


@handle_errors
def routing_reroute(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print how the waiting requests would be routed; "
                           "write nothing")
    ] = False,
    as_user: AsAdminOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:  # fmt: skip
    """Route the requests waiting with no body (未派单) through the rules in force now.

    A rule added later — a fallback (兜底) above all — routes the requests taken in from
    then on; this routes those already waiting: open, 已接收, no body. Each is audited as a
    route, saying it was re-routed and why it waited; deadlines do not move (they run from
    receipt). Left as they are: returned ones (已退单), one a matrix office kept in its
    own queue that the rules would send outside its matrix, and those still without a rule.
    Admin only. See docs/servicedesk.md.

    Example: zhengwu desk routing reroute --dry-run
    """
    from zhengwu.cli.desk_requests import _principal
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.routing.reroute import reroute

    with unit_of_work() as session:
        actor = _principal(session, as_user)
        summary = reroute(session, actor=actor, dry_run=dry_run)
    if json_out:
        print_json(summary.to_dict())
        return
    _print_reroute(summary)


def _print_reroute(summary: Any) -> None:
    """Print a re-route's counts and the requests it routed (or would)."""
    if summary.dry_run:
        console.print("试运行，未写入 dry run, nothing written")
    done = "将重新派单 would re-route" if summary.dry_run else "已重新派单 re-routed"
    console.print(
        f"未派单 waiting {summary.waiting}  {done} {summary.rerouted}（其中兜底 fallbacks "
        f"{summary.fallbacks}）  仍无规则 no rule {summary.no_rule}  留在矩阵队列 kept in an "
        f"office's queue {summary.kept_in_office}  已被处理 changed meanwhile {summary.changed}",
        markup=False, soft_wrap=True,
    )  # fmt: skip
    if summary.returned or summary.other_states:
        console.print(
            f"未处理 left to the office：已退单 returned {summary.returned}  其他状态 other "
            f"states {summary.other_states}",
            markup=False, soft_wrap=True,
        )  # fmt: skip
    for r in summary.routed[:SHOWN]:
        tag = f"  [兜底 fallback: {r.fallback}]" if r.fallback else ""
        console.print(f"{r.public_id} → {r.organization} (#{r.organization_id}){tag}  等待原因 waited: "
                      f"{r.waiting}", markup=False, soft_wrap=True)  # fmt: skip
    if summary.rerouted > SHOWN:
        console.print(f"… 另有 {summary.rerouted - SHOWN} 件 more (--json lists them)")
