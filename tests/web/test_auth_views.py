"""Login over real HTTP: cookie session, CSRF token, bearer tokens."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service


def test_login_me_logout_over_http(live_server: str, committed_engine: Engine) -> None:
    auth_service._ip_attempts.clear()
    with Session(committed_engine) as s:
        user = auth_service.create_user(
            s, username="disp", password="long-enough-1", role="dispatcher"
        )
        token = auth_service.create_token(s, user, "t")
        s.commit()
    with httpx.Client(base_url=live_server) as client:
        assert client.get("/api/auth/me").json()["role"] == "public"
        bad = client.post("/api/auth/login", data={"username": "disp", "password": "wrong-one-1"})
        assert bad.status_code == 403
        assert bad.json()["message_en"] == "wrong username or password"
        ok = client.post("/api/auth/login", data={"username": "disp", "password": "long-enough-1"})
        assert ok.status_code == 200
        assert "httponly" in ok.headers["set-cookie"].lower()
        me = client.get("/api/auth/me").json()
        assert me["role"] == "dispatcher" and me["csrf_token"]
        client.post("/api/auth/logout")
        assert client.get("/api/auth/me").json()["role"] == "public"
    r = httpx.get(f"{live_server}/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.json()["username"] == "disp"
    r = httpx.get(f"{live_server}/api/auth/me", headers={"Authorization": "Bearer zw_bogus"})
    assert r.status_code == 403


def test_failed_logins_over_http_lead_to_a_lockout(
    live_server: str, committed_engine: Engine
) -> None:
    auth_service._ip_attempts.clear()
    with Session(committed_engine) as s:
        auth_service.create_user(s, username="lock", password="long-enough-1", role="verifier")
        s.commit()
    with httpx.Client(base_url=live_server) as client:
        for _ in range(auth_service.MAX_FAILED_LOGINS):
            r = client.post(
                "/api/auth/login", data={"username": "lock", "password": "bad-password"}
            )
            assert r.status_code == 403
        locked = client.post(
            "/api/auth/login", data={"username": "lock", "password": "long-enough-1"}
        )
        assert locked.status_code == 429
