"""``zhengwu db``: create, migrate and back up the operational database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from zhengwu.cli.common import console, handle_errors, print_json
from zhengwu.errors import InvalidInputError

if TYPE_CHECKING:
    from zhengwu.db.migrate import SchemaState

# What `zhengwu db current` prints for a database without a schema.
EMPTY_DATABASE = "(空数据库 / empty database)"

app = typer.Typer(
    help="业务数据库 / operational database: migrations and backup.", no_args_is_help=True
)


@app.command(
    "upgrade",
    short_help="创建或升级业务数据库并载入区划 / create or migrate the database, load the regions",
)
@handle_errors
def upgrade(
    revision: str = typer.Argument("heads", help="target revision"),
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="also list the revision of each branch")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create or migrate the operational DB to the latest schema and load the regions table.

    Says what it did: created the database, upgraded it (how many migrations it applied),
    loaded regions — and "already up to date" only when there was nothing to do — with
    the newest revision applied. The revision of each domain's migration branch (what
    ``zhengwu db current`` lists): with -v, and in --json.

    Example: zhengwu db upgrade
    """
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine, unit_of_work
    from zhengwu.regions import service as region_service

    # Not the migrating engine: it would bring the schema up to date before we look.
    engine = get_engine(migrate=False)
    with migrate.migration_lock(engine):  # a server or worker starting may migrate too
        before = migrate.schema_state(engine)
        migrate.upgrade(engine, revision)
        with unit_of_work(engine) as session:
            added = region_service.sync_regions(session)
        after = migrate.schema_state(engine)
    if json_out:
        print_json({
            "before": ",".join(before.heads) or None, "after": ",".join(after.heads) or None,
            "newest": after.newest, "latest": after.latest, "up_to_date": after.up_to_date,
            "applied": sorted(after.applied - before.applied), "regions_added": added,
        })  # fmt: skip
        return
    said = describe_upgrade(before, after, added)
    if verbose:
        said += branch_revisions(after)
    console.print(said, markup=False, highlight=False)


def branch_revisions(state: SchemaState) -> str:
    """Return the line ``-v`` adds to ``db upgrade`` and ``db current``: the revision of each
    domain's migration branch (the tips the version table lists; what ``db downgrade``
    takes, one at a time)."""
    return f"\n各分支版本 / branch revisions: {','.join(state.heads)}"


def describe_upgrade(before: SchemaState, after: SchemaState, regions_added: int) -> str:
    """Return what ``zhengwu db upgrade`` did, in Chinese and English: the newest revision
    applied, not the tips of the 13 migration branches."""
    if after.up_to_date:
        at_zh, at_en = f"{after.newest}（最新）", f"{after.newest} (up to date)"
    else:  # a revision older than the latest was asked for
        at_zh = f"{after.newest}（最新为 {after.latest}）"
        at_en = f"{after.newest} (the latest is {after.latest})"
    applied = len(after.applied - before.applied)
    if not before.heads and after.heads:
        done = f"已创建数据库，结构版本 {at_zh} / created the database at schema {at_en}"
    elif applied:
        done = (
            f"已升级数据库结构，应用迁移 {applied} 个，现为 {at_zh} / upgraded the schema: "
            f"{applied} migration{'s' if applied != 1 else ''} applied, now at {at_en}"
        )
    elif regions_added or not after.up_to_date:
        done = f"结构版本 {at_zh}，未变 / schema unchanged at {at_en}"
    else:
        return (
            f"数据库已是最新（{after.newest}），未做改动 / database already up to date "
            f"({after.newest}); nothing done"
        )
    if regions_added:
        done += f"; 已载入区划 {regions_added} 个 / loaded {regions_added} regions"
    return done


@app.command(
    "downgrade", short_help="把数据库结构降回旧版本 / take the schema back to an older revision"
)
@handle_errors
def downgrade(
    revision: Annotated[
        str,
        typer.Argument(
            help="the revision to go back to: one listed by `zhengwu db current` before an "
            "upgrade, or <revision>@-1 (one step back on that revision's branch)"
        ),
    ],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="do not ask: the data of what is undone is lost")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON (needs --yes)")] = False,
) -> None:
    """Take the operational DB's schema back to an older revision, before installing an
    older zhengwu (whose code does not know the newer revisions).

    What the undone migrations added — tables, columns and their data — is dropped: take a
    backup and stop the server and worker first. Asks before it changes anything, unless
    --yes. Holds the migration lock like ``zhengwu db upgrade``; it is one transaction,
    so one that fails leaves the schema as it was. Any command or server of this version
    started afterwards upgrades the schema again: install the older version next.

    Example: zhengwu db downgrade 0040@-1 --yes
    """
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine, nothing_stored_yet

    empty = InvalidInputError(
        "数据库是空的，没有可降级的结构", "the database is empty: there is no schema to downgrade"
    )
    if nothing_stored_yet():  # no database file: none is created just to say so
        raise empty
    # Not the migrating engine: it would bring the schema up to date before we look.
    engine = get_engine(migrate=False)
    with migrate.migration_lock(engine):  # a server or worker starting may migrate too
        before = migrate.current(engine)
        if before is None:
            raise empty
        if "," in revision:
            raise _one_revision_at_a_time(revision, before)
        if not yes:
            if json_out:
                raise InvalidInputError(
                    "--json 需要同时给出 --yes：降级会删除较新迁移添加的表、列及其数据",
                    "--json needs --yes: a downgrade drops the tables and columns the newer "
                    "migrations added, with their data",
                )
            console.print(
                f"将把数据库结构从 {before} 降级到 {revision}：较新迁移添加的表、列及其数据将被删除"
                f"（请先备份并停止服务和 worker）。\nThis takes the schema from {before} back to "
                f"{revision}: the tables and columns the newer migrations added are dropped with "
                "their data (take a backup and stop the server and worker first).",
                markup=False, highlight=False,
            )  # fmt: skip
            try:
                confirmed = typer.confirm("确定降级吗？/ Downgrade?", default=False)
            except typer.Abort:  # no answer (input closed)
                console.print()
                confirmed = False
            if not confirmed:
                raise InvalidInputError(
                    "未降级：没有确认（无需询问请加 --yes）",
                    "not downgraded: not confirmed (add --yes not to be asked)",
                )
        migrate.downgrade(engine, revision)
        after = migrate.current(engine)
    if json_out:
        print_json({"revision": revision, "before": before, "after": after,
                    "changed": before != after})  # fmt: skip
    elif before == after:
        console.print(f"结构已是 {after}，未做改动 / schema already at {after}; nothing done",
                      markup=False, highlight=False)  # fmt: skip
    else:
        console.print(
            f"已从 {before} 降级到 {after} / downgraded the schema from {before} to {after}",
            markup=False,
            highlight=False,
        )


def _one_revision_at_a_time(listed: str, current: str) -> InvalidInputError:
    """The refusal of a downgrade given the whole list ``zhengwu db current`` printed (one
    revision a branch): Alembic takes one target, and said only "Can't locate revision
    identified by '0006,0008,…'". Names the revisions of the list that differ from the
    current ones, each a downgrade of its own branch, to run in turn."""
    now = set(current.split(","))
    steps = [r for r in dict.fromkeys(p.strip() for p in listed.split(",")) if r and r not in now]
    if not steps:
        return InvalidInputError(
            f"结构已是 {current}，无需降级（降级一次只给一个版本）",
            f"the schema is at {current} already: nothing to downgrade (a downgrade takes one "
            "revision at a time)",
        )
    commands = "；".join(f"zhengwu db downgrade {r}" for r in steps)
    commands_en = "; ".join(f"zhengwu db downgrade {r}" for r in steps)
    return InvalidInputError(
        f"降级一次只给一个版本（zhengwu db current 列出的是各分支的版本）：回到 {listed}，"
        f"请依次运行 {commands}",
        f"a downgrade takes one revision at a time (zhengwu db current lists one for each "
        f"branch): to go back to {listed}, run in turn {commands_en}",
    )


@app.command(
    "current", short_help="显示数据库结构版本（不迁移） / print the schema revision (no migrating)"
)
@handle_errors
def current(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="also list the revision of each branch")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the schema revision of the operational DB (without migrating it): the newest
    revision applied and whether it is the latest this version knows, as ``zhengwu db
    upgrade`` says it; a database without a schema, or none yet: (空数据库 / empty database).

    The revision of each domain's migration branch (what ``db downgrade`` takes, one at a
    time; note it before an upgrade): with -v, and in --json (``heads``, comma-separated as
    ``db upgrade --json``'s ``after``; ``newest``, ``latest``, ``up_to_date``, ``pending``:
    the migrations not applied, ``unknown``: revisions of a newer zhengwu).

    Example: zhengwu db current -v
    """
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine, nothing_stored_yet

    # No database file: none is created just to say so.
    state = migrate.schema_state(None if nothing_stored_yet() else get_engine(migrate=False))
    if json_out:
        print_json({
            "heads": ",".join(state.heads) or None, "newest": state.newest,
            "latest": state.latest, "up_to_date": state.up_to_date,
            "pending": list(state.pending), "unknown": list(state.unknown),
        })  # fmt: skip
        return
    said = describe_current(state)
    if verbose and state.heads:
        said += branch_revisions(state)
    console.print(said, markup=False, highlight=False, soft_wrap=True)


def describe_current(state: SchemaState) -> str:
    """Return what ``zhengwu db current`` prints, in Chinese and English: the newest
    revision applied and whether it is the latest (or what to run), not the tips of the 13
    migration branches."""
    if state.newest is None:
        return EMPTY_DATABASE
    if state.unknown:  # an older zhengwu's look at a newer one's database
        unknown = ",".join(state.unknown)
        return (
            f"结构版本 {state.newest}（本版本不认识 {unknown}：数据库属于较新的 zhengwu，请用它降级"
            f"后再用本版本） / schema at {state.newest} ({unknown} unknown to this version: the "
            "database belongs to a newer zhengwu — downgrade it with that version first)"
        )
    if state.up_to_date:
        return f"结构版本 {state.newest}（最新） / schema at {state.newest} (up to date)"
    count = len(state.pending)
    shown = ",".join(state.pending[:5]) + ("…" if count > 5 else "")
    return (
        f"结构版本 {state.newest}，未应用迁移 {count} 个（{shown}；最新为 {state.latest}）："
        f"请运行 zhengwu db upgrade / schema at {state.newest}, {count} migration"
        f"{'s' if count != 1 else ''} not applied ({shown}; the latest is {state.latest}): "
        "run zhengwu db upgrade"
    )


@app.command(
    "backup",
    short_help="备份 SQLite 业务数据库（服务运行中亦可） / back up the SQLite database, even while serving",
)
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


@app.command(
    "restore",
    short_help="恢复业务数据库，已吊销的令牌与用户保持吊销 / restore the database; revocations kept",
)
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
