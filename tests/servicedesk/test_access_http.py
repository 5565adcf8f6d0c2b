"""Who sees and does what, role by role, over HTTP (one access rule per entity)."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import PUBLIC
from zhengwu.servicedesk import service
from zhengwu.servicedesk.schemas import ActionInput, RequestIntake

from .conftest import World

PHONE = "13700001111"


def _requests(engine: Engine, w: World) -> dict[str, str]:
    """Create one request per situation; return name → public id."""
    texts = {
        "js": f"金水区丰庆路小区物业乱收停车费，电话{PHONE}",
        "ly": f"洛阳市西工区小区物业乱收费，电话{PHONE}",
        "unrouted": "郑州市中原区某医院挂号排队三小时",
        "shared": "金水区北三环小区物业和业主打架，需要警察和住建一起处理",
    }
    with Session(engine) as s:
        ids = {}
        for key, text in texts.items():
            ids[key] = service.create_request(
                s, intake=RequestIntake(source="form", text=text), actor=PUBLIC
            ).public_id
        shared = service.get_by_public_id(s, ids["shared"])
        service.perform(s, request=shared, action="accept", actor=w.principals["js_housing"])
        service.perform(s, request=shared, action="cohandle", actor=w.principals["js_housing"],
                        data=ActionInput(helper_organization_ids=[w.orgs["police"]]))  # fmt: skip
        s.commit()
    return ids


VISIBLE = {
    "admin": {"js", "ly", "unrouted", "shared"},
    "office": {"js", "unrouted", "shared"},
    "ly_office": {"ly"},
    "js_housing": {"js", "shared"},
    "police": {"shared"},  # helper of the shared one only
    "js_eco": set(),
    "ly_housing": {"ly"},
}


def test_each_role_sees_its_own_requests(live_server: str, committed_world: World,
                                         committed_engine: Engine) -> None:  # fmt: skip
    w = committed_world
    ids = _requests(committed_engine, w)
    by_id = {v: k for k, v in ids.items()}
    with httpx.Client(base_url=live_server, timeout=120) as client:
        for user, expected in VISIBLE.items():
            listed = client.get("/api/desk/requests", headers=w.headers(user))
            assert listed.status_code == 200, (user, listed.text)
            assert {by_id[r["public_id"]] for r in listed.json()} == expected, user
            for key, pid in ids.items():
                detail = client.get(f"/api/desk/requests/{pid}", headers=w.headers(user))
                assert detail.status_code == (200 if key in expected else 404), (user, key)
                if key in expected:
                    assert detail.json()["masked"] is False
        # Rescue roles and the public have no queue.
        assert client.get("/api/desk/requests", headers=w.headers("dispatcher")).status_code == 403
        assert client.get("/api/desk/requests").status_code == 403
        assert client.get(f"/api/desk/requests/{ids['js']}").status_code == 403


def test_each_role_may_only_do_its_actions(live_server: str, committed_world: World,
                                           committed_engine: Engine) -> None:  # fmt: skip
    w = committed_world
    ids = _requests(committed_engine, w)
    with httpx.Client(base_url=live_server, timeout=120) as client:

        def post(user: str | None, key: str, action: str, **body: object) -> int:
            headers = w.headers(user) if user else {}
            r = client.post(f"/api/desk/requests/{ids[key]}/{action}", json=body, headers=headers)
            return r.status_code

        assert post(None, "js", "accept") == 403  # the public
        assert post("dispatcher", "js", "accept") == 403
        assert post("js_eco", "js", "accept") == 404  # cannot even see it
        assert post("ly_office", "js", "supervise", reason="x") == 404
        assert post("police", "shared", "resolve", reply_text="x") == 403  # helper
        assert post("police", "shared", "note", reason="已到场") == 200
        assert post("office", "shared", "resolve", reply_text="x") == 403  # office never resolves
        assert post("js_housing", "js", "approve_extension") == 403  # only the office approves
        assert post("js_housing", "js", "assign", organization_id=w.orgs["js_eco"]) == 403
        assert post("office", "unrouted", "assign", organization_id=w.orgs["js_eco"]) == 200
        assert post("js_eco", "unrouted", "accept") == 200  # now theirs
        assert post("admin", "ly", "supervise", reason="抽查") == 200


def test_public_sees_only_masked_data(live_server: str, committed_world: World,
                                      committed_engine: Engine) -> None:  # fmt: skip
    ids = _requests(committed_engine, committed_world)
    with httpx.Client(base_url=live_server, timeout=120) as client:
        board = client.get("/api/public/requests")
        assert board.status_code == 200
        texts = [r["text"] for r in board.json()["requests"]]
        assert len(texts) == 4
        assert not any(PHONE in t for t in texts)
        one = client.get(f"/api/public/requests/{ids['js']}").json()
        assert PHONE not in one["text"]
        assert "citizen_phone" not in one
        page = client.get("/board/requests")
        assert page.status_code == 200
        assert PHONE not in page.text
        assert "丰庆路" in page.text


def test_cookie_sessions_need_the_csrf_token(live_server: str, committed_world: World,
                                             committed_engine: Engine) -> None:  # fmt: skip
    auth_service._ip_attempts.clear()
    ids = _requests(committed_engine, committed_world)
    with Session(committed_engine) as s:
        auth_service.create_user(s, username="wang", password="long-enough-1", role="handler",
                                 organization_id=committed_world.orgs["js_housing"])  # fmt: skip
        s.commit()
    with httpx.Client(base_url=live_server, timeout=120) as client:
        assert (
            client.post(
                "/api/auth/login", data={"username": "wang", "password": "long-enough-1"}
            ).status_code
            == 200
        )
        csrf = client.get("/api/auth/me").json()["csrf_token"]
        url = f"/api/desk/requests/{ids['js']}/accept"
        assert client.post(url).status_code == 403
        assert client.post(url, headers={"X-CSRF-Token": csrf}).status_code == 200
