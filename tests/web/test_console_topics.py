"""话题热搜 and 地图 pages over real HTTP: the real hot-search archive, post topics, maps."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.test_console_world import ConsoleWorld, build_console_world, login

from zhengwu import regions
from zhengwu.accounts.models import Account
from zhengwu.auth import service as auth_service
from zhengwu.content import store
from zhengwu.ingest.pipeline import run_import
from zhengwu.rescue.models import HelpRequest
from zhengwu.web import charts
from zhengwu.web.console import places

HTML = {"Accept": "text/html"}
DAYS = ("2020-11-24", "2023-02-13", "2024-06-01", "2026-08-22")
CHILDREN_DAY = "习近平祝全国少年儿童节日快乐"  # on the 2024-06-01 list, and a post topic below
TOPIC_POSTS = [
    # (uid, name, day in July 2025, topics)
    ("1001", "平安郑州", 20, ["郑州暴雨", "平安提示"]),
    ("1001", "平安郑州", 21, ["郑州暴雨"]),
    ("1002", "金水住建", 21, ["郑州暴雨", "台风"]),
    ("1002", "金水住建", 22, [CHILDREN_DAY]),
    ("2001", "洛阳住建", 22, ["洛阳牡丹"]),  # another city's matrix: not in 郑州's topics
    ("9001", "网友甲", 21, ["郑州暴雨互助"]),  # a citizen's help post: in nobody's topics
]


def _topic_posts() -> pa.Table:
    rows: list[dict[str, Any]] = []
    for i, (uid, name, day, topics) in enumerate(TOPIC_POSTS):
        text = f"{name}：" + " ".join(f"#{t}#" for t in topics)
        rows.append({
            "seq": i, "is_primary": True, "platform": "weibo", "post_id": f"t{i}",
            "account_uid": uid, "created_at": datetime(2025, 7, day, 3), "text": text,
            "topics": topics, "mentions": [], "is_repost": False, "reposts": 1, "comments": 1,
            "likes": 1, "observed_at": datetime(2025, 8, 5),
        })  # fmt: skip
    return pa.Table.from_pylist(rows, schema=store.POST_SCHEMA)


@pytest.fixture
def world(committed_engine: Engine, shared_data: Path) -> ConsoleWorld:
    """The console test city, plus the real hot-search archive and posts with topics."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    archive = shared_data / "weibo-hot-search"
    with Session(committed_engine) as session, store.open_store() as con:
        summary = run_import(
            "hot-search", [archive / f"{d}.json" for d in DAYS], session=session, analytics=con
        )
        session.commit()
        assert summary.imported > 1000
        store.write_posts(con, _topic_posts())
        # Importing citizens' posts (help posts, requests on Weibo) registers their authors
        # as accounts of no government.
        session.add(Account(platform="weibo", uid="9001", name="网友甲", is_government=False))
        session.commit()
    return world


def _section(html: str, start: str, end: str | None = None) -> str:
    tail = html[html.index(f'id="{start}"') :]
    return tail[: tail.index(f'id="{end}"')] if end else tail


def _archive(shared_data: Path, day: str) -> list[dict[str, Any]]:
    return list(json.loads((shared_data / "weibo-hot-search" / f"{day}.json").read_text("utf-8")))


def test_who_may_open_the_topics_page(live_server: str, world: ConsoleWorld) -> None:
    for username, status in (("admin", 200), ("office", 200), ("operator", 200),
                             ("handler", 403), ("dispatcher", 403), ("verifier", 403),
                             ("team", 403)):  # fmt: skip
        with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
            login(c, username)
            page = c.get("/console/topics")
            assert page.status_code == status, username
            if status == 403:
                assert "无权访问此页面" in page.text
            else:
                assert "话题热搜" in page.text
    anonymous = httpx.get(f"{live_server}/console/topics", headers=HTML, timeout=60)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")


def test_hot_search_by_day(client: httpx.Client, shared_data: Path) -> None:
    login(client, "office")
    html = client.get("/console/topics").text
    days = re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', html)
    assert days == sorted(DAYS, reverse=True)  # newest first, and the default
    raw = _archive(shared_data, "2024-06-01")
    page = client.get("/console/topics", params={"day": "2024-06-01", "limit": 2000}).text
    table = _section(page, "hot-search", "trend")
    rows = re.findall(r'<tr class="kind-(\w+)">', table)
    assert len(rows) == len({e["title"] for e in raw})  # one row per (day, title)
    pinned = {e["title"] for e in raw if "band_rank" not in e.get("url", "")}
    assert Counter(rows)["pinned"] == len(pinned)
    assert CHILDREN_DAY in table
    # Ranks come in order after the pinned entries; rank 1 of the day is listed first of them.
    first_ranked = re.search(r'<tr class="kind-(?:topic|word)">\s*<td>(\d+)</td>', table)
    assert first_ranked is not None and first_ranked[1] == "1"
    short = _section(client.get("/console/topics", params={"day": "2024-06-01"}).text,
                     "hot-search", "trend")  # fmt: skip
    assert len(re.findall(r'<tr class="kind-', short)) == 60
    bad = client.get("/console/topics", params={"day": "06/01/2024"})
    assert bad.status_code == 422
    assert "YYYY-MM-DD" in bad.text


def test_entries_without_band_rank_are_not_pinned(client: httpx.Client, shared_data: Path) -> None:
    # The 2020 archive's URLs carry no band_rank: its Refer=top entries are the list itself,
    # only the Refer=new_time ones are pinned.
    login(client, "office")
    raw = _archive(shared_data, "2020-11-24")
    page = client.get("/console/topics", params={"day": "2020-11-24", "limit": 2000}).text
    rows = re.findall(r'<tr class="kind-(\w+)">', _section(page, "hot-search", "trend"))
    pinned = {e["title"] for e in raw if "Refer=new_time" in e["url"]}
    assert len(pinned) == 5 and len(rows) == len({e["title"] for e in raw})
    assert Counter(rows)["pinned"] == len(pinned)
    assert rows[: len(pinned)] == ["pinned"] * len(pinned)  # listed first
    assert Counter(rows)["topic"] + Counter(rows)["word"] == len(rows) - len(pinned)


def test_word_trend_across_archived_days(client: httpx.Client) -> None:
    login(client, "operator")
    page = client.get("/console/topics", params={"word": "台风"}).text
    trend = _section(page, "trend", "post-topics")
    assert "上榜 2 天" in trend  # 2024-06-01 and 2026-08-22 of the four archived days
    svg = trend[trend.index("<svg") : trend.index("</svg>")]
    assert svg.count('class="point"') == 2
    for day in ("2024-06-01", "2026-08-22"):
        assert f"{day}：第" in svg
    assert "2020-11-24" in svg  # the x axis spans every archived day
    never = _section(client.get("/console/topics", params={"word": "没有这个词"}).text,
                     "trend", "post-topics")  # fmt: skip
    assert "上榜 0 天" in never
    assert "暂无数据" in never


def test_matrix_post_topics(live_server: str, world: ConsoleWorld) -> None:
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        login(c, "office")
        topics = _section(c.get("/console/topics").text, "post-topics")
    rows = re.findall(r"<tr>\s*<td>#([^#]+)#</td><td>(\d+)</td><td>(\d+)</td>\s*<td>([^<]*)</td>",
                      topics)  # fmt: skip
    found = {t: (int(p), int(a), who) for t, p, a, who in rows}
    assert found["郑州暴雨"] == (3, 2, "平安郑州、金水住建")
    assert found["平安提示"] == (1, 1, "平安郑州")
    assert "洛阳牡丹" not in found  # 洛阳's account is not in 郑州's matrix
    assert next(iter(found)) == "郑州暴雨"  # most posts first
    assert "上过热搜" in topics
    hot = re.findall(r'href="\?word=([^"]+)">上过热搜', topics)
    assert len(hot) == 2  # 台风 and the Children's Day title were on the archived lists
    assert topics.count("<svg") == 1
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        login(c, "operator")  # the police's operator: only its own accounts' topics
        mine = _section(c.get("/console/topics").text, "post-topics")
    assert "#郑州暴雨#</td><td>2</td><td>1</td>" in mine
    assert "金水住建" not in mine
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        login(c, "admin")  # every account: the government's, not the citizens' of help posts
        every = _section(c.get("/console/topics").text, "post-topics")
    assert "洛阳牡丹" in every
    assert "郑州暴雨互助" not in every
    assert "网友甲" not in every


def _cells(html: str) -> dict[str, int]:
    table = _section(html, "map")
    return {code: int(n) for code, n in re.findall(
        r'<tr data-adcode="(\d+)"><td>(?:<a [^>]*>)?[^<]*(?:</a>)?</td><td>(\d+)</td>', table)}  # fmt: skip


def _opens(html: str) -> dict[str, str]:
    """Return the area links of the map's table: {adcode: href}."""
    table = _section(html, "map")
    return {code: href.replace("&amp;", "&") for code, href in re.findall(
        r'<tr data-adcode="(\d+)"><td><a href="([^"]+)">', table)}  # fmt: skip


def test_a_national_map_shows_provinces_and_opens_them() -> None:
    counts: Counter[str | None] = Counter(
        {code: 1 for code, d in regions.divisions().items() if d.level == "county"}
    )
    counts["410105"] += 5
    counts[None] = 7  # no place: not on the map
    cells = places.counted_cells(None, counts, {})
    assert {regions.get(c.adcode).level for c in cells} == {"province"}  # type: ignore[union-attr]
    by_code = {c.adcode: c.requests for c in cells}
    assert sum(by_code.values()) == sum(counts.values()) - 7  # every county counted once
    henan = sum(n for code, n in counts.items() if code and code.startswith("41"))
    assert by_code["410000"] == henan
    # One province's counties are few enough to be drawn as counties.
    few = places.counted_cells(None, {c: n for c, n in counts.items() if c and c[:2] == "41"}, {})
    assert {regions.get(c.adcode).level for c in few} == {"county"}  # type: ignore[union-attr]
    # A county's map is that county (it used to be every county with anything).
    assert [c.adcode for c in places.counted_cells("410105", counts, {})] == ["410105"]
    # Cities when the counties are too many but the cities are not (河南 湖北 湖南).
    central = {c: n for c, n in counts.items() if c and c[:2] in ("41", "42", "43")}
    assert len(central) > places.MAX_TILES
    cities = places.counted_cells(None, central, {})
    assert len(cities) < 60
    for cell in cities:
        division = regions.get(cell.adcode)
        assert division is not None
        # a city, or a county under no city (仙桃 潜江 天门 神农架 济源)
        assert division.level == "city" or regions.get(division.parent or "").level == "province"  # type: ignore[union-attr]
    assert sum(c.requests for c in cities) == sum(central.values())
    assert places.city_of("110105") == "110000"  # a municipality's district
    assert places.city_of("429004") == "429004"  # 仙桃: a county under no city
    assert places.city_of("410105") == "410100"


def test_the_map_opens_an_area(live_server: str, world: ConsoleWorld) -> None:
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        login(c, "admin")
        whole = c.get("/console/map", params={"period": "2025-01"})
        assert whole.status_code == 200
        month = re.search(r'name="period" value="([^"]+)"', c.get("/console/map").text)
        assert month
        period = month[1]
        henan = c.get("/console/map", params={"period": period, "area": "410000"})
        assert henan.status_code == 200
        assert _cells(henan.text) == {"410100": 2}  # 郑州's two requests of the month
        assert "河南省 · 各市诉求" in henan.text
        opens = _opens(henan.text)
        assert set(opens) == {"410100"}
        tile = re.search(r'<g class="county" data-adcode="410100"><a href="([^"]+)">', henan.text)
        assert tile and tile[1].replace("&amp;", "&") == opens["410100"]  # the tile opens it too
        zz = c.get(opens["410100"])
        assert _cells(zz.text) == {"410105": 1, "410102": 1}
        assert "郑州市 · 各区县诉求" in zz.text
        assert _opens(zz.text) == {}  # counties open nothing further
        up = re.search(r'id="map-up"><a href="([^"]+)"', zz.text)
        assert up and "area=410000" in up[1].replace("&amp;", "&")
        assert 'name="area" value="410100"' in zz.text  # the form keeps the area
        js = c.get("/console/map", params={"period": period, "area": "410105"})
        assert _cells(js.text) == {"410105": 1}
        bad = c.get("/console/map", params={"area": "999999"})
        assert bad.status_code == 422 and "999999" in bad.text
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        login(c, "office")  # 郑州's matrix office: its own city and below
        own = c.get("/console/map", params={"area": "410100"})
        assert own.status_code == 200 and 'id="map-up"' not in own.text
        assert _cells(own.text) == {"410105": 1, "410102": 1}
        assert c.get("/console/map", params={"area": "410102"}).status_code == 200
        outside = c.get("/console/map", params={"area": "410000"})
        assert outside.status_code == 403
        assert c.get("/console/map", params={"area": "410300"}).status_code == 403
        # The help map is the incident's, whoever looks: its province opens for the office.
        help_henan = c.get(
            "/console/map", params={"tab": "help", "incident": world.incident_id, "area": "410000"}
        )
        assert help_henan.status_code == 200
        assert _cells(help_henan.text) == {"410100": 2}
        assert "河南省 · 郑州暴雨（测试）：各市求助" in help_henan.text


def test_request_map_counts_readable_requests(live_server: str, world: ConsoleWorld) -> None:
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        login(c, "office")
        page = c.get("/console/map")
        assert page.status_code == 200
        # This month: the 金水 housing request and the 中原 noise request; the 40-day-old one
        # is in another month.
        assert _cells(page.text) == {"410105": 1, "410102": 1}
        assert re.search(r'id="map-total">2<', page.text)
        svg = page.text[page.text.index("<svg") :]
        # The request map's tiles say what it counts: no "求助 0" where help is not counted.
        assert re.search(r"<title>金水区?：诉求 1</title>", svg)
        assert "求助 0" not in svg and 'class="count-help"' not in svg
        assert page.text.count('class="county"') == len(regions.children("410100"))
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        login(c, "handler")  # 金水住建: the requests it handles
        assert _cells(c.get("/console/map").text) == {"410105": 1}
        assert c.get("/console/map", params={"tab": "help"}).status_code == 403
    for username in ("dispatcher", "verifier", "team"):
        with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
            login(c, username)
            refused = c.get("/console/map", params={"tab": "requests"})
            assert refused.status_code == 403, username
            assert "may not open the requests map" in refused.text
    anonymous = httpx.get(f"{live_server}/console/map", headers=HTML, timeout=60)
    assert anonymous.status_code == 303


def test_help_map_counts_help_posts(
    live_server: str, world: ConsoleWorld, committed_engine: Engine
) -> None:
    with Session(committed_engine) as session:
        codes = session.scalars(
            select(HelpRequest.adcode).where(HelpRequest.incident_id == world.incident_id)
        ).all()
    expected = Counter(c for c in codes if c)
    assert sum(expected.values()) == 2
    for username in ("dispatcher", "team", "office"):
        with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
            login(c, username)
            page = c.get("/console/map", params={"tab": "help", "incident": world.incident_id})
            assert page.status_code == 200, username
            assert _cells(page.text) == dict(expected), username
            assert "郑州暴雨（测试）：各区县求助" in page.text
            assert not re.search(r"1[3-9]\d{9}", page.text)  # counts only, no phones
            assert "张建国" not in page.text
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        login(c, "dispatcher")
        assert _cells(c.get("/console/map").text) == dict(expected)  # its default tab
        assert c.get("/console/map", params={"tab": "help", "incident": 999}).status_code == 404
        assert c.get("/console/map", params={"tab": "nope"}).status_code == 422


def test_rank_trend_chart() -> None:
    svg = charts.rank_trend(["a", "b", "c", "d"], [3, None, 1, 2], title="t <x>")
    assert svg.count('class="point"') == 3
    assert svg.count("<polyline") == 1  # the day off the list breaks the line
    assert "t &lt;x&gt;" in svg
    assert "b：" not in svg
    top = re.search(r'cy="([\d.]+)" r="3" fill="[^"]+"><title>c：第 1 名', svg)
    low = re.search(r'cy="([\d.]+)" r="3" fill="[^"]+"><title>a：第 3 名', svg)
    assert top and low and float(top[1]) < float(low[1])  # rank 1 is drawn above rank 3
    assert "暂无数据" in charts.rank_trend(["a"], [None], title="empty")
