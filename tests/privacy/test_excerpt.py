"""``masked_excerpt``: the masked start of a long raw record, never half a number shown."""

from __future__ import annotations

import pytest

from zhengwu.privacy.excerpt import masked, masked_excerpt

PHONE, ID_NUMBER = "13812345678", "410105199001011234"


def test_a_short_text_is_masked_whole() -> None:
    text = f"联系人王建国 {PHONE} 身份证 {ID_NUMBER} 家住幸福路12号3栋2单元501 @吃面的老李头"
    shown = masked_excerpt(text, 200)
    assert shown == masked(text) and not shown.endswith("…")
    assert "138****5678" in shown and "4101**********1234" in shown and "王*" in shown
    for secret in (PHONE, ID_NUMBER, "王建国", "12号3栋", "吃面的老李头"):
        assert secret not in shown


@pytest.mark.parametrize("at", range(186, 201))
def test_a_number_across_the_cut_is_masked_not_halved(at: int) -> None:
    """The excerpt's end cuts the phone wherever it lies: what shows of it is masked."""
    text = "备" * at + f"电话{PHONE}" + "。" * 10_000
    shown = masked_excerpt(text, 200)
    assert shown.endswith("…") and len(shown) == 201
    assert "1381234" not in shown and "2345678" not in shown
    digits = "".join(c for c in shown if c.isdigit())
    assert len(digits) <= 7, shown[-20:]  # 138 and at most the last four


def test_a_window_shortened_by_its_masks_falls_back_to_the_whole_text() -> None:
    """Long handles masked shrink the window masked (2 × limit) below the excerpt: the phone
    its end cuts would then show half unmasked, so the whole text is masked instead."""
    handles = " ".join(["@" + "长" * 30] * 12)  # 12 × 31 characters and the spaces
    text = handles + "备" * (392 - len(handles)) + PHONE + "。" * 300  # the phone at 392–403
    window = masked(text[:400])
    assert "13812345" in window and len(window) < 200  # what the window alone would show
    shown = masked_excerpt(text, 200)
    assert shown == masked(text)[:200].rstrip() + "…"
    assert "13812345" not in shown and "138****5678" in shown
