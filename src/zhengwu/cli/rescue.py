"""``zhengwu rescue``: the emergency help network (应急求助) from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from zhengwu.cli.common import console, handle_errors, print_json

app = typer.Typer(
    name="rescue",
    help="应急求助 — help posts: extract, merge, triage, dispatch.",
    no_args_is_help=True,
)


@app.callback()
def _group() -> None:
    """应急求助 — help posts: extract, merge, triage, dispatch."""


@app.command("extract")
@handle_errors
def extract_command(
    path: Annotated[Path, typer.Argument(help="JSON Lines: one post per line with a 'text' field")],
    json_out: Annotated[
        bool, typer.Option("--json", help="print one JSON object per post (for scripts)")
    ] = False,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="read PATH with an import format, e.g. weibo-api"),
    ] = None,
) -> None:
    """Detect help posts and extract their fields, one result per input line, in order.

    Each line needs "text"; "id" and "created_at" are used when present.

    A broken line prints {"line": N, "error": "…"} in its place, so output and input align.

    Example: zhengwu rescue extract posts.jsonl --json
    Example: zhengwu rescue extract statuses.jsonl --format weibo-api --json
    """
    from zhengwu.rescue.extract import extract
    from zhengwu.rescue.sources import BadLine, iter_texts

    rows: list[dict[str, Any]] = []
    for item in iter_texts(path, fmt):
        if isinstance(item, BadLine):
            row: dict[str, Any] = {"id": item.id, "line": item.line, "error": item.reason}
        else:
            post_id, text, posted_at = item
            row = {"id": post_id, **_fields(extract(text, posted_at=posted_at))}
        if json_out:
            print_json(row)
        else:
            rows.append(row)
    if not json_out:
        console.print(_table(rows))


def _fields(result: object) -> dict[str, Any]:
    import msgspec

    fields: dict[str, Any] = msgspec.to_builtins(result)
    return fields


def _table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(title="求助信息提取 help-post extraction")
    for column in ("#", "求助", "紧急", "姓名", "电话", "地址", "区划", "人数", "需求", "完整度"):
        # Phone numbers and codes must never be folded mid-number on a narrow terminal.
        wide = {"电话": 13, "紧急": 8, "区划": 6, "需求": 14}.get(column)
        table.add_column(column, overflow="fold", min_width=wide, no_wrap=wide is not None)
    for i, row in enumerate(rows, start=1):
        label = row.get("id") or str(i)
        if "error" in row:
            table.add_row(label, "[red]error[/]", "", "", "", row["error"], *[""] * 4)
            continue
        table.add_row(
            label,
            ("resolved" if row["update"] else "yes") if row["is_help"] else "no",
            row["urgency"],
            row["name"] or "",
            "\n".join(row["phones"]),
            row["address"] or "",
            row["adcode"] or "",
            "" if row["people"] is None else str(row["people"]),
            " ".join(row["needs"]),
            f"{row['completeness']:.2f}",
        )
    return table
