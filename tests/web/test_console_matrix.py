"""Matrix management in the console over real HTTP: the tree, the forms, their errors."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix, MatrixMember
from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.ingest.models import QuarantineEntry

from .test_console_world import ConsoleWorld, build_console_world, login


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, committed (no index run: these pages do not need one)."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine, with_index=False)


def _section(html: str, start: str, end: str | None = None) -> str:
    tail = html[html.index(start) :]
    return tail[: tail.index(end)] if end else tail


def _members(engine: Engine, matrix_id: int) -> set[int]:
    with Session(engine) as session:
        rows = session.scalars(
            select(MatrixMember.account_id).where(MatrixMember.matrix_id == matrix_id)
        )
        return set(rows)


def test_admin_sees_the_tree_with_member_counts(client: httpx.Client, world: ConsoleWorld) -> None:
    csrf = login(client, "admin")
    html = client.get("/console/matrix").text
    zz = re.search(rf'data-matrix="{world.matrices["zz"]}".*?</li>', html, re.S)
    assert zz is not None
    assert "5 个账号" in zz[0]
    assert "1 个下级矩阵" in zz[0]
    # The top level only: a sub-matrix is one link (or one click) away, never loaded with it.
    assert f'data-matrix="{world.matrices["zz_police"]}"' not in html
    assert f'href="/console/matrix?parent={world.matrices["zz"]}"' in zz[0]
    level = client.get("/console/matrix", params={"parent": world.matrices["zz"]}).text
    police = re.search(rf'data-matrix="{world.matrices["zz_police"]}".*?</li>', level, re.S)
    assert police is not None
    assert "2 个账号" in police[0]
    assert "郑州政务新媒体矩阵</a> 的下级矩阵" in level  # the trail back up
    # Two levels down, the trail names every matrix above, the top first.
    deeper = client.get("/console/matrix", params={"parent": world.matrices["zz_police"]}).text
    trail = re.search(r'<p class="trail">(.*?)</p>', deeper, re.S)
    assert trail is not None
    assert re.findall(r'href="/console/matrix(?:\?parent=|/)(\d+)"', trail[1]) == [
        str(world.matrices["zz"]),
        str(world.matrices["zz_police"]),
    ]
    # A matrix set up before its lead account exists says so; one with a lead does not.
    assert "未指定牵头账号" in police[0] and "未指定牵头账号" not in zz[0]
    police_page = client.get(f"/console/matrix/{world.matrices['zz_police']}").text
    assert "未指定牵头账号" in police_page
    assert "未指定牵头账号" not in client.get(f"/console/matrix/{world.matrices['zz']}").text
    # A top-level matrix from the list page; a bad name comes back in the form.
    bad = client.post("/console/matrix", data={"name": " ", "kind": "regional", "csrf_token": csrf})
    assert bad.status_code == 422
    assert "请填写矩阵名称" in _section(bad.text, 'id="create-top-error"')
    made = client.post("/console/matrix", data={"name": "开封政务新媒体矩阵", "kind": "regional",
                                                "adcode": "410200", "csrf_token": csrf})  # fmt: skip
    assert made.status_code == 303
    page = client.get(made.headers["location"])
    assert "矩阵已创建" in page.text
    assert "<h1>开封政务新媒体矩阵</h1>" in page.text


def test_office_manages_its_subtree(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    zz, police = world.matrices["zz"], world.matrices["zz_police"]
    page = client.get(f"/console/matrix/{zz}").text
    for form in ("form-create", "form-edit", "form-member", "form-import"):
        assert f'id="{form}"' in page
    # Its own root cannot be moved, nor retyped: no parent select, kind and sector disabled.
    edit_form = _section(page, 'id="form-edit"', "</form>")
    assert 'name="parent_id"' not in edit_form
    assert '<select name="kind" disabled>' in edit_form
    assert 'maxlength="32" disabled>' in edit_form
    renamed = client.post(f"/console/matrix/{zz}/edit",
                          data={"name": "郑州政务新媒体矩阵", "csrf_token": csrf})  # fmt: skip
    assert renamed.status_code == 303
    retyped = client.post(f"/console/matrix/{zz}/edit",
                          data={"name": "郑州政务新媒体矩阵", "kind": "vertical", "sector": "公安",
                                "csrf_token": csrf})  # fmt: skip
    assert retyped.status_code == 403
    assert "不能修改您自己的根矩阵的类型或系统" in _section(retyped.text, 'id="error-edit"')
    assert page.count('aria-label="移除 ') == 5

    # Create a sub-matrix under the police matrix.
    no_csrf = client.post(f"/console/matrix/{police}/children", data={"name": "二七公安"})
    assert no_csrf.status_code == 403
    empty = client.post(f"/console/matrix/{police}/children", data={"name": "", "csrf_token": csrf})
    assert empty.status_code == 422
    assert "请填写矩阵名称" in _section(empty.text, 'id="error-create"')
    assert 'id="form-create"' in empty.text  # the page with its forms, not a bare error page
    nowhere = client.post(f"/console/matrix/{police}/children",
                          data={"name": "无处矩阵", "adcode": "999999", "csrf_token": csrf})  # fmt: skip
    assert nowhere.status_code == 422
    assert "行政区划代码不存在：999999" in _section(nowhere.text, 'id="error-create"')
    assert 'value="无处矩阵"' in nowhere.text  # what was typed stays in the form
    no_sector = client.post(f"/console/matrix/{police}/children",
                            data={"name": "二七公安矩阵", "kind": "vertical", "csrf_token": csrf})  # fmt: skip
    assert no_sector.status_code == 422
    assert "垂直矩阵须填写系统" in _section(no_sector.text, 'id="error-create"')
    beijing = client.post(f"/console/matrix/{police}/children",
                          data={"name": "东城矩阵", "adcode": "110101", "csrf_token": csrf})  # fmt: skip
    assert beijing.status_code == 422
    assert "不在上级矩阵「郑州公安新媒体矩阵」的区域 郑州市（410100） 之内" in _section(
        beijing.text, 'id="error-create"'
    )
    made = client.post(f"/console/matrix/{police}/children",
                       data={"name": "二七公安矩阵", "kind": "vertical", "sector": "公安",
                             "adcode": "410103", "csrf_token": csrf})  # fmt: skip
    assert made.status_code == 303
    assert made.headers["location"].endswith("?done=matrix-created")
    child_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    child_page = client.get(made.headers["location"]).text
    assert "✓ 矩阵已创建" in child_page
    # The move select offers the office's matrices outside the child's own subtree.
    options = _section(child_page, 'name="parent_id"', "</select>")
    assert "郑州政务新媒体矩阵" in options
    assert "洛阳" not in options
    assert "（无，顶级矩阵）" not in options

    assert 'value="公安" maxlength="32">' in _section(child_page, 'id="form-edit"', "</form>")
    # Rename and move it under the root; then a cycle is refused in the form.
    moved = client.post(f"/console/matrix/{child_id}/edit",
                        data={"name": "二七区公安矩阵", "kind": "vertical", "sector": "公安",
                              "parent_id": str(zz), "csrf_token": csrf})  # fmt: skip
    assert moved.status_code == 303
    assert "矩阵已保存" in client.get(moved.headers["location"]).text
    client.post(f"/console/matrix/{child_id}/edit",
                data={"name": "二七区公安矩阵", "parent_id": str(police), "csrf_token": csrf})  # fmt: skip
    cycle = client.post(f"/console/matrix/{police}/edit",
                        data={"name": "郑州公安新媒体矩阵", "parent_id": str(child_id),
                              "csrf_token": csrf})  # fmt: skip
    assert cycle.status_code == 409
    assert "不能把矩阵" in _section(cycle.text, 'id="error-edit"')
    root_move = client.post(f"/console/matrix/{zz}/edit",
                            data={"name": "郑州政务新媒体矩阵", "parent_id": str(police),
                                  "csrf_token": csrf})  # fmt: skip
    assert root_move.status_code == 403
    assert "不能移动您自己的根矩阵" in root_move.text
    with Session(committed_engine) as session:
        child = session.get(Matrix, child_id)
        assert child is not None
        assert (child.name, child.parent_id) == ("二七区公安矩阵", police)
        actions = [e.action for e in session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "matrix", AuditEntry.entity_id == child_id)
            .order_by(AuditEntry.id))]  # fmt: skip
    assert actions == ["create", "move", "move"]
    # Another city's matrix is not the office's.
    other = client.post(f"/console/matrix/{world.matrices['ly']}/children",
                        data={"name": "x", "csrf_token": csrf})  # fmt: skip
    assert other.status_code == 403
    assert "这不是您管理的矩阵" in other.text


def test_office_adds_searches_and_removes_members(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    police = world.matrices["zz_police"]
    url = f"/console/matrix/{police}/members"
    unknown = client.post(url, data={"platform": "weibo", "uid": "404404", "csrf_token": csrf})
    assert unknown.status_code == 404
    assert "账号不存在" in _section(unknown.text, 'id="error-member"')
    assert 'value="404404"' in unknown.text  # what was typed comes back
    nothing = client.post(url, data={"csrf_token": csrf})
    assert nothing.status_code == 422
    assert "请填写平台和 UID" in nothing.text
    # 洛阳住建 is another city's account: not by UID, not by id, not even in a name search.
    foreign = client.post(url, data={"platform": "weibo", "uid": "2001", "csrf_token": csrf})
    assert foreign.status_code == 403
    assert "不在您管理的矩阵范围内" in _section(foreign.text, 'id="error-member"')
    by_id = client.post(
        url, data={"account_id": str(world.accounts["ly_weibo"]), "csrf_token": csrf}
    )
    assert by_id.status_code == 403
    searched = client.post(url, data={"q": "洛阳", "csrf_token": csrf})
    assert searched.status_code == 404
    assert "您可添加的账号中没有名称包含「洛阳」的" in _section(searched.text, 'id="error-member"')
    assert world.accounts["ly_weibo"] not in _members(committed_engine, police)

    added = client.post(url, data={"platform": "weibo", "uid": "1002", "role": "member",
                                   "csrf_token": csrf})  # fmt: skip
    assert added.status_code == 303
    assert "已添加成员" in client.get(added.headers["location"]).text
    again = client.post(url, data={"platform": "weibo", "uid": "1002", "csrf_token": csrf})
    assert "member-already" in again.headers["location"]

    # A name search with several hits offers a choice; choosing adds that one.
    several = client.post(url, data={"q": "郑州", "csrf_token": csrf})
    assert several.status_code == 200
    choices = _section(several.text, 'id="candidates"', "</table>")
    assert "郑州12345" in choices
    assert "郑州警方" in choices
    chosen = client.post(url, data={"account_id": str(world.accounts["hotline_weibo"]),
                                    "role": "lead", "csrf_token": csrf})  # fmt: skip
    assert chosen.status_code == 303
    one = client.post(url, data={"q": "中原文旅", "csrf_token": csrf})
    assert one.status_code == 303
    assert _members(committed_engine, police) == {
        world.accounts[k]
        for k in ("police_weibo", "police_douyin", "js_weibo", "hotline_weibo", "zy_wechat")
    }
    page = client.get(f"/console/matrix/{police}").text
    assert "郑州12345</a>" in _section(page, 'id="members"', "</table>")

    # Removal needs the row's confirm box: a bare click is refused and nothing changes.
    unconfirmed = client.post(
        f"{url}/{world.accounts['js_weibo']}/remove", data={"csrf_token": csrf}
    )
    assert unconfirmed.status_code == 422
    assert "请勾选确认移除" in unconfirmed.text
    assert f'data-account="{world.accounts["js_weibo"]}"' in unconfirmed.text  # still a member
    removed = client.post(f"{url}/{world.accounts['js_weibo']}/remove",
                          data={"csrf_token": csrf, "confirm": "yes"})  # fmt: skip
    assert removed.status_code == 303
    assert "已移除成员" in client.get(removed.headers["location"]).text
    twice = client.post(f"{url}/{world.accounts['js_weibo']}/remove",
                        data={"csrf_token": csrf, "confirm": "yes"})  # fmt: skip
    assert twice.status_code == 404
    assert "不是矩阵" in _section(twice.text, 'id="error-remove"')
    assert world.accounts["js_weibo"] not in _members(committed_engine, police)


CSV = "platform,uid,role\nweibo,1002,member\nweibo,1001,member\nweibo,404404,\nwechat,w3001,boss\n"


def test_office_imports_a_member_list(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    police = world.matrices["zz_police"]
    url = f"/console/matrix/{police}/import"
    done = client.post(url, data={"csrf_token": csrf},
                       files={"file": ("名单.csv", CSV.encode(), "text/csv")})  # fmt: skip
    assert done.status_code == 200
    report = _section(done.text, 'id="import-report"', "</table>")
    assert "新增 1 个，已是成员 1 个，未导入 2 行" in report
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", report)
    assert [(r[0], r[1]) for r in rows] == [("4", "weibo,404404,"), ("5", "wechat,w3001,boss")]
    assert "账号不存在" in rows[0][2]
    assert world.accounts["js_weibo"] in _members(committed_engine, police)
    bad = client.post(url, data={"csrf_token": csrf},
                      files={"file": ("x.csv", b"foo,bar\n1,2\n", "text/csv")})  # fmt: skip
    assert bad.status_code == 422
    assert "表头" in _section(bad.text, 'id="error-import"')
    missing = client.post(url, data={"csrf_token": csrf},
                          files={"file": ("", b"", "application/octet-stream")})  # fmt: skip
    assert missing.status_code == 422
    assert "请选择要导入的 CSV 或 Excel 文件" in missing.text
    forged = client.post(url, data={"csrf_token": "forged"},
                         files={"file": ("名单.csv", CSV.encode(), "text/csv")})  # fmt: skip
    assert forged.status_code == 403


def test_member_list_import_names_an_unknown_platform_and_blank_rows(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    police = world.matrices["zz_police"]
    content = b"platform,uid\nfoo,123\n,\nweibo,1002\n"
    done = client.post(f"/console/matrix/{police}/import", data={"csrf_token": csrf},
                       files={"file": ("名单.csv", content, "text/csv")})  # fmt: skip
    assert done.status_code == 200
    report = _section(done.text, 'id="import-report"', "</table>")
    assert "新增 1 个，已是成员 0 个，未导入 1 行，跳过空行 1 行" in report
    assert "跳过了 1 个空行（第 3 行）" in report
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", report)
    assert [(r[0], r[1]) for r in rows] == [("2", "foo,123")]
    assert "未知平台「foo」" in rows[0][2] and "unknown platform &#39;foo&#39;" in rows[0][2]
    assert "账号不存在" not in rows[0][2]
    assert world.accounts["js_weibo"] in _members(committed_engine, police)
    with Session(committed_engine) as session:
        [entry] = session.scalars(select(QuarantineEntry)).all()
    assert (entry.source, entry.raw) == ("名单.csv:2", "foo,123")
    assert "未知平台「foo」" in entry.reason
    note = _section(done.text, 'id="import-quarantine"', "</p>")
    assert f"未导入的行已连同原因和原文记入隔离区（导入批次 {entry.run_id}）" in note


def test_other_roles_see_no_forms(client: httpx.Client, world: ConsoleWorld) -> None:
    csrf = login(client, "operator")
    assert client.get(f"/console/matrix/{world.matrices['zz']}").status_code == 403
    refused = client.post(f"/console/matrix/{world.matrices['zz']}/children",
                          data={"name": "x", "csrf_token": csrf})  # fmt: skip
    assert refused.status_code == 403
    # The operator's account page shows the matrices the account belongs to (no links).
    page = client.get(f"/console/accounts/{world.accounts['police_weibo']}").text
    matrices = _section(page, 'id="matrices"', "</section>")
    assert "郑州政务新媒体矩阵" in matrices
    assert "郑州公安新媒体矩阵" in matrices
    assert "/console/matrix/" not in matrices
    client.post("/logout", data={"csrf_token": csrf})
    anonymous = client.post(f"/console/matrix/{world.matrices['zz']}/children", data={"name": "x"})
    assert anonymous.status_code == 403
    assert "请先登录" in anonymous.text


def test_office_deletes_a_sub_matrix_but_not_its_root(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    zz, police = world.matrices["zz"], world.matrices["zz_police"]
    # Its own root shows no delete form, and a forged post is refused with the reason.
    assert 'id="form-delete"' not in client.get(f"/console/matrix/{zz}").text
    root = client.post(f"/console/matrix/{zz}/delete", data={"confirm": "yes", "csrf_token": csrf})
    assert root.status_code == 403
    assert "不能删除此矩阵" in _section(root.text, 'id="error-delete"')
    made = client.post(f"/console/matrix/{police}/children",
                       data={"name": "金水公安矩阵", "csrf_token": csrf})  # fmt: skip
    child_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    # A matrix with a sub-matrix is refused; the box must be ticked.
    busy = client.post(f"/console/matrix/{police}/delete",
                       data={"confirm": "yes", "csrf_token": csrf})  # fmt: skip
    assert busy.status_code == 409
    assert "还有 1 个下级矩阵" in _section(busy.text, 'id="error-delete"')
    unticked = client.post(f"/console/matrix/{child_id}/delete", data={"csrf_token": csrf})
    assert unticked.status_code == 422
    assert "请勾选确认删除" in unticked.text
    no_csrf = client.post(f"/console/matrix/{child_id}/delete", data={"confirm": "yes"})
    assert no_csrf.status_code == 403
    gone = client.post(f"/console/matrix/{child_id}/delete",
                       data={"confirm": "yes", "csrf_token": csrf})  # fmt: skip
    assert gone.status_code == 303
    assert gone.headers["location"] == f"/console/matrix/{police}?done=matrix-deleted"
    assert "矩阵已删除" in client.get(gone.headers["location"]).text
    assert client.get(f"/console/matrix/{child_id}").status_code == 404
    with Session(committed_engine) as session:
        assert session.get(Matrix, child_id) is None
        assert session.get(Matrix, police) is not None
        actions = [e.action for e in session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "matrix", AuditEntry.entity_id == child_id)
            .order_by(AuditEntry.id))]  # fmt: skip
    assert actions == ["create", "delete"]
