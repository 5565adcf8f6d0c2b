"""``zhengwu search``: build the search index and query it from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from zhengwu.cli.common import console, handle_errors, print_json

app = typer.Typer(
    help="搜索 / search: build the index, run a query.\n\n"
    "Example: zhengwu search reindex && zhengwu search query '噪音 施工' --kind requests --json",
    no_args_is_help=True,
)

# How a query's terms were matched (SearchResults.mode).
_MODE_LABELS = {"and": "全部词 every term", "or": "任一词 any term"}

KindOption = Annotated[
    list[str] | None,
    typer.Option("--kind", help="accounts, requests, content or posts (repeatable)"),
]


@app.command(
    "reindex", short_help="重建账号与诉求索引 / rebuild the index of accounts and requests"
)
@handle_errors
def reindex(
    kind: KindOption = None,
    refresh_only: Annotated[
        bool, typer.Option("--refresh", help="only rows changed since the last run")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Rebuild the index of accounts and requests (or refresh what changed).

    Example: zhengwu search reindex --kind requests
    """
    import time

    from zhengwu.db.engine import unit_of_work
    from zhengwu.search import indexer
    from zhengwu.search.models import KIND_LABELS

    started = time.perf_counter()
    with unit_of_work() as session:
        run = indexer.refresh if refresh_only else indexer.reindex
        done = run(session, kind or None)
        totals = indexer.stats(session)
    result = {
        "indexed": done,
        "documents": totals,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if json_out:
        print_json(result)
        return
    for name, count in done.items():
        label = KIND_LABELS.get(name, name)
        console.print(
            f"{label} {name}：本次索引 {count:,} 条 indexed · 索引中共 {totals.get(name, 0):,} 条 "
            "in the index"
        )
    console.print(f"用时 took {result['seconds']} s")


@app.command(
    "query",
    short_help="以本级管理员身份搜索（摘要脱敏） / search as a local administrator (masked)",
)
@handle_errors
def query(
    text: Annotated[str, typer.Argument(help="搜索词 / the query")],
    kind: KindOption = None,
    limit: Annotated[int, typer.Option(help="hits per kind")] = 10,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Search as a local administrator (snippets stay masked).

    Example: zhengwu search query "南京 长江大桥" --kind accounts --json
    """
    from zhengwu.auth.principal import Principal
    from zhengwu.db.engine import unit_of_work
    from zhengwu.search import service
    from zhengwu.search.models import KIND_LABELS

    admin = Principal(role="admin", user_id=0, username="cli", display_name="命令行")
    with unit_of_work() as session:
        results = service.search(session, admin, text, kinds=kind or None, limit=limit)
    if json_out:
        print_json(results.model_dump(mode="json"))
        return
    counts = " · ".join(f"{KIND_LABELS.get(k, k)} {k} {n}" for k, n in results.counts.items())
    mode = _MODE_LABELS.get(results.mode, results.mode)
    console.print(f"搜索词 terms：{' '.join(results.terms)}（{mode}）— {counts}", markup=False)
    if results.note:
        console.print(results.note, markup=False)
    for hit in results.hits:
        console.print(f"[{hit.kind}] {hit.title}  {hit.url or ''}\n    {hit.snippet}", markup=False)
