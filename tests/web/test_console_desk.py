"""The service-desk console over real HTTP: queue, filters, every action as a form, access."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service
from zhengwu.outbox import service as outbox_service
from zhengwu.outbox.models import OutboxMessage
from zhengwu.servicedesk.models import ServiceRequest

from .test_console_world import ConsoleWorld, build_console_world, login


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (no index run: the desk does not need one)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


def _act(
    client: httpx.Client, csrf: str, public_id: str, action: str, **fields: str | list[str]
) -> httpx.Response:
    version = re.search(r'name="expected_version" value="(\d+)"',
                        client.get(f"/console/desk/{public_id}").text)  # fmt: skip
    data: dict[str, str | list[str]] = {"csrf_token": csrf, "action": action, **fields}
    if version:
        data["expected_version"] = version[1]
    return client.post(f"/console/desk/{public_id}/act", data=data)


def _state(client: httpx.Client, public_id: str) -> str:
    found = re.search(r'id="request-state">([^<]+)<', client.get(f"/console/desk/{public_id}").text)
    assert found is not None
    return found[1]


def test_handler_sees_only_its_organisations_queue(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "handler")
    queue = client.get("/console/desk")
    assert queue.status_code == 200
    assert world.requests["housing"] in queue.text
    assert world.requests["old_housing"] in queue.text
    assert world.requests["police"] not in queue.text  # another body's request
    assert "13912345678" in queue.text  # its own requests are shown unmasked
    overdue = client.get("/console/desk", params={"overdue": "1"}).text
    assert world.requests["old_housing"] in overdue
    assert world.requests["housing"] not in overdue
    received = client.get("/console/desk", params={"state": "accepted"}).text
    assert world.requests["housing"] not in received
    assert client.get("/console/desk", params={"state": "bogus"}).status_code == 422
    stranger = client.get(f"/console/desk/{world.requests['police']}")
    assert stranger.status_code == 404
    assert "诉求不存在" in stranger.text


def test_handler_takes_a_request_from_queue_to_resolution(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    pid = world.requests["housing"]
    csrf = login(client, "handler")
    page = client.get(f"/console/desk/{pid}").text
    assert "李小红" in page
    assert "13912345678" in page
    assert 'id="form-accept"' in page
    assert 'id="form-resolve"' not in page
    no_csrf = client.post(f"/console/desk/{pid}/act", data={"action": "accept"})
    assert no_csrf.status_code == 403
    assert _state(client, pid) == "已接收"

    accepted = _act(client, csrf, pid, "accept")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/console/desk/{pid}?done=desk-accept"
    assert _state(client, pid) == "已受理"
    # A reason is required for an extension: the form comes back with the error, nothing done.
    refused = _act(client, csrf, pid, "request_extension", days="5", reason="")
    assert refused.status_code == 422
    assert 'id="action-error"' in refused.text
    assert "申请延期" in refused.text
    assert 'value="5"' in refused.text  # what was typed stays in the form
    stale = client.post(f"/console/desk/{pid}/act",
                        data={"csrf_token": csrf, "action": "start", "expected_version": "1"})  # fmt: skip
    assert stale.status_code == 409
    assert _act(client, csrf, pid, "start").status_code == 303
    assert (
        _act(
            client, csrf, pid, "reply", reply_text="已联系物业公司，三日内恢复电梯运行。"
        ).status_code
        == 303
    )
    assert _state(client, pid) == "已答复"
    illegal = client.post(f"/console/desk/{pid}/act",
                          data={"csrf_token": csrf, "action": "follow_up", "satisfaction": "5"})  # fmt: skip
    assert illegal.status_code in (403, 409)
    resolved = _act(client, csrf, pid, "resolve", reply_text="电梯已修复，物业费问题已责令整改。")
    assert resolved.status_code == 303
    page = client.get(f"/console/desk/{pid}").text
    assert _state(client, pid) == "已办结"
    history = page[page.index('id="history"') :]
    for label in ("受理", "开始办理", "答复", "办结"):
        assert label in history
    outbox = page[page.index('id="outbox"') : page.index('id="sources"')]
    assert "办结答复" in outbox  # the kind by its label, not "closing"
    assert "电梯已修复" in outbox
    # The public board shows the request without the citizen's phone or full name.
    board = httpx.get(f"{client.base_url}/board/requests/{pid}").text
    assert "13912345678" not in board
    assert "李小红" not in board
    assert "电梯已修复" in board


def test_office_transfers_extends_and_cohandles(client: httpx.Client, world: ConsoleWorld) -> None:
    pid = world.requests["housing"]
    csrf = login(client, "handler")
    assert _act(client, csrf, pid, "accept").status_code == 303
    # A bad value is explained in Chinese in the Chinese half, pydantic's English in the other.
    zero = _act(client, csrf, pid, "request_extension", days="0", reason="需召开业主大会")
    assert zero.status_code == 422
    text = html.unescape(zero.text)
    assert "延期工作日数 无效：不能小于 1" in text
    assert "Input should be greater than or equal to 1" in text
    assert "无效：Input should" not in text
    assert _act(client, csrf, pid, "request_extension", days="5",
                reason="需召开业主大会").status_code == 303  # fmt: skip
    client.cookies.clear()
    csrf = login(client, "office")
    page = client.get(f"/console/desk/{pid}").text
    assert "待批延期" in page
    assert "需召开业主大会" in page
    assert 'id="form-approve_extension"' in page
    assert 'id="form-resolve"' not in page
    assert _act(client, csrf, pid, "approve_extension", reason="同意").status_code == 303
    page = client.get(f"/console/desk/{pid}").text
    assert "待批延期" not in page
    # No extension pending: deciding on one is not offered (it could only fail with a 409).
    assert 'id="form-approve_extension"' not in page
    assert 'id="form-refuse_extension"' not in page
    cohandled = _act(client, csrf, pid, "cohandle",
                     helper_organization_ids=[str(world.orgs["police"])])  # fmt: skip
    assert cohandled.status_code == 303
    facts = client.get(f"/console/desk/{pid}").text
    assert "郑州市公安局" in facts[facts.index("协办单位") :][:200]
    missing_reason = _act(client, csrf, pid, "transfer", organization_id=str(world.orgs["hotline"]))
    assert missing_reason.status_code == 422
    no_org = html.unescape(_act(client, csrf, pid, "transfer", reason="属于热线统筹").text)
    assert "「转办」需要填写「承办单位」" in no_org
    assert "transfer needs the handling organisation" in no_org
    assert "organization_id" not in no_org.split('id="action-error"')[1].split("</p>")[0]
    transferred = _act(client, csrf, pid, "transfer", organization_id=str(world.orgs["hotline"]),
                       reason="属于热线统筹")  # fmt: skip
    assert transferred.status_code == 303
    assert _state(client, pid) == "已转办"
    # The handler's body no longer leads it: the request left its queue.
    client.cookies.clear()
    login(client, "handler")
    assert client.get(f"/console/desk/{pid}").status_code == 404


def test_assign_errors_name_assign_and_codes_show_as_labels(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    pid = world.requests["housing"]
    csrf = login(client, "handler")
    detail = client.get(f"/console/desk/{pid}").text
    category = detail[detail.index("<th>分类</th>") :].split("</tr>")[0]
    assert "（rules）" not in category and "（citizen）" not in category
    sources = detail[detail.index('id="sources"') :]
    assert '<span class="tag">原帖</span>' in sources
    assert ">original<" not in sources
    assert _act(client, csrf, pid, "return", reason="不属于本单位").status_code == 303
    client.cookies.clear()
    csrf = login(client, "office")
    page = client.get(f"/console/desk/{pid}").text
    assert 'id="form-assign"' in page
    assert 'id="form-approve_extension"' not in page  # nothing to approve: not offered
    no_org = _act(client, csrf, pid, "assign", reason="")
    assert no_org.status_code == 422
    error = html.unescape(no_org.text.split('id="action-error"')[1].split("</p>")[0])
    assert "「派单」未执行：「派单」需要填写「承办单位」" in error  # the action taken, not 转办
    assert "assign needs the handling organisation" in error
    assert "转办" not in error and "organization_id" not in error


def _queue_first_response(session: Session, world: ConsoleWorld) -> None:
    """Queue a Weibo first response of the housing request (flushed, not sent)."""
    request = session.scalar(
        select(ServiceRequest).where(ServiceRequest.public_id == world.requests["housing"])
    )
    assert request is not None
    outbox_service.enqueue(session, kind="first_response", platform="weibo",
                           body="已收到，正在办理", entity_type="request", entity_id=request.id)  # fmt: skip
    session.flush()


def test_a_waiting_reply_shows_its_waiting_reason_and_its_last_delivery_error(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    """A reply that failed on Weibo, then waits for a connector: the page says both why it
    waits and the last delivery error, with its time (the waiting reason replaced it)."""

    class Down:
        platform = "weibo"

        def send(self, message: OutboxMessage) -> str:
            raise RuntimeError("weibo api timeout")

    with Session(committed_engine) as session:
        _queue_first_response(session, world)
        outbox_service.deliver_pending(session, [Down()])
        outbox_service.deliver_pending(session, [])  # no connector sends Weibo now
        session.commit()
    login(client, "handler")
    page = html.unescape(client.get(f"/console/desk/{world.requests['housing']}").text)
    outbox = page[page.index('id="outbox"') : page.index('id="sources"')]
    assert "未配置「weibo」平台的发送通道：保持待发送" in outbox
    last = re.search(r'class="meta outbox-last-error">([^<]*)<', outbox)
    assert last is not None
    assert last[1].startswith("上次发送失败（20") and "last delivery error" in last[1]
    assert last[1].endswith("第 1 次发送失败（共 5 次），稍后重试 / delivery attempt 1 of 5 failed, "
                            "will retry: weibo api timeout")  # fmt: skip
    # The API (and desk show's JSON) carry both as well.
    detail = client.get(f"/api/desk/requests/{world.requests['housing']}",
                        headers={"Accept": "application/json"}).json()  # fmt: skip
    [message] = detail["outbox"]
    assert message["error"] == outbox_service.waiting_reason("weibo")
    assert message["last_error"].endswith("weibo api timeout") and message["last_error_at"]


def test_a_reply_delivered_after_a_failure_shows_it_was_delivered_not_the_failure(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    """A reply failed once on Weibo, then the next pass delivered it. Its page still said
    上次发送失败 (and the API's ``error`` the failure) under 已发送: now it says when it
    was delivered and, for its handlers, that an earlier attempt failed, with its time."""
    attempts = iter([RuntimeError("weibo api timeout")])

    class Flaky:
        platform = "weibo"

        def send(self, message: OutboxMessage) -> str:
            failure = next(attempts, None)
            if failure is not None:
                raise failure
            return f"wb-{message.id}"

    with Session(committed_engine) as session:
        _queue_first_response(session, world)
        assert outbox_service.deliver_pending(session, [Flaky()]).failed == 1
        assert outbox_service.deliver_pending(session, [Flaky()]).delivered == 1
        session.commit()
    login(client, "handler")
    page = html.unescape(client.get(f"/console/desk/{world.requests['housing']}").text)
    outbox = page[page.index('id="outbox"') : page.index('id="sources"')]
    assert "上次发送失败" not in outbox and "稍后重试" not in outbox.split("此前")[0]
    delivered = re.search(r'class="meta outbox-delivered">([^<]*)<', outbox)
    assert delivered is not None and delivered[1].startswith("已发送（20")
    assert "delivered" in delivered[1]
    earlier = re.search(r'class="meta outbox-earlier-error">([^<]*)<', outbox)
    assert earlier is not None
    assert earlier[1].startswith("此前 1 次发送失败，最近一次（20")
    assert earlier[1].endswith("weibo api timeout")
    detail = client.get(f"/api/desk/requests/{world.requests['housing']}",
                        headers={"Accept": "application/json"}).json()  # fmt: skip
    [message] = detail["outbox"]
    assert (message["state"], message["error"], message["attempts"]) == ("delivered", None, 2)
    assert message["delivered_at"] and message["last_error_at"]
    assert message["last_error"].endswith("weibo api timeout")
