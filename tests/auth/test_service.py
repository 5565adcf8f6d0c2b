"""Users, passwords, throttling, sessions and tokens."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError


@pytest.fixture(autouse=True)
def _reset_ip_throttle() -> None:
    auth_service._ip_attempts.clear()


def _org(session: Session) -> Organization:
    org = Organization(name="金水区公安分局", level="县", sector="公安", adcode="410105")
    session.add(org)
    session.flush()
    return org


def test_passwords_are_hashed_with_argon2(session: Session) -> None:
    user = auth_service.create_user(
        session, username="admin1", password="long-enough-1", role="admin"
    )
    assert user.password_hash.startswith("$argon2id$")
    assert "$m=65536,t=3,p=4$" in user.password_hash  # argon2-cffi's defaults, as deployed
    assert "long-enough-1" not in user.password_hash
    assert (
        auth_service.authenticate(session, username="admin1", password="long-enough-1").id
        == user.id
    )
    with pytest.raises(ForbiddenError):
        auth_service.authenticate(session, username="admin1", password="wrong-password")


def test_roles_need_their_scope(session: Session) -> None:
    with pytest.raises(InvalidInputError, match="organisation"):
        auth_service.create_user(session, username="h", password="long-enough-1", role="handler")
    with pytest.raises(InvalidInputError, match="unknown role"):
        auth_service.create_user(session, username="h", password="long-enough-1", role="boss")
    org = _org(session)
    user = auth_service.create_user(
        session, username="h", password="long-enough-1", role="handler", organization_id=org.id
    )
    assert auth_service.principal_of(user).organization_id == org.id
    with pytest.raises(ConflictError):
        auth_service.create_user(session, username="h", password="long-enough-1", role="admin")


def test_repeated_failures_lock_the_account(session: Session) -> None:
    auth_service.create_user(session, username="u", password="long-enough-1", role="dispatcher")
    for _ in range(auth_service.MAX_FAILED_LOGINS):
        with pytest.raises(ForbiddenError):
            auth_service.authenticate(session, username="u", password="nope-nope-nope")
    with pytest.raises(auth_service.LoginThrottledError):
        auth_service.authenticate(session, username="u", password="long-enough-1")


def test_sessions_and_tokens_resolve_to_the_user(session: Session) -> None:
    user = auth_service.create_user(
        session, username="v", password="long-enough-1", role="verifier"
    )
    cookie, csrf = auth_service.start_session(session, user)
    principal = auth_service.principal_from_session(session, cookie)
    assert principal is not None and principal.role == "verifier" and principal.csrf_token == csrf
    auth_service.end_session(session, cookie)
    assert auth_service.principal_from_session(session, cookie) is None
    token = auth_service.create_token(session, user, "script")
    assert token.startswith("zw_")
    by_token = auth_service.principal_from_token(session, token)
    assert by_token is not None and by_token.username == "v"
    assert auth_service.principal_from_token(session, token + "x") is None


def test_a_refused_role_is_named_in_chinese() -> None:
    verifier = Principal(role="verifier", user_id=7, username="v")
    with pytest.raises(ForbiddenError) as refused:
        verifier.require("dispatcher")
    assert refused.value.message_zh == "当前角色（信息核实员）无权执行此操作"
    assert refused.value.message_en == "role 'verifier' may not do this"


ADMIN = Principal(role="admin", user_id=None, username="cli", display_name="命令行")


def test_a_revoked_token_is_refused_and_the_revocation_audited(session: Session) -> None:
    from zhengwu.audit import service as audit_service

    user = auth_service.create_user(session, username="t", password="long-enough-1", role="admin")
    token = auth_service.create_token(session, user, "nightly")
    other = auth_service.create_token(session, user, "other")
    rows = auth_service.list_tokens(session, user=user)
    assert [r.name for r in rows] == ["nightly", "other"]
    assert rows[0].prefix == token[:11] and token[11:] not in (rows[0].prefix or "")
    assert auth_service.principal_from_token(session, token) is not None
    assert rows[0].last_used_at is not None  # the use above was recorded
    # A leaked token is found by its value as well as by its id.
    assert auth_service.find_token(session, key=token) is rows[0]
    assert auth_service.find_token(session, key=f" {rows[0].id} ") is rows[0]
    auth_service.revoke_token(session, token=rows[0], actor=ADMIN)
    assert auth_service.principal_from_token(session, token) is None
    assert auth_service.principal_from_token(session, other) is not None
    with pytest.raises(ConflictError, match="already revoked"):
        auth_service.revoke_token(session, token=rows[0], actor=ADMIN)
    with pytest.raises(NotFoundError):
        auth_service.find_token(session, key="zw_not-a-token")
    with pytest.raises(NotFoundError):
        auth_service.find_token(session, key="987654")
    [entry] = audit_service.history(session, entity_type="api_token", entity_id=rows[0].id)
    assert (entry.action, entry.to_state, entry.actor_name) == ("revoke", "revoked", "命令行")
    assert entry.data == {"user_id": user.id, "name": "nightly", "prefix": token[:11]}


def test_a_disabled_user_loses_login_sessions_and_tokens_at_once(session: Session) -> None:
    from zhengwu.audit import service as audit_service

    user = auth_service.create_user(
        session, username="d", password="long-enough-1", role="dispatcher"
    )
    cookie, _ = auth_service.start_session(session, user)
    token = auth_service.create_token(session, user, "script")
    auth_service.set_active(session, user=user, active=False, actor=ADMIN)
    assert auth_service.principal_from_session(session, cookie) is None
    assert auth_service.principal_from_token(session, token) is None
    with pytest.raises(ForbiddenError):
        auth_service.authenticate(session, username="d", password="long-enough-1")
    with pytest.raises(ConflictError, match="already disabled"):
        auth_service.set_active(session, user=user, active=False, actor=ADMIN)
    auth_service.set_active(session, user=user, active=True, actor=ADMIN)
    # The old session was deleted, not merely refused: enabling does not bring it back.
    assert auth_service.principal_from_session(session, cookie) is None
    assert auth_service.principal_from_token(session, token) is not None  # not revoked
    assert auth_service.authenticate(session, username="d", password="long-enough-1") is user
    entries = audit_service.history(session, entity_type="user", entity_id=user.id)
    assert [(e.action, e.from_state, e.to_state) for e in entries] == [
        ("disable", "active", "disabled"), ("enable", "disabled", "active")
    ]  # fmt: skip
    assert entries[0].data == {"username": "d", "sessions_ended": 1}


def test_an_admin_cannot_disable_themselves(session: Session) -> None:
    user = auth_service.create_user(session, username="me", password="long-enough-1", role="admin")
    with pytest.raises(ConflictError, match="your own account"):
        auth_service.set_active(
            session, user=user, active=False, actor=auth_service.principal_of(user)
        )
    assert user.is_active
    with pytest.raises(NotFoundError, match="no such user"):
        auth_service.get_user(session, username="nobody")


def test_an_unknown_role_is_listed_in_both_languages(session: Session) -> None:
    with pytest.raises(InvalidInputError) as exc:
        auth_service.create_user(session, username="k", password="long-enough-1", role="king")
    for message in (exc.value.message_zh, exc.value.message_en):
        assert "admin, matrix_office, operator, handler, dispatcher, verifier, team" in message
