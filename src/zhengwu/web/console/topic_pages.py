"""话题热搜 and 地图: the hot-search archive by day with a word's rank trend, the matrix's
post topics (#话题#), and grid maps of service requests and help posts by county.

The hot-search archive (``hot_search`` in the analytics store) keeps, per day, each title
with its ``band_rank``; it has no heat value and no category, so the page shows what can
be read from it: the rank, the kind of entry (pinned, #topic#, plain search word) and how
many archived days the word was on the list. Post topics are counted over the government
accounts the viewer may open (:func:`~zhengwu.web.console.account_pages.visible_accounts`),
in the last ``days`` days of their posts.

The map page (``/console/map``) has two tabs: 诉求 — the service requests the viewer may
read (:func:`zhengwu.servicedesk.access.readable_requests`) in a month, by county; 求助 —
the help posts of one incident (or of every active one) by county. Only counts are shown:
no text, no names. What a map cannot draw as a tile is listed under it and in its total.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import duckdb
import pyarrow as pa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts import access as access_accounts
from zhengwu.accounts.models import Account, Matrix
from zhengwu.auth.principal import Principal
from zhengwu.errors import ForbiddenError, InvalidInputError
from zhengwu.index.dimensions import arrow_rows
from zhengwu.rescue import access
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.models import Incident
from zhengwu.servicedesk import rates
from zhengwu.storable import MAX_STORED_INT
from zhengwu.web import charts
from zhengwu.web.console import analytics, places
from zhengwu.web.console.account_pages import visible_accounts
from zhengwu.web.console.base import (
    CHINA,
    ConsoleDB,
    ConsoleRoute,
    Pager,
    Viewer,
    render,
    require,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
REQUEST_MAP_ROLES = places.REQUEST_MAP_ROLES  # who reads requests at all
HELP_MAP_ROLES = places.HELP_MAP_ROLES
KIND_LABELS = {"pinned": "置顶", "topic": "话题", "word": "搜索词"}
_HASHES = " #＃"


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
    ).fetchall()
    return bool(found[0][0])


def entry_kind(url: str | None, rank: int | None) -> str:
    """Return the kind of a hot-search entry: pinned (置顶), #topic# (话题) or plain word.

    Pinned entries are the ``Refer=new_time`` ones. An entry of the list without a rank
    (``Refer=top`` before the archive's URLs carried ``band_rank``, all of 2020-11-24) is
    a topic or a word like the ranked ones, not pinned.
    """
    if (url and "Refer=new_time" in url) or (url is None and rank is None):
        return "pinned"
    if url and ("%23" in url or "#" in url):
        return "topic"
    return "word"


def _parse_day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"日期应为 YYYY-MM-DD：{text}", f"day must be YYYY-MM-DD: {text}"
        ) from None


def hot_days(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Return the archived hot-search days, newest first."""
    if not _has_table(con, "hot_search"):
        return []
    rows = con.execute("SELECT DISTINCT day FROM hot_search ORDER BY day DESC").fetchall()
    return [r[0] for r in rows]


def hot_list(con: duckdb.DuckDBPyConnection, day: date, *, limit: int) -> list[dict[str, Any]]:
    """Return a day's hot-search entries (pinned first, then by rank, unranked last) with days on the list."""
    rows = _rows(
        con.execute(
            """WITH d AS (SELECT title, count(DISTINCT day) AS days_on_list
                          FROM hot_search GROUP BY title)
               SELECT h.rank, h.title, h.url, d.days_on_list
               FROM hot_search h JOIN d USING (title) WHERE h.day = ?
               ORDER BY h.url LIKE '%Refer=new_time%' OR (h.url IS NULL AND h.rank IS NULL)
                        DESC, h.rank NULLS LAST, h.title LIMIT ?""",
            [day, limit],
        )
    )
    for row in rows:
        row["kind"] = entry_kind(row["url"], row["rank"])
    return rows


def word_trend(
    con: duckdb.DuckDBPyConnection, word: str, days: list[date]
) -> tuple[list[str], list[int | None], int]:
    """Return (day labels, best rank per archived day or None, days the word was listed)."""
    found = dict(
        con.execute(
            "SELECT day, min(rank) FROM hot_search WHERE trim(title, ?) = trim(?, ?) GROUP BY day",
            [_HASHES, word, _HASHES],
        ).fetchall()
    )
    ordered = sorted(days)
    return [d.isoformat() for d in ordered], [found.get(d) for d in ordered], len(found)


TOPIC_ACCOUNTS = 10  # accounts named per topic row; the rest are one link away
TOPIC_ACCOUNT_PAGE = 100  # accounts per page of one topic's account list


TOPIC_ACCOUNTS_SCHEMA = pa.schema(
    [("platform", pa.string()), ("uid", pa.string()), ("name", pa.string())]
)


def topic_account_table(session: Session, principal: Principal) -> pa.Table:
    """Return the government accounts ``principal`` may open (platform, uid, name) as Arrow.

    Only the three columns are read, in batches, straight into Arrow (no ORM object per
    account): an admin's topics cover the national registry of 180,000 accounts. The
    accounts an import of citizens' posts registered (help posts, requests on Weibo) are
    no government's: an admin's 本矩阵发文话题 listed them by nickname (#暴雨互助# with
    hundreds of private persons).
    """
    query = (
        visible_accounts(session, principal)
        .where(Account.is_government.is_(True))
        .with_only_columns(Account.platform, Account.uid, Account.name)
    )
    return arrow_rows(session, query, TOPIC_ACCOUNTS_SCHEMA)


def _topic_rows(
    con: duckdb.DuckDBPyConnection, accounts: pa.Table, *, days: int, sql: str,
    params: dict[str, Any],
) -> tuple[list[dict[str, Any]], date | None]:  # fmt: skip
    """Run ``sql`` over ``t`` (one row per account, post and topic in the last ``days`` days).

    ``sql`` is the final SELECT; it reads the common table ``t`` (platform, post_id, name,
    topic). Returns its rows and the last China day counted.
    """
    if not accounts.num_rows or not _has_table(con, "posts"):
        return [], None
    con.complete()
    con.register("topic_accounts_in", accounts)
    try:
        last = con.execute(
            """SELECT max(created_at) FROM posts p
               SEMI JOIN topic_accounts_in a ON a.platform = p.platform AND a.uid = p.account_uid
               WHERE len(p.topics) > 0"""
        ).fetchall()[0][0]
        if last is None:
            return [], None
        end = (last + timedelta(hours=8)).date()
        start = end - timedelta(days=days - 1)
        rows = _rows(
            con.execute(
                f"""WITH t AS (
                        SELECT DISTINCT p.platform, p.post_id, a.name,
                               trim(unnest(p.topics), $hashes) AS topic
                        FROM posts p JOIN topic_accounts_in a
                          ON a.platform = p.platform AND a.uid = p.account_uid
                        WHERE CAST(p.created_at + INTERVAL 8 HOUR AS DATE) BETWEEN $start AND $end)
                    {sql}""",
                {"start": start, "end": end, "hashes": _HASHES} | params,
            )
        )
    finally:
        con.unregister("topic_accounts_in")
    return rows, end


def post_topics(
    con: duckdb.DuckDBPyConnection, accounts: pa.Table, *, days: int, limit: int = 40
) -> tuple[list[dict[str, Any]], date | None]:
    """Return the topics (#话题#) of ``accounts``' posts in their last ``days`` days.

    Each topic has its posts, how many accounts posted it, the :data:`TOPIC_ACCOUNTS`
    accounts with most posts on it (``accounts``; a national hashtag is used by tens of
    thousands) and whether the same words were on the hot-search list; the second value
    is the last China day counted.
    """
    hot = "(SELECT DISTINCT trim(title, $hashes) AS t FROM hot_search)"
    on_hot = f"p.topic IN {hot}" if _has_table(con, "hot_search") else "false"
    sql = f"""
        , c AS (SELECT t.topic, t.name, count(DISTINCT (t.platform, t.post_id)) AS n
                FROM t WHERE t.topic <> '' GROUP BY t.topic, t.name)
        , p AS (SELECT t.topic, count(DISTINCT (t.platform, t.post_id)) AS posts
                FROM t WHERE t.topic <> '' GROUP BY t.topic
                ORDER BY posts DESC, t.topic LIMIT $limit)
        SELECT p.topic, any_value(p.posts) AS posts, count(*) AS n_accounts,
               list_slice(list(c.name ORDER BY c.n DESC, c.name), 1, $shown) AS accounts,
               bool_or({on_hot}) AS on_hot_search
        FROM p JOIN c USING (topic) GROUP BY p.topic ORDER BY posts DESC, p.topic"""
    return _topic_rows(con, accounts, days=days, sql=sql,
                       params={"limit": limit, "shown": TOPIC_ACCOUNTS})  # fmt: skip


def topic_accounts(
    con: duckdb.DuckDBPyConnection, accounts: pa.Table, topic: str, *, days: int,
    offset: int, limit: int,
) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """Return one page of the accounts that posted ``topic`` (name, posts), most posts first.

    The second value is how many accounts posted it in the window.
    """
    sql = """
        , c AS (SELECT t.name, count(DISTINCT (t.platform, t.post_id)) AS posts
                FROM t WHERE t.topic = trim($topic, $hashes) GROUP BY t.name)
        SELECT name, posts, count(*) OVER () AS total FROM c
        ORDER BY posts DESC, name LIMIT $limit OFFSET $offset"""
    rows, _ = _topic_rows(con, accounts, days=days, sql=sql,
                          params={"topic": topic, "limit": limit, "offset": offset})  # fmt: skip
    if rows or not offset:
        return rows, int(rows[0]["total"]) if rows else 0
    # Past the end (a stale link): count them, so the page can offer the last page.
    counted, _ = _topic_rows(con, accounts, days=days, params={"topic": topic},
                             sql="SELECT count(DISTINCT name) AS total FROM t WHERE t.topic = trim($topic, $hashes)")  # fmt: skip
    return [], int(counted[0]["total"]) if counted else 0


@router.get("/console/topics", response_class=HTMLResponse)
def topics(
    request: Request, db: ConsoleDB, principal: Viewer, day: str = "", word: str = "",
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    limit: Annotated[int, Query(ge=1, le=2000)] = 60, topic: str = "",
    offset: Annotated[int, Query(ge=0, le=MAX_STORED_INT)] = 0,
) -> HTMLResponse:  # fmt: skip
    """Show the hot-search list of a day, a word's rank trend and the matrix's post topics.

    Each topic row names its :data:`TOPIC_ACCOUNTS` busiest accounts; ``topic`` lists all
    the accounts that posted it, :data:`TOPIC_ACCOUNT_PAGE` a page (``offset``).
    """
    require(principal, "topics")
    chosen = _parse_day(day)
    accounts = topic_account_table(db, principal)
    topic = topic.strip().strip(_HASHES)
    with analytics.analytics() as con:
        archive = hot_days(con)
        if chosen is None and archive:
            chosen = archive[0]
        entries = hot_list(con, chosen, limit=limit) if chosen and chosen in archive else []
        word = word.strip()
        if not word and entries:
            word = next((e["title"] for e in entries if e["rank"] is not None), "")
        labels, ranks, listed = word_trend(con, word, archive) if word else ([], [], 0)
        mine, topics_end = post_topics(con, accounts, days=days)
        posters: list[dict[str, Any]] = []
        pager: Pager | None = None
        if topic:
            posters, total = topic_accounts(con, accounts, topic, days=days,
                                            offset=offset, limit=TOPIC_ACCOUNT_PAGE)  # fmt: skip
            pager = Pager(total=total, offset=offset, size=TOPIC_ACCOUNT_PAGE,
                          params={"days": days if days != 30 else None, "topic": topic},
                          anchor="topic-accounts")  # fmt: skip
            if not posters and total:  # past the end: show the last page
                posters, _ = topic_accounts(con, accounts, topic, days=days,
                                            offset=pager.offset, limit=TOPIC_ACCOUNT_PAGE)  # fmt: skip
    trend = charts.rank_trend(labels, ranks, title=f"「{word}」在各存档日的热搜名次")
    topic_chart = charts.bar_chart(
        [(f"#{t['topic']}#", float(t["posts"])) for t in mine[:15]],
        title="本矩阵发文话题（条）", unit=" 条", color=charts.PALETTE[0],
    )  # fmt: skip
    return render(
        request, "topics.html", area="topics", archive=archive, day=chosen, entries=entries,
        word=word, trend=trend, listed=listed, mine=mine, topics_end=topics_end, days=days,
        topic_chart=topic_chart, kind_labels=KIND_LABELS, n_accounts=accounts.num_rows, limit=limit,
        topic=topic, posters=posters, pager=pager, shown_per_topic=TOPIC_ACCOUNTS,
    )  # fmt: skip


# ---- 地图 -----------------------------------------------------------------------------------


ACTIVE = "active"  # the help map of every active incident (what the matrix page counts)


def request_map(
    session: Session, principal: Principal, period: str, area: str | None = None,
    matrix: Matrix | None = None,
) -> places.CountedMap:  # fmt: skip
    """Return the map of the requests ``principal`` may read in ``period``, or with a
    ``matrix`` of the requests that matrix's 受理量 counts
    (:func:`zhengwu.servicedesk.rates.matrix_adcodes`, what its page's map draws): within
    ``area`` when given, else the whole map — the viewer's own area (the matrix's region)
    with what lies outside it or has no place counted beside the tiles, so its total is
    every request the viewer reads in the period (the matrix's 受理量)."""
    start, end = rates.period_bounds(period)
    if matrix is not None:
        counts = rates.matrix_adcodes(session, matrix, start=start, end=end)
        own = matrix.adcode
    else:
        counts = places.request_adcodes(session, principal, start, end)  # counted in SQL
        own = places.own_area(session, principal)
    if area:
        return places.counted_map(area, counts, {})
    return places.counted_map(own, counts, {}, whole=True)


def help_map(
    session: Session, incident: Incident | None, area: str | None = None,
    team_id: int | None = None,
) -> places.CountedMap:  # fmt: skip
    """Return the map of an incident's help requests (``incident`` None: of every active
    incident), ``team_id``'s only when given: within ``area`` when given, else the
    incident's whole map (its region when it has one), whose total is every request its
    queue lists. One GROUP BY, no help request read into the server."""
    counts = places.help_adcodes(
        session, incident_id=incident.id if incident else None, team_id=team_id
    )
    if area:
        return places.counted_map(area, {}, counts)
    own = incident.regions[0] if incident and len(incident.regions) == 1 else None
    return places.counted_map(own, {}, counts, whole=True)


def _chosen_area(area: str, own: str | None, top: str | None) -> str | None:
    """Return the division ``area`` names (None for the whole map, whose area is ``top``),
    refusing one unknown or outside ``own``, the area of the viewer's own map."""
    area = area.strip()
    if not area:
        return None
    division = regions.get(area)
    if division is None:
        raise InvalidInputError(f"未知的行政区划代码：{area}", f"unknown division code: {area}")
    if not places.within(own, division.adcode):
        raise ForbiddenError(
            f"{division.name}不在本矩阵的地区内", f"{division.adcode} is outside your matrix's area"
        )
    return None if division.adcode == top else division.adcode


def _incident_choice(raw: str) -> int | str | None:
    """Read the help map's ``incident``: an id, ``active`` (every active incident), or
    nothing (the latest active one)."""
    raw = raw.strip()
    if not raw:
        return None
    if raw == ACTIVE:
        return ACTIVE
    if not raw.isdigit():
        raise InvalidInputError(f"未知的灾情：{raw}", f"unknown incident: {raw}")
    return int(raw)


@router.get("/console/map", response_class=HTMLResponse)
def county_map(
    request: Request, db: ConsoleDB, principal: Viewer, tab: str = "", period: str = "",
    incident: str = "", area: str = "", team: int | None = None, matrix: int | None = None,
) -> HTMLResponse:  # fmt: skip
    """Show requests (诉求) in a month, or help posts (求助) of an incident, by division.

    ``area`` (a division code) draws one province, city or county of the map; a map too
    large to read by county shows cities or provinces (:func:`places.counted_map`), each
    of which the table below opens as such an area. The tabs are named by what they count
    (诉求地图 / 求助地图); the title says what the cells are (各区县 / 各市 / 各省份). The
    county maps of the matrix page and of an incident's queue open this page on a tile's
    division, each count on the map of its kind (:func:`places.map_links`). The help map's
    ``incident`` is an id or ``active`` (every active incident, what the matrix page
    counts); ``team`` limits it to one team's requests (a team member: only their own,
    what their queue's map counts). The request map's ``matrix`` (an id: a matrix the viewer
    oversees, as its page) counts that matrix's 受理量 instead of everything the viewer
    reads — what the matrix page's map draws and links to. What the map holds but cannot draw as a tile — located
    only to a coarser division, outside the map's area, no place — is listed below it and
    in its total: the total is what the lists count.
    """
    if not principal.is_authenticated:
        require(principal, "desk")  # → login page
    may_requests = principal.has_role(*REQUEST_MAP_ROLES)
    may_help = principal.has_role(*HELP_MAP_ROLES)
    if not (may_requests or may_help):
        raise ForbiddenError(
            f"当前角色（{principal.role_label}）无权查看地图",
            f"role {principal.role!r} may not open the map",
        )
    tab = tab or ("requests" if may_requests else "help")
    if tab not in ("requests", "help"):
        raise InvalidInputError(f"未知的地图：{tab}", f"unknown map tab: {tab}")
    if (tab == "requests" and not may_requests) or (tab == "help" and not may_help):
        raise ForbiddenError(
            "当前角色无权查看这张地图", f"role {principal.role!r} may not open the {tab} map"
        )
    # A matrix office's request map is its matrix's area; an incident's help map is the
    # incident's, whoever looks at it.
    own = places.own_area(db, principal) if tab == "requests" else None
    of = (
        access_accounts.get_manageable_matrix(db, principal, matrix)
        if tab == "requests" and matrix is not None
        else None
    )
    top = of.adcode if of is not None else own  # the area of the whole map
    chosen_area = _chosen_area(area, own, top)
    division = regions.get(chosen_area) if chosen_area else None
    context: dict[str, Any] = {"tab": tab, "may_requests": may_requests, "may_help": may_help}
    link: dict[str, str | int] = {"tab": tab}
    if tab == "requests":
        latest = rates.latest_readable_month(db, principal)
        asked = period.strip()
        period = asked or latest or f"{datetime.now(CHINA):%Y-%m}"
        counted = request_map(db, principal, period, chosen_area, of)
        title = f"{places.cells_label(counted.cells)}诉求（{period}）"
        if of is not None:
            title = f"{of.name}：{title}"
        context |= {"period": period, "period_is_latest": not asked and latest is not None,
                    "latest_period": latest, "map_matrix": of}  # fmt: skip
        link["period"] = period
        if of is not None:
            link["matrix"] = of.id
    else:
        incidents = rescue_service.list_incidents(db)
        incidents.sort(key=lambda i: i.status != "active")
        choice = _incident_choice(incident)
        chosen = (
            rescue_service.get_incident(db, incident_id=choice)
            if isinstance(choice, int)
            else (incidents[0] if incidents and choice is None else None)
        )
        team_id = access.queue_team(principal, team) if team is not None else None
        mine = ""
        if team_id is not None:  # a 404 for a team that is not
            named = rescue_service.get_team(db, team_id=team_id).name
            mine = "（本队）" if principal.role == "team" else f"（{named}）"
        if chosen is not None or choice == ACTIVE:
            counted = help_map(db, chosen, chosen_area, team_id)
        else:
            counted = places.CountedMap([], [])
        what = chosen.name if chosen else "进行中的灾情" if choice == ACTIVE else None
        title = f"{what}：{places.cells_label(counted.cells)}求助{mine}" if what else "求助地图"
        context |= {"incidents": incidents, "incident": chosen, "all_active": choice == ACTIVE,
                    "team_id": team_id}  # fmt: skip
        if chosen:
            link["incident"] = chosen.id
        elif choice == ACTIVE:
            link["incident"] = ACTIVE
        if team_id is not None:
            link["team"] = team_id
    if division is not None:
        title = f"{division.name} · {title}"
    cells = counted.cells
    shown = sorted(
        (c for c in cells if c.requests or c.help_requests),
        key=lambda c: (-(c.requests + c.help_requests), c.adcode),
    )
    # A province or city cell opens as an area of its own; the way back goes one level up.
    opens = places.map_links([c.adcode for c in shown if regions.children(c.adcode)], link,
                             own=own)  # fmt: skip
    # What is listed beside the map under a division opens that division's map too.
    beside = places.map_links([u.adcode for u in counted.unplaced if u.adcode], link, own=own)
    up = None
    if division is not None:
        parent = division.parent if division.parent != top else None
        up = f"/console/map?{urlencode(link | ({'area': parent} if parent else {}))}"
    kind = "requests" if tab == "requests" else "help"
    return render(
        request, "topics_map.html", area="map",
        chart=charts.county_grid(cells, title=title, links=opens, kinds=(kind,)),
        cells=shown, total=counted.total(kind), title=title, unplaced=counted.unplaced,
        beside=beside, opens=opens, up=up, map_area=division, **context,
    )  # fmt: skip
