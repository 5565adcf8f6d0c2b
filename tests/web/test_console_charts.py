"""The console's SVG charts: well-formed, escaped, to scale, and without external assets."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from zhengwu.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no external asset
    return root


def test_line_chart_has_one_point_per_value_and_scales_to_the_top() -> None:
    labels = [f"07-{d:02d}" for d in range(1, 8)]
    svg = charts.line_chart(
        labels,
        [
            charts.Series("发文数", [1, 2, 3, 4, 5, 6, 7]),
            charts.Series("互动", [0, None, 3, 0, 0, 0, 9]),
        ],
        title="每日发文 <测试>",
    )
    root = _parse(svg)
    lines = root.findall(f"{SVG}polyline")
    assert [len(p.get("points", "").split()) for p in lines] == [7, 6]  # None is a gap
    assert root.findtext(f"{SVG}title") == "每日发文 <测试>"
    # The largest value (9) sits on the top grid line (a nice bound of 10 is the axis top).
    ys = [float(pt.split(",")[1]) for pt in lines[1].get("points", "").split()]
    assert min(ys) == pytest.approx(24 + (220 - 24 - 36) * (1 - 9 / 10), abs=0.1)
    assert "07-01" in svg
    assert "07-07" in svg


def test_bar_chart_lengths_are_proportional_and_labels_escaped() -> None:
    svg = charts.bar_chart([("微博", 4), ("抖音 & 快手", 2)], title="账号")
    root = _parse(svg)
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "抖音 &amp; 快手" in svg


def test_ranking_bars_mark_excluded_rows() -> None:
    svg = charts.ranking_bars(
        [
            charts.RankBar(1, "平安郑州", 80.0),
            charts.RankBar(None, "郑州12345", 60.0, excluded=True),
        ],
        title="排行",
    )
    root = _parse(svg)
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert fills == [charts.PALETTE[1], "#b8c2cc"]
    assert "—" in svg  # an excluded row has no rank


def test_county_grid_places_each_county_once_west_to_east() -> None:
    cells = [
        charts.CountyCell("410102", "中原", 113.61, 34.75, requests=2),
        charts.CountyCell("410105", "金水", 113.66, 34.80, help_requests=3),
        charts.CountyCell("410181", "巩义", 112.98, 34.75),
        charts.CountyCell("999999", "未知", None, None, requests=1),
    ]
    root = _parse(charts.county_grid(cells, title="各区县"))
    groups = root.findall(f"{SVG}g")
    assert [g.get("data-adcode") for g in groups] == ["410102", "410105", "410181", "999999"]
    at = {
        g.get("data-adcode"): (float(r.get("x", "0")), float(r.get("y", "0")))
        for g in groups
        if (r := g.find(f"{SVG}rect")) is not None
    }
    assert at["410181"][0] < min(at["410102"][0], at["410105"][0])  # 巩义 lies to the west
    # 金水 lies east of 中原 (and 5 km north: too little for a row of its own).
    assert at["410105"][0] > at["410102"][0]
    assert at["999999"][1] > max(y for _, y in list(at.values())[:3])  # unplaced: a row below
    assert len(set(at.values())) == 4  # one tile each
    assert "求助 3" in ET.tostring(root, encoding="unicode")
    assert root.find(f".//{SVG}a") is None  # no links unless asked for


def test_county_grid_tiles_link_where_asked() -> None:
    cells = [
        charts.CountyCell("410000", "河南", 113.75, 34.77, requests=2),
        charts.CountyCell("420000", "湖北", 114.34, 30.55, requests=1),
    ]
    root = _parse(charts.county_grid(cells, title="各省份", links={"410000": "/m?a=1&b=410000"}))
    groups = {g.get("data-adcode"): g for g in root.findall(f"{SVG}g")}
    link = groups["410000"].find(f"{SVG}a")
    assert link is not None and link.get("href") == "/m?a=1&b=410000"  # escaped in the SVG
    assert link.find(f"{SVG}rect") is not None and "河南" in "".join(link.itertext())
    assert groups["420000"].find(f"{SVG}a") is None


def test_a_one_tile_map_keeps_its_legend() -> None:
    # A county's own map (opened from a tile) is one tile: the legend must still fit.
    one = _parse(charts.county_grid([charts.CountyCell("410105", "金水", 113.66, 34.80)],
                                    title="金水"))  # fmt: skip
    legend = [t for t in one.iter(f"{SVG}text") if t.text == "求助 help requests"]
    assert legend and float(one.get("width", "0")) >= float(legend[0].get("x", "0")) + 120


@pytest.mark.parametrize(
    "svg",
    [
        charts.line_chart([], [], title="空"),
        charts.bar_chart([], title="空"),
        charts.ranking_bars([], title="空"),
        charts.county_grid([], title="空"),
    ],
)
def test_empty_charts_say_so(svg: str) -> None:
    assert "暂无数据" in svg
    _parse(svg)


def test_numbers_are_compact() -> None:
    assert charts.fmt_number(3.0) == "3"
    assert charts.fmt_number(123456) == "12.3万"
    assert charts.fmt_number(None) == "–"
    assert charts.fmt_number(0.5) == "0.50"
