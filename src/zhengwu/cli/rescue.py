"""``zhengwu rescue``: the emergency help network (应急求助) from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from zhengwu.cli.common import (
    check_output,
    console,
    err_console,
    handle_errors,
    print_json,
    print_refused,
    progress_bar,
)

app = typer.Typer(
    name="rescue",
    help="应急求助 — help posts: extract, merge, triage, dispatch.",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """应急求助 — help posts: extract, merge, triage, dispatch."""


@app.command(
    "extract", short_help="识别求助帖并抽取字段 / detect help posts and extract their fields"
)
@handle_errors
def extract_command(
    path: Annotated[Path, typer.Argument(help="JSON Lines: one post per line with a 'text' field")],
    json_out: Annotated[
        bool, typer.Option("--json", help="print one JSON object per post (for scripts)")
    ] = False,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="read PATH with an import format, e.g. weibo-api"),
    ] = None,
) -> None:
    """Detect help posts and extract their fields, one result per input line, in order.

    Each line needs "text"; "id" and "created_at" are used when present.

    A broken line prints {"line": N, "error": "…"} in its place, so output and input align.

    Example: zhengwu rescue extract posts.jsonl --json
    Example: zhengwu rescue extract statuses.jsonl --format weibo-api --json
    """
    from rich.markup import escape

    from zhengwu.rescue.extract import extract
    from zhengwu.rescue.sources import BadLine, iter_texts

    rows: list[dict[str, Any]] = []
    for item in iter_texts(path, fmt):
        if isinstance(item, BadLine):
            row: dict[str, Any] = {"id": item.id, "line": item.line, "error": item.reason}
        else:
            post_id, text, posted_at = item
            row = {"id": post_id, **_fields(extract(text, posted_at=posted_at))}
        if json_out:
            print_json(row)
        else:
            rows.append(row)
    if not json_out:
        console.print(_table(rows))
        # The refused lines below the table, whole: in a column they squeezed every other.
        for row in rows:
            if "error" in row:
                console.print(f"[red]第 {row['line']} 行 / line {row['line']}[/]：{escape(row['error'])}",
                              soft_wrap=True)  # fmt: skip


def _fields(result: object) -> dict[str, Any]:
    import msgspec

    fields: dict[str, Any] = msgspec.to_builtins(result)
    return fields


def _table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="求助信息提取 help-post extraction")
    for column in ("#", "求助", "紧急", "姓名", "电话", "地址", "区划", "人数", "需求", "完整度"):
        # Phone numbers and codes must never be folded mid-number on a narrow terminal.
        wide = {"电话": 13, "紧急": 8, "区划": 6, "需求": 14}.get(column)
        table.add_column(column, overflow="fold", min_width=wide, no_wrap=wide is not None)
    for i, row in enumerate(rows, start=1):
        label = row.get("id") or str(i)
        if "error" in row:
            table.add_row(label, "[red]无法读取[/]", *[""] * 8)
            continue
        table.add_row(
            label,
            ("resolved" if row["update"] else "yes") if row["is_help"] else "no",
            row["urgency"],
            row["name"] or "",
            "\n".join(row["phones"]),
            row["address"] or "",
            row["adcode"] or "",
            "" if row["people"] is None else str(row["people"]),
            " ".join(row["needs"]),
            f"{row['completeness']:.2f}",
        )
    return table


# -- incidents, teams, intake, boards (the help network itself) ----------------------------

incident_app = typer.Typer(help="灾情 — incidents: create and list.", no_args_is_help=True)
team_app = typer.Typer(help="救援力量 — rescue teams: create and list.", no_args_is_help=True)
app.add_typer(incident_app, name="incident")
app.add_typer(team_app, name="team")


def _incident_row(incident: Any) -> dict[str, Any]:
    from zhengwu.rescue.schemas import IncidentRead

    row: dict[str, Any] = IncidentRead.model_validate(incident).model_dump(mode="json")
    return row


@incident_app.command("create", short_help="创建灾情 / create an incident")
@handle_errors
def incident_create(
    name: Annotated[str, typer.Argument(help="incident name, e.g. 2021河南暴雨")],
    start: Annotated[str, typer.Option(help="start time, ISO 8601 (e.g. 2021-07-17T00:00+08:00)")],
    type_: Annotated[
        str, typer.Option("--type", help="flood|fire|earthquake|typhoon|epidemic|other")
    ] = "flood",
    region: Annotated[list[str] | None, typer.Option(help="adcode (repeatable)")] = None,
    hashtag: Annotated[list[str] | None, typer.Option(help="#话题# (repeatable)")] = None,
    keyword: Annotated[list[str] | None, typer.Option(help="keyword (repeatable)")] = None,
    end: Annotated[str | None, typer.Option(help="end time, ISO 8601")] = None,
    reverify_hours: Annotated[float, typer.Option(help="re-verify after this long")] = 6.0,
    description: Annotated[
        str | None, typer.Option(help="灾情说明 shown on the board (phones masked for the public)")
    ] = None,
    hotline: Annotated[
        str | None,
        typer.Option(help="求助热线 to call where the network cannot help online, e.g. 0371-12345"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create an incident; several may be active at once.

    Example: zhengwu rescue incident create 2021河南暴雨 --start 2021-07-17T00:00+08:00
    --region 410000 --hashtag '#河南暴雨互助#' --keyword 求助
    """

    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.schemas import IncidentCreate

    # A value the model refuses is worded in both languages by handle_errors.
    data = IncidentCreate.model_validate(
        {"name": name, "type": type_, "regions": region or [], "hashtags": hashtag or [],
         "keywords": keyword or [], "starts_at": start, "ends_at": end,
         "reverify_hours": reverify_hours, "description": description, "hotline": hotline}
    )  # fmt: skip
    with unit_of_work() as session:
        incident = rescue_service.create_incident(session, data=data, actor=rescue_service.SYSTEM)
        row = _incident_row(incident)
    if json_out:
        print_json(row)
    else:
        console.print(f"已创建灾情 created incident #{row['id']} [bold]{name}[/]")


@incident_app.command("list", short_help="列出灾情（最新在前） / list incidents, newest first")
@handle_errors
def incident_list(
    status: Annotated[str | None, typer.Option(help="active|closed")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List incidents, newest first.

    Example: zhengwu rescue incident list --status active --json
    """
    from rich.table import Table

    from zhengwu.cli.desk_requests import _china
    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.labels import INCIDENT_STATUS_LABELS, INCIDENT_TYPE_LABELS

    with unit_of_work() as session:
        rows = [_incident_row(i) for i in rescue_service.list_incidents(session, status=status)]
    if json_out:
        print_json(rows)
        return
    table = Table(title="灾情 incidents")
    for column in ("#", "名称", "类型", "状态", "区域", "话题", "开始"):
        table.add_column(column, overflow="fold")  # whole, not "2025-07-15T16:00:…"
    for row in rows:
        kind = f"{INCIDENT_TYPE_LABELS.get(row['type'], '')} {row['type']}".strip()
        status = f"{INCIDENT_STATUS_LABELS.get(row['status'], '')} {row['status']}".strip()
        table.add_row(str(row["id"]), row["name"], kind, status, " ".join(row["regions"]),
                      " ".join(f"#{t}#" for t in row["hashtags"]), _china(row["starts_at"]))  # fmt: skip
    console.print(table)


@team_app.command("create", short_help="登记救援力量 / register a rescue team")
@handle_errors
def team_create(
    name: Annotated[str, typer.Argument(help="team name, e.g. 郑州蓝天救援队")],
    kind: Annotated[
        str, typer.Option(help="fire_brigade|ngo_rescue|volunteer|medical|other")
    ] = "ngo_rescue",
    capability: Annotated[
        list[str] | None, typer.Option(help="冲锋舟, 医疗 … (repeatable)")
    ] = None,
    capacity: Annotated[int, typer.Option(help="requests it can take at once")] = 1,
    area: Annotated[list[str] | None, typer.Option(help="adcode covered (repeatable)")] = None,
    contact_name: Annotated[str | None, typer.Option(help="contact person")] = None,
    contact_phone: Annotated[str | None, typer.Option(help="contact phone")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Register a rescue team; its members are users with --role team --team ID.

    Example: zhengwu rescue team create 郑州蓝天救援队 --capability 冲锋舟 --area 410100
    """

    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.schemas import TeamCreate, TeamRead

    data = TeamCreate(name=name, kind=kind, capabilities=capability or [], capacity=capacity,
                      area=area or [], contact_name=contact_name, contact_phone=contact_phone)  # fmt: skip
    with unit_of_work() as session:
        team = rescue_service.create_team(session, data=data, actor=rescue_service.SYSTEM)
        row = TeamRead.model_validate(team).model_dump(mode="json")
    if json_out:
        print_json(row)
    else:
        console.print(f"已登记队伍 created team #{row['id']} [bold]{name}[/]")


@team_app.command(
    "list", short_help="列出救援力量及其未结求助 / list rescue teams with their open requests"
)
@handle_errors
def team_list(
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive", help="only active (or only stood-down) teams", show_default=False
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List rescue teams with their open requests.

    Example: zhengwu rescue team list --json
    Example: zhengwu rescue team list --inactive
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.schemas import TeamRead

    with unit_of_work() as session:
        loads = rescue_service.team_loads(session)
        rows = [
            TeamRead.model_validate(t).model_copy(update={"load": loads.get(t.id, 0)})
            .model_dump(mode="json")
            for t in rescue_service.list_teams(session, active=active)
        ]  # fmt: skip
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print("没有队伍 / no teams")
    for row in rows:
        state = "" if row["active"] else " [停用 inactive]"
        console.print(
            f"#{row['id']} {row['name']} ({row['kind']}) load {row['load']}/{row['capacity']}"
            f"{state}"
        )


@team_app.command(
    "update", short_help="修改救援力量信息（审计） / change a team's fields (audited)"
)
@handle_errors
def team_update(
    team_id: Annotated[int, typer.Argument(help="team id (see `zhengwu rescue team list`)")],
    name: Annotated[str | None, typer.Option(help="new name")] = None,
    kind: Annotated[
        str | None, typer.Option(help="fire_brigade|ngo_rescue|volunteer|medical|other")
    ] = None,
    capability: Annotated[
        list[str] | None, typer.Option(help="replaces the capabilities (repeatable)")
    ] = None,
    capacity: Annotated[int | None, typer.Option(help="requests it can take at once")] = None,
    area: Annotated[
        list[str] | None, typer.Option(help="replaces the adcodes covered (repeatable)")
    ] = None,
    contact_name: Annotated[str | None, typer.Option(help="contact person")] = None,
    contact_phone: Annotated[str | None, typer.Option(help="contact phone")] = None,
    clear_contact: Annotated[
        bool, typer.Option("--clear-contact", help="remove the contact person and phone")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Change a team's fields; the ones not given stay as they are. Audited.

    Example: zhengwu rescue team update 3 --capacity 4 --capability 冲锋舟 --capability 医疗
    Example: zhengwu rescue team update 3 --contact-name 王队长 --contact-phone 13800000000
    """

    from zhengwu.errors import InvalidInputError
    from zhengwu.rescue.schemas import TeamUpdate

    fields: dict[str, Any] = {
        k: v
        for k, v in {"name": name, "kind": kind, "capabilities": capability,
                     "capacity": capacity, "area": area, "contact_name": contact_name,
                     "contact_phone": contact_phone}.items()
        if v is not None
    }  # fmt: skip
    if clear_contact:
        if contact_name is not None or contact_phone is not None:
            raise InvalidInputError(
                "--clear-contact 不能与 --contact-name / --contact-phone 同时使用",
                "--clear-contact cannot be combined with --contact-name / --contact-phone",
            )
        fields.update(contact_name=None, contact_phone=None)
    if not fields:
        raise InvalidInputError("没有要修改的字段", "nothing to change: give at least one option")
    data = TeamUpdate(**fields)
    _change_team(team_id, data, json_out, "已修改队伍 updated team")


@team_app.command(
    "deactivate", short_help="停用救援力量，保留记录 / stand a team down, its history kept"
)
@handle_errors
def team_deactivate(
    team_id: Annotated[int, typer.Argument(help="team id")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Stand a team down (停用): no longer offered for dispatch, its history kept.

    Refused while the team still holds dispatched requests: release or resolve them first.

    Example: zhengwu rescue team deactivate 3
    """
    from zhengwu.rescue.schemas import TeamUpdate

    _change_team(team_id, TeamUpdate(active=False), json_out, "已停用队伍 deactivated team")


@team_app.command("reactivate", short_help="重新启用救援力量 / bring a stood-down team back")
@handle_errors
def team_reactivate(
    team_id: Annotated[int, typer.Argument(help="team id")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Bring a stood-down team back (启用): offered for dispatch again.

    Example: zhengwu rescue team reactivate 3
    """
    from zhengwu.rescue.schemas import TeamUpdate

    _change_team(team_id, TeamUpdate(active=True), json_out, "已启用队伍 reactivated team")


def _change_team(team_id: int, data: Any, json_out: bool, done: str) -> None:
    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.schemas import TeamRead

    with unit_of_work() as session:
        team = rescue_service.get_team(session, team_id=team_id)
        rescue_service.update_team(session, team=team, data=data, actor=rescue_service.SYSTEM)
        load = rescue_service.team_loads(session).get(team.id, 0)
        row = (
            TeamRead.model_validate(team).model_copy(update={"load": load}).model_dump(mode="json")
        )
    if json_out:
        print_json(row)
    else:
        console.print(f"{done} #{row['id']} [bold]{row['name']}[/]")


def _print_report(
    report: Any, json_out: bool, *, seconds: float | None = None,
    by_state: dict[str, int] | None = None,
) -> None:  # fmt: skip
    """Print what an intake or import did; with ``seconds`` and ``by_state`` (the
    incident's requests by state afterwards), as the intake's final summary."""
    from rich.markup import escape

    from zhengwu.rescue.spreadsheet import REFUSED_SHOWN
    from zhengwu.rescue.workflow import STATE_LABELS

    data = report.model_dump(mode="json")
    if seconds is not None:
        data["seconds"] = round(seconds, 2)
    if by_state is not None:
        data["by_state"] = by_state
    if json_out:
        print_json(data)
        return
    if data.get("dry_run"):
        console.print("试运行，未写入任何内容 / dry run: nothing was written", style="bold")
    console.print(
        f"读入 read {data['read']} · 已有 known {data['known']} · 新求助 new {data['new_requests']}"
        f" · 合并 merged {data['merged']} · 非求助 ignored {data['ignored']}"
        f" · 隔离 quarantined {data['quarantined']}"
    )
    if data.get("marked_verified") or data.get("marked_rescued"):
        console.print(
            f"表格标记 marks applied: 标为已核实 verified {data['marked_verified']}"
            f" · 报告已获救 reported rescued {data['marked_rescued']}"
        )
    if seconds is not None:
        rate = data["read"] / seconds if seconds > 0 else 0.0
        console.print(f"用时 took {seconds:.1f} s（{rate:.0f} 条/秒 posts/s）")
    if by_state is not None:
        states = " · ".join(f"{STATE_LABELS[s]} {n}" for s, n in by_state.items())
        console.print(f"灾情现有求助 requests now {sum(by_state.values())}：{states}")
    print_refused(data.get("refused", []), REFUSED_SHOWN)
    warnings = data.get("warnings", [])
    for warning in warnings[:REFUSED_SHOWN]:
        console.print(f"[yellow]注意 warning[/yellow] {escape(warning)}", highlight=False)
    if len(warnings) > REFUSED_SHOWN:
        more = len(warnings) - REFUSED_SHOWN
        console.print(f"  … 另有 {more} 条提示 and {more} more warnings (--json lists every one)")


@app.command("close", short_help="结束灾情（网上求助停止受理） / close an incident")
@handle_errors
def close_command(
    incident: Annotated[str, typer.Argument(help="incident name or id")],
    force: Annotated[
        bool,
        typer.Option("--force", help="close although requests are still open (needs --reason)"),
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="why, audited: who follows up the open requests")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Close an incident (结束灾情), as the console's 结束灾情 and the API's PATCH do: it
    stays readable, intake and the help form stop (the form names the hotline). With
    requests still open it is refused with their counts by state, unless --force is given
    with a --reason (audited with the counts it left open). --json prints the incident,
    with ``left_open``.

    Example: zhengwu rescue close 2021河南暴雨 --force --reason 剩余求助转交12345热线跟进
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.errors import ConflictError
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.schemas import IncidentUpdate
    from zhengwu.rescue.workflow import STATE_LABELS

    data = IncidentUpdate(status="closed", force=force, reason=(reason or "").strip() or None)
    with unit_of_work() as session:
        found = rescue_service.find_incident(session, ref=incident)
        if found.status == "closed":  # as the console's 结束灾情 (a PATCH would do nothing)
            raise ConflictError(f"灾情「{found.name}」已结束", f"{found.name} is already closed")
        left_open = rescue_service.open_counts(session, incident=found)
        rescue_service.update_incident(session, incident=found, data=data,
                                       actor=rescue_service.SYSTEM)  # fmt: skip
        row = _incident_row(found) | {"left_open": left_open}
    if json_out:
        print_json(row)
        return
    console.print(f"已结束灾情 closed incident #{row['id']} [bold]{row['name']}[/]")
    if left_open:
        counts = "、".join(f"{STATE_LABELS[s]} {n}" for s, n in left_open.items())
        console.print(f"强制结束，未结束的求助 left open: {counts}")


@app.command(
    "intake",
    short_help="接收求助帖（已导入的或文件） / take in help posts, imported or from a file",
)
@handle_errors
def intake_command(
    incident: Annotated[str, typer.Argument(help="incident name or id")],
    file: Annotated[
        Path | None, typer.Option(help="read this post file instead of the store")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="importer format of --file")] = "weibo-api",
    workers: Annotated[int, typer.Option(help="extraction processes")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Take in help posts: the imported posts matching the incident, or a post file.

    A progress bar (on stderr; not with --json) counts the posts taken in, batch by
    batch; the summary then gives what became of them, the time taken, and the
    incident's requests by state. Re-running takes in only what is new.

    Example: zhengwu rescue intake 2021河南暴雨
    """
    import time

    from zhengwu.content.store import open_store
    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue import listing
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.channels import intake_file, intake_from_posts

    started = time.perf_counter()
    with unit_of_work() as session:
        found = rescue_service.find_incident(session, ref=incident)
        actor = rescue_service.SYSTEM
        label = f"求助帖 intake · {found.name}"
        with progress_bar(label, disable=json_out) as bar:
            if file is not None:
                report = intake_file(session, incident=found, path=file, fmt=fmt, actor=actor,
                                     workers=workers, on_progress=bar.advance)  # fmt: skip
            else:
                with open_store(read_only=True) as con:
                    report = intake_from_posts(
                        session, con, incident=found, actor=actor, workers=workers,
                        on_start=bar.set_total, on_progress=bar.advance,
                    )  # fmt: skip
        by_state = listing.state_counts(session, incident=found)
    seconds = time.perf_counter() - started
    _print_report(report, json_out, seconds=seconds, by_state=by_state)


@app.command(
    "import-csv",
    short_help="导入志愿者表格，坏行隔离 / import a volunteers' spreadsheet; bad rows quarantined",
)
@handle_errors
def import_csv_command(
    incident: Annotated[str, typer.Argument(help="incident name or id")],
    path: Annotated[
        Path,
        typer.Argument(
            help="volunteers' sheet (.csv/.xlsx): 姓名,地址,人数,情况,紧急程度,联系方式,…"
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="check the sheet: what the import would do now "
                     "(counts, warnings, refused rows), nothing written"),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:  # fmt: skip
    """Import a volunteers' spreadsheet (CSV in UTF-8 or GBK, or .xlsx); bad rows are
    quarantined with their reason. The console and the API take it as an upload too.
    --dry-run runs the same import and rolls it back (the console's 检查): the counts and
    warnings are the ones an import would have now, and the refused rows are listed.

    Example: zhengwu rescue import-csv 2021河南暴雨 待救援人员信息.csv
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.spreadsheet import import_csv

    with unit_of_work() as session:
        found = rescue_service.find_incident(session, ref=incident)
        report = import_csv(session, incident=found, path=path, actor=rescue_service.SYSTEM,
                            dry_run=dry_run)  # fmt: skip
    _print_report(report, json_out)


@app.command(
    "board", short_help="查看灾情看板：数量、响应时间、结束说明 / show an incident's board"
)
@handle_errors
def board_command(
    incident: Annotated[str, typer.Argument(help="incident name or id")],
    public: Annotated[
        bool, typer.Option("--public", help="as the public sees it (masked)")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show an incident's board: counts, response times and closing notices (结束说明).

    Counts by state and county, the response times step by step, and the newest 50
    closing notices as the public board shows them.

    Example: zhengwu rescue board 2021河南暴雨 --public --json
    """
    from zhengwu.auth.principal import PUBLIC
    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue import board
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.labels import STEP_LABELS
    from zhengwu.rescue.workflow import STATE_LABELS

    with unit_of_work() as session:
        found = rescue_service.find_incident(session, ref=incident)
        principal = PUBLIC if public else rescue_service.SYSTEM
        view = board.board(session, incident=found, principal=principal).model_dump(mode="json")
    if json_out:
        print_json(view)
        return
    console.print(f"[bold]{view['incident']['name']}[/] 求助 {view['total']} · "
                  f"已救出 {view['people_helped']}/{view['people_total']} 人")  # fmt: skip

    def states(counts: dict[str, int]) -> str:
        return " · ".join(f"{STATE_LABELS.get(k, k)} {v}" for k, v in counts.items())

    console.print("按状态 by state: " + states(view["by_state"]))
    for area, counts in view["by_area"].items():
        console.print(f"  {area}: " + states(counts))
    console.print("响应时间（分钟）response times (minutes):")
    for step, figures in view["response_times"].items():
        median, p90 = (figures[k] if figures[k] is not None else "—"
                       for k in ("median_minutes", "p90_minutes"))  # fmt: skip
        left = figures.get("left_out") or 0
        note = f"（另有 {left} 件求助时间不详，未计入 / {left} left out: report time unknown）"
        console.print(f"  {STEP_LABELS.get(step, step)} {step}: 件数 n={figures['count']} "
                      f"中位数 median={median} 90% p90={p90}" + (note if left else ""))  # fmt: skip
    _print_notices(view)


def _print_notices(view: dict[str, Any]) -> None:
    """Print the board's closing statements (结束说明), newest first, as the public board
    shows them; those that may leave people waiting (部分获救, 联系不上) are marked."""
    from rich.markup import escape

    shown, total = view["notices"], view["notices_total"]
    more = f"（显示最新 {len(shown)} 条 / newest {len(shown)} shown）" if total > len(shown) else ""
    console.print(f"结束说明 closing notices: {total}{more}")
    for notice in shown:
        waiting = (
            "（可能仍有人待救）" if notice["partial"] or notice["outcome"] == "unreachable" else ""
        )
        console.print(f"  #{notice['request_id']} {escape(notice['area'] or '')}{waiting} "
                      f"{escape(notice['text'])}")  # fmt: skip


@app.command(
    "export",
    short_help="按志愿者表格格式导出求助（全部数据） / export the requests as the volunteers' CSV",
)
@handle_errors
def export_command(
    incident: Annotated[str, typer.Argument(help="incident name or id")],
    csv_path: Annotated[
        Path,
        typer.Option("--csv", help="write the volunteers' sheet here (its directory must exist)"),
    ],
) -> None:
    """Export the requests as CSV in the volunteers' spreadsheet layout (full data).

    Example: zhengwu rescue export 2021河南暴雨 --csv 求助清单.csv
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.spreadsheet import csv_chunks, export_rows

    check_output(csv_path, "--csv")
    rows = -1  # the header is not a record
    with unit_of_work() as session, csv_path.open("w", encoding="utf-8-sig", newline="") as out:
        found = rescue_service.find_incident(session, ref=incident)

        def counted() -> Iterator[list[object]]:
            nonlocal rows
            for row in export_rows(session, incident=found, principal=rescue_service.SYSTEM):
                rows += 1
                yield row

        for chunk in csv_chunks(counted()):  # streamed: the file grows batch by batch
            out.write(chunk)
    console.print(f"已导出 exported {rows} 条 → {csv_path}")


@app.command(
    "merge", short_help="不用数据库把求助帖合并成求助 / group a file of posts into help requests"
)
@handle_errors
def merge_command(
    path: Annotated[Path, typer.Argument(help="post file in an importable format")],
    fmt: Annotated[str, typer.Option("--format", help="importer format")] = "weibo-api",
    workers: Annotated[int, typer.Option(help="extraction processes (0 = one per core)")] = 0,
    json_out: Annotated[
        bool, typer.Option("--json", help="print one JSON line per cluster")
    ] = False,
) -> None:
    """Group a file of posts into help requests without a database (batch merge engine).

    Example: zhengwu rescue merge help/posts.jsonl --json
    """
    from zhengwu.rescue.merge import cluster
    from zhengwu.rescue.posts import ReadReport, read_help_posts

    read = ReadReport()
    clusters = cluster(read_help_posts(path, fmt=fmt, report=read), workers=workers or None)
    for source, reason in read.reasons or []:  # on stderr: --json's stdout stays clusters
        err_console.print(f"警告 / warning: {source}：{reason}", style="yellow", markup=False,
                          soft_wrap=True)  # fmt: skip
    for number, found in enumerate(clusters, start=1):
        members = [{"post_id": m.post.post_id, "kind": m.kind, "merged_by": m.merged_by,
                    "score": m.score} for m in found.members]  # fmt: skip
        if json_out:
            print_json({"cluster": number, "reported_rescued": found.reported_rescued,
                        "members": members})  # fmt: skip
    if not json_out:
        posts = sum(len(c.members) for c in clusters)
        console.print(f"{posts} 条求助帖 → {len(clusters)} 个求助 help posts → requests"
                      + (f"；{read.quarantined} 条记录无法读取 / {read.quarantined} unreadable"
                         if read.quarantined else ""))  # fmt: skip
