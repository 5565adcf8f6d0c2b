"""``zhengwu library``: the content library (媒资库) from the command line.

Commands act as the platform admin (the CLI runs on the server, as ``zhengwu desk`` does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from zhengwu.auth.principal import Principal
from zhengwu.cli.common import OrgOption, console, handle_errors, org_id, print_json
from zhengwu.errors import InvalidInputError

app = typer.Typer(
    name="library",
    help="内容库 — content items with files, tags, labels; distribution to matrix accounts.",
    no_args_is_help=True,
)
JsonOut = Annotated[bool, typer.Option("--json", help="print JSON (for scripts)")]


@app.callback()
def _group() -> None:
    """内容库 — content items with files, tags, labels; distribution to matrix accounts."""


def _admin() -> Principal:
    return Principal(role="admin", username="cli", display_name="命令行")


@app.command("add", short_help="添加内容及其文件 / add an item with its files")
@handle_errors
def add(
    title: Annotated[str, typer.Option(help="title")],
    org: OrgOption,
    body: Annotated[str, typer.Option(help="text")] = "",
    kind: Annotated[str, typer.Option(help="article image video audio document")] = "article",
    matrix_id: Annotated[int | None, typer.Option("--matrix", help="matrix id")] = None,
    visibility: Annotated[str, typer.Option(help="organization matrix shared")] = "matrix",
    tag: Annotated[list[str] | None, typer.Option(help="tag (repeatable)")] = None,
    label: Annotated[
        list[str] | None, typer.Option(help="原创 首发 独家 权威 (repeatable)")
    ] = None,
    file: Annotated[list[Path] | None, typer.Option(help="file to attach (repeatable)")] = None,
    json_out: JsonOut = False,
) -> None:
    """Add an item with its files.

    ``--org`` (the owner) is the organisation's id, code or exact name.

    Example: zhengwu library add --title 暴雨红色预警 --org 3 --matrix 1 --label 权威 --file 预警.png
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.ingest.files import check_file
    from zhengwu.library import service
    from zhengwu.library.service import Upload

    for path in file or []:
        check_file(path)  # a missing file or a directory: a clear error, before any work
    with unit_of_work() as session:
        streams = [p.open("rb") for p in file or []]
        try:
            item = service.create(
                session, _admin(), title=title, body=body, kind=kind, visibility=visibility,
                matrix_id=matrix_id, organization_id=org_id(session, org), tags=tag or [],
                labels=label or [],
                files=[Upload(p.name, s) for p, s in zip(file or [], streams, strict=True)],
            )  # fmt: skip
        finally:
            for stream in streams:
                stream.close()
        item_id = item.id
    if json_out:
        print_json({"id": item_id})
    else:
        console.print(f"已添加 added item {item_id}")


def _print_items(rows: list[dict[str, object]], json_out: bool) -> None:
    if json_out:  # one JSON array, [] when nothing matches (as the other list commands)
        print_json(rows)
        return
    if not rows:
        console.print("没有找到内容 / no items found")
    for row in rows:
        labels = "".join(f"[{x['label']}]" for x in row["labels"])  # type: ignore[attr-defined]
        console.print(f"{row['id']:>6}  {labels} {row['title']}  ({row['kind']})")


@app.command("list", short_help="列出内容（有标签的在前） / list items, labelled first")
@handle_errors
def list_command(
    label: Annotated[str | None, typer.Option(help="原创 首发 独家 权威")] = None,
    tag: Annotated[str | None, typer.Option(help="tag")] = None,
    kind: Annotated[str | None, typer.Option(help="kind")] = None,
    limit: Annotated[int, typer.Option(help="how many")] = 50,
    json_out: JsonOut = False,
) -> None:
    """List items, labelled first (权威 > 独家 > 首发 > 原创), then the newest.

    Example: zhengwu library list --label 权威 --json
    """
    _run_list({"label": label, "tag": tag, "kind": kind, "limit": limit}, json_out)


@app.command("search", short_help="搜索标题、正文和标签 / search titles, texts and tags")
@handle_errors
def search_command(
    query: Annotated[str, typer.Argument(help="words; Chinese is segmented")],
    limit: Annotated[int, typer.Option(help="how many")] = 20,
    json_out: JsonOut = False,
) -> None:
    """Search titles, texts and tags.

    Example: zhengwu library search 暴雨预警
    """
    _run_list({"q": query, "limit": limit}, json_out)


def _run_list(args: dict[str, Any], json_out: bool) -> None:
    from zhengwu.db.engine import unit_of_work
    from zhengwu.library import service
    from zhengwu.library.service import ItemFilters

    admin = _admin()
    with unit_of_work() as session:
        _, items = service.list_items(session, admin, ItemFilters(**args))
        rows = [service.to_read(i, admin).model_dump(mode="json") for i in items]
    _print_items(rows, json_out)


@app.command(
    "distribute", short_help="安排内容分发到账号 / plan an item's distribution to accounts"
)
@handle_errors
def distribute(
    item_id: Annotated[int, typer.Argument(help="item id")],
    account: Annotated[list[int] | None, typer.Option(help="account id (repeatable)")] = None,
    release: Annotated[
        bool, typer.Option("--release-due", help="only queue the planned targets now due")
    ] = False,
    again: Annotated[
        bool,
        typer.Option("--again", help="publish again where the item was already distributed"),
    ] = False,
    json_out: JsonOut = False,
) -> None:
    """Plan an item's distribution to accounts, or queue the scheduled ones that are due.

    An account the item is already planned, queued or delivered on is skipped (and named)
    unless --again is given (audited).

    Example: zhengwu library distribute 1 --account 3 --account 5
    Example: zhengwu library distribute 0 --release-due
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.library import distribution, service
    from zhengwu.library.models import DistributionPlan
    from zhengwu.outbox.service import last_error_line

    if not release and not account:
        raise InvalidInputError(
            "请至少用 --account 指定一个账号（或用 --release-due 排队到期的计划）",
            "give at least one --account (or --release-due to queue the due plans)",
        )
    admin = _admin()
    with unit_of_work() as session:
        if release:
            done = distribution.release_due(session)
            refused = [{"target_id": t.id, "item_id": t.item_id, "account_id": t.account_id,
                        "reason": t.reason} for t in done.refused]  # fmt: skip
            if json_out:
                print_json({"queued": len(done.queued), "refused": refused})
                return
            console.print(f"已排队 queued {len(done.queued)}")
            for r in refused:
                console.print(
                    f"未发布 refused: 内容 item {r['item_id']} → 账号 account "
                    f"{r['account_id']}：{r['reason']}",
                    highlight=False,
                )
            return
        item = service.get(session, admin, item_id)
        outcome = distribution.plan(
            session, admin, item, DistributionPlan(account_ids=account or [], again=again)
        )
        session.flush()
        report = distribution.report(session, item, outcome.skipped).model_dump(mode="json")
    if json_out:
        print_json(report)
        return
    for t in report["targets"]:
        console.print(f"{t['account_name']} ({t['platform']}): {t['state']} {t['reason'] or ''}")
        if t["last_error"] and t["last_error"] != t["reason"]:
            line = last_error_line(t["last_error"], t["last_error_at"],
                                   delivered=t["state"] == "delivered",
                                   attempts=t["attempts"])  # fmt: skip
            console.print(f"  {line}", highlight=False)
    for s in report["skipped"]:
        console.print(
            f"已跳过 skipped {s['account_name']} ({s['platform']})：已分发过 already "
            f"{s['state']}（再次分发请加 --again / use --again to publish again）",
            highlight=False,
        )


@app.command("prune", short_help="释放不再使用的文件空间 / free the space of files no item uses")
@handle_errors
def prune(
    grace_minutes: Annotated[
        float, typer.Option(min=0, help="keep contents stored less than this long ago")
    ] = 60.0,
    json_out: JsonOut = False,
) -> None:
    """Free the disk space of file contents no item uses any more (after deletions).

    Example: zhengwu library prune --grace-minutes 60
    """
    from zhengwu.db.engine import unit_of_work
    from zhengwu.library import service

    with unit_of_work() as session:
        removed = service.prune_files(session, grace_seconds=grace_minutes * 60)
    if json_out:
        print_json({"removed": removed})
    else:
        console.print(f"已删除 removed {len(removed)} 个未使用的文件内容 unused contents")
