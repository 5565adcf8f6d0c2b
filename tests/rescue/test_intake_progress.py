"""``zhengwu rescue intake`` shows a progress bar while it runs and a summary at the end."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.console import Console
from sqlalchemy.orm import Session

from zhengwu.cli.common import progress_bar
from zhengwu.cli.rescue import app
from zhengwu.rescue import channels
from zhengwu.rescue.listing import LISTED_STATES
from zhengwu.simulate.helpposts import write_help_posts

from .conftest import DISPATCHER
from .test_cli import database, runner  # noqa: F401 - the fixture migrates the CLI's database


def _posts(tmp_path: Path, n: int) -> Path:
    write_help_posts(tmp_path, rng=np.random.default_rng(2), city_adcode="410100",
                     start=datetime(2021, 7, 20, 8, tzinfo=UTC), n_posts=n)  # fmt: skip
    return tmp_path / "help" / "posts.jsonl"


def test_intake_ends_with_a_summary(database: None, tmp_path: Path) -> None:  # noqa: F811
    created = runner.invoke(app, ["incident", "create", "郑州暴雨", "--start", "2021-07-20T00:00+08:00",
                                  "--region", "410100", "--hashtag", "#郑州暴雨互助#"])  # fmt: skip
    assert created.exit_code == 0, created.output
    posts = _posts(tmp_path, 40)
    shown = runner.invoke(app, ["intake", "郑州暴雨", "--file", str(posts)])
    assert shown.exit_code == 0, shown.output
    assert "读入 read 40" in shown.stdout
    assert "用时 took" in shown.stdout and "posts/s" in shown.stdout
    assert "灾情现有求助 requests now" in shown.stdout
    again = runner.invoke(app, ["intake", "郑州暴雨", "--file", str(posts), "--json"])
    data = json.loads(again.stdout.strip().splitlines()[-1])  # --json: only the JSON line
    assert data["known"] == 40 and data["new_requests"] == 0
    assert set(data["by_state"]) == set(LISTED_STATES)  # merged ones are counted nowhere
    assert data["by_state"]["new"] > 5 and data["seconds"] >= 0
    first = shown.stdout.split("灾情现有求助 requests now ")[1].split("：")[0]
    assert int(first) == sum(data["by_state"].values())


def test_intake_reports_progress_batch_by_batch(
    session: Session, make_incident, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(channels, "BATCH", 25)  # a small batch: several steps for 60 posts
    incident = make_incident()
    steps: list[int] = []
    report = channels.intake_file(session, incident=incident, path=_posts(tmp_path, 60),
                                  fmt="weibo-api", actor=DISPATCHER, on_progress=steps.append)  # fmt: skip
    assert steps == [25, 25, 10]
    assert sum(steps) == report.read - report.quarantined == 60


def test_the_progress_bar_counts_on_a_terminal() -> None:
    out = io.StringIO()
    terminal = Console(file=out, force_terminal=True, width=100)
    with progress_bar("求助帖 intake", to=terminal) as bar:
        bar.set_total(60)
        bar.advance(25)
        bar.advance(35)
        terminal.file.flush()
    drawn = out.getvalue()
    assert "求助帖 intake" in drawn
    assert "60/60" in drawn
    hidden = io.StringIO()
    with progress_bar("x", disable=True, to=Console(file=hidden, force_terminal=True)) as bar:
        bar.advance(1)
    assert hidden.getvalue() == ""
