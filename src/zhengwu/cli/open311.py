"""``zhengwu open311``: API keys of the Open311 GeoReport v2 clients (city apps)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from zhengwu.cli.common import console, handle_errors, print_json

if TYPE_CHECKING:
    from zhengwu.servicedesk.open311.models import Open311ApiKey

app = typer.Typer(help="Open311 GeoReport v2 接口 / the Open311 API at /open311/v2/.",
                  no_args_is_help=True)  # fmt: skip
keys_app = typer.Typer(help="客户端密钥 / API keys of Open311 client apps.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _row(key: Open311ApiKey) -> dict[str, Any]:
    return {
        "id": key.id, "name": key.name, "created_at": _stamp(key.created_at),
        "last_used_at": _stamp(key.last_used_at), "revoked_at": _stamp(key.revoked_at),
        "active": key.revoked_at is None,
    }  # fmt: skip


@keys_app.command(
    "create",
    short_help="为客户端创建 API 密钥（只显示一次） / create a client's API key (shown once)",
)
@handle_errors
def create(
    name: Annotated[str, typer.Option("--name", help="the client application, e.g. 郑州市民通")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Create an API key for a client app; the key is printed once and never stored.

    Example: zhengwu open311 keys create --name zhengzhou-app --json
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.open311 import keys

    with unit_of_work() as session:
        row, key = keys.create_key(session, name=name)
        result = {**_row(row), "api_key": key}
    if json_out:
        print_json(result)
        return
    console.print(f"已为 [bold]{name}[/] 创建密钥（只显示这一次）/ key for {name} (shown once):")
    console.print(key, markup=False, highlight=False)


@keys_app.command(
    "list", short_help="列出 API 密钥（不显示密钥本身） / list the API keys (never the keys)"
)
@handle_errors
def list_keys(
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the API keys (never the keys themselves), active and revoked.

    Example: zhengwu open311 keys list
    """
    from rich.table import Table

    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.open311 import keys

    with unit_of_work() as session:
        rows = [_row(k) for k in keys.list_keys(session)]
    if json_out:
        print_json(rows)
        return
    table = Table("id", "name", "created", "last used", "state")
    for r in rows:
        state = "有效 active" if r["active"] else f"已吊销 revoked {r['revoked_at'][:10]}"
        table.add_row(str(r["id"]), r["name"], r["created_at"][:16], (r["last_used_at"] or "-")[:16],
                      state)  # fmt: skip
    console.print(table)


@keys_app.command("revoke", short_help="吊销 API 密钥 / revoke an API key")
@handle_errors
def revoke(
    key: Annotated[str, typer.Argument(help="the key's id, or the name of its app")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Revoke an API key: the app's next POST gets 403.

    Example: zhengwu open311 keys revoke zhengzhou-app
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.servicedesk.open311 import keys

    with unit_of_work() as session:
        result = _row(keys.revoke_key(session, key=key))
    if json_out:
        print_json(result)
    else:
        console.print(f"已吊销 revoked key {result['id']} ({result['name']})")
