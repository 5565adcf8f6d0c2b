"""Long console lists come a page at a time over real HTTP, and the pager links work.

A national-scale run (420k accounts, 255k organisations) made the matrix, topics, routing
and rescue-queue pages tens of megabytes: every member, every account of a hashtag, every
organisation as a select option, every help request on one page. Each test here makes more
rows than one page holds and follows the page's own next-page link.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyarrow as pa
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu import regions
from zhengwu.accounts.models import Account, MatrixMember, Organization
from zhengwu.auth import service as auth_service
from zhengwu.content import store
from zhengwu.rescue import intake as rescue_intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import HelpSubmission
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRuleCreate
from zhengwu.web.console.matrix_pages import MEMBER_PAGE
from zhengwu.web.console.rescue_pages import QUEUE_PAGE
from zhengwu.web.console.settings_pages import ROUTING_PAGE
from zhengwu.web.console.topic_pages import TOPIC_ACCOUNT_PAGE, TOPIC_ACCOUNTS

from .test_console_world import ConsoleWorld, build_console_world, login

HTML = {"Accept": "text/html"}
EXTRA = 120  # more than one page of every list below (each page holds 100)
pytestmark = pytest.mark.client(timeout=120)  # long pages: the console's client waits longer


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, committed (no index run: these pages do not need one)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


def _next(html: str, pager_id: str) -> str:
    """Return the next-page link of the pager ``pager_id`` (fails when there is none)."""
    pager = re.search(rf'<p class="pager" id="{pager_id}">(.*?)</p>', html, re.S)
    assert pager is not None, f"no pager {pager_id}"
    found = re.search(r'<a href="([^"]+)" rel="next">', pager[1])
    assert found is not None, f"no next link in {pager_id}"
    return found[1].replace("&amp;", "&")


def _add_accounts(engine: Engine, n: int, *, matrix_id: int | None = None) -> list[int]:
    """Add ``n`` government weibo accounts (members of ``matrix_id`` when given)."""
    with Session(engine) as session:
        made = [Account(platform="weibo", uid=f"9{i:05d}", name=f"测试账号{i:03d}",
                        is_government=True, followers=i) for i in range(n)]  # fmt: skip
        session.add_all(made)
        session.flush()
        if matrix_id is not None:
            session.add_all(MatrixMember(matrix_id=matrix_id, account_id=a.id) for a in made)
        session.commit()
        return [a.id for a in made]


def _members(engine: Engine, matrix_id: int) -> set[int]:
    with Session(engine) as session:
        found = session.scalars(
            select(MatrixMember.account_id).where(MatrixMember.matrix_id == matrix_id)
        )
        return set(found)


def test_matrix_members_come_a_page_at_a_time(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    zz = world.matrices["zz"]
    _add_accounts(committed_engine, EXTRA, matrix_id=zz)
    total = len(_members(committed_engine, zz))
    assert total > MEMBER_PAGE
    csrf = login(client, "office")
    first = client.get(f"/console/matrix/{zz}").text
    assert re.search(rf'id="stat-accounts">{total}<', first)  # the counts cover everyone
    rows = re.findall(r'<tr data-account="(\d+)">', first)
    assert len(rows) == MEMBER_PAGE
    assert first.count("/remove") == MEMBER_PAGE  # one remove form per shown member only
    assert f"共 {total} 条，第 1–{MEMBER_PAGE} 条" in first
    link = _next(first, "member-pager")
    assert parse_qs(urlsplit(link).query)["moffset"] == [str(MEMBER_PAGE)]
    second = client.get(link).text
    rest = re.findall(r'<tr data-account="(\d+)">', second)
    assert len(rest) == total - MEMBER_PAGE
    assert not set(rest) & set(rows)
    assert 'rel="prev"' in second
    # The failing-account table (the new accounts never posted) is paged on its own.
    failing = first[first.index('id="compliance"') : first.index('id="rates"')]
    assert failing.count('<tr class="failing">') == MEMBER_PAGE
    assert "foffset=100" in _next(first, "failing-pager")
    # Removing from page 2 works and comes back to page 2.
    gone = int(rest[0])
    removed = client.post(f"/console/matrix/{zz}/members/{gone}/remove",
                          data={"confirm": "yes", "moffset": str(MEMBER_PAGE),
                                "csrf_token": csrf})  # fmt: skip
    assert removed.status_code == 303
    assert f"moffset={MEMBER_PAGE}" in removed.headers["location"]
    assert gone not in _members(committed_engine, zz)
    assert len(re.findall(r"<tr data-account=", client.get(removed.headers["location"]).text)) == (
        total - 1 - MEMBER_PAGE
    )
    # The member search narrows the table, and its pages keep the search.
    found = client.get(f"/console/matrix/{zz}", params={"mq": "测试账号01"}).text
    assert len(re.findall(r"<tr data-account=", found)) == 10  # 测试账号010 … 019
    assert "找到 10 个" in found
    assert 'id="member-pager"' not in found
    by_uid = client.get(f"/console/matrix/{zz}", params={"mq": "900007"}).text
    assert re.findall(r'<tr data-account="\d+">.*?测试账号(\d+)', by_uid, re.S) == ["007"]
    # The adding form is still there and works.
    added = client.post(f"/console/matrix/{zz}/members",
                        data={"platform": "weibo", "uid": "2001", "csrf_token": csrf})  # fmt: skip
    assert added.status_code in (303, 403)  # 洛阳住建 is outside the office's scope …
    admin = httpx.Client(base_url=str(client.base_url), timeout=120, headers=HTML)
    with admin:
        admin_csrf = login(admin, "admin")
        made = admin.post(f"/console/matrix/{zz}/members",
                          data={"platform": "weibo", "uid": "2001", "csrf_token": admin_csrf})  # fmt: skip
        assert made.status_code == 303  # … the admin adds it
    assert world.accounts["ly_weibo"] in _members(committed_engine, zz)


def _failing_ids(html: str) -> list[str]:
    section = html[html.index('id="compliance"') : html.index('id="rates"')]
    return re.findall(r'<tr class="failing">.*?/console/accounts/(\d+)"', section, re.S)


def test_matrix_failing_accounts_pages_hold_each_once(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    """The failing table is cut in DuckDB: its pages give each failing member exactly once."""
    zz = world.matrices["zz"]
    _add_accounts(committed_engine, EXTRA, matrix_id=zz)
    login(client, "office")
    first = client.get(f"/console/matrix/{zz}").text
    counted = re.search(r'id="stat-failing">(\d+)<', first)
    assert counted is not None
    failing = int(counted[1])
    assert MEMBER_PAGE < failing <= 2 * MEMBER_PAGE
    second = client.get(f"/console/matrix/{zz}", params={"foffset": MEMBER_PAGE}).text
    seen = _failing_ids(first) + _failing_ids(second)
    assert len(seen) == len(set(seen)) == failing
    assert set(seen) <= {str(a) for a in _members(committed_engine, zz)}
    # A stale link past the end shows the last page; the member table stays on its first.
    stale = client.get(f"/console/matrix/{zz}", params={"foffset": 10 * MEMBER_PAGE}).text
    assert _failing_ids(stale) == _failing_ids(second)
    assert re.findall(r'<tr data-account="(\d+)">', stale) == re.findall(
        r'<tr data-account="(\d+)">', first
    )


def test_matrix_tree_shows_counts_not_every_member(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    police = world.matrices["zz_police"]
    _add_accounts(committed_engine, EXTRA, matrix_id=police)
    login(client, "office")
    page = client.get(f"/console/matrix/{world.matrices['zz']}").text
    tree = page[page.index('id="tree"') :]
    row = re.search(rf'data-tree-matrix="{police}">(.*?)</li>', tree, re.S)
    assert row is not None and f"{EXTRA + 2} 个账号" in row[1]
    members = page[page.index('id="members"') :]
    members = members[: members.index("</section>")]
    assert "测试账号" not in members  # the sub-matrix's members are on its own page
    # The compliance check covers them (the office's subtree), each naming its matrix.
    failing = page[page.index('class="compliance-table"') :]
    assert "测试账号" in failing and ">郑州公安新媒体矩阵</td>" in failing
    own = client.get(f"/console/matrix/{police}").text
    assert len(re.findall(r"<tr data-account=", own)) == MEMBER_PAGE


def _topic_posts(names: list[tuple[str, str]]) -> pa.Table:
    """Posts tagged #民生#: one per account, three more for the first three (the busiest)."""
    rows: list[dict[str, Any]] = []
    for i, (uid, _) in enumerate(names):
        for k in range(4 if i < 3 else 1):
            rows.append({
                "seq": len(rows), "is_primary": True, "platform": "weibo",
                "post_id": f"m{i}-{k}", "account_uid": uid,
                "created_at": datetime(2025, 7, 20, 3) + timedelta(minutes=k),
                "text": "#民生# 测试", "topics": ["民生"], "mentions": [], "is_repost": False,
                "reposts": 0, "comments": 0, "likes": 0, "observed_at": datetime(2025, 8, 5),
            })  # fmt: skip
    return pa.Table.from_pylist(rows, schema=store.POST_SCHEMA)


def test_a_topic_names_its_busiest_accounts_and_pages_the_rest(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    _add_accounts(committed_engine, EXTRA)
    names = [(f"9{i:05d}", f"测试账号{i:03d}") for i in range(EXTRA)]
    with store.open_store() as con:
        store.write_posts(con, _topic_posts(names))
    login(client, "admin")
    page = client.get("/console/topics").text
    row = re.search(r"<td>#民生#</td><td>(\d+)</td><td>(\d+)</td>\s*<td>(.*?)</td>", page, re.S)
    assert row is not None
    assert (int(row[1]), int(row[2])) == (EXTRA + 9, EXTRA)
    shown = row[3].split(" <a")[0].split("、")
    assert len(shown) == TOPIC_ACCOUNTS
    assert shown[:3] == ["测试账号000", "测试账号001", "测试账号002"]  # most posts first
    more = re.search(r'<a class="more-accounts" href="([^"]+)">等 (\d+) 个账号', row[3])
    assert more is not None and int(more[2]) == EXTRA
    first = client.get("/console/topics" + more[1].replace("&amp;", "&")).text
    listed = first[first.index('id="topic-accounts"') :]
    firsts = re.findall(r"<tr><td>(测试账号\d+)</td><td>(\d+)</td></tr>", listed)
    assert len(firsts) == TOPIC_ACCOUNT_PAGE
    assert firsts[0] == ("测试账号000", "4")
    second = client.get("/console/topics" + _next(listed, "topic-accounts-pager")).text
    rest = re.findall(r"<tr><td>(测试账号\d+)</td>", second[second.index('id="topic-accounts"') :])
    assert len(rest) == EXTRA - TOPIC_ACCOUNT_PAGE
    assert not set(rest) & {n for n, _ in firsts}


def _counties(prefix: str, n: int, skip: set[str]) -> list[str]:
    found = sorted(code for code, d in regions.divisions().items()
                   if d.level == "county" and code.startswith(prefix) and code not in skip)  # fmt: skip
    assert len(found) >= n
    return found[:n]


def test_routing_rules_are_paged_and_filtered_without_an_organisation_list(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    henan = _counties("41", EXTRA, {"410102", "410105"})  # those two have rules already
    hubei = _counties("42", 5, set())
    with Session(committed_engine) as session:
        # Organisations no rule routes to: the old page listed every one as an option.
        session.add_all(Organization(name=f"无关机构{i:03d}", level="县", sector="其他")
                        for i in range(300))  # fmt: skip
        session.flush()
        rules = [
            RoutingRuleCreate(category_code=None, adcode=code, organization_id=world.orgs["police"])
            for code in henan
        ]
        rules += [RoutingRuleCreate(category_code=None, adcode=code,
                                    organization_id=world.orgs["ly_housing"]) for code in hubei]  # fmt: skip
        routing_service.add_rules(session, rules=rules, actor=desk_service.SYSTEM, note="多")
        session.commit()
    total = EXTRA + 5 + 2
    login(client, "admin")
    first = client.get("/console/settings/routing")
    assert first.status_code == 200
    assert "无关机构" not in first.text  # no organisation list in the page
    assert '<select id="f-organization_id"' not in first.text
    assert len(re.findall(r'<tr id="rule-\d+">', first.text)) == ROUTING_PAGE
    assert first.text.count("routing-retire") == ROUTING_PAGE
    assert f"规则共 {total} 条" in first.text
    second = client.get(_next(first.text, "routing-pager")).text
    assert len(re.findall(r'<tr id="rule-\d+">', second)) == total - ROUTING_PAGE
    # Filters: a region (code or name, it and below), an organisation's name; pages keep them.
    hubei_only = client.get("/console/settings/routing", params={"region": "42"}).text
    assert len(re.findall(r'<tr id="rule-\d+">', hubei_only)) == 5
    assert "规则共 5 条" in hubei_only
    by_org = client.get("/console/settings/routing", params={"org": "公安", "region": "河南省"})
    assert f"规则共 {EXTRA + 1} 条" in by_org.text  # 410102 → 公安 from the test city too
    link = _next(by_org.text, "routing-pager")
    assert parse_qs(urlsplit(link).query) == {"org": ["公安"], "region": ["河南省"],
                                              "offset": [str(ROUTING_PAGE)]}  # fmt: skip
    assert len(re.findall(r'<tr id="rule-\d+">', client.get(link).text)) == EXTRA + 1 - ROUTING_PAGE
    bad = client.get("/console/settings/routing", params={"region": "火星"})
    assert bad.status_code == 422
    assert "未知的区划" in bad.text and "unknown division" in bad.text
    # The organisation is looked up by name: a few matches, not 255,000 options.
    lookup = client.get("/console/settings/routing", params={"org_q": "无关机构"}).text
    matches = lookup[lookup.index('id="org-matches"') : lookup.index('id="routing-form"')]
    assert len(re.findall(r'<tr data-org="\d+">', matches)) == 20
    assert "只列出前 20 个" in matches
    one = client.get("/console/settings/routing", params={"org_q": "中原区文化"}).text
    assert f'name="organization_id" value="{world.orgs["zy_culture"]}"' in one  # one: taken
    assert 'id="chosen-org">郑州市中原区文化广电和旅游局' in one


def test_routing_rule_added_by_organisation_name(client: httpx.Client, world: ConsoleWorld) -> None:
    csrf = login(client, "admin")
    added = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "category_code": "", "adcode": "410103",
        "organization_id": "郑州市中原区文化广电和旅游局",
    })  # fmt: skip
    assert added.status_code == 303
    rules = client.get("/api/desk/routing/rules", headers={"Accept": "application/json"}).json()
    assert ("410103", world.orgs["zy_culture"]) in {
        (r["adcode"], r["organization_id"]) for r in rules
    }
    unknown = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "adcode": "410103", "organization_id": "没有这个机构"})  # fmt: skip
    assert unknown.status_code == 422
    assert "找不到您可派单的机构「没有这个机构」" in unknown.text
    assert 'value="没有这个机构"' in unknown.text  # what was typed stays in the box


def test_rescue_queue_is_paged_and_keeps_its_search(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    with Session(committed_engine) as session:
        incident = rescue_service.get_incident(session, incident_id=world.incident_id)
        for i in range(EXTRA):
            data = HelpSubmission(
                text=f"第{i}户被困，水深齐腰，请求救援转移", name=f"求助人{i}",
                phone=f"137{i:08d}", address=f"郑州市金水区测试路{i}号", people=1 + i % 4,
            )  # fmt: skip
            rescue_intake.submit(session, incident=incident, data=data,
                                 actor=rescue_service.SYSTEM)  # fmt: skip
        session.commit()
    login(client, "dispatcher")
    first = client.get(f"/console/rescue/{world.incident_id}").text
    ids = re.findall(r'href="/console/rescue/requests/(\d+)">处理', first)
    assert len(ids) == QUEUE_PAGE
    scores = [float(s) for s in re.findall(r'<b class="score">([\d.]+)</b>', first)]
    second = client.get(f"/console/rescue/{world.incident_id}" + _next(first, "queue-pager")).text
    more = re.findall(r'href="/console/rescue/requests/(\d+)">处理', second)
    assert len(more) == EXTRA + 2 - QUEUE_PAGE
    assert not set(more) & set(ids)
    later = [float(s) for s in re.findall(r'<b class="score">([\d.]+)</b>', second)]
    assert max(later) <= min(scores)  # the order runs on across pages
    # A search and a state filter stay on the next page.
    found = client.get(f"/console/rescue/{world.incident_id}",
                       params={"q": "测试路", "state": "all"}).text  # fmt: skip
    assert f"找到 {EXTRA} 条" in found
    link = _next(found, "queue-pager")
    assert parse_qs(urlsplit(link).query) == {"q": ["测试路"], "state": ["all"],
                                              "offset": [str(QUEUE_PAGE)]}  # fmt: skip
    tail = client.get(f"/console/rescue/{world.incident_id}" + link).text
    assert len(re.findall(r'requests/(\d+)">处理', tail)) == EXTRA - QUEUE_PAGE
    assert 'value="测试路"' in tail
    past = client.get(f"/console/rescue/{world.incident_id}", params={"offset": 5000}).text
    assert len(re.findall(r'requests/(\d+)">处理', past)) == EXTRA + 2 - QUEUE_PAGE  # last page
