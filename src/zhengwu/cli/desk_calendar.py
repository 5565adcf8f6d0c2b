"""``zhengwu desk calendar …``: the service desk's working-day calendar.

``show`` the days of a year and where they come from, ``check`` a calendar file,
``import`` the State Council's schedule of a year into the desk's calendar file, and
``recompute`` the deadlines of open requests on the calendar in force. The file format is
in docs/servicedesk.md and :func:`zhengwu.servicedesk.workdays.load_calendar`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zhengwu.cli.common import console, err_console, handle_errors, print_json
from zhengwu.errors import InvalidInputError

if TYPE_CHECKING:
    from zhengwu.servicedesk.recompute import Report
    from zhengwu.servicedesk.workdays import WorkCalendar

app = typer.Typer(
    help="工作日历 / the desk's working-day calendar: show, check, import, recompute.",
    no_args_is_help=True,
)

JsonOut = Annotated[bool, typer.Option("--json", help="print JSON")]
STATUS = {
    "file": "官方安排（日历文件） / official schedule (calendar file)",
    "built-in": "官方安排（内置） / official schedule (built in)",
    "provisional": "暂定：仅法定节假日，无调休 / provisional: statutory holidays only, no 调休",
    "weekdays": "未知：仅周一至周五 / unknown: Monday to Friday only",
}
_SHOWN_CHANGES = 20


def _today() -> date:
    from zhengwu.db.base import utcnow
    from zhengwu.servicedesk.workdays import CHINA

    return utcnow().astimezone(CHINA).date()


def _cli_actor() -> Any:
    from zhengwu.auth.principal import Principal

    return Principal(role="admin", username="cli", display_name="命令行")


def _warn(text: str | None) -> None:
    if text:  # on stderr, so that --json output stays one JSON line
        err_console.print(f"[bold yellow]警告 warning[/]：{text}", soft_wrap=True, markup=True,
                          highlight=False)  # fmt: skip


def _year_dict(year: int, cal: WorkCalendar) -> dict[str, Any]:
    from zhengwu.servicedesk import workdays

    off, working = workdays.year_days(year, calendar=cal)
    return {
        "year": year,
        "status": workdays.year_status(year, calendar=cal),
        "holidays": [{"date": d.isoformat(), "name": workdays.day_name(d, calendar=cal)}
                     for d in off],
        "workdays": [{"date": d.isoformat(), "name": workdays.day_name(d, calendar=cal)}
                     for d in working],
        "owed_days_in_lieu": workdays.owed_days_in_lieu(year)
        if workdays.year_status(year, calendar=cal) == "provisional" else 0,
    }  # fmt: skip


def _print_year(info: dict[str, Any]) -> None:
    console.print(f"[bold]{info['year']}[/]  {STATUS[info['status']]}", highlight=False)

    def days(items: list[dict[str, str]]) -> str:
        return "  ".join(f"{d['date'][5:]} {d['name']}".rstrip() for d in items) or "—"

    console.print(f"  放假 days off: {days(info['holidays'])}", soft_wrap=True, highlight=False)
    console.print(f"  调休上班 working weekend days: {days(info['workdays'])}", soft_wrap=True,
                  highlight=False)  # fmt: skip
    if info["owed_days_in_lieu"]:
        console.print(
            f"  另有 {info['owed_days_in_lieu']} 天法定假日逢周末或重合，补假日期待国务院办公厅"
            f"公布 / {info['owed_days_in_lieu']} statutory day(s) fall on a weekend or on "
            "another holiday: their days in lieu are dated by the State Council",
            soft_wrap=True, highlight=False,
        )  # fmt: skip


@app.command("show", short_help="查看工作日历 / show the desk's calendar")
@handle_errors
def show(
    year: Annotated[
        list[int] | None, typer.Option("--year", help="year to show (repeatable)")
    ] = None,
    json_out: JsonOut = False,
) -> None:
    """Show the desk's calendar: its file, and the days off and 调休 working days of a year.

    Without --year: this year and the next (China time). Status per year: official schedule
    (file or built in), provisional (statutory holidays only), or Monday–Friday only.

    Example: zhengwu desk calendar show --year 2027
    """
    from zhengwu.servicedesk import deadlines, workdays

    cal = deadlines.calendar()
    path = deadlines.calendar_path()
    this = _today().year
    years = sorted(set(year or [this, this + 1]))
    for y in years:  # a year's last days look into the next one: 9999 has none
        if not 1 <= y < date.max.year:
            raise InvalidInputError(
                f"--year 超出范围：{y}（应为 1–{date.max.year - 1}）",
                f"--year out of range: {y} (expected 1–{date.max.year - 1})",
            )
    infos = [_year_dict(y, cal) for y in years]
    if json_out:
        print_json({"file": str(path) if path else None, "source": cal.source if path else None,
                    "covered_years": sorted(cal.known_years),
                    "statutory_basis": workdays.STATUTORY_LAW, "years": infos})  # fmt: skip
    else:
        where = (
            f"{path}（{cal.source}）" if path else "无，仅内置日历 / none, built-in calendar only"
        )
        console.print(f"日历文件 calendar file: {where}", soft_wrap=True, highlight=False)
        for info in infos:
            _print_year(info)
        if any(info["status"] == "provisional" for info in infos):
            console.print(f"法定节假日依据 statutory holidays by {workdays.STATUTORY_LAW} / "
                          f"{workdays.STATUTORY_LAW_EN}", soft_wrap=True, highlight=False)  # fmt: skip
    _warn(deadlines.provisional_notice(y for y in years if cal.is_provisional(y)))


@app.command("check", short_help="检查日历文件 / check a calendar file")
@handle_errors
def check(
    path: Annotated[
        Path | None,
        typer.Argument(help="calendar file [default: the desk's, ZHENGWU_DESK_CALENDAR]"),
    ] = None,
    json_out: JsonOut = False,
) -> None:
    """Check a calendar file: refuse errors (exit 2), list warnings, summarise each year.

    Example: zhengwu desk calendar check 2027.toml
    """
    from zhengwu.servicedesk import deadlines, workdays

    if path is None:
        path = deadlines.calendar_path()
    if path is None:
        upcoming = deadlines.upcoming_provisional_years(_today())
        if json_out:
            print_json({"file": None, "provisional": upcoming})
        else:
            console.print("没有日历文件：仅用内置日历 / no calendar file: built-in calendar only")
        _warn(deadlines.provisional_notice(upcoming))
        return
    cal = workdays.load_calendar(path)
    warnings = workdays.calendar_warnings(cal)
    years = sorted({d.year for d in cal.extra_holidays | cal.extra_workdays} | cal.years)
    summary = [
        {"year": y, "complete": y in cal.years,
         "holidays": sum(1 for d in cal.extra_holidays if d.year == y),
         "workdays": sum(1 for d in cal.extra_workdays if d.year == y)}
        for y in years
    ]  # fmt: skip
    if json_out:
        print_json({"file": str(path), "source": cal.source, "years": summary,
                    "warnings": [{"zh": zh, "en": en} for zh, en in warnings]})  # fmt: skip
        return
    console.print(f"日历文件有效 / calendar file is valid: {path}（{cal.source}）", soft_wrap=True,
                  highlight=False)  # fmt: skip
    for row in summary:
        kind = "整年 complete" if row["complete"] else "个别日期 single dates"
        console.print(f"  {row['year']}  {kind}  放假 holidays {row['holidays']}  "
                      f"上班 workdays {row['workdays']}", highlight=False)  # fmt: skip
    for zh, en in warnings:
        _warn(f"{zh} / {en}")


@app.command("import", short_help="载入一年的放假安排 / load a year's official holiday schedule")
@handle_errors
def import_command(
    path: Annotated[Path, typer.Argument(help="calendar file with a year's official schedule")],
    recompute: Annotated[
        bool,
        typer.Option("--recompute", help="then count open requests' deadlines again (see "
                     "`zhengwu desk calendar recompute`)"),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check and report; change nothing")]
    = False,
    json_out: JsonOut = False,
) -> None:  # fmt: skip
    """Load a year's official schedule (holidays and 调休 working days) into the desk's calendar.

    The file is checked first (as `check` does). Each year it declares complete (years =
    [2027]) replaces that year of the desk's calendar file; its other dates replace the same
    dates; everything else in the desk's file stays. The file is written at once (every
    process reads it again on its next deadline, no restart), the file it replaces is kept
    as <file>.previous, and the import is written to the audit log. Deadlines already set
    do not change unless --recompute (or `zhengwu desk calendar recompute` later).

    Example: zhengwu desk calendar import 2027.toml --recompute
    """
    from zhengwu.audit import service as audit_service
    from zhengwu.config import get_settings
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk import workdays

    incoming = workdays.load_calendar(path)
    warnings = workdays.calendar_warnings(incoming)
    settings = get_settings()
    target = settings.resolved_desk_calendar
    if settings.desk_calendar is None and not dry_run:  # the data directory's own file
        target.parent.mkdir(parents=True, exist_ok=True)
    before = workdays.load_calendar(target) if target.exists() else workdays.WorkCalendar()
    merged = workdays.merge_calendars(before, incoming)
    actor = _cli_actor()
    report: Report | None = None
    with unit_of_work() as session:
        if recompute:
            report = _recompute(session, merged, earlier=[before], dry_run=dry_run, actor=actor)
        if not dry_run:
            audit_service.record(
                session, entity_type="desk_calendar", entity_id=0, action="import", actor=actor,
                reason=f"载入工作日历 / working-day calendar loaded: {path}",
                data={"file": str(path), "target": str(target), "source": incoming.source,
                      "years": sorted(incoming.years),
                      "holidays": sorted(d.isoformat() for d in incoming.extra_holidays),
                      "workdays": sorted(d.isoformat() for d in incoming.extra_workdays)},
            )  # fmt: skip
            session.flush()
            if target.exists():
                previous = target.with_name(target.name + ".previous")
                previous.write_bytes(target.read_bytes())
            workdays.write_calendar(
                target, merged,
                header=f"zhengwu desk calendar — written by `zhengwu desk calendar import` on "
                f"{datetime.now().astimezone():%Y-%m-%d %H:%M %z}; last imported: {path.name}",
            )  # fmt: skip
    result = {
        "file": str(path), "target": str(target), "dry_run": dry_run,
        "years": sorted(incoming.years), "holidays": len(incoming.extra_holidays),
        "workdays": len(incoming.extra_workdays), "covered_years": sorted(merged.known_years),
        "warnings": [{"zh": zh, "en": en} for zh, en in warnings],
        "recompute": report.to_dict() if report else None,
    }  # fmt: skip
    if json_out:
        print_json(result)
    else:
        done = (
            "检查通过，未写入 (--dry-run) / checked, nothing written"
            if dry_run
            else (f"已载入 loaded → {target}")
        )
        console.print(
            f"{done}：年份 years {', '.join(map(str, sorted(incoming.years))) or '—'}  "
            f"放假 holidays {len(incoming.extra_holidays)}  "
            f"上班 workdays {len(incoming.extra_workdays)}", soft_wrap=True, highlight=False,
        )  # fmt: skip
        if report is not None:
            _print_report(report, dry_run)
        elif not dry_run:
            console.print("已设定的期限未改变；需要时运行 zhengwu desk calendar recompute / "
                          "deadlines already set are unchanged: run `zhengwu desk calendar "
                          "recompute` to count open requests' deadlines again",
                          soft_wrap=True, highlight=False)  # fmt: skip
    for zh, en in warnings:
        _warn(f"{zh} / {en}")


def _recompute(
    session: Any, cal: WorkCalendar, *, earlier: list[WorkCalendar], dry_run: bool, actor: Any
) -> Report:
    from zhengwu.servicedesk.recompute import recompute_open

    return recompute_open(session, calendar=cal, actor=actor, earlier=earlier, dry_run=dry_run)


def _print_report(report: Report, dry_run: bool) -> None:
    verb = "将改变 would change" if dry_run else "已改变 changed"
    console.print(
        f"未办结诉求 open requests {report.checked}  {verb} {len(report.changed)}  "
        f"不变 unchanged {report.unchanged}  无法核对 unexplained {len(report.unexplained)}",
        highlight=False,
    )
    for change in report.changed[:_SHOWN_CHANGES]:
        console.print(f"  {change.public_id}  {change.field}  {_china(change.old)} → "
                      f"{_china(change.new)}", highlight=False)  # fmt: skip
    if len(report.changed) > _SHOWN_CHANGES:
        console.print(
            f"  … 另有 {len(report.changed) - _SHOWN_CHANGES} 项 more (--json 列出全部 lists all)"
        )
    for public_id, name in report.unexplained[:_SHOWN_CHANGES]:
        console.print(f"  {public_id}  {name}: 与其记录不符，未改 / does not follow from its "
                      "record, left as it is", highlight=False)  # fmt: skip


def _china(moment: datetime) -> str:
    from zhengwu.servicedesk.workdays import CHINA

    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


@app.command(
    "recompute", short_help="按现行日历重算未结诉求期限 / count the open requests' deadlines again"
)
@handle_errors
def recompute_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report only; change nothing")]
    = False,
    json_out: JsonOut = False,
) -> None:  # fmt: skip
    """Count the deadlines of open requests again on the calendar in force (after an import).

    Only deadlines still ahead, of requests still open (the response deadline while nobody
    has answered); from each request's record (category days at intake, reopening,
    approved extensions). A deadline its record does not explain is left alone and listed.
    Each change gets an audit entry `recompute_deadline`.

    Example: zhengwu desk calendar recompute --dry-run
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk import deadlines, workdays

    cal = deadlines.calendar()
    path = deadlines.calendar_path()
    earlier = []
    if path is not None:
        previous = path.with_name(path.name + ".previous")
        if previous.exists():
            earlier.append(workdays.load_calendar(previous))
    with unit_of_work() as session:
        report = _recompute(session, cal, earlier=earlier, dry_run=dry_run, actor=_cli_actor())
        if dry_run:
            session.rollback()
    if json_out:
        print_json({"dry_run": dry_run, **report.to_dict()})
    else:
        _print_report(report, dry_run)
