"""The ``zhengwu`` command: one Typer app with a sub-command group per domain.

Each group lives in its own module and imports its heavy dependencies only when a command
runs, so ``zhengwu --help`` stays fast.
"""

from __future__ import annotations

import typer

from zhengwu.cli import (
    db,
    demo,
    desk,
    desk_calendar,
    desk_requests,
    helptext,
    index,
    index_spark,
    ingest,
    library,
    open311,
    report,
    rescue,
    search,
    serve,
    simulate,
    store,
    users,
    worker,
)
from zhengwu.cli.usage import BilingualGroup

helptext.install()  # --help: prose re-flowed, examples kept whole (at 80 columns too)

app = typer.Typer(
    name="zhengwu",
    help="政务新媒体开放平台 zhengwu — operate, serve, rescue, evaluate.\n\n"
    "Example: zhengwu simulate --scale city --days 30 --seed 1 --out demo-data",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=BilingualGroup,  # usage errors in Chinese and English
)
app.add_typer(db.app, name="db")
# The index group: DuckDB runs and results, and the Spark version side by side.
index.app.add_typer(index_spark.app)
app.add_typer(index.app, name="index")
app.add_typer(users.app, name="users")
app.add_typer(store.app, name="store")
app.add_typer(rescue.app, name="rescue")
app.add_typer(open311.app, name="open311")
app.add_typer(library.app, name="library")
app.add_typer(search.app, name="search")
app.add_typer(report.app, name="report")
# The desk group: the classifier model commands and the request commands side by side.
desk.app.add_typer(desk_requests.app)
desk.app.add_typer(desk_calendar.app, name="calendar")
app.add_typer(desk.app, name="desk")
app.command(
    "serve", short_help="启动服务（控制台、API、Open311） / start the server: console, API, Open311"
)(serve.serve_command)
app.command(
    "worker",
    short_help="运行后台任务：搜索刷新、分发、外发、督办 / run the periodic jobs: search, distributions, outbox, escalation",
)(worker.worker_command)
app.command(
    "demo",
    short_help="模拟一座城市、导入、计算并打开控制台 / simulate a city, import it, compute, open the console",
)(demo.demo_command)
app.command(
    "simulate",
    short_help="模拟政务账号、发文和一场暴雨（平台真实格式） / simulate accounts, posts and a rainstorm in platform formats",
)(simulate.simulate)
app.command(
    "import",
    short_help="导入一种格式的文件，坏记录隔离并注明原因 / import files of one format; bad records quarantined",
)(ingest.import_command)
app.command("formats", short_help="列出导入格式 / list the import formats")(ingest.formats_command)
app.command(
    "quarantine",
    short_help="查看被隔离的记录及其位置和原因 / show quarantined records with location and reason",
)(ingest.quarantine_command)
app.command("imports", short_help="列出导入记录（最新在前） / list the import runs, newest first")(
    ingest.imports_command
)


def main() -> None:
    """Run the CLI."""
    app()


if __name__ == "__main__":
    main()
