"""The rescue console over real HTTP: triage, verification, dispatch, fulfilment, closure."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.rescue.models import Team

from .test_console_world import ConsoleWorld, build_console_world, login


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (no index run: rescue does not need one)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


def _state(client: httpx.Client, help_id: int) -> str:
    page = client.get(f"/console/rescue/requests/{help_id}").text
    found = re.search(r'id="help-state">([^<]+)<', page)
    assert found is not None
    return found[1]


def test_triage_queue_explains_priorities(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "dispatcher")
    listing = client.get("/console/rescue").text
    assert "郑州暴雨（测试）" in listing
    queue = client.get(f"/console/rescue/{world.incident_id}")
    assert queue.status_code == 200
    scores = [float(s) for s in re.findall(r'<b class="score">([\d.]+)</b>', queue.text)]
    assert len(scores) == 2
    assert scores == sorted(scores, reverse=True)
    assert "紧急程度" in queue.text
    assert "弱势人群" in queue.text
    assert "13800001111" in queue.text  # dispatchers see the phone numbers
    assert queue.text.count("<svg") == 2  # states and the county grid
    assert "金水" in queue.text
    # Codes are shown by their Chinese labels: groups, urgency reasons, on the public board too.
    page = client.get(f"/console/rescue/requests/{world.help['flooded']}").text
    urgency = page[page.index("<th>紧急程度</th>") :].split("</tr>")[0]
    assert "标记词「急需」" in urgency and "老人" in urgency
    assert "marker:" not in urgency and "elderly" not in urgency
    board = httpx.get(f"{client.base_url}/board/rescue/{world.incident_id}").text
    assert " · 老人" in board
    assert "elderly" not in board


def test_dispatcher_verifies_and_dispatches(client: httpx.Client, world: ConsoleWorld) -> None:
    help_id = world.help["flooded"]
    csrf = login(client, "dispatcher")
    page = client.get(f"/console/rescue/requests/{help_id}").text
    assert 'id="form-verify"' in page
    assert 'id="form-assign"' in page
    assert "张建国" in page
    assert "13800001111" in page
    verified = client.post(f"/console/rescue/requests/{help_id}/verify",
                           data={"csrf_token": csrf, "method": "phone", "result": "confirmed",
                                 "note": "电话确认，4人被困二楼"})  # fmt: skip
    assert verified.status_code == 303
    assert _state(client, help_id) == "已核实"
    no_team = client.post(f"/console/rescue/requests/{help_id}/assign", data={"csrf_token": csrf})
    assert no_team.status_code == 422
    assert "请选择救援队伍" in no_team.text
    version = re.search(r'name="expected_version" value="(\d+)"',
                        client.get(f"/console/rescue/requests/{help_id}").text)  # fmt: skip
    assert version is not None
    stale = client.post(f"/console/rescue/requests/{help_id}/assign",
                        data={"csrf_token": csrf, "team_id": str(world.teams["fire"]),
                              "expected_version": "1"})  # fmt: skip
    assert stale.status_code == 409
    assert "请刷新" in stale.text
    assigned = client.post(f"/console/rescue/requests/{help_id}/assign",
                           data={"csrf_token": csrf, "team_id": str(world.teams["blue_sky"]),
                                 "expected_version": version[1]})  # fmt: skip
    assert assigned.status_code == 303
    assert _state(client, help_id) == "已派出"
    again = client.post(f"/console/rescue/requests/{help_id}/assign",
                        data={"csrf_token": csrf, "team_id": str(world.teams["fire"])})  # fmt: skip
    assert again.status_code == 409  # already dispatched: release first
    assert "已派给队伍「蓝天救援队」" in again.text
    partial = client.post(f"/console/rescue/requests/{help_id}/fulfil",
                          data={"csrf_token": csrf, "people": "2", "outcome": "rescued",
                                "note": "二楼救出2人"})  # fmt: skip
    assert partial.status_code == 303
    page = client.get(f"/console/rescue/requests/{help_id}").text
    assert "已救 2 / 共 4" in page
    assert "部分救出" in page and "仍有 2 人待救" in page
    assert "二楼救出2人" in page  # the field note, in the 救出记录 table
    refused = client.post(f"/console/rescue/requests/{help_id}/resolve",
                          data={"csrf_token": csrf, "outcome": "rescued", "people_helped": "2"})  # fmt: skip
    assert refused.status_code == 409
    assert "仍有 2 人待救" in refused.text and 'id="partial-confirm"' in refused.text
    assert _state(client, help_id) == "救援中"
    resolved = client.post(f"/console/rescue/requests/{help_id}/resolve",
                           data={"csrf_token": csrf, "outcome": "rescued", "people_helped": "4"})  # fmt: skip
    assert resolved.status_code == 303
    assert _state(client, help_id) == "已结束·已公告"  # a form: no post to answer under
    board = httpx.get(f"{client.base_url}/board/rescue/{world.incident_id}").text
    assert "13800001111" not in board  # the public board is masked


def test_other_roles_on_the_rescue_console(client: httpx.Client, world: ConsoleWorld) -> None:
    help_id = world.help["pregnant"]
    csrf = login(client, "verifier")
    page = client.get(f"/console/rescue/requests/{help_id}").text
    assert 'id="form-verify"' in page
    assert 'id="form-assign"' not in page
    refused = client.post(f"/console/rescue/requests/{help_id}/assign",
                          data={"csrf_token": csrf, "team_id": str(world.teams["fire"])})  # fmt: skip
    assert refused.status_code == 403
    assert "当前角色（信息核实员）" in refused.text  # the role by its Chinese name
    assert "（verifier）" not in refused.text
    assert _state(client, help_id) == "待核实"  # nothing of the refused dispatch stayed
    client.cookies.clear()
    login(client, "team")  # 蓝天救援队, with nothing assigned yet
    queue = client.get(f"/console/rescue/{world.incident_id}").text
    assert "队列为空" in queue
    # A request not dispatched to the team does not open for its members (their queue's rule).
    refused = client.get(f"/console/rescue/requests/{help_id}")
    assert refused.status_code == 403
    assert "救援队成员只能查看本队的求助" in refused.text
    assert "13900002222" not in refused.text
    assert 'id="form-fulfil"' not in refused.text
    client.cookies.clear()
    login(client, "handler")
    forbidden = client.get(f"/console/rescue/{world.incident_id}")
    assert forbidden.status_code == 403
    assert "无权访问此页面" in forbidden.text


# -- incidents and teams: the coordinator's forms ------------------------------------------


def _audit_actions(engine: Engine, entity_type: str) -> list[str]:
    with Session(engine) as session:
        rows = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == entity_type)
        )
        return list(rows)


def test_dispatcher_creates_edits_and_closes_an_incident(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "dispatcher")
    form = client.get("/console/rescue/incidents/new")
    assert form.status_code == 200
    assert 'id="incident-form"' in form.text
    created = client.post("/console/rescue/incidents", data={
        "csrf_token": csrf, "name": "洛阳山洪（测试）", "type": "flood",
        "regions": "410300 郑州市金水区", "starts_at": "2021-07-20T08:00",
        "hashtags": "#洛阳暴雨互助# 洛阳求助", "keywords": "被困，求助", "reverify_hours": "4",
    })  # fmt: skip
    assert created.status_code == 303
    target = created.headers["location"]
    assert target.endswith("?done=rescue-incident-created")
    queue = client.get(target)
    assert "灾情已创建" in queue.text
    assert "洛阳山洪（测试）" in queue.text
    incident_id = int(re.search(r"/console/rescue/(\d+)", target)[1])  # type: ignore[index]
    api = client.get(f"/api/rescue/incidents/{incident_id}").json()
    assert api["regions"] == ["410300", "410105"]
    assert api["hashtags"] == ["洛阳暴雨互助", "洛阳求助"]
    assert api["keywords"] == ["被困", "求助"]
    assert api["starts_at"].startswith("2021-07-20T00:00")  # 08:00 China time is 00:00 UTC
    assert api["reverify_hours"] == 4.0
    edit = client.get(f"/console/rescue/incidents/{incident_id}/edit").text
    assert 'value="2021-07-20T08:00"' in edit
    assert 'value="#洛阳暴雨互助# #洛阳求助#"' in edit
    saved = client.post(f"/console/rescue/incidents/{incident_id}/edit", data={
        "csrf_token": csrf, "name": "洛阳山洪", "type": "flood", "regions": "410300",
        "starts_at": "2021-07-20T08:00", "ends_at": "2021-07-25T20:00", "hashtags": "",
        "keywords": "被困", "reverify_hours": "6", "status": "active",
    })  # fmt: skip
    assert saved.status_code == 303
    assert "灾情已保存" in client.get(saved.headers["location"]).text
    assert client.get(f"/api/rescue/incidents/{incident_id}").json()["name"] == "洛阳山洪"
    closed = client.post(f"/console/rescue/incidents/{incident_id}/close",
                         data={"csrf_token": csrf})  # fmt: skip
    assert closed.status_code == 303
    listing = client.get(closed.headers["location"]).text
    assert "灾情已结束" in listing
    row = re.search(rf'id="incident-{incident_id}">.*?</tr>', listing, re.S)
    assert row is not None and "已结束" in row[0]
    again = client.post(f"/console/rescue/incidents/{incident_id}/close",
                        data={"csrf_token": csrf})  # fmt: skip
    assert again.status_code == 409
    assert _audit_actions(committed_engine, "rescue_incident").count("update") == 2


def test_incident_form_errors_keep_the_input(client: httpx.Client, world: ConsoleWorld) -> None:
    csrf = login(client, "dispatcher")
    bad = client.post("/console/rescue/incidents", data={
        "csrf_token": csrf, "name": "", "type": "flood", "regions": "999999 火星市",
        "starts_at": "昨天", "hashtags": "#保留我#", "keywords": "", "reverify_hours": "abc",
    })  # fmt: skip
    assert bad.status_code == 422
    assert "不能为空" in bad.text
    assert "未知的区划：999999、火星市" in bad.text
    assert "时间格式应为" in bad.text
    assert "应为小时数" in bad.text
    assert 'value="999999 火星市"' in bad.text
    assert 'value="#保留我#"' in bad.text
    assert 'value="昨天"' in bad.text
    backwards = client.post("/console/rescue/incidents", data={
        "csrf_token": csrf, "name": "倒着的灾情", "type": "flood", "regions": "",
        "starts_at": "2021-07-20T08:00", "ends_at": "2021-07-19T08:00",
    })  # fmt: skip
    assert backwards.status_code == 422
    assert "结束时间早于开始时间" in backwards.text
    taken = client.post("/console/rescue/incidents", data={
        "csrf_token": csrf, "name": "郑州暴雨（测试）", "type": "flood",
        "starts_at": "2021-07-20T08:00", "keywords": "保留的关键词",
    })  # fmt: skip
    assert taken.status_code == 409
    assert "灾情名称已存在" in taken.text
    assert 'value="保留的关键词"' in taken.text
    renamed = client.post(f"/console/rescue/incidents/{world.incident_id}/edit", data={
        "csrf_token": csrf, "name": "郑州暴雨（测试）", "type": "volcano",
        "starts_at": "2021-07-20T08:00", "status": "active",
    })  # fmt: skip
    assert renamed.status_code == 422
    assert "请从列表中选择" in renamed.text
    listing = client.get("/api/rescue/incidents").json()
    assert [i["name"] for i in listing] == ["郑州暴雨（测试）"]  # nothing was created
    assert listing[0]["type"] == "flood"


def test_teams_list_masks_contacts_and_dispatcher_creates_one(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "dispatcher")
    created = client.post("/console/rescue/teams", data={
        "csrf_token": csrf, "name": "洛阳蓝天救援队", "kind": "ngo_rescue", "capacity": "5",
        "capabilities": "冲锋舟 医疗", "area": "410300", "contact_name": "刘志强",
        "contact_phone": "138 0000 9999",
    })  # fmt: skip
    assert created.status_code == 303
    page = client.get(created.headers["location"]).text
    assert "救援队伍已创建" in page
    assert "13800009999" in page
    assert "刘志强" in page
    assert "冲锋舟、医疗" in page
    assert "洛阳市" in page
    assert _audit_actions(committed_engine, "rescue_team").count("create") == 3
    client.cookies.clear()
    login(client, "verifier")
    masked = client.get("/console/rescue/teams")
    assert masked.status_code == 200
    assert "洛阳蓝天救援队" in masked.text
    assert "13800009999" not in masked.text
    assert "刘志强" not in masked.text
    assert "已脱敏" in masked.text
    assert 'id="team-form"' not in masked.text


def test_team_form_errors_keep_the_input(client: httpx.Client, world: ConsoleWorld) -> None:
    csrf = login(client, "dispatcher")
    bad = client.post("/console/rescue/teams", data={
        "csrf_token": csrf, "name": "新队伍", "kind": "ngo_rescue", "capacity": "0",
        "area": "123456", "contact_name": "周六", "contact_phone": "12345",
    })  # fmt: skip
    assert bad.status_code == 422
    assert "不是电话号码" in bad.text and "not a phone number" in bad.text
    assert "未知的区划：123456" in bad.text
    assert 'value="12345"' in bad.text
    assert 'value="周六"' in bad.text
    zero = client.post("/console/rescue/teams", data={
        "csrf_token": csrf, "name": "新队伍", "kind": "ngo_rescue", "capacity": "0",
    })  # fmt: skip
    assert zero.status_code == 422
    assert "不能小于 1" in zero.text
    taken = client.post("/console/rescue/teams", data={
        "csrf_token": csrf, "name": "蓝天救援队", "kind": "ngo_rescue", "capacity": "2",
    })  # fmt: skip
    assert taken.status_code == 409
    assert "队伍名称已存在" in taken.text
    assert len(re.findall(r'id="team-\d+"', client.get("/console/rescue/teams").text)) == 2


def test_incident_and_team_forms_refuse_others_and_missing_csrf(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    csrf = login(client, "dispatcher")
    no_csrf = client.post("/console/rescue/incidents", data={
        "name": "无令牌", "type": "flood", "starts_at": "2021-07-20T08:00"})  # fmt: skip
    assert no_csrf.status_code == 403
    assert "CSRF" in no_csrf.text
    no_csrf_team = client.post("/console/rescue/teams", data={"name": "无令牌队"})
    assert no_csrf_team.status_code == 403
    assert csrf
    client.cookies.clear()
    csrf = login(client, "verifier")
    assert client.get("/console/rescue/incidents/new").status_code == 403
    assert "新建事件" not in client.get("/console/rescue").text
    for path, data in (
        ("/console/rescue/incidents", {"name": "核实员的灾情", "starts_at": "2021-07-20T08:00"}),
        (f"/console/rescue/incidents/{world.incident_id}/close", {}),
        ("/console/rescue/teams", {"name": "核实员的队伍", "capacity": "1"}),
    ):
        refused = client.post(path, data={"csrf_token": csrf, **data})
        assert refused.status_code == 403, path
    client.cookies.clear()
    csrf = login(client, "team")
    refused = client.post(f"/console/rescue/incidents/{world.incident_id}/edit",
                          data={"csrf_token": csrf, "name": "改名", "starts_at": "2021-07-20T08:00"})  # fmt: skip
    assert refused.status_code == 403
    own = client.get("/console/rescue/teams").text  # a team member sees its own contact
    assert "蓝天救援队" in own
    client.cookies.clear()
    login(client, "handler")
    assert client.get("/console/rescue/teams").status_code == 403
    incidents = client.get("/api/rescue/incidents").json()
    assert [(i["name"], i["status"]) for i in incidents] == [("郑州暴雨（测试）", "active")]


# -- the situation description (灾情说明) and team edits --------------------------------------

SITUATION = (
    "金水区多处积水。\r\n被困请拨 119、110，市民热线 12345。\r\n安置点联系人张建国 13812345678。"
)


def test_incident_description_in_the_console_forms(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "dispatcher")
    assert 'id="f-description"' in client.get("/console/rescue/incidents/new").text
    created = client.post("/console/rescue/incidents", data={
        "csrf_token": csrf, "name": "巩义暴雨（测试）", "type": "flood", "regions": "410100",
        "starts_at": "2021-07-20T08:00", "reverify_hours": "6", "description": SITUATION,
    })  # fmt: skip
    assert created.status_code == 303
    incident_id = int(re.search(r"/console/rescue/(\d+)", created.headers["location"])[1])  # type: ignore[index]
    stored = SITUATION.replace("\r\n", "\n")
    assert client.get(f"/api/rescue/incidents/{incident_id}").json()["description"] == stored
    queue = client.get(f"/console/rescue/{incident_id}").text
    section = re.search(r'id="incident-description">(.*?)</section>', queue, re.S)
    assert section is not None
    assert "13812345678" in section[1] and "12345" in section[1]  # staff read it as written
    edit = client.get(f"/console/rescue/incidents/{incident_id}/edit").text
    assert f">{stored}</textarea>" in edit
    public = httpx.get(f"{client.base_url}/board/rescue/{incident_id}").text
    assert "138****5678" in public and "13812345678" not in public
    assert "张建国" not in public and "市民热线 12345" in public
    fields = {"csrf_token": csrf, "name": "巩义暴雨（测试）", "type": "flood", "regions": "410100",
              "starts_at": "2021-07-20T08:00", "reverify_hours": "6", "status": "active"}  # fmt: skip
    too_long = client.post(f"/console/rescue/incidents/{incident_id}/edit",
                           data=fields | {"description": "灾" * 4001})  # fmt: skip
    assert too_long.status_code == 422
    assert "最多 4000 个字" in too_long.text
    assert "灾" * 4001 in too_long.text  # what was typed comes back
    assert client.get(f"/api/rescue/incidents/{incident_id}").json()["description"] == stored
    cleared = client.post(f"/console/rescue/incidents/{incident_id}/edit",
                          data=fields | {"description": "  "})  # fmt: skip
    assert cleared.status_code == 303
    assert client.get(f"/api/rescue/incidents/{incident_id}").json()["description"] is None
    assert "尚未填写灾情说明" in client.get(f"/console/rescue/{incident_id}").text
    assert _audit_actions(committed_engine, "rescue_incident").count("update") == 1


def _team_row(page: str, team_id: int) -> str:
    row = re.search(rf'<tr id="team-{team_id}"[^>]*>.*?</tr>', page, re.S)
    assert row is not None, f"no row for team {team_id}"
    return row[0]


def _offered(client: httpx.Client, help_id: int) -> set[int]:
    page = client.get(f"/console/rescue/requests/{help_id}").text
    select_ = re.search(r'<select id="assign-team".*?</select>', page, re.S)
    assert select_ is not None
    return {int(v) for v in re.findall(r'<option value="(\d+)"', select_[0])}


def test_dispatcher_edits_deactivates_and_reactivates_a_team(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    fire, blue = world.teams["fire"], world.teams["blue_sky"]
    help_id = world.help["flooded"]
    csrf = login(client, "dispatcher")
    listing = client.get("/console/rescue/teams").text
    assert f'href="/console/rescue/teams/{fire}/edit"' in listing
    assert f'id="team-{fire}-deactivate"' in listing
    edit = client.get(f"/console/rescue/teams/{fire}/edit")
    assert edit.status_code == 200
    assert 'value="郑州消防救援支队"' in edit.text and 'value="3"' in edit.text
    form = {"csrf_token": csrf, "name": "郑州消防救援支队", "kind": "fire_brigade",
            "capacity": "8", "capabilities": "冲锋舟 破拆", "area": "410100",
            "contact_name": "周建华", "contact_phone": "137 0000 2468"}  # fmt: skip
    saved = client.post(f"/console/rescue/teams/{fire}/edit", data=form)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "救援队伍已保存" in page
    row = _team_row(page, fire)
    assert "0 / 8" in row and "冲锋舟、破拆" in row and "13700002468" in row
    assert "消防救援" in row
    taken = client.post(f"/console/rescue/teams/{fire}/edit", data=form | {"name": "蓝天救援队"})
    assert taken.status_code == 409
    assert "队伍名称已存在" in taken.text and 'value="蓝天救援队"' in taken.text
    bad = client.post(f"/console/rescue/teams/{fire}/edit",
                      data=form | {"contact_phone": "110", "capacity": "0"})  # fmt: skip
    assert bad.status_code == 422
    assert "不是电话号码" in bad.text and "not a phone number" in bad.text
    assert _offered(client, help_id) == {fire, blue}
    off = client.post(f"/console/rescue/teams/{fire}/deactivate", data={"csrf_token": csrf})
    assert off.status_code == 303
    page = client.get(off.headers["location"]).text
    assert "救援队伍已停用" in page
    row = _team_row(page, fire)
    assert "停用" in row and "team-inactive" in row and f'id="team-{fire}-reactivate"' in row
    assert _offered(client, help_id) == {blue}  # no longer offered for dispatch
    refused = client.post(f"/console/rescue/requests/{help_id}/assign",
                          data={"csrf_token": csrf, "team_id": str(fire)})  # fmt: skip
    assert refused.status_code == 409
    back = client.post(f"/console/rescue/teams/{fire}/reactivate", data={"csrf_token": csrf})
    assert back.status_code == 303
    assert "救援队伍已重新启用" in client.get(back.headers["location"]).text
    assert _offered(client, help_id) == {fire, blue}
    sent = client.post(f"/console/rescue/requests/{help_id}/assign",
                       data={"csrf_token": csrf, "team_id": str(blue)})  # fmt: skip
    assert sent.status_code == 303
    busy = client.post(f"/console/rescue/teams/{blue}/deactivate", data={"csrf_token": csrf})
    assert busy.status_code == 409
    assert 'id="list-error"' in busy.text and "请先撤回或办结" in busy.text
    assert "在岗" in _team_row(busy.text, blue)
    with Session(committed_engine) as session:
        actions = list(session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "rescue_team", AuditEntry.entity_id == fire)
            .order_by(AuditEntry.id)
        ))  # fmt: skip
    assert actions == ["create", "update", "deactivate", "reactivate"]


def test_team_edits_are_refused_to_other_roles(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    blue = world.teams["blue_sky"]
    for username in ("verifier", "team"):  # "team" is 蓝天救援队's own member
        client.cookies.clear()
        csrf = login(client, username)
        listing = client.get("/console/rescue/teams").text
        assert "/edit" not in listing and "deactivate" not in listing
        assert client.get(f"/console/rescue/teams/{blue}/edit").status_code == 403
        for action, data in (("edit", {"name": "改名", "capacity": "9"}), ("deactivate", {})):
            refused = client.post(f"/console/rescue/teams/{blue}/{action}",
                                  data={"csrf_token": csrf, **data})  # fmt: skip
            assert refused.status_code == 403, (username, action)
    client.cookies.clear()
    assert client.get(f"/console/rescue/teams/{blue}/edit").status_code == 303  # to the login
    with Session(committed_engine) as session:
        stored = session.get(Team, blue)
        assert stored is not None
        assert (stored.name, stored.capacity, stored.active) == ("蓝天救援队", 3, True)
    assert _audit_actions(committed_engine, "rescue_team") == ["create", "create"]


def test_queue_search_by_address_phone_tail_and_state(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    flooded, pregnant = world.help["flooded"], world.help["pregnant"]
    login(client, "verifier")
    page = client.get(f"/console/rescue/{world.incident_id}", params={"q": "大学路 2222"})
    assert page.status_code == 200
    rows = re.findall(r'href="/console/rescue/requests/(\d+)">处理', page.text)
    assert rows == [str(pregnant)]
    assert "王芳" in page.text and "13900002222" in page.text  # verifiers see it in full
    assert "找到 1 条" in page.text
    assert 'value="大学路 2222"' in page.text  # the search stays in its box
    by_name = client.get(f"/console/rescue/{world.incident_id}", params={"q": "张建国"}).text
    assert re.findall(r'requests/(\d+)">处理', by_name) == [str(flooded)]
    none = client.get(f"/console/rescue/{world.incident_id}", params={"q": "大学路 1111"}).text
    assert "没有符合条件的求助" in none
    closed = client.get(f"/console/rescue/{world.incident_id}",
                        params={"q": "2222", "state": "resolved"}).text  # fmt: skip
    assert "没有符合条件的求助" in closed
    everything = client.get(f"/console/rescue/{world.incident_id}",
                            params={"q": "2222", "state": "all"}).text  # fmt: skip
    assert re.findall(r'requests/(\d+)">处理', everything) == [str(pregnant)]
    wrong = client.get(f"/console/rescue/{world.incident_id}", params={"state": "gone"})
    assert wrong.status_code == 422
    assert "未知的状态" in wrong.text and "unknown state" in wrong.text


def test_a_team_searches_only_its_own_requests(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "team")  # 蓝天救援队 holds no request yet
    page = client.get(f"/console/rescue/{world.incident_id}", params={"q": "1111"}).text
    assert "没有符合条件的求助" in page
    assert "13800001111" not in page and "张建国" not in page


def test_a_claim_keeps_a_second_verifier_off_the_phone(
    live_server: str, world: ConsoleWorld
) -> None:
    help_id = world.help["flooded"]
    page_url = f"/console/rescue/requests/{help_id}"
    with (
        httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as first,
        httpx.Client(base_url=live_server, timeout=60, headers={"Accept": "text/html"}) as second,
    ):
        csrf_d = login(first, "dispatcher")
        csrf_v = login(second, "verifier")
        assert 'id="form-claim"' in second.get(page_url).text
        claimed = second.post(f"{page_url}/claim", data={"csrf_token": csrf_v})
        assert claimed.status_code == 303
        assert "您已认领" in second.get(page_url).text
        seen = first.get(page_url).text
        assert "verifier用户 核实中" in seen
        assert "verifier用户 核实中" in first.get(f"/console/rescue/{world.incident_id}").text
        blocked = first.post(f"{page_url}/verify", data={"csrf_token": csrf_d, "method": "phone",
                                                         "result": "confirmed"})  # fmt: skip
        assert blocked.status_code == 409 and "正由 verifier用户 核实中" in blocked.text
        taken = first.post(f"{page_url}/claim", data={"csrf_token": csrf_d})
        assert taken.status_code == 409
        assert second.post(f"{page_url}/verify", data={"csrf_token": csrf_v, "method": "phone",
                                                       "result": "confirmed"}).status_code == 303  # fmt: skip
        after = first.get(page_url).text
        assert "核实中" not in after
        assert "释放认领" in after  # the history: the verification released the claim
        # The history reads in Chinese: no English word glued to a label or a reason
        # ("核实完成 verified" was), and a verification says how and what it found.
        history = after[after.index('id="history"') :].split("</table>")[0]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", history, re.S)
        rows = [cells[i : i + 5] for i in range(0, len(cells), 5)]
        for _, action, state, _, reason in rows:
            assert not re.search(r"[A-Za-z]{3,}", action + state + reason), (action, reason)
        assert "核实完成" in history and "电话核实：属实" in history
