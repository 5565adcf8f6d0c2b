"""话题热搜 on demo-like data: the simulator's hot-search archive imported as the demo does,
shown by the console over real HTTP next to the console test city's posts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.test_console_topics import _section, _topic_posts
from tests.web.test_console_world import build_console_world, login

from zhengwu.auth import service as auth_service
from zhengwu.content import store
from zhengwu.ingest.bundle import bundle_files
from zhengwu.ingest.pipeline import run_import
from zhengwu.simulate import SimulationConfig, run_simulation

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Four simulated days of 郑州 (seed 0, the rainstorm on days 2–4), Weibo only."""
    out = tmp_path_factory.mktemp("sim-hot") / "in"
    result = run_simulation(SimulationConfig(scale="city", days=4, seed=0, out=out,
                                             platforms=("weibo",)))  # fmt: skip
    return {"root": out, "truth": result.truth}


@pytest.fixture
def client(
    live_server: str, committed_engine: Engine, simulated: dict[str, Any]
) -> Iterator[httpx.Client]:
    """The console test city with the simulated archive imported through the demo's layout."""
    auth_service._ip_attempts.clear()
    build_console_world(committed_engine, with_index=False)
    plan = dict(bundle_files(simulated["root"]))
    files: list[Path] = plan["hot-search"]
    with Session(committed_engine) as session, store.open_store() as con:
        summary = run_import("hot-search", files, session=session, analytics=con)
        session.commit()
        assert (
            summary.quarantined == 0
            and summary.imported == simulated["truth"]["hot_search"]["total"]
        )
        store.write_posts(con, _topic_posts())  # 平安郑州 and 金水住建 post #郑州暴雨#
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        login(c, "office")
        yield c


def test_the_simulated_days_and_entries_are_listed(
    client: httpx.Client, simulated: dict[str, Any]
) -> None:
    hot = simulated["truth"]["hot_search"]
    html = client.get("/console/topics").text
    days = re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', html)
    assert days == sorted(hot["days"], reverse=True)
    for day in hot["days"]:
        page = client.get("/console/topics", params={"day": day, "limit": 2000}).text
        table = _section(page, "hot-search", "trend")
        rows = re.findall(r'<tr class="kind-(\w+)">', table)
        assert len(rows) == hot["entries"][day]
        assert {"pinned", "topic", "word"} <= set(rows)


def test_the_rainstorm_leads_its_days_and_is_marked_in_post_topics(
    client: httpx.Client, simulated: dict[str, Any]
) -> None:
    event, hot = simulated["truth"]["event"], simulated["truth"]["hot_search"]
    assert event["tag"] == "郑州暴雨"
    day = event["days"][1]  # the peak day
    table = _section(client.get("/console/topics", params={"day": day}).text, "hot-search", "trend")
    rank = hot["event_ranks"][day]
    assert re.search(
        rf'<tr class="kind-topic">\s*<td>{rank}</td>\s*<td><a [^>]*>郑州暴雨</a>', table
    )
    trend = _section(client.get("/console/topics", params={"word": "郑州暴雨"}).text,
                     "trend", "post-topics")  # fmt: skip
    assert f"上榜 {len(event['days'])} 天" in trend
    assert trend.count('class="point"') == len(event["days"])
    topics = _section(client.get("/console/topics").text, "post-topics")
    row = re.search(r"<td>#郑州暴雨#</td>((?:(?!</tr>).)*)</tr>", topics, re.S)
    assert row is not None and "上过热搜" in row[1]
