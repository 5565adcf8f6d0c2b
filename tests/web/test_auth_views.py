"""Login over real HTTP: cookie session, CSRF token, bearer tokens."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine, select
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


def _login(client: httpx.Client, username: str) -> str:
    r = client.post("/api/auth/login", data={"username": username, "password": "long-enough-1"})
    assert r.status_code == 200, r.text
    csrf: str = r.json()["csrf_token"]
    return csrf


def test_an_admin_revokes_a_token_and_disables_a_user_over_http(
    live_server: str, committed_engine: Engine
) -> None:
    auth_service._ip_attempts.clear()
    with Session(committed_engine) as s:
        auth_service.create_user(s, username="boss", password="long-enough-1", role="admin")
        wang = auth_service.create_user(
            s, username="wang", password="long-enough-1", role="verifier"
        )
        leaked = auth_service.create_token(s, wang, "leaked")
        kept = auth_service.create_token(s, wang, "kept")
        s.commit()
    paths = httpx.get(f"{live_server}/openapi.json", timeout=60).json()[
        "paths"
    ]  # built on first use: seconds on a busy machine
    for path in ("/api/users", "/api/users/{username}/tokens",
                 "/api/users/tokens/{token_id}/revoke", "/api/users/{username}/disable",
                 "/api/users/{username}/enable"):  # fmt: skip
        assert path in paths
    bearer = {"Authorization": f"Bearer {leaked}"}
    with (
        httpx.Client(base_url=live_server) as wang_client,
        httpx.Client(base_url=live_server) as admin,
    ):
        _login(wang_client, "wang")
        # Not an admin: wang may neither list tokens nor revoke one, by token or by cookie.
        assert httpx.get(f"{live_server}/api/users", headers=bearer).status_code == 403
        assert wang_client.get("/api/users/wang/tokens").status_code == 403
        csrf = _login(admin, "boss")
        tokens = admin.get("/api/users/wang/tokens").json()
        assert [(t["name"], t["prefix"], t["revoked_at"]) for t in tokens] == [
            ("leaked", leaked[:11], None), ("kept", kept[:11], None)
        ]  # fmt: skip
        assert "token_hash" not in tokens[0]
        leaked_id = tokens[0]["id"]
        # A cookie-authenticated write needs the session's CSRF token.
        assert admin.post(f"/api/users/tokens/{leaked_id}/revoke").status_code == 403
        r = admin.post(f"/api/users/tokens/{leaked_id}/revoke", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["revoked_at"]
        again = admin.post(f"/api/users/tokens/{leaked_id}/revoke", headers={"X-CSRF-Token": csrf})
        assert again.status_code == 409
        refused = httpx.get(f"{live_server}/api/auth/me", headers=bearer)
        assert refused.status_code == 403
        assert "revoked" in refused.json()["message_en"]
        kept_auth = {"Authorization": f"Bearer {kept}"}
        assert httpx.get(f"{live_server}/api/auth/me", headers=kept_auth).json()["username"] == (
            "wang"
        )
        # Disabling: wang's live session and remaining token stop working on the next request.
        assert wang_client.get("/api/auth/me").json()["username"] == "wang"
        r = admin.post("/api/users/wang/disable", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["is_active"] is False
        assert wang_client.get("/api/auth/me").json()["role"] == "public"
        assert httpx.get(f"{live_server}/api/auth/me", headers=kept_auth).status_code == 403
        bad = wang_client.post(
            "/api/auth/login", data={"username": "wang", "password": "long-enough-1"}
        )
        assert bad.status_code == 403
        users = {u["username"]: u["is_active"] for u in admin.get("/api/users").json()}
        assert users == {"boss": True, "wang": False}
        assert admin.post(
            "/api/users/boss/disable", headers={"X-CSRF-Token": csrf}
        ).status_code == (409)  # not yourself
        assert admin.post(
            "/api/users/nobody/disable", headers={"X-CSRF-Token": csrf}
        ).status_code == (404)
        r = admin.post("/api/users/wang/enable", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["is_active"] is True
        assert httpx.get(f"{live_server}/api/auth/me", headers=kept_auth).json()["username"] == (
            "wang"
        )
        _login(wang_client, "wang")
        assert wang_client.get("/api/auth/me").json()["username"] == "wang"
    with Session(committed_engine) as s:
        from zhengwu.audit.models import AuditEntry

        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.actor_name == "boss").order_by(AuditEntry.id)
        ).all()
    assert actions == ["revoke", "disable", "enable"]


def test_an_admin_moves_an_office_to_another_matrix_over_http(
    live_server: str, committed_engine: Engine
) -> None:
    from zhengwu.accounts.models import Matrix
    from zhengwu.audit.models import AuditEntry

    auth_service._ip_attempts.clear()
    with Session(committed_engine) as s:
        zz = Matrix(name="郑州市政务矩阵", kind="regional", adcode="410100")
        ly = Matrix(name="洛阳市政务矩阵", kind="regional", adcode="410300")
        s.add_all([zz, ly])
        s.flush()
        auth_service.create_user(s, username="chief", password="long-enough-1", role="admin")
        office = auth_service.create_user(
            s, username="zz-office", password="long-enough-1", role="matrix_office",
            matrix_id=zz.id,
        )  # fmt: skip
        s.commit()
        zz_id, ly_id, office_id = zz.id, ly.id, office.id
    with (
        httpx.Client(base_url=live_server) as admin,
        httpx.Client(base_url=live_server) as moved,
    ):
        moved_csrf = _login(moved, "zz-office")
        assert moved.get("/api/auth/me").json()["matrix_id"] == zz_id
        # Only an admin changes a scope.
        refused = moved.post(
            "/api/users/zz-office/scope", json={"matrix_id": ly_id},
            headers={"X-CSRF-Token": moved_csrf},
        )  # fmt: skip
        assert refused.status_code == 403
        csrf = _login(admin, "chief")
        headers = {"X-CSRF-Token": csrf}
        r = admin.post("/api/users/zz-office/scope", json={"matrix_id": ly_id}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["matrix_id"] == ly_id
        # The office's live session reads the new matrix on its next request.
        assert moved.get("/api/auth/me").json()["matrix_id"] == ly_id
        # A matrix office keeps a matrix; an unknown matrix, or a field the API has not, is refused.
        cleared = admin.post("/api/users/zz-office/scope", json={"matrix_id": None},
                             headers=headers)  # fmt: skip
        assert cleared.status_code == 422
        assert cleared.json()["message_zh"] == "矩阵管理员需要所属矩阵"
        unknown = admin.post("/api/users/zz-office/scope", json={"matrix_id": 999_999},
                             headers=headers)  # fmt: skip
        assert unknown.status_code == 404
        assert "no such matrix: 999999" in unknown.json()["message_en"]
        extra = admin.post("/api/users/zz-office/scope", json={"role": "admin"}, headers=headers)
        assert extra.status_code == 422
        nothing = admin.post("/api/users/zz-office/scope", json={}, headers=headers)
        assert nothing.status_code == 422
        assert admin.get("/api/auth/me").json()["role"] == "admin"
    with Session(committed_engine) as s:
        entries = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "user", AuditEntry.entity_id == office_id,
                AuditEntry.action == "set_scope",
            )
        ).all()  # fmt: skip
        assert len(entries) == 1
        assert entries[0].data["before"]["matrix_id"] == zz_id
        assert entries[0].data["after"]["matrix_id"] == ly_id
        assert s.get(auth_service.User, office_id).matrix_id == ly_id
