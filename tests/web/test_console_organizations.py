"""The console's organisation pages over real HTTP: list filters, scope, published numbers."""

from __future__ import annotations

import html as html_lib
import re

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from zhengwu.accounts import phones
from zhengwu.accounts.models import Organization
from zhengwu.audit.models import AuditEntry
from zhengwu.auth import service as auth_service
from zhengwu.privacy import mask_text

from .test_console_world import ConsoleWorld, build_console_world, login

CITIZEN = "13912345678"


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with a province body above the city police and a branch below.

    The province body and the branch run no account: no matrix office reads them.
    """
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine, with_index=False)
    with Session(committed_engine) as session:
        province = Organization(name="河南省公安厅", level="省", sector="公安", adcode="410000")
        session.add(province)
        session.flush()
        police = session.get(Organization, world.orgs["police"])
        assert police is not None
        police.parent_id = province.id
        branch = Organization(name="郑州市公安局金水分局", level="县", sector="公安",
                              adcode="410105", parent_id=police.id)  # fmt: skip
        session.add(branch)
        session.commit()
        world.orgs |= {"province": province.id, "branch": branch.id}
    return world


def _listed(page: str) -> list[str]:
    """Return the organisation names of a list page's table, in order."""
    if 'id="org-list"' not in page:
        return []
    table = page[page.index('id="org-list"') : page.index("</table>")]
    return re.findall(r'<a href="/console/organizations/\d+">([^<]+)</a>', table)


def _section(page: str, start: str, end: str = "</section>") -> str:
    tail = page[page.index(start) :]
    return tail[: tail.index(end)]


def _stored(engine: Engine, org_id: int) -> list[str] | None:
    with Session(engine) as session:
        org = session.get(Organization, org_id)
        assert org is not None
        return org.public_phones


def _audits(engine: Engine, org_id: int) -> list[AuditEntry]:
    with Session(engine) as session:
        query = select(AuditEntry).where(
            AuditEntry.entity_type == "organization", AuditEntry.entity_id == org_id
        )
        return list(session.scalars(query.order_by(AuditEntry.id)))


def test_office_lists_the_organisations_of_its_matrices_with_filters(
    client: httpx.Client,
) -> None:
    login(client, "office")
    page = client.get("/console/organizations")
    assert page.status_code == 200
    assert (
        '<a href="/console/organizations" class="active" aria-current="page">机构</a>' in page.text
    )
    assert set(_listed(page.text)) == {
        "郑州市12345政务服务便民热线", "郑州市中原区文化广电和旅游局", "郑州市公安局",
        "郑州市金水区住房和城乡建设局",
    }  # fmt: skip
    assert "共 4 个机构" in page.text
    police_row = re.search(r'<tr data-org="\d+"><td><a[^>]*>郑州市公安局</a>.*?</tr>', page.text,
                           re.S)  # fmt: skip
    assert police_row is not None
    assert "<td>2</td>" in police_row[0]  # 平安郑州 and 郑州警方
    assert '<td>郑州市 <span class="meta">410100</span></td>' in police_row[0]

    def names(**params: str) -> list[str]:
        response = client.get("/console/organizations", params=params)
        assert response.status_code == 200, response.text
        return _listed(response.text)

    assert names(sector="公安") == ["郑州市公安局"]
    assert set(names(level="县")) == {
        "郑州市中原区文化广电和旅游局",
        "郑州市金水区住房和城乡建设局",
    }
    assert names(q="住房") == ["郑州市金水区住房和城乡建设局"]
    assert names(region="410102") == ["郑州市中原区文化广电和旅游局"]
    assert names(region="金水区") == ["郑州市金水区住房和城乡建设局"]
    assert len(names(region="郑州市")) == 4  # a city's code or name: everything below it
    assert len(names(region="410100")) == 4
    assert names(region="4101", sector="政务服务") == ["郑州市12345政务服务便民热线"]
    assert names(region="410300") == []  # 洛阳 is not the office's
    # The sector choices are those of the office's organisations only.
    sectors = _section(page.text, 'name="sector"', "</select>")
    assert "住建" in sectors and "公安" in sectors and "文旅" in sectors
    # The region box suggests the divisions of the office's organisations, with their parents.
    places = re.findall(r'<option value="(\d+)">([^<]*)</option>',
                        _section(page.text, '<datalist id="org-regions">', "</datalist>"))  # fmt: skip
    assert ("410000", "河南省") in places and ("410100", "河南省 郑州市") in places
    assert ("410105", "河南省 郑州市 金水区") in places
    assert not any(code.startswith("4103") for code, _ in places)  # 洛阳 is not the office's
    unknown = client.get("/console/organizations", params={"region": "火星市"})
    assert unknown.status_code == 422
    assert "未知的区划：火星市" in unknown.text
    assert "unknown division: 火星市" in unknown.text
    assert 'value="火星市"' in unknown.text  # what was typed stays in the filter


def test_admin_pages_through_every_organisation(
    client: httpx.Client, committed_engine: Engine
) -> None:
    with Session(committed_engine) as session:
        session.add_all(
            Organization(name=f"开封市测试机构{n:03d}", level="乡", sector="应急", adcode="410202")
            for n in range(105)
        )
        session.commit()
    login(client, "admin")
    first = client.get("/console/organizations", params={"q": "测试机构", "sector": "应急"})
    assert first.status_code == 200
    rows = _listed(first.text)
    assert len(rows) == 100
    assert rows[0] == "开封市测试机构000"
    assert "共 105 个机构" in first.text
    link = re.search(r'<a href="\?([^"]+)">下一页', first.text)
    assert link is not None
    assert "上一页" not in first.text
    second = client.get(f"/console/organizations?{html_lib.unescape(link[1])}")
    assert _listed(second.text) == [f"开封市测试机构{n:03d}" for n in range(100, 105)]
    assert "下一页" not in second.text
    assert "上一页" in second.text
    # The admin reads every organisation, those without accounts too.
    police = _listed(client.get("/console/organizations?region=41&sector=公安").text)
    assert set(police) == {"河南省公安厅", "郑州市公安局", "郑州市公安局金水分局"}
    assert _listed(client.get("/console/organizations?region=洛阳市").text) == [
        "洛阳市住房和城乡建设局"
    ]


def test_scope_per_role(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "operator")  # of 郑州市公安局
    assert _listed(client.get("/console/organizations").text) == ["郑州市公安局"]
    own = client.get(f"/console/organizations/{world.orgs['police']}")
    assert own.status_code == 200
    assert 'id="phones-form"' not in own.text  # an operator reads, it does not register
    foreign = client.get(f"/console/organizations/{world.orgs['js_housing']}")
    assert foreign.status_code == 403
    assert "无权查看机构" in foreign.text
    assert "you may not read organisation" in foreign.text

    client.cookies.clear()
    login(client, "office_ly")
    assert _listed(client.get("/console/organizations").text) == ["洛阳市住房和城乡建设局"]
    assert client.get(f"/console/organizations/{world.orgs['police']}").status_code == 403

    for username in ("handler", "dispatcher", "team"):
        client.cookies.clear()
        login(client, username)
        refused = client.get("/console/organizations")
        assert refused.status_code == 403, username
        assert "无权访问此页面" in refused.text
        assert "may not open this page" in refused.text
        assert ">机构</a>" not in refused.text  # and no link to it in the navigation
        assert client.get(f"/console/organizations/{world.orgs['police']}").status_code == 403

    client.cookies.clear()
    gated = client.get("/console/organizations")
    assert gated.status_code == 303
    assert gated.headers["location"].startswith("/login?next=")
    assert client.get("/console/organizations/999999").status_code == 303


def test_organisation_page_shows_hierarchy_and_accounts(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    page = client.get(f"/console/organizations/{world.orgs['police']}")
    assert page.status_code == 200
    assert "<h1>郑州市公安局</h1>" in page.text
    # Parent and child run no account of the office's matrices: named, not linked.
    assert _section(page.text, 'id="org-parent"', "</p>").endswith("河南省公安厅")
    children = _section(page.text, 'id="org-children"', "</ul>")
    assert "郑州市公安局金水分局" in children
    assert "/console/organizations/" not in children
    accounts = _section(page.text, 'id="org-accounts"', "</table>")
    assert f'<a href="/console/accounts/{world.accounts["police_weibo"]}">平安郑州</a>' in accounts
    assert f'<a href="/console/accounts/{world.accounts["police_douyin"]}">郑州警方</a>' in accounts
    assert 'id="phones-form"' in page.text  # an office registers the numbers of its bodies
    # The account page links back to its organisation.
    account = client.get(f"/console/accounts/{world.accounts['police_weibo']}").text
    assert f'<a href="/console/organizations/{world.orgs["police"]}">郑州市公安局</a>' in account

    client.cookies.clear()
    login(client, "admin")
    admin_page = client.get(f"/console/organizations/{world.orgs['police']}").text
    parent = _section(admin_page, 'id="org-parent"', "</p>")
    assert f'<a href="/console/organizations/{world.orgs["province"]}">河南省公安厅</a>' in parent
    assert f'href="/console/organizations/{world.orgs["branch"]}"' in admin_page
    assert client.get("/console/organizations/999999").status_code == 404


def test_office_registers_published_numbers(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    org_id = world.orgs["js_housing"]
    url = f"/console/organizations/{org_id}/phones"
    typed = "（0371）6666 1234\n0371-12345"
    no_csrf = client.post(url, data={"public_phones": typed})
    assert no_csrf.status_code == 403
    assert _stored(committed_engine, org_id) is None

    saved = client.post(url, data={"public_phones": typed, "csrf_token": csrf})
    assert saved.status_code == 303
    assert saved.headers["location"] == (
        f"/console/organizations/{org_id}?done=organization-phones-saved#phones"
    )
    assert _stored(committed_engine, org_id) == ["0371-66661234", "0371-12345"]
    page = client.get(saved.headers["location"]).text
    assert "✓ 公开电话已保存" in page
    shown = _section(page, 'id="org-phones"', "</ul>")
    assert "<li>0371-66661234</li>" in shown and "<li>0371-12345</li>" in shown
    assert ">0371-66661234\n0371-12345</textarea>" in page  # the form holds the normal forms
    listing = client.get("/console/organizations", params={"q": "住房"}).text
    assert "0371-66661234、0371-12345" in listing
    [entry] = _audits(committed_engine, org_id)
    assert entry.action == "update"
    assert entry.actor_name == "office用户"
    assert entry.data == {"public_phones": [[], ["0371-66661234", "0371-12345"]]}

    # The public pages' masking leaves the registered number readable, and only it.
    with Session(committed_engine) as session:
        keep = phones.directory(session)
    reply = f"请拨打区住建局电话 0371-6666 1234 咨询；来电人 {CITIZEN}"
    masked = mask_text(reply, keep=keep)
    assert "0371-6666 1234" in masked
    assert CITIZEN not in masked

    # The same list again changes nothing and audits nothing.
    same = client.post(url, data={"public_phones": "0371-66661234, 0371-12345",
                                  "csrf_token": csrf})  # fmt: skip
    assert same.headers["location"].endswith("?done=organization-phones-unchanged#phones")
    assert len(_audits(committed_engine, org_id)) == 1

    # An empty list removes them.
    removed = client.post(url, data={"public_phones": " ", "csrf_token": csrf})
    assert removed.status_code == 303
    assert _stored(committed_engine, org_id) is None
    assert _audits(committed_engine, org_id)[-1].data == {
        "public_phones": [["0371-66661234", "0371-12345"], []]
    }
    assert 'id="org-phones-none"' in client.get(f"/console/organizations/{org_id}").text


def test_an_invalid_number_comes_back_in_the_form(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "office")
    org_id = world.orgs["zy_culture"]
    client.post(f"/console/organizations/{org_id}/phones",
                data={"public_phones": "0371-68881234", "csrf_token": csrf})  # fmt: skip
    typed = "0371-68885678\n请拨打办公室"
    bad = client.post(f"/console/organizations/{org_id}/phones",
                      data={"public_phones": typed, "csrf_token": csrf})  # fmt: skip
    assert bad.status_code == 422
    error = _section(bad.text, 'id="phones-error"', "</p>")
    assert "未保存：不是电话号码" in error
    assert "not a phone number" in error
    assert f">{typed}</textarea>" in bad.text  # what was typed, to correct it
    assert 'aria-invalid="true"' in _section(bad.text, 'id="phones-form"', "</form>")
    assert _stored(committed_engine, org_id) == ["0371-68881234"]  # nothing of it was kept
    assert len(_audits(committed_engine, org_id)) == 1
    too_many = ",".join(f"0371-6888{n:04d}" for n in range(21))
    refused = client.post(f"/console/organizations/{org_id}/phones",
                          data={"public_phones": too_many, "csrf_token": csrf})  # fmt: skip
    assert refused.status_code == 422
    assert "公开电话最多 20 个" in refused.text
    assert "at most 20 published numbers" in refused.text


def test_a_refused_edit_comes_back_with_the_reason(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    csrf = login(client, "operator")
    org_id = world.orgs["police"]
    refused = client.post(f"/console/organizations/{org_id}/phones",
                          data={"public_phones": "0371-69621234", "csrf_token": csrf})  # fmt: skip
    assert refused.status_code == 403
    error = _section(refused.text, 'id="phones-error"', "</p>")
    assert "只有平台管理员和该机构所在矩阵的矩阵管理员可以修改公开电话" in error
    assert "may change its published numbers" in error
    assert ">0371-69621234</textarea>" in refused.text
    assert _stored(committed_engine, org_id) is None
    assert _audits(committed_engine, org_id) == []

    # An office may not register the numbers of a body outside its matrices.
    client.cookies.clear()
    csrf = login(client, "office_ly")
    foreign = client.post(f"/console/organizations/{org_id}/phones",
                          data={"public_phones": "0371-69621234", "csrf_token": csrf})  # fmt: skip
    assert foreign.status_code == 403
    assert "无权查看机构" in foreign.text
    assert _stored(committed_engine, org_id) is None
