"""Request bodies over the cap get a bilingual 413 before anything reads them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.config import get_settings
from zhengwu.web.bodylimit import request_limit

CAP = 4096


@pytest.fixture
def cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cap request bodies at CAP bytes (before the live server is made: ask for it first)."""
    monkeypatch.setenv("ZHENGWU_MAX_REQUEST_BYTES", str(CAP))
    get_settings.cache_clear()


@pytest.fixture
def capped(cap: None, live_server: str) -> str:
    """A live server whose request bodies are capped at CAP bytes."""
    return live_server


@pytest.fixture
def admin_token(committed_engine: Engine) -> str:
    """An API token of an admin: the upload routes read the body only of a caller with the
    right (a refused caller is answered before: tests/web/test_upload_permission_first.py)."""
    with Session(committed_engine) as session:
        user = auth_service.create_user(
            session, username="cap-admin", password="cap-admin-pass-1", role="admin"
        )
        session.flush()
        token = auth_service.create_token(session, user, "cap")
        session.commit()
    return token


BOUNDARY = "zhengwu-test-boundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def _chunks(total: int) -> Iterator[bytes]:
    """A multipart upload of ``total`` bytes of file, sent in pieces (no declared length)."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    for _ in range(total // 1024):
        yield b"x" * 1024
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_a_declared_body_over_the_cap_is_refused_unread(capped: str) -> None:
    files = {"file": ("12345导出.csv", b"a" * (CAP * 2), "text/csv")}
    r = httpx.post(f"{capped}/api/desk/import", files=files, timeout=60)
    assert r.status_code == 413
    body = r.json()
    assert body["error"] == "PayloadTooLargeError" and body["status"] == 413
    assert "请求体过大" in body["message_zh"] and "request body too large" in body["message_en"]
    page = httpx.post(f"{capped}/console/desk/import", files=files,
                      headers={"Accept": "text/html"}, timeout=60)  # fmt: skip
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "请求体过大" in page.text and "request body too large" in page.text


def test_a_streamed_body_is_cut_off_once_it_passes_the_cap(capped: str, admin_token: str) -> None:
    headers = {**MULTIPART, "Authorization": f"Bearer {admin_token}"}
    r = httpx.post(f"{capped}/api/desk/import", content=_chunks(CAP * 4), headers=headers,
                   timeout=60)  # fmt: skip
    assert "content-length" not in r.request.headers  # sent chunked, no declared length
    assert r.status_code == 413
    assert r.json()["error"] == "PayloadTooLargeError"


def test_bodies_under_the_cap_reach_their_route(capped: str) -> None:
    files = {"file": ("12345导出.csv", b"a" * 100, "text/csv")}
    r = httpx.post(f"{capped}/api/desk/import", files=files, timeout=60)
    assert r.status_code == 403  # the route's own answer: not logged in
    streamed = httpx.post(f"{capped}/api/desk/import", content=_chunks(2048), headers=MULTIPART,
                          timeout=60)  # fmt: skip
    assert streamed.status_code == 403
    assert httpx.get(f"{capped}/healthz", timeout=60).status_code == 200


def test_the_default_cap_is_the_largest_upload_limit_plus_the_forms_own_bytes() -> None:
    from zhengwu.servicedesk.upload import MAX_UPLOAD_BYTES

    settings = get_settings()
    assert settings.max_request_bytes == 0
    assert request_limit() == max(settings.library_max_upload_bytes, MAX_UPLOAD_BYTES) + (1 << 20)
