"""``zhengwu users``: create users, list them, issue API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from zhengwu.cli.common import console, handle_errors, print_json

app = typer.Typer(help="用户与权限 / users, roles and API tokens.", no_args_is_help=True)


@app.command("create")
@handle_errors
def create(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[
        str, typer.Option(help="admin|matrix_office|operator|handler|dispatcher|verifier|team")
    ],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="≥ 8 characters"),
    ],
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    org: Annotated[
        str | None, typer.Option(help="organisation (external id or numeric id)")
    ] = None,
    matrix: Annotated[str | None, typer.Option(help="matrix (external id or numeric id)")] = None,
    team: Annotated[int | None, typer.Option(help="rescue team id")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create a user with a role and its scope.

    Example: zhengwu users create wang --role handler --org o12 --password 'S3cret-pass'
    """
    from sqlalchemy import or_, select

    from zhengwu.accounts.models import Matrix, Organization
    from zhengwu.auth import service as auth_service
    from zhengwu.db.engine import unit_of_work
    from zhengwu.errors import NotFoundError

    with unit_of_work() as session:
        org_id = matrix_id = None
        if org:
            org_id = session.scalar(
                select(Organization.id).where(
                    or_(
                        Organization.external_id == org,
                        Organization.id == (int(org) if org.isdigit() else -1),
                    )
                )
            )
            if org_id is None:
                raise NotFoundError(f"机构不存在：{org}", f"no such organisation: {org}")
        if matrix:
            matrix_id = session.scalar(
                select(Matrix.id).where(
                    or_(
                        Matrix.external_id == matrix,
                        Matrix.id == (int(matrix) if matrix.isdigit() else -1),
                    )
                )
            )
            if matrix_id is None:
                raise NotFoundError(f"矩阵不存在：{matrix}", f"no such matrix: {matrix}")
        user = auth_service.create_user(
            session, username=username, password=password, role=role, display_name=name,
            organization_id=org_id, matrix_id=matrix_id, team_id=team,
        )  # fmt: skip
        result = {"id": user.id, "username": user.username, "role": user.role}
    if json_out:
        print_json(result)
    else:
        console.print(f"已创建用户 created user [bold]{username}[/] ({role})")


@app.command("token")
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


@app.command("list")
@handle_errors
def list_users(
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List users and their roles.

    Example: zhengwu users list
    """
    from rich.table import Table
    from sqlalchemy import select

    from zhengwu.auth.models import User
    from zhengwu.db.engine import unit_of_work

    with unit_of_work() as session:
        users = [
            {"id": u.id, "username": u.username, "role": u.role, "organization_id": u.organization_id,
             "matrix_id": u.matrix_id, "team_id": u.team_id, "active": u.is_active}
            for u in session.scalars(select(User).order_by(User.id))
        ]  # fmt: skip
    if json_out:
        print_json(users)
        return
    table = Table("id", "username", "role", "org", "matrix", "team")
    for u in users:
        table.add_row(
            *(
                str(u[k])
                for k in ("id", "username", "role", "organization_id", "matrix_id", "team_id")
            )
        )
    console.print(table)
