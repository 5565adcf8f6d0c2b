"""One committed world in which every GET route of the app has something to show, per role.

Built on the console test city (``test_console_world``): organisations with accounts in the
郑州 matrix, routed service requests with citizens' phones, a flood with help requests and
teams, a month of posts and a stored index run. Added here: an operator of the organisation
that the handler works for (金水住建), the index run published, a library item of that
organisation filed under the matrix, a help request verified and dispatched to the team of
the ``team`` user, and for every role a login session (console pages) and an API token.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.auth.models import User
from zhengwu.content import store
from zhengwu.index import access as index_access
from zhengwu.ingest.runs import record_sheet_run
from zhengwu.library import service as library_service
from zhengwu.platforms.records import QuarantineRecord
from zhengwu.rescue import dispatch
from zhengwu.rescue import service as rescue_service

from .test_console_world import HELP, MONTH, PASSWORD, REQUESTS, build_console_world

# role → username in the world (``operator_js`` is added here; the others are the city's)
ROLE_USERS = {
    "admin": "admin",
    "matrix_office": "office",
    "operator": "operator_js",
    "handler": "handler",
    "dispatcher": "dispatcher",
    "verifier": "verifier",
    "team": "team",
}
ROLES = (*ROLE_USERS, "public")
SYSTEM_NAME = "zhengwu-4d"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class RouteWorld:
    """What every path parameter is filled with, and how each role logs in."""

    params: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # role → bearer token
    sessions: dict[str, str] = field(default_factory=dict)  # role → session cookie
    desk_phones: dict[str, str] = field(default_factory=dict)  # request key → phone
    help_phones: dict[str, str] = field(default_factory=dict)  # help key → phone
    incident_id: int = 0


def build_route_world(engine: Engine) -> RouteWorld:
    """Create the world (committed) and return its ids, logins and personal data."""
    auth_service._ip_attempts.clear()
    city = build_console_world(engine, with_index=True)
    world = RouteWorld(incident_id=city.incident_id)
    world.desk_phones = {key: row[3] for key, row in REQUESTS.items()}
    world.help_phones = {key: data.phone for key, data in HELP.items() if data.phone}
    with Session(engine) as session:
        auth_service.create_user(
            session, username="operator_js", password=PASSWORD, role="operator",
            display_name="金水住建运营", organization_id=city.orgs["js_housing"],
        )  # fmt: skip
        users = {u.username: u for u in session.scalars(select(User))}
        office = auth_service.principal_of(users["office"])
        operator = auth_service.principal_of(users["operator_js"])
        for role, username in ROLE_USERS.items():
            world.tokens[role] = auth_service.create_token(session, users[username], "routes")
            world.sessions[role] = auth_service.start_session(session, users[username])[0]
        item = library_service.create(
            session, operator, title="金水区防汛提示", body="汛期请远离河道",
            matrix_id=city.matrices["zz"], tags=["防汛"],
            files=[library_service.Upload(filename="提示.pdf", stream=io.BytesIO(PDF))],
        )  # fmt: skip
        flooded = rescue_service.get_request(session, request_id=city.help["flooded"])
        dispatcher = auth_service.principal_of(users["dispatcher"])
        dispatch.verify(session, request=flooded, method="phone", result="confirmed",
                        actor=dispatcher)  # fmt: skip
        team = rescue_service.get_team(session, team_id=city.teams["blue_sky"])
        dispatch.assign(session, request=flooded, team=team, actor=dispatcher)
        admin = auth_service.principal_of(users["admin"])
        housing = REQUESTS["housing"]  # a caller's row, quarantined: only the admin reads it
        import_run = record_sheet_run(
            session, fmt="zhengwu-desk-csv", shown="工单.csv", counts={"read": 1, "quarantined": 1},
            quarantines=[QuarantineRecord(source="工单.csv:2", reason="日期无效 / bad date",
                                          raw=f"{housing[3]},昨天,路灯不亮")],
            actor=admin, action="import", data={},
        )  # fmt: skip
        code = "01"  # 住房 (housing): the category of the handler's request
        file_id = item.files[0].id
        session.commit()
        world.params = {
            "account_id": str(city.accounts["js_weibo"]),
            "organization_id": str(city.orgs["js_housing"]),  # operator_js's body
            "matrix_id": str(city.matrices["zz"]),
            "name": SYSTEM_NAME,
            "code": code,
            "public_id": city.requests["housing"],
            "incident_id": str(city.incident_id),
            "request_id": str(city.help["flooded"]),
            "team_id": str(city.teams["blue_sky"]),
            "item_id": str(item.id),
            "file_id": str(file_id),
            "fmt": "json",
            "code_fmt": f"{code}.json",
            "id_fmt": f"{city.requests['housing']}.json",
            "token_fmt": f"{city.requests['housing']}.json",
            "run_id": f"{SYSTEM_NAME}/{MONTH}",
            "account_ref": "weibo:1002",  # 金水住建 (js_weibo)
            "system": SYSTEM_NAME,  # the report downloads
            "period": MONTH,
            "username": "operator_js",  # the admin's user pages
            "import_run": str(import_run),  # the quarantine page and its download
        }
    with Session(engine) as session, store.open_store(read_only=True) as con:
        index_access.publish(session, con, principal=office, run_id=f"{SYSTEM_NAME}/{MONTH}")
        session.commit()
    return world
