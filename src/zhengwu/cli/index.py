"""`zhengwu index …`: influence-index commands.

Presets (``formula``, ``formulas``), indicator systems (``systems``, ``methodology``), runs
over stored data (``run``, ``runs``), results (``rank``, ``matrix``, ``explain``), the
compliance gate (``compliance``, ``flag``, ``unflag``, ``flags``) and ``coverage``. Heavy
modules are imported inside the commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import typer

from zhengwu.cli.common import (
    check_output,
    console,
    handle_errors,
    os_reason,
    parse_date,
    print_json,
)
from zhengwu.errors import InvalidInputError, NotFoundError, ZhengwuError

if TYPE_CHECKING:
    import duckdb

    from zhengwu.index.periods import Period
    from zhengwu.index.system import IndicatorSystem

app = typer.Typer(
    name="index",
    help="影响力指数 / influence index: systems, runs, rankings, explanations, compliance.",
    no_args_is_help=True,
)

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _fail(error: ZhengwuError) -> NoReturn:
    """Print ``error`` in Chinese and English on stderr and exit with status 2."""
    typer.echo(f"错误：{error.message_zh}\nError: {error.message_en}", err=True)
    raise typer.Exit(code=2)


# Chinese for the messages of Python's JSON reader; others keep the reader's wording.
_JSON_ZH = {
    "Expecting value": "此处应有一个值",
    "Expecting property name enclosed in double quotes": "名称应写在双引号中",
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "缺少冒号",
    "Extra data": "JSON 之后还有多余的内容",
    "Unterminated string starting at": "字符串缺少结束的引号",
    "Invalid control character at": "字符串中有控制字符",
    "Invalid \\escape": "无效的转义",
    "Illegal trailing comma before end of object": "对象末尾多了逗号",
    "Illegal trailing comma before end of array": "数组末尾多了逗号",
}


def _read_input(text: str) -> dict[str, object]:
    """Return the JSON object given inline or as ``@file.json``.

    Each error names where the input came from (``--input`` or the file) and is worded in
    Chinese on one line and in English on the next.
    """
    zh_source = en_source = "--input"
    if text.startswith("@"):
        path = Path(text[1:])
        zh_source, en_source = f"--input 文件 {path}", f"--input file {path}"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            reason_zh, reason_en = os_reason(exc)
            raise InvalidInputError(
                f"无法读取 {zh_source}：{reason_zh}", f"cannot read the {en_source}: {reason_en}"
            ) from exc
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"{zh_source} 不是 UTF-8 文本", f"the {en_source} is not UTF-8 text"
            ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = _JSON_ZH.get(exc.msg, exc.msg)
        raise InvalidInputError(
            f"{zh_source} 不是合法的 JSON：{reason}（第 {exc.lineno} 行第 {exc.colno} 列）",
            f"{en_source} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInputError(
            f'{zh_source} 必须是 JSON 对象，例如 {{"R": 10000}}',
            f'{en_source} must be a JSON object such as {{"R": 10000}}',
        )
    return data


def _read_flags(pairs: list[str]) -> dict[str, bool]:
    """Return ``NAME=true|false`` pairs as a mapping."""
    flags: dict[str, bool] = {}
    for pair in pairs:
        name, _, raw = pair.partition("=")
        if raw.lower() not in _TRUE | _FALSE:
            raise InvalidInputError(
                f"--flag 应写成 名称=true 或 名称=false，收到 {pair!r}",
                f"--flag must be NAME=true or NAME=false, got {pair!r}",
            )
        flags[name.strip()] = raw.lower() in _TRUE
    return flags


@app.command(
    "formula",
    short_help="计算一个已发布公式并输出 JSON / compute one published-formula preset as JSON",
)
def formula(
    name: Annotated[str, typer.Argument(help="preset name, see `zhengwu index formulas`")],
    input_: Annotated[
        str, typer.Option("--input", "-i", help="inputs as a JSON object, or @file.json")
    ],
    flag: Annotated[
        list[str] | None, typer.Option("--flag", help="preset switch NAME=true|false")
    ] = None,
) -> None:
    """Compute one published-formula preset and print {"value", "preset", "breakdown"} as JSON.

    Example: zhengwu index formula qingbo_wci_v2 --input '{"R": 10000, "n": 100, "Rmax": 300, "Z": 4000, "Zmax": 60}'
    """
    from zhengwu.index.formulas import compute

    try:
        result = compute(name, _read_input(input_), flags=_read_flags(flag or []))
    except ZhengwuError as error:
        _fail(error)
    payload = {"value": result.value, "preset": result.preset, "breakdown": result.breakdown}
    typer.echo(json.dumps(payload, ensure_ascii=False))


@app.command(
    "formulas",
    short_help="列出已发布公式及其出处与可信度 / list the published formulas, source and certainty",
)
def formulas(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """List the published-formula presets with their source and certainty.

    Example: zhengwu index formulas --json
    """
    from rich.console import Console
    from rich.table import Table

    from zhengwu.index.formulas import PRESETS

    if as_json:
        listing = [preset.to_dict() for preset in PRESETS.values()]
        typer.echo(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    table = Table(title="公式预设 / formula presets")
    table.add_column("name", no_wrap=True)
    # fold, not ellipsis: a cut-off source or certainty would hide what the table is for.
    for header in ("platform", "certainty", "source", "标题"):
        table.add_column(header, overflow="fold")
    for preset in PRESETS.values():
        table.add_row(
            preset.name, preset.platform, preset.certainty, preset.source, preset.title_zh
        )
    Console().print(table)


# ---- shared options and helpers -------------------------------------------------------

PeriodOpt = Annotated[
    str, typer.Option("--period", "-p", help="2025-W27, 2025-07, 2025-Q3, 2025, A..B, people-2025")
]
SystemOpt = Annotated[str, typer.Option("--system", "-s", help="indicator system name")]
SystemFileOpt = Annotated[
    Path | None, typer.Option("--system-file", help="a TOML indicator system file")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
CheckDateOpt = Annotated[
    str | None, typer.Option("--check-date", help="compliance date (default: period end)")
]


@contextmanager
def _store(*, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    from zhengwu.content.store import open_store

    with open_store(read_only=not write) as con:
        yield con


def _system(name: str, path: Path | None) -> IndicatorSystem:
    from zhengwu.index.system import load_system

    return load_system(name, path=path)


def _warn_chinese_gaps(system: IndicatorSystem) -> None:
    """Print on stderr each label of ``system`` that the Chinese texts show untranslated."""
    from zhengwu.cli.common import err_console

    for hint in system.warnings:
        err_console.print(f"提示 note: {hint}", markup=False, highlight=False, soft_wrap=True)


def _known_system(name: str) -> IndicatorSystem | None:
    """Return indicator system ``name``, or None when it is no longer installed."""
    try:
        return _system(name, None)
    except ZhengwuError:
        return None


def _period(text: str, system: IndicatorSystem | None = None) -> Period:
    from zhengwu.index.periods import parse_period

    return parse_period(text, week_start=system.week_start if system else "monday")


def _run_id(con: duckdb.DuckDBPyConnection, system: str, period: str) -> str:
    from zhengwu.index import results

    run_id = results.run_id_for(system, _period(period).label)
    results.get_run(con, run_id)  # a clear error when the run is not stored
    return run_id


def _moment(text: str | None) -> datetime | None:
    """Parse an ISO date or time; a date or naive time is China time."""
    from zhengwu.index.periods import CHINA_OFFSET

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"无法识别的时间 {text!r}", f"not an ISO date or time: {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone(CHINA_OFFSET))
    return moment


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "—"
    return str(value)


def _reasons(codes: list[str] | None) -> str:
    """Return compliance reasons as a person reads them: 无互动回复 no_replies, …"""
    from zhengwu.index.compliance import reason_titles

    labels = reason_titles()
    return ", ".join(f"{labels[c]} {c}" if c in labels else c for c in codes or []) or "—"


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[_fmt(v) for v in row])
    console.print(table)


# ---- systems ------------------------------------------------------------------------------


@app.command(
    "systems", short_help="列出指标体系或指标 / list the indicator systems, or the metrics"
)
@handle_errors
def systems(
    metrics: Annotated[bool, typer.Option("--metrics", help="list the metric registry")] = False,
    as_json: JsonOpt = False,
    lang: Annotated[
        str, typer.Option("--lang", help="含义的语言：zh 中文（默认）| en English (--metrics)")
    ] = "zh",
) -> None:
    """List the indicator systems (shipped and user) or, with --metrics, the metrics
    (their meanings in Chinese; with --lang en in English).

    Example: zhengwu index systems --metrics
    """
    from zhengwu.index.metrics import METRICS
    from zhengwu.index.system import available_systems, load_system_file

    chosen_lang = _lang(lang)
    if metrics:
        metric_rows = [{"name": m.name, "title_zh": m.title_zh, "source": m.source,
                        "meaning": m.meaning, "meaning_zh": m.meaning_in("zh")}
                       for m in METRICS.values()]  # fmt: skip
        if as_json:
            print_json(metric_rows)
            return
        key, head = ("meaning", "meaning") if chosen_lang == "en" else ("meaning_zh", "含义")
        _table("指标度量 / metrics", ["name", "标题", "source", head],
               [[m["name"], m["title_zh"], m["source"], m[key]] for m in metric_rows])  # fmt: skip
        return
    listing: list[dict[str, Any]] = []
    for name, path in available_systems().items():
        system = load_system_file(path)
        listing.append({"name": name, "kind": system.kind, "title_zh": system.title_zh,
                        "platforms": list(system.platforms), "version": system.version,
                        "file": str(path), "notes": list(system.notes),
                        "warnings": list(system.warnings)})  # fmt: skip
    if as_json:
        print_json(listing)
        return
    _table("指标体系 / indicator systems", ["name", "kind", "platforms", "version", "标题"],
           [[s["name"], s["kind"], s["platforms"], s["version"], s["title_zh"]] for s in listing])  # fmt: skip


@app.command(
    "methodology",
    short_help="以 Markdown 输出指标体系的方法说明 / print a system's methodology as Markdown",
)
@handle_errors
def methodology(
    system: Annotated[
        str | None, typer.Argument(help="system name (default zhengwu-4d)", show_default=False)
    ] = None,
    system_file: SystemFileOpt = None,
    period: Annotated[str | None, typer.Option("--period", "-p", help="add the period")] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="zh 中文（默认，报告所用）| en English")
    ] = "zh",
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run",
            help="a stored run (SYSTEM/PERIOD, as `zhengwu index runs` lists them): print the "
            "text stored with it, with the compliance rules that run used",
        ),
    ] = None,
) -> None:
    """Print the methodology of an indicator system as Markdown (from its configuration).

    Chinese by default, as in the reports; --lang en prints the English text. With --run,
    the text stored with that run (its check date, window and own-reply check; the text a
    report's appendix shows), as the generator of its run time wrote it.

    Example: zhengwu index methodology zhengwu-4d --period 2025-Q3 > methodology.md

    Example: zhengwu index methodology --run zhengwu-4d/2025-Q3
    """
    from zhengwu.index.methodology import render

    chosen_lang = _lang(lang)
    if run_id is not None:
        _print_run_methodology(run_id, system=system, system_file=system_file,
                               period=period, lang=chosen_lang)  # fmt: skip
        return
    chosen = _system(system or "zhengwu-4d", system_file)
    if chosen_lang == "zh":
        _warn_chinese_gaps(chosen)
    period_ = _period(period, chosen) if period else None
    typer.echo(render(chosen, period=period_, lang=chosen_lang))


def _print_run_methodology(
    run_id: str, *, system: str | None, system_file: Path | None, period: str | None, lang: str
) -> None:
    """Print the methodology text stored with run ``run_id`` (``SYSTEM/PERIOD``); a note on
    stderr when an older generator wrote it (it may not state the run's compliance rules)."""
    from zhengwu.cli.common import err_console
    from zhengwu.index.methodology import GENERATOR_VERSION, generator_version
    from zhengwu.index.results import get_run

    for given, zh, en in (
        (system, "指标体系名称", "a system name"),
        (system_file, "--system-file", "--system-file"),
        (period, "--period", "--period"),
    ):
        if given is not None:
            raise InvalidInputError(
                f"--run 不能与{zh}同用：运行自有其体系和统计周期",
                f"--run cannot be given with {en}: the run has its own system and period",
            )
    if lang != "zh":
        raise InvalidInputError(
            "运行只存储了中文方法说明；英文文本请用 zhengwu index methodology 体系 --period 期间 "
            "--lang en（按现行配置生成）",
            "a run stores its text in Chinese only; for English use zhengwu index methodology "
            "SYSTEM --period PERIOD --lang en (today's text of today's configuration)",
        )
    if not run_id.strip("/").count("/"):
        raise InvalidInputError(
            f"--run 应为 体系/期间（如 zhengwu-4d/2025-Q3，zhengwu index runs 列出全部），收到 {run_id!r}",
            f"--run must be SYSTEM/PERIOD (e.g. zhengwu-4d/2025-Q3; zhengwu index runs lists "
            f"them), got {run_id!r}",
        )
    with _store() as con:
        stored = get_run(con, run_id)
    text = str(stored["methodology"] or "")
    version = generator_version(text)
    if version < GENERATOR_VERSION:
        # An older text may not state the run's own compliance rules: the row does.
        days, reply = stored["compliance_window_days"], stored["reply_check"]
        rules_zh = rules_en = ""
        if days is not None and reply is not None:
            rules_zh = (f"；本次运行的合规规则：检查日 {stored['check_date']}，窗口 {days} 天，"
                        f"自身回复检查{'开' if reply else '关'}")  # fmt: skip
            rules_en = (f"; the run's compliance rules: check date {stored['check_date']}, "
                        f"window {days} days, own-reply check {'on' if reply else 'off'}")  # fmt: skip
        err_console.print(
            f"提示 note: 此文本由方法说明生成器第 {version} 版写成（现行第 {GENERATOR_VERSION} 版）"
            f"{rules_zh} / written by methodology generator version {version} (now "
            f"{GENERATOR_VERSION}){rules_en}",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    typer.echo(text)


def _lang(lang: str) -> Literal["zh", "en"]:
    """Return a checked --lang value: zh (the default, as in reports) or en."""
    if lang not in ("zh", "en"):
        raise InvalidInputError(
            f"--lang 应为 zh 或 en，收到 {lang!r}", f"--lang must be zh or en, got {lang!r}"
        )
    return "en" if lang == "en" else "zh"


# ---- runs ---------------------------------------------------------------------------------


@app.command(
    "run",
    short_help="按时期计算指标体系并保存得分、排名和矩阵指数 / compute a system over a period and store it",
)
@handle_errors
def run(
    period: PeriodOpt,
    system: SystemOpt = "zhengwu-4d",
    system_file: SystemFileOpt = None,
    compliance_days: Annotated[
        int | None, typer.Option("--compliance-days", help="veto window: 14 (default), 10, 7 …")
    ] = None,
    reply_check: Annotated[
        bool | None, typer.Option("--reply-check/--no-reply-check", help="own-reply veto")
    ] = None,
    check_date: CheckDateOpt = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="replace a stored (or published) run of the same system and period that "
            "was computed with another configuration",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compute an indicator system over a period and store scores, ranks and the matrix index.

    Running it again replaces the stored run of the same system and period; a run with
    another configuration (system file, --compliance-days, --reply-check) is refused
    unless --replace is given. A --system-file may not take a shipped system's name.

    Example: zhengwu index run --period 2025-Q3 --system zhengwu-4d
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.index.engine import run_for_db

    chosen = _system(system, system_file)
    _warn_chinese_gaps(chosen)
    window = _period(period, chosen)
    checked = parse_date(check_date, "--check-date")
    with unit_of_work() as session, _store(write=True) as con:
        summary = run_for_db(session, con, chosen, window, window_days=compliance_days,
                             reply_check=reply_check, check_date=checked, replace=replace)  # fmt: skip
    if as_json:
        print_json(summary.to_dict())
        return
    console.print(
        f"[bold]{summary.run_id}[/]: {summary.accounts} 账号 accounts, {summary.failing} 未通过合规 "
        f"failing the compliance gate, {summary.organizations} 机构 organisations, "
        f"{summary.seconds:.2f} s"
    )
    for note in summary.notes:
        console.print(f"  · {note}")


@app.command("runs", short_help="列出已保存的指数计算及其配置 / list the stored index runs")
@handle_errors
def runs(as_json: JsonOpt = False) -> None:
    """List the stored index runs with their configuration.

    "config" is the start of the system file's digest (SHA-256 of its text) and "gate" the
    compliance window and own-reply check: runs configured otherwise differ there.

    Example: zhengwu index runs
    """
    from zhengwu.index.configuration import short_digest
    from zhengwu.index.results import list_runs

    with _store() as con:
        listing = list_runs(con)
    if as_json:
        print_json([{k: str(v) if k.endswith(("date", "_at")) else v for k, v in r.items()}
                    for r in listing])  # fmt: skip
        return
    _table("计算结果 / runs",
           ["run", "period", "start", "end", "accounts", "failing", "version", "config", "gate"],
           [[r["run_id"], r["period_kind"], r["start_date"], r["end_date"], r["n_accounts"],
             r["n_failing"], r["system_version"], short_digest(r["system_digest"]),
             f"{r['compliance_window_days']}d" + (" +replies" if r["reply_check"] else "")]
            for r in listing])  # fmt: skip


@app.command(
    "publish",
    context_settings={"allow_extra_args": True},
    short_help="发布（或撤回）一次计算的排行榜 / publish a run's rankings (or withdraw them)",
)
@handle_errors
def publish(
    ctx: typer.Context,
    # Optional here only so that the old form (two arguments) gets its own message.
    period: Annotated[
        str | None, typer.Option("--period", "-p", help="the run's period, e.g. 2025-Q3")
    ] = None,
    system: SystemOpt = "zhengwu-4d",
    by: Annotated[str, typer.Option("--by", help="who publishes (recorded)")] = "admin",
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="withdraw the publication instead")
    ] = False,
) -> None:
    """Publish a stored run: its rankings become the public /rankings page (or withdraw it).

    The run is named as `index run` and `index rank` name it: --period and --system.
    --withdraw needs no stored run: a publication whose run was deleted is withdrawn too.

    Example: zhengwu index publish --period 2025-Q3 --system zhengwu-4d --by 王五
    """
    from zhengwu.auth.principal import Principal
    from zhengwu.db.engine import unit_of_work
    from zhengwu.index import access

    legacy = ctx.args  # the old form `index publish SYSTEM PERIOD`: say how it is written now
    if legacy:
        raise InvalidInputError(
            f"多余的参数 {' '.join(legacy)}：请写成 zhengwu index publish --period 期间 "
            "--system 指标体系",
            f"unexpected argument(s) {' '.join(legacy)}: write zhengwu index publish "
            "--period PERIOD --system SYSTEM",
        )
    if period is None:
        raise InvalidInputError(
            "缺少 --period：要发布哪一期的计算结果，例如 --period 2025-Q3",
            "missing --period: the period of the run to publish, e.g. --period 2025-Q3",
        )
    operator = Principal(role="admin", user_id=0, username=by, display_name=by)
    if withdraw:  # the publication is in the database: its run need not be stored any more
        from zhengwu.index import results

        run_id = results.run_id_for(system, _period(period, _known_system(system)).label)
        with unit_of_work() as session:
            access.withdraw(session, principal=operator, run_id=run_id)
        console.print(f"已撤回 withdrawn: {run_id}")
        return
    with _store() as con, unit_of_work() as session:
        run_id = _run_id(con, system, period)
        found = access.publish(session, con, principal=operator, run_id=run_id)
        console.print(f"已发布 published: {found.run_id} ({found.published_by})")


# ---- results ------------------------------------------------------------------------------


@app.command(
    "rank",
    short_help="输出排行榜及与上期相比的变化 / print a ranking with movement against the last period",
)
@handle_errors
def rank(
    period: PeriodOpt,
    system: SystemOpt = "zhengwu-4d",
    platform: Annotated[
        str | None,
        typer.Option("--platform", help="weibo, wechat, douyin … or all (organisations)"),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="platform, sector, level, province, city, matrix")
    ] = "platform",
    group: Annotated[str | None, typer.Option("--group", help="one group (key or name)")] = None,
    top: Annotated[int | None, typer.Option("--top", help="Top-N per group")] = None,
    include_failing: Annotated[
        bool, typer.Option("--include-failing", help="rank failing accounts too (marked)")
    ] = False,
    show_excluded: Annotated[
        bool,
        typer.Option(
            "--show-excluded", help="list excluded accounts (also in --json; else their count)"
        ),
    ] = False,
    as_json: JsonOpt = False,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="write CSV here (its directory must exist)")
    ] = None,
    xlsx_path: Annotated[
        Path | None, typer.Option("--xlsx", help="write XLSX here (its directory must exist)")
    ] = None,
) -> None:
    """Print a ranking with movement against the previous period; failing accounts are counted.

    Each row has two percentiles: 组内百分位 within the group ranked (the sector with --by
    sector, the city with --by city …) and 同类百分位 within the run's peer group (the
    platform for zhengwu-4d).

    ``--json`` holds ``excluded_count``; the list ``excluded`` only with ``--show-excluded``.

    Example: zhengwu index rank --platform weibo --by sector --period 2025-Q3 --top 20
    """
    from zhengwu.index import export, results
    from zhengwu.index.ranking import check_platform, ranking

    if csv_path:
        check_output(csv_path, "--csv")
    if xlsx_path:
        check_output(xlsx_path, "--xlsx")
    with _store() as con:
        run_id = _run_id(con, system, period)
        if platform is None:
            platform = results.main_platform(con, run_id)
        else:
            check_platform(con, run_id, platform)  # a typo must not read as an empty ranking
        # A national run excludes ~150 000 accounts: listed only when asked (the XLSX has
        # a sheet of them); otherwise counted.
        result = ranking(con, run_id, platform=platform, by=by, group=group, top=top,
                         include_failing=include_failing,
                         list_excluded=show_excluded or xlsx_path is not None)  # fmt: skip
        if group is not None and not result["groups"]:
            _no_such_group(con, run_id, platform=platform, by=by, group=group)
    if csv_path:
        console.print(f"{export.to_csv(result, csv_path)} 行 rows → {csv_path}")
    if xlsx_path:
        console.print(f"{export.to_xlsx(result, xlsx_path)} 行 rows → {xlsx_path}")
    if as_json:
        print_json(result)
        return
    if csv_path or xlsx_path:
        return
    # Organisations (--platform all) are named as `index explain` takes them: org:<id>.
    orgs = platform == "all"
    for g in result["groups"]:
        rows = [[r["rank"], r["movement"], r["account_uid"] if orgs else f"{platform}:{r['account_uid']}",
                 r["name"], r["score"], *(r[k] for k, _ in export.PERCENTILES),
                 "✗ " + _reasons(r["compliance_reasons"]) if r["excluded"] else ""]
                for r in g["rows"]]  # fmt: skip
        counts = (
            f"{g['size_with_failing']} ranked, {g['excluded_count']} of them failing ✗"
            if include_failing
            else f"{g['size']} ranked, {g['excluded_count']} excluded"
        )
        _table(f"{result['run_id']} · {by} {g['group_name']} ({counts})",
               ["名次", "变化", "机构" if orgs else "账号", "名称", "得分",
                *(zh for _, zh in export.PERCENTILES), "合规"],
               rows)  # fmt: skip
    if include_failing:
        console.print(
            f"未通过合规或无数据（已参与排名，标记 ✗）failing the compliance gate or without "
            f"data, ranked and marked ✗: {result['excluded_count']}"
        )
    else:
        console.print(
            f"未纳入排行 excluded (compliance gate, 无数据 no data): {result['excluded_count']}"
            " (--include-failing to rank them, --show-excluded to list)"
        )
    if show_excluded:
        _table("未纳入 / excluded", ["分组", "账号", "名称", "得分", "原因"],
               [[e["group_key"], e["account_uid"], e["name"], e["score"], _reasons(e["compliance_reasons"])]
                for e in result["excluded"]])  # fmt: skip


def _no_such_group(
    con: duckdb.DuckDBPyConnection, run_id: str, *, platform: str, by: str, group: str
) -> NoReturn:
    """Raise a bilingual "no such group" error that lists the groups there are."""
    from zhengwu.index.ranking import group_names

    found, total = group_names(con, run_id, platform=platform, by=by)
    listing = ", ".join(key if key == name else f"{key} {name}" for key, name in found)
    more = f" … (+{total - len(found)})" if total > len(found) else ""
    if not found:
        raise NotFoundError(
            f"{run_id} 的 {platform} 排行中没有按 {by} 的分组",
            f"the {platform} ranking of {run_id} has no {by} groups",
        )
    raise NotFoundError(
        f"没有这个分组：{group!r}（{platform} 按 {by}）。可用分组：{listing}{more}",
        f"no such group: {group!r} ({platform} by {by}). Groups: {listing}{more}",
    )


@app.command(
    "matrix", short_help="输出矩阵指数（前 k 均值、开通率、活跃率） / print the matrix index"
)
@handle_errors
def matrix(
    period: PeriodOpt,
    system: SystemOpt = "zhengwu-4d",
    platform: Annotated[str | None, typer.Option("--platform", help="one platform or all")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the matrix index (top-k mean, 开通率 coverage, 活跃率 activity).

    Example: zhengwu index matrix --period 2025-Q3 --platform all
    """
    from zhengwu.index.matrix import matrix_index

    with _store() as con:
        rows = matrix_index(con, _run_id(con, system, period), platform=platform)
    if as_json:
        print_json(rows)
        return
    _table("矩阵指数 / matrix index", ["平台", "名次", "矩阵", "得分", "top", "开通率", "活跃率", "成员"],
           [[r["platform"], r["rank"], r["matrix_name"], r["score"], r["top_mean"],
             r["coverage"], r["activity"], r["members"]] for r in rows])  # fmt: skip


@app.command(
    "explain",
    short_help="解释一个得分：各指标的原始值、权重与得分 / explain a score indicator by indicator",
)
@handle_errors
def explain(
    account: Annotated[str, typer.Argument(help="platform:uid, org:<id> or a name")],
    period: PeriodOpt,
    system: SystemOpt = "zhengwu-4d",
    platform: Annotated[
        str | None, typer.Option("--platform", help="when a name is ambiguous")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Explain a score: every indicator's raw, normalised, weight and points, and the gap above.

    Example: zhengwu index explain weibo:3721262965 --period 2025-Q3 (with weibo:3721262965
    the demo's 许昌发布)
    """
    from zhengwu.index.explain import explain as explain_score

    with _store() as con:
        out = explain_score(con, _run_id(con, system, period), account, platform=platform)
    if as_json:
        print_json(out)
        return
    console.print(
        f"[bold]{out['name']}[/]（{out['platform']}:{out['uid']}）{out['run_id']}：得分 "
        f"{_fmt(out['score'])}，{_rank_text_zh(out)}，同类百分位 {_fmt(out['percentile'], 1)}"
        f"（同组 {out['peer_group']}，{out['peer_size']} 个），{_compliance_zh(out)}"
        f"；缺数据的维度 {_fmt(out['dims_missing'])}"
    )
    console.print(
        f"[bold]{out['name']}[/] ({out['platform']}:{out['uid']}) {out['run_id']}: score "
        f"{_fmt(out['score'])}, {_rank_text(out)}, percentile {_fmt(out['percentile'], 1)} in "
        f"peer group {out['peer_group']} ({out['peer_size']}), {_compliance_en(out)}; "
        f"missing {_fmt(out['dims_missing'])}"
    )
    if out["entity"] == "organization":
        _explain_organization(out)
    else:
        names, part = _dimension_names(out["system"])
        _table("指标 / indicators", ["维度", "指标", "原值", "标准化", "权重", "得分贡献"],
               [[names.get(i["dimension"], i["dimension"]), i["title_zh"] or i["indicator"],
                 i["raw"], i["normalised"], i["weight"], i["contribution"]]
                for i in out["indicators"]]
               + [[names.get(d["dimension"], d["dimension"]), part, d["raw"],
                   d["normalised"], d["weight"], d["contribution"]] for d in out["dimensions"]])  # fmt: skip
        console.print(f"得分贡献合计 contributions total {_fmt(out['contributions_total'])}")
        for i in out["indicators"]:  # what each indicator measures, in the report's language
            if i["meaning_zh"]:
                console.print(
                    f"  {i['title_zh']}（{i['indicator']}）：{i['meaning_zh']}", markup=False
                )
    above = out["above"]
    if above:
        gaps = "; ".join(f"{g['title_zh'] or g['indicator'] or g['dimension']} +{g['gap_points']:.2f}"
                         for g in above["largest_gaps"])  # fmt: skip
        console.print(f"上一名 next above: {above['name']} ({above['uid']}) {_fmt(above['score'])}, "
                      f"gap {_fmt(above['gap_points'])} points — largest: {gaps or '—'}")  # fmt: skip


def _dimension_names(system: str) -> tuple[dict[str, str], str]:
    """Return a system's dimension keys with their names (reach → 传播力 reach), if it loads,
    and what its summed rows are: a composite's dimensions or a preset's formula blocks."""
    try:
        chosen = _system(system, None)
    except ZhengwuError:  # a --system-file run: its file is not known here, keys stay
        return {}, "合计 total"
    if chosen.kind == "preset":
        return {}, "公式分项 block"
    names = {
        d.key: f"{d.name_in('zh')} {d.key}" if d.name_in("zh") != d.key else d.key
        for d in chosen.dimensions
    }
    return names, "维度合计 dimension"


def _explain_organization(out: dict[str, Any]) -> None:
    """Print an organisation's accounts and the part each platform's best one gives its score."""
    from zhengwu.index.explain import combination_text

    parts = {
        (p["platform"], p["account_uid"]): p for p in (out["combine"] or {}).get("platforms", [])
    }
    rows = []
    for acct in out["platforms"]:
        part = parts.get((acct["platform"], acct["account_uid"]))
        rows.append([acct["platform"], acct["account_uid"], acct["name"], acct["score"],
                     acct["rank"], part["weight"] if part else None,
                     part["contribution"] if part else None])  # fmt: skip
    _table(
        "各平台账号 / accounts by platform",
        ["平台", "账号", "名称", "得分", "名次", "权重", "得分贡献"],
        rows,
    )
    zh, en = combination_text(out["combine"])
    total = _fmt(out["contributions_total"])
    console.print(f"{zh}；合计 {total}\n{en}; total {total}", highlight=False)


def _compliance_zh(out: dict[str, Any]) -> str:
    """Say in Chinese whether an explained entity passed the compliance gate and, apart,
    why it is not ranked: 合规未通过：检查日前无更新 no_post; 合规通过；未纳入排行：无数据 no_data."""
    reasons = out["compliance_reasons"]
    if out["compliance"] == "fail":
        return f"合规未通过：{_reasons(reasons)}"
    return "合规通过" + (f"；未纳入排行：{_reasons(reasons)}" if reasons else "")


def _compliance_en(out: dict[str, Any]) -> str:
    """Say in English what :func:`_compliance_zh` says in Chinese."""
    reasons = out["compliance_reasons"]
    if out["compliance"] == "fail":
        return f"compliance fail: {_reasons(reasons)}"
    return "compliance pass" + (f"; not ranked: {_reasons(reasons)}" if reasons else "")


def _rank_text_zh(out: dict[str, Any]) -> str:
    """Say in Chinese where an explained entity ranks (as :func:`_rank_text` in English)."""
    total = out["ranked_count"] + out["excluded_count"]
    pool = (
        f"{out['platform']} 共 {total} 个，其中 {out['excluded_count']} 个因合规门槛或缺数据未纳入"
    )
    if out["rank"] is None:
        return (
            f"未纳入排行（合规门槛或缺数据；连同未通过者排第 {out['rank_with_failing']} / {total}）"
        )
    return f"排行第 {out['rank']} / {out['ranked_count']} 名（{pool}）"


def _rank_text(out: dict[str, Any]) -> str:
    """Say where an explained entity ranks, with the ranked and excluded counts apart."""
    total = out["ranked_count"] + out["excluded_count"]
    pool = (
        f"{total} in {out['platform']}, {out['excluded_count']} excluded by the compliance "
        "gate or for lack of data"
    )
    if out["rank"] is None:
        return (
            f"not ranked (excluded by the compliance gate or for lack of data; "
            f"{out['rank_with_failing']} of "
            f"{total} with failing accounts included)"
        )
    return f"rank {out['rank']} of {out['ranked_count']} ranked ({pool})"


# ---- compliance ---------------------------------------------------------------------------


@app.command(
    "compliance",
    short_help="按国办秘函〔2019〕19号检查各政务账号 / check every account against the 2019 vetoes",
)
@handle_errors
def compliance(
    check_date: Annotated[str, typer.Option("--date", "-d", help="check date YYYY-MM-DD")],
    window: Annotated[
        int | None, typer.Option("--window", help="days without a post (14, 10, 7)")
    ] = None,
    reply_check: Annotated[bool, typer.Option("--reply-check/--no-reply-check")] = True,
    failing_only: Annotated[
        bool, typer.Option("--failing-only", help="list failing accounts only")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="table rows to print (failing accounts first)")
    ] = 50,
    show_all: Annotated[bool, typer.Option("--all", help="print every row in the table")] = False,
    matrix: Annotated[
        str | None,
        typer.Option(
            "--matrix",
            help="only the accounts of this matrix and of the matrices below it: its id, "
            "external id or exact name (矩阵：编号、外部编号或全称)",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check every government account against the 国办秘函〔2019〕19号 vetoes on a date.

    The table lists failing accounts first and stops after --limit rows (default 50; --all
    prints every row); a summary line counts the failing accounts by reason. --json always
    prints every row, with ``total`` (rows matching) as ``GET /api/index/compliance`` has.
    --matrix checks only one matrix's accounts (and those of the matrices below it), as
    ``GET /api/index/compliance?matrix=ID`` does; with --json each row names the matrices
    its account is a member of (``matrices``: ``[{"id", "name"}]``), below --matrix or
    among every matrix, as the API's rows do.

    Example: zhengwu index compliance --date 2025-09-30 --failing-only --json
    """
    from zhengwu.accounts.service import resolve_matrix
    from zhengwu.db.engine import unit_of_work
    from zhengwu.index import access
    from zhengwu.index import compliance as gate
    from zhengwu.index.dimensions import member_keys

    day = parse_date(check_date, "--date")
    assert day is not None  # --date is required
    rules = gate.ComplianceRules.from_settings(window_days=window, reply_check=reply_check)
    # Only the rows shown are built (DuckDB sorts and cuts): a national check fails ~150k
    # accounts, and a table of them is no use on a terminal.
    page = None if show_all or as_json else limit
    with unit_of_work() as session, _store() as con:
        below = None if matrix is None else resolve_matrix(session, matrix).id
        among = None if below is None else member_keys(
            session, access.matrix_account_parts(below)
        )[0]  # fmt: skip
        report = gate.named_report(
            session, con, among, day, rules, failing_only=failing_only, limit=page
        )
        if as_json:  # each row's matrices, below --matrix (every one without), as the API's
            access.name_matrices(session, report, below)
    if as_json:
        print_json(report)
        return
    _print_compliance(report)


_PLATFORMS = {"weibo": "微博", "wechat": "微信", "douyin": "抖音"}
_STATUS = {"pass": "通过 pass", "fail": "未通过 fail"}


def _china_minute(moment: Any) -> Any:
    """Return a time as China time to the minute (the table's width), or it as it is."""
    from zhengwu.chinatime import CHINA

    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    return moment


def _print_compliance(report: dict[str, Any]) -> None:
    """Print the page of compliance rows (failing first) and the summary by reason."""
    shown = report["rows"]
    _table(f"合规检查 {report['check_date']} ({report['window_days']} 天)",
           ["平台", "账号", "名称", "窗口发文", "回复", "最后发文", "结果", "原因"],
           [[_PLATFORMS.get(r["platform"], r["platform"]), r["uid"], r["name"],
             r["posts_in_window"], r["replies_in_window"], _china_minute(r["last_post_at"]),
             _STATUS.get(r["status"], r["status"]), _reasons(r["reasons"])] for r in shown])  # fmt: skip
    if len(shown) < report["total"]:
        console.print(
            f"显示前 {len(shown)} / {report['total']} 行 showing {len(shown)} of "
            f"{report['total']} rows (--limit N or --all for more, --json for every row)"
        )
    reasons = ", ".join(f"{_reasons([k])} {v}" for k, v in report["by_reason"].items()) or "—"
    console.print(
        f"{report['failing']} / {report['accounts']} 未通过 failing; 按原因 by reason: {reasons}"
    )


@app.command("flag", short_help="记录人工合规否决 / record a manual compliance veto")
@handle_errors
def flag(
    account: Annotated[str, typer.Argument(help="platform:uid or name")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind", help="security_incident, bought_followers, coerced_likes, no_interaction"
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="why")],
    by: Annotated[str, typer.Option("--by", help="who records it")],
    at: Annotated[
        str | None, typer.Option("--at", help="since when (ISO date/time; default now)")
    ] = None,
) -> None:
    """Record a manual compliance veto on an account (who, when, why).

    Example: zhengwu index flag weibo:3721262965 --kind bought_followers --reason "平台通报" --by 张三
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.index import compliance as gate

    with unit_of_work() as session:
        found = gate.find_account(session, account)
        made = gate.flag_account(session, account=found, kind=kind, reason=reason, by=by,
                                 at=_moment(at))  # fmt: skip
        console.print(f"标记 flag {made.id}: {found.platform}:{found.uid} {kind}")


@app.command("unflag", short_help="撤销合规标记 / lift a compliance flag")
@handle_errors
def unflag(
    flag_id: Annotated[int, typer.Argument(help="flag id")],
    reason: Annotated[str, typer.Option("--reason", help="why it is lifted")],
    by: Annotated[str, typer.Option("--by", help="who lifts it")],
    at: Annotated[
        str | None, typer.Option("--at", help="when (ISO date/time; default now)")
    ] = None,
) -> None:
    """Lift a compliance flag (who, when, why).

    Example: zhengwu index unflag 1 --reason "复核无误" --by 李四 (with 1 the id `index flag`
    printed)
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.index import compliance as gate

    with unit_of_work() as session:
        lifted = gate.lift_flag(session, flag_id=flag_id, reason=reason, by=by, at=_moment(at))
        console.print(f"解除 lifted flag {lifted.id}")


@app.command("flags", short_help="列出合规标记 / list the compliance flags")
@handle_errors
def flags(
    account: Annotated[str | None, typer.Option("--account", help="platform:uid or name")] = None,
    active_on: Annotated[str | None, typer.Option("--active-on", help="YYYY-MM-DD")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List compliance flags, with the account (platform:uid and name) and who set and lifted them.

    Example: zhengwu index flags --active-on 2025-09-30
    """
    from sqlalchemy import select

    from zhengwu.accounts.models import Account
    from zhengwu.db.engine import unit_of_work
    from zhengwu.index import compliance as gate
    from zhengwu.index.models import ComplianceFlagRead

    day = parse_date(active_on, "--active-on")
    with unit_of_work() as session:
        account_id = gate.find_account(session, account).id if account else None
        listing = [ComplianceFlagRead.model_validate(f).model_dump(mode="json")
                   for f in gate.list_flags(session, account_id=account_id, active_on=day)]  # fmt: skip
        ids = {f["account_id"] for f in listing}
        found = session.execute(
            select(Account.id, Account.platform, Account.uid, Account.name).where(Account.id.in_(ids))
        ).all() if ids else []  # fmt: skip
    accounts = {row.id: (f"{row.platform}:{row.uid}", row.name) for row in found}
    for f in listing:
        f["account"], f["account_name"] = accounts.get(f["account_id"], (None, None))
    if as_json:
        print_json(listing)
        return
    _table("合规标记 / flags", ["id", "account", "name", "kind", "reason", "by", "at", "lifted"],
           [[f["id"], f["account"] or f"#{f['account_id']}", f["account_name"], f["kind"], f["reason"],
             f["flagged_by"], f["flagged_at"], f["lifted_at"]] for f in listing])  # fmt: skip


@app.command("coverage", short_help="输出开通率与活跃率 / print coverage and activity")
@handle_errors
def coverage(
    period: PeriodOpt,
    as_json: JsonOpt = False,
) -> None:
    """Print 开通率 (organisations with an account) and 活跃率 (accounts that posted).

    Example: zhengwu index coverage --period 2025-Q3
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.index.coverage import coverage as coverage_rows
    from zhengwu.index.dimensions import load_dimensions

    with unit_of_work() as session, _store() as con:
        rows = coverage_rows(con, load_dimensions(session), _period(period))
    if as_json:
        print_json(rows)
        return
    _table("开通率 / 活跃率", ["系统", "层级", "平台", "机构", "开通", "开通率", "账号", "活跃", "活跃率"],
           [[r["sector"], r["level"], r["platform"], r["organizations"], r["opened"],
             r["open_rate"], r["accounts"], r["active"], r["active_rate"]] for r in rows])  # fmt: skip
