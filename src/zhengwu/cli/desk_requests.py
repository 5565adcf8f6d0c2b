"""``zhengwu desk …``: the service desk's requests, categories, routing, rates and jobs.

Mount with ``desk.app.add_typer(desk_requests.app)`` (no name: the commands sit directly
under ``zhengwu desk`` next to ``desk model``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from zhengwu.cli import desk_routing
from zhengwu.cli.common import (
    OrgOption,
    check_output,
    console,
    err_console,
    handle_errors,
    json_error_fields,
    org_id,
    print_json,
    print_refused,
)
from zhengwu.storable import MAX_STORED_INT

app = typer.Typer(help="诉求办理 / service desk: requests, categories, routing, rates.")
categories_app = typer.Typer(help="诉求分类 / the category tree.", no_args_is_help=True)
routing_app = typer.Typer(help="路由规则 / routing rules (category × division → body).",
                          no_args_is_help=True)  # fmt: skip
app.add_typer(categories_app, name="categories")
app.add_typer(routing_app, name="routing")

JsonOut = Annotated[bool, typer.Option("--json", help="print JSON")]


def _system() -> Any:
    from zhengwu.servicedesk.service import SYSTEM

    return SYSTEM


def _unrouted_warning(session: Any, came_in: int) -> str | None:
    """Return the warning to print when requests came in while no routing rule exists."""
    from zhengwu.servicedesk.routing import service as routing_service

    if came_in and not routing_service.has_rules(session):
        return routing_service.NO_RULES_WARNING
    return None


def _warn(warning: str | None) -> None:
    if warning:  # on stderr, so that --json output stays one JSON line
        err_console.print(f"[bold yellow]警告 warning[/]：{warning}", soft_wrap=True)


@app.command(
    "import-csv", short_help="从热线 CSV 导入诉求，坏行隔离 / import requests from a hotline CSV"
)
@handle_errors
def import_csv(
    path: Annotated[Path, typer.Argument(help="CSV export of a 12345 hotline system")],
    source: Annotated[
        str,
        typer.Option(help="source recorded on the requests, and the prefix of their ticket "
                     "numbers (12345 or csv): another channel's export with its own numbers "
                     "needs its own"),
    ] = "12345",
    public: Annotated[
        bool,
        typer.Option("--public", help="show the requests (masked) on the public board and in "
                     "Open311; default: private, unless a row's 是否公开 says 是"),
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="import as this user takes requests in: a matrix office's "
                     "file, as its upload would (default: the system, routing every row as "
                     "the routing table says)"),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="check the file: what the import would do now (counts, "
                     "warnings, quarantined rows), nothing written"),
    ] = False,
    json_out: JsonOut = False,
) -> None:  # fmt: skip
    """Import requests from a hotline CSV; bad rows go to the quarantine with their reason.

    Columns (any of the names): 工单编号, 受理时间, 标题, 诉求内容 (required), 问题分类, 区划代码,
    所属区域, 事发地址, 联系人, 联系电话, 答复意见 + 答复时间 (the body's reply), 办理状态,
    办结时间, 满意度, 是否公开, 来源 (the channel: 微博, 网站, 电话 …; a value the desk has no
    channel for is warned about) — see docs/servicedesk.md. Hotline calls are private unless
    --public or 是否公开. With --as a matrix office, the rows stay in its sight as its
    upload's do (kept in its queue; calls merged outside its matrix read-only for it).
    --dry-run runs the same import and rolls it back (the console's 检查): the counts and
    warnings are the ones an import would have now, and the refused rows are listed.

    Example: zhengwu desk import-csv exports/12345-2025-07.csv
    """
    from zhengwu.cli.ingest import record_refused
    from zhengwu.db.engine import rolled_back_if, unit_of_work
    from zhengwu.ingest.runs import ImportRefusedError
    from zhengwu.servicedesk import access, deadlines
    from zhengwu.servicedesk.csvimport import FORMAT, CsvImportSummary
    from zhengwu.servicedesk.csvimport import import_csv as run
    from zhengwu.servicedesk.upload import QUARANTINE_SHOWN, intake_warnings, quarantined_rows

    _check_source(source)
    try:
        with unit_of_work() as session, deadlines.collect_provisional() as provisional:
            actor = _principal(session, as_user)
            if as_user is not None:
                access.check_may_import(actor)
            with rolled_back_if(session, dry_run):
                summary = run(session, path, actor=actor, source=source, public=public)
                warnings = intake_warnings(session, summary, provisional)
                refused = (
                    quarantined_rows(session, summary.run_id)
                    if dry_run and summary.run_id is not None
                    else []
                )
    except ImportRefusedError as file_refused:
        if not dry_run:  # rolled back above: the run alone is stored, as zhengwu import's
            run_id = record_refused(FORMAT, [path], file_refused)
            json_error_fields(CsvImportSummary(run_id=run_id).to_dict())
        raise
    if dry_run:
        summary.run_id = None
    office = as_user is not None and actor.role == "matrix_office"
    if json_out:
        extra = {
            "dry_run": True,
            "refused": [{"source": where, "reason": why} for where, why in refused],
        } if dry_run else {}  # fmt: skip
        # The warnings go to stderr below as well; here a script reading the JSON sees them.
        print_json(
            {**summary.to_dict(), **(summary.office_dict() if office else {}), **extra,
             "warnings": warnings}
        )  # fmt: skip
    else:
        if dry_run:
            console.print("试运行，未写入任何内容 / dry run: nothing was written", style="bold")
        console.print(
            f"读取 read {summary.read}  新建 created {summary.created}  "
            f"合并 merged {summary.merged}  已有 existing {summary.existing}  "
            f"答复 replies {summary.replies}  办结 closed {summary.closed}  "
            + (f"退回 returned {summary.returned}  " if summary.returned else "")
            + f"隔离 quarantined {summary.quarantined}"
            + (
                f"  (zhengwu quarantine --run {summary.run_id})"
                if summary.quarantined and summary.run_id is not None
                else ""
            )
        )
        print_refused([f"{where}: {why}" for where, why in refused], QUARANTINE_SHOWN)
        if office:
            console.print(
                f"留在本矩阵队列 kept in its queue {summary.kept_in_office_queue}  "
                f"并入范围外诉求 merged outside its matrix {summary.merged_outside_scope}"
            )
    for warning in warnings:
        _warn(warning)


def _check_source(source: str) -> None:
    """Refuse a --source the requests cannot carry, before anything is read."""
    from zhengwu.errors import InvalidInputError
    from zhengwu.servicedesk.upload import import_sources

    allowed = import_sources()
    if source not in allowed:
        raise InvalidInputError(
            f"--source 无效：{source!r}（可选：{'、'.join(allowed)}）",
            f"invalid --source {source!r} (one of: {', '.join(allowed)})",
        )


@app.command(
    "intake-posts",
    short_help="把@矩阵账号的发文转为诉求 / turn posts that mention matrix accounts into requests",
)
@handle_errors
def intake_posts(
    since: Annotated[str, typer.Option(help="scan posts created since (ISO date/time, UTC)")] = "",
    days: Annotated[
        int, typer.Option(min=1, help="…or the last N days of stored posts (to the newest post)")
    ] = 7,
    hashtag: Annotated[list[str] | None, typer.Option(help="service hashtag (repeatable)")] = None,
    json_out: JsonOut = False,
) -> None:
    """Turn imported posts that @mention matrix accounts or carry #马上办# (…) into requests.

    --days counts back from the newest stored post, so the last days of imported data are
    read even when they end before today (the demo's simulated period); the window read is
    printed, and a window that holds none of the stored posts says where they are.

    Example: zhengwu desk intake-posts --days 30 --hashtag 马上办 --hashtag 问政
    """
    from dataclasses import asdict

    from zhengwu.content import store
    from zhengwu.db.engine import unit_of_work
    from zhengwu.errors import InvalidInputError
    from zhengwu.servicedesk import deadlines
    from zhengwu.servicedesk.posts import DEFAULT_HASHTAGS, intake_from_posts, post_window

    try:
        start = datetime.fromisoformat(since) if since else None
    except ValueError:
        raise InvalidInputError(
            f"--since 不是有效的日期或时间：{since!r}（例如 2025-07-01）",
            f"--since: invalid date or time {since!r} (e.g. 2025-07-01)",
        ) from None
    start = start if start is None or start.tzinfo else start.replace(tzinfo=UTC)
    with (
        store.open_store(read_only=True) as con,
        unit_of_work() as session,
        deadlines.collect_provisional() as provisional,
    ):
        window = post_window(con, since=start, days=days, now=datetime.now(UTC))
        summary = intake_from_posts(
            session, con, since=window.since, until=window.until, actor=_system(),
            hashtags=hashtag or DEFAULT_HASHTAGS,
        )  # fmt: skip
        warning = _unrouted_warning(session, summary.created)
    if json_out:
        print_json({**asdict(summary), "since": window.since.isoformat(),
                    "until": window.until.isoformat()})  # fmt: skip
    else:
        console.print(f"窗口 window {_china(window.since.isoformat())} – "
                      f"{_china(window.until.isoformat())}  扫描 scanned {summary.scanned}  "
                      f"新建 created {summary.created}  合并 merged {summary.merged}  "
                      f"已有 existing {summary.existing}")  # fmt: skip
    _warn(window.note(summary.scanned))
    _warn(warning)
    _warn(deadlines.provisional_notice(provisional))


@app.command(
    "escalate", short_help="督办所有超期未结诉求 / supervise every open request past a deadline"
)
@handle_errors
def escalate(json_out: JsonOut = False) -> None:
    """Supervise (督办) every open request past a deadline now (the worker does it every 5 min).

    On the demo's data "now" is the demo's clock: the end of its simulated period.

    Example: zhengwu desk escalate --json
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.demo import clock
    from zhengwu.servicedesk.scheduled import escalate_overdue

    with unit_of_work() as session:  # on the demo's data, on its simulated clock
        ids = [r.public_id for r in escalate_overdue(session, now=clock(session))]
    if json_out:
        print_json({"supervised": ids})
    elif ids:
        console.print(f"督办 supervised {len(ids)}: {' '.join(ids)}")
    else:
        console.print("督办 supervised 0（没有待督办的超期诉求 / no overdue request to supervise）")


@app.command(
    "due-soon", short_help="列出即将到期的诉求 / list open requests whose deadline is near"
)
@handle_errors
def due_soon(
    hours: Annotated[float, typer.Option(help="deadline within this many hours")] = 24,
    json_out: JsonOut = False,
) -> None:
    """List open requests whose next deadline is near (reminders for the handling bodies).

    Each line shows the deadline that is near: 响应期限 (response) while nobody has answered,
    办结期限 (resolution) otherwise, in China time, and the handling body (未派单 if none).

    Example: zhengwu desk due-soon --hours 8
    """
    from sqlalchemy import select

    from zhengwu.accounts.models import Organization
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk import deadlines
    from zhengwu.servicedesk.scheduled import due_soon as find
    from zhengwu.servicedesk.scheduled import next_deadline

    with unit_of_work() as session:
        now = deadlines.desk_now(session)  # the demo's clock on its data, as 超期 is judged
        found = find(session, principal=_system(), within_hours=hours, now=now)
        org_ids = {r.organization_id for r in found if r.organization_id is not None}
        names = dict(session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
        ).all()) if org_ids else {}  # fmt: skip
        rows = [_due_row(r, next_deadline(r, now), names) for r in found]
        provisional = deadlines.provisional_years((r.received_at, r.resolve_due) for r in found)
    rows.sort(key=lambda row: (row["due"] or "", row["public_id"]))
    if json_out:
        print_json(rows)
    else:
        if not rows:
            console.print(f"{hours:g} 小时内没有到期的未办结诉求 / no open request is due "
                          f"within {hours:g} hours")  # fmt: skip
        for row in rows:
            label = (
                "响应期限 response due" if row["due_kind"] == "response" else "办结期限 resolve due"
            )
            body = row["organization"] or "未派单 unassigned"
            console.print(f"{row['public_id']}  {row['state']:<12} 机构 {body}  "
                          f"{label} {_china(row['due'])}", soft_wrap=True, markup=False)  # fmt: skip
    _warn(deadlines.provisional_notice(provisional))


def _due_row(
    request: Any, deadline: tuple[str, datetime | None], names: dict[int, str]
) -> dict[str, Any]:
    """One due-soon request as a JSON-ready mapping, with the deadline that is near."""
    kind, due = deadline
    return {
        "public_id": request.public_id, "state": request.state,
        "organization_id": request.organization_id,
        "organization": names.get(request.organization_id) if request.organization_id else None,
        "due_kind": kind, "due": due.isoformat() if due else None,
        "response_due": request.response_due.isoformat() if request.response_due else None,
        "resolve_due": request.resolve_due.isoformat() if request.resolve_due else None,
    }  # fmt: skip


def _china(moment: str | None) -> str:
    """Show an ISO time in China time (YYYY-MM-DD HH:MM), or — when there is none."""
    from zoneinfo import ZoneInfo

    if moment is None:
        return "—"
    return (
        datetime.fromisoformat(moment)
        .astimezone(ZoneInfo("Asia/Shanghai"))
        .strftime("%Y-%m-%d %H:%M")
    )


@app.command(
    "rates",
    short_help="显示回应率、办结率、按时办结率、满意率 / show response, closing and satisfaction rates",
)
@handle_errors
def rates_command(
    period: Annotated[str, typer.Option(help="2025-07, 2025-Q3, 2025 or 2025-07-01..2025-07-15")],
    by: Annotated[
        str, typer.Option(help="organization | matrix | category | channel")
    ] = "organization",
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="write CSV here (its directory must exist)")
    ] = None,
    xlsx_path: Annotated[
        Path | None, typer.Option("--xlsx", help="write Excel here (its directory must exist)")
    ] = None,
    json_out: JsonOut = False,
) -> None:
    """Show 回应率 办结率 按时办结率 满意率 and handling time (working days) per group.

    Example: zhengwu desk rates --period 2025-07 --by matrix --xlsx rates-2025-07.xlsx
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.errors import InvalidInputError
    from zhengwu.servicedesk import rates

    if by not in ("organization", "matrix", "category", "channel"):
        raise InvalidInputError(
            f"--by 只能是 organization/matrix/category/channel：{by}", f"bad --by {by!r}"
        )
    if csv_path:
        check_output(csv_path, "--csv")
    if xlsx_path:
        check_output(xlsx_path, "--xlsx")
    start, end = rates.period_bounds(period)
    with unit_of_work() as session:
        rows = rates.compute(session, start=start, end=end, by=by)  # type: ignore[arg-type]
    if csv_path:
        rates.write_csv(rows, csv_path)
    if xlsx_path:
        rates.write_xlsx(rows, xlsx_path, title=f"{period} {by}")
    if json_out:
        print_json(rates.as_dicts(rows))
        return
    _print_rates(rows)


def _print_rates(rows: list[Any]) -> None:
    from rich.table import Column, Table

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v:.0%}"

    # Names fold over lines rather than end in "…" (four bodies read "许昌市建安区…").
    table = Table(Column("名称", overflow="fold"), "受理", "回应率", "办结率", "按时办结率",
                  "满意率", Column("平均用时(工作日)", overflow="fold"))  # fmt: skip
    for r in rows:
        table.add_row(r.name, str(r.n), pct(r.response_rate), pct(r.resolution_rate),
                      pct(r.ontime_rate), pct(r.satisfaction_rate),
                      "—" if r.mean_handling_days is None else f"{r.mean_handling_days:.1f}")  # fmt: skip
    console.print(table)


def _principal(session: Any, username: str | None) -> Any:
    """Return the principal the command acts as: a user's (``--as``), else the system's."""
    if username is None:
        return _system()
    from sqlalchemy import select

    from zhengwu.auth import service as auth_service
    from zhengwu.auth.models import User
    from zhengwu.errors import NotFoundError

    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"用户不存在：{username}", f"no such user: {username}")
    return auth_service.principal_of(user)


def _filters(
    state: list[str] | None, category: list[str] | None, organization_id: int | None,
    channel: list[str] | None, overdue: bool | None, since: str | None, until: str | None,
    region: str | None, ticket: str | None, unassigned: bool | None = None,
    phone: str | None = None,
) -> Any:  # fmt: skip
    """Return the request filters of the command line, checked (InvalidInputError).

    The API's queue and export take the same (``servicedesk.views._filters``): an empty
    region, ticket or phone leaves that filter off, as an empty query parameter does.
    """
    from zhengwu.chinatime import parse_china_time
    from zhengwu.errors import InvalidInputError
    from zhengwu.servicedesk import filters as request_filters

    def when(value: str | None, option: str) -> Any:
        if value is None:
            return None
        try:
            return parse_china_time(value)
        except ValueError:
            raise InvalidInputError(
                f"{option} 不是 ISO 8601 日期或时间：{value}",
                f"{option} is not an ISO 8601 date or time: {value}",
            ) from None

    found = request_filters.RequestFilters(
        states=state or None, category_codes=category or None, organization_id=organization_id,
        channels=channel or None, overdue=overdue, start=when(since, "--since"),
        end=when(until, "--until"), region=region or None, ticket=ticket or None,
        phone=phone or None, unassigned=unassigned,
    )  # fmt: skip
    request_filters.check(found)
    return found


StateOpt = Annotated[list[str] | None, typer.Option("--state", help="state (repeatable)")]
CategoryOpt = Annotated[
    list[str] | None, typer.Option("--category", help="category code (repeatable)")
]
# Bounded as the column is (the API's organization_id too): PostgreSQL refuses a larger one.
OrgOpt = Annotated[
    int | None,
    typer.Option("--organization", min=1, max=MAX_STORED_INT, help="handling organisation id"),
]
ChannelOpt = Annotated[
    list[str] | None,
    typer.Option("--channel", help="source: 12345, weibo, form, letter, visit, sms … (repeatable)"),
]
OverdueOpt = Annotated[
    bool | None, typer.Option("--overdue/--not-overdue", help="only (or no) overdue requests")
]
SinceOpt = Annotated[str | None, typer.Option("--since", help="received from (ISO date, China)")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="received before (ISO date)")]
UnassignedOpt = Annotated[
    bool | None,
    typer.Option(
        "--unassigned/--assigned", help="only (or no) open requests with no body (未派单)"
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="division code or name (410100, 金水区): a city takes in all its divisions",
    ),
]
TicketOpt = Annotated[
    str | None, typer.Option("--ticket", help="the hotline's ticket number (工单编号), as imported")
]
PhoneOpt = Annotated[
    str | None, typer.Option("--phone", help="the caller's phone, any writing (staff only)")
]
AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="export as this user may see it (default: everything, in full)"),
]


@app.command(
    "export", short_help="导出诉求为 CSV、Excel 或 JSON / export requests as CSV, Excel or JSON"
)
@handle_errors
def export_command(
    out: Annotated[Path, typer.Option("--out", help="file to write")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json")] = "csv",
    state: StateOpt = None, category: CategoryOpt = None, organization: OrgOpt = None,
    channel: ChannelOpt = None, overdue: OverdueOpt = None, since: SinceOpt = None,
    until: UntilOpt = None, region: RegionOpt = None, ticket: TicketOpt = None,
    phone: PhoneOpt = None, unassigned: UnassignedOpt = None, as_user: AsOpt = None,
) -> None:  # fmt: skip
    """Export requests as CSV, Excel or JSON with the hotline import's columns (re-importable).

    The filters are the API export's (GET /api/desk/requests/export): --organization is its
    organization_id, --since / --until its start / end. Rows stream from the database
    (memory stays flat). As a user (--as), only what that user may read, personal data
    masked unless their role handles requests; --phone needs such a role. Audited.

    Example: zhengwu desk export --format xlsx --state in_progress --region 410100 --out 在办.xlsx
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.errors import InvalidInputError
    from zhengwu.servicedesk import export
    from zhengwu.servicedesk import filters as request_filters

    if fmt not in export.FORMATS:
        raise InvalidInputError(
            f"未知格式：{fmt}（csv、xlsx、json）", f"unknown format: {fmt} (csv, xlsx or json)"
        )
    check_output(out, "--out")
    rows = 0
    with unit_of_work() as session:
        principal = _principal(session, as_user)
        filters = _filters(state, category, organization, channel, overdue, since, until,
                           region, ticket, unassigned, phone)  # fmt: skip
        request_filters.check_phone_allowed(filters, principal)
        export.record_export(session, principal=principal, filters=filters, fmt=fmt)

        def counted() -> Any:
            nonlocal rows
            for record in export.iter_records(session, principal=principal, filters=filters):
                rows += 1
                yield record

        with out.open("wb") as fh:
            for chunk in export.chunks(fmt, counted()):
                fh.write(chunk)
    console.print(f"已导出 exported {rows} 条 → {out}")


FOUND = 200  # requests `desk find` lists


@app.command(
    "find", short_help="按工单号或来电号码查找诉求 / find requests by ticket number or phone"
)
@handle_errors
def find_command(
    ticket: Annotated[
        str | None, typer.Option("--ticket", help="the hotline's ticket number (工单编号)")
    ] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="the caller's phone")] = None,
    unassigned: Annotated[
        bool, typer.Option("--unassigned", help="the open requests with no body (未派单)")
    ] = False,
    as_user: AsOpt = None,
    json_out: JsonOut = False,
) -> None:
    """Find requests by the hotline's ticket number or the caller's phone, or list those
    waiting with no body (--unassigned, 未派单), newest first, at most 200 (staff only).

    The phone may be written any way (138-1111-2222, +86 13811112222). As a user (--as),
    only what that user may read; a phone lookup needs a role that handles requests.
    --unassigned alone lists what waits for a 派单 (with --as an office: in its queues).

    Example: zhengwu desk find --ticket 2025070112345
    """
    from rich.table import Column, Table

    from zhengwu.db.engine import unit_of_work
    from zhengwu.errors import InvalidInputError
    from zhengwu.servicedesk import export, presenters, service
    from zhengwu.servicedesk import filters as request_filters

    if (ticket is not None and phone is not None) or not (ticket or phone or unassigned):
        raise InvalidInputError(
            "请给出 --ticket 或 --phone 之一，或 --unassigned",
            "give one of --ticket or --phone, or --unassigned",
        )
    with unit_of_work() as session:
        principal = _principal(session, as_user)
        principal.require("matrix_office", "handler", "operator")
        found = request_filters.RequestFilters(
            ticket=ticket, phone=phone, unassigned=True if unassigned else None
        )
        request_filters.check_phone_allowed(found, principal)
        request_filters.check(found)
        requests = service.search(session, principal=principal, filters=found, limit=FOUND)
        total = request_filters.count(session, principal, found, cap=FOUND) if unassigned else 0
        rows = [
            {**presenters.summary(r, unmasked=True).model_dump(mode="json"),
             "ticket": export.ticket_number(r.source_ref, r.public_id),
             "citizen_phone": r.citizen_phone}
            for r in requests
        ]  # fmt: skip
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print("没有找到诉求 no request found")
        return
    if unassigned:
        many = f"{FOUND}+" if total > FOUND else str(total)
        console.print(f"未派单 unassigned {many} 件 request(s)"
                      + (f"（列出最新 {FOUND} 件 newest {FOUND} listed）" if total > FOUND else ""))  # fmt: skip
    # The ids are read out and copied: whole, on one line; the text folds instead.
    table = Table(Column("诉求编号", no_wrap=True, min_width=14),
                  Column("工单编号", no_wrap=True), "状态", "来源", "接收",
                  Column("内容", overflow="fold"))  # fmt: skip
    for row in rows:
        table.add_row(row["public_id"], row["ticket"], row["state_label"], row["source"],
                      _china(row["received_at"]), row["text"][:40])  # fmt: skip
    console.print(table)


@app.command("reclassify", short_help="分类树改动后重新分类未结诉求 / classify open requests again")
@handle_errors
def reclassify_command(
    category: Annotated[
        str | None, typer.Option("--category", help="only requests under this (old) category code")
    ] = None,
    since: SinceOpt = None,
    include_closed: Annotated[
        bool, typer.Option("--include-closed", help="closed requests too (default: open only)")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show the changes, write nothing")] = False,
    json_out: JsonOut = False,
) -> None:  # fmt: skip
    """Run the classifier again on open requests after the category tree changed (audited).

    A category chosen by staff or the citizen stays while it is in the tree; a text the
    classifier cannot place keeps its category; routing and deadlines do not change.

    Example: zhengwu desk reclassify --category 0103 --since 2025-01-01 --dry-run
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.reclassify import reclassify

    start = _filters(None, None, None, None, None, since, None, None, None).start
    with unit_of_work() as session:
        summary = reclassify(
            session, actor=_system(), category=category, since=start,
            include_closed=include_closed, dry_run=dry_run,
        )  # fmt: skip
        if dry_run:
            session.rollback()
    data = summary.to_dict()
    if json_out:
        print_json(data)
        return
    from rich.table import Table

    word = "将改变 would change" if dry_run else "已改变 changed"
    console.print(
        f"检查 examined {summary.examined} · {word} {summary.changed} · 未变 unchanged "
        f"{summary.unchanged} · 人工分类保留 kept (staff/citizen) {summary.kept_person_choice} "
        f"· 无法归类保留 not placed {summary.not_placed}"
    )
    if summary.moves:
        table = Table("原分类 from", "新分类 to", "件数 count")
        for (before, after), count in summary.moves.most_common():
            table.add_row(before or "—", after, str(count))
        console.print(table)


@app.command("remask", short_help="重新脱敏已保存的公开文本 / mask the stored public texts again")
@handle_errors
def remask_command(
    everything: Annotated[
        bool, typer.Option("--all", help="mask every stored text again, even when the stored "
                           "texts already follow this version's rules")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="count what would change, write nothing")
    ] = False,
    json_out: JsonOut = False,
) -> None:  # fmt: skip
    """Mask the stored public texts again: requests' text_masked, the search index and
    the public replies not yet delivered (outbox).

    Without --all, does what the worker job `published-numbers` would: the full pass when
    the masking rules changed since the texts were masked (after an upgrade), the requests
    mentioning a changed published number. 2,000 requests a transaction; interrupted, the
    next run (or the worker) continues where it stopped. Only requests whose masked text
    changes get a new updated_at, so the next search refresh re-indexes just those.

    Example: zhengwu desk remask --all --dry-run --json
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk import remask

    if dry_run:
        with unit_of_work() as session:
            report = remask.preview(session, everything=everything)
            session.rollback()
    else:
        report = remask.run(unit_of_work, everything=everything)
    if json_out:
        print_json(report.to_dict())
        return
    word = "将重新遮蔽 would change" if dry_run else "已重新遮蔽 re-masked"
    again = "将重新索引 would re-index" if dry_run else "重新索引 re-indexed"
    console.print(
        f"遮蔽规则版本 masking rules version {report.rules_version}（存储文本此前 stored texts "
        f"followed {report.stored_version}）· 检查 checked {report.checked} · {word} "
        f"{report.remasked} · 资料库{again} library items {report.library_reindexed}"
        f" · 待发答复 outbox replies {report.outbox_remasked}"
    )


@app.command(
    "show", short_help="以 JSON 输出一条诉求及其历史 / print one request with its history as JSON"
)
@handle_errors
def show(
    ref: Annotated[
        str, typer.Argument(help="the request's public id (SR…) or its hotline ticket number")
    ],
) -> None:
    """Print one request with its history and replies as JSON (all data: local admin use).

    The demo's hotline export holds the ticket below (工单编号 2025070112345).

    Example: zhengwu desk show 2025070112345
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk import presenters, service

    with unit_of_work() as session:
        req = service.get_by_reference(session, ref)
        print_json(presenters.detail(session, req, _system()).model_dump(mode="json"))


@categories_app.command(
    "list", short_help="输出分类树及办理期限 / print the category tree with deadlines"
)
@handle_errors
def categories_list(json_out: JsonOut = False) -> None:
    """Print the category tree with deadlines (working days).

    Example: zhengwu desk categories list
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.category import service as category_service
    from zhengwu.servicedesk.category.models import CategoryRead

    with unit_of_work() as session:
        rows = [CategoryRead.model_validate(c) for c in category_service.get_tree(session)]
        version = category_service.tree_version(session)
    if json_out:
        print_json({"version": version, "categories": [r.model_dump(mode="json") for r in rows]})
        return
    parents = {r.code: r.parent_code for r in rows}
    for r in rows:
        depth, parent = 0, r.parent_code
        while parent in parents and depth < 16:  # two spaces a level (三级分类 and deeper)
            depth, parent = depth + 1, parents[parent]
        indent = "  " * depth
        console.print(
            f"{indent}{r.code:<6} {r.name:<12} 回应 {r.response_days} 日  办结 {r.resolve_days} 日"
        )


@categories_app.command("load-default", short_help="载入默认分类树 / load the shipped default tree")
@handle_errors
def categories_load_default() -> None:
    """Load the shipped default tree into an empty category table.

    Example: zhengwu desk categories load-default
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.category import service as category_service

    with unit_of_work() as session:
        added = category_service.ensure_default_tree(session)
    console.print(
        f"已加载 loaded {added} 个分类" if added else "分类表非空，未改动 (table not empty)"
    )


@categories_app.command(
    "import", short_help="从分级 CSV 载入或更新分类树 / load or update the tree from a level CSV"
)
@handle_errors
def categories_import(
    path: Annotated[Path, typer.Argument(help="level CSV: 一级分类,二级分类,三级分类 …")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check and count, write nothing")
    ] = False,
    json_out: JsonOut = False,
) -> None:
    """Load or update the category tree from a level CSV (e.g. 政务留言 taxonomy.csv).

    Categories are matched by parent and name (existing codes, and the routing rules that
    use them, stay); new ones get the next code below their parent. Optional columns
    回应时限 / 办结时限 set deadlines. Bad rows are quarantined with their reason; a second
    import of the same file changes nothing. See docs/servicedesk.md.

    Example: zhengwu desk categories import taxonomy.csv --dry-run
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.category.importer import import_tree

    with unit_of_work() as session:
        summary = import_tree(session, path, actor=_system(), dry_run=dry_run)
        if dry_run:
            session.rollback()
    for warning in summary.warnings:  # a workbook's sheets not read (stderr)
        _warn(warning)
    if json_out:
        print_json(summary.to_dict())
        return
    console.print(
        ("试运行，未写入 dry run, nothing written\n" if dry_run else "")
        + f"读取 read {summary.read}  新增 imported {summary.imported}  "
        f"更新 updated {summary.updated}  已有 existing {summary.duplicates}  "
        f"隔离 quarantined {summary.quarantined}  新建分类 categories created {summary.created}"
        + (f"  (zhengwu quarantine --run {summary.run_id})" if summary.run_id and summary.quarantined else "")
    )  # fmt: skip
    for q in summary.quarantines:
        console.print(f"  隔离 {q.source}: {q.reason}", soft_wrap=True)


@categories_app.command("edit", short_help="编辑分类（版本加一，审计） / edit a category (audited)")
@handle_errors
def categories_edit(
    code: Annotated[str, typer.Argument(help="category code")],
    name: Annotated[str | None, typer.Option(help="new name")] = None,
    response_days: Annotated[int | None, typer.Option(help="respond within N working days")] = None,
    resolve_days: Annotated[int | None, typer.Option(help="resolve within N working days")] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="replace keywords (repeatable)")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="use it or not")
    ] = None,
) -> None:
    """Edit a category (the version goes up; the old values are kept in the audit log).

    Example: zhengwu desk categories edit 0103 --resolve-days 3
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.category import service as category_service
    from zhengwu.servicedesk.category.models import CategoryUpdate

    changes: dict[str, Any] = {"name": name, "response_days": response_days,
                               "resolve_days": resolve_days, "keywords": keyword, "active": active}  # fmt: skip
    data = CategoryUpdate.model_validate({k: v for k, v in changes.items() if v is not None})
    with unit_of_work() as session:
        category = category_service.get(session, code)
        category_service.update(session, category=category, data=data, actor=_system())
        console.print(f"已更新 {code}（版本 version {category.version}）")


@routing_app.command("list", short_help="输出生效的派单规则 / print the rules in force")
@handle_errors
def routing_list(json_out: JsonOut = False) -> None:
    """Print the rules in force.

    Example: zhengwu desk routing list --json
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.routing import service as routing_service
    from zhengwu.servicedesk.routing.models import RoutingRuleRead

    with unit_of_work() as session:
        rules = [RoutingRuleRead.model_validate(r) for r in routing_service.active_rules(session)]
        version = routing_service.table_version(session)
        names = _org_names(session, rules)
    if json_out:
        print_json({"version": version, "rules": [r.model_dump(mode="json") for r in rules]})
        return
    console.print(f"路由表版本 routing table version {version}")
    for r in rules:
        console.print(_rule_line(r, names), markup=False, soft_wrap=True)


def _org_names(session: Any, rules: list[Any]) -> dict[int, str]:
    """Return the names of the bodies ``rules`` route to (by id)."""
    from sqlalchemy import select

    from zhengwu.accounts.models import Organization

    ids = {r.organization_id for r in rules}
    query = select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    return {row[0]: row[1] for row in session.execute(query).all()} if ids else {}


def _rule_line(r: Any, names: dict[int, str]) -> str:
    """One rule as ``routing list`` and ``routing fallback`` print it, its body by name and
    number (长沙市住房和城乡建设局 #3: the number is what --org and the API take); 兜底: a
    fallback."""
    body = names.get(r.organization_id, "?")
    return (
        f"#{r.id:<5} 分类 {r.category_code or '*':<6} 区划 {r.adcode or '*':<7} → {body} "
        f"(#{r.organization_id}){'  [兜底 fallback]' if r.fallback else ''}"
    )


def _say_successor(given: str | None, stored: str | None, *, json_out: bool = False) -> None:
    """Say that a rule given under an old division code was stored under its successor
    (on stderr when the command prints JSON)."""
    from zhengwu.servicedesk.routing import service as routing_service

    said = routing_service.successor_note(given, stored)
    if said:
        out = err_console if json_out else console
        out.print(said, style="yellow", markup=False, soft_wrap=True)


def _division(adcode: str | None, *, json_out: bool = False) -> str | None:
    """Return ``--adcode`` as a division code: a name (岳麓区, 长沙市岳麓区) is read as the
    派单表 import reads it and said with its code; one of several divisions is refused with
    the candidates (exit 2). An empty text stays for the rule's model to refuse."""
    from zhengwu.errors import InvalidInputError
    from zhengwu.servicedesk.routing import division

    if adcode is None:
        return None
    try:
        code = division.rule_division(adcode)
    except division.DivisionNameError as exc:
        raise InvalidInputError(f"--adcode：{exc.zh}", f"--adcode: {exc.en}") from None
    if code is None:
        return adcode
    if code != adcode.strip():
        out = err_console if json_out else console
        out.print(f"区划 division {adcode.strip()} → {code} {division.path_name(code)}",
                  markup=False, soft_wrap=True)  # fmt: skip
    return code


AdcodeOpt = Annotated[
    str | None,
    typer.Option(
        help="division: its 6-digit code or its name (岳麓区, 长沙市岳麓区); default: anywhere"
    ),
]


@routing_app.command("add", short_help="添加派单规则 / add a routing rule")
@handle_errors
def routing_add(
    org: OrgOption,
    category: Annotated[str | None, typer.Option(help="category code (default: any)")] = None,
    adcode: AdcodeOpt = None,
    note: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Add a rule as a new version of the routing table.

    ``--org`` (the body that handles them) is its id, code or exact name. ``--adcode`` is
    the division's code or its name, read as the 派单表 import reads it (岳麓区, 长沙市岳麓区;
    a name several divisions bear is taken within ZHENGWU_DESK_HOME_ADCODE, else refused
    with the candidates). An old division code (renamed or merged: 江干区 330104) is stored
    as its successor's (上城区 330102), and the command says so; a rule of the same category
    and division replaces the one in force.

    Example: zhengwu desk routing add --category 0201 --adcode 411002 --org 许昌市住房和城乡建设局
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.routing import service as routing_service
    from zhengwu.servicedesk.routing.models import RoutingRuleCreate

    code = _division(adcode)
    with unit_of_work() as session:
        rule = RoutingRuleCreate(
            category_code=category, adcode=code, organization_id=org_id(session, org), note=note
        )
        created = routing_service.add_rules(session, rules=[rule], actor=_system(), note=note)
        console.print(f"已添加规则 #{created[0].id}（版本 version {created[0].table_version}）")
        _say_successor(code, created[0].adcode)
        desk_routing.note_waiting(session)


@routing_app.command(
    "fallback", short_help="指定或列出兜底承办单位 / name or list the fallback bodies"
)
@handle_errors
def routing_fallback(
    org: Annotated[
        str | None,
        typer.Option("--org", help="the fallback body (id, code or exact name); none: list them"),
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="only this category's requests (default: any)")
    ] = None,
    adcode: Annotated[
        str | None,
        typer.Option(help="only what lies in this division, by code or name (default: anywhere)"),
    ] = None,
    note: Annotated[str, typer.Option(help="why")] = "",
    json_out: JsonOut = False,
) -> None:
    """Name the fallback body (兜底承办单位) that owns what no specific rule routes, or
    list the fallback rules in force (without ``--org``).

    With neither ``--category`` nor ``--adcode`` the body gets every request no other rule
    routes — above all those with no place: the city-wide fallback, the city's 12345
    centre, which dispatches them by hand or handles them. ``--category 05``: that
    category's requests with no place or no rule where they are; ``--adcode 411000``:
    whatever lies in that division with no rule for its category. A new fallback of the
    same scope replaces the old one (a new version of the table).

    Example: zhengwu desk routing fallback --org 许昌市12345政务服务便民热线
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.errors import InvalidInputError
    from zhengwu.servicedesk.routing import service as routing_service
    from zhengwu.servicedesk.routing.models import RoutingRuleCreate, RoutingRuleRead

    if org is None and (category or adcode or note):
        raise InvalidInputError("请用 --org 指定兜底承办单位", "name the fallback body with --org")
    if category and adcode:
        raise InvalidInputError(
            "兜底规则不能同时限定分类和区划：请用 `zhengwu desk routing add`",
            "a fallback names no category or no division: use `zhengwu desk routing add`",
        )
    code = _division(adcode, json_out=json_out) if org is not None else adcode
    with unit_of_work() as session:
        if org is not None:
            rule = RoutingRuleCreate(category_code=category, adcode=code,
                                     organization_id=org_id(session, org),
                                     note=note or "兜底承办单位")  # fmt: skip
            (created,) = routing_service.add_rules(session, rules=[rule], actor=_system(),
                                                   note=note)  # fmt: skip
            _say_successor(code, created.adcode, json_out=json_out)
            desk_routing.note_waiting(session)
        found = [RoutingRuleRead.model_validate(r) for r in routing_service.active_rules(session)]
        version = routing_service.table_version(session)
        names = _org_names(session, [r for r in found if r.fallback])
    fallbacks = [r for r in found if r.fallback]
    if json_out:
        print_json(
            {"version": version, "fallbacks": [r.model_dump(mode="json") for r in fallbacks]}
        )
        return
    if org is not None:
        console.print(f"已设置兜底承办单位（版本 version {version}）")
    if not fallbacks:
        console.print(
            "没有兜底规则：无区划或无匹配规则的诉求停留在未派单状态 / no fallback rule: requests "
            "with no place or rule stay unassigned",
            style="yellow", markup=False,
        )  # fmt: skip
    for r in fallbacks:
        console.print(_rule_line(r, names), markup=False, soft_wrap=True)


@routing_app.command("retire", short_help="停用派单规则 / retire a rule")
@handle_errors
def routing_retire(
    rule_id: Annotated[int, typer.Argument(help="rule id")],
    reason: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Retire a rule (it stays on file for the requests it routed).

    Example: zhengwu desk routing retire 17 --reason "机构改革"
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.routing import service as routing_service

    with unit_of_work() as session:
        rule = routing_service.get(session, rule_id)
        version = routing_service.retire(session, rule=rule, actor=_system(), reason=reason)
    console.print(f"已停用规则 #{rule_id}（版本 version {version}）")


@routing_app.command(
    "derive", short_help="按分类与单位推导派单规则 / derive rules from the categories and bodies"
)
@handle_errors
def routing_derive(json_out: JsonOut = False) -> None:
    """Add rules from the categories' sectors and the bodies on file (one per city/county),
    and each city's 12345 centre as its fallback (兜底; see ``routing fallback``).

    Example: zhengwu desk routing derive
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.routing import service as routing_service

    with unit_of_work() as session:
        derivation = routing_service.derive_rules(session, actor=_system())
        count, fallbacks = len(derivation.rules), len(derivation.fallbacks)
        if count:
            desk_routing.note_waiting(session)
    if json_out:
        print_json({"added": count, "fallbacks": fallbacks, "warnings": derivation.warnings,
                    "notes": derivation.notes})  # fmt: skip
        return
    for warning in [*derivation.warnings, *derivation.notes]:
        console.print(warning, style="yellow", markup=False)
    console.print(f"已推导规则 added {count}（其中兜底 fallbacks {fallbacks}）")


@app.command(
    "replay-events",
    short_help="回放模拟单位的办理（演示数据） / play the simulated handling up to now",
)
@handle_errors
def replay_events(
    path: Annotated[Path, typer.Argument(help="requests/handling-events.json of a simulation")],
    json_out: JsonOut = False,
) -> None:
    """Play the simulated bodies' handling of the requests up to now (demo data).

    Idempotent: events applied by an earlier run are skipped (counted in skipped and
    already), so running it again applies only the events that have come due since.

    Example: zhengwu desk replay-events demo-data/requests/handling-events.json
    """
    from dataclasses import asdict

    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.demo import replay_events as replay

    with unit_of_work() as session:
        summary = replay(session, path)
    if json_out:
        print_json(asdict(summary))
    else:
        console.print(f"请求 requests {summary.requests}  执行 applied {summary.applied}  "
                      f"跳过 skipped {summary.skipped}（其中已执行 already applied "
                      f"{summary.already}）  未到时间 pending {summary.pending}  "
                      f"未找到 missing {summary.missing}")  # fmt: skip


desk_routing.register(routing_app)  # export, import (the table as a sheet)
