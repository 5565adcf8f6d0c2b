"""The report model: its lists are the stored rankings, with movement, awards and explanations."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from zhengwu.errors import InvalidInputError
from zhengwu.index import explain, ranking, results
from zhengwu.reports import demo
from zhengwu.reports.awards import Award, load_awards, parse_awards
from zhengwu.reports.html import render_html
from zhengwu.reports.model import build_report
from zhengwu.reports.pdf import render_pdf

from .conftest import World

JULY, JUNE = "zhengwu-4d/2025-07", "zhengwu-4d/2025-06"


def _key(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(r["rank"], r["account_uid"], r["score"], r["movement"]) for r in rows]


def test_lists_equal_the_stored_rankings(scenario: World) -> None:
    con = scenario.con
    report = build_report(con, JULY, top=3)
    assert report.platforms == ["weibo", "wechat"]
    for top_list in report.top_lists:
        stored = ranking.ranking(con, JULY, platform=top_list["platform"], top=3)
        assert _key(top_list["rows"]) == _key(stored["groups"][0]["rows"])
    weibo = report.top_lists[0]["rows"]
    assert len(weibo) == 3
    assert [r["rank"] for r in weibo] == [1, 2, 3]
    organisations = ranking.ranking(con, JULY, platform="all", top=3)
    assert _key(report.organizations) == _key(organisations["groups"][0]["rows"])
    by_sector = next(
        g for g in report.group_lists if (g["by"], g["platform"]) == ("sector", "weibo")
    )
    stored_sector = ranking.ranking(con, JULY, platform="weibo", by="sector", top=3)
    assert [(g["group_key"], _key(g["rows"])) for g in by_sector["groups"]] == [
        (g["group_key"], _key(g["rows"])) for g in stored_sector["groups"] if g["rows"]
    ]
    police = next(g for g in by_sector["groups"] if g["group_key"] == "公安")
    assert [r["name"] for r in police["rows"]] == ["平安郑州", "平安洛阳"]
    matrices = {(g["by"], g["platform"]) for g in report.group_lists}
    assert {("level", "weibo"), ("city", "weibo"), ("matrix", "weibo")} <= matrices
    assert [m["matrix_name"] for m in report.matrices if m["platform"] == "weibo"] == [
        "郑州政务矩阵"
    ]
    assert report.methodology == results.get_run(con, JULY)["methodology"]
    assert "合规门槛" in report.methodology


def test_headline_and_compliance(scenario: World) -> None:
    report = build_report(scenario.con, JULY)
    assert report.headline["accounts"] == 6
    assert report.headline["failing"] == 1
    assert report.headline["ranked"] == 5
    weibo = next(p for p in report.platform_summary if p["platform"] == "weibo")
    assert (weibo["scored"], weibo["ranked"], weibo["failing"]) == (5, 4, 1)
    assert report.compliance["failing"] == 1
    [failing] = report.compliance["accounts"]
    assert failing["name"] == "停更的账号"
    assert failing["compliance_reasons"] == ["no_post"]
    assert failing["reasons"] == ["检查日前无更新"]
    names = {r["name"] for t in report.top_lists for r in t["rows"]}
    assert "停更的账号" not in names  # scored, but left out of every list
    dims = {d["key"]: d for d in report.dimensions}
    assert set(dims) == {"reach", "engagement", "service", "recognition"}
    assert dims["reach"]["name"] == "传播力"
    assert 0 <= dims["reach"]["shown"]["weibo"] <= 100
    weibo_bins = next(d for d in report.distribution if d["platform"] == "weibo")["bins"]
    assert sum(b["count"] for b in weibo_bins) == 5  # every scored account, failing included


def test_movement_against_the_previous_period(scenario: World) -> None:
    july = build_report(scenario.con, JULY)
    assert july.previous_run == JUNE
    rows = {r["name"]: r for r in july.top_lists[0]["rows"]}
    # June: 消防 first, 平安郑州 third; July: 平安郑州 first.
    assert rows["平安郑州"]["rank"] == 1
    assert rows["平安郑州"]["movement"] > 0
    assert rows["郑州消防"]["movement"] < 0
    for row in rows.values():
        assert row["movement"] == row["previous_rank"] - row["rank"]
    june = build_report(scenario.con, JUNE)
    assert june.previous_run is None
    assert all(r["movement"] is None for t in june.top_lists for r in t["rows"])


def test_strongest_dimension_of_the_top_ten(scenario: World) -> None:
    report = build_report(scenario.con, JULY)
    for row in report.top_lists[0]["rows"]:
        out = explain.explain(scenario.con, JULY, f"weibo:{row['account_uid']}")
        values = {d["dimension"]: d["normalised"] for d in out["dimensions"]
                  if d["normalised"] is not None}  # fmt: skip
        assert row["strongest"]["key"] == max(values, key=lambda k: values[k])
        assert row["strongest"]["value"] == pytest.approx(max(values.values()))


def test_awards_follow_their_filters(scenario: World) -> None:
    awards = [
        Award(title="最佳政务公安微博", platform="weibo", sector="公安", top=5),
        Award(title="洛阳", platform="weibo", region="410300", top=5),
        Award(title="区县", platform="weibo", level="县", top=5),
        Award(title="十大政务微博", platform="weibo", top=2),
        Award(title="抖音", platform="douyin", top=10),  # not in this run
        Award(title="机构", platform="all", top=1),
    ]
    report = build_report(scenario.con, JULY, awards=awards)
    won = {a["title"]: [w["name"] for w in a["winners"]] for a in report.awards}
    assert won["最佳政务公安微博"] == ["平安郑州", "平安洛阳"]
    assert won["洛阳"] == ["平安洛阳"]
    assert won["区县"] == ["金水发布"]
    assert won["十大政务微博"] == [r["name"] for r in report.top_lists[0]["rows"][:2]]
    assert won["抖音"] == []
    assert won["机构"] == [report.organizations[0]["name"]]
    police = next(a for a in report.awards if a["title"] == "最佳政务公安微博")
    assert [w["place"] for w in police["winners"]] == [1, 2]
    platform_rank = {r["name"]: r["rank"] for r in report.top_lists[0]["rows"]}
    assert [w["rank"] for w in police["winners"]] == [
        platform_rank["平安郑州"],
        platform_rank["平安洛阳"],
    ]


def test_default_awards_file() -> None:
    awards = load_awards()
    titles = [a.title for a in awards]
    assert "十大政务微博" in titles
    assert "最佳政务公安微博" in titles
    police = awards[titles.index("最佳政务公安微博")]
    assert (police.platform, police.filters, police.top) == ("weibo", {"sector": "公安"}, 3)


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ('[[award]]\ntitle = "A"\nplatform = "weibo"\ncolour = "red"\n', "未知字段 colour", "unknown field(s) colour"),
        ('[[award]]\ntitle = "A"\nplatform = "myspace"\n', "未知平台 myspace", "unknown platform 'myspace'"),
        ('[[award]]\ntitle = "A"\nplatform = "weibo"\ntop = 0\n', "top 应为", "top must be"),
        ('[[award]]\nplatform = "weibo"\n', "缺少字段 title", "'title' is missing"),
        ('[[award]]\ntitle = "A"\nplatform = "weibo"\nlevel = "村"\n', "未知层级 村", "unknown level"),
        ('[[award]]\ntitle = "A"\nplatform = "weibo"\nregion = "999999"\n', "region 应为", "region must be"),
        ('[[awards]]\ntitle = "A"\n', "未知的顶层字段 awards", "unknown top-level field(s) awards"),
        ('[[award]\ntitle = "A"\n', "不是合法的 TOML", "not valid TOML"),
        ('[[award]]\ntitle = "A"\nplatform = "weibo"\n[[award]]\ntitle = "A"\nplatform = "wechat"\n', "奖项名称重复", "repeated titles"),
    ],
)  # fmt: skip
def test_invalid_awards_file(text: str, zh: str, en: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_awards(text, source="mine.toml")
    assert zh in caught.value.message_zh
    assert en in caught.value.message_en
    assert "mine.toml" in caught.value.message_zh


def test_missing_awards_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        load_awards(tmp_path / "none.toml")
    assert "无法读取奖项文件" in caught.value.message_zh


def test_demo_step_writes_both_files(scenario: World) -> None:
    figures = demo.run(scenario.session, scenario.con, {})
    html, pdf = Path(figures["html"]), Path(figures["pdf"])
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert figures["url"] == "/reports/zhengwu-4d/2025-07.pdf"


def test_an_account_without_counts_is_no_data_not_failing(world: World) -> None:
    # A real WeChat article list has no read or like counts: its account passes the gate
    # (it posts) but has no score. The run says "0 failing, 1 no data"; the report said
    # "1 failing the gate" and "no account on this platform passed the compliance gate".
    org = world.org("共青团中央", sector="共青团", level="中央", adcode="000000")
    world.account("wechat", "w9", org, name="共青团中央")
    world.daily("wechat", "w9", "2025-07-01", 31)  # posts, no counts
    world.run("2025-07")
    report = build_report(world.con, JULY)
    [wechat] = report.platform_summary
    assert (wechat["scored"], wechat["ranked"], wechat["failing"], wechat["no_data"]) == (
        1, 0, 0, 1,
    )  # fmt: skip
    assert (report.headline["failing"], report.headline["no_data"]) == (0, 1)
    assert report.compliance["failing"] == 0
    [left_out] = report.compliance["accounts"]
    assert (left_out["name"], left_out["reasons"]) == ("共青团中央", ["无数据"])
    assert report.compliance["left_out"] == 1
    page = render_html(report)
    assert "No account on this platform passed the compliance gate" not in page
    assert "没有可用数据" in page and "had no usable data" in page
    text = "\n".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render_pdf(report))).pages
    )
    assert "No account passed the gate" not in text
    assert "没有可用数据" in text
