"""The role gate of every GET route of the app, over real HTTP, role by role.

:data:`ROUTES` names, for each GET route of :func:`zhengwu.web.app.create_app`, the roles that
may open it. A route the table lacks (or a row for a route that is gone) fails
:func:`test_every_get_route_has_a_role_rule`, so no route can be added without its rule.
Every route is then asked for by every role in one world where each role's scope holds the
world's objects (``route_world``): allowed roles get the route's success code, the others
403 (a console page sends a visitor who is not logged in to the login page), nothing 500s,
and citizens' phone numbers appear only for the roles that may read them unmasked.

The per-domain tests check scope in detail; this one guarantees that no route was forgotten.
The world is built and every route asked for once per backend (in the first case, while
the live server runs); the parametrised cases then check their own answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.routing import BaseRoute, Mount, Route

from zhengwu.web.app import create_app

from .route_world import ROLES, RouteWorld, build_route_world

ALL = frozenset(ROLES)
STAFF = frozenset({"admin", "matrix_office", "operator", "handler"})  # the desk's staff
INDEX = frozenset({"admin", "matrix_office", "operator"})  # index readers, library users
RESCUE = frozenset({"admin", "dispatcher", "verifier", "team"})
OFFICE = frozenset({"admin", "matrix_office"})
DISPATCH = frozenset({"admin", "dispatcher"})
INTAKE = frozenset({"admin", "dispatcher", "verifier"})  # manual entry, set-aside inputs
ADMIN = frozenset({"admin"})
LOGGED_IN = ALL - {"public"}
MAP = LOGGED_IN  # every staff role has the county map


@dataclass(frozen=True)
class Rule:
    """Who may open a route, and what an allowed request gets."""

    roles: frozenset[str]
    ok: int = 200
    query: str = ""  # a query string the route needs (without ``?``)
    ok_for: tuple[tuple[str, int], ...] = ()  # roles whose success is another code

    def success(self, role: str) -> int:
        """Return the status an allowed ``role`` gets."""
        return dict(self.ok_for).get(role, self.ok)


# path template → rule. Keep in step with the app: the first test fails on any difference.
ROUTES: dict[str, Rule] = {
    # FastAPI's own documentation, health
    "/openapi.json": Rule(ALL),
    "/docs": Rule(ALL),
    "/docs/oauth2-redirect": Rule(ALL),
    "/healthz": Rule(ALL),
    "/favicon.ico": Rule(ALL),  # the site icon, drawn in code (zhengwu.web.branding)
    "/favicon.svg": Rule(ALL),
    "/api/auth/me": Rule(ALL),
    "/api/users": Rule(ADMIN),
    "/api/users/{username}/tokens": Rule(ADMIN),
    # accounts and matrices
    "/api/accounts": Rule(STAFF),
    "/api/accounts/{account_id}": Rule(STAFF),
    "/api/organizations": Rule(STAFF),
    "/api/matrices": Rule(STAFF),
    "/api/matrices/{matrix_id}": Rule(STAFF),
    "/api/matrices/{matrix_id}/members": Rule(STAFF),
    # influence index
    "/api/index/systems": Rule(INDEX),
    "/api/index/systems/{name}": Rule(INDEX),
    "/api/index/periods": Rule(INDEX),
    "/api/index/rankings": Rule(INDEX, query="period=2025-07"),
    "/api/index/accounts/{account_id}/explain": Rule(INDEX, query="period=2025-07"),
    "/api/index/compliance": Rule(INDEX, query="period=2025-07"),
    "/api/public/rankings": Rule(ALL),
    "/rankings": Rule(ALL),
    # service desk
    "/api/desk/categories": Rule(ALL),
    "/api/desk/categories/{code}": Rule(ALL),
    "/api/desk/routing/rules": Rule(STAFF),
    "/api/desk/routing/rules/export": Rule(STAFF),
    "/api/desk/routing/versions": Rule(STAFF),
    "/api/desk/requests": Rule(STAFF),
    "/api/desk/requests/due-soon": Rule(STAFF),
    "/api/desk/merged-outside-scope": Rule(STAFF),  # a matrix office's; others: an empty list
    "/api/desk/requests/export": Rule(LOGGED_IN),  # others: the public board's, masked
    "/api/desk/requests/{public_id}": Rule(STAFF),
    "/api/desk/workflow": Rule(ALL),
    "/api/desk/rates": Rule(STAFF, query="period=2025"),
    "/api/public/requests": Rule(ALL),
    "/api/public/requests/{public_id}": Rule(ALL),
    "/board/requests": Rule(ALL),
    "/board/requests/{public_id}": Rule(ALL),
    # Open311 GeoReport v2 (public by design)
    "/open311/v2/discovery": Rule(ALL),
    "/open311/v2/discovery.{fmt}": Rule(ALL),
    "/open311/v2/services": Rule(ALL),
    "/open311/v2/services.{fmt}": Rule(ALL),
    "/open311/v2/service/{code_fmt}": Rule(ALL),
    "/open311/v2/services/{code_fmt}": Rule(ALL),
    "/open311/v2/requests": Rule(ALL),
    "/open311/v2/requests.{fmt}": Rule(ALL),
    "/open311/v2/requests/{id_fmt}": Rule(ALL),
    "/open311/v2/tokens/{token_fmt}": Rule(ALL),
    "/open311/v2/{rest:path}": Rule(ALL, ok=404),  # unknown Open311 address
    # rescue
    "/api/rescue/incidents": Rule(ALL),
    "/api/rescue/incidents/{incident_id}": Rule(ALL),
    "/api/rescue/teams": Rule(RESCUE),
    "/api/rescue/incidents/{incident_id}/queue": Rule(RESCUE),
    "/api/rescue/incidents/{incident_id}/board": Rule(ALL),
    "/api/rescue/incidents/{incident_id}/export.csv": Rule(DISPATCH),
    "/api/rescue/incidents/{incident_id}/set-aside": Rule(INTAKE),
    "/api/rescue/requests/{request_id}": Rule(ALL),  # masked unless the role sees it all
    "/api/rescue/requests/{request_id}/notices": Rule(RESCUE),
    "/board/rescue/{incident_id}": Rule(ALL),
    "/board/rescue/{incident_id}/help": Rule(ALL),
    "/board/rescue/followup": Rule(ALL),  # the look-up form (phone + query code)
    "/board/rescue/followup/{token}": Rule(ALL, ok=404),  # a citizen's link; none valid here
    # content library, search
    "/api/library/items": Rule(INDEX),
    "/api/library/items/{item_id}": Rule(INDEX),
    "/api/library/items/{item_id}/files/{file_id}": Rule(INDEX),
    "/api/library/items/{item_id}/distributions": Rule(INDEX),
    "/api/search": Rule(LOGGED_IN, query="q=物业"),  # accounts for all; requests by scope
    # console
    "/": Rule(ALL, ok=303),  # to the board (public) or the console
    "/console": Rule(ALL, ok=303),  # to the first page of the role (public: to /login)
    "/login": Rule(ALL, ok=303, ok_for=(("public", 200),)),  # logged in: to the console
    "/console/matrix": Rule(OFFICE, ok_for=(("matrix_office", 303),)),  # to its own matrix
    "/console/matrix/{matrix_id}": Rule(OFFICE),
    "/console/matrix/{matrix_id}/coverage": Rule(OFFICE),
    "/console/matrix/{matrix_id}/compliance/export": Rule(OFFICE, query="format=csv"),
    "/console/accounts": Rule(INDEX),
    "/console/accounts/{account_id}": Rule(INDEX),
    "/console/organizations": Rule(INDEX),
    "/console/organizations/{organization_id}": Rule(INDEX),  # the operator's own body
    "/console/rankings": Rule(INDEX),
    "/console/rankings/explain": Rule(INDEX, query="run={run_id}&ref={account_ref}"),
    "/console/rankings/export": Rule(INDEX),
    "/console/reports": Rule(INDEX),
    # a report download: any stored run for index readers, a published one (as here) for all
    "/reports/{system}/{period}.html": Rule(ALL),
    "/reports/{system}/{period}.pdf": Rule(ALL),
    "/console/topics": Rule(INDEX),
    "/console/map": Rule(MAP),
    "/console/desk": Rule(STAFF),
    "/console/desk/{public_id}": Rule(STAFF),
    "/console/rescue": Rule(RESCUE),
    "/console/rescue/{incident_id:int}": Rule(RESCUE),
    "/console/rescue/{incident_id:int}/manual": Rule(INTAKE),
    "/console/rescue/{incident_id:int}/set-aside": Rule(INTAKE),
    "/console/rescue/requests/{request_id}": Rule(RESCUE),
    "/console/rescue/incidents/new": Rule(DISPATCH),
    "/console/rescue/incidents/{incident_id}/edit": Rule(DISPATCH),
    "/console/rescue/teams": Rule(RESCUE),
    "/console/rescue/teams/{team_id}/edit": Rule(DISPATCH),
    "/console/library": Rule(INDEX),
    "/console/library/new": Rule(INDEX),
    "/console/library/{item_id}": Rule(INDEX),
    "/console/search": Rule(LOGGED_IN, query="q=物业"),  # as /api/search
    "/console/settings": Rule(STAFF),
    # settings pages are read by the desk's staff; their forms' posts are gated apart
    "/console/settings/systems": Rule(STAFF),
    "/console/settings/categories": Rule(STAFF),
    "/console/settings/categories/{code}": Rule(STAFF),
    "/console/settings/routing": Rule(STAFF),
    "/console/settings/systems/new": Rule(frozenset({"admin"})),  # only the admin saves systems
    "/console/settings/imports": Rule(ADMIN),  # the import history: server files of every area
    # the quarantine's records (raw text masked) and a run's download: the admin's, as above
    "/console/settings/imports/quarantine": Rule(ADMIN, query="run={import_run}"),
    "/console/settings/imports/quarantine.jsonl": Rule(ADMIN, query="run={import_run}"),
    "/console/settings/systems/{name}": Rule(STAFF),
    "/console/{rest:path}": Rule(ALL, ok=404),  # unknown console address: 404 for everyone
}
# Filled into catch-all parameters (``{rest:path}``).
CATCH_ALL = {"rest": "no-such-page", "token": "no-such-follow-up-token"}
# Routes answered as HTML pages (asked for with ``Accept: text/html`` and a session cookie).
HTML_PREFIXES = ("/console", "/login", "/board", "/rankings", "/docs")


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """Yield (path, methods) of every route, descending into included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's included router
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        elif isinstance(route, Route):
            yield prefix + route.path, set(route.methods or ())
        elif isinstance(route, Mount):
            continue  # static files
        else:  # pragma: no cover - a kind of route this test does not know
            raise AssertionError(f"unknown route type {type(route).__name__}")


def get_routes(app: FastAPI) -> set[str]:
    """Return the path templates of every GET route of ``app``."""
    return {path for path, methods in _walk(app.routes) if "GET" in methods}


def test_every_get_route_has_a_role_rule(db_engine: Engine) -> None:
    found = get_routes(create_app(db_engine))
    assert found - ROUTES.keys() == set(), "GET routes without a role rule in ROUTES"
    assert ROUTES.keys() - found == set(), "ROUTES names routes the app no longer has"
    assert len(found) >= 80  # the walk really descended into the included routers


def _is_html(path: str) -> bool:
    return path == "/" or path.startswith(HTML_PREFIXES)


def _url(path: str, rule: Rule, world: RouteWorld) -> str:
    """Fill ``path``'s parameters (and its query) from the world."""
    values = {**world.params, **CATCH_ALL}

    def fill(match: re.Match[str]) -> str:
        return values[match[1]]

    url = re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)
    if rule.query:
        url += "?" + rule.query.format(**values)
    return url


@dataclass(frozen=True)
class Answer:
    """What one role got from one route."""

    status: int
    location: str
    body: str


# backend → (world, answers), or the error that building them raised (not retried per case)
_CACHE: dict[str, tuple[RouteWorld, dict[tuple[str, str], Answer]] | BaseException] = {}


def _ask_everything(base: str, world: RouteWorld) -> dict[tuple[str, str], Answer]:
    """Ask every route as every role; return the answers."""
    answers: dict[tuple[str, str], Answer] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for path, rule in ROUTES.items():
            url = _url(path, rule, world)
            html = _is_html(path)
            for role in ROLES:
                headers = {"Accept": "text/html"} if html else {}
                if role != "public" and html:
                    headers["Cookie"] = f"zw_session={world.sessions[role]}"
                elif role != "public":
                    headers["Authorization"] = f"Bearer {world.tokens[role]}"
                client.cookies.clear()  # only this role's login travels
                response = client.get(url, headers=headers)
                answers[path, role] = Answer(
                    response.status_code, response.headers.get("location", ""), response.text
                )
    return answers


@pytest.fixture
def answers(
    request: pytest.FixtureRequest, db_engine: Engine
) -> tuple[RouteWorld, dict[tuple[str, str], Answer]]:
    """Every route's answer to every role on this backend (asked once, then cached)."""
    backend = db_engine.dialect.name
    if backend not in _CACHE:
        try:
            base = request.getfixturevalue("live_server")  # commits; emptied after this test
            engine: Engine = request.getfixturevalue("committed_engine")
            world = build_route_world(engine)
            _CACHE[backend] = world, _ask_everything(base, world)
        except Exception as exc:
            _CACHE[backend] = exc
            raise
    cached = _CACHE[backend]
    if isinstance(cached, BaseException):
        pytest.fail(f"the route world could not be built on {backend}: {cached!r}")
    return cached


def _hidden_phones(role: str, world: RouteWorld) -> set[str]:
    """Return the phones ``role`` must not get from any route (it may not read them unmasked)."""
    desk, help_ = world.desk_phones, world.help_phones
    hidden: set[str] = set()
    if role in ("public", "dispatcher", "verifier", "team"):
        hidden |= set(desk.values())  # the desk is not theirs
    if role in ("operator", "handler"):
        hidden.add(desk["police"])  # routed to another organisation
    if role in ("public", "matrix_office", "operator", "handler"):
        hidden |= set(help_.values())  # rescue shows them masked data only
    if role == "team":
        hidden.add(help_["pregnant"])  # not assigned to the team
    return hidden


CASES = [pytest.param(path, role, id=f"{path} {role}") for path in ROUTES for role in ROLES]


@pytest.mark.parametrize(("path", "role"), CASES)
def test_role_gate(
    path: str, role: str, answers: tuple[RouteWorld, dict[tuple[str, str], Answer]]
) -> None:
    world, got = answers
    rule = ROUTES[path]
    answer = got[path, role]
    assert answer.status < 500, f"{path} as {role}: {answer.status} {answer.body[:300]}"
    if role in rule.roles:
        assert answer.status == rule.success(role), (
            f"{path} as {role}: {answer.status} {answer.body[:300]}"
        )
    elif role == "public" and _is_html(path):
        assert answer.status == 303, f"{path} as public: {answer.status}"
        assert answer.location.startswith("/login?next="), answer.location
    else:
        assert answer.status == 403, f"{path} as {role}: {answer.status} {answer.body[:300]}"
        assert "无权" in answer.body or "登录" in answer.body  # the bilingual refusal
    leaked = {p for p in _hidden_phones(role, world) if p in answer.body}
    assert leaked == set(), f"{path} as {role} shows phones {leaked}"


# Where the world's phones must show (unmasked readers): proves the leak check can see them.
SHOWN = (
    ("/api/desk/requests/{public_id}", ("admin", "matrix_office", "operator", "handler"), "desk"),
    ("/api/rescue/requests/{request_id}", ("admin", "dispatcher", "verifier", "team"), "help"),
)


@pytest.mark.parametrize(("path", "roles", "kind"), SHOWN)
def test_phones_show_to_who_may_read_them(
    path: str,
    roles: tuple[str, ...],
    kind: str,
    answers: tuple[RouteWorld, dict[tuple[str, str], Answer]],
) -> None:
    world, got = answers
    phone = world.desk_phones["housing"] if kind == "desk" else world.help_phones["flooded"]
    for role in roles:
        assert phone in got[path, role].body, f"{path} as {role} does not show {phone}"
    assert phone not in got[path, "public"].body
