"""Users, passwords, throttling, sessions and tokens."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Organization
from zhengwu.auth import service as auth_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, ForbiddenError, InvalidInputError


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
