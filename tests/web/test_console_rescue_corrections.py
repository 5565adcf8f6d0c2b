"""The coordinator's corrections in the rescue console over real HTTP: edit a request's
fields, merge two requests, split a source back out (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.rescue.models import HelpSource

from .test_console_world import ConsoleWorld, build_console_world, login


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (no index run: rescue does not need one)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


def _version(client: httpx.Client, help_id: int) -> str:
    page = client.get(f"/console/rescue/requests/{help_id}").text
    found = re.search(r'id="form-edit".*?name="expected_version" value="(\d+)"', page, re.S)
    assert found is not None
    return found[1]


def test_dispatcher_corrects_a_request_in_the_console(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    help_id = world.help["flooded"]
    csrf = login(client, "dispatcher")
    page = client.get(f"/console/rescue/requests/{help_id}").text
    assert 'id="form-edit"' in page and 'id="form-merge"' in page
    form = {"csrf_token": csrf, "address": "郑州市二七区大学路78号院2号楼", "people_total": "6",
            "phones": "13800001111，139 0000 3333", "urgency": "normal",
            "needs": ["trapped", "medical"], "vulnerabilities": ["elderly"], "hazard": "水已到三楼",
            "text": "电话核实：6人在三楼，一位老人需要药", "reason": "电话核实",
            "expected_version": _version(client, help_id)}  # fmt: skip
    bad = client.post(f"/console/rescue/requests/{help_id}/edit",
                      data={**form, "phones": "12ab"})  # fmt: skip
    assert bad.status_code == 422
    assert 'id="action-error"' in bad.text
    assert 'value="12ab"' in bad.text  # the refused form keeps what was typed
    done = client.post(f"/console/rescue/requests/{help_id}/edit", data=form)
    assert done.status_code == 303, done.text
    page = client.get(f"/console/rescue/requests/{help_id}").text
    facts = page[page.index('id="help-facts"') : page.index('id="priority"')]
    assert "大学路78号院2号楼" in facts and "13900003333" in facts
    assert "共 6" in facts and "<td>一般" in facts and "水已到三楼" in facts
    history = page[page.index('id="history"') :]
    assert "更正信息" in history and "电话核实" in history
    assert "人数：" in history and "→ 6" in history
    # The changes read as the form does (紧急程度：超级紧急 → 一般), not as codes and Python
    # lists (critical → normal, ['trapped', 'medical']).
    assert "紧急程度：超级紧急 → 一般" in history, history
    assert "需求：被困、转移 → 被困、医疗" in history
    assert "电话：" in history and "13800001111、13900003333" in history
    assert "critical" not in history and "[" not in history and "trapped" not in history
    # The new address placed the request again: its division by name (not 410103), its
    # coordinates with their hemisphere (not a bare 113.61…).
    assert "区划：郑州市金水区 → 郑州市二七区<" in history
    assert "经度：东经 113.6606° → 东经 113.6402°<" in history
    assert "纬度：北纬 34.8000° → 北纬 34.7241°<" in history
    assert "410103" not in history and "113.640211" not in history
    with Session(committed_engine) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "help_request", AuditEntry.entity_id == help_id,
            AuditEntry.action == "edit")).one()  # fmt: skip
        assert entry.data is not None and entry.data["people_total"]["to"] == 6
        assert entry.data["urgency"] == {"from": "critical", "to": "normal"}
    # A stale form (the version it was read at has passed) is refused.
    stale = client.post(f"/console/rescue/requests/{help_id}/edit", data=form)
    assert stale.status_code == 409 and "请刷新" in stale.text
    # The public board masks the corrected phone and the house-level address.
    board = httpx.get(f"{client.base_url}/board/rescue/{world.incident_id}").text
    assert "13900003333" not in board and "78号院2号楼" not in board
    # The volunteers' sheet is one click from the queue for a dispatcher (there was no link:
    # only the CLI or an API address the console named nowhere).
    queue = client.get(f"/console/rescue/{world.incident_id}").text
    link = re.search(r'<a href="([^"]+)" id="export-link"', queue)
    assert link is not None, queue[:3000]
    sheet = client.get(link[1])
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert "13900003333" in sheet.text and "求助编号" in sheet.text


def test_merge_and_split_in_the_console(client: httpx.Client, world: ConsoleWorld) -> None:
    survivor, other = world.help["flooded"], world.help["pregnant"]
    csrf = login(client, "dispatcher")
    missing = client.post(f"/console/rescue/requests/{survivor}/merge",
                          data={"csrf_token": csrf, "other_id": "", "reason": "重复"})  # fmt: skip
    assert missing.status_code == 422 and 'id="action-error"' in missing.text
    merged = client.post(f"/console/rescue/requests/{survivor}/merge",
                         data={"csrf_token": csrf, "other_id": f"#{other}", "reason": "同一楼"})  # fmt: skip
    assert merged.status_code == 303, merged.text
    page = client.get(f"/console/rescue/requests/{survivor}").text
    assert "13900002222" in page  # the merged request's phone came along
    assert "人工合并" in page and f"#{other} 并入本求助" in page
    gone = client.get(f"/console/rescue/requests/{other}").text
    assert "已合并" in gone and f'href="/console/rescue/requests/{survivor}"' in gone
    assert 'id="form-edit"' not in gone
    queue = client.get(f"/console/rescue/{world.incident_id}?state=all").text
    assert f'/console/rescue/requests/{other}"' not in queue
    again = client.post(f"/console/rescue/requests/{survivor}/merge",
                        data={"csrf_token": csrf, "other_id": str(other), "reason": "x"})  # fmt: skip
    assert again.status_code == 409 and "已合并" in again.text
    # Undo: split the merged request's source out again.
    page = client.get(f"/console/rescue/requests/{survivor}").text
    options = re.findall(r'<option value="(\d+)">#\d+ ', page)
    assert len(options) == 2
    split = client.post(f"/console/rescue/requests/{survivor}/split",
                        data={"csrf_token": csrf, "source_id": options[1], "reason": "不是同一家"})  # fmt: skip
    assert split.status_code == 303
    created = split.headers["location"]
    assert "13900002222" in client.get(created).text
    assert "13900002222" not in client.get(f"/console/rescue/requests/{survivor}").text


def test_a_refused_merge_names_the_field_as_the_form_does(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    """A number that is not one: the error names the form's field, each language once."""
    survivor = world.help["flooded"]
    csrf = login(client, "dispatcher")
    bad = client.post(f"/console/rescue/requests/{survivor}/merge",
                      data={"csrf_token": csrf, "other_id": "abc", "reason": "同一楼"})  # fmt: skip
    assert bad.status_code == 422
    found = re.search(r'<p class="error" role="alert" id="action-error">(.*?)</p>', bad.text, re.S)
    assert found is not None
    chinese, english = found[1].split('<br><span lang="en">')
    assert chinese.startswith("操作未执行：填写有误：要并入的求助编号：")
    assert "invalid input" not in chinese  # the English says it, on its own line
    assert english.startswith("invalid input: 要并入的求助编号：")
    assert "other_id" not in found[1]
    assert 'value="abc"' in bad.text  # what was typed stays in the form


def test_verifier_edits_but_does_not_merge(client: httpx.Client, world: ConsoleWorld) -> None:
    help_id = world.help["pregnant"]
    csrf = login(client, "verifier")
    page = client.get(f"/console/rescue/requests/{help_id}").text
    assert 'id="form-edit"' in page and 'id="form-merge"' not in page
    edited = client.post(f"/console/rescue/requests/{help_id}/edit",
                         data={"csrf_token": csrf, "people_total": "3", "urgency": "urgent",
                               "reason": "电话核实共3人"})  # fmt: skip
    assert edited.status_code == 303
    refused = client.post(f"/console/rescue/requests/{help_id}/merge",
                          data={"csrf_token": csrf, "other_id": str(world.help["flooded"]),
                                "reason": "x"})  # fmt: skip
    assert refused.status_code == 403
    client.cookies.clear()
    csrf = login(client, "team")
    team = client.post(f"/console/rescue/requests/{help_id}/edit",
                       data={"csrf_token": csrf, "urgency": "normal", "reason": "x"})  # fmt: skip
    assert team.status_code == 403


def test_manual_entry_and_set_aside_pages(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    from zhengwu.rescue import intake
    from zhengwu.rescue import service as rescue_service
    from zhengwu.rescue.merge import HelpPostIn

    csrf = login(client, "verifier")
    queue = client.get(f"/console/rescue/{world.incident_id}").text
    assert 'id="manual-link"' in queue and 'id="set-aside-link"' in queue
    assert 'id="export-link"' not in queue  # the full sheet is the dispatchers' (403)
    form = client.get(f"/console/rescue/{world.incident_id}/manual")
    assert form.status_code == 200 and 'id="manual-form"' in form.text
    refused = client.post(f"/console/rescue/{world.incident_id}/manual",
                          data={"csrf_token": csrf, "text": "桐柏路9号院有人被困",
                                "phone": "12ab", "people": "-2"})  # fmt: skip
    assert refused.status_code == 422
    assert 'id="err-phone"' in refused.text and 'id="err-people"' in refused.text
    assert "桐柏路9号院有人被困" in refused.text  # what was typed stays
    entered = client.post(f"/console/rescue/{world.incident_id}/manual",
                          data={"csrf_token": csrf, "text": "对讲机：桐柏路9号院2人被困，水在涨",
                                "phone": "136 0000 5678", "address": "郑州市中原区桐柏路9号院",
                                "people": "2"})  # fmt: skip
    assert entered.status_code == 303, entered.text
    page = client.get(entered.headers["location"]).text
    assert "13600005678" in page and "电话/人工" in page and "共 2" in page
    # A post intake set aside is listed with its reason and promoted from the list.
    with Session(committed_engine) as session:
        incident = rescue_service.get_incident(session, incident_id=world.incident_id)
        intake.take_in(session, incident=incident, actor=rescue_service.SYSTEM, posts=[
            HelpPostIn(post_id="77", text="#郑州暴雨互助# 经三路那边还有人吗，好几天没消息了",
                       author="经三路街坊", url="https://m.weibo.cn/detail/77",
                       posted_at=datetime(2021, 7, 20, 12, 5, tzinfo=UTC)),
            HelpPostIn(post_id="78", text="#郑州暴雨互助# 祈福郑州，愿大家平安！",
                       url="javascript:alert(1)")])  # fmt: skip
        session.commit()
    listing = client.get(f"/console/rescue/{world.incident_id}/set-aside").text
    assert "经三路那边还有人吗" in listing and "not a help post" in listing
    # The post's link, author and post time (Beijing), as its source will keep them.
    assert (
        '<a class="set-aside-link" href="https://m.weibo.cn/detail/77" rel="noopener'
        ' noreferrer" target="_blank">77</a>'
    ) in listing
    assert "发布者 经三路街坊" in listing and "发帖 2021-07-20 20:05" in listing
    # A link that is not a web address is shown as text, never as a link to follow.
    assert 'href="javascript:' not in listing and "javascript:alert(1)" in listing
    rows = dict(re.findall(r'<tr id="set-aside-(\d+)">(.*?)</tr>', listing, re.S))
    found = next(i for i, row in rows.items() if "/detail/77" in row)
    promoted = client.post(f"/console/rescue/set-aside/{found}/promote",
                           data={"csrf_token": csrf, "reason": "家属来电确认在找人"})  # fmt: skip
    assert promoted.status_code == 303
    with Session(committed_engine) as session:
        source = session.scalars(select(HelpSource).where(HelpSource.post_id == "77")).one()
        assert (source.url, source.author) == ("https://m.weibo.cn/detail/77", "经三路街坊")
        assert source.posted_at == datetime(2021, 7, 20, 12, 5, tzinfo=UTC)
    assert "经三路那边还有人吗" in client.get(promoted.headers["location"]).text
    assert "/detail/77" not in client.get(f"/console/rescue/{world.incident_id}/set-aside").text
    client.cookies.clear()
    login(client, "team")
    assert client.get(f"/console/rescue/{world.incident_id}/set-aside").status_code == 403
    assert client.get(f"/console/rescue/{world.incident_id}/manual").status_code == 403
