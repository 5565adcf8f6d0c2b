"""`zhengwu simulate`: write a realistic account population and its activity in platform formats."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from zhengwu.cli.common import console, handle_errors, print_json


class _RichProgress:
    """Adapter from the simulator's progress protocol to a rich progress bar."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """Add a bar and return the function that advances it."""
        task_id = self.progress.add_task(description, total=total)
        return lambda steps: self.progress.advance(task_id, steps)


def _size(path: Path) -> str:
    return _size_of([path])


def _size_of(paths: list[Path]) -> str:
    size = float(sum(p.stat().st_size for p in paths))
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _stored_posts(section: dict[str, Any]) -> int:
    """Return the posts an import stores: WeChat's articles (a push holds 1–5), else posts."""
    return int(section.get("articles", section["posts"]))


def _event_summary(truth: dict[str, Any]) -> dict[str, Any]:
    """Return the rainstorm: its city, days, the government posts' hashtag and the help posts'.

    The help posts carry their own hashtag (``#郑州暴雨互助#``): it is the one to create an
    incident with (``zhengwu rescue incident create … --hashtag``).
    """
    event = {k: truth["event"][k] for k in ("city_name", "hashtag", "days")}
    if truth.get("help", {}).get("hashtag"):
        event["help_hashtag"] = truth["help"]["hashtag"]
    return event


def _hot_search_summary(truth: dict[str, Any]) -> dict[str, Any] | None:
    """Return the hot-search archive: its folder, days, entries and the rainstorm's days on it."""
    section = truth.get("hot_search")
    if not section:
        return None
    return {
        "folder": section["folder"],
        "days": len(section["days"]),
        "entries": section["total"],
        "event_title": section["event_title"],
        "event_days": section["event_days"],
    }


def _tree_names(truth: dict[str, Any]) -> list[str]:
    """Return the files to list, with the hot-search archive (one file a day) as its folder."""
    folder = truth.get("hot_search", {}).get("folder")
    names: list[str] = []
    for name in truth["files"]:
        if folder and name.startswith(f"{folder}/"):
            if f"{folder}/" not in names:
                names.append(f"{folder}/")
            continue
        names.append(name)
    return names


@handle_errors
def simulate(
    scale: Annotated[str, typer.Option(help="city (≈500 accounts) | province (≈8,000) | national (≈180,000 Weibo)")] = "city",
    days: Annotated[int, typer.Option(help="days in the window")] = 30,
    seed: Annotated[int, typer.Option(help="random seed: same arguments, same bytes")] = 0,
    out: Annotated[Path, typer.Option(help="output directory (created, with its parents, if missing)")] = Path("simulated"),
    start: Annotated[str, typer.Option(help="first day of the window, YYYY-MM-DD")] = "2025-07-01",
    platforms: Annotated[str, typer.Option(help="comma-separated: weibo,wechat,douyin")] = "weibo,wechat,douyin",
    region: Annotated[str | None, typer.Option(help="adcode of the city (city scale) or province (province scale); default by seed")] = None,
    workers: Annotated[int, typer.Option(help="rendering processes (0 = all cores for large runs)")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:  # fmt: skip
    """Simulate government accounts, their posts and a rainstorm, in real platform formats.

    Example: zhengwu simulate --scale city --days 30 --seed 1 --out demo-data
    """
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table
    from rich.tree import Tree

    from zhengwu.simulate import SimulationConfig, run_simulation
    from zhengwu.simulate.config import SCALES, parse_platforms, parse_start

    if scale not in SCALES:
        from zhengwu.errors import InvalidInputError

        raise InvalidInputError(
            f"未知的规模 {scale!r}，可选 city / province / national",
            f"unknown scale {scale!r}; choose city, province or national",
        )
    if out.exists() and not out.is_dir():
        from zhengwu.errors import InvalidInputError

        raise InvalidInputError(
            f"--out 应为目录，但这是一个文件：{out}",
            f"--out must be a directory, not a file: {out}",
        )
    config = SimulationConfig(
        scale=scale,
        days=days,
        seed=seed,
        out=out,
        start=parse_start(start),
        platforms=parse_platforms(platforms),
        region=region,
        workers=workers,
    )
    began = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=as_json, transient=False) as progress:
        result = run_simulation(config, _RichProgress(progress))
    elapsed = time.perf_counter() - began
    truth = result.truth
    platforms_truth: dict[str, Any] = truth.get("platforms", {})
    summary = {
        "out": str(out),
        "seconds": round(elapsed, 1),
        "scale": scale,
        "window": truth["window"],
        "accounts": {p: s["accounts"] for p, s in platforms_truth.items()},
        "posts": {p: _stored_posts(s) for p, s in platforms_truth.items()},
        "pushes": {p: s["pushes"] for p, s in platforms_truth.items() if "pushes" in s},
        "event": _event_summary(truth),
        "hot_search": _hot_search_summary(truth),
        "files": truth["files"],
    }
    if as_json:
        print_json(summary)
        return
    table = Table(
        "平台 platform", "账号 accounts", "发文 posts", "休眠 dormant", "事件 event posters"
    )
    for platform, section in platforms_truth.items():
        pushes = f" ({section['pushes']:,} pushes)" if "pushes" in section else ""
        table.add_row(
            platform,
            f"{section['accounts']:,}",
            f"{_stored_posts(section):,}{pushes}",
            f"{len(section['dormant']):,}",
            f"{len(section['event_posters']):,}",
        )
    console.print(table)
    event = summary["event"]
    console.print(
        f"暴雨 rainstorm: {event['city_name']} {event['hashtag']} {', '.join(event['days'])}"
    )
    if "help_hashtag" in event:
        help_truth = truth["help"]
        console.print(
            f"求助 help posts: {event['help_hashtag']} · {help_truth['posts']:,} posts · "
            f"{help_truth['requests']:,} requests (help/posts.jsonl)"
        )
    hot = summary["hot_search"]
    if hot:
        on_list = ", ".join(hot["event_days"]) or "—"
        console.print(
            f"热搜 hot search: {hot['days']} days · {hot['entries']:,} entries "
            f"({hot['folder']}/) · #{hot['event_title']}# on {on_list}"
        )
    tree = Tree(f"[bold]{out}[/]")
    for name in _tree_names(truth):
        if name.endswith("/"):
            files = sorted((out / name).glob("*.json"))
            size = _size_of(files)
            tree.add(f"{name}  [dim]{len(files)} files, {size}[/]")
        else:
            tree.add(f"{name}  [dim]{_size(out / name)}[/]")
    console.print(tree)
    total = sum(summary["posts"].values())
    console.print(f"{total:,} posts in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f} posts/s)")
