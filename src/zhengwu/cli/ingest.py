"""``zhengwu import``: import platform payloads and lists in any registered format."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from zhengwu.cli.common import (
    console,
    err_console,
    fail,
    handle_errors,
    json_error_fields,
    print_json,
)
from zhengwu.errors import InvalidInputError

if TYPE_CHECKING:
    from zhengwu.ingest.runs import ImportRefusedError


def _parse_options(values: list[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for value in values:
        if "=" not in value:
            raise InvalidInputError(
                f"选项应写作 key=value：{value!r}", f"options are key=value: {value!r}"
            )
        key, _, raw = value.partition("=")
        options[key.strip().replace("-", "_")] = raw
    return options


@handle_errors
def import_command(
    fmt: Annotated[
        str, typer.Argument(metavar="FORMAT", help="format name: see `zhengwu formats`")
    ],
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH...",
            help="files to import; .gz, .bz2, .xz and .zst files and .zip and .7z archives are "
            "read as they are (.rar: convert it to .zip or .7z)",
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="write nothing; print normalised records as JSON Lines"),
    ] = False,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json", help="print the summary as JSON (last line; a refused import with its error)"
        ),
    ] = False,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="importer option key=value, e.g. account_uid=123"),
    ] = None,
    observed_at: Annotated[
        datetime | None,
        typer.Option(
            help="when the counts were observed (default: now)",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"],
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="parser processes (default: cores)")] = None,
    refresh_search: Annotated[
        bool,
        typer.Option(
            "--refresh-search",
            help="refresh the search index right after the import (else the worker does)",
        ),
    ] = False,
) -> None:
    """Import files of one FORMAT; bad records are quarantined with their reason.

    Prints a summary; read = imported + updated + duplicates + quarantined. An import whose
    every file is refused whole writes nothing, but its run (0 read, the files and why) is
    kept in the history, `zhengwu imports`, and named in the error. New and changed
    accounts become searchable when the worker (`zhengwu worker`, or `zhengwu serve`)
    refreshes the search index, or at once with --refresh-search.

    Example: zhengwu import weibo-api statuses.jsonl --json
    Example: zhengwu import weibo-api statuses-2025-07.jsonl.gz crawl.zip
    Example: zhengwu import zhengwu-accounts accounts.csv --refresh-search
    """
    if json_out:  # a refused import's JSON line: these keys, nothing imported, and the error
        from zhengwu.ingest.pipeline import ImportSummary

        json_error_fields(ImportSummary(files=[str(p) for p in paths]).to_dict())
    _import(fmt, paths, dry_run, json_out, option, observed_at, workers, refresh_search)


def _exit_if_refused(refused: list[dict[str, Any]]) -> None:
    """Exit with code 2 when a file was refused whole while the others were imported:
    what they held is committed and counted above; the refused files are named on stderr
    (and in the summary's ``refused``), so a script sees the import was not complete."""
    if _say_refused(refused):
        raise typer.Exit(2)


def _say_refused(refused: list[dict[str, Any]]) -> bool:
    """Say on stderr that the other files were imported and these are to fix; return
    whether there were any."""
    if refused:
        err_console.print(
            f"其余文件已导入；{len(refused)} 个文件被拒绝，修正后可再次导入（重复的记录不会重复计入）"
            f" / the other files were imported; {len(refused)} file(s) refused — fix and import"
            " them again (records already imported count as duplicates)",
            markup=False, soft_wrap=True,
        )  # fmt: skip
    return bool(refused)


def _import(
    fmt: str, paths: list[Path], dry_run: bool, json_out: bool, option: list[str] | None,
    observed_at: datetime | None, workers: int | None, refresh_search: bool,
) -> None:  # fmt: skip
    import msgspec
    from rich.progress import Progress

    from zhengwu.content import store
    from zhengwu.db.engine import unit_of_work
    from zhengwu.ingest.pipeline import run_import
    from zhengwu.ingest.registry import ImportItem
    from zhengwu.ingest.runs import ImportRefusedError

    options = _parse_options(option or [])
    if observed_at is not None and observed_at.tzinfo is None:
        from zhengwu.platforms.timeparse import CHINA_TZ

        observed_at = observed_at.replace(tzinfo=CHINA_TZ)
    encoder = msgspec.json.Encoder()

    def emit(item: ImportItem) -> None:
        out = sys.stdout.buffer
        for rec in (item.primary, *item.related):
            out.write(encoder.encode(rec) + b"\n")

    try:
        with unit_of_work() as session, store.open_store(read_only=dry_run) as analytics:
            queued_before = None if dry_run else _search_queue_mark(session)
            if dry_run:
                summary = run_import(
                    fmt, paths, session=session, analytics=analytics, dry_run=True,
                    observed_at=observed_at, options=options, on_item=emit,
                )  # fmt: skip
                session.rollback()
            else:
                # Not drawn where stderr is no terminal: rich's Progress then only ends with an
                # empty line, which stood above the warnings.
                hidden = json_out or not err_console.is_interactive
                with Progress(console=err_console, transient=True, disable=hidden) as progress:
                    task = progress.add_task(f"导入 importing {fmt}", total=None)
                    summary = run_import(
                        fmt, paths, session=session, analytics=analytics,
                        observed_at=observed_at, options=options, workers=workers,
                        on_progress=lambda n: progress.advance(task, n),
                    )  # fmt: skip
    except ImportRefusedError as every_file_refused:
        if not dry_run:  # rolled back above: the run alone is stored, in its own transaction
            _record_refused(fmt, paths, every_file_refused)
        raise
    for warning in summary.warnings:  # stderr: the JSON summary stays the last stdout line
        err_console.print(
            f"警告 / warning: {warning}", style="yellow", markup=False, soft_wrap=True
        )
    for refused in summary.refused:
        err_console.print(
            f"错误：未导入 {refused['file']}：{refused['message_zh']} / error: {refused['file']}"
            f" was not imported: {refused['message_en']}",
            style="red", markup=False, soft_wrap=True,
        )  # fmt: skip
    if dry_run:
        print_json(summary.to_dict() if json_out else {"summary": summary.to_dict()})
        _exit_if_refused(summary.refused)
        return
    indexed = _refresh_search(summary.to_dict()) if refresh_search else None
    if json_out:
        print_json(summary.to_dict() | ({"search_indexed": indexed} if indexed is not None else {}))
        _exit_if_refused(summary.refused)
        return
    console.print(
        f"[bold]{fmt}[/]: 读取 read {summary.read} · 新增 imported {summary.imported} · "
        f"更新 updated {summary.updated} · 重复 duplicates {summary.duplicates} · "
        f"隔离 quarantined {summary.quarantined}  ({summary.seconds:.1f} s)"
    )
    if summary.quarantined:
        console.print(
            f"隔离记录见 / see quarantined records: zhengwu quarantine --run {summary.run_id}"
        )
    if indexed is not None:
        done = " · ".join(f"{kind} {n:,}" for kind, n in indexed.items())
        console.print(f"搜索索引已更新 / search index refreshed: {done}")
    elif (summary.imported or summary.updated) and _search_waits(queued_before):
        console.print(
            "搜索索引由后台任务更新（zhengwu worker 或 zhengwu serve），立即更新请加 "
            "--refresh-search / the search index is refreshed by the worker "
            "(zhengwu worker, or zhengwu serve); --refresh-search refreshes it now"
        )
    _exit_if_refused(summary.refused)


def _record_refused(fmt: str, paths: list[Path], refused: ImportRefusedError) -> None:
    """Store the run of an import that refused every file (:func:`record_refused`); its
    --json error carries the summary with the counts at 0 and the run."""
    from zhengwu.ingest.pipeline import ImportSummary

    run_id = record_refused(fmt, paths, refused)
    json_error_fields(ImportSummary(files=[str(p) for p in paths], run_id=run_id).to_dict())


def record_refused(fmt: str, paths: list[Path], refused: ImportRefusedError) -> int:
    """Store the run of an import that refused every file, after its rollback, so that the
    history lists it (0 read, the files refused and why) and the error names the run
    (``zhengwu import``, ``zhengwu desk import-csv``); return its id."""
    from zhengwu.db.engine import unit_of_work
    from zhengwu.ingest.runs import record_refused_run

    with unit_of_work() as session:
        run_id = record_refused_run(
            session, fmt=fmt, paths=paths, started=refused.started, refused=refused.refused
        )
    refused.recorded_as(run_id)
    return run_id


def _refresh_search(summary: dict[str, Any]) -> dict[str, int]:
    """Run the worker's search refresh now (its own transactions, after the import's).

    A refresh that fails exits with code 1, the import committed: under ``--json`` the
    last stdout line is the import's ``summary`` with the error (:func:`fail`). When files
    were refused too, the code is 2, as without --refresh-search: the refused files need
    fixing and importing again, while the worker retries the refresh by itself."""
    from zhengwu.errors import ServerError
    from zhengwu.jobs.registry import get_job
    from zhengwu.jobs.runner import run_job

    with err_console.status("更新搜索索引 / refreshing the search index …"):
        report = run_job(get_job("search-refresh"))
    if report.error:
        json_error_fields(summary)
        refused = summary.get("refused") or []
        done = fail(
            ServerError(
                f"导入已完成，但搜索索引更新失败（后台任务会再试，或再次运行 zhengwu worker --once "
                f"--only search-refresh）：{report.error}",
                "the import is done, but the search index refresh failed (the worker tries "
                f"again, or run zhengwu worker --once --only search-refresh): {report.error}",
            ),
            2 if refused else 1,
        )
        _say_refused(refused)
        raise done
    return report.counts


@handle_errors
def formats_command(
    json_out: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """List the import formats.

    Example: zhengwu formats
    """
    from rich.table import Column, Table

    from zhengwu.ingest.registry import formats

    known = formats()
    if json_out:
        print_json(known)
        return
    table = Table("format", Column("description", overflow="fold"))
    for name, desc in known.items():
        table.add_row(name, desc)
    console.print(table)


@handle_errors
def quarantine_command(
    run: Annotated[int | None, typer.Option(help="only this import run")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many rows")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="skip this many rows (next page)")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON Lines")] = False,
    raw: Annotated[
        bool, typer.Option("--raw", help="add each record's raw text (the row as read)")
    ] = False,
) -> None:
    """Show quarantined records with their location and reason.

    Without --run the newest records come first (the latest import's problems); with --run
    one import's records are listed in file order. --limit and --offset page through them.
    --raw adds each record's text as it was read (a sheet's row as its line(s) in the file:
    fix it and import it again); --json always carries it, as "raw". It may hold callers'
    names and numbers, as the files did. With --run the files the run refused whole (a GBK
    CSV, a member of an archive not in the format) follow the records and why; under --json
    as lines of "kind": "refused" (the records' lines are "kind": "quarantine"), on the first
    page only. The admin reads them in the console too (设置 › 导入记录 › 隔离记录), the raw
    text masked there and in its download of these lines.

    Example: zhengwu quarantine --run 3
    """
    from rich.table import Column, Table
    from rich.text import Text
    from sqlalchemy import func, select

    from zhengwu.db.engine import nothing_stored_yet, unit_of_work
    from zhengwu.ingest.models import ImportRun, QuarantineEntry
    from zhengwu.ingest.quarantine import record_line, refused_lines

    q = QuarantineEntry
    the_run: ImportRun | None = None
    refused: list[dict[str, Any]] = []
    entries: list[QuarantineEntry] = []
    total = 0
    if nothing_stored_yet():  # no database here yet: nothing to list, and none is created
        if run is not None:
            _no_such_run(run, None)
    else:
        with unit_of_work() as session:
            the_run = None if run is None else session.get(ImportRun, run)
            if run is not None and the_run is None:
                _no_such_run(run, session.scalar(select(func.max(ImportRun.id))))
            refused = [] if the_run is None else (the_run.refused or [])
            stmt = select(q)
            count = select(func.count()).select_from(q)
            if run is not None:
                stmt, count = stmt.where(q.run_id == run), count.where(q.run_id == run)
            order = q.id if run is not None else q.id.desc()
            entries = list(session.scalars(stmt.order_by(order).offset(offset).limit(limit)))
            total = session.scalar(count) or 0
    if json_out:
        for e in entries:
            print_json(record_line(e))
        # Then the run's files refused whole, once (on the first page): each a line of its
        # own, as `zhengwu imports --json` gives them under "refused".
        if the_run is not None and offset == 0:
            for line in refused_lines(the_run):
                print_json(line)
        return
    # Folded, never cut: the source and the raw text are what one fixes and imports again.
    columns = ["位置 source", "原因 reason", *(["原始文本 raw"] if raw else [])]
    table = Table(
        Column("批次 run", no_wrap=True), *(Column(name, overflow="fold") for name in columns)
    )
    for e in entries:
        # The raw text as it is: a row's "[泪]" is no markup.
        table.add_row(str(e.run_id), e.source, e.reason, *([Text(e.raw or "")] if raw else []))
    console.print(table)
    console.print(_quarantine_footer(len(entries), total, offset, limit, run))
    for r in refused:  # not records: files of the run refused whole (zhengwu imports)
        console.print(
            f"未导入的文件 file not imported: {r['file']}：{r['message_zh']} / {r['message_en']}",
            style="red", markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip


@handle_errors
def imports_command(
    limit: Annotated[int, typer.Option(min=1, help="at most this many runs")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="skip this many runs (next page)")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON Lines")] = False,
) -> None:
    """List the import runs (导入记录), newest first: files, counts and the files refused.

    Each run of `zhengwu import`, `zhengwu desk import-csv` and the sheet imports, with its
    files, when it ran (China time) and its counts. A file refused whole while the others
    were imported (a GBK CSV, a member of an archive not in the format: archive.zip!member)
    is listed under "refused" with why, to fix and import again; so is each file of an
    import that refused them all (a run of 0 read: nothing of it was imported). `zhengwu
    quarantine --run N` lists a run's quarantined records.

    Example: zhengwu imports --limit 5
    """
    from rich.table import Column, Table
    from rich.text import Text
    from sqlalchemy import func, select

    from zhengwu.db.engine import nothing_stored_yet, unit_of_work
    from zhengwu.ingest.models import ImportRun

    runs: list[dict[str, Any]] = []
    total = 0
    if not nothing_stored_yet():  # no database here yet: no run, and none is created
        with unit_of_work() as session:
            newest = select(ImportRun).order_by(ImportRun.id.desc())
            runs = [_run_dict(r) for r in session.scalars(newest.offset(offset).limit(limit))]
            total = session.scalar(select(func.count()).select_from(ImportRun)) or 0
    if json_out:
        for run in runs:
            print_json(run)
        return
    # Four columns, headed in Chinese and English, so that the table reads at 80 columns:
    # the format above its time, the files refused under the files, one count a line.
    table = Table(
        Column("批次 run", no_wrap=True), Column("格式 format\n开始 started", no_wrap=True),
        Column("文件 files", overflow="fold", ratio=1), Column("条数 counts", no_wrap=True),
    )  # fmt: skip
    for run in runs:
        files = Text("\n".join(run["files"]))
        for r in run["refused"]:
            files.append(
                f"\n未导入 refused: {r['file']}：{r['message_zh']} / {r['message_en']}",
                style="red",
            )
        counts = "\n".join(f"{zh} {en} {run[en]}" for zh, en in _RUN_COUNTS)
        started = run["started_at"][:19].replace("T", " ")
        table.add_row(str(run["id"]), f"{run['format']}\n{started}", files, counts)
    console.print(table)
    more = f"；下一页 next page: --offset {offset + limit}" if offset + len(runs) < total else ""
    console.print(f"共 {total} 次导入 / {total} import runs in all{more}")


_RUN_COUNTS = (
    ("读取", "read"), ("新增", "imported"), ("更新", "updated"), ("重复", "duplicates"),
    ("隔离", "quarantined"),
)  # fmt: skip


def _run_dict(run: Any) -> dict[str, Any]:
    """Return an import run as ``zhengwu imports --json`` prints it (times in China time)."""
    from zhengwu.chinatime import from_stored

    return {
        "id": run.id,
        "format": run.format,
        "files": run.paths.split("\n"),
        "started_at": from_stored(run.started_at).isoformat(),
        "finished_at": None
        if run.finished_at is None
        else from_stored(run.finished_at).isoformat(),
        "read": run.read,
        "imported": run.imported,
        "updated": run.updated,
        "duplicates": run.duplicates,
        "quarantined": run.quarantined,
        "refused": run.refused or [],
    }


def _search_queue_mark(session: Any) -> int:
    """Return the last change the search queue holds before an import (0: none)."""
    from sqlalchemy import func, select

    from zhengwu.search.models import SearchPending

    return int(session.scalar(select(func.max(SearchPending.id))) or 0)


def _search_waits(queued_before: int | None) -> bool:
    """Whether this import queued changes for the search index: accounts it added or changed,
    an organisation renamed (its accounts' documents name it). Hot search, posts and an
    unchanged organisation list queue none — nor does an earlier import's backlog count."""
    from sqlalchemy import select

    from zhengwu.db.engine import unit_of_work
    from zhengwu.search.models import SearchPending

    with unit_of_work() as session:
        newer = select(SearchPending.id).where(SearchPending.id > (queued_before or 0)).limit(1)
        return session.scalar(newer) is not None


def _no_such_run(run: int, latest: int | None) -> NoReturn:
    """Refuse ``--run N`` of an import that never was, saying which runs there are."""
    from zhengwu.ingest.quarantine import no_such_run

    raise no_such_run(
        run, latest,
        ("；zhengwu quarantine 列出最新的隔离记录及其导入", "; zhengwu quarantine lists the newest "
         "quarantined records with their run"),
    )  # fmt: skip


def _quarantine_footer(shown: int, total: int, offset: int, limit: int, run: int | None) -> str:
    """Say which rows of how many are shown, in which order, and how to see the next ones."""
    order_zh, order_en = (
        (f"第 {run} 次导入，按文件顺序", f"import run {run}, file order")
        if run is not None
        else ("最新在前", "newest first")
    )
    if shown:
        first, last = offset + 1, offset + shown
        text = (
            f"显示第 {first}–{last} 条，共 {total} 条（{order_zh}）"
            f" / showing {first}–{last} of {total} ({order_en})"
        )
    else:
        text = f"此页无记录，共 {total} 条 / nothing on this page, {total} in all"
    if offset + shown < total:
        text += f"；下一页 next page: --offset {offset + limit}"
    if run is None and total:
        text += "；只看一次导入 one import only: --run N"
    return text
