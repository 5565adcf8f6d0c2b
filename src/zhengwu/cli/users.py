"""``zhengwu users``: create, list, scope, disable and enable users; issue, list and revoke tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zhengwu.cli.common import ORG_HELP, console, handle_errors, print_json
from zhengwu.cli.common import org_id as resolve_org_id

if TYPE_CHECKING:
    from zhengwu.auth.models import ApiToken
    from zhengwu.auth.principal import Principal

MATRIX_HELP = (
    "matrix: its id, external id or exact name; #ID, code:CODE or name:NAME when one ref "
    "names several (矩阵：编号、外部编号或全称)"
)

app = typer.Typer(help="用户与权限 / users, roles and API tokens.", no_args_is_help=True)


@app.command("create", short_help="创建用户及其角色和范围 / create a user with a role and scope")
@handle_errors
def create(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[
        str,
        typer.Option(
            help="角色 role: admin, matrix_office, operator, handler, dispatcher, verifier, team"
        ),
    ],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="≥ 8 characters"),
    ],
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    org: Annotated[str | None, typer.Option("--org", help=ORG_HELP)] = None,
    matrix: Annotated[str | None, typer.Option(help=MATRIX_HELP)] = None,
    team: Annotated[int | None, typer.Option(help="rescue team id")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create a user with a role and its scope.

    Example: zhengwu users create wang --role handler --org 411000-024 --password 'S3cret-pass'
    """
    from zhengwu.accounts.service import resolve_matrix
    from zhengwu.auth import service as auth_service
    from zhengwu.db.engine import unit_of_work

    with unit_of_work() as session:
        org_id = matrix_id = None
        if org:
            org_id = resolve_org_id(session, org)
        if matrix:
            matrix_id = resolve_matrix(session, matrix).id
        user = auth_service.create_user(
            session, username=username, password=password, role=role, display_name=name,
            organization_id=org_id, matrix_id=matrix_id, team_id=team,
        )  # fmt: skip
        result = {"id": user.id, "username": user.username, "role": user.role}
    if json_out:
        print_json(result)
    else:
        console.print(f"已创建用户 created user [bold]{username}[/] ({role})")


@app.command("token", short_help="签发 API 令牌（只显示一次） / issue an API token (shown once)")
@handle_errors
def token(
    username: Annotated[str, typer.Argument(help="the user the token acts as")],
    name: Annotated[str, typer.Option(help="what the token is for")] = "script",
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Issue an API token (shown once) for scripts: send it as `Authorization: Bearer …`.

    Example: zhengwu users token wang --name nightly-export
    """
    from sqlalchemy import select

    from zhengwu.auth import service as auth_service
    from zhengwu.auth.models import User
    from zhengwu.db.engine import unit_of_work
    from zhengwu.errors import NotFoundError

    with unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFoundError(f"用户不存在：{username}", f"no such user: {username}")
        value = auth_service.create_token(session, user, name)
    if json_out:
        print_json({"token": value, "username": username, "name": name})
    else:
        console.print(value)


@app.command("list", short_help="列出用户及其角色 / list users and their roles")
@handle_errors
def list_users(
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List users and their roles.

    Example: zhengwu users list
    """
    from rich.table import Column, Table
    from sqlalchemy import select

    from zhengwu.accounts.models import Matrix, Organization
    from zhengwu.auth.models import User
    from zhengwu.auth.principal import ROLE_LABELS
    from zhengwu.db.engine import unit_of_work
    from zhengwu.rescue.models import Team

    with unit_of_work() as session:
        users = [
            {"id": u.id, "username": u.username, "role": u.role, "organization_id": u.organization_id,
             "matrix_id": u.matrix_id, "team_id": u.team_id, "active": u.is_active}
            for u in session.scalars(select(User).order_by(User.id))
        ]  # fmt: skip
        if json_out:
            print_json(users)
            return
        models: dict[str, Any] = {"organization_id": Organization, "matrix_id": Matrix,
                                  "team_id": Team}  # fmt: skip
        names: dict[str, dict[Any, str]] = {}
        for key, model in models.items():
            ids = {u[key] for u in users if u[key] is not None}
            found = session.execute(select(model.id, model.name).where(model.id.in_(ids)))
            names[key] = {row.id: row.name for row in found}
    table = Table(
        "id", *(Column(h, overflow="fold") for h in ("用户名 username", "角色 role",
                                                     "范围 scope", "状态 state"))
    )  # fmt: skip
    kinds = {"organization_id": "机构", "matrix_id": "矩阵", "team_id": "救援队"}
    for u in users:
        scope = "；".join(
            f"{kind} {names[k].get(u[k], '?')} #{u[k]}"
            for k, kind in kinds.items()
            if u[k] is not None
        )
        role = f"{ROLE_LABELS.get(str(u['role']), '')} {u['role']}".strip()
        table.add_row(
            str(u["id"]), str(u["username"]), role, scope or "—",
            "启用 active" if u["active"] else "停用 disabled",
        )  # fmt: skip
    console.print(table)


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _token_row(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id, "user_id": token.user_id, "name": token.name, "prefix": token.prefix,
        "created_at": _stamp(token.created_at), "last_used_at": _stamp(token.last_used_at),
        "revoked_at": _stamp(token.revoked_at), "active": token.revoked_at is None,
    }  # fmt: skip


# The command line acts as the platform admin; its audit entries name it.
def _cli_actor() -> Principal:
    from zhengwu.auth.principal import Principal

    return Principal(role="admin", username="cli", display_name="命令行")


@app.command("tokens", short_help="列出用户的 API 令牌 / list a user's API tokens")
@handle_errors
def tokens(
    username: Annotated[str, typer.Argument(help="whose tokens")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List a user's API tokens (id, first characters, created, last used, revoked).

    Example: zhengwu users tokens wang
    """
    from rich.table import Table

    from zhengwu.auth import service as auth_service
    from zhengwu.db.engine import unit_of_work

    with unit_of_work() as session:
        user = auth_service.get_user(session, username=username)
        rows = [_token_row(t) for t in auth_service.list_tokens(session, user=user)]
    if json_out:
        print_json(rows)
        return
    table = Table("id", "prefix", "name", "created", "last used", "state")
    for r in rows:
        state = "有效 active" if r["active"] else f"已吊销 revoked {r['revoked_at'][:16]}"
        table.add_row(str(r["id"]), f"{r['prefix']}…" if r["prefix"] else "-", r["name"],
                      r["created_at"][:16], (r["last_used_at"] or "-")[:16], state)  # fmt: skip
    console.print(table, markup=False, highlight=False)


@app.command("revoke-token", short_help="吊销 API 令牌（审计） / revoke an API token (audited)")
@handle_errors
def revoke_token(
    token_id: Annotated[
        str, typer.Argument(help="the token's id (zhengwu users tokens), or the leaked token")
    ],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Revoke an API token; requests that send it are refused at once (audited).

    Example: zhengwu users revoke-token 1 (with 1 the id `users token` printed)
    """
    from zhengwu.auth import service as auth_service
    from zhengwu.db.engine import unit_of_work
    from zhengwu.db.models import configure_models

    configure_models()  # the user's organisation and matrix tables, for the flush
    with unit_of_work() as session:
        token = auth_service.find_token(session, key=token_id)
        token = auth_service.revoke_token(session, token=token, actor=_cli_actor())
        row = _token_row(token)
    if json_out:
        print_json(row)
    else:
        console.print(f"已吊销 API 令牌 revoked API token {row['id']} ({row['name']})",
                      markup=False, highlight=False)  # fmt: skip


def _set_active(username: str, active: bool, json_out: bool) -> None:
    from zhengwu.auth import service as auth_service
    from zhengwu.db.engine import unit_of_work
    from zhengwu.db.models import configure_models

    configure_models()  # the user's organisation and matrix tables, for the flush
    with unit_of_work() as session:
        user = auth_service.get_user(session, username=username)
        auth_service.set_active(session, user=user, active=active, actor=_cli_actor())
        result = {"id": user.id, "username": user.username, "active": user.is_active}
    if json_out:
        print_json(result)
    elif active:
        console.print(f"已启用用户 enabled user {username}", markup=False, highlight=False)
    else:
        console.print(f"已停用用户 disabled user {username}（会话已结束、令牌失效 / sessions "
                      "ended, tokens refused）", markup=False, highlight=False)  # fmt: skip


@app.command(
    "disable", short_help="停用用户：不能登录，令牌失效（审计） / disable a user (audited)"
)
@handle_errors
def disable(
    username: Annotated[str, typer.Argument(help="the user to disable")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Disable a user: no console login, sessions ended, API tokens refused (audited).

    Example: zhengwu users disable wang
    """
    _set_active(username, False, json_out)


@app.command("enable", short_help="重新启用用户（审计） / enable a disabled user again (audited)")
@handle_errors
def enable(
    username: Annotated[str, typer.Argument(help="the user to enable again")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Enable a disabled user again; their tokens that were not revoked work again (audited).

    Example: zhengwu users enable wang
    """
    _set_active(username, True, json_out)


@app.command(
    "set-scope",
    short_help="更改用户范围（审计） / change a user's organisation, matrix or team (audited)",
)
@handle_errors
def set_scope(
    username: Annotated[str, typer.Argument(help="the user whose scope changes")],
    org: Annotated[str | None, typer.Option("--org", help=ORG_HELP)] = None,
    matrix: Annotated[str | None, typer.Option(help=MATRIX_HELP)] = None,
    team: Annotated[int | None, typer.Option(help="rescue team id")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Change a user's organisation, matrix or rescue team (更改用户范围; audited).

    Only the options given change; the role keeps what it needs (a matrix office its
    matrix). It counts from the user's next request. --matrix takes an id, external id or
    exact name, like users create.

    Example: zhengwu users set-scope office --matrix '#1'
    """
    from zhengwu.accounts.service import resolve_matrix
    from zhengwu.auth import service as auth_service
    from zhengwu.db.engine import unit_of_work
    from zhengwu.db.models import configure_models

    configure_models()
    with unit_of_work() as session:
        changes: dict[str, int | None] = {}
        if org is not None:
            changes["organization_id"] = resolve_org_id(session, org)
        if matrix is not None:
            changes["matrix_id"] = resolve_matrix(session, matrix).id
        if team is not None:
            changes["team_id"] = team
        user = auth_service.get_user(session, username=username)
        auth_service.set_scope(session, user=user, actor=_cli_actor(), **changes)
        result = {
            "id": user.id, "username": user.username, "role": user.role,
            "organization_id": user.organization_id, "matrix_id": user.matrix_id,
            "team_id": user.team_id,
        }  # fmt: skip
    if json_out:
        print_json(result)
    else:
        scope = "，".join(f"{k}={v}" for k, v in result.items() if k.endswith("_id") and v)
        console.print(f"已更改用户范围 scope of {username} set: {scope}", markup=False,
                      highlight=False)  # fmt: skip
