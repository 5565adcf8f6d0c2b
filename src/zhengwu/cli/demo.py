"""``zhengwu demo``: the main job on demo data, end to end, from nothing.

Simulates a city in the real platform formats, migrates the database, imports everything
through the same importers real data uses, runs each domain's demo step (influence index,
service desk, emergency help), creates demo logins, prints a summary, and starts the
console.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from zhengwu.cli.common import console, handle_errors
from zhengwu.errors import InvalidInputError

# Each step: (title, "module:function"); the function takes (session, analytics, truth)
# and returns a dict of figures for the summary. Missing modules are skipped with a note.
# The logins come after the service desk, whose routed requests choose the handler's body;
# the library's items are the office login's, after it.
DEMO_STEPS: tuple[tuple[str, str], ...] = (
    ("影响力指数 influence index", "zhengwu.index.demo:run"),
    ("影响力报告 influence report", "zhengwu.reports.demo:run"),
    ("诉求办理 service desk", "zhengwu.servicedesk.demo:run"),
    ("演示账号 demo logins", "zhengwu.auth.demo:create_demo_users"),
    ("内容库 content library", "zhengwu.library.demo:run"),
    ("应急求助 emergency help", "zhengwu.rescue.demo:run"),
    ("搜索索引 search index", "zhengwu.search.demo:run"),
)


# The summary's figures in Chinese with the English beside (a key already in Chinese, such
# as 回应率 or 督办 supervised, is shown as it is).
FIGURE_LABELS = {
    "run": "批次 run", "accounts": "账号 accounts", "failing": "未通过 failing",
    "top": "各平台第一 top", "report": "报告 report", "html": "网页版 html", "pdf": "打印版 pdf",
    "url": "下载 url", "requests": "诉求 requests", "handled steps": "办理步骤 handled steps",
    "logins": "登录名 logins", "password": "密码 password",
    "handler/operator": "承办与运营单位 handler/operator", "new": "新建 new",
    "items": "内容 items", "distributed": "已分发 distributed", "note": "说明 note",
    "help posts": "求助帖 help posts", "incident": "事件 incident", "read": "读入 read",
    "known": "已有 known", "ignored": "非求助 ignored", "quarantined": "隔离 quarantined",
    "new_requests": "新求助 new", "merged": "合并 merged", "marked_verified": "标为已核实 verified",
    "marked_rescued": "报告已获救 rescued", "seconds": "耗时（秒） seconds",
}  # fmt: skip


def figures_text(figures: dict[str, Any]) -> str:
    """Return a step's figures as the summary shows them: 中文 English value · …"""
    return " · ".join(f"{FIGURE_LABELS.get(k, k)} {v}" for k, v in figures.items())


def _load(target: str) -> Callable[..., dict[str, Any]] | None:
    module_name, _, func = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    step: Callable[..., dict[str, Any]] = getattr(module, func)
    return step


def stored_demo_period() -> datetime | None:
    """Return the end of the simulated period a demo stored in the database — on its
    requests (``service_requests.demo_period_end``) or its incident (``rescue_incidents``)
    — the latest if several; None when none is stored (real data, a new database, or one
    whose schema has not got the column yet)."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from zhengwu.db.engine import get_engine
    from zhengwu.rescue.models import Incident
    from zhengwu.servicedesk.models import ServiceRequest

    found = []
    for column in (ServiceRequest.demo_period_end, Incident.demo_period_end):
        try:
            with Session(get_engine()) as session:
                found.append(session.scalar(select(func.max(column))))
        except SQLAlchemyError:  # no such table or column yet: nothing stored
            continue
    return max((end for end in found if end is not None), default=None)


def refuse_other_period(days: int) -> None:
    """Refuse ``--days`` that would make another period than the one whose clock a demo
    stored in the database (:func:`stored_demo_period`), when its ``truth.json`` is gone."""
    from datetime import time, timedelta

    from zhengwu.chinatime import CHINA
    from zhengwu.simulate.config import SimulationConfig

    stored = stored_demo_period()
    wanted = SimulationConfig(days=days).start + timedelta(days=days)
    if stored is None or stored == datetime.combine(wanted, time(), tzinfo=CHINA):
        return
    shown = stored.astimezone(CHINA)
    raise InvalidInputError(
        f"数据库中已有另一次演示（模拟时段止于 {shown:%Y-%m-%d %H:%M}，其 truth.json 已不在），"
        "其诉求办理与应急求助按演示时钟运行，换参数会使时间前后错乱：用原来的 --days 重新运行"
        "可接着这次演示，加 --reset 则清空数据目录从头开始",
        f"the database already holds another demo (its simulated period ends "
        f"{shown:%Y-%m-%d %H:%M} China time; its truth.json is gone), whose service desk "
        "and emergency incident run on the demo's clock, which other options would put "
        "out of order: run it with its --days to continue it, or add --reset to empty "
        "the data directory and start over",
    )


def earlier_demo(
    input_dir: Path, *, scale: str, days: int, seed: int, check_database: bool = True
) -> int | None:
    """Return when the demo already in ``input_dir`` made its data (``truth.json``'s
    modification time, ns) when it was made with the same options; None when there is none.

    The demo's incident acts on the demo's running clock, which starts when the demo made
    its data (:mod:`zhengwu.rescue.clock`). Run again without ``--reset``, the demo made
    its data again and the clock started over: what a coordinator did since the first run
    was stamped later than what they did next (a verification before the one it
    followed, a re-verification due earlier). The same options make the same data: the
    run continues the demo and its clock (:func:`keep_demo_clock`). Other options would
    make another period or city on top of this one: refused before anything is changed.

    Without ``truth.json`` (deleted, or a run that crashed after the simulation cleared its
    output) the demo's clocks are still in the database (its requests', its incident's:
    :func:`stored_demo_period`): other ``--days`` — another period — are refused as well,
    unless ``check_database`` is off (``--reset``, which starts over).
    """
    from datetime import timedelta

    import orjson

    from zhengwu.simulate.config import SimulationConfig

    truth = input_dir / "truth.json"
    try:
        made = truth.stat().st_mtime_ns
        old = orjson.loads(truth.read_bytes())
    except FileNotFoundError:
        if check_database:
            refuse_other_period(days)
        return None
    except (OSError, ValueError):
        old = {}
        made = None
    window = old.get("window") if isinstance(old, dict) else None
    end = (SimulationConfig(days=days).start + timedelta(days=days)).isoformat()
    then = (old.get("scale"), old.get("seed"), (window or {}).get("end"))
    if made is not None and then == (scale, seed, end):
        return made
    said = (f"--scale {old.get('scale')} --days {(window or {}).get('days')} --seed "
            f"{old.get('seed')}" if window else "")  # fmt: skip
    raise InvalidInputError(
        f"数据目录 {input_dir.parent} 已有另一次演示（{said or '无法读取其 truth.json'}），"
        "其应急求助事件按演示时钟运行，换参数会使时间前后错乱：用相同参数重新运行可接着这次演示，"
        "加 --reset 则清空数据目录从头开始",
        f"the data directory {input_dir.parent} already holds another demo "
        f"({said or 'its truth.json cannot be read'}), whose emergency incident runs on the "
        "demo's clock, which other options would put out of order: run it with the same "
        "options to continue it, or add --reset to empty the data directory and start over",
    )


def keep_demo_clock(input_dir: Path, made: int) -> str:
    """Give the data the demo made again the time it was first made (``made``, ns): its
    incident's clock goes on from where it was. Return the summary's line."""
    import os
    from datetime import UTC, datetime

    truth = input_dir / "truth.json"
    os.utime(truth, ns=(made, made))
    since = datetime.fromtimestamp(made / 1e9, UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    return f"接着 {since} 的演示 continues the demo of {since}"


@handle_errors
def demo_command(
    scale: Annotated[str, typer.Option(help="city | province | national")] = "city",
    days: Annotated[int, typer.Option(help="days of simulated activity")] = 30,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same data)")] = 1,
    reset: Annotated[bool, typer.Option(help="delete the data directory first")] = False,
    serve: Annotated[bool, typer.Option(help="start the console when done")] = True,
    host: Annotated[str, typer.Option(help="console address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="console port")] = 8000,
) -> None:
    """Simulate a city, import it, compute everything, and open the console.

    Example: zhengwu demo --scale city --days 30 --seed 1
    """
    import orjson
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Column, Table

    from zhengwu.config import get_settings
    from zhengwu.content import store
    from zhengwu.db import migrate
    from zhengwu.db.engine import get_engine, unit_of_work
    from zhengwu.ingest.bundle import import_bundle
    from zhengwu.regions.service import sync_regions
    from zhengwu.simulate import SimulationConfig, run_simulation

    if serve:  # a taken port is said now, not after minutes of simulating
        from zhengwu.cli.serve import refuse_taken_port

        refuse_taken_port(host, port)
    settings = get_settings()
    if reset and settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    input_dir = settings.data_dir / "demo-input"
    made = earlier_demo(input_dir, scale=scale, days=days, seed=seed, check_database=not reset)
    summary = Table(
        "步骤 step", Column("结果 result", overflow="fold"), title="zhengwu 演示 demo"
    )  # a long result folds onto the next line rather than being cut with …
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"模拟 simulating {scale} ({days} days, seed {seed})", total=None)
        result = run_simulation(
            SimulationConfig(scale=scale, days=days, seed=seed, out=input_dir)  # type: ignore[arg-type]
        )
        progress.update(task, completed=1, total=1)
        summary.add_row("模拟 simulate", f"文件 files {len(result.files)} · 目录 in {input_dir}")
        if made is not None:
            summary.add_row("演示时钟 demo clock", keep_demo_clock(input_dir, made))
        engine = get_engine()
        migrate.upgrade(engine)
        with unit_of_work(engine) as session:
            sync_regions(session)
        with unit_of_work(engine) as session, store.open_store() as analytics:
            task = progress.add_task("导入 importing", total=None)

            def step(fmt: str, files: list[Path]) -> None:
                progress.update(task, description=f"导入 importing {fmt}: {files[0].name}")

            results = import_bundle(input_dir, session=session, analytics=analytics, on_step=step)
            progress.update(task, completed=1, total=1, description="导入 imported")
            for key, s in results.items():
                summary.add_row(
                    f"导入 {key}",
                    f"读取 read {s.read} · 新增 imported {s.imported} · 更新 updated {s.updated}"
                    f" · 重复 duplicates {s.duplicates} · 隔离 quarantined {s.quarantined}",
                )
        truth: dict[str, Any] = orjson.loads((input_dir / "truth.json").read_bytes())
        truth["_input_dir"] = str(input_dir)
        report: dict[str, Any] = {}
        for title, target in DEMO_STEPS:
            func = _load(target)
            if func is None:
                continue
            task = progress.add_task(title, total=None)
            with unit_of_work(engine) as session, store.open_store() as analytics:
                figures = func(session, analytics, truth)
            progress.update(task, completed=1, total=1)
            summary.add_row(title, figures_text(figures))
            if target == "zhengwu.reports.demo:run":
                report = figures
    console.print(summary)
    if report.get("html"):
        # Paths in full (the table cuts long cells), so they can be copied and opened.
        console.print(
            f"影响力报告 report: {report['html']}\n                   {report['pdf']}\n"
            f"下载 download: http://{host}:{port}{report['url']} (console: /console/reports)",
            soft_wrap=True,
        )
    if serve:
        from zhengwu.cli.serve import serve_command

        serve_command(host=host, port=port, workers=1)
