"""Every upload route refuses a caller without the right before it reads the upload.

Each request declares a 20 MB multipart body but sends only its first part, then waits for
the answer: a server that read (and spooled) the upload before checking the caller would
wait for the rest and never answer; one that checks first answers 403 at once. Over a
real server (uvicorn), with real logins, on SQLite and PostgreSQL; nothing is imported.
The same routes still take the upload from a caller with the right (the upload tests of
each area: the desk's, the matrix's, the rescue sheet's, the library's).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import params
from fastapi.routing import APIRoute
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import MatrixMember
from zhengwu.auth import service as auth_service
from zhengwu.db.engine import make_engine
from zhengwu.ingest.models import ImportRun
from zhengwu.library.models import ContentItem
from zhengwu.web.app import create_app
from zhengwu.web.deps import SESSION_COOKIE
from zhengwu.web.gate import MARK, GatedRoute

from .test_console_world import ConsoleWorld, build_console_world, login

BOUNDARY = "zhengwu-gate-boundary"
DECLARED = 20 * 1024 * 1024  # under the server's body cap: only the route's check refuses
WAIT = 15.0  # seconds: a server reading the body first never answers in this time


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (no index run)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


def _first_part() -> bytes:
    """The start of a multipart upload: a file part and its first kilobyte."""
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="list.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + b"platform,uid\r\n"
        + b"weibo,1001\r\n" * 80
    )


def _post_unfinished(base: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """POST ``path`` declaring a 20 MB body, send only its first part, and return the
    answer's status and head. Raises (socket timeout) if the server waits for the body."""
    url = urlsplit(base)
    assert url.hostname is not None and url.port is not None
    head = [
        f"POST {path} HTTP/1.1", f"Host: {url.netloc}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {DECLARED}", *(f"{k}: {v}" for k, v in headers.items()),
    ]  # fmt: skip
    with socket.create_connection((url.hostname, url.port), timeout=WAIT) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + _first_part())
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        head_bytes, _, body = answer.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head_bytes.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)  # fmt: skip
        while len(body) < length and (chunk := sock.recv(65536)):
            body += chunk
    status_line = head_bytes.split(b"\r\n", 1)[0].decode()
    return int(status_line.split(" ")[1]), (head_bytes + b"\r\n\r\n" + body).decode()


def _as(client: httpx.Client, user: str | None) -> dict[str, str]:
    """Log ``user`` in (None: nobody); return the headers of a console form post by them."""
    client.cookies.clear()
    if user is None:
        return {"Accept": "application/json"}
    csrf = login(client, user)
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return {"Cookie": f"{SESSION_COOKIE}={cookie}", "X-CSRF-Token": csrf}


# (id, path template, user without the right, accept)
ROUTES = [
    ("console-members", "/console/matrix/{zz}/import", "handler", "text/html"),
    ("console-members-other-office", "/console/matrix/{zz}/import", "office_ly", "text/html"),
    ("api-members", "/api/matrices/{zz}/members/import", "handler", "application/json"),
    ("api-members-other-office", "/api/matrices/{zz}/members/import", "office_ly",
     "application/json"),
    ("console-desk", "/console/desk/import", "handler", "text/html"),
    ("api-desk", "/api/desk/import", "operator", "application/json"),
    ("api-desk-anonymous", "/api/desk/import", None, "application/json"),
    ("console-rescue-sheet", "/console/rescue/{incident}/sheet", "verifier", "text/html"),
    ("api-rescue-sheet", "/api/rescue/incidents/{incident}/sheet", "handler", "application/json"),
    ("console-library-new", "/console/library/new", "dispatcher", "text/html"),
    ("console-library-file", "/console/library/1/files", "dispatcher", "text/html"),
    ("api-library-new", "/api/library/items", "dispatcher", "application/json"),
    ("api-library-file", "/api/library/items/1/files", "dispatcher", "application/json"),
    ("console-indicator-system", "/console/settings/systems/new", "office", "text/html"),
    ("console-routing-table", "/console/settings/routing/import", "office", "text/html"),
    ("api-routing-table", "/api/desk/routing/rules/import", "office", "application/json"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "user", "accept"), [r[1:] for r in ROUTES],
                         ids=[r[0] for r in ROUTES])  # fmt: skip
def test_a_caller_without_the_right_is_refused_before_the_upload_is_read(
    client: httpx.Client, world: ConsoleWorld, live_server: str, committed_engine: Engine,
    path: str, user: str | None, accept: str,
) -> None:  # fmt: skip
    with Session(committed_engine) as session:
        members = session.scalar(select(func.count()).select_from(MatrixMember))
    target = path.format(zz=world.matrices["zz"], incident=world.incident_id)
    headers = {**_as(client, user), "Accept": accept}
    status, answer = _post_unfinished(live_server, target, headers)
    assert status == 403, answer
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(MatrixMember)) == members
        assert session.scalar(select(func.count()).select_from(ImportRun)) == 0
        assert session.scalar(select(func.count()).select_from(ContentItem)) == 0


def test_the_refusal_says_why_in_both_languages(
    client: httpx.Client, world: ConsoleWorld, live_server: str
) -> None:
    target = f"/api/matrices/{world.matrices['zz']}/members/import"
    status, answer = _post_unfinished(
        live_server, target, {**_as(client, "office_ly"), "Accept": "application/json"}
    )
    assert status == 403
    assert "这不是您管理的矩阵" in answer and "is not one you manage" in answer
    status, page = _post_unfinished(
        live_server, "/console/desk/import", {**_as(client, "handler"), "Accept": "text/html"}
    )
    assert status == 403
    assert "无权" in page and "text/html" in page


def test_a_caller_with_the_right_still_imports_the_member_list(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    page = client.post(
        f"/console/matrix/{world.matrices['zz']}/import",
        data={"csrf_token": csrf},
        files={"file": ("list.csv", b"platform,uid\nweibo,2001\n", "text/csv")},
    )
    assert page.status_code in (200, 303), page.text
    answer = client.post(
        f"/api/matrices/{world.matrices['zz']}/members/import",
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
        files={"file": ("list.csv", b"platform,uid\nweibo,1001\n", "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["already"] == 1  # 平安郑州 is a member already


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every API route of the app, inside the routers it includes."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)


def test_every_upload_route_checks_its_caller_before_the_body() -> None:
    app = create_app(make_engine("sqlite://"))
    uploads = {
        f"{sorted(route.methods)[0]} {route.path}": route
        for route in _routes(app.router.routes)
        if any(isinstance(f.field_info, params.File) for f in route.dependant.body_params)
    }
    assert len(uploads) >= 10  # the routes of the test above (the settings page reads its own)
    ungated = [
        name for name, route in uploads.items()
        if not isinstance(route, GatedRoute) or not hasattr(route.endpoint, MARK)
    ]  # fmt: skip
    assert ungated == []
