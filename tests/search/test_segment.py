"""The analyzer: the same terms for documents and queries, normalised, PII-free."""

from __future__ import annotations

from zhengwu.search.segment import analyze, normalize, query_terms


def test_nanjing_bridge_is_segmented_not_substring_matched() -> None:
    terms = analyze("南京市长江大桥")
    assert {"南京", "南京市", "长江", "大桥", "长江大桥"} <= set(terms)
    assert "市长" not in terms  # the classic mis-segmentation is not produced


def test_mixed_latin_and_digits_are_whole_lowercase_tokens() -> None:
    assert analyze("iPhone15和G20峰会在2024年召开") == [
        "iphone15", "g20", "峰会", "2024", "年", "召开"
    ]  # fmt: skip


def test_full_width_folds_to_half_width() -> None:
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert analyze("ＧＤＰ增长") == analyze("GDP增长") == ["gdp", "增长"]


def test_punctuation_and_stopwords_are_dropped() -> None:
    assert analyze("小区的噪音！！，。、") == ["小区", "噪音"]
    assert analyze("的了是，。") == []


def test_masked_personal_data_never_becomes_a_term() -> None:
    terms = analyze("联系电话138****5678，车牌苏A***45，联系人张**")
    assert not any(t.isdigit() for t in terms)
    assert "138" not in terms and "5678" not in terms and "a" not in terms
    assert "联系" in terms or "联系电话" in terms


def test_query_terms_are_distinct_and_ordered() -> None:
    assert query_terms("噪音 噪音 施工") == ["噪音", "施工"]
