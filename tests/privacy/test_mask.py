"""Masks for public display, one kind at a time and in whole posts."""

from __future__ import annotations

import re

import pytest

from zhengwu.privacy import (
    mask_bank_card,
    mask_email,
    mask_id_card,
    mask_name,
    mask_phone,
    mask_plate,
    mask_text,
)
from zhengwu.privacy.numbers import id_check_char

ID = "41010519900307123" + id_check_char("41010519900307123")


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800001234", "138****1234"),
        ("138-0000-1234", "138****1234"),
        ("+86 138 0000 1234", "138****1234"),
        ("0086-13800001234", "138****1234"),
        ("１３８００００１２３４", "138****1234"),
        ("0371-12345678", "0371-****5678"),
        ("（010）12345678", "010-****5678"),
        ("020 8765 4321", "020-****4321"),
        ("12345", "*2345"),
    ],
)
def test_mask_phone(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张伟", "张*"), ("王小明", "王*"), ("欧阳娜娜", "欧阳*"), ("欧阳修", "欧阳*"), ("张", "张")],
)
def test_mask_name_keeps_only_the_surname(value: str, masked: str) -> None:
    assert mask_name(value) == masked


def test_mask_other_kinds() -> None:
    assert mask_id_card(ID) == "4101**********" + ID[-4:]
    assert mask_id_card("410105900307123") == "4101*******7123"
    assert mask_plate("豫A12345") == "豫A***45"
    assert mask_plate("京A·D12345") == "京A****45"
    assert mask_plate("粤B 12345") == "粤B***45"
    assert mask_email("zhangwei@qq.com") == "z***@qq.com"
    assert mask_email("a@13800001234.com") == "a***@***********.com"
    assert mask_bank_card("6222 0212 3456 7890") == "****7890"


def test_mask_a_help_post() -> None:
    post = (
        "#河南暴雨互助# 【姓名】刘桂英【年龄】78【地址】郑州市金水区文化路32号院3号楼"
        "【联系方式】138 0000 1234（儿子张伟先生），备用0371-65123456"
    )
    assert mask_text(post) == (
        "#河南暴雨互助# 【姓名】刘*【年龄】78【地址】郑州市金水区文化路32号院3号楼"
        "【联系方式】138****1234（儿子张*先生），备用0371-****3456"
    )


def test_mask_a_complaint_with_every_kind() -> None:
    text = (
        f"我叫李娜，身份证{ID}，手机+86 139 0000 5678，邮箱lina88@163.com。"
        "车牌豫A12345被拖走，押金退到卡号6222021234567890128。"
    )
    masked = mask_text(text)
    assert masked == (
        f"我叫李*，身份证4101**********{ID[-4:]}，手机139****5678，邮箱l***@163.com。"
        "车牌豫A***45被拖走，押金退到卡号****0128。"
    )
    assert mask_text(masked) == masked


def test_a_mistyped_id_is_masked_like_a_checked_one() -> None:
    mistyped = ID[:17] + "1"  # the check character is X
    text = f"求助人李娜，身份证号{mistyped}（最后一位可能写错了），电话13900005678"
    masked = mask_text(text)
    assert masked == "求助人李*，身份证号4101**********1231（最后一位可能写错了），电话139****5678"
    assert mask_text(masked) == masked
    assert mask_text(text, {"id_card"}) == text.replace(mistyped, "4101**********1231")
    # Written in blocks with full-width digits and spaces, as pasted from a phone.
    wide = "４１０１０５　１９９００３０７　１２３１"
    assert mask_text(f"证件：{wide}。") == "证件：4101**********1231。"


def test_third_parties_and_mistyped_ids_are_masked() -> None:
    text = (
        "邻居李秀英占用楼道，我妈王桂兰为此摔伤。身份证号110105194912310021X（多打了一位），"
        "证件410105-19900307-1231，补办的是410105.19900307.1231。"
    )
    masked = mask_text(text)
    assert masked == (
        "邻居李*占用楼道，我妈王*为此摔伤。身份证号1101***********021X（多打了一位），"
        "证件4101**********1231，补办的是4101**********1231。"
    )
    assert mask_text(masked) == masked
    # Without the cue, a 17- or 19-digit number stays: it is no ID's shape.
    assert mask_text("订单11010519491231002已发货") == "订单11010519491231002已发货"
    assert mask_text("邻居家漏水，邻居王大爷帮忙") == "邻居家漏水，邻居王大爷帮忙"


def test_mask_only_some_kinds() -> None:
    text = "张伟先生 13800001234 豫A12345"
    assert mask_text(text, {"phone"}) == "张伟先生 138****1234 豫A12345"
    assert mask_text(text, {"name", "plate"}) == "张*先生 13800001234 豫A***45"
    assert mask_text(text, set()) == text


def test_text_without_personal_data_is_returned_unchanged() -> None:
    text = "A市A2区桂花坪街道的路灯坏了三个月，12345热线已反映多次。"
    assert mask_text(text) is text


def test_numbers_next_to_numbers_keep_their_readable_masks() -> None:
    assert mask_text("13800001234 13900001234") == "138****1234 139****1234"
    assert mask_text("电话13800001234 2人被困") == "电话138****1234 2人被困"
    assert mask_text("一位姓王的老人") == "一位姓王的老人"  # a bare surname is kept


def test_a_chain_of_digit_groups_is_masked_until_nothing_is_left() -> None:
    # Masking the landline read inside the chain uncovers a mobile; the second pass masks it.
    text = "130-0000-0300130-0300-1000130-0000-0000"
    masked = mask_text(text)
    assert masked.count("*") >= 14
    assert re.search(r"(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)", masked) is None
    assert mask_text(masked) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("电话一三八一二三四五六七八 三人被困", "电话138****5678 三人被困"),
        ("幺三八 幺二三四 五六七八", "138****5678"),
        ("一三八００００一一一一", "138****1111"),
        ("138  0000  1111，水深一米五", "138****1111，水深一米五"),
        ("138.0000.1111 我家三人", "138****1111 我家三人"),
        ("135 - 0000 - 5555", "135****5555"),
        ("零三七一 六六六六 一二三四", "0371-****1234"),
        # Not phones: dates, counts, depths, floors, ten-digit runs.
        (
            "二〇二一年七月二十一日 水深一米五 三人在二楼",
            "二〇二一年七月二十一日 水深一米五 三人在二楼",
        ),
        ("一二三四五六七八九〇", "一二三四五六七八九〇"),
    ],
)
def test_phones_in_chinese_numerals_and_odd_groupings_are_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked
    assert mask_text(masked) == masked
