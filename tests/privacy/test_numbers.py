"""Phones, ID numbers, bank cards, plates and e-mails in realistic (fake) texts."""

from __future__ import annotations

import itertools

import pytest

from zhengwu.privacy import PiiSpan, detect
from zhengwu.privacy.numbers import (
    id_check_char,
    is_checked_id,
    is_plausible_id18,
    is_valid_id15,
    is_valid_id18,
    luhn_ok,
)


def make_id(first17: str) -> str:
    """Return a valid 18-character ID number with the given first 17 digits."""
    return first17 + id_check_char(first17)


def make_card(prefix: str, length: int) -> str:
    """Return a Luhn-valid card number of ``length`` digits starting with ``prefix``."""
    body = prefix + "0" * (length - len(prefix) - 1)
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def kinds_and_values(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.value) for s in detect(text)]


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("我家老人被困，电话13800001234，请尽快", "13800001234"),
        ("联系电话：138-0000-1234", "138-0000-1234"),
        ("手机 138 0000 1234 谢谢", "138 0000 1234"),
        ("在外地的家属请拨+86 138 0000 1234", "+86 138 0000 1234"),
        ("86-13912345678（李女士）", "86-13912345678"),
        ("0086-13800001234", "0086-13800001234"),
        ("(+86)13800001234", "(+86)13800001234"),
        ("全角号码１３８００００１２３４已停机", "１３８００００１２３４"),
        ("全角分组１３８－００００－１２３４", "１３８－００００－１２３４"),
        ("电话13800001234 2人被困", "13800001234"),
        ("tel:15937100000", "15937100000"),
        ("1380 000 1234（微信同号）", "1380 000 1234"),
        ("座机0371-12345678转人工", "0371-12345678"),
        ("北京（010）12345678", "（010）12345678"),
        ("(010)12345678", "(010)12345678"),
        ("广州020-87654321", "020-87654321"),
        ("0371 6512 3456", "0371 6512 3456"),
        ("分机0371-65123456-801", "0371-65123456-801"),
        ("０３７１－１２３４５６７８", "０３７１－１２３４５６７８"),
    ],
)
def test_phones_in_every_written_form(text: str, value: str) -> None:
    spans = detect(text)
    assert [(s.kind, s.value) for s in spans] == [("phone", value)]
    span = spans[0]
    assert text[span.start : span.end] == value


@pytest.mark.parametrize(
    "text",
    [
        "订单号 213800001234 已发货",  # 12 digits: part of something longer
        "快递单号 1380000123456",
        "12345 热线",  # the hotline itself is public
        "拨打110或119",
        "2024-07-20 暴雨",
        "编号 12800001234",  # no mobile starts 12
        "价格 4000-6000 元",
    ],
)
def test_numbers_that_are_no_phones(text: str) -> None:
    assert [s for s in detect(text) if s.kind == "phone"] == []


def test_several_phones_in_one_post() -> None:
    text = "王女士 13800001234；儿子 139-0000-5678；村委会 0371-65123456"
    assert kinds_and_values(text) == [
        ("phone", "13800001234"),
        ("phone", "139-0000-5678"),
        ("phone", "0371-65123456"),
    ]


def test_a_country_code_after_another_number_is_not_taken() -> None:
    # "2086" is a number of its own; the mobile after it still counts, without the 86.
    assert kinds_and_values("房号2086 13800001234") == [("phone", "13800001234")]


# ---------------------------------------------------------------- ID numbers


def test_id_check_character_matches_the_standard_example() -> None:
    # GB 11643-1999's worked example: 11010519491231002 → check character X.
    assert id_check_char("11010519491231002") == "X"
    assert is_valid_id18("11010519491231002X")
    assert is_valid_id18("11010519491231002x")
    assert not is_valid_id18("110105194912310021")


@pytest.mark.parametrize(
    "number",
    [
        make_id("41010519900307123"),
        make_id("44030619851120002"),
        "11010519491231002X",
    ],
)
def test_valid_ids_are_found(number: str) -> None:
    text = f"身份证号：{number}，户籍郑州"
    assert kinds_and_values(text) == [("id_card", number)]


def test_id_with_spaces_between_blocks() -> None:
    number = make_id("41010519900307123")
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    assert kinds_and_values(f"证件 {spaced}") == [("id_card", spaced)]


def wrong_check(number: str) -> str:
    """Return ``number`` with another check character (a digit mistyped in the last place)."""
    return number[:17] + ("0" if number[17] == "X" else "X")


def test_a_wrong_date_is_no_id() -> None:
    bad_date = make_id("41010519901332123")  # month 13
    assert not is_valid_id18(bad_date)
    assert not is_plausible_id18(bad_date)
    assert all(s.kind != "id_card" for s in detect(f"号码{bad_date}"))
    future = make_id("41010521990307123")
    assert not is_valid_id18(future)
    assert not is_plausible_id18(future)
    assert all(s.kind != "id_card" for s in detect(f"号码{future}"))


def test_a_wrong_check_character_is_still_an_id() -> None:
    # A citizen who mistypes one digit has still published their ID number.
    good = make_id("41010519900307123")
    bad_check = good[:17] + str((int(good[17]) + 1) % 10 if good[17] != "X" else 0)
    assert not is_valid_id18(bad_check)
    assert is_plausible_id18(bad_check)
    assert not is_checked_id(bad_check)
    assert is_checked_id(good) and is_checked_id("410105900307123")
    assert kinds_and_values(f"身份证号：{bad_check}，户籍郑州") == [("id_card", bad_check)]
    assert kinds_and_values(f"号码{wrong_check(good)}。") == [("id_card", wrong_check(good))]


@pytest.mark.parametrize("position", [*range(2, 6), *range(14, 18)])
def test_one_mistyped_digit_outside_province_and_date_is_found(position: int) -> None:
    good = make_id("44030619851120002")
    for digit in "0123456789":
        typo = good[:position] + digit + good[position + 1 :]
        if typo == good:
            continue
        # One typo in ten passes Luhn: that number is then masked as a card, not an ID.
        kind = "bank_card" if luhn_ok(typo) else "id_card"
        text = f"我的身份证{typo}，麻烦核实"
        assert kinds_and_values(text) == [(kind, typo)], typo


@pytest.mark.parametrize(
    "province",
    ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82"],
)
def test_every_province_prefix_opens_a_plausible_id(province: str) -> None:
    number = wrong_check(make_id(f"{province}010519900307123"))
    assert is_plausible_id18(number)
    assert kinds_and_values(f"证件号 {number}") == [("id_card", number)]


@pytest.mark.parametrize(
    "number",
    [
        "101010199003071234",  # 10: no province
        "161010199003071234",
        "201010199003071234",
        "301010199003071234",
        "471010199003071234",
        "551010199003071234",
        "721010199003071234",
        "831010199003071234",
        "911010199003071234",
        "410105199002301234",  # 30 February
        "410105187912311234",  # born before 1880
        "4101051990030712A4",  # a letter inside
    ],
)
def test_implausible_eighteen_digit_strings_are_no_ids(number: str) -> None:
    if is_valid_id18(number):  # the check holds by chance: it is an ID, so mistype it
        number = wrong_check(number)
    assert not is_valid_id18(number) and not is_plausible_id18(number)
    assert [s for s in detect(f"编号{number}") if s.kind == "id_card"] == []


@pytest.mark.parametrize(
    "text",
    [
        "订单号 202407201234567890 已发货",  # orders that open with their date: 20 is no province
        "京东订单 2873456123456789 已签收",  # 16 digits
        "淘宝订单 3456789012345678901",  # 19 digits
        "顺丰 SF1234567890123",
        "中通快递 78912345678901",
        "工单 123456789012345678",  # 12 opens no real date at 7–14 (7890…)
    ],
)
def test_order_and_tracking_numbers_are_no_ids(text: str) -> None:
    assert [s for s in detect(text) if s.kind == "id_card"] == []


def test_a_case_number_built_like_an_id_is_masked_as_one() -> None:
    # The trade-off, on purpose: area code + date + sequence is an ID's very structure.
    # Such a number is masked like an ID; a mistyped ID left readable would be worse.
    number = "410105202407200001"
    assert not is_valid_id18(number) and is_plausible_id18(number)
    assert kinds_and_values(f"编号{number}") == [("id_card", number)]


@pytest.mark.parametrize(
    ("written", "compact"),
    [
        ("410105 19900307 1231", "410105199003071231"),
        ("４１０１０５１９９００３０７１２３１", "410105199003071231"),
        ("４１０１０５　１９９００３０７　１２３１", "410105199003071231"),  # ideographic spaces
        ("４１０１０５１９９００３０７１２４ｘ", "41010519900307124x"),
        ("410105\u200b19900307\u200b1231", "410105199003071231"),  # zero-width, pasted
    ],
)
def test_mistyped_ids_with_separators_and_full_width_digits(written: str, compact: str) -> None:
    assert not is_valid_id18(compact) and is_plausible_id18(compact)
    text = f"身份证：{written}（户主）"
    spans = detect(text)
    assert [(s.kind, s.value) for s in spans] == [("id_card", written)]
    assert text[spans[0].start : spans[0].end] == written


@pytest.mark.parametrize("sep", ["-", ".", "－", "．", " "])
def test_ids_with_dashes_or_dots_between_blocks(sep: str) -> None:
    good = make_id("41010519900307123")
    for number in (good, wrong_check(good)):
        written = f"{number[:6]}{sep}{number[6:14]}{sep}{number[14:]}"
        text = f"我的证件{written}，请核实"
        assert kinds_and_values(text) == [("id_card", written)]
        assert kinds_and_values(f"号码：{written}") == [("id_card", written)]  # no cue needed


def test_dashed_numbers_that_are_no_ids() -> None:
    # The blocks must still be an ID's: province, a real date, sequence and check.
    for text in ("编号 410105-19901332-1234", "版本 201.19900307.1234", "单号 2024-07-20-1234"):
        assert [s for s in detect(text) if s.kind == "id_card"] == [], text


@pytest.mark.parametrize(
    "cue", ["身份证", "身份证号", "身份证号码", "身份证件号码", "证件号", "证件号码", "公民身份号码",
            "身份证号：", "身份证号码为", "证件号码: ", "身份证 "],
)  # fmt: skip
@pytest.mark.parametrize(
    "run",
    [
        "110105194912310021X",  # 19: a digit added (tests/servicedesk/test_open311_http.py)
        "1101051949123100211",  # 19 digits
        "11010519491231002",  # 17: the check character left out
        "1101051949123102X",  # 17: a digit of the sequence left out
        "110105194913310021",  # 18 with month 13: a typo in the date
        "990105194912310021",  # 18 with no province: a typo in the first digit
        "1101051949123100",  # 16 and 14: the old 15-digit form, a digit added or dropped
        "11010549123100",
        "110105 19491231 002",  # 17 in blocks
        "110105-19491231-0021X",  # 19 in blocks
    ],
)
def test_near_ids_right_after_an_id_cue_are_ids(cue: str, run: str) -> None:
    text = f"求助人{cue}{run}，请核实"
    assert kinds_and_values(text) == [("id_card", run)]


@pytest.mark.parametrize(
    "text",
    [
        "订单号 11010519491231002 已发货",  # 17 digits without a cue
        "流水号1101051949123100211",  # 19 digits without a cue
        "身份证已丢失，补办单号11010519491231002",  # the cue is not right before the number
        "身份证号后四位1234",
        "身份证号码13800001234",  # 11 digits after the cue: a phone, masked as one
        "证件号 41010519900307123456789",  # 23 digits: too long for an ID however mistyped
    ],
)
def test_near_ids_need_the_cue_and_an_id_length(text: str) -> None:
    assert [s for s in detect(text) if s.kind == "id_card"] == []


def test_a_near_id_after_a_cue_ends_at_the_sentence() -> None:
    # A short group after a space belongs to the sentence; a long one after a full run
    # is something else.
    assert kinds_and_values("身份证号 41010519900307123 2人被困") == [
        ("id_card", "41010519900307123")
    ]
    assert kinds_and_values("身份证号41010519900307123 456号楼")[0] == (
        "id_card", "41010519900307123",
    )  # fmt: skip
    wide = "身份证号：４１０１０５１９９００３０７１２３"
    assert kinds_and_values(wide) == [("id_card", "４１０１０５１９９００３０７１２３")]


def test_old_fifteen_digit_ids() -> None:
    assert is_valid_id15("410105900307123")
    assert not is_valid_id15("410105901307123")  # month 13
    assert kinds_and_values("老身份证410105900307123") == [("id_card", "410105900307123")]


def test_an_id_is_never_read_as_a_card_or_phone() -> None:
    # This ID also passes Luhn; the stricter check wins.
    number = next(
        make_id(f"41010519900307{n:03d}") for n in range(1000)
        if luhn_ok(make_id(f"41010519900307{n:03d}"))
    )  # fmt: skip
    assert kinds_and_values(number) == [("id_card", number)]
    # And asking only for cards does not turn it into one.
    assert detect(number, {"bank_card"}) == []


def test_a_luhn_valid_card_beats_a_mistyped_id() -> None:
    # 18 digits opening with 62 (甘肃, and UnionPay) and a date: a card that passes Luhn is
    # a card, not a mistyped ID; one that fails Luhn is read as the mistyped ID, but after a
    # card cue.
    cards = [f"62010519900307{n:03d}" for n in range(1000)]
    card = next(c + d for c in cards for d in "0123456789"
                if luhn_ok(c + d) and not is_valid_id18(c + d))  # fmt: skip
    assert is_plausible_id18(card)
    assert kinds_and_values(f"卡号{card}") == [("bank_card", card)]
    # Asking only for IDs does not turn the card into one.
    assert detect(card, {"id_card"}) == []
    not_luhn = card[:17] + str((int(card[17]) + 5) % 10)
    assert not luhn_ok(not_luhn) and not is_valid_id18(not_luhn)
    assert kinds_and_values(f"号码{not_luhn}") == [("id_card", not_luhn)]
    # After a card cue it is a card all the same (rules 10): the citizen says so.
    assert kinds_and_values(f"卡号{not_luhn}") == [("bank_card", not_luhn)]


def test_a_mistyped_id_ending_in_x_is_no_card_and_a_letter() -> None:
    # Its first 17 digits pass Luhn, but a card is never glued to an X: masking the
    # 17 digits as a card would leave the X behind (found by the property tests).
    number = "65260420000217388X"
    assert luhn_ok(number[:17]) and is_plausible_id18(number) and not is_valid_id18(number)
    assert kinds_and_values(f"身份证{number}，电话") == [("id_card", number)]
    assert kinds_and_values(f"编号{number}") == [("id_card", number)]


def test_a_checked_id_still_beats_a_card() -> None:
    number = next(
        make_id(f"62010519900307{n:03d}") for n in range(1000)
        if luhn_ok(make_id(f"62010519900307{n:03d}"))
    )  # fmt: skip
    assert kinds_and_values(number) == [("id_card", number)]


# ---------------------------------------------------------------- bank cards


@pytest.mark.parametrize("length", [16, 17, 18, 19])
def test_luhn_valid_cards_of_every_length(length: int) -> None:
    card = make_card("6222", length)
    assert kinds_and_values(f"退款请打到卡号{card}") == [("bank_card", card)]


def test_grouped_card_and_a_short_group_after_it() -> None:
    card = make_card("6228", 16)
    grouped = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    assert kinds_and_values(f"卡号 {grouped} 户名王女士") == [("bank_card", grouped)]
    # "… 2人": the trailing digit belongs to the sentence, not to the card.
    assert kinds_and_values(f"{grouped} 2人") == [("bank_card", grouped)]


def test_luhn_invalid_or_odd_prefix_is_no_card() -> None:
    card = make_card("6222", 16)
    broken = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert not luhn_ok(broken)
    assert detect(broken) == []
    order = make_card("2024", 16)  # order numbers start with the year
    assert detect(f"订单{order}") == []


# ---------------------------------------------------------------- plates and e-mails


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("车牌豫A12345的白色轿车", "豫A12345"),
        ("京A·D12345新能源", "京A·D12345"),
        ("京AD12345", "京AD12345"),
        ("粤B 12345停在路边", "粤B 12345"),
        ("沪C12345D", "沪C12345D"),
        ("教练车豫A1234学", "豫A1234学"),
        ("湘a8B2C5违停", "湘a8B2C5"),
    ],
)
def test_licence_plates(text: str, value: str) -> None:
    assert kinds_and_values(text) == [("plate", value)]


@pytest.mark.parametrize(
    "text",
    ["豫ABCDEF", "京AB1234567", "豫I12345", "京A123456"],  # letters only, too long, I, not NEV
)
def test_plate_shaped_strings_that_are_no_plates(text: str) -> None:
    assert [s for s in detect(text) if s.kind == "plate"] == []


def test_emails_including_a_phone_number_as_local_part() -> None:
    assert kinds_and_values("邮箱 zhang.wei-01@example.com.cn 谢谢") == [
        ("email", "zhang.wei-01@example.com.cn")
    ]
    # The whole address is one span: the mobile inside it is not reported twice.
    assert kinds_and_values("13800001234@qq.com") == [("email", "13800001234@qq.com")]
    assert detect("不是邮箱：@qq.com 或 a@b") == []


def test_spans_are_ordered_non_overlapping_and_match_the_text() -> None:
    number = make_id("41010519900307123")
    text = f"姓名：张伟 电话13800001234 身份证{number} 车牌豫A12345 邮箱zw@qq.com"
    spans = detect(text)
    assert [s.kind for s in spans] == ["name", "phone", "id_card", "plate", "email"]
    assert all(isinstance(s, PiiSpan) and text[s.start : s.end] == s.value for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert [s.kind for s in detect(text, {"phone", "plate"})] == ["phone", "plate"]


# A card cue (银行卡号, 卡号, 账号 …) says what follows is a card: a citizen who mistypes a
# digit has still published it. A reference cue (订单号, 工单号, 运单号 …) says what follows
# is no card, though one in ten such numbers passes Luhn.
@pytest.mark.parametrize(
    "cue", ["银行卡号", "银行卡号：", "卡号 ", "工行卡", "银行账号为", "账户："]
)
def test_a_number_after_a_card_cue_is_a_card_even_failing_luhn(cue: str) -> None:
    card = make_card("6222", 16)
    mistyped = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert not luhn_ok(mistyped)
    assert kinds_and_values(f"退款请打到{cue}{mistyped}，谢谢") == [("bank_card", mistyped)]
    grouped = " ".join(mistyped[i : i + 4] for i in range(0, 16, 4))
    assert kinds_and_values(f"{cue}{grouped} 2人") == [("bank_card", grouped)]
    nineteen = make_card("6217", 19)[:-1] + "0"
    assert kinds_and_values(f"{cue}{nineteen}") == [("bank_card", nineteen)]


@pytest.mark.parametrize(
    "cue", ["订单号", "订单号：", "京东订单 ", "工单号", "快递单号：", "运单号", "流水号", "编号"]
)
def test_a_luhn_valid_number_after_a_reference_cue_is_no_card(cue: str) -> None:
    order = make_card("6222", 16)
    assert luhn_ok(order)
    assert detect(f"{cue}{order}已退款") == []
    # A card cue right before the number wins: 卡编号, 银行卡单号 name a card.
    assert kinds_and_values(f"银行卡{order}") == [("bank_card", order)]
    # Without any cue a Luhn-valid number with a card's prefix is still a card.
    assert kinds_and_values(f"退款到{order}") == [("bank_card", order)]


def test_a_short_or_long_number_after_a_card_cue_is_no_card() -> None:
    assert detect("卡号123456789012345，") == []  # 15 digits
    assert [s for s in detect("账号12345678901234567890") if s.kind == "bank_card"] == []
