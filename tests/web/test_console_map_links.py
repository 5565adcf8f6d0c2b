"""The console's county maps over real HTTP: what the map page's tabs and titles say, and
where the tiles of the matrix page's and an incident queue's maps lead (SQLite, PostgreSQL).

The map page's tabs are named by what they count (诉求地图 / 求助地图), never 按区县: a map
of more than 300 counties without an area draws cities or provinces, and its title says so.
On the matrix page each count of a tile opens the map of its own kind on the tile's
division: the 诉求 count the request map of that matrix's 受理量 (``matrix=``) in the page's
period — for a matrix office only inside its matrix's area, which is all the map page lets
it open — the 求助 count the help
map of every active incident (what the tile counts). An incident queue's counts open that
incident's help map (a team member's: their team's). Every link is followed as the viewer
who was shown it: none may lead to a refusal, and the map it opens totals the count that
was clicked. Roles that cannot open those pages get no map at all; the public is sent to
the login page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.auth import service as auth_service
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import HelpRequest
from zhengwu.rescue.schemas import IncidentCreate
from zhengwu.servicedesk.models import ServiceRequest
from zhengwu.web.console import places

from .test_console_world import ConsoleWorld, build_console_world, login

HTML = {"Accept": "text/html"}
LUOYANG_COUNTY = "410302"  # 老城区: help requests of a second active incident, outside 郑州
NATIONAL = "全国演练（测试）"


def _tiles(html: str) -> dict[str, str | None]:
    """Return the map's tiles: {adcode: the tile's link, or None}."""
    found = re.findall(
        r'<g class="county(?: approx)?" data-adcode="(\d+)">(?:<a href="([^"]+)">)?', html
    )
    return {code: href.replace("&amp;", "&") if href else None for code, href in found}


def _groups(html: str) -> dict[str, str]:
    """Return the map's tiles: {adcode: the tile's SVG}."""
    return dict(re.findall(r'<g class="county(?: approx)?" data-adcode="(\d+)">(.*?)</g>', html))


def _counts(html: str, kind: str) -> dict[str, int]:
    """Return the count of ``kind`` (requests, help) each tile shows."""
    return {code: int(m[1]) for code, body in _groups(html).items()
            if (m := re.search(rf'class="count-{kind}"[^>]*>[^<]* (\d+)<', body))}  # fmt: skip


def _count_links(html: str, kind: str) -> dict[str, str | None]:
    """Return where each tile's count of ``kind`` leads: {adcode: href, or None}."""
    return {code: m[1].replace("&amp;", "&") if (m := re.search(
        rf'<a class="count-link" href="([^"]+)"><text class="count-{kind}"', body)) else None
        for code, body in _groups(html).items()}  # fmt: skip


def _total(html: str) -> int:
    found = re.search(r'id="map-total">(\d+)<', html)
    assert found, html[:500]
    return int(found[1])


def _cells(html: str) -> dict[str, int]:
    """Return the counted rows of the map page's table: {adcode: count}."""
    table = html[html.index('id="map"') :]
    return {code: int(n) for code, n in re.findall(
        r'<tr data-adcode="(\d+)"><td>(?:<a [^>]*>)?[^<]*(?:</a>)?</td><td>(\d+)</td>', table)}  # fmt: skip


def _query(href: str) -> dict[str, str]:
    parts = urlsplit(href)
    assert parts.path == "/console/map", href
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def _h2(html: str) -> str:
    found = re.search(r'<section class="card" id="map">\s*<h2>([^<]+)</h2>', html)
    assert found, html[:500]
    return found[1]


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, and a second active incident with a help request in 洛阳."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(
            session, actor=rescue_service.SYSTEM,
            data=IncidentCreate(name="洛阳山洪（测试）", type="flood", regions=[],
                                starts_at=datetime.now(UTC) - timedelta(hours=2)),
        )  # fmt: skip
        session.add(HelpRequest(incident_id=incident.id, text="被困", adcode=LUOYANG_COUNTY,
                                reported_at=datetime.now(UTC)))  # fmt: skip
        session.commit()
    return world


@pytest.fixture
def client(live_server: str, world: ConsoleWorld) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
        yield c


def _many_counties(committed_engine: Engine, n: int = 320) -> tuple[list[str], int]:
    """Add a request received now and a help request of a new incident in each of ``n``
    counties outside 河南; return the counties and the incident's id."""
    counties = sorted(c for c, d in regions.divisions().items()
                      if d.level == "county" and not c.startswith("41"))[:n]  # fmt: skip
    now = datetime.now(UTC)
    with Session(committed_engine) as session:
        incident = rescue_service.create_incident(
            session,
            actor=rescue_service.SYSTEM,
            data=IncidentCreate(name=NATIONAL, type="flood", regions=[], starts_at=now),
        )
        for i, code in enumerate(counties):
            session.add(ServiceRequest(
                public_id=f"SRWIDE{i:04d}", citizen_token_hash="x" * 64, state="received",
                source="form", source_ref=f"form:wide-{i}", text="测试", text_masked="测试",
                fingerprint="f" * 40, adcode=code, received_at=now - timedelta(minutes=i),
            ))  # fmt: skip
            session.add(HelpRequest(incident_id=incident.id, text="被困", adcode=code,
                                    reported_at=now))  # fmt: skip
        session.commit()
        return counties, incident.id


def test_the_tabs_say_what_they_count_and_the_title_what_the_tiles_are(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    counties, national = _many_counties(committed_engine)
    assert len(counties) > places.MAX_TILES
    login(client, "admin")
    page = client.get("/console/map").text
    tiles = _tiles(page)
    # Too many counties: their cities (北京 and 天津, municipalities, as cities too), and
    # 郑州 of the world's own requests.
    cities = {places.city_of(c) for c in counties}
    assert cities | {"410100"} == set(tiles)
    assert {"110000", "120000"} < set(tiles)
    title = _h2(page)
    assert re.fullmatch(r"各市诉求（\d{4}-\d\d）", title), title
    assert f"<title>{title} · 地图" in page  # the browser's title says the same
    assert ">诉求地图</a>" in page and ">求助地图</a>" in page
    assert "按区县" not in page and "各区县" not in page
    # An area of its own is drawn by county again, and said so.
    zz = client.get("/console/map", params={"area": "410100"}).text
    assert _h2(zz).startswith("郑州市 · 各区县诉求")
    assert ">诉求地图</a>" in zz and "按区县" not in zz
    # The help map of an incident over 320 counties: cities too, and the title says so.
    wide = client.get("/console/map", params={"tab": "help", "incident": national}).text
    assert _h2(wide) == f"{NATIONAL}：各市求助"
    assert set(_tiles(wide)) == cities
    assert sum(_cells(wide).values()) == len(counties)
    zz_help = client.get("/console/map", params={"tab": "help", "incident": world.incident_id})
    assert _h2(zz_help.text) == "郑州暴雨（测试）：各区县求助"
    # The incident's queue says the same of its map, and its city tiles open a city's map.
    queue = client.get(f"/console/rescue/{national}").text
    assert 'id="county-map-heading">各市求助<' in queue
    assert _tiles(queue) == dict.fromkeys(cities)  # the counts are the links, not the tiles
    links = _count_links(queue, "help")
    city, href = next(iter(links.items()))
    assert href is not None and _query(href) == {"tab": "help", "incident": str(national),
                                                 "area": city}  # fmt: skip
    opened = client.get(href)
    assert opened.status_code == 200
    name = regions.get(city).name  # type: ignore[union-attr]
    assert _h2(opened.text) == f"{name} · {NATIONAL}：各区县求助"
    assert sum(_cells(opened.text).values()) == sum(
        1 for c in counties if places.city_of(c) == city
    )


def _follow(client: httpx.Client, links: dict[str, str | None]) -> dict[str, dict[str, int]]:
    """Open every tile's link; each must open. Return the cells each shows."""
    shown = {}
    for code, href in links.items():
        assert href is not None, code
        response = client.get(href)
        assert response.status_code == 200, (code, href, response.text[:300])
        shown[code] = _cells(response.text)
    return shown


def _lands_on_the_same_count(
    client: httpx.Client, html: str, kind: str, links: dict[str, str | None]
) -> None:
    """Each link of a ``kind`` count opens the map of that kind, whose total is the count."""
    counts = _counts(html, kind)
    tab = {"requests": "诉求地图", "help": "求助地图"}[kind]
    for code, href in links.items():
        assert href is not None, code
        opened = client.get(href)
        assert opened.status_code == 200, (code, href, opened.text[:300])
        assert f'class="active">{tab}</a>' in opened.text, (code, href)
        assert _total(opened.text) == counts[code], (kind, code, href)
        name = regions.get(code).name  # type: ignore[union-attr]
        assert _h2(opened.text).startswith(f"{name} · "), (code, _h2(opened.text))


@pytest.mark.parametrize(
    ("username", "matrix_key"),
    [("office", "zz"), ("office", "zz_police"), ("admin", "zz"), ("admin", "zz_police"),
     ("office_ly", "ly")],
)  # fmt: skip
def test_the_matrix_map_opens_the_map_of_each_count(
    client: httpx.Client, world: ConsoleWorld, username: str, matrix_key: str
) -> None:
    login(client, username)
    page = client.get(f"/console/matrix/{world.matrices[matrix_key]}")
    assert page.status_code == 200
    html = page.text
    period = re.search(r"诉求与求助（([^）]+)）", html)
    assert period, html
    assert _tiles(html) and all(href is None for href in _tiles(html).values())
    requests, helps = _count_links(html, "requests"), _count_links(html, "help")
    assert set(requests) == set(helps) == set(_tiles(html))
    own = {"office": "410100", "office_ly": "410300"}.get(username)
    outside = {c for c in requests if own and not places.within(own, c)}
    for code in requests:
        if code in outside:
            assert requests[code] is None, code  # the map page would refuse it: no link
        else:
            assert _query(requests[code] or "") == {
                "tab": "requests", "period": period[1], "area": code,
                "matrix": str(world.matrices[matrix_key]),
            }  # fmt: skip
        # Help maps are the incidents', whoever looks: every help count is a link, to the
        # map of every active incident — what the tile counts (never the request map).
        assert _query(helps[code] or "") == {"tab": "help", "incident": "active", "area": code}
    _lands_on_the_same_count(client, html, "requests",
                             {c: h for c, h in requests.items() if c not in outside})  # fmt: skip
    _lands_on_the_same_count(client, html, "help", helps)
    shown = _follow(client, {c: h for c, h in requests.items() if c not in outside})
    if matrix_key == "zz_police":
        # No region of its own: drawn nationwide, with the 洛阳 incident's help request.
        assert LUOYANG_COUNTY in requests
        assert _counts(html, "help")[LUOYANG_COUNTY] == 1
        if username == "office":
            assert outside == {LUOYANG_COUNTY}
            refused = client.get("/console/map", params={"area": LUOYANG_COUNTY})
            assert refused.status_code == 403  # why that count is not a link
        else:
            assert outside == set() and requests[LUOYANG_COUNTY] is not None
    else:
        assert outside == set()
    if "410105" in shown:
        # 金水: the month's housing request, 郑州's (its body runs an account of 郑州's
        # matrix), not 郑州公安's.
        assert shown["410105"] == ({} if matrix_key == "zz_police" else {"410105": 1})
    if matrix_key == "zz":
        # The flooded family (金水) and the pregnant woman (二七): help, on the help map.
        assert (_counts(html, "help")["410105"], _counts(html, "help")["410103"]) == (1, 1)
    assert "点击“诉求”数打开它的诉求地图" in html


@pytest.mark.parametrize("username", ["dispatcher", "verifier", "team", "admin"])
def test_the_incident_map_opens_the_help_map_of_a_tile(
    client: httpx.Client, world: ConsoleWorld, username: str, committed_engine: Engine
) -> None:
    blue_sky = world.teams["blue_sky"]
    with Session(committed_engine) as session:  # the flooded family: sent to 蓝天救援队
        flooded = session.get(HelpRequest, world.help["flooded"])
        assert flooded is not None and flooded.adcode == "410105"
        flooded.team_id, flooded.state = blue_sky, "dispatched"
        session.commit()
    login(client, username)
    page = client.get(f"/console/rescue/{world.incident_id}")
    assert page.status_code == 200
    assert 'class="count-requests"' not in page.text  # a help map: no "诉求 0"
    links = _count_links(page.text, "help")
    assert set(links) == {d.adcode for d in regions.children("410100")}  # the incident's city
    # A team member's map counts their team's requests; so does the map its counts open.
    team = {"team": str(blue_sky)} if username == "team" else {}
    for code, href in links.items():
        assert href is not None, code
        assert _query(href) == {"tab": "help", "incident": str(world.incident_id), "area": code,
                                **team}  # fmt: skip
    _lands_on_the_same_count(client, page.text, "help", links)
    shown = _follow(client, links)
    assert shown["410105"] == {"410105": 1}  # the flooded family
    # The pregnant woman in 二七: the incident's, not the team's.
    assert shown["410103"] == ({} if team else {"410103": 1})
    assert shown["410102"] == {}
    jinshui = client.get(links["410105"] or "").text
    mine = "（本队）" if team else ""
    assert _h2(jinshui) == f"金水区 · 郑州暴雨（测试）：各区县求助{mine}"
    assert "张建国" not in jinshui and "13800001111" not in jinshui  # counts only
    if team:  # another team's map is refused to a team member, in both languages
        other = client.get("/console/map", params={"tab": "help", "team": world.teams["fire"]})
        assert other.status_code == 403
        assert "救援队成员只能查看本队的求助" in other.text and "own team" in other.text


@pytest.mark.parametrize(
    ("path", "roles"),
    [("matrix", ("operator", "handler", "dispatcher", "verifier", "team")),
     ("rescue", ("office", "operator", "handler"))],
)  # fmt: skip
def test_who_cannot_open_those_pages_gets_no_map(
    live_server: str, world: ConsoleWorld, path: str, roles: tuple[str, ...]
) -> None:
    url = (f"/console/matrix/{world.matrices['zz']}" if path == "matrix"
           else f"/console/rescue/{world.incident_id}")  # fmt: skip
    for username in roles:
        with httpx.Client(base_url=live_server, timeout=60, headers=HTML) as c:
            login(c, username)
            refused = c.get(url)
            assert refused.status_code == 403, username
            assert 'class="county"' not in refused.text and "/console/map?" not in refused.text
    anonymous = httpx.get(f"{live_server}{url}", headers=HTML, timeout=60)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_the_help_map_of_every_active_incident_and_of_a_team(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    """``incident=active`` totals the active incidents (郑州's two, 洛阳's one); ``team``
    narrows a dispatcher's map to that team, named in the title; bad values are refused."""
    with Session(committed_engine) as session:
        flooded = session.get(HelpRequest, world.help["flooded"])
        assert flooded is not None
        flooded.team_id, flooded.state = world.teams["blue_sky"], "dispatched"
        session.commit()
    login(client, "dispatcher")
    every = client.get("/console/map", params={"tab": "help", "incident": "active"}).text
    assert _h2(every) == "进行中的灾情：各区县求助"
    assert _total(every) == 3 and _cells(every) == {"410105": 1, "410103": 1, LUOYANG_COUNTY: 1}
    assert '<option value="active" selected>全部进行中的灾情</option>' in every
    team = client.get("/console/map", params={"tab": "help", "incident": world.incident_id,
                                              "team": world.teams["blue_sky"]}).text  # fmt: skip
    assert _h2(team) == "郑州暴雨（测试）：各区县求助（蓝天救援队）"
    assert _total(team) == 1 and _cells(team) == {"410105": 1}
    assert f'name="team" value="{world.teams["blue_sky"]}"' in team  # the form keeps it
    missing = client.get("/console/map", params={"tab": "help", "team": 9999})
    assert missing.status_code == 404 and "9999" in missing.text
    bad = client.get("/console/map", params={"tab": "help", "incident": "abc"})
    assert bad.status_code == 422 and "未知的灾情" in bad.text and "unknown incident" in bad.text
