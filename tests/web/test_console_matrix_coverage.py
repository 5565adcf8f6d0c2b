"""A matrix's 开通率 / 活跃率 by sector and level, over real HTTP.

Before, an office could read these only from ``zhengwu index coverage`` on the server (and
for every body of the deployment, not its matrix). The page counts the bodies running the
matrix's accounts and, for a matrix with a region, every body registered there: one without
an account in the matrix is the 0 % an office has to act on.
"""

from __future__ import annotations

import html
import re

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Account, MatrixMember, Organization
from zhengwu.auth import service as auth_service

from .test_console_world import MONTH, ConsoleWorld, build_console_world, login

PLATFORMS = ("weibo", "wechat", "douyin", "any")


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, committed, with posts, plus a body of Zhengzhou without accounts."""
    auth_service._ip_attempts.clear()
    built = build_console_world(committed_engine)
    with Session(committed_engine) as session:
        session.add(Organization(name="郑州市气象局", level="市", sector="气象", adcode="410100"))
        session.commit()
    return built


def _rows(page: str) -> dict[tuple[str, str], dict[str, str]]:
    """Return (sector, level) → {bodies, weibo open, weibo active, …} of the coverage table."""
    table = page[page.index('class="coverage-table"') :]
    table = table[: table.index("</table>")]
    out = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>|\s+", " ", c)).split() for c in
                 re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]  # fmt: skip
        if len(cells) != 3 + 2 * len(PLATFORMS):
            continue
        line = {"bodies": cells[2][0]}
        for i, platform in enumerate(PLATFORMS):
            line[f"{platform} open"] = cells[3 + 2 * i][-1]  # "opened/bodies"
            line[f"{platform} active"] = cells[4 + 2 * i][-1]  # "active/accounts"
        out[(cells[0][0], cells[1][0])] = line
    return out


def test_office_reads_its_matrix_coverage_by_sector_and_level(
    client: httpx.Client, world: ConsoleWorld, committed_engine: Engine
) -> None:
    login(client, "office")
    overview = client.get(f"/console/matrix/{world.matrices['zz']}")
    assert f'href="/console/matrix/{world.matrices["zz"]}/coverage"' in overview.text

    page = client.get(f"/console/matrix/{world.matrices['zz']}/coverage", params={"period": MONTH})
    assert page.status_code == 200
    rows = _rows(page.text)
    with Session(committed_engine) as session:
        members = select(MatrixMember.account_id).where(
            MatrixMember.matrix_id == world.matrices["zz"]
        )
        member_orgs = set(session.scalars(
            select(Account.organization_id).where(Account.id.in_(members))))  # fmt: skip
        in_region = set(session.scalars(
            select(Organization.id).where(Organization.adcode.startswith("4101"))))  # fmt: skip
        n_members = session.scalar(select(func.count()).select_from(members.subquery()))
    assert rows[("全部", "全部")]["bodies"] == str(len(member_orgs | in_region))
    assert rows[("全部", "全部")]["any active"].endswith(f"/{n_members}")
    # The body of the region without an account in the matrix: not opened anywhere.
    assert rows[("气象", "市")] == {
        "bodies": "1", **{f"{p} open": "0/1" for p in PLATFORMS},
        **{f"{p} active": "0/0" for p in PLATFORMS},
    }  # fmt: skip
    # 郑州市公安局 runs 平安郑州 (Weibo) and 郑州警方 (Douyin) in the matrix, no WeChat.
    police = rows[("公安", "市")]
    assert (police["weibo open"], police["wechat open"], police["douyin open"]) == (
        "1/1", "0/1", "1/1")  # fmt: skip
    assert police["weibo active"] == "1/1"  # posted in July
    assert ("住建", "市") not in rows  # 洛阳's body is not in this matrix or its region

    # A sub-matrix without a region: the bodies of its own accounts only.
    sub = _rows(client.get(f"/console/matrix/{world.matrices['zz_police']}/coverage",
                           params={"period": MONTH}).text)  # fmt: skip
    assert sub[("全部", "全部")]["bodies"] == "1"

    bad = client.get(f"/console/matrix/{world.matrices['zz']}/coverage", params={"period": "x"})
    assert bad.status_code == 422
    assert "无法识别的统计周期" in bad.text
    assert "unrecognised period" in bad.text


def test_coverage_of_a_matrix_outside_ones_scope_is_refused(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    other = client.get(f"/console/matrix/{world.matrices['ly']}/coverage")
    assert other.status_code in (403, 404)
    assert "郑州市气象局" not in other.text
    client.cookies.clear()
    login(client, "handler")
    assert client.get(f"/console/matrix/{world.matrices['zz']}/coverage").status_code == 403
