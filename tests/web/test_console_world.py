"""Factories of the console tests, and a check that the world they build is what pages expect.

A small city (郑州) made through the domain services: bodies with accounts on three
platforms, a matrix with a vertical sub-matrix (and a foreign one, 洛阳), one user per
role, service requests routed by rule, a flood with help requests and two teams, a month
of posts in the analytics store, and an index run over that month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyarrow as pa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, Matrix, MatrixMember, Organization
from zhengwu.auth import service as auth_service
from zhengwu.content import store
from zhengwu.index import engine as index_engine
from zhengwu.index.periods import parse_period
from zhengwu.index.system import load_system
from zhengwu.rescue import intake as rescue_intake
from zhengwu.rescue import service as rescue_service
from zhengwu.rescue.schemas import HelpSubmission, IncidentCreate, TeamCreate
from zhengwu.servicedesk import service as desk_service
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.routing import service as routing_service
from zhengwu.servicedesk.routing.models import RoutingRuleCreate
from zhengwu.servicedesk.schemas import RequestIntake

PASSWORD = "console-pass-1"
MONTH = "2025-07"
ORGS = {
    # key: (name, level, sector, adcode)
    "police": ("郑州市公安局", "市", "公安", "410100"),
    "js_housing": ("郑州市金水区住房和城乡建设局", "县", "住建", "410105"),
    "hotline": ("郑州市12345政务服务便民热线", "市", "政务服务", "410100"),
    "zy_culture": ("郑州市中原区文化广电和旅游局", "县", "文旅", "410102"),
    "ly_housing": ("洛阳市住房和城乡建设局", "市", "住建", "410300"),
}
ACCOUNTS = {
    # key: (platform, uid, name, org key, days posted in July: first, last)
    "police_weibo": ("weibo", "1001", "平安郑州", "police", (1, 31)),
    "police_douyin": ("douyin", "d1001", "郑州警方", "police", (1, 31)),
    "js_weibo": ("weibo", "1002", "金水住建", "js_housing", (1, 31)),
    "hotline_weibo": ("weibo", "1003", "郑州12345", "hotline", (1, 10)),
    "zy_wechat": ("wechat", "w3001", "中原文旅", "zy_culture", None),
    "ly_weibo": ("weibo", "2001", "洛阳住建", "ly_housing", (1, 31)),
}
USERS = {
    # username: (role, org key, matrix key, team key)
    "admin": ("admin", None, None, None),
    "office": ("matrix_office", None, "zz", None),
    "office_ly": ("matrix_office", None, "ly", None),
    "operator": ("operator", "police", None, None),
    "handler": ("handler", "js_housing", None, None),
    "dispatcher": ("dispatcher", None, None, None),
    "verifier": ("verifier", None, None, None),
    "team": ("team", None, None, "blue_sky"),
}
REQUESTS = {
    # key: (text, adcode, citizen name, phone, days ago); "housing" is a Weibo post
    "housing": ("@金水住建 金水区花园路8号院小区物业乱收费，电梯停运两周，我叫李小红，电话13912345678",
                "410105", "李小红", "13912345678", 0),
    "old_housing": ("金水区经三路小区物业不维修漏水的房顶，已经一个多月了", "410105",
                    "赵大明", "13700001234", 40),
    "police": ("中原区建设路夜间施工噪音扰民，物业不管", "410102", "钱多多", "13600005678", 0),
}  # fmt: skip
HELP = {
    "flooded": HelpSubmission(
        text="家中老人被困，水已到二楼，急需冲锋舟救援", name="张建国", phone="13800001111",
        address="郑州市金水区文化路32号院3号楼", people=4,
    ),
    "pregnant": HelpSubmission(
        text="孕妇临产，小区积水出不去，需要送医", name="王芳", phone="13900002222",
        address="郑州市二七区大学路78号院", people=2,
    ),
}  # fmt: skip


@dataclass
class ConsoleWorld:
    """Ids of what the factories made."""

    orgs: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)
    matrices: dict[str, int] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    help: dict[str, int] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)
    incident_id: int = 0
    run_id: str = ""


def _posts(world: ConsoleWorld) -> pa.Table:
    rows: list[dict[str, Any]] = []
    for key, (platform, uid, _name, _org, days) in ACCOUNTS.items():
        if days is None:
            continue
        for day in range(days[0], days[1] + 1):
            # 10:00 China time; counts grow with the day, so the chart is not flat.
            when = datetime(2025, 7, day, 2, 0)
            rows.append({
                "seq": len(rows), "is_primary": True, "platform": platform,
                "post_id": f"{uid}-{day}", "account_uid": uid, "created_at": when,
                "text": f"{ACCOUNTS[key][2]} 7月{day}日发布：今日提示 #{day}",
                "topics": [], "mentions": [], "is_repost": False, "reposts": day,
                "comments": 2 * day if key != "js_weibo" else day // 2, "likes": 10 * day,
                "plays": 100 * day if platform == "douyin" else None,
                "observed_at": datetime(2025, 8, 5),
            })  # fmt: skip
    return pa.Table.from_pylist(rows, schema=store.POST_SCHEMA)


def _organisations(session: Session, world: ConsoleWorld) -> None:
    for key, (name, level, sector, adcode) in ORGS.items():
        org = Organization(name=name, level=level, sector=sector, adcode=adcode)
        session.add(org)
        session.flush()
        world.orgs[key] = org.id
    for key, (platform, uid, name, org_key, _days) in ACCOUNTS.items():
        account = Account(platform=platform, uid=uid, name=name, is_government=True,
                          organization_id=world.orgs[org_key], adcode=ORGS[org_key][3],
                          followers=10_000 + len(world.accounts))  # fmt: skip
        session.add(account)
        session.flush()
        world.accounts[key] = account.id
    zz = Matrix(name="郑州政务新媒体矩阵", kind="regional", adcode="410100",
                lead_account_id=world.accounts["hotline_weibo"])  # fmt: skip
    ly = Matrix(name="洛阳政务新媒体矩阵", kind="regional", adcode="410300")
    session.add_all([zz, ly])
    session.flush()
    police = Matrix(name="郑州公安新媒体矩阵", kind="vertical", sector="公安", parent_id=zz.id)
    session.add(police)
    session.flush()
    world.matrices = {"zz": zz.id, "ly": ly.id, "zz_police": police.id}
    for key in ("police_weibo", "police_douyin", "js_weibo", "hotline_weibo", "zy_wechat"):
        role = "lead" if key == "hotline_weibo" else "member"
        session.add(MatrixMember(matrix_id=zz.id, account_id=world.accounts[key], role=role))
    for key in ("police_weibo", "police_douyin"):
        session.add(MatrixMember(matrix_id=police.id, account_id=world.accounts[key]))
    session.add(MatrixMember(matrix_id=ly.id, account_id=world.accounts["ly_weibo"], role="lead"))
    session.flush()


def _desk(session: Session, world: ConsoleWorld) -> None:
    category_service.ensure_default_tree(session)
    routing_service.add_rules(
        session, actor=desk_service.SYSTEM, note="console test city",
        rules=[
            RoutingRuleCreate(category_code="01", adcode="410105", organization_id=world.orgs["js_housing"]),
            RoutingRuleCreate(category_code=None, adcode="410102", organization_id=world.orgs["police"]),
        ],
    )  # fmt: skip
    now = datetime.now(UTC)
    for key, (text, adcode, name, phone, days_ago) in REQUESTS.items():
        social = (
            {
                "source": "weibo",
                "source_ref": "weibo:4990000000000001",
                "citizen_uid": "7700001",
                "account_uid": "1002",
            }
            if key == "housing"
            else {}
        )
        intake = RequestIntake.model_validate({
            "source": "form", "text": text, "adcode": adcode, "citizen_name": name,
            "citizen_phone": phone, "submitted_at": now - timedelta(days=days_ago), **social,
        })  # fmt: skip
        outcome = desk_service.receive(session, intake=intake, actor=desk_service.SYSTEM)
        world.requests[key] = outcome.request.public_id


def _rescue(session: Session, world: ConsoleWorld) -> None:
    actor = rescue_service.SYSTEM
    incident = rescue_service.create_incident(
        session, actor=actor,
        data=IncidentCreate(name="郑州暴雨（测试）", type="flood", regions=["410100"],
                            hashtags=["#郑州暴雨互助#"], starts_at=datetime.now(UTC) - timedelta(hours=6)),
    )  # fmt: skip
    world.incident_id = incident.id
    for key, name in (("blue_sky", "蓝天救援队"), ("fire", "郑州消防救援支队")):
        team = rescue_service.create_team(
            session, actor=actor, data=TeamCreate(name=name, area=["410100"], capacity=3)
        )
        world.teams[key] = team.id
    for key, data in HELP.items():
        found = rescue_intake.submit(session, incident=incident, data=data, actor=actor)
        world.help[key] = found.id


def _users(session: Session, world: ConsoleWorld) -> None:
    for username, (role, org, matrix, team) in USERS.items():
        auth_service.create_user(
            session, username=username, password=PASSWORD, role=role,
            display_name=f"{username}用户", organization_id=world.orgs[org] if org else None,
            matrix_id=world.matrices[matrix] if matrix else None,
            team_id=world.teams[team] if team else None,
        )  # fmt: skip


def fresh_city(engine: Engine) -> ConsoleWorld:
    """The test city without an index run, its login throttle cleared (a test's ``world``)."""
    auth_service._ip_attempts.clear()
    return build_console_world(engine, with_index=False)


def build_console_world(engine: Engine, *, with_index: bool = True) -> ConsoleWorld:
    """Create the test city (committed), its posts and (optionally) an index run."""
    world = ConsoleWorld()
    with Session(engine) as session:
        _organisations(session, world)
        _desk(session, world)
        _rescue(session, world)
        _users(session, world)
        session.commit()
    with store.open_store() as con:
        store.write_posts(con, _posts(world))
        if with_index:
            with Session(engine) as session:
                summary = index_engine.run_for_db(
                    session, con, load_system("zhengwu-4d"), parse_period(MONTH)
                )
                world.run_id = summary.run_id
    return world


def login(client: httpx.Client, username: str, password: str = PASSWORD) -> str:
    """Log in through the console's form; return the session's CSRF token."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": found[1], "next": ""},
    )
    assert response.status_code == 303, response.text
    me = client.get("/api/auth/me").json()
    assert me["username"] == username
    return str(me["csrf_token"])


def test_world_matches_what_the_pages_show(committed_engine: Engine) -> None:
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine)
    with Session(committed_engine) as session:
        housing = desk_service.get_by_public_id(session, world.requests["housing"])
        police = desk_service.get_by_public_id(session, world.requests["police"])
        assert housing.organization_id == world.orgs["js_housing"]
        assert police.organization_id == world.orgs["police"]
        assert housing.matrix_id == world.matrices["zz"]
    with store.open_store(read_only=True) as con:
        failing = con.execute(
            "SELECT name FROM index_totals WHERE run_id = ? AND entity = 'account' AND excluded "
            "ORDER BY name",
            [world.run_id],
        ).fetchall()
    # No post in the 14 days up to 31 July: the hotline (last post 10 July) and the WeChat
    # account that never posted fail the gate.
    assert [r[0] for r in failing] == ["中原文旅", "郑州12345"]
