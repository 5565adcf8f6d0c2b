"""A matrix office oversees its matrix and every matrix below it, over real HTTP.

郑州 (city) has two district sub-matrices, 金水 and 中原. A request located in a district is
queued on the district's sub-matrix (the most specific regional matrix over its place):
the city office sees it and acts on it (API, console queue and page, rates); a district
office never sees its sibling's or its parent's requests; a handler still sees only its
own organisation's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta, timezone

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix
from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import PUBLIC
from zhengwu.servicedesk import service
from zhengwu.servicedesk.schemas import RequestIntake

from .conftest import World

PASSWORD = "long-enough-pass-1"
PHONE = "13700002222"
CHINA = timezone(timedelta(hours=8))


@dataclass
class Tree:
    """The sub-matrices, one request per queue (name → public id) and the API tokens."""

    matrices: dict[str, int]
    requests: dict[str, str]
    tokens: dict[str, str]

    def headers(self, user: str) -> dict[str, str]:
        """Return the Authorization header of ``user``."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture
def tree(committed_engine: Engine, committed_world: World) -> Tree:
    """Add 金水 and 中原 under 郑州, an office for each, and a request in each queue."""
    auth_service._ip_attempts.clear()
    w = committed_world
    with Session(committed_engine) as s:
        zz = w.matrices["zz"]
        js = Matrix(name="金水区政务新媒体矩阵", kind="regional", adcode="410105", parent_id=zz)
        zy = Matrix(name="中原区政务新媒体矩阵", kind="regional", adcode="410102", parent_id=zz)
        s.add_all([js, zy])
        s.flush()
        matrices = {"js": js.id, "zy": zy.id}
        tokens = {}
        for key, matrix_id in (("city", w.matrices["zz"]), ("js", js.id), ("zy", zy.id)):
            user = auth_service.create_user(s, username=f"office_{key}", password=PASSWORD,
                                            role="matrix_office", matrix_id=matrix_id)  # fmt: skip
            tokens[key] = auth_service.create_token(s, user, "test")
        s.commit()
        texts = {
            # 城市管理 in a district no routing rule covers: only the queue's office sees it.
            "zy": f"郑州市中原区建设路小区门口垃圾三天没人清运，电话{PHONE}",
            "city": "郑州市某医院挂号排队三小时",  # no district: the city's own queue
            "js": "郑州市金水区丰庆路小区物业乱收停车费",  # also routed to js_housing
        }
        requests = {}
        for key, text in texts.items():
            made = service.create_request(s, intake=RequestIntake(source="form", text=text),
                                          actor=PUBLIC)  # fmt: skip
            requests[key] = made.public_id
        s.commit()
        for key, matrix in (("zy", zy.id), ("city", w.matrices["zz"]), ("js", js.id)):
            assert service.get_by_public_id(s, requests[key]).matrix_id == matrix, key
    return Tree(matrices=matrices, requests=requests, tokens=tokens)


VISIBLE = {"city": {"zy", "city", "js"}, "js": {"js"}, "zy": {"zy"}}


def test_a_city_office_sees_its_districts_and_a_district_only_its_own(
    live_server: str, committed_world: World, tree: Tree
) -> None:
    names = {v: k for k, v in tree.requests.items()}
    with httpx.Client(base_url=live_server, timeout=120) as client:
        for user, expected in VISIBLE.items():
            listed = client.get("/api/desk/requests", headers=tree.headers(user))
            assert listed.status_code == 200, listed.text
            assert {names[r["public_id"]] for r in listed.json() if r["public_id"] in names} == (
                expected
            ), user
            for key, pid in tree.requests.items():
                detail = client.get(f"/api/desk/requests/{pid}", headers=tree.headers(user))
                assert detail.status_code == (200 if key in expected else 404), (user, key)
        # A handler still sees only its own organisation's: js_housing leads the 金水 one.
        listed = client.get("/api/desk/requests", headers=committed_world.headers("js_housing"))
        assert {names[r["public_id"]] for r in listed.json() if r["public_id"] in names} == {"js"}
        # The other city's office sees none of them.
        listed = client.get("/api/desk/requests", headers=committed_world.headers("ly_office"))
        assert not {r["public_id"] for r in listed.json()} & set(names)


def test_a_city_office_acts_on_a_district_request_and_siblings_cannot(
    live_server: str, committed_world: World, tree: Tree
) -> None:
    zy = tree.requests["zy"]
    with httpx.Client(base_url=live_server, timeout=120) as client:

        def post(user: str, pid: str, action: str, **body: object) -> httpx.Response:
            return client.post(f"/api/desk/requests/{pid}/{action}", json=body,
                               headers=tree.headers(user))  # fmt: skip

        assert post("js", zy, "supervise", reason="越级").status_code == 404  # sibling
        assert post("zy", tree.requests["city"], "supervise", reason="x").status_code == 404
        assert post("js", tree.requests["city"], "supervise", reason="x").status_code == 404
        done = post("city", zy, "supervise", reason="市级督办")
        assert done.status_code == 200, done.text
        assert [h["reason"] for h in done.json()["history"] if h["action"] == "supervise"] == [
            "市级督办"
        ]
        # The city office routes the district's request to a body of its subtree's matrices.
        moved = post("city", zy, "assign", organization_id=committed_world.orgs["js_eco"])
        assert moved.status_code == 200, moved.text
        assert moved.json()["state"] == "assigned"
        # The district office still sees it (its queue), the sibling still does not.
        assert client.get(f"/api/desk/requests/{zy}", headers=tree.headers("zy")).status_code == 200
        assert client.get(f"/api/desk/requests/{zy}", headers=tree.headers("js")).status_code == 404


@pytest.fixture
def browser(live_server: str) -> Iterator[httpx.Client]:
    """A cookie client of the console."""
    with httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as c:
        yield c


def _login(client: httpx.Client, username: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token[1], "next": ""})  # fmt: skip
    assert response.status_code == 303, response.text
    return str(client.get("/api/auth/me").json()["csrf_token"])


def test_the_console_queue_and_page_agree_with_the_api(browser: httpx.Client, tree: Tree) -> None:
    csrf = _login(browser, "office_city")
    queue = browser.get("/console/desk")
    assert queue.status_code == 200
    for pid in tree.requests.values():
        assert pid in queue.text
    assert PHONE in queue.text  # the overseeing office reads it unmasked
    page = browser.get(f"/console/desk/{tree.requests['zy']}")
    assert page.status_code == 200
    assert PHONE in page.text
    acted = browser.post(f"/console/desk/{tree.requests['zy']}/act",
                         data={"csrf_token": csrf, "action": "supervise", "reason": "市级督办"})  # fmt: skip
    assert acted.status_code in (200, 303), acted.text
    browser.cookies.clear()
    _login(browser, "office_js")
    queue = browser.get("/console/desk")
    assert tree.requests["js"] in queue.text
    assert tree.requests["zy"] not in queue.text
    assert tree.requests["city"] not in queue.text
    assert browser.get(f"/console/desk/{tree.requests['zy']}").status_code == 404


def test_a_matrix_rates_count_its_subtree(live_server: str, committed_world: World,
                                          committed_engine: Engine, tree: Tree) -> None:  # fmt: skip
    with Session(committed_engine) as s:
        received = service.get_by_public_id(s, tree.requests["zy"]).received_at
    period = received.astimezone(CHINA).strftime("%Y-%m")
    with httpx.Client(base_url=live_server, timeout=120) as client:
        got = client.get("/api/desk/rates", params={"period": period, "by": "matrix"},
                         headers=committed_world.headers("admin"))  # fmt: skip
        assert got.status_code == 200, got.text
        n = {row["key"]: row["n"] for row in got.json()}
    assert n[str(tree.matrices["zy"])] == 1
    assert n[str(tree.matrices["js"])] == 1
    assert n[str(committed_world.matrices["zz"])] == 3  # its own queue and both districts'
