"""Console pages over real HTTP, per page and role (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account
from zhengwu.auth import service as auth_service

from .test_console_world import ConsoleWorld, build_console_world, login


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, committed, with posts and an index run."""
    auth_service._ip_attempts.clear()  # every test logs in several times from 127.0.0.1
    return build_console_world(committed_engine)


def _text(html: str) -> str:
    """Return the visible text of a page, tags removed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_root_login_and_logout(client: httpx.Client) -> None:
    public_root = client.get("/")
    assert public_root.status_code == 303
    assert public_root.headers["location"].startswith("/board")
    gated = client.get("/console/desk?state=accepted")
    assert gated.status_code == 303
    assert gated.headers["location"] == "/login?next=%2Fconsole%2Fdesk%3Fstate%3Daccepted"

    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="password"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    forged = client.post("/login", data={"username": "handler", "password": "console-pass-1",
                                         "csrf_token": "forged"})  # fmt: skip
    assert forged.status_code == 403
    assert "登录表单已过期" in forged.text
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    wrong = client.post("/login", data={"username": "handler", "password": "wrong-pass-1",
                                        "csrf_token": token[1]})  # fmt: skip
    assert wrong.status_code == 403
    assert "用户名或密码错误" in wrong.text
    assert "wrong username or password" in wrong.text

    csrf = login(client, "handler")
    assert client.get("/").headers["location"] == "/console"
    assert client.get("/console").headers["location"] == "/console/desk"
    crafted = client.get("/console/desk", params={"done": "已删除全部数据"}).text
    assert "已删除全部数据" not in crafted  # only known outcomes are announced
    nav = client.get("/console/desk").text
    assert "诉求办理" in nav
    assert "救援调度" not in nav
    assert "矩阵概览" not in nav
    refused = client.post("/logout")
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    out = client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert client.get("/api/auth/me").json()["role"] == "public"


def test_forbidden_pages_say_why_in_chinese_and_english(client: httpx.Client) -> None:
    login(client, "dispatcher")
    for path in ("/console/rankings", "/console/matrix", "/console/desk", "/console/settings"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "无权访问此页面" in r.text
        assert "may not open this page" in r.text
        assert r.headers["content-type"].startswith("text/html")
    missing = client.get("/console/no-such-page")
    assert missing.status_code == 404
    assert "页面不存在" in missing.text
    bad_param = client.get("/console/matrix/not-a-number")
    assert bad_param.status_code == 422
    assert "请求参数无效 — matrix_id" in bad_param.text
    board_404 = client.get("/board/rescue/999999")
    assert board_404.status_code == 404
    assert "没有编号为 999999 的灾情" in board_404.text
    assert board_404.headers["content-type"].startswith("text/html")


def test_matrix_overview_for_its_office(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "office")
    assert (
        client.get("/console/matrix").headers["location"]
        == f"/console/matrix/{world.matrices['zz']}"
    )
    page = client.get(f"/console/matrix/{world.matrices['zz']}")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'id="stat-accounts">5<', html)
    assert re.search(r'id="stat-active">3<', html)
    assert re.search(r'id="stat-failing">2<', html)
    failing = html[html.index('id="compliance"') : html.index('id="rates"')]
    assert "郑州12345" in failing
    assert "中原文旅" in failing
    assert "平安郑州" not in failing
    assert "检查日前无更新" in failing
    assert "检查日 2025-07-31" in html  # the latest index run's check date
    assert "郑州暴雨（测试）" in html  # an open incident
    assert "郑州公安新媒体矩阵" in html  # the sub-matrix in the tree, with its members
    assert html.count("<svg") >= 3
    rates = _text(html[html.index('id="rates"') : html.index('id="incidents"')])
    # This month's requests of the matrix's bodies (金水住建, 公安); the 40-day-old one is not.
    assert "受理量 2" in rates
    assert "金水" in html  # the county grid names the county with a request
    # Its sub-matrix is its own; another city's matrix is not.
    assert client.get(f"/console/matrix/{world.matrices['zz_police']}").status_code == 200
    other = client.get(f"/console/matrix/{world.matrices['ly']}")
    assert other.status_code == 403
    assert "这不是您管理的矩阵" in other.text
    assert client.get("/console/matrix/999999").status_code == 404


def test_admin_lists_every_matrix(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "admin")
    html = client.get("/console/matrix").text
    for name in ("郑州政务新媒体矩阵", "洛阳政务新媒体矩阵"):
        assert name in html
    below = client.get("/console/matrix", params={"parent": world.matrices["zz"]}).text
    assert "郑州公安新媒体矩阵" in below  # its sub-matrices, one level at a time
    assert client.get(f"/console/matrix/{world.matrices['ly']}").status_code == 200


def test_account_page(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "office")
    page = client.get(f"/console/accounts/{world.accounts['police_weibo']}")
    assert page.status_code == 200
    html = page.text
    matrices = html[html.index('id="matrices"') : html.index('id="compliance"')]
    assert "郑州政务新媒体矩阵" in matrices
    assert "郑州公安新媒体矩阵" in matrices
    assert "平安郑州 7月31日发布" in html  # the latest post comes first
    assert html.index("7月31日发布") < html.index("7月30日发布")
    assert "通过" in html[html.index('id="compliance"') : html.index('id="metrics"')]
    lines = re.findall(r'<polyline class="series"[^>]*points="([^"]+)"', html)
    assert len(lines) == 2  # posts and engagement
    assert len(lines[0].split()) == 30  # one point a day
    assert "得分解释" in html
    hotline = client.get(f"/console/accounts/{world.accounts['hotline_weibo']}").text
    assert "检查日前无更新" in hotline
    assert client.get(f"/console/accounts/{world.accounts['ly_weibo']}").status_code == 403
    listing = client.get("/console/accounts").text
    assert "平安郑州" in listing
    assert "洛阳住建" not in listing


def test_admin_lists_government_accounts_unless_asked(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    """An import stores citizens' accounts too: the list shows 政务账号 unless asked."""
    with Session(committed_engine) as session:
        session.add(
            Account(platform="weibo", uid="77001", name="热心市民小王", is_government=False)
        )
        session.commit()
    login(client, "admin")
    default = client.get("/console/accounts").text
    assert "平安郑州" in default and "热心市民小王" not in default
    assert '<option value="government" selected>政务账号</option>' in default
    other = client.get("/console/accounts", params={"kind": "other"}).text
    assert "热心市民小王" in other and "平安郑州" not in other
    both = client.get("/console/accounts", params={"kind": "all"}).text
    assert "热心市民小王" in both and "平安郑州" in both
    wrong = client.get(
        "/console/accounts", params={"kind": "citizen"}, headers={"Accept": "text/html"}
    )
    assert wrong.status_code == 422
    assert "账号类别「citizen」无效" in wrong.text and "unknown account kind" in wrong.text


def test_operator_sees_only_its_organisations_accounts(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "operator")
    assert client.get(f"/console/accounts/{world.accounts['police_douyin']}").status_code == 200
    refused = client.get(f"/console/accounts/{world.accounts['js_weibo']}")
    assert refused.status_code == 403
    assert "您无权查看此账号" in refused.text
    assert client.get("/console/matrix").status_code == 403


def test_rankings_with_filters_and_explanation(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "office")
    page = client.get("/console/rankings", params={"platform": "weibo"})
    assert page.status_code == 200
    table = page.text[page.text.index('class="ranking-table"') :]
    table = table[: table.index("</table>")]
    assert "平安郑州" in table
    assert "金水住建" in table
    assert "洛阳住建" in table
    assert "郑州12345" not in table  # failing the gate: left out of the ranking …
    assert "未纳入排行 1 个（合规检查未通过或无数据" in page.text  # … and said so
    assert "<svg" in page.text
    police = client.get("/console/rankings", params={"platform": "weibo", "sector": "公安"}).text
    police_table = police[police.index('class="ranking-table"') :]
    assert "平安郑州" in police_table
    assert "金水住建" not in police_table
    # Ranked within 公安, each row shows its percentile there beside the platform's.
    assert "组内百分位" in police_table and "组内百分位" not in table
    cells = re.findall(r"<td>([^<]*)</td>", police_table.split("平安郑州")[1].split("</tr>")[0])
    assert len(cells) == 6, cells  # 机构, 系统, 层级, 得分, 同类百分位, 组内百分位
    assert cells[5] == "100.0", cells  # the sector's first
    by_matrix = client.get(
        "/console/rankings", params={"platform": "weibo", "matrix": world.matrices["zz_police"]}
    ).text
    assert "郑州公安新媒体矩阵" in by_matrix
    assert "金水住建" not in by_matrix.split("ranking-table")[1]
    in_city = client.get(
        "/console/rankings", params={"platform": "weibo", "region": "410300"}
    ).text.split("ranking-table")[1]
    assert "洛阳住建" in in_city
    assert "平安郑州" not in in_city
    failing = client.get(
        "/console/rankings", params={"platform": "weibo", "include_failing": "true"}
    ).text.split("ranking-table")[1]
    assert "郑州12345" in failing
    explained = client.get(
        "/console/rankings/explain", params={"run": world.run_id, "ref": "weibo:1001"}
    )
    assert explained.status_code == 200
    assert "得分解释：平安郑州" in explained.text
    assert re.search(r"（\d+ 个纳入排行，另 \d+ 个未纳入：未通过合规或无数据）", explained.text)
    assert "指标明细" in explained.text
    assert re.search(r"同类百分位（微博，\d+ 个）", explained.text)  # not "（weibo，…）"
    assert "各维度贡献" in explained.text
    assert f"/console/accounts/{world.accounts['police_weibo']}" in explained.text
    # An organisation's score is its platforms' combined: the page shows those parts (they
    # add up to it), not "各维度贡献之和 = 0 分" over an empty indicator table.
    body = client.get(
        "/console/rankings/explain",
        params={"run": world.run_id, "ref": f"org:{world.orgs['police']}"},
    )
    assert body.status_code == 200
    shown = _text(body.text)
    assert "跨平台得分 = 最高的 2 个平台得分的平均" in shown
    assert "各维度贡献之和" not in shown
    assert "指标明细" not in shown
    assert re.search(r"微博 平安郑州 [\d.]+ \d+ 0\.500 [\d.]+", shown), shown
    missing = client.get(
        "/console/rankings/explain", params={"run": world.run_id, "ref": "weibo:x"}
    )
    assert missing.status_code == 404
    assert "中找不到" in missing.text


def test_explain_of_an_unranked_account_does_not_call_it_first(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    """中原文旅, the only WeChat account, never posted: it is not ranked, so the gap card
    says there is no rank above, not 已是第一名 (it was first only counting those left out)."""
    login(client, "admin")
    for lang, shown, wrong in (
        (None, "未纳入排行，且连同未纳入者也排在最前：没有上一名可比较。", "已是第一名"),
        ("en", "Not ranked, and first even with those left out counted", "Ranked first."),
    ):
        page = client.get(
            "/console/rankings/explain",
            params={"run": world.run_id, "ref": "wechat:w3001", **({"lang": lang} if lang else {})},
        )
        assert page.status_code == 200
        assert shown in page.text
        assert wrong not in page.text
    ranked = client.get(
        "/console/rankings/explain", params={"run": world.run_id, "ref": "weibo:1001"}
    ).text
    assert "未纳入者也排在最前" not in ranked


def test_settings_pages_and_category_form(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "office")
    systems = client.get("/console/settings/systems").text
    assert "zhengwu-4d" in systems
    assert "<td>微博、微信、抖音</td>" in systems  # not "weibo, wechat, douyin"
    system = client.get("/console/settings/systems/zhengwu-4d")
    assert system.status_code == 200
    assert "平台 微博、微信、抖音 ·" in system.text
    assert "<table>" in system.text
    categories = client.get("/console/settings/categories").text
    assert "物业管理" in categories
    assert "编辑" not in categories
    routing = client.get("/console/settings/routing").text
    assert "郑州市金水区住房和城乡建设局" in routing
    assert "金水区" in routing
    office_csrf = client.get("/api/auth/me").json()["csrf_token"]
    refused = client.post("/console/settings/categories/0101",
                          data={"csrf_token": office_csrf, "name": "物业管理",
                                "response_days": "2", "resolve_days": "10"})  # fmt: skip
    assert refused.status_code == 403

    client.cookies.clear()
    csrf = login(client, "admin")
    form = client.get("/console/settings/categories/0101")
    assert form.status_code == 200
    assert 'id="category-form"' in form.text
    bad = client.post("/console/settings/categories/0101",
                      data={"csrf_token": csrf, "name": "", "response_days": "abc",
                            "resolve_days": "400"})  # fmt: skip
    assert bad.status_code == 422
    errors = dict(re.findall(r'<p class="field-error" id="err-([a-z_]+)">([^<]+)</p>', bad.text))
    assert set(errors) == {"name", "response_days", "resolve_days"}
    assert "不能为空" in errors["name"]
    assert "正整数" in errors["response_days"]
    assert "不能大于 365" in errors["resolve_days"]
    assert 'value="abc"' in bad.text  # what was typed stays in the form
    crossed = client.post("/console/settings/categories/0101",
                          data={"csrf_token": csrf, "name": "物业管理", "response_days": "20",
                                "resolve_days": "10"})  # fmt: skip
    assert crossed.status_code == 422
    assert "受理时限不能长于办结时限" in crossed.text
    saved = client.post("/console/settings/categories/0101",
                        data={"csrf_token": csrf, "name": "物业管理", "response_days": "2",
                              "resolve_days": "12"})  # fmt: skip
    assert saved.status_code == 303
    row = client.get(saved.headers["location"]).text
    assert "分类已保存" in row
    row = row[row.index('id="cat-0101"') :]
    assert "2 个工作日" in row[:400]
    assert "12 个工作日" in row[:400]
    api = client.get("/api/desk/categories/0101", headers={"Accept": "application/json"}).json()
    assert (api["response_days"], api["resolve_days"], api["version"]) == (2, 12, 2)
