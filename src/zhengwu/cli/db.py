"""``zhengwu db``: create, migrate and back up the operational database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zhengwu.cli.common import console, handle_errors, print_json

app = typer.Typer(
    help="业务数据库 / operational database: migrations and backup.", no_args_is_help=True
)


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


@app.command("backup")
@handle_errors
def backup(
    dest: Annotated[Path, typer.Argument(help="the backup file to write (must not exist)")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Copy the SQLite operational DB consistently, even while the server runs.

    PostgreSQL: use pg_dump (docs/operations.md). Example: zhengwu db backup /backup/zhengwu.db
    """
    from zhengwu.db.backup import backup_sqlite
    from zhengwu.db.engine import get_engine

    size = backup_sqlite(get_engine(), dest)
    if json_out:
        print_json({"path": str(dest), "bytes": size})
    else:
        console.print(f"已备份业务数据库 / operational DB backed up: {dest} ({size} bytes)",
                      markup=False, highlight=False)  # fmt: skip
