"""The office's matrix page over real HTTP: its map totals its 受理量, and its failing
accounts download as CSV and Excel.

Before, the office's own (root) matrix page drew its region and left out every request
with no place (30 in the demo) while 受理量 counted them: 645 requests, 615 on the map.
And the list of accounts failing the compliance check (154 in the demo, 100 a page) had
no download at all.
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, date, datetime

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, MatrixMember
from zhengwu.auth import service as auth_service
from zhengwu.auth.demo import office_matrix
from zhengwu.servicedesk.demo import desk_figures
from zhengwu.servicedesk.models import RequestHelper, ServiceRequest

from .test_console_world import MONTH, ConsoleWorld, build_console_world, login

FORMULA = '=HYPERLINK("http://example.com","点我")'  # an imported account's name


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city with three more requests in July; and a member account of the
    office's matrix that never posted, named like a formula."""
    auth_service._ip_attempts.clear()
    world = build_console_world(committed_engine)
    when = datetime(2025, 7, 20, 3, tzinfo=UTC)
    with Session(committed_engine) as session:
        # The third: no place, no body named, so routed nowhere (the city's, not the matrix's).
        for i, (adcode, org, matrix) in enumerate(
            ((None, "js_housing", "zz"), ("410105", "js_housing", "zz"), (None, None, None))
        ):
            session.add(ServiceRequest(
                public_id=f"SROFFICE{i}", citizen_token_hash="x" * 64, state="received",
                source="form", source_ref=f"form:office-{i}", text="测试", text_masked="测试",
                fingerprint="f" * 40, adcode=adcode,
                organization_id=world.orgs[org] if org else None,
                matrix_id=world.matrices[matrix] if matrix else None, received_at=when,
                first_response_at=when if i == 1 else None,
            ))  # fmt: skip
        account = Account(platform="douyin", uid="d9009", name=FORMULA, is_government=True,
                          organization_id=world.orgs["zy_culture"])  # fmt: skip
        session.add(account)
        session.flush()
        session.add(MatrixMember(matrix_id=world.matrices["zz"], account_id=account.id))
        session.commit()
    return world


def _map_total(page: str) -> tuple[int, dict[str, int]]:
    """Return the requests on the page's map tiles, and those listed beside it by kind."""
    svg = page[page.index('id="county-map') :]
    svg = svg[: svg.index("</svg>")]
    tiles = sum(int(n) for n in re.findall(r"<title>[^<：]+：诉求 (\d+)，", svg))
    beside = {kind: int(n) for kind, n in re.findall(
        r'data-unplaced="(\w+)"[^>]*>[^<]*：<span class="count-requests">(?:<a [^>]+>)?诉求 (\d+)',
        page)}  # fmt: skip
    return tiles, beside


def _intake(page: str) -> int:
    found = re.search(r"<th>受理量</th><td>(\d+)</td>", page)
    assert found, page[:500]
    return int(found[1])


def test_the_office_s_map_totals_its_intake(client: httpx.Client, world: ConsoleWorld) -> None:
    login(client, "office")
    page = client.get(f"/console/matrix/{world.matrices['zz']}", params={"period": MONTH}).text
    tiles, beside = _map_total(page)
    assert beside.get("none") == 1  # the request with no place, listed beside the map
    assert 'data-unplaced="none">未定位（没有地点）' in page
    assert tiles >= 1
    assert tiles + sum(beside.values()) == _intake(page)


# (adcode, lead body, queue matrix, state, co-handler) of more July requests, 郑州公安's
# and around it: what its 受理量 counts and what it does not.
POLICE_JULY = (
    ("410102", "police", None, "received", None),  # its body's, on a tile (中原)
    ("410100", "police", None, "received", None),  # located only to 郑州市: beside the map
    (None, None, "zz_police", "received", None),  # its queue's, no place: 未定位
    ("410305", "police", None, "received", None),  # its body's, in 洛阳: on its national map
    ("410102", "police", None, "duplicate", None),  # a duplicate: not counted, not drawn
    ("410305", "ly_housing", None, "received", "police"),  # only co-handled: 洛阳's
)


def _add_police_july(engine: Engine, world: ConsoleWorld) -> None:
    when = datetime(2025, 7, 21, 3, tzinfo=UTC)
    with Session(engine) as session:
        for i, (adcode, org, matrix, state, helper) in enumerate(POLICE_JULY):
            request = ServiceRequest(
                public_id=f"SRPOLICE{i}", citizen_token_hash="x" * 64, state=state,
                source="form", source_ref=f"form:police-{i}", text="测试", text_masked="测试",
                fingerprint="f" * 40, adcode=adcode,
                organization_id=world.orgs[org] if org else None,
                matrix_id=world.matrices[matrix] if matrix else None, received_at=when,
            )  # fmt: skip
            session.add(request)
            session.flush()
            if helper:
                session.add(
                    RequestHelper(request_id=request.id, organization_id=world.orgs[helper])
                )
        session.commit()


@pytest.mark.parametrize(
    ("username", "matrix_key"),
    [("office", "zz"), ("office", "zz_police"), ("admin", "zz"), ("admin", "zz_police")],
    ids=["office-own", "office-sub", "admin-zz", "admin-sub"],
)
def test_every_matrix_map_totals_its_intake(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine, username: str,
    matrix_key: str,
) -> None:  # fmt: skip
    """One rule for the office's own matrix and a sub-matrix, whoever looks: the map draws
    the requests 受理量 counts, and its tiles plus what is beside it total 受理量. Before, a
    sub-matrix's map (郑州公安, no region of its own) drew everything the viewer reads: 8
    requests of the office's (9 of the admin's) against its 受理量 of 4 in July; and the
    office's own map counted a duplicate and a request it only co-handles, which 受理量
    does not (8 against 6)."""
    _add_police_july(committed_engine, world)
    login(client, username)
    matrix_id = world.matrices[matrix_key]
    page = client.get(f"/console/matrix/{matrix_id}", params={"period": MONTH}).text
    tiles, beside = _map_total(page)
    intake = _intake(page)
    assert tiles + sum(beside.values()) == intake
    assert f'<b id="map-requests">{intake}</b>' in page
    if matrix_key == "zz_police":
        # Its body's three placed ones and its queue's with no place; not the duplicate,
        # not 洛阳's request it only co-handles.
        assert intake == 4
        assert beside == {"coarse": 1, "none": 1}
        assert tiles == 2
    else:
        # 郑州's two (the fixture's) and the police's four.
        assert intake == 6
        assert beside == {"coarse": 1, "outside": 1, "none": 2}
    # The map page of the same matrix (``matrix=``), whole, totals the same.
    whole = client.get("/console/map", params={"tab": "requests", "period": MONTH,
                                               "matrix": matrix_id})  # fmt: skip
    assert whole.status_code == 200, whole.text[:300]
    total = re.search(r'id="map-total">(\d+)<', whole.text)
    assert total and int(total[1]) == intake
    assert f'name="matrix" value="{matrix_id}"' in whole.text  # the form keeps it


def test_the_map_page_of_a_matrix_is_refused_outside_the_office_s_subtree(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office_ly")
    refused = client.get("/console/map", params={"tab": "requests", "period": MONTH,
                                                 "matrix": world.matrices["zz_police"]})  # fmt: skip
    assert refused.status_code == 403
    assert "无权" in refused.text


def _failing_on_page(page: str) -> tuple[int, set[str]]:
    """Return the failing count the page announces and the names its table lists."""
    found = re.search(r"未通过合规检查的账号（(\d+)）", page)
    assert found, page[:500]
    table = page[page.index('class="compliance-table"') :]
    table = table[: table.index("</table>")]
    names = {
        html.unescape(n) for n in re.findall(r'<a href="/console/accounts/\d+">([^<]*)</a>', table)
    }
    return int(found[1]), names


def _link(page: str, kind: str) -> str:
    part = page[page.index('id="failing-export"') :]
    found = re.search(rf'<a href="([^"]+)">{kind}</a>', part)
    assert found, part[:400]
    return html.unescape(found[1])


def test_the_office_downloads_the_failing_accounts(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    page = client.get(f"/console/matrix/{world.matrices['zz']}").text
    failing, names = _failing_on_page(page)
    assert failing == len(names) >= 3  # the hotline, the silent WeChat, the formula account
    check_date = re.search(r"检查日 (\d{4}-\d{2}-\d{2})", page)
    assert check_date

    got = client.get(_link(page, "CSV"))
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))[1:]
    assert len(rows) == failing
    assert {r["name"].removeprefix("'") for r in rows} == names
    assert f"'{FORMULA}" in {r["name"] for r in rows}  # shown as text, never run
    assert {r["platform"] for r in rows} >= {"微博", "微信", "抖音"}  # every platform
    assert {r["check_date"] for r in rows} == {check_date[1]}
    hotline = next(r for r in rows if r["name"] == "郑州12345")
    assert hotline["reasons"] == "检查日前无更新" and hotline["last_post_at"].startswith(
        "2025-07-10"
    )
    silent = next(r for r in rows if r["name"] == "中原文旅")
    assert silent["last_post_at"] == "从未发文"

    book = client.get(_link(page, "Excel"))
    assert book.status_code == 200
    sheets = load_workbook(io.BytesIO(book.content), read_only=True)
    header, _, *listed = list(sheets["未通过合规"].iter_rows(values_only=True))
    assert [dict(zip(header, r, strict=True))["account_uid"] for r in listed] == [
        r["account_uid"] for r in rows
    ]
    about = dict(sheets["说明"].iter_rows(values_only=True))
    assert about["检查日期 check_date"] == check_date[1]
    assert about["未通过 failing"] == str(failing)

    # Another city's office may not take this matrix's list out.
    client.cookies.clear()
    login(client, "office_ly")
    refused = client.get(_link(page, "CSV"))
    assert refused.status_code == 403 and "无权" in refused.text


def _failing_in_csv(client: httpx.Client, page: str) -> dict[str, dict[str, str]]:
    got = client.get(_link(page, "CSV"))
    assert got.status_code == 200
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))[1:]
    return {r["name"].removeprefix("'"): r for r in rows}


def _failing_in_api(client: httpx.Client, matrix_id: int) -> tuple[int, dict[str, str]]:
    """Return the API's failing count and each failing row's matrices, joined as exported."""
    got = client.get("/api/index/compliance", headers={"Accept": "application/json"},
                     params={"matrix": matrix_id, "failing_only": "true", "limit": 1000})  # fmt: skip
    assert got.status_code == 200, got.text
    report = got.json()
    return int(report["failing"]), {
        r["name"]: "、".join(m["name"] for m in r["matrices"]) for r in report["rows"]
    }


def test_the_page_its_export_and_the_api_check_the_same_accounts(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    """The office is responsible for its matrix and every matrix below it: the page's
    compliance table, its CSV/Excel export and ``GET /api/index/compliance?matrix=`` all
    cover that subtree, and each failing row names the matrix it sits in (all three). Before, the page
    and the export covered the direct members only, while the API took the matrices below:
    an account only in 郑州公安's matrix failed in the API and was missing from the page."""
    with Session(committed_engine) as session:
        traffic = Account(platform="weibo", uid="1009", name="郑州交警", is_government=True,
                          organization_id=world.orgs["police"])  # fmt: skip
        session.add(traffic)
        session.flush()  # never posted: fails the check
        session.add(MatrixMember(matrix_id=world.matrices["zz_police"], account_id=traffic.id))
        session.commit()
    login(client, "office")
    for key in ("zz", "zz_police"):
        matrix_id = world.matrices[key]
        page = client.get(f"/console/matrix/{matrix_id}").text
        assert "本矩阵及其全部下级矩阵的成员账号" in page
        assert f"compliance?matrix={matrix_id}</code>" in page  # what it is the same as
        failing, names = _failing_on_page(page)
        exported = _failing_in_csv(client, page)
        api_failing, api_matrices = _failing_in_api(client, matrix_id)
        assert names == set(exported) == set(api_matrices), key
        # The API names each row's matrices (所属矩阵) as the export does.
        assert api_matrices == {n: row["matrices"] for n, row in exported.items()}, key
        assert failing == len(names) == api_failing, key
        assert "郑州交警" in names
        assert exported["郑州交警"]["matrices"] == "郑州公安新媒体矩阵"
        table = page[page.index('class="compliance-table"') :]
        assert '<td class="member-matrices">郑州公安新媒体矩阵</td>' in table
        if key == "zz":
            assert exported["郑州12345"]["matrices"] == "郑州政务新媒体矩阵"
            assert names > {"郑州交警", "郑州12345", "中原文旅"}
        else:
            assert names == {"郑州交警"}


def test_the_demo_summary_says_what_the_matrix_page_says(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    """The demo summary gave 646 requests and 98.3 % where the office's page gave 645 and
    98.5 %: it counted a request routed nowhere. It now gives the city's count and the
    matrix's, and the matrix's rates — the page's."""
    with Session(committed_engine) as session:
        matrix = office_matrix(session)
        assert matrix is not None and matrix.id == world.matrices["zz"]  # the office's
        figures = desk_figures(session, start=date(2025, 7, 1), end=date(2025, 8, 1))
    login(client, "office")
    page = client.get(f"/console/matrix/{world.matrices['zz']}", params={"period": MONTH}).text
    inside = _intake(page)
    assert inside == 2
    assert figures["受理 counted"].startswith(f"全市 {inside + 1}，其中矩阵 {inside}")
    for name in ("回应率", "办结率"):
        shown = re.search(rf"<th>{name}</th><td>([^<]+)</td>", page)
        assert shown and figures[name] == shown[1], name
    assert figures["回应率"] == "50.0%"  # one of the matrix's two, not one of three
