"""Weibo ``location`` text and ``province`` codes → adcode."""

from __future__ import annotations

import pytest

from zhengwu.regions import resolve_location, resolve_weibo_user, weibo_province


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("广东 广州", "440100"),
        ("北京", "110000"),
        ("北京 朝阳区", "110105"),
        ("北京 朝阳", "110105"),
        ("北京 海淀区", "110108"),
        ("浙江 杭州", "330100"),
        ("浙江 杭州 西湖区", "330106"),
        ("上海 浦东新区", "310115"),
        ("重庆 渝北区", "500112"),
        ("吉林 吉林", "220200"),
        ("辽宁 朝阳", "211300"),
        ("湖南 长沙", "430100"),
        ("湖北 襄樊", "420600"),
        ("浙江 江干区", "330102"),
        ("河南 许昌县", "411003"),  # → 建安区 (2016)
        ("河南 许昌", "411000"),
        ("四川 郫县", "510117"),  # → 郫都区 (2016)
        ("贵州 黔东南州", "522600"),
        ("内蒙古 呼伦贝尔", "150700"),
        ("新疆 乌鲁木齐", "650100"),
        ("台湾 台北市", "710100"),
        ("香港", "810000"),
        ("广东 其他", "440000"),
        ("河北 桥西区", "130000"),  # two 桥西区 in 河北: only the province is certain
        ("  广东　广州  ", "440100"),
        ("杭州", "330100"),  # no province first: read as free text
    ],
)
def test_resolve_location(text: str, code: str) -> None:
    assert resolve_location(text) == code


@pytest.mark.parametrize("text", ["", None, "其他", "海外 美国", "海外", "未知", "火星"])
def test_location_that_is_no_place(text: str | None) -> None:
    assert resolve_location(text) is None


@pytest.mark.parametrize(
    ("code", "adcode"),
    [
        ("44", "440000"),
        ("11", "110000"),
        (33, "330000"),
        ("71", "710000"),
        ("81", "810000"),
        ("82", "820000"),
        ("400", None),
        ("100", None),
        ("99", None),
        ("4", None),
        ("", None),
        (None, None),
    ],
)
def test_weibo_province(code: str | int | None, adcode: str | None) -> None:
    assert weibo_province(code) == adcode


def test_user_location_text_comes_first() -> None:
    assert resolve_weibo_user("11", "5", "北京 朝阳区") == "110105"
    assert resolve_weibo_user("11", "1000", "北京") == "110000"


def test_user_falls_back_to_province_code() -> None:
    assert resolve_weibo_user("44", "1", None) == "440000"
    assert resolve_weibo_user("44", "1", "其他") == "440000"
    assert resolve_weibo_user("400", "1", "海外 美国") is None


def test_user_city_code_is_never_an_adcode() -> None:
    # 11/"5" is Weibo's 朝阳区, but read as a code it would be nothing or garbage.
    assert resolve_weibo_user("11", "5", None) == "110000"
    assert resolve_weibo_user(None, "440100", None) is None
