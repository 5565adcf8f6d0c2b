"""The analyzer: the same terms for documents and queries, normalised, PII-free."""

from __future__ import annotations

import csv
from pathlib import Path

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


def _reference(text: str) -> list[str]:
    """The analyzer spelled out plainly: cut every run with jieba, then filter every term."""
    import re

    import jieba

    from zhengwu.search import segment

    terms: list[str] = []
    for match in re.finditer(segment._RUN, normalize(text)):
        run = match.group()
        if run[0] < "\u3400":
            if "*" not in run:
                terms.append(run)
        else:
            terms.extend(jieba.cut_for_search(run, HMM=True))
    return [
        t
        for t in terms
        if t not in segment.STOPWORDS and len(t) <= segment.MAX_TERM_LENGTH and not t.isspace()
    ]


def test_fast_analyzer_gives_the_terms_of_cutting_every_run(shared_data: Path) -> None:
    """The cached, filtered runs and the single loop change no term: real 政务留言 texts
    (long runs, past the run cache), their subjects (short runs, cached), and edge cases,
    each analyzed twice (cold and from the cache)."""
    with (shared_data / "citizen-messages" / "test.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:150]
    texts = [r["text"] for r in rows] + [r["subject"] for r in rows] + [
        "南京市长江大桥 ＡＢＣ１２３ iPhone15 的 the 138****5678 张** a.b-c ＊＊12",
        "的了是", "", "   ", "一" * 60 + "长江大桥", "x" * 40 + "的",
    ]  # fmt: skip
    assert any(len(t) > 200 for t in texts)
    for text in texts + texts:
        assert analyze(text) == _reference(text), text
