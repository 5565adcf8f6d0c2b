"""Run a simulation: population → behaviour → rainstorm → streams → ground truth."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhengwu.simulate.activity import build_activity
from zhengwu.simulate.config import SimulationConfig, Window
from zhengwu.simulate.douyin import DouyinStream
from zhengwu.simulate.event import add_event, choose_rainstorm
from zhengwu.simulate.hotsearch import HotSearchStream
from zhengwu.simulate.population import build_population
from zhengwu.simulate.scope import build_scope
from zhengwu.simulate.streams import STREAMS, NullProgress, Progress, Stream, StreamContext, Truth
from zhengwu.simulate.tables import TablesStream
from zhengwu.simulate.truth import record_run, write_truth
from zhengwu.simulate.wechat import WechatStream
from zhengwu.simulate.weibo import WeiboStream

# The citizen streams (requests/, help/) register themselves in zhengwu.simulate.citizens
# and run after these.
BUILTIN_STREAMS: tuple[type[Stream], ...] = (
    TablesStream, WeiboStream, WechatStream, DouyinStream, HotSearchStream,
)  # fmt: skip
# Files and folders a previous run may have left; they are replaced, nothing else is touched.
_OWN_OUTPUT = ("orgs.csv", "accounts.csv", "matrices.json", "truth.json")
_OWN_FOLDERS = ("weibo", "wechat", "douyin", "requests", "help", ".parts")


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """What a run wrote."""

    out: Path
    files: tuple[Path, ...]
    truth: dict[str, Any]


def run_simulation(config: SimulationConfig, progress: Progress | None = None) -> SimulationResult:
    """Generate a population and its activity and write every stream under ``config.out``."""
    progress = progress or NullProgress()
    advance = progress.task("机构与账号 population", 2 + len(config.platforms))
    window = Window(config.start, config.days)
    scope = build_scope(config.scale, config.seed, config.region)
    advance(1)
    population = build_population(config, scope)
    advance(1)
    event = choose_rainstorm(scope, window, config.seed)
    activity = {}
    for platform in config.platforms:
        accounts = population.accounts[platform]
        activity[platform] = build_activity(platform, accounts, window, config.seed)
        add_event(event, activity[platform], accounts, config.seed)
        advance(1)
    _clear_previous(config.out)
    ctx = StreamContext(
        config=config,
        window=window,
        population=population,
        activity=activity,
        event=event,
        out=config.out,
        truth=Truth(),
        progress=progress,
    )
    record_run(ctx)
    for stream in [*(cls() for cls in BUILTIN_STREAMS), *(factory() for factory in STREAMS)]:
        stream.write(ctx)
    shutil.rmtree(ctx.scratch, ignore_errors=True)
    truth_path = write_truth(ctx)
    return SimulationResult(config.out, (*ctx.files, truth_path), ctx.truth.sections)


def _clear_previous(out: Path) -> None:
    """Remove what an earlier run wrote to ``out`` (a shorter window leaves fewer months)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in _OWN_OUTPUT:
        (out / name).unlink(missing_ok=True)
    for folder in _OWN_FOLDERS:
        if (out / folder).is_dir():
            shutil.rmtree(out / folder)
