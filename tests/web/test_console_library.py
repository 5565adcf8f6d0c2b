"""The library console over real HTTP: list, upload form with errors, item page, distribution."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.auth import service as auth_service

from ..library.world import PASSWORD, PNG, World, build_world, deliver_after_two_failures
from .test_console_world import login


@pytest.fixture
def world(committed_engine: Engine) -> World:
    """The library test province, committed."""
    auth_service._ip_attempts.clear()
    with Session(committed_engine) as session:
        made = build_world(session)
        session.commit()
    return made


def test_operator_uploads_labels_and_distributes(client: httpx.Client, world: World) -> None:
    csrf = login(client, "op_police", PASSWORD)
    assert client.get("/console/library").status_code == 200
    form = client.get("/console/library/new")
    assert 'id="library-form"' in form.text and "郑州政务矩阵" in form.text
    bad = client.post("/console/library/new", data={"csrf_token": csrf, "title": "坏图", "tags": "防汛"},
                      files={"files": ("坏.png", b"not a png", "image/png")})  # fmt: skip
    assert bad.status_code == 422
    assert 'id="form-errors"' in bad.text and "不符" in bad.text and "does not match" in bad.text
    assert 'value="坏图"' in bad.text  # what was typed is kept
    assert "没有符合条件的内容" in client.get("/console/library").text  # nothing was kept
    created = client.post(
        "/console/library/new",
        data={"csrf_token": csrf, "title": "暴雨红色预警", "body": "请减少外出", "tags": "防汛，预警",
              "matrix_id": str(world.matrices["zz"]), "visibility": "matrix", "kind": "image"},
        files={"files": ("预警.png", PNG, "image/png")},
    )  # fmt: skip
    assert created.status_code == 303
    url = created.headers["location"].split("?")[0]
    page = client.get(url).text
    assert "预警.png" in page and 'class="library-preview"' in page and "无标识" in page
    version = re.search(r'name="expected_version" value="(\d+)"', page)
    assert version is not None
    edited = client.post(f"{url}/edit", data={"csrf_token": csrf, "title": "暴雨红色预警",
                         "body": "请减少外出", "visibility": "matrix", "tags": "防汛",
                         "labels": "权威", "expected_version": version[1]})  # fmt: skip
    assert edited.status_code == 303
    page = client.get(url).text
    assert 'class="content-label label-权威"' in page and "op_police用户" in page
    planned = client.post(f"{url}/distribute", data={"csrf_token": csrf, "account_ids": [
        str(world.accounts["police_weibo"]), str(world.accounts["police_douyin"])]})  # fmt: skip
    assert planned.status_code == 303
    page = client.get(url).text
    assert "已排队 2" in page and "平安郑州" in page
    targets = page[page.index('id="distribution"') :]
    assert "<td>微博</td>" in targets and "<td>抖音</td>" in targets  # platforms by name
    assert "<td>weibo</td>" not in targets and "<td>douyin</td>" not in targets
    listing = client.get("/console/library", params={"q": "暴雨预警", "label": "权威"}).text
    assert "暴雨红色预警" in listing
    no_csrf = client.post(f"{url}/edit", data={"title": "无令牌"})
    assert no_csrf.status_code == 403
    # refused edits and plans come back on the item page, with the reason and nothing saved
    stale = client.post(f"{url}/edit", data={"csrf_token": csrf, "title": "旧版本改的标题",
                        "visibility": "matrix", "expected_version": version[1]})  # fmt: skip
    assert stale.status_code == 409 and 'id="form-errors"' in stale.text
    assert 'id="edit-form"' in stale.text and "旧版本改的标题" not in client.get(url).text
    nobody = client.post(f"{url}/distribute", data={"csrf_token": csrf})
    assert nobody.status_code == 422 and "请至少选择一个账号" in nobody.text
    assert 'id="distribute-form"' in nobody.text
    past = client.post(f"{url}/distribute", data={"csrf_token": csrf, "scheduled_at": "2020-01-01T10:00",
                                                  "account_ids": [str(world.accounts["police_weibo"])]})  # fmt: skip
    assert past.status_code == 422
    assert "计划时间已过（2020-01-01 10:00 北京时间）" in past.text
    # A time with its own offset keeps it (10:00 UTC is 18:00 in Beijing), not read as Beijing's.
    utc = client.post(f"{url}/distribute", data={"csrf_token": csrf, "scheduled_at": "2020-01-01T10:00+00:00",
                                                 "account_ids": [str(world.accounts["police_weibo"])]})  # fmt: skip
    assert utc.status_code == 422 and "计划时间已过（2020-01-01 18:00 北京时间）" in utc.text
    garbled = client.post(f"{url}/distribute", data={"csrf_token": csrf, "scheduled_at": "明天上午",
                                                     "account_ids": [str(world.accounts["police_weibo"])]})  # fmt: skip
    assert garbled.status_code == 422
    assert "计划时间「明天上午」无法识别" in garbled.text and "2025-07-01 09:30" in garbled.text
    assert "已排队 2" in client.get(url).text  # nothing more planned
    # Another body's account of the same matrix is neither offered nor accepted.
    assert f'id="acc-{world.accounts["housing_wechat"]}"' not in client.get(url).text
    foreign = client.post(f"{url}/distribute", data={"csrf_token": csrf, "account_ids": [
        str(world.accounts["police_weibo"]), str(world.accounts["housing_wechat"])]})  # fmt: skip
    assert foreign.status_code == 403 and "不是本单位在矩阵中的账号" in foreign.text
    # A second click on the same accounts queues nothing; the page names what it skipped.
    twice = client.post(f"{url}/distribute", data={"csrf_token": csrf, "account_ids": [
        str(world.accounts["police_weibo"])]})  # fmt: skip
    assert twice.status_code == 303
    assert twice.headers["location"].endswith(
        f"?done=planned&skipped={world.accounts['police_weibo']}#distribution"
    )
    page = client.get(twice.headers["location"]).text
    skipped = page[page.index('id="distribution-skipped"') :].split("</p>")[0]
    assert "已跳过 1 个已分发过的账号（未重复排队）：平安郑州" in skipped and "Skipped 1" in skipped
    assert "已排队 2" in page  # nothing new
    assert 'name="again" value="yes"' in page
    # The "again" box publishes once more; skipped ids in the URL name only one's own accounts.
    again = client.post(f"{url}/distribute", data={"csrf_token": csrf, "again": "yes",
                                                   "account_ids": [str(world.accounts["police_weibo"])]})  # fmt: skip
    assert again.status_code == 303 and "skipped" not in again.headers["location"]
    assert "已排队 3" in client.get(url).text
    forged = client.get(url, params={"done": "planned", "skipped": str(world.accounts["ly_weibo"])})
    assert "洛阳住建" not in forged.text and 'id="distribution-skipped"' not in forged.text


def test_other_roles_are_kept_out(client: httpx.Client, world: World) -> None:
    login(client, "handler", PASSWORD)
    assert client.get("/console/library").status_code == 403
    client.cookies.clear()
    anonymous = client.get("/console/library", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]


def test_foreign_targets_are_refused_in_the_console(client: httpx.Client, world: World) -> None:
    csrf = login(client, "office_zz", PASSWORD)
    created = client.post("/console/library/new", data={"csrf_token": csrf, "title": "矩阵通稿"})
    url = created.headers["location"].split("?")[0]
    page = client.get(url).text
    assert "郑州住房头条号" in page and "洛阳住建" not in page  # only its matrix's accounts
    refused = client.post(f"{url}/distribute", data={
        "csrf_token": csrf, "account_ids": str(world.accounts["ly_weibo"])})  # fmt: skip
    assert refused.status_code == 403 and "不在您的矩阵中" in refused.text
    failed = client.post(f"{url}/distribute", data={
        "csrf_token": csrf, "account_ids": str(world.accounts["housing_toutiao"])})  # fmt: skip
    assert failed.status_code == 303
    assert "未配置「toutiao」平台的发布通道" in client.get(url).text


def test_a_target_delivered_after_failures_says_how_many_failed(
    client: httpx.Client, world: World, committed_engine: Engine
) -> None:
    """The item page's distribution table said 此前发送失败 with no count: the report it
    reads had no attempts. A target delivered on its third attempt says 此前 2 次."""
    csrf = login(client, "op_police", PASSWORD)
    created = client.post("/console/library/new", data={"csrf_token": csrf, "title": "防汛提示"})
    url = created.headers["location"].split("?")[0]
    planned = client.post(f"{url}/distribute", data={
        "csrf_token": csrf, "account_ids": str(world.accounts["police_weibo"])})  # fmt: skip
    assert planned.status_code == 303
    with Session(committed_engine) as session:
        deliver_after_two_failures(session)
        session.commit()
    page = client.get(url).text
    targets = page[page.index('id="distribution"') :]
    earlier = re.search(r'class="meta outbox-earlier-error">([^<]*)<', targets)
    assert earlier is not None, targets
    assert earlier[1].startswith("此前 2 次发送失败，最近一次（20")
    assert "/ 2 earlier attempt(s) failed, the last: 第 2 次发送失败" in earlier[1]
    assert "已发送（20" in targets
