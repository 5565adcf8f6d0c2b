"""The public board (cache headers, HTML), anonymous limits, and editing categories and routing."""

from __future__ import annotations

import httpx

from zhengwu.servicedesk.public_views import ANON_LIMIT

from .conftest import World


def test_board_is_cacheable_and_changes_with_the_data(
    live_server: str, committed_world: World
) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        first = client.get("/api/public/requests")
        assert first.status_code == 200
        assert first.headers["cache-control"] == "public, max-age=60"
        etag = first.headers["etag"]
        same = client.get("/api/public/requests", headers={"If-None-Match": etag})
        assert same.status_code == 304
        assert same.content == b""
        assert (
            client.post("/api/requests", json={"text": "金水区文化路小区垃圾没人清运"}).status_code
            == 201
        )
        changed = client.get("/api/public/requests", headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        assert len(changed.json()["requests"]) == 1
        assert {c["code"] for c in changed.json()["categories"]} >= {"01", "07"}
        filtered = client.get("/api/public/requests", params={"category": "07"}).json()
        assert filtered["requests"] == []


def test_board_page_and_form_receipt(live_server: str, committed_world: World) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        page = client.get("/board/requests")
        assert page.status_code == 200
        assert "<form" in page.text
        assert "viewport" in page.text
        assert "http" not in page.text.split("<body>")[0].replace(
            "http-equiv", ""
        )  # no external assets
        r = client.post("/api/requests", data={"text": "金水区丰产路路灯坏了", "citizen_phone": "13655556666"},
                        headers={"Accept": "text/html"})  # fmt: skip
        assert r.status_code == 201
        assert "已收到您的诉求" in r.text
        link = r.text.split("<body>")[1].split('href="')[1].split('"')[0]
        assert link.startswith("/board/requests/SR")
        assert "token=" in link
        mine = client.get(link)
        assert mine.status_code == 200
        assert "13655556666" not in mine.text
        assert "private" in mine.headers["cache-control"]


def test_anonymous_submissions_are_rate_limited(live_server: str, committed_world: World) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        codes = [
            client.post("/api/requests", json={"text": f"金水区第{i}个小区路灯坏了"}).status_code
            for i in range(ANON_LIMIT + 1)
        ]
        assert codes[:ANON_LIMIT] == [201] * ANON_LIMIT
        assert codes[-1] == 429
        # Staff with a token are not limited, and the public cannot claim a platform source.
        staff = client.post("/api/requests", headers=committed_world.headers("office"),
                            json={"text": "金水区花园路井盖丢失", "source": "12345", "source_ref": "12345:X9"})  # fmt: skip
        assert staff.status_code == 201
        assert (
            client.post(
                "/api/requests", json={"text": "   "}, headers=committed_world.headers("office")
            ).status_code
            == 422
        )


def test_categories_are_edited_by_admin_with_versions(
    live_server: str, committed_world: World
) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:
        tree = client.get("/api/desk/categories").json()
        assert len(tree) == 32
        assert tree[0]["code"] == "01"
        assert tree[1]["parent_code"] == "01"
        body = {"resolve_days": 3, "keywords": ["井盖", "窨井"]}
        assert (
            client.patch(
                "/api/desk/categories/0103", json=body, headers=w.headers("office")
            ).status_code
            == 403
        )
        r = client.patch("/api/desk/categories/0103", json=body, headers=w.headers("admin"))
        assert r.status_code == 200
        assert (r.json()["version"], r.json()["resolve_days"]) == (2, 3)
        new = {"code": "0106", "name": "城中村改造", "parent_code": "01", "keywords": ["城中村"]}
        created = client.post("/api/desk/categories", json=new, headers=w.headers("admin"))
        assert created.status_code == 201
        assert created.json()["group"] == "城乡建设"
        assert (
            client.post("/api/desk/categories", json=new, headers=w.headers("admin")).status_code
            == 409
        )
        cycle = client.patch(
            "/api/desk/categories/01", json={"parent_code": "0106"}, headers=w.headers("admin")
        )
        assert cycle.status_code == 422
        # A request now uses the new deadline.
        receipt = client.post("/api/requests", json={"text": "金水区窨井盖松动"}).json()
        detail = client.get(
            f"/api/desk/requests/{receipt['public_id']}", headers=w.headers("admin")
        ).json()
        assert detail["category_code"] == "0103"


def test_routing_rules_are_versioned_and_scoped(live_server: str, committed_world: World) -> None:
    w = committed_world
    with httpx.Client(base_url=live_server, timeout=120) as client:
        versions = client.get("/api/desk/routing/versions", headers=w.headers("office")).json()
        assert [v["version"] for v in versions] == [1]
        rule = {"category_code": "07", "adcode": "410102", "organization_id": w.orgs["hotline"]}
        r = client.post("/api/desk/routing/rules", json=[rule], headers=w.headers("office"))
        assert r.status_code == 201
        assert r.json()[0]["table_version"] == 2
        outside = {
            "category_code": "07",
            "adcode": "410300",
            "organization_id": w.orgs["ly_housing"],
        }
        assert (
            client.post(
                "/api/desk/routing/rules", json=[outside], headers=w.headers("office")
            ).status_code
            == 403
        )
        assert (
            client.post(
                "/api/desk/routing/rules", json=[rule], headers=w.headers("js_housing")
            ).status_code
            == 403
        )
        receipt = client.post("/api/requests", json={"text": "郑州市中原区医院挂号难"}).json()
        assert receipt["organization_id"] == w.orgs["hotline"]
        rule_id = r.json()[0]["id"]
        retired = client.delete(f"/api/desk/routing/rules/{rule_id}", headers=w.headers("office"))
        assert retired.status_code == 200
        assert retired.json()["retired_version"] == 3
        rules = client.get("/api/desk/routing/rules", headers=w.headers("js_housing")).json()
        assert rule_id not in [x["id"] for x in rules]
        assert len(rules) == 4
        detail = client.get(
            f"/api/desk/requests/{receipt['public_id']}", headers=w.headers("admin")
        ).json()
        assert detail["routing_rule_id"] == rule_id  # the request keeps the rule that routed it


def test_workflow_and_openapi_are_published(live_server: str, committed_world: World) -> None:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        flow = client.get("/api/desk/workflow").json()
        assert {"from": "resolved", "action": "reopen", "to": "reopened",
                "actors": ["citizen", "office"]} in flow["transitions"]  # fmt: skip
        spec = client.get("/openapi.json").json()
        paths = spec["paths"]
        for path in ("/api/desk/requests", "/api/desk/requests/{public_id}/{action}",
                     "/api/requests", "/api/public/requests", "/api/desk/rates",
                     "/api/desk/categories", "/api/desk/routing/rules"):  # fmt: skip
            assert path in paths, path
        actions = paths["/api/desk/requests/{public_id}/{action}"]["post"]["parameters"][1]
        assert "reopen" in str(actions)
        assert "accept" in str(actions)
