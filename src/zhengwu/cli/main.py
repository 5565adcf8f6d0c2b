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
app.command("serve")(serve.serve_command)
app.command("worker")(worker.worker_command)
app.command("demo")(demo.demo_command)
app.command("simulate")(simulate.simulate)
app.command("import")(ingest.import_command)
app.command("formats")(ingest.formats_command)
app.command("quarantine")(ingest.quarantine_command)
app.command("imports")(ingest.imports_command)


def main() -> None:
    """Run the CLI."""
    app()


if __name__ == "__main__":
    main()
