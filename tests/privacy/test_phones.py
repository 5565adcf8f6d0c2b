"""Published numbers (公开电话): their normal form, and staying readable in masked texts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengwu.privacy import (
    PhoneError,
    is_published,
    mask_text,
    normalise_phone,
    parse_phones,
    phone_digits,
    split_phones,
)
from zhengwu.privacy.phones import MAX_PHONES, kept_keys

OFFICE = frozenset({"037166661234"})  # 区住建局, as accounts.phones.directory gives it


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("0371-66661234", "0371-66661234"),
        ("（0371）6666 1234", "0371-66661234"),
        ("(0371)66661234", "0371-66661234"),
        ("０３７１－６６６６１２３４", "0371-66661234"),
        ("010 1234 5678", "010-12345678"),
        ("+86 371 6666 1234", "0371-66661234"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0371-12345", "0371-12345"),  # the 12345 hotline dialled with its area code
        ("12345", "12345"),
        ("96110", "96110"),
        ("110", "110"),
        ("400-800-1234", "4008001234"),
    ],
)
def test_numbers_are_stored_in_a_normal_form(written: str, normal: str) -> None:
    assert normalise_phone(written) == normal
    assert normalise_phone(normal) == normal  # the normal form is a fixed point


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("abc", "not a phone number"),
        ("66661234", "area code"),  # a local number alone could be any city's
        ("1381234567", "11 digits"),  # one digit short
        ("1234", "not a phone number"),
        ("0371-123", "not a phone number"),
        ("0371-66661234-801", "extension"),
        ("0371-66661234转801", "not a phone number"),
        ("+86 12345", "not a phone number"),
        ("1" * 40, "not a phone number"),
    ],
)
def test_anything_else_is_refused_in_both_languages(value: str, reason: str) -> None:
    with pytest.raises(PhoneError) as caught:
        normalise_phone(value)
    assert caught.value.message_zh.startswith("不是电话号码")
    assert reason in caught.value.message_en
    assert isinstance(caught.value, ValueError)  # settings validation relies on it


def test_lists_split_on_separators_but_not_inside_a_number() -> None:
    cell = "0371-66661234；0371 6666 5678、13812345678,0371-66661234\n12345"
    assert parse_phones(cell) == ["0371-66661234", "0371-66665678", "13812345678", "12345"]
    assert parse_phones(["(0371)66661234", " "]) == ["0371-66661234"]
    assert parse_phones("") == []
    with pytest.raises(PhoneError, match="not a phone number: 'x'"):
        parse_phones("0371-66661234;x")
    too_many = ";".join(f"0371-666612{i:02d}" for i in range(MAX_PHONES + 1))
    with pytest.raises(PhoneError) as caught:
        parse_phones(too_many)
    assert caught.value.message_zh.startswith(f"公开电话最多 {MAX_PHONES} 个")


def test_split_phones_keeps_the_good_numbers_and_returns_the_bad_ones() -> None:
    found, refused = split_phones("0371-66661234；值班室、66661234,13812345678")
    assert found == ["0371-66661234", "13812345678"]
    assert [entry for entry, _ in refused] == ["值班室", "66661234"]
    assert all(isinstance(exc, PhoneError) for _, exc in refused)
    many = [f"0371-666612{i:02d}" for i in range(MAX_PHONES + 2)]
    found, refused = split_phones(many)
    assert found == many[:MAX_PHONES]
    assert [entry for entry, _ in refused] == many[MAX_PHONES:]
    assert "at most" in refused[0][1].message_en


@pytest.mark.parametrize(
    "written",
    [
        "0371-66661234",
        "(0371)66661234",
        "（0371）66661234",
        "0371 6666 1234",
        "0371-6666-1234",
        "０３７１－６６６６１２３４",  # full-width: the detector folds it
        "0371-66661234-801",  # an extension of the office line
    ],
)
def test_a_published_landline_stays_as_written(written: str) -> None:
    text = f"请拨打区住建局电话 {written} 咨询"
    assert mask_text(text, keep=OFFICE) == text
    assert mask_text(text) != text  # without the directory it is masked as before


def test_a_mobile_in_the_same_text_is_still_masked() -> None:
    text = "已处理。如有疑问请拨打 0371-66661234，或联系网格员13800001234（身份证号不公开）。"
    masked = mask_text(text, keep=OFFICE)
    assert "0371-66661234" in masked
    assert "138****1234" in masked
    assert "13800001234" not in masked
    assert mask_text(masked, keep=OFFICE) == masked  # still idempotent


def test_the_local_number_is_readable_and_another_city_is_masked() -> None:
    assert mask_text("电话66661234", keep=OFFICE) == "电话66661234"
    assert "66661234" in kept_keys(OFFICE)  # the local part counts as the listed landline
    # Same local number, other area code: someone else's line.
    assert mask_text("0372-66661234", keep=OFFICE) == "0372-****1234"
    assert mask_text("0371-66661235", keep=OFFICE) == "0371-****1235"


def test_published_mobiles_match_with_a_country_code_and_normal_forms_are_accepted() -> None:
    keep = {"13812345678", "0371-69690110"}  # a list, in normal forms with the dash
    text = "值班手机 +86 138 1234 5678，指挥部 (0371)6969-0110，市民 13912345678"
    assert (
        mask_text(text, keep=keep)
        == "值班手机 +86 138 1234 5678，指挥部 (0371)6969-0110，市民 139****5678"
    )
    assert is_published("８６１３８１２３４５６７８", keep)
    assert not is_published("13912345678", keep)
    assert not is_published("13812345678", ())


def test_keep_only_concerns_phones() -> None:
    # An ID number whose digits happen to be listed is still masked: only phones are kept.
    from zhengwu.privacy.numbers import id_check_char

    number = "41010519900307123" + id_check_char("41010519900307123")
    assert mask_text(f"身份证{number}", keep={number}) != f"身份证{number}"
    assert phone_digits("（0371）6666-1234") == "037166661234"


_PIECES = st.sampled_from(
    ["0371-66661234", "(0371)6666 1234", "13800001234", "0371-67180110", "电话", "张伟先生",
     "12345", "66661234", "请拨打"]
)  # fmt: skip


@settings(deadline=None)  # the first call loads the name dictionary
@given(st.lists(_PIECES, max_size=12).map("，".join))
def test_only_the_published_number_survives_and_masking_stays_idempotent(text: str) -> None:
    masked = mask_text(text, keep=OFFICE)
    assert mask_text(masked, keep=OFFICE) == masked
    assert masked.count("0371-66661234") == text.count("0371-66661234")
    assert masked.count("(0371)6666 1234") == text.count("(0371)6666 1234")
    assert "13800001234" not in masked
    assert "67180110" not in masked
