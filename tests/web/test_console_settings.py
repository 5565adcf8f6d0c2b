"""The settings console over real HTTP: routing rules, indicator systems, deadlines."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.index.system import BUILTIN_DIR, load_system, user_dir

from .test_console_world import ConsoleWorld, build_console_world, login

SHIPPED = (BUILTIN_DIR / "zhengwu-4d.toml").read_text(encoding="utf-8")
MINE = SHIPPED.replace('name = "zhengwu-4d"', 'name = "my-index"', 1).replace(
    'title_zh = "', 'title_zh = "本市', 1
)


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city (no index run)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


def _version(page: str) -> int:
    found = re.search(r'id="current-version">当前版本 (\d+)<', page)
    assert found is not None
    return int(found[1])


def _field_errors(page: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field-error" id="err-([a-z_]+)">([^<]+)</p>', page))


# -- routing table -------------------------------------------------------------------------


def test_admin_adds_and_retires_a_routing_rule(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "admin")
    page = client.get("/console/settings/routing").text
    assert _version(page) == 1
    assert 'id="routing-form"' in page
    added = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "category_code": "02", "adcode": "郑州市中原区",
        "organization_id": str(world.orgs["zy_culture"]), "note": "中原区环保投诉",
    })  # fmt: skip
    assert added.status_code == 303
    page = client.get(added.headers["location"]).text
    assert "路由规则已添加" in page
    assert _version(page) == 2
    assert re.search(r"<td>2 <span class=\"tag current-version\">当前</span>", page)
    rules = client.get("/api/desk/routing/rules", headers={"Accept": "application/json"}).json()
    mine = [r for r in rules if r["category_code"] == "02"]
    assert [(r["adcode"], r["organization_id"], r["table_version"]) for r in mine] == [
        ("410102", world.orgs["zy_culture"], 2)
    ]
    # Retiring needs a reason: without one the page comes back with the error at the rule.
    no_reason = client.post(f"/console/settings/routing/rules/{mine[0]['id']}/retire",
                            data={"csrf_token": csrf, "reason": "  "})  # fmt: skip
    assert no_reason.status_code == 422
    assert "请填写停用理由" in no_reason.text
    assert "give a reason for retiring the rule" in no_reason.text
    row = no_reason.text.split(f'id="rule-{mine[0]["id"]}"')[1].split("</tr>")[0]
    assert 'id="retire-error"' in row
    assert _version(no_reason.text) == 2  # nothing retired
    retired = client.post(f"/console/settings/routing/rules/{mine[0]['id']}/retire",
                          data={"csrf_token": csrf, "reason": "并入12345"})  # fmt: skip
    assert retired.status_code == 303
    page = client.get(retired.headers["location"]).text
    assert "路由规则已停用" in page
    assert _version(page) == 3
    assert f'id="rule-{mine[0]["id"]}"' not in page
    assert "并入12345" in page  # the version's note
    again = client.post(f"/console/settings/routing/rules/{mine[0]['id']}/retire",
                        data={"csrf_token": csrf, "reason": "再停一次"})  # fmt: skip
    assert again.status_code == 409
    with Session(committed_engine) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "routing_rule")
        ).all()
    assert actions.count("retire") == 1
    assert actions.count("create") == 3  # two from the test city, one from the form


def test_a_rule_under_an_old_division_code_says_where_it_is_stored(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    """江干区 330104 was merged into 上城区 330102 in 2021: the rule is stored under 330102,
    and the page says so after adding it, in the CLI's words."""
    csrf = login(client, "admin")
    added = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "category_code": "02", "adcode": "330104",
        "organization_id": str(world.orgs["zy_culture"]),
    })  # fmt: skip
    assert added.status_code == 303
    page = html.unescape(client.get(added.headers["location"]).text)
    assert "路由规则已添加" in page and _version(page) == 2
    note = re.search(r'<p class="notice" role="status" id="successor-note">([^<]+)</p>', page)
    assert note is not None, page
    assert note[1].startswith("区划代码 330104（江干区，2021 年区划调整）已由 330102（上城区）承继")
    assert "division code 330104 (江干区, changed in 2021) was replaced by 330102" in note[1]
    rules = client.get("/api/desk/routing/rules", headers={"Accept": "application/json"}).json()
    assert [r["adcode"] for r in rules if r["category_code"] == "02"] == ["330102"]

    # A rule under a current code says nothing; nor does a crafted link.
    current = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "category_code": "02", "adcode": "410102",
        "organization_id": str(world.orgs["zy_culture"]),
    })  # fmt: skip
    assert current.status_code == 303 and "renamed" not in current.headers["location"]
    for query in ("?renamed=330104", "?done=routing-added&renamed=410102",
                  "?done=routing-added&renamed=x"):  # fmt: skip
        shown = client.get(f"/console/settings/routing{query}")
        assert shown.status_code == 200 and 'id="successor-note"' not in shown.text, query


def test_routing_form_errors_keep_the_input(client: httpx.Client, world: ConsoleWorld) -> None:
    csrf = login(client, "admin")
    bad = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "category_code": "9999", "adcode": "999999", "organization_id": "",
        "note": "保留这句说明",
    })  # fmt: skip
    assert bad.status_code == 422
    errors = _field_errors(bad.text)
    assert set(errors) == {"category_code", "adcode", "organization_id"}
    assert "未知的分类：9999" in errors["category_code"]
    assert "未知的区划代码：999999" in errors["adcode"]
    assert "请选择承办单位" in errors["organization_id"]
    assert 'value="999999"' in bad.text
    assert 'value="保留这句说明"' in bad.text
    assert '<option value="9999" selected>' in bad.text
    named = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "category_code": "01", "adcode": "火星市",
        "organization_id": "999999",
    })  # fmt: skip
    assert named.status_code == 422
    errors = _field_errors(named.text)
    assert "未知的区划「火星市」" in errors["adcode"]
    assert "机构不存在：999999" in errors["organization_id"]
    assert '<option value="01" selected>' in named.text
    assert _version(client.get("/console/settings/routing").text) == 1  # nothing changed


def test_the_routing_form_reads_a_division_name_as_the_table_import_does(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    csrf = login(client, "admin")

    def add(adcode: str) -> httpx.Response:
        return client.post("/console/settings/routing/rules", data={
            "csrf_token": csrf, "category_code": "02", "adcode": adcode,
            "organization_id": str(world.orgs["zy_culture"]),
        })  # fmt: skip

    # 北京 and 长春 both have a 朝阳区: refused with the candidates, the typed name kept.
    several = add("朝阳区")
    assert several.status_code == 422
    said = html.unescape(_field_errors(several.text)["adcode"])
    assert "「朝阳区」对应多个区划（110105 北京市朝阳区、220104 吉林省长春市朝阳区）" in said
    assert "names several divisions" in said
    assert 'value="朝阳区"' in several.text
    # A short form (岳麓 for 岳麓区) and a name under its city, as the import takes them.
    assert add("岳麓").status_code == 303
    assert add("长春市朝阳区").status_code == 303
    rules = client.get("/api/desk/routing/rules", headers={"Accept": "application/json"}).json()
    assert sorted(r["adcode"] for r in rules if r["category_code"] == "02") == [
        "220104", "430104"
    ]  # fmt: skip


def test_the_routing_filter_reads_a_division_name_as_the_form_does(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    csrf = login(client, "admin")
    for adcode in ("430104", "430102", "220104", "110105"):  # 岳麓区, 芙蓉区, two 朝阳区
        added = client.post("/console/settings/routing/rules", data={
            "csrf_token": csrf, "category_code": "02", "adcode": adcode,
            "organization_id": str(world.orgs["zy_culture"]),
        })  # fmt: skip
        assert added.status_code == 303, added.text

    def shown(region: str) -> tuple[int, list[str], str]:
        page = client.get("/console/settings/routing", params={"region": region})
        text = html.unescape(page.text)
        error = re.search(r'id="filter-error">([^<]+)<br><span lang="en">([^<]+)<', text)
        names = re.findall(r"<td>([^<]*(?:岳麓区|芙蓉区|朝阳区))</td>", text)
        return page.status_code, sorted(names), " / ".join(error.groups()) if error else ""

    assert shown("长沙市岳麓区")[:2] == (200, ["岳麓区"])
    assert shown("岳麓")[:2] == (200, ["岳麓区"])  # before: 未知的区划 (read as an address)
    assert shown("430104")[:2] == (200, ["岳麓区"])
    assert shown("长沙市")[:2] == (200, ["岳麓区", "芙蓉区"])
    # Before: 朝阳区 silently took 北京's, and the page listed every rule beside an error.
    status, names, error = shown("朝阳区")
    assert (status, names) == (422, [])
    assert "「朝阳区」对应多个区划（110105 北京市朝阳区、220104 吉林省长春市朝阳区）" in error
    assert "names several divisions" in error
    status, _, error = shown("火星市")
    assert status == 422
    assert error == "未知的区划「火星市」 / unknown division '火星市'"
    assert shown("长春市朝阳区")[:2] == (200, ["朝阳区"])


def test_routing_roles_and_csrf(client: httpx.Client, world: ConsoleWorld) -> None:
    csrf = login(client, "office")  # the 郑州 matrix office
    page = client.get("/console/settings/routing").text
    assert 'id="routing-form"' in page
    assert "洛阳市住房和城乡建设局" not in page.split('id="routing-form"')[1]  # not routable
    outside = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "category_code": "01", "adcode": "410300",
        "organization_id": str(world.orgs["ly_housing"]), "note": "越权",
    })  # fmt: skip
    assert outside.status_code == 403
    assert "不在本矩阵内" in outside.text
    assert 'value="越权"' in outside.text
    inside = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "category_code": "", "adcode": "410105",
        "organization_id": str(world.orgs["police"]),
    })  # fmt: skip
    assert inside.status_code == 303
    no_csrf = client.post("/console/settings/routing/rules", data={
        "category_code": "", "adcode": "", "organization_id": str(world.orgs["police"])})  # fmt: skip
    assert no_csrf.status_code == 403
    assert "CSRF" in no_csrf.text
    client.cookies.clear()
    csrf = login(client, "handler")
    page = client.get("/console/settings/routing").text
    assert 'id="routing-form"' not in page
    refused = client.post("/console/settings/routing/rules", data={
        "csrf_token": csrf, "organization_id": str(world.orgs["js_housing"])})  # fmt: skip
    assert refused.status_code == 403
    rule_id = re.search(r'id="rule-(\d+)"', page)
    assert rule_id is not None
    refused = client.post(f"/console/settings/routing/rules/{rule_id[1]}/retire",
                          data={"csrf_token": csrf})  # fmt: skip
    assert refused.status_code == 403
    assert _version(client.get("/console/settings/routing").text) == 2  # only the office's rule


def test_admin_checks_then_imports_the_table_from_the_routing_page(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    csrf = login(client, "admin")
    page = client.get("/console/settings/routing").text
    assert 'id="form-routing-import"' in page
    assert 'href="/api/desk/routing/rules/export?format=xlsx"' in page
    # The page's download link (the API, with the console's login) gives the table.
    sheet = client.get("/api/desk/routing/rules/export?format=csv")
    assert sheet.status_code == 200, sheet.text
    assert "郑州市金水区住房和城乡建设局" in sheet.content.decode("utf-8-sig")
    edited = sheet.content + ",二七区,,城乡建设,郑州市公安局,,,,,,,\n".encode()
    files = {"file": ("派单表.csv", edited, "text/csv")}
    checked = client.post("/console/settings/routing/import", files=files,
                          data={"csrf_token": csrf, "dry_run": "1"})  # fmt: skip
    assert checked.status_code == 200, checked.text
    assert 'id="table-import-dry-run"' in checked.text
    assert re.search(r'id="table-added">1<', checked.text)
    assert re.search(r'id="table-unchanged">2<', checked.text)
    plan = checked.text.split('id="table-plan"')[1].split("</table>")[0]
    assert "新增" in plan and "二七区" in plan and "郑州市公安局" in plan
    assert _version(checked.text) == 1  # a dry run writes nothing
    done = client.post("/console/settings/routing/import", files=files,
                       data={"csrf_token": csrf, "dry_run": "0"})  # fmt: skip
    assert done.status_code == 200, done.text
    assert "已导入 派单表.csv，路由表版本 2" in done.text
    assert _version(done.text) == 2
    assert "导入派单表 派单.csv" not in done.text and "导入派单表 派单表.csv" in done.text
    # Replacing with a refused row: the page lists it, and nothing changes.
    bad = b"\xe5\x8c\xba\xe5\x88\x92,\xe6\x89\xbf\xe5\x8a\x9e\xe5\x8d\x95\xe4\xbd\x8d\n"  # 区划,承办单位
    bad += "金水区,不存在的单位\n".encode("gbk")
    refused = client.post("/console/settings/routing/import", data={
        "csrf_token": csrf, "dry_run": "0", "replace": "1"},
        files={"file": ("bad.csv", bad, "text/csv")})  # fmt: skip
    assert refused.status_code == 422, refused.text
    assert 'id="table-import-error"' in refused.text and "未做任何改动" in refused.text
    rows = refused.text.split('id="table-refused-rows"')[1].split("</table>")[0]
    assert "bad.csv:2" in rows and "第 2 行「承办单位」" in rows and "不存在的单位" in rows
    assert _version(refused.text) == 2
    no_file = client.post("/console/settings/routing/import", data={"csrf_token": csrf})
    assert no_file.status_code == 422 and 'id="table-import-error"' in no_file.text


def test_only_the_admin_uploads_the_table(client: httpx.Client, world: ConsoleWorld) -> None:
    csrf = login(client, "office")
    page = client.get("/console/settings/routing").text
    assert 'id="routing-export"' in page and 'id="form-routing-import"' not in page
    refused = client.post("/console/settings/routing/import", data={"csrf_token": csrf},
                          files={"file": ("t.csv", b"a,b\n", "text/csv")})  # fmt: skip
    assert refused.status_code == 403 and "无权" in refused.text
    assert _version(client.get("/console/settings/routing").text) == 1


# -- indicator systems ---------------------------------------------------------------------


def test_admin_checks_and_saves_an_indicator_system(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    csrf = login(client, "admin")
    form = client.get("/console/settings/systems/new")
    assert form.status_code == 200
    assert 'name="zhengwu-4d"' not in form.text and "zhengwu-4d" in form.text  # the example
    checked = client.post("/console/settings/systems/new",
                          data={"csrf_token": csrf, "toml": MINE, "action": "check"})  # fmt: skip
    assert checked.status_code == 200
    assert 'id="system-ok"' in checked.text
    assert 'id="methodology"' in checked.text
    assert "my-index" in checked.text
    assert not (user_dir() / "my-index.toml").exists()  # checking saves nothing
    saved = client.post("/console/settings/systems/new",
                        data={"csrf_token": csrf, "toml": MINE, "action": "save"})  # fmt: skip
    assert saved.status_code == 303
    assert saved.headers["location"] == "/console/settings/systems/my-index?done=system-saved"
    page = client.get(saved.headers["location"]).text
    assert "指标体系已保存" in page
    assert 'id="methodology"' in page
    assert "# 本市" in html.unescape(page)  # the methodology is generated from the file
    assert (user_dir() / "my-index.toml").read_text(encoding="utf-8") == MINE
    assert load_system("my-index").title_zh.startswith("本市")  # where every run looks
    listing = client.get("/console/settings/systems").text
    row = listing[listing.index("/console/settings/systems/my-index") :]
    assert "自定义" in row[:600]
    twice = client.post("/console/settings/systems/new",
                        data={"csrf_token": csrf, "toml": MINE, "action": "save"})  # fmt: skip
    assert twice.status_code == 409
    assert "已有名为 my-index 的指标体系" in twice.text
    changed = MINE.replace('version = "', 'version = "9', 1)
    uploaded = client.post(
        "/console/settings/systems/new",
        data={"csrf_token": csrf, "toml": "", "action": "save", "replace": "1"},
        files={"file": ("my-index.toml", changed.encode(), "application/toml")},
    )
    assert uploaded.status_code == 303
    assert load_system("my-index").version.startswith("9")
    # Not even "replace" puts an office's system in place of a shipped one.
    taken = client.post("/console/settings/systems/new", data={
        "csrf_token": csrf, "action": "save", "replace": "1",
        "toml": SHIPPED.replace('version = "', 'version = "9', 1)})  # fmt: skip
    assert taken.status_code == 409
    assert "is taken by a shipped indicator system" in html.unescape(taken.text)
    assert not (user_dir() / "zhengwu-4d.toml").exists()


def test_system_errors_are_all_shown_with_the_text_kept(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    csrf = login(client, "admin")
    # Three independent mistakes: an unknown metric in the first dimension, a weight that
    # breaks the second dimension's sum, and a third dimension left without indicators.
    dims = MINE.split("[[dimensions]]")
    dims[1] = dims[1].replace('metric = "', 'metric = "no_such_metric_', 1)
    head, rest = dims[2].split("[[dimensions.indicators]]", 1)
    dims[2] = (
        head
        + "[[dimensions.indicators]]"
        + re.sub(r"weight = [0-9.]+", "weight = 5", rest, count=1)
    )
    third = re.search(r'key = "(\w+)"', dims[3])
    assert third is not None
    dims[3] = dims[3].split("[[dimensions.indicators]]", 1)[0]
    text = "[[dimensions]]".join(dims)
    bad = client.post("/console/settings/systems/new",
                      data={"csrf_token": csrf, "toml": text, "action": "save"})  # fmt: skip
    assert bad.status_code == 422
    shown = [html.unescape(e) for e in re.findall(r'<li class="system-error">(.*?)<br>', bad.text)]
    assert len(shown) == 3, shown
    assert "未知指标度量 'no_such_metric_" in shown[0]
    assert "dimensions[1].indicators" in shown[1] and "权重之和" in shown[1]
    assert f"维度 {third[1]} 没有指标" in shown[2]
    kept = re.search(r'<textarea id="f-toml"[^>]*>(.*?)</textarea>', bad.text, re.S)
    assert kept is not None and html.unescape(kept[1]) == text  # the text stays in the form
    assert not (user_dir() / "my-index.toml").exists()
    syntax = client.post("/console/settings/systems/new",
                         data={"csrf_token": csrf, "toml": "name = [", "action": "check"})  # fmt: skip
    assert syntax.status_code == 422
    assert "不是合法的 TOML" in syntax.text
    empty = client.post("/console/settings/systems/new",
                        data={"csrf_token": csrf, "toml": " ", "action": "check"})  # fmt: skip
    assert empty.status_code == 422
    assert "请粘贴或上传" in empty.text
    unsafe = client.post("/console/settings/systems/new", data={
        "csrf_token": csrf, "toml": MINE.replace('"my-index"', '"../evil"', 1), "action": "save"})  # fmt: skip
    assert unsafe.status_code == 422
    assert "只能用字母" in unsafe.text
    assert not (user_dir().parent / "evil.toml").exists()


def test_a_system_spelling_a_nul_is_refused_with_the_text_kept(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    """TOML spells a NUL "\\u0000" inside a string: no raw NUL for the request check to
    see, but a title no database keeps alike. Refused (422) naming the key, nothing saved."""
    csrf = login(client, "admin")
    text = MINE.replace('title_zh = "本市', 'title_zh = "本市\\u0000', 1)
    for action in ("check", "save"):
        bad = client.post("/console/settings/systems/new",
                          data={"csrf_token": csrf, "toml": text, "action": action})  # fmt: skip
        assert bad.status_code == 422, bad.text
        page = html.unescape(bad.text)
        assert "「title_zh」含有空字符（NUL，\\u0000），数据库无法保存" in page
        assert "'title_zh' in console contains a NUL character" in page
        kept = re.search(r'<textarea id="f-toml"[^>]*>(.*?)</textarea>', bad.text, re.S)
        assert kept is not None and html.unescape(kept[1]) == text
    assert not (user_dir() / "my-index.toml").exists()


def test_only_the_admin_saves_systems(client: httpx.Client, world: ConsoleWorld) -> None:
    # Other staff see the systems read-only: no upload button, no form, no check or save.
    for role in ("office", "operator", "handler"):
        client.cookies.clear()
        csrf = login(client, role)
        listing = client.get("/console/settings/systems")
        assert listing.status_code == 200
        assert 'id="new-system"' not in listing.text
        assert 'id="systems-read-only"' in listing.text
        assert "zhengwu-4d" in listing.text
        form = client.get("/console/settings/systems/new")
        assert form.status_code == 403
        assert 'id="system-form"' not in form.text
        assert "只有平台管理员可以上传或保存指标体系" in form.text
        for action in ("check", "save"):
            refused = client.post("/console/settings/systems/new",
                                  data={"csrf_token": csrf, "toml": MINE, "action": action})  # fmt: skip
            assert refused.status_code == 403
    assert not (user_dir() / "my-index.toml").exists()
    client.cookies.clear()
    login(client, "admin")
    no_csrf = client.post("/console/settings/systems/new", data={"toml": MINE, "action": "save"})
    assert no_csrf.status_code == 403
    assert "CSRF" in no_csrf.text
    assert not (user_dir() / "my-index.toml").exists()
    client.cookies.clear()
    login(client, "dispatcher")
    assert client.get("/console/settings/systems/new").status_code == 403


# -- deadlines -----------------------------------------------------------------------------


def test_deadlines_must_be_positive_and_csrf_is_checked(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    csrf = login(client, "admin")
    zero = client.post("/console/settings/categories/0101", data={
        "csrf_token": csrf, "name": "物业管理", "response_days": "0", "resolve_days": "-3"})  # fmt: skip
    assert zero.status_code == 422
    errors = _field_errors(zero.text)
    assert "不能小于 1" in errors["response_days"]
    assert "正整数" in errors["resolve_days"]
    assert 'value="-3"' in zero.text
    no_csrf = client.post("/console/settings/categories/0101", data={
        "name": "物业管理", "response_days": "1", "resolve_days": "5"})  # fmt: skip
    assert no_csrf.status_code == 403
    api = client.get("/api/desk/categories/0101", headers={"Accept": "application/json"}).json()
    assert api["version"] == 1


def test_a_system_without_chinese_reads_chinese_where_zhengwu_knows_the_words(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    """An English-only system: the form names each label without a Chinese form; its page
    shows metric meanings and processing in Chinese and the user's own label as written."""
    from tests.index.test_chinese_labels import ENGLISH_ONLY

    from zhengwu.index.metrics import METRICS

    csrf = login(client, "admin")
    checked = client.post("/console/settings/systems/new",
                          data={"csrf_token": csrf, "toml": ENGLISH_ONLY, "action": "check"})  # fmt: skip
    assert checked.status_code == 200 and 'id="system-ok"' in checked.text
    warnings = html.unescape(checked.text[checked.text.index('id="system-warnings"') :])
    assert "dimensions[0].name 没有中文（可加 name_zh）" in warnings.split("</ul>")[0]
    metrics = checked.text[checked.text.index('class="metric-list"') :]
    assert METRICS["follower_growth_rate"].meaning_zh in html.unescape(metrics)
    saved = client.post("/console/settings/systems/new",
                        data={"csrf_token": csrf, "toml": ENGLISH_ONLY, "action": "save"})  # fmt: skip
    assert saved.status_code == 303
    page = html.unescape(client.get("/console/settings/systems/en-only").text)
    table = page[page.index("<table>") : page.index("</table>")]
    assert "<td>Reach</td>" in table and "<td>粉丝数</td>" in table
    assert "截尾于同组 P99 → 对数 ln(x+1) → min–max 0–100" in table
    assert METRICS["views_per_day"].meaning_zh in table
    assert "log1p" not in table and "minmax" not in table
    assert "同组比较 平台 × 层级" in page
