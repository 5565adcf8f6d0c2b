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

    Says what it did: created the database, upgraded it from one revision to another,
    loaded regions — and "already up to date" only when there was nothing to do.

    Example: zhengwu db upgrade
    """
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine, unit_of_work
    from zhengwu.regions import service as region_service

    # Not the migrating engine: it would bring the schema up to date before we look.
    engine = get_engine(migrate=False)
    with migrate.migration_lock(engine):  # a server or worker starting may migrate too
        before = migrate.current(engine)
        migrate.upgrade(engine, revision)
        with unit_of_work(engine) as session:
            added = region_service.sync_regions(session)
    console.print(describe_upgrade(before, migrate.current(engine), added))


def describe_upgrade(before: str | None, after: str | None, regions_added: int) -> str:
    """Return what ``zhengwu db upgrade`` did, in Chinese and English."""
    if before is None and after is not None:
        done = f"已创建数据库，结构版本 {after} / created the database at schema {after}"
    elif before != after:
        done = f"已从 {before} 升级到 {after} / upgraded the schema from {before} to {after}"
    elif regions_added:
        done = f"结构已是最新（{after}） / schema already at {after}"
    else:
        return f"数据库已是最新，未做改动 / database already up to date at {after}; nothing done"
    if regions_added:
        done += f"; 已载入区划 {regions_added} 个 / loaded {regions_added} regions"
    return done


@app.command("current")
@handle_errors
def current() -> None:
    """Print the schema revision of the operational DB (without migrating it).

    Example: zhengwu db current
    """
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine, nothing_stored_yet

    if nothing_stored_yet():  # no database file: none is created just to say so
        console.print("(empty database)")
        return
    console.print(migrate.current(get_engine(migrate=False)) or "(empty database)")


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


@app.command("restore")
@handle_errors
def restore(
    backup: Annotated[
        Path | None,
        typer.Argument(help="SQLite backup file to restore (none: finish a pg_restore or a copy)"),
    ] = None,
    revocations_from: Annotated[
        str | None,
        typer.Option(
            "--revocations-from",
            help="URL of the previous database whose revoked tokens, disabled users and "
            "passwords are kept (default with a backup file: the database being replaced)",
        ),
    ] = None,
    revoke_all_tokens: Annotated[
        bool, typer.Option(help="no previous database: revoke every API token of the backup")
    ] = False,
    keep_tokens: Annotated[
        bool,
        typer.Option(help="no previous database: keep the backup's tokens (none revoked since)"),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Restore the operational DB; tokens and users revoked since the backup stay revoked.

    Every login session is ended. Stop the server first.

    Example: zhengwu db restore /backup/zhengwu.db
    Example: zhengwu db restore --revocations-from postgresql+psycopg://zhengwu@db/zhengwu
    """
    from zhengwu.db.engine import get_engine
    from zhengwu.db.restore import restore as restore_database

    engine = get_engine(migrate=False)
    try:
        report = restore_database(
            engine, backup=backup, revocations_from=revocations_from,
            revoke_all_tokens=revoke_all_tokens, keep_tokens=keep_tokens,
        )  # fmt: skip
    finally:
        engine.dispose()  # the next command (zhengwu db upgrade) reads the restored state
    if json_out:
        print_json(report.as_dict())
        return
    console.print(
        f"已恢复业务数据库 / operational DB restored; 吊销记录来自 / revocations from: "
        f"{report.previous}\n"
        f"  结束会话 / sessions ended: {report.sessions_ended}; "
        f"吊销令牌 / tokens revoked: {report.tokens_revoked}; "
        f"停用用户 / users disabled: {report.users_disabled}; "
        f"沿用现密码 / current passwords kept: {report.passwords_kept}\n"
        "下一步 / next: zhengwu db upgrade",
        markup=False, highlight=False,
    )  # fmt: skip
