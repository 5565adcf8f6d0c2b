"""``zhengwu worker``: run the periodic jobs — in a loop, or once for cron."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zhengwu.cli.common import console, err_console, handle_errors, print_json
from zhengwu.jobs.registry import names

if TYPE_CHECKING:
    from zhengwu.jobs.runner import JobReport, Worker


# The jobs' counts by their (English) names, as --json keeps them, with their Chinese.
_COUNTED = {
    "accounts": "账号", "requests": "诉求", "queued": "入队", "delivered": "已发送",
    "failed": "失败", "waiting": "待发送", "announced": "已通告", "supervised": "督办", "checked": "检查",
    "remasked": "重新遮蔽", "reindexed": "重新索引",
}  # fmt: skip


def _describe(report: JobReport) -> str:
    done = (
        " · ".join(f"{_COUNTED.get(k, '')} {k} {n:,}".lstrip() for k, n in report.counts.items())
        or "—"
    )
    if report.skipped:
        done = "跳过：另一个进程正在运行 / skipped: another worker runs it"
    return f"{done}  ({report.seconds:.1f} s)"


def _print_table(reports: list[JobReport]) -> None:
    from rich.table import Column, Table

    folded = (Column(name, overflow="fold") for name in ("结果 result", "错误 error"))
    table = Table("任务 job", *folded)
    for r in reports:
        table.add_row(
            f"{r.name} {r.title}", _describe(r), r.error or "", style=None if r.ok else "red"
        )
    console.print(table)


def _print_lines(reports: list[JobReport]) -> None:
    """Print what a round of the loop did; idle jobs stay quiet so the log stays readable."""
    for r in reports:
        if r.error:
            err_console.print(f"[red]{r.started_at:%Y-%m-%d %H:%M:%S}Z {r.name}: {r.error}[/]")
        elif any(r.counts.values()) or r.skipped:
            console.print(f"{r.started_at:%Y-%m-%d %H:%M:%S}Z {r.name}: {_describe(r)}")


def _as_json(reports: list[JobReport]) -> dict[str, Any]:
    return {"ok": all(r.ok for r in reports), "jobs": [r.to_dict() for r in reports]}


def _failed(reports: list[JobReport], json_out: bool) -> typer.Exit:
    """Return the exit (1) of a --once run where a job failed, its message on stderr; under
    --json the one stdout line is the report with the error's keys (:func:`fail`)."""
    from zhengwu.cli.common import fail, json_error_fields
    from zhengwu.errors import ServerError

    failed = "; ".join(f"{r.name}: {r.error}" for r in reports if not r.ok)
    if json_out:
        json_error_fields(_as_json(reports))
    return fail(ServerError(f"后台任务失败：{failed}", f"jobs failed: {failed}"), 1)


@contextmanager
def stop_on_signals(worker: Worker) -> Iterator[None]:
    """Ctrl+C or SIGTERM stops the worker after the step in progress; a second Ctrl+C
    interrupts at once (that step is rolled back, nothing half-written is kept)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        worker.stop()
        err_console.print("正在停止：当前步骤提交后退出 / stopping after the current step …")
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@handle_errors
def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="run every job once and exit (for cron)")
    ] = False,
    every: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            metavar="SECONDS",
            help="run each job every SECONDS (default: each job's interval)",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only", metavar="NAME", help=f"only this job (repeatable): {', '.join(names())}"
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print the report of each round as a JSON line")
    ] = False,
) -> None:
    """Run the periodic jobs (后台任务): search refresh, distributions, outbox, escalation.

    Runs until Ctrl+C or SIGTERM; the step in progress commits first.

    --once runs every job once and exits with status 1 when a job failed (for cron).

    `zhengwu serve` runs the same jobs in a thread unless started with --no-worker.

    On the demo's data (`zhengwu demo`) the 督办 job judges deadlines on the demo's clock:
    as of the simulated period's end, as the demo did, never today.

    Example: zhengwu worker --once --json
    Example: zhengwu worker --only search-refresh --every 30
    """
    from sqlalchemy.exc import SQLAlchemyError

    from zhengwu.db.engine import unit_of_work
    from zhengwu.jobs.runner import Worker
    from zhengwu.servicedesk.demo import clock, demo_clock

    worker = Worker.from_settings(only, every=every)
    try:  # the clock the demo stored on its requests, else its truth.json's
        with unit_of_work() as session:
            simulated = clock(session)
    except SQLAlchemyError:  # a database not upgraded yet: the jobs will say so
        simulated = demo_clock()
    if simulated is not None and any(j.name == "desk-escalation" for j in worker.jobs):
        err_console.print(  # stderr: --json's lines stay JSON
            f"演示数据：超期督办按模拟时段的时钟（{simulated:%Y-%m-%d %H:%M}）判断 / demo data: "
            f"desk-escalation judges deadlines as of the simulated period's end "
            f"({simulated.isoformat()}), not today",
            soft_wrap=True,
        )
    with stop_on_signals(worker):
        if once:
            reports = worker.run_all()
            if not json_out:
                _print_table(reports)
            if not all(r.ok for r in reports):
                raise _failed(reports, json_out)
            if json_out:
                print_json(_as_json(reports))
            return
        from zhengwu.servicedesk import deadlines

        # Not with --once: cron would mail the same warning every few minutes.
        deadlines.warn_at_start()
        if not json_out:
            plan = ", ".join(f"{j.name} {worker.intervals[j.name]:g} s" for j in worker.jobs)
            console.print(f"后台任务运行中 / worker running: {plan}  (Ctrl+C 停止 / to stop)")
        worker.run_forever(
            on_reports=(lambda r: print_json(_as_json(r))) if json_out else _print_lines
        )
    if not json_out:
        console.print("后台任务已停止 / worker stopped")
