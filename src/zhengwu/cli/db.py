"""``zhengwu db``: create and migrate the operational database."""

from __future__ import annotations

import typer

from zhengwu.cli.common import console, handle_errors

app = typer.Typer(help="业务数据库 / operational database: migrations.", no_args_is_help=True)


@app.command("upgrade")
@handle_errors
def upgrade(revision: str = typer.Argument("heads", help="target revision")) -> None:
    """Create or migrate the operational DB to the latest schema and load the regions table.

    Example: zhengwu db upgrade
    """
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine, unit_of_work
    from zhengwu.regions import service as region_service

    engine = get_engine()
    migrate.upgrade(engine, revision)
    with unit_of_work(engine) as session:
        added = region_service.sync_regions(session)
    console.print(
        f"数据库已是最新 / database at [bold]{migrate.current(engine)}[/]; "
        f"区划 regions added: {added}"
    )


@app.command("current")
@handle_errors
def current() -> None:
    """Print the schema revision of the operational DB.

    Example: zhengwu db current
    """
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine

    console.print(migrate.current(get_engine()) or "(empty database)")
