"""The account and matrix JSON API over real HTTP, route by route and role by role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember
from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.ingest.models import QuarantineEntry

from .test_access import (
    ACCOUNTS,
    MANAGEABLE_MATRICES,
    READABLE_ACCOUNTS,
    READABLE_MATRICES,
    READABLE_ORGS,
    ROLES,
    World,
    build_world,
)


@pytest.fixture
def world(committed_engine: Engine) -> World:
    """The access tests' world, committed, with an API token per user."""
    with Session(committed_engine) as session:
        found = build_world(session, with_tokens=True)
        session.commit()
    return found


@pytest.fixture
def client(live_server: str) -> Iterator[httpx.Client]:
    """An HTTP client of the running app."""
    with httpx.Client(base_url=live_server, timeout=60) as c:
        yield c


def _all_pages(
    client: httpx.Client, url: str, headers: dict[str, str], *, limit: int, **params: Any
) -> list[dict[str, Any]]:
    """Return every item of a paged list, page by page, checking each page's total."""
    items: list[dict[str, Any]] = []
    totals = set()
    offset = 0
    while True:
        r = client.get(url, headers=headers, params={**params, "limit": limit, "offset": offset})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["limit"], body["offset"]) == (limit, offset)
        totals.add(body["total"])
        items += body["items"]
        if not body["items"]:
            break
        assert len(body["items"]) <= limit
        offset += limit
    assert totals == {len(items)}, (totals, len(items))
    return items


def test_reads_per_role(client: httpx.Client, world: World) -> None:
    names = {v: k for k, v in world.matrices.items()}
    accounts = {v: k for k, v in world.accounts.items()}
    orgs = {v: k for k, v in world.orgs.items()}
    for role in ROLES:
        h = world.headers(role)
        listing = client.get("/api/accounts", headers=h, params={"kind": "all"})
        tree = client.get("/api/matrices", headers=h)
        organizations = client.get("/api/organizations", headers=h)
        if role not in READABLE_MATRICES:
            for refused in (listing, tree, organizations):
                assert refused.status_code == 403, (role, refused.text)
                body = refused.json()
                assert body["message_zh"] and body["message_en"]
                assert ("请先登录" in body["message_zh"]) == (role == "public")
            assert client.get(f"/api/matrices/{world.matrices['zz']}", headers=h).status_code == 403
            assert client.get("/api/matrices/987654", headers=h).status_code == 403
            members = client.get(f"/api/matrices/{world.matrices['zz']}/members", headers=h)
            assert members.status_code == 403
            continue
        assert listing.status_code == 200, (role, listing.text)
        page = listing.json()
        assert page["total"] == len(READABLE_ACCOUNTS[role])
        assert {accounts[a["id"]] for a in page["items"]} == READABLE_ACCOUNTS[role], role
        flat = _all_pages(client, "/api/matrices", h, limit=1)
        assert len({n["id"] for n in flat}) == len(flat), role  # no matrix on two pages
        assert tree.json()["total"] == len(flat)
        assert {names[n["id"]] for n in flat} == READABLE_MATRICES[role], role
        assert {orgs[o["id"]] for o in organizations.json()["items"]} == READABLE_ORGS[role], role
        assert organizations.json()["total"] == len(READABLE_ORGS[role]), role
        for key, matrix_id in world.matrices.items():
            detail = client.get(f"/api/matrices/{matrix_id}", headers=h)
            members = client.get(f"/api/matrices/{matrix_id}/members", headers=h)
            if key in READABLE_MATRICES[role]:
                assert detail.status_code == 200
                assert detail.json()["may_manage"] is (key in MANAGEABLE_MATRICES.get(role, set()))
                assert members.status_code == 200
                assert members.json()["total"] == detail.json()["member_count"]
            else:
                assert detail.status_code == 403, (role, key)
                assert members.status_code == 403, (role, key)
        for key, account_id in world.accounts.items():
            detail = client.get(f"/api/accounts/{account_id}", headers=h)
            assert detail.status_code == (200 if key in READABLE_ACCOUNTS[role] else 403), (
                role,
                key,
            )
        assert client.get("/api/matrices/987654", headers=h).status_code == 404
        assert client.get("/api/matrices/987654/members", headers=h).status_code == 404
        assert client.get("/api/accounts/987654", headers=h).status_code == 404


def test_tree_counts_details_and_filters(client: httpx.Client, world: World) -> None:
    h = world.headers("admin")
    top = client.get("/api/matrices", headers=h, params={"top": "true"}).json()
    assert top["total"] == 2
    assert [(n["name"], n["member_count"], n["child_count"]) for n in top["items"]] == [
        ("洛阳政务新媒体矩阵", 1, 0), ("郑州政务新媒体矩阵", 3, 1)]  # fmt: skip
    below = client.get("/api/matrices", headers=h,
                       params={"parent_id": top["items"][1]["id"]}).json()  # fmt: skip
    police = below["items"][0]
    assert below["total"] == 1
    assert (police["name"], police["member_count"], police["kind"], police["child_count"]) == (
        "郑州公安新媒体矩阵",
        2,
        "vertical",
        1,
    )
    sub = client.get("/api/matrices", headers=h, params={"parent_id": police["id"]}).json()
    assert sub["items"][0]["parent_id"] == police["id"]
    named = client.get("/api/matrices", headers=h, params={"q": "公安"}).json()
    assert named["total"] == len(named["items"]) == 2
    assert all("公安" in m["name"] for m in named["items"])
    detail = client.get(f"/api/matrices/{world.matrices['zz']}", headers=h).json()
    assert "members" not in detail and detail["member_count"] == 3
    members = client.get(f"/api/matrices/{world.matrices['zz']}/members", headers=h).json()
    assert members["total"] == 3
    assert [(m["role"], m["account"]["name"]) for m in members["items"]] == [
        ("lead", "郑州12345"), ("member", "平安郑州"), ("member", "金水住建")]  # fmt: skip
    url = f"/api/matrices/{world.matrices['zz']}/members"
    paged = _all_pages(client, url, h, limit=2)
    assert [m["account"]["name"] for m in paged] == [m["account"]["name"] for m in members["items"]]
    found = client.get(url, headers=h, params={"q": "郑州", "role": "member"}).json()
    assert (found["total"], [m["account"]["name"] for m in found["items"]]) == (1, ["平安郑州"])
    assert client.get(url, headers=h, params={"role": "boss"}).status_code == 422
    assert client.get(url, headers=h, params={"limit": 0}).status_code == 422
    assert [c["name"] for c in detail["children"]] == ["郑州公安新媒体矩阵"]
    account = client.get(f"/api/accounts/{world.accounts['police_weibo']}", headers=h).json()
    assert {(m["name"], m["role"]) for m in account["matrices"]} == {
        ("郑州公安新媒体矩阵", "lead"), ("郑州政务新媒体矩阵", "member")}  # fmt: skip
    # The operator reads the same account; the handler of another body does not.
    as_operator = client.get(f"/api/accounts/{world.accounts['police_weibo']}",
                             headers=world.headers("operator"))  # fmt: skip
    assert len(as_operator.json()["matrices"]) == 2

    def total(**params: Any) -> tuple[int, set[str]]:
        body = client.get("/api/accounts", params=params, headers=h).json()
        return body["total"], {a["name"] for a in body["items"]}

    assert total(platform="douyin") == (1, {"郑州警方"})
    assert total(adcode="4103") == (1, {"洛阳住建"})
    assert total(organization_id=world.orgs["police"])[0] == 2
    assert total(matrix_id=world.matrices["zz"], kind="all")[0] == 3  # 郑州12345 too
    assert total(is_government="false")[1] == {"中牟发布", "郑州12345"}
    assert total(q="住建")[0] == 2
    # Weibo sorts after Douyin; the pages together hold every account once.
    pages = [total(limit=2, offset=o, kind="all") for o in (0, 2, 4)]
    assert {n for n, _ in pages} == {len(ACCOUNTS)}
    assert [len(p) for _, p in pages] == [2, 2, 2]
    assert set().union(*(p for _, p in pages)) == {a[2] for a in ACCOUNTS.values()}
    assert "郑州警方" in pages[0][1]  # douyin first
    assert client.get("/api/accounts", params={"limit": 0}, headers=h).status_code == 422
    assert client.get("/api/accounts", params={"adcode": "41x"}, headers=h).status_code == 422
    orgs = client.get("/api/organizations", params={"q": "洛阳"}, headers=h).json()
    assert [o["name"] for o in orgs["items"]] == ["洛阳市住房和城乡建设局"]
    assert (orgs["total"], orgs["limit"], orgs["offset"]) == (1, 100, 0)
    # Organisations are paged like accounts: by name, with the total of every page.
    everything = client.get("/api/organizations", headers=h).json()
    names = [o["name"] for o in everything["items"]]
    assert everything["total"] == len(names) >= 3
    org_pages = [
        client.get("/api/organizations", params={"limit": 2, "offset": o}, headers=h).json()
        for o in range(0, len(names), 2)
    ]
    assert [o["name"] for p in org_pages for o in p["items"]] == names
    assert {p["total"] for p in org_pages} == {len(names)}
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "x"}):
        refused = client.get("/api/organizations", params=bad, headers=h)
        assert refused.status_code == 422, bad
        assert refused.json()["message_zh"] and refused.json()["message_en"], bad


def test_the_list_is_of_government_accounts_unless_asked(
    client: httpx.Client, world: World
) -> None:
    """As /console/accounts: 政务账号 by default, kind=other / all for the others."""
    h = world.headers("admin")

    def names(**params: Any) -> tuple[int, set[str]]:
        r = client.get("/api/accounts", params=params, headers=h)
        assert r.status_code == 200, r.text
        return r.json()["total"], {a["name"] for a in r.json()["items"]}

    government = {a[2] for a in ACCOUNTS.values() if a[3] is not None}
    assert names() == (len(government), government)
    assert "中牟发布" not in names()[1] and "郑州12345" not in names()[1]
    assert names(kind="government") == names()
    assert names(kind="other") == (2, {"中牟发布", "郑州12345"})
    assert names(kind="all")[0] == len(ACCOUNTS)
    # The older parameter still works, alone or agreeing with kind.
    assert names(is_government="false") == names(kind="other")
    assert names(is_government="true", kind="government") == names()
    bad = client.get("/api/accounts", params={"kind": "citizen"}, headers=h)
    assert bad.status_code == 422
    assert "账号类别「citizen」无效" in bad.json()["message_zh"]
    assert "unknown account kind 'citizen'" in bad.json()["message_en"]
    both = client.get("/api/accounts", params={"kind": "all", "is_government": "true"}, headers=h)
    assert both.status_code == 422 and "contradicts" in both.json()["message_en"]


def test_create_per_role(client: httpx.Client, world: World, committed_engine: Engine) -> None:
    created = []
    for role in ROLES:
        r = client.post("/api/matrices", headers=world.headers(role),
                        json={"name": f"{role} 的下级矩阵", "parent_id": world.matrices["zz"]})  # fmt: skip
        expected = 201 if role in ("admin", "office") else 403
        assert r.status_code == expected, (role, r.text)
        if expected == 201:
            body = r.json()
            assert (body["parent_id"], body["member_count"], body["may_manage"]) == (
                world.matrices["zz"],
                0,
                True,
            )
            created.append(body["id"])
    # Only the admin creates a top-level matrix; a sibling's name is a conflict.
    office, admin = world.headers("office"), world.headers("admin")
    assert client.post("/api/matrices", headers=office, json={"name": "顶级"}).status_code == 403
    # A vertical matrix (one sector across levels) needs its sector, even for the admin.
    no_sector = client.post(
        "/api/matrices", headers=admin, json={"name": "顶级", "kind": "vertical"}
    )
    assert no_sector.status_code == 422
    assert no_sector.json()["message_zh"].startswith("垂直矩阵须填写系统")
    assert "needs a sector" in no_sector.json()["message_en"]
    top = client.post("/api/matrices", headers=admin,
                      json={"name": "顶级", "kind": "vertical", "sector": "公安"})  # fmt: skip
    assert top.status_code == 201
    assert top.json()["sector"] == "公安"
    assert top.json()["parent_id"] is None
    again = client.post("/api/matrices", headers=admin, json={"name": "顶级"})
    assert again.status_code == 409
    assert client.post("/api/matrices", headers=admin, json={"name": ""}).status_code == 422
    odd = client.post("/api/matrices", headers=admin, json={"name": "x", "kind": "odd"})
    assert odd.status_code == 422
    # A body that fails validation gets the bilingual error body, naming the field.
    assert odd.json()["error"] == "InvalidInputError"
    assert odd.json()["message_zh"].startswith("请求参数无效 — kind")
    assert odd.json()["message_en"].startswith("invalid request — kind")
    assert [f["loc"] for f in odd.json()["fields"]] == [["body", "kind"]]
    assert "Input should" not in odd.json()["message_zh"]  # pydantic's English stays English
    assert "Input should" in odd.json()["message_en"]
    # A six-digit code that names no division is refused; a renamed one resolves.
    nowhere = client.post("/api/matrices", headers=admin, json={"name": "无处", "adcode": "999999"})
    assert nowhere.status_code == 422, nowhere.text
    assert nowhere.json()["message_zh"] == "行政区划代码不存在：999999"
    renamed = client.post("/api/matrices", headers=admin, json={"name": "崇文", "adcode": "110103"})
    assert renamed.status_code == 201, renamed.text
    created.append(renamed.json()["id"])
    assert (
        client.post(
            "/api/matrices", headers=admin, json={"name": "x", "parent_id": 987654}
        ).status_code
        == 404
    )
    with Session(committed_engine) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "create")).all()
        assert sorted(e.entity_id for e in entries) == sorted([*created, top.json()["id"]])
        assert {e.actor_name for e in entries} == {"用户admin", "用户office"}


def test_update_move_and_delete(
    client: httpx.Client, world: World, committed_engine: Engine
) -> None:
    m = world.matrices
    office, police_office = world.headers("office"), world.headers("office_police")

    def patch(headers: dict[str, str], key: str, **body: Any) -> httpx.Response:
        return client.patch(f"/api/matrices/{m[key]}", headers=headers, json=body)

    renamed = patch(police_office, "zz_police_sub", name="郑州公安金水分局矩阵", kind="regional")
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["kind"]) == ("郑州公安金水分局矩阵", "regional")
    assert patch(office, "zz_police", parent_id=m["zz_police_sub"]).status_code == 409  # cycle
    assert patch(office, "zz", parent_id=m["zz_police"]).status_code == 403  # its own root
    assert patch(police_office, "zz_police_sub", parent_id=m["zz"]).status_code == 403  # outside
    assert patch(office, "ly", name="x").status_code == 403
    assert patch(world.headers("operator"), "zz", name="x").status_code == 403
    assert patch({}, "zz", name="x").status_code == 403
    assert (
        client.patch("/api/matrices/987654", headers=office, json={"name": "x"}).status_code == 404
    )
    moved = patch(office, "zz_police_sub", parent_id=m["zz"])
    assert moved.status_code == 200
    assert moved.json()["parent_id"] == m["zz"]
    lead = patch(office, "zz_police", lead_account_id=world.accounts["police_douyin"])
    assert lead.json()["lead_account_id"] == world.accounts["police_douyin"]
    # A move out of the new parent's region: 422 with the reason in both languages.
    beijing = client.post("/api/matrices", headers=world.headers("admin"),
                          json={"name": "北京", "kind": "regional", "adcode": "110000"})  # fmt: skip
    assert beijing.status_code == 201
    jinshui = client.post("/api/matrices", headers=office, json={
        "name": "金水", "kind": "regional", "parent_id": m["zz"], "adcode": "410105"})  # fmt: skip
    assert jinshui.status_code == 201
    refused = client.patch(f"/api/matrices/{jinshui.json()['id']}", headers=world.headers("admin"),
                           json={"parent_id": beijing.json()["id"]})  # fmt: skip
    assert refused.status_code == 422, refused.text
    assert refused.json()["message_zh"] == (
        "矩阵「金水」的区域 金水区（410105） 不在上级矩阵「北京」的区域 北京市（110000） 之内"
    )
    assert (
        "is not inside the region 110000 of its parent matrix '北京'"
        in (refused.json()["message_en"])
    )
    assert patch(world.headers("admin"), "zz", parent_id=None).status_code == 200  # no move
    assert patch(world.headers("admin"), "zz_police", parent_id=None).json()["parent_id"] is None

    # Delete: an office keeps its own root; a matrix named by a user stays; children first.
    assert client.delete(f"/api/matrices/{m['zz']}", headers=office).status_code == 403
    assert (
        client.delete(f"/api/matrices/{m['zz']}", headers=world.headers("admin")).status_code == 409
    )
    assert (
        client.delete(
            f"/api/matrices/{m['zz_police_sub']}", headers=world.headers("team")
        ).status_code
        == 403
    )
    assert client.delete(f"/api/matrices/{m['zz_police_sub']}", headers=office).status_code == 204
    assert client.get(f"/api/matrices/{m['zz_police_sub']}", headers=office).status_code == 404
    with Session(committed_engine) as session:
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["update", "move", "change_member", "update", "create", "create", "move",
                       "delete"]  # fmt: skip


def test_published_phones_per_role(
    client: httpx.Client, world: World, committed_engine: Engine
) -> None:
    """Admins, and offices for the bodies of their matrices, set 公开电话; everyone sees them."""
    url = f"/api/organizations/{world.orgs['js_housing']}"
    body = {"public_phones": ["（0371）6666 1234", "0371-66665678"]}
    allowed = {"admin", "office"}  # the 郑州 office reads 金水住建; the others do not
    for role in ROLES:
        r = client.patch(url, headers=world.headers(role), json=body)
        assert r.status_code == (200 if role in allowed else 403), (role, r.text)
        if r.status_code == 403:
            assert r.json()["message_zh"] and r.json()["message_en"]
    changed = client.patch(url, headers=world.headers("admin"), json=body)
    assert changed.json()["public_phones"] == ["0371-66661234", "0371-66665678"]
    listed = client.get("/api/organizations", headers=world.headers("handler")).json()
    assert [o["public_phones"] for o in listed["items"]] == [["0371-66661234", "0371-66665678"]]
    others = client.get("/api/organizations", headers=world.headers("admin")).json()
    assert {o["name"]: o["public_phones"] for o in others["items"]}["郑州市公安局"] == []

    bad = client.patch(url, headers=world.headers("office"), json={"public_phones": ["值班室"]})
    assert bad.status_code == 422
    assert bad.json()["message_zh"].startswith("不是电话号码：'值班室'")
    assert bad.json()["message_en"].startswith("not a phone number: '值班室'")
    missing = client.patch("/api/organizations/987654", headers=world.headers("admin"),
                           json={"public_phones": []})  # fmt: skip
    assert missing.status_code == 404
    cleared = client.patch(url, headers=world.headers("office"), json={"public_phones": []})
    assert cleared.json()["public_phones"] == []
    with Session(committed_engine) as session:
        trail = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "organization")
            .order_by(AuditEntry.id)
        ).all()  # fmt: skip
    # admin set them, office repeated the same list (no change), admin again (no change),
    # office cleared them: two entries.
    assert [(e.actor_name, e.data) for e in trail] == [
        ("用户admin", {"public_phones": [[], ["0371-66661234", "0371-66665678"]]}),
        ("用户office", {"public_phones": [["0371-66661234", "0371-66665678"], []]}),
    ]


def test_members_per_role(client: httpx.Client, world: World, committed_engine: Engine) -> None:
    url = f"/api/matrices/{world.matrices['zz_police']}/members"
    js = world.accounts["js_weibo"]  # 金水住建: a body inside 郑州, not yet in 郑州公安
    for role in ROLES:
        added = client.post(url, headers=world.headers(role), json={"account_id": js})
        allowed = "zz_police" in MANAGEABLE_MATRICES.get(role, set())
        assert added.status_code == (201 if allowed else 403), (role, added.text)
        removed = client.delete(f"{url}/{js}", headers=world.headers(role))
        assert removed.status_code == (204 if allowed else 403), (role, removed.text)
    h = world.headers("office_police")
    # Accounts outside the office's scope: refused, by id and by platform + uid.
    for body in ({"account_id": world.accounts["loose"]}, {"platform": "weibo", "uid": "2001"}):
        outside = client.post(url, headers=h, json=body)
        assert outside.status_code == 403, outside.text
        assert "不在您管理的矩阵范围内" in outside.json()["message_zh"]
        assert "outside the scope" in outside.json()["message_en"]
    by_uid = client.post(url, headers=h, json={"platform": "weibo", "uid": "1002", "role": "lead"})
    assert by_uid.status_code == 201
    assert (by_uid.json()["outcome"], by_uid.json()["account"]["name"]) == ("added", "金水住建")
    again = client.post(url, headers=h, json={"platform": "weibo", "uid": "1002", "role": "lead"})
    assert (again.status_code, again.json()["outcome"]) == (200, "already")
    assert client.post(url, headers=h, json={"platform": "weibo", "uid": "404"}).status_code == 404
    assert client.post(url, headers=h, json={"account_id": 987654}).status_code == 404
    assert client.post(url, headers=h, json={"platform": "weibo"}).status_code == 422
    assert client.post(url, headers=h, json={"account_id": js, "role": "boss"}).status_code == 422
    assert client.delete(f"{url}/{world.accounts['ly_weibo']}", headers=h).status_code == 404
    detail = client.get(f"/api/matrices/{world.matrices['zz_police']}", headers=h).json()
    assert detail["lead_account_id"] == js
    members = client.get(f"/api/matrices/{world.matrices['zz_police']}/members", headers=h)
    first = members.json()["items"][0]
    assert (first["role"], first["account"]["name"]) == ("lead", "金水住建")
    with Session(committed_engine) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "matrix")
                                  .order_by(AuditEntry.id)).all()  # fmt: skip
    assert [e.action for e in entries] == ["add_member", "remove_member"] * 3 + ["add_member"]
    assert entries[-1].data == {"account_id": js, "platform": "weibo", "uid": "1002",
                                "role": "lead"}  # fmt: skip
    assert {e.actor_name for e in entries} == {"用户admin", "用户office", "用户office_police"}


def test_an_office_cannot_take_over_accounts_through_a_new_sub_matrix(
    client: httpx.Client, world: World, committed_engine: Engine
) -> None:
    """The tester's path: a new sub-matrix, the province's account in it, then publish."""
    office, ly = world.headers("office"), world.accounts["ly_weibo"]
    made = client.post("/api/matrices", headers=office, json={
        "name": "金水区矩阵", "kind": "regional", "parent_id": world.matrices["zz"],
        "adcode": "410105"})  # fmt: skip
    assert made.status_code == 201, made.text
    sub = made.json()["id"]
    taken = client.post(f"/api/matrices/{sub}/members", headers=office, json={"account_id": ly})
    assert taken.status_code == 403
    assert taken.json()["message_zh"].startswith("账号「洛阳住建」不在您管理的矩阵范围内")
    lead = client.patch(f"/api/matrices/{sub}", headers=office, json={"lead_account_id": ly})
    assert lead.status_code == 403
    imported = client.post(f"/api/matrices/{sub}/members/import", headers=office,
                           files={"file": ("m.csv", b"platform,uid\nweibo,2001\n", "text/csv")})  # fmt: skip
    assert imported.json()["added"] == 0 and imported.json()["rejected_count"] == 1
    assert client.get(f"/api/accounts/{ly}", headers=office).status_code == 403
    # Accounts of its own region are still its to add.
    ok = client.post(f"/api/matrices/{sub}/members", headers=office,
                     json={"account_id": world.accounts["js_weibo"]})  # fmt: skip
    assert ok.status_code == 201
    # A sub-matrix outside the parent's region, and a vertical one without a sector: 422.
    beijing = client.post("/api/matrices", headers=office, json={
        "name": "x", "kind": "regional", "parent_id": world.matrices["zz"], "adcode": "110101"})  # fmt: skip
    assert beijing.status_code == 422
    assert (
        "不在上级矩阵「郑州政务新媒体矩阵」的区域 郑州市（410100） 之内"
        in (beijing.json()["message_zh"])
    )
    assert "is not inside the region 410100" in beijing.json()["message_en"]
    vertical = client.post("/api/matrices", headers=office,
                           json={"name": "y", "kind": "vertical", "parent_id": world.matrices["zz"]})  # fmt: skip
    assert vertical.status_code == 422
    # An office keeps the kind and sector of its own root (they bound its scope).
    root = f"/api/matrices/{world.matrices['zz']}"
    for body in ({"kind": "vertical", "sector": "公安"}, {"sector": "公安"}):
        assert client.patch(root, headers=office, json=body).status_code == 403
    assert client.patch(root, headers=office, json={"kind": "regional"}).status_code == 200
    with Session(committed_engine) as session:
        members = set(session.scalars(select(MatrixMember.account_id)
                                      .where(MatrixMember.matrix_id == sub)))  # fmt: skip
        assert members == {world.accounts["js_weibo"]}
        assert session.scalar(select(Matrix).where(Matrix.name == "x")) is None


IMPORT = (
    "platform,uid,role\ndouyin,d1001,member\nweibo,1001,member\nweibo,404404,\n"
    "douyin,d1001,\nweibo,9001,\n"
)


def test_import_members(client: httpx.Client, world: World, committed_engine: Engine) -> None:
    url = f"/api/matrices/{world.matrices['zz']}/members/import"

    def upload(role: str, content: bytes) -> httpx.Response:
        return client.post(url, headers=world.headers(role),
                           files={"file": ("members.csv", content, "text/csv")})  # fmt: skip

    for role in ("operator", "handler", "dispatcher", "public", "ly_office", "office_police"):
        assert upload(role, IMPORT.encode()).status_code == 403, role
    done = upload("office", IMPORT.encode())
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["added"], body["already"], body["rejected_count"]) == (1, 1, 3)
    assert [(r["row"], r["values"]) for r in body["rejected"]] == [
        (4, ["weibo", "404404", ""]), (5, ["douyin", "d1001", ""]),
        (6, ["weibo", "9001", ""])]  # fmt: skip
    assert "账号不存在" in body["rejected"][0]["reason"]
    assert "与第 2 行重复" in body["rejected"][1]["reason"]
    # 中牟发布 is linked to no organisation: outside the office's scope.
    assert "不在您管理的矩阵范围内" in body["rejected"][2]["reason"]
    bad = upload("office", b"foo,bar\n1,2\n")
    assert bad.status_code == 422
    assert "表头" in bad.json()["message_zh"]
    with Session(committed_engine) as session:
        members = session.scalars(select(MatrixMember.account_id)
                                  .where(MatrixMember.matrix_id == world.matrices["zz"])).all()  # fmt: skip
        assert world.accounts["police_douyin"] in members
        assert world.accounts["loose"] not in members
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "import_members"))
        assert entry is not None
        assert entry.data is not None
        assert entry.data["rejected"] == 3
    assert client.post("/api/matrices/987654/members/import", headers=world.headers("admin"),
                       files={"file": ("m.csv", IMPORT.encode(), "text/csv")}).status_code == 404  # fmt: skip


def test_import_names_an_unknown_platform_and_counts_blank_rows(
    client: httpx.Client, world: World, committed_engine: Engine
) -> None:
    url = f"/api/matrices/{world.matrices['zz']}/members/import"
    content = b"platform,uid\nfoo,123\n\ndouyin,d1001\n\n"
    done = client.post(url, headers=world.headers("office"),
                       files={"file": ("members.csv", content, "text/csv")})  # fmt: skip
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["added"], body["rejected_count"], body["blank_rows"]) == (1, 1, 1)
    [row] = body["rejected"]
    assert (row["row"], row["values"]) == (2, ["foo", "123"])
    assert row["reason"] == (
        "未知平台「foo」，可选：weibo / wechat / douyin（微博 / 微信 / 抖音）/ "
        "unknown platform 'foo'; valid: weibo / wechat / douyin"
    )
    assert body["warnings"] == [
        "跳过了 1 个空行（第 3 行）/ skipped 1 blank row(s) between the rows of data (rows 3)"
    ]
    # Answered as before, and quarantined: the upload's name and line, the reason, the line.
    with Session(committed_engine) as session:
        [entry] = session.scalars(select(QuarantineEntry)).all()
        assert (entry.run_id, entry.format) == (body["run_id"], "matrix-members")
        assert (entry.source, entry.reason, entry.raw) == (
            "members.csv:2",
            row["reason"],
            "foo,123",
        )


def test_a_member_list_with_carriage_returns_or_a_huge_cell_is_no_server_error(
    client: httpx.Client, world: World
) -> None:
    url = f"/api/matrices/{world.matrices['zz']}/members/import"

    def upload(content: bytes) -> httpx.Response:
        return client.post(url, headers=world.headers("admin"),
                           files={"file": ("members.csv", content, "text/csv")})  # fmt: skip

    # Lines ended by a lone carriage return (classic Mac, some exports): read as lines,
    # not a 500 ("new-line character seen in unquoted field").
    done = upload(IMPORT.replace("\n", "\r").encode())
    assert done.status_code == 200, done.text
    assert (done.json()["added"], done.json()["rejected_count"]) == (2, 2)
    assert [r["row"] for r in done.json()["rejected"]] == [4, 5]  # each line its own row
    # A file the csv module cannot read at all: a bilingual 422 naming the line.
    huge = upload(b"platform,uid\nweibo,1001\nweibo," + b"9" * 200_000 + b"\n")
    assert huge.status_code == 422, huge.text
    assert huge.json()["message_zh"] == "成员名单第 3 行无法按 CSV 读取（引号或换行不成对）"
    assert huge.json()["message_en"].startswith("line 3 of the member list is not readable")
    # A NUL in a cell: PostgreSQL refused the lookup (a 500) and SQLite found nothing; now
    # the row is refused on both, its reason naming the column; the other rows import.
    nul = upload(b"platform,uid\nweibo,1001\nweibo,10\x0001\n")
    assert nul.status_code == 200, nul.text
    assert (nul.json()["rejected_count"], nul.json()["rejected"][0]["row"]) == (1, 3)
    assert nul.json()["rejected"][0]["reason"].startswith("字段「uid」含有空字符（NUL，\\u0000）")


def test_cookie_sessions_need_the_csrf_token(
    client: httpx.Client, world: World, committed_engine: Engine
) -> None:
    auth_service._ip_attempts.clear()
    with Session(committed_engine) as session:
        auth_service.create_user(session, username="office2", password="office-pass-1",
                                 role="matrix_office", matrix_id=world.matrices["zz"])  # fmt: skip
        session.commit()
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    logged = client.post("/login", data={"username": "office2", "password": "office-pass-1",
                                         "csrf_token": token, "next": ""})  # fmt: skip
    assert logged.status_code == 303
    csrf = client.get("/api/auth/me").json()["csrf_token"]
    body = {"name": "Cookie 矩阵", "parent_id": world.matrices["zz"]}
    assert client.post("/api/matrices", json=body).status_code == 403
    assert (
        client.post("/api/matrices", json=body, headers={"X-CSRF-Token": "forged"}).status_code
        == 403
    )
    made = client.post("/api/matrices", json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201
    with Session(committed_engine) as session:
        assert session.scalar(select(Matrix).where(Matrix.name == "Cookie 矩阵")) is not None


def test_openapi_documents_the_routes(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/accounts", "/api/accounts/{account_id}", "/api/organizations",
                 "/api/organizations/{organization_id}", "/api/matrices", "/api/matrices/{matrix_id}", "/api/matrices/{matrix_id}/members",
                 "/api/matrices/{matrix_id}/members/{account_id}",
                 "/api/matrices/{matrix_id}/members/import"):  # fmt: skip
        assert path in paths, path
        for operation in paths[path].values():
            assert operation["tags"] == ["accounts 账号与矩阵"]
            assert operation["summary"] and operation.get("description")


def test_pages_are_stable_over_ties(
    client: httpx.Client, world: World, committed_engine: Engine
) -> None:
    """Matrices of one name and members of one name: every page split gives each once, in order."""
    with Session(committed_engine) as session:
        parents = [session.get(Matrix, world.matrices[k]) for k in ("zz", "ly", "zz_police")]
        twins = [Matrix(name="同名矩阵", kind="regional", parent_id=p.id) for p in parents if p]
        session.add_all(twins)
        session.flush()
        # Four members of one name (added in an order unlike their ids), one other, no lead.
        same = [Account(platform="weibo", uid=f"twin-{i}", name="同名账号") for i in range(4)]
        session.add_all(same)
        session.flush()
        for account_id in [same[2].id, world.accounts["ly_weibo"], same[0].id, same[3].id,
                           same[1].id]:  # fmt: skip
            session.add(MatrixMember(matrix_id=twins[0].id, account_id=account_id, role="member"))
        session.commit()
        twin_ids = [m.id for m in twins]
    h = world.headers("admin")
    everything = client.get("/api/matrices", headers=h, params={"limit": 1000}).json()
    assert everything["total"] == len(everything["items"]) == len(world.matrices) + 3
    expected = [m["id"] for m in everything["items"]]
    for size in (1, 2, 3, 5):
        ids = [m["id"] for m in _all_pages(client, "/api/matrices", h, limit=size)]
        assert ids == expected, size
    twins_seen = [m["id"] for m in everything["items"] if m["name"] == "同名矩阵"]
    assert twins_seen == sorted(twin_ids)  # ties by id
    by_name = _all_pages(client, "/api/matrices", h, limit=1, q="同名")
    assert [m["id"] for m in by_name] == sorted(twin_ids)
    url = f"/api/matrices/{twin_ids[0]}/members"
    whole = client.get(url, headers=h).json()
    assert whole["total"] == 5
    order = [m["account"]["id"] for m in whole["items"]]
    assert len(set(order)) == 5
    for size in (1, 2, 3):
        assert [m["account"]["id"] for m in _all_pages(client, url, h, limit=size)] == order
    names = [m["account"]["name"] for m in whole["items"]]
    assert names == sorted(names)
    # Accounts of one name come by id.
    tied = [m["account"]["id"] for m in whole["items"] if names.count(m["account"]["name"]) > 1]
    assert tied == sorted(tied)
    past = client.get(url, headers=h, params={"offset": 10}).json()
    assert (past["total"], past["items"]) == (5, [])
