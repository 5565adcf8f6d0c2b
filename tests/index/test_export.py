"""Rankings export to CSV and XLSX and read back identically."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengwu.index import export, ranking

from .conftest import World


def test_csv_and_xlsx_round_trip(world: World, tmp_path: Path) -> None:
    police = world.org("郑州市公安局", sector="公安")
    fire = world.org("郑州市消防救援支队", sector="消防")
    world.account("weibo", "7001", police, name="平安郑州")
    world.account("weibo", "7002", fire, name="郑州消防")
    world.account("weibo", "7003", police, name="郑州交警")
    world.daily("weibo", "7001", "2025-07-01", 31, reposts=30, comments=20, likes=200)
    world.daily("weibo", "7002", "2025-07-01", 31, reposts=3, comments=2, likes=20)
    world.daily("weibo", "7003", "2025-07-01", 4, reposts=1)
    run = world.run("2025-07")
    result = ranking.ranking(
        world.con, run.run_id, platform="weibo", by="sector", include_failing=True
    )
    expected = export.ranking_rows(result)
    assert len(expected) == 3
    assert {r["group_key"] for r in expected} == {"公安", "消防"}
    assert export.to_csv(result, tmp_path / "r.csv") == 3
    back = export.read_csv(tmp_path / "r.csv")
    assert [(r["account_uid"], r["name"], r["rank"]) for r in back] == [
        (r["account_uid"], r["name"], str(r["rank"])) for r in expected
    ]
    assert [float(r["score"]) for r in back] == pytest.approx([r["score"] for r in expected])
    assert {r["account_uid"]: r["compliance_reasons"] for r in back}["7003"] == "no_post"
    assert export.to_xlsx(result, tmp_path / "r.xlsx") == 3
    sheet = export.read_xlsx(tmp_path / "r.xlsx")
    assert [(r["account_uid"], r["name"], r["rank"], r["group_name"]) for r in sheet] == [
        (r["account_uid"], r["name"], r["rank"], r["group_name"]) for r in expected
    ]
    assert [r["score"] for r in sheet] == pytest.approx([r["score"] for r in expected])


def test_xlsx_excluded_sheet_is_headed_in_chinese_and_the_reasons_explained(
    world: World, tmp_path: Path
) -> None:
    police = world.org("郑州市公安局", sector="公安")
    world.account("weibo", "7001", police, name="平安郑州")
    world.account("weibo", "7003", police, name="郑州交警")
    world.daily("weibo", "7001", "2025-07-01", 31, reposts=30, comments=20, likes=200)
    world.daily("weibo", "7003", "2025-07-01", 4, reposts=1)
    result = ranking.ranking(
        world.con, world.run("2025-07").run_id, platform="weibo", list_excluded=True
    )
    export.to_xlsx(result, tmp_path / "r.xlsx")
    # Two header rows as on 排行, so the first excluded account is not read as a header.
    excluded = export.read_xlsx(tmp_path / "r.xlsx", "未纳入排行")
    assert [(r["account_uid"], r["name"], r["compliance_reasons"]) for r in excluded] == [
        ("7003", "郑州交警", "no_post")
    ]
    about = {r[0]: r[1] for r in _rows(tmp_path / "r.xlsx", "说明")}
    assert about["原因 no_post"] == "检查日前无更新"
    assert about["原因 flag:bought_followers"] == "购买粉丝"


def _rows(path: Path, sheet: str) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()


def test_an_account_name_with_control_characters_still_exports_to_excel(
    world: World, tmp_path: Path
) -> None:
    # A name imported as the platform gave it (a \x01, a \x0b): openpyxl refused the cell
    # and the whole workbook with it. The cell leaves them out; the CSV keeps the name.
    police = world.org("郑州市公安局", sector="公安")
    world.account("weibo", "7101", police, name="平安\x01郑州\x0b")
    world.daily("weibo", "7101", "2025-07-01", 31, reposts=30, comments=20, likes=200)
    result = ranking.ranking(world.con, world.run("2025-07").run_id, platform="weibo")
    assert export.to_xlsx(result, tmp_path / "r.xlsx") == 1
    assert [r["name"] for r in export.read_xlsx(tmp_path / "r.xlsx")] == ["平安郑州"]
    export.to_csv(result, tmp_path / "r.csv")
    assert [r["name"] for r in export.read_csv(tmp_path / "r.csv")] == ["平安\x01郑州\x0b"]


def test_float_noise_is_not_written_to_the_cells(tmp_path: Path) -> None:
    """56.49999999999999 (the sum of weighted parts) reads 56.5 in Excel and in the CSV."""
    columns = (("name", "名称"), ("score", "得分"), ("percentile", "百分位"), ("rank", "排名"))
    rows = [{"name": "平安郑州", "score": 56.49999999999999, "percentile": 19.257448709397607,
             "rank": 1}]  # fmt: skip
    export.table_csv(columns, rows, tmp_path / "t.csv")
    back = export.read_csv(tmp_path / "t.csv")
    assert (back[0]["score"], back[0]["percentile"], back[0]["rank"]) == ("56.5", "19.257449", "1")
    from openpyxl import Workbook

    book = Workbook()
    export.table_sheet(book, "排行", columns, rows)
    book.save(tmp_path / "t.xlsx")
    sheet = export.read_xlsx(tmp_path / "t.xlsx")
    assert (sheet[0]["score"], sheet[0]["percentile"], sheet[0]["rank"]) == (56.5, 19.257449, 1)
