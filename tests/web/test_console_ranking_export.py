"""The rankings page's export over real HTTP: the file holds every row the page's filters
select, with the same ranks, and a ranking that does not exist is refused, not replaced.

An office sends its leadership the ranking of its accounts as a spreadsheet; before, the
console had no download of a ranking at all (only ``zhengwu index export`` on the server).
"""

from __future__ import annotations

import csv
import html
import io
import re

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from zhengwu.auth import service as auth_service

from .test_console_world import ConsoleWorld, build_console_world, login


@pytest.fixture
def world(committed_engine: Engine) -> ConsoleWorld:
    """The console test city, committed, with posts and an index run."""
    auth_service._ip_attempts.clear()
    return build_console_world(committed_engine)


def _page_rows(page: str) -> list[tuple[str, str]]:
    """Return (rank, name) of each row of the page's ranking table."""
    table = page[page.index('class="ranking-table"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>.*?</td>\s*<td>([^<]+)</td>", table, re.S)
    return [(rank, html.unescape(name)) for rank, name in rows]


def _export_link(page: str, kind: str) -> str:
    """Return the page's export link named ``kind`` (Excel, CSV)."""
    part = page[page.index('id="ranking-export"') :]
    found = re.search(rf'<a href="([^"]+)">{kind}</a>', part)
    assert found, part[:400]
    return html.unescape(found.group(1))


def test_office_downloads_the_filtered_ranking_it_sees(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    page = client.get("/console/rankings", params={"platform": "weibo", "top": "1"})
    assert page.status_code == 200
    shown = _page_rows(page.text)
    assert len(shown) == 1  # one row a page: the export still holds every row
    total = int(re.search(r"显示 1 / (\d+)", page.text).group(1))  # type: ignore[union-attr]
    assert total >= 3

    got = client.get(_export_link(page.text, "CSV"))
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))[1:]
    assert len(lines) == total
    assert (lines[0]["rank"], lines[0]["name"]) == shown[0]
    assert "郑州12345" not in {r["name"] for r in lines}  # failing the gate: not ranked

    # A sector filter narrows the file as it narrows the page, ranks unchanged.
    police = client.get("/console/rankings", params={"platform": "weibo", "sector": "公安"})
    book = client.get(_export_link(police.text, "Excel"))
    assert book.status_code == 200
    sheets = load_workbook(io.BytesIO(book.content), read_only=True)
    header, _, *ranked = list(sheets["排行"].iter_rows(values_only=True))
    rank_at, name_at, sector_at = header.index("rank"), header.index("name"), header.index("sector")
    assert [(str(r[rank_at]), r[name_at]) for r in ranked] == _page_rows(police.text)
    assert {r[sector_at] for r in ranked} == {"公安"}
    excluded = [r[2] for r in list(sheets["未纳入排行"].iter_rows(values_only=True))[2:]]
    about = dict(sheets["说明"].iter_rows(values_only=True))
    assert about["run_id"] == world.run_id
    assert about["platform"] == "weibo"
    assert about["excluded_count"] == str(len(excluded))


def test_export_of_a_ranking_that_does_not_exist_is_refused(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    login(client, "office")
    refused = client.get("/console/rankings/export", params={"platform": "nope", "format": "csv"})
    assert refused.status_code == 422
    assert "没有所要导出的排行" in refused.text
    assert "no such ranking to export" in refused.text
    assert "weibo" in refused.text  # the valid platforms are named

    client.cookies.clear()
    login(client, "handler")  # a desk handler does not read the index
    assert client.get("/console/rankings/export", params={"format": "csv"}).status_code == 403


def test_the_two_percentiles_stand_in_one_order_on_the_page_its_export_and_the_api(
    client: httpx.Client, world: ConsoleWorld
) -> None:
    """组内百分位, then 同类百分位 — as `zhengwu index rank` prints them and its CSV/XLSX and
    the docs have them. The page showed 同类百分位 first."""
    login(client, "office")
    page = client.get("/console/rankings", params={"platform": "weibo", "sector": "公安"}).text
    table = page[page.index('class="ranking-table"') :]
    heads = re.findall(r"<th[^>]*>([^<]*百分位)</th>", table[: table.index("</tr>")])
    assert heads == ["组内百分位", "同类百分位"]
    got = client.get(_export_link(page, "CSV"))
    keys, names = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))[:2]
    assert [n for n in names if n.endswith("百分位")] == heads
    assert [k for k in keys if k.endswith("percentile")] == ["group_percentile", "percentile"]
    api = client.get("/api/index/rankings",
                     params={"platform": "weibo", "by": "sector", "group": "公安"},
                     headers={"Accept": "application/json"}).json()  # fmt: skip
    row = api["groups"][0]["rows"][0]
    assert [k for k in row if k.endswith("percentile")] == ["group_percentile", "percentile"]
    # Each figure stands under its own heading: the first ranked row's cells, in order.
    first = re.search(r"<tr>\s*<td>1</td>.*?</tr>", table, re.S)
    assert first is not None
    cells = re.findall(r"<td>([^<]*)</td>", first[0])
    at = cells.index(f"{row['score']:.2f}") if f"{row['score']:.2f}" in cells else None
    assert at is not None, cells
    assert cells[at + 1 : at + 3] == [f"{row['group_percentile']:.1f}", f"{row['percentile']:.1f}"]
