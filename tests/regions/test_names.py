"""Short forms of division names and the word lists that guard free-text matching."""

from __future__ import annotations

import pytest

from zhengwu.regions import divisions
from zhengwu.regions.names import COMMON_WORDS, short_name


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("广州市", "广州"),
        ("内蒙古自治区", "内蒙古"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("宁夏回族自治区", "宁夏"),
        ("香港特别行政区", "香港"),
        ("黔东南苗族侗族自治州", "黔东南"),
        ("海西蒙古族藏族自治州", "海西"),
        ("巴音郭楞蒙古自治州", "巴音郭楞"),
        ("管城回族区", "管城"),
        ("鄂温克族自治旗", "鄂温克"),
        ("鄂伦春自治旗", "鄂伦春"),
        ("龙胜各族自治县", "龙胜"),
        ("河南蒙古族自治县", "河南"),
        ("神农架林区", "神农架"),
        ("金林区", "金林"),
        ("浦东新区", "浦东"),
        ("清新区", "清新"),
        ("大兴安岭地区", "大兴安岭"),
        ("锡林郭勒盟", "锡林郭勒"),
        ("白水县", "白水"),
        ("沧县", "沧县"),
        ("城区", "城区"),
    ],
)
def test_short_name(name: str, short: str) -> None:
    assert short_name(name) == short


def test_common_words_never_silence_a_province() -> None:
    provinces = {d.short_name for d in divisions().values() if d.level == "province"}
    assert not provinces & COMMON_WORDS


def test_common_words_are_real_division_names() -> None:
    # Each entry must guard an actual name, or it is dead weight.
    names = {d.name for d in divisions().values()} | {d.short_name for d in divisions().values()}
    assert names >= COMMON_WORDS
