"""Properties of masking over generated texts: idempotent, and nothing identifying left."""

from __future__ import annotations

import itertools
import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from zhengwu.privacy import detect, mask_text
from zhengwu.privacy.fold import fold

# Independent of the implementation: a standalone mobile, compact or grouped 3-4-4.
_LEFT_MOBILE = re.compile(r"(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_ID_SHAPE = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]


def _is_valid_id(number: str) -> bool:
    check = (12 - sum(int(c) * w for c, w in zip(number, _WEIGHTS, strict=False)) % 11) % 11
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    ok_check = number[17].upper() == ("X" if check == 10 else str(check))
    return ok_check and number[0] != "0" and date(1880, 1, 1) <= born <= date.today()


# Province-level codes (GB/T 2260) that open an ID number, written out once more here.
_PROVINCES = (
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
)  # fmt: skip


def _is_mistyped_id(number: str) -> bool:
    """A province, a real birth date and any check character: someone's ID, mistyped."""
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return number[:2] in _PROVINCES and date(1880, 1, 1) <= born <= date.today()


# An ID in blocks separated by a space, dash or dot (410105-19900307-1234, 410105.1990…).
_ID_BLOCKS = re.compile(r"(?<!\d)\d{6}[ .-]\d{8}[ .-]\d{3}[\dXx](?![\dXx])")
# Right after an ID cue, a run of 17 or 19 ID characters: an ID with a digit dropped or added.
_NEAR_ID = re.compile(
    r"(?:身份证|证件|公民身份)件?(?:号码|号)?[：: ]*(\d{16}[\dXx]|\d{18}[\dXx])(?![\dXx])"
)


def _leftovers(text: str) -> list[str]:
    folded = fold(text)
    ids = [
        m.group()
        for m in _ID_SHAPE.finditer(folded)
        if _is_valid_id(m.group()) or _is_mistyped_id(m.group())
    ]
    blocks = [
        m.group()
        for m in _ID_BLOCKS.finditer(folded)
        if _is_valid_id(re.sub(r"\D", "", m.group()[:-1]) + m.group()[-1])
        or _is_mistyped_id(re.sub(r"\D", "", m.group()[:-1]) + m.group()[-1])
    ]
    return _LEFT_MOBILE.findall(folded) + ids + blocks + _NEAR_ID.findall(folded)


_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
_FULL_WIDTH_ID = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    number = draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    form = draw(st.sampled_from(["plain", "dash", "space", "plus86", "86dash", "wide"]))
    grouped = f"{number[:3]}{{0}}{number[3:7]}{{0}}{number[7:]}"
    return {
        "plain": number,
        "dash": grouped.format("-"),
        "space": grouped.format(" "),
        "plus86": "+86 " + grouped.format(" "),
        "86dash": "86-" + number,
        "wide": grouped.format("-").translate(_FULL_WIDTH),
    }[form]


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    area = draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
    born = draw(st.dates(date(1920, 1, 1), date(2020, 12, 31)))
    seq = draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    first17 = f"{area}{born:%Y%m%d}{seq}"
    check = (12 - sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11) % 11
    return first17 + ("X" if check == 10 else str(check))


@st.composite
def mistyped_ids(draw: st.DrawFn) -> str:
    """An ID number with a real province and birth date whose check character is wrong."""
    number = draw(id_numbers())
    province = draw(st.sampled_from(_PROVINCES))
    first17 = province + number[2:17]
    check = (12 - sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11) % 11
    right = "X" if check == 10 else str(check)
    wrong = draw(st.sampled_from([c for c in "0123456789Xx" if c.upper() != right]))
    return first17 + wrong


@st.composite
def ids_in_blocks(draw: st.DrawFn) -> str:
    """A valid or mistyped ID written in blocks: 410105-19900307-1234, 410105.19900307.1234."""
    number = draw(st.one_of(id_numbers(), mistyped_ids()))
    sep = draw(st.sampled_from(["-", ".", " ", "－", "．"]))
    return f"{number[:6]}{sep}{number[6:14]}{sep}{number[14:]}"


@st.composite
def near_ids(draw: st.DrawFn) -> str:
    """An ID cue and an ID with a digit dropped or added (17 or 19 characters)."""
    cue = draw(st.sampled_from(["身份证", "身份证号", "身份证号码：", "证件号", "公民身份号码"]))
    number = draw(st.one_of(id_numbers(), mistyped_ids()))
    at = draw(st.integers(0, 16))
    digit = draw(st.sampled_from("0123456789"))
    typo = draw(
        st.sampled_from([number[:at] + number[at + 1 :], number[:at] + digit + number[at:]])
    )
    return cue + typo


_WORDS = st.sampled_from(
    ["我叫", "我是", "姓名：", "联系人", "先生", "女士", "老人", "姓", "张伟", "王小明", "欧阳",
     "刘桂英", "金水区", "文化路", "32号", "求助", "电话", "，", "。", " ", "-", "+", "@", "豫A",
     "qq.com", "身份证", "卡号", "6222", "0371-", "（010）", "*", "邻居", "我妈", "房东", "业主",
     "身份证号", "证件号码：", "李秀英", "家", "阿姨", "."]
)  # fmt: skip
_FILLER = st.text(alphabet="0123456789 -+()@.abcXx张王李刘伟明区路号的了一", max_size=6)
_PIECES = st.one_of(
    mobiles(), id_numbers(), mistyped_ids(), ids_in_blocks(), near_ids(), _WORDS, _FILLER
)
_TEXTS = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_masking_is_idempotent(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_masking_leaves_no_mobile_and_no_valid_id(text: str) -> None:
    assert _leftovers(mask_text(text)) == []


@settings(max_examples=200, deadline=None)
@given(mobiles(), id_numbers(), st.sampled_from(["，", "。", " ", "：", "张先生", "\n"]))
def test_planted_numbers_are_always_found(mobile: str, number: str, sep: str) -> None:
    text = f"电话{mobile}{sep}身份证{number}{sep}"
    assert [s.kind for s in detect(text)] == ["phone", "id_card"]
    assert _leftovers(text) != []  # the independent check sees them before masking …
    assert _leftovers(mask_text(text)) == []  # … and not after


@settings(max_examples=200, deadline=None)
@given(
    mistyped_ids(),
    st.sampled_from(["plain", "spaced", "wide", "wide-spaced"]),
    st.sampled_from(["，", "。", " ", "：", "张先生", "\n", "号"]),
)
def test_planted_mistyped_ids_are_always_masked(number: str, form: str, sep: str) -> None:
    written = {
        "plain": number,
        "spaced": f"{number[:6]} {number[6:14]} {number[14:]}",
        "wide": number.translate(_FULL_WIDTH_ID),
        "wide-spaced": f"{number[:6]}\u3000{number[6:14]}\u3000{number[14:]}".translate(
            _FULL_WIDTH_ID
        ),
    }[form]
    text = f"身份证{written}{sep}电话13800001234"
    spans = detect(text)
    # A mistyped ID that happens to pass Luhn is masked as a bank card: masked all the same.
    assert [s.kind for s in spans][1:] == ["phone"]
    assert spans[0].value == written and spans[0].kind in ("id_card", "bank_card")
    masked = mask_text(text)
    assert _leftovers(masked) == []
    assert re.search(r"\d{5}", fold(masked).replace(" ", "")) is None


@settings(max_examples=200, deadline=None)
@given(ids_in_blocks(), near_ids(), st.sampled_from(["，", "。", " ", "：", "张先生", "\n", "号"]))
def test_planted_ids_in_blocks_and_near_ids_are_always_masked(
    blocks: str, near: str, sep: str
) -> None:
    text = f"证件{blocks}{sep}{near}{sep}电话13800001234"
    assert _leftovers(text) != []  # the independent check sees them before masking …
    masked = mask_text(text)
    assert _leftovers(masked) == []  # … and not after
    assert re.search(r"\d{5}", fold(masked).replace(" ", "")) is None
    assert mask_text(masked) == masked


# Surnames and given names that make no dictionary word together (李娜 and 黄海 would:
# see docs/privacy.md for what a relation word cannot tell from a word).
_SURNAMES = st.sampled_from([*"李王张刘陈杨赵周吴徐孙胡郭何罗郑谢宋唐许韩冯邓曹彭肖田董", "欧阳"])
_GIVEN = st.sampled_from(
    ["秀英", "桂兰", "建国", "伟", "芳", "敏", "静", "丽", "强", "磊", "艳", "杰", "涛", "超",
     "霞", "桂英", "玉兰", "志强", "建华", "淑珍", "红梅", "德华", "海燕", "晓东", "俊杰"]
)  # fmt: skip
_RELATIONS = st.sampled_from(
    ["邻居", "我爸", "我妈", "父亲", "母亲", "老公", "丈夫", "妻子", "儿子", "女儿", "同事",
     "房东", "租客", "老板", "村民", "患者", "老人", "朋友", "我的邻居", "本组村民"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    _RELATIONS, _SURNAMES, _GIVEN,
    st.sampled_from(["，", "。", " ", "说", "住院了", "（", "\n", "", "、", "电话13800001234"]),
)  # fmt: skip
def test_planted_third_party_names_are_masked(
    relation: str, surname: str, given: str, after: str
) -> None:
    text = f"{relation}{surname}{given}{after}"
    masked = mask_text(text)
    assert masked.startswith(f"{relation}{surname}*")
    assert f"{surname}{given}" not in masked
    assert mask_text(masked) == masked


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_spans_are_well_formed_for_any_text(text: str) -> None:
    spans = detect(text)
    assert all(text[s.start : s.end] == s.value and s.start < s.end for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    once = mask_text(text)
    assert mask_text(once) == once


_FOLD_ALPHABET = st.sampled_from(
    [*"０９ＡＺａｚ＋－＠．＿＃\u3000‐—−﹣•・\u200b\ufeff", *"，！（）一二京A·1-x 号楼路灯"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(_FOLD_ALPHABET, max_size=40))
def test_fold_replaces_what_the_table_folds_and_nothing_else(text: str) -> None:
    from zhengwu.privacy.fold import _TABLE

    folded = fold(text)
    assert folded == text.translate(_TABLE)
    assert len(folded) == len(text)


_CUES = st.sampled_from(
    ["的电话：{p}", "电话{p}", "的手机：{p}", "手机号{p}", "：{p}", ":{p}", " {p}", "，电话：{p}",
     "，联系电话{p}", "的联系方式：{p}", "電話：{p}"]
)  # fmt: skip
_BEFORE_NAME = st.sampled_from(["", "，", "。", "\n", "联系", "找", "负责人：", "村里的", "网格员"])


@settings(max_examples=300, deadline=None)
@given(_BEFORE_NAME, _SURNAMES, _GIVEN, _CUES, mobiles(), st.sampled_from(["", "，", "。谢谢"]))
def test_planted_names_beside_a_contact_cue_are_masked(
    before: str, surname: str, given: str, cue: str, mobile: str, after: str
) -> None:
    text = f"{before}{surname}{given}{cue.format(p=mobile)}{after}"
    masked = mask_text(text)
    assert f"{surname}{given}" not in masked
    assert f"{surname}*" in masked
    assert _leftovers(masked) == []
    # Idempotent, and masking the masked text changes nothing: no star becomes a
    # character again, and the phone's mask is not grown back to a longer form.
    assert mask_text(masked) == masked
    digits = re.sub(r"\D", "", fold(mobile))[-11:]
    assert f"{digits[:3]}****{digits[-4:]}" in masked


@settings(max_examples=300, deadline=None)
@given(_BEFORE_NAME, _SURNAMES, _GIVEN, _CUES, mobiles())
def test_texts_stored_under_older_rules_get_their_names_masked(
    before: str, surname: str, given: str, cue: str, mobile: str
) -> None:
    digits = re.sub(r"\D", "", fold(mobile))[-11:]
    # What the old rules stored: the phone masked (by the text masker or the desk's own
    # 138******78), the name still readable.
    for masked_phone in (f"{digits[:3]}****{digits[-4:]}", f"{digits[:3]}******{digits[-2:]}"):
        stored = f"{before}{surname}{given}{cue.format(p=masked_phone)}"
        masked = mask_text(stored)
        assert masked == stored.replace(f"{surname}{given}", f"{surname}*", 1)
        assert mask_text(masked) == masked


_MASKED_PIECES = st.one_of(_PIECES, _CUES.map(lambda c: c.format(p="138****5678")))


@settings(max_examples=400, deadline=None)
@given(st.lists(_MASKED_PIECES, max_size=12).map("".join))
def test_masking_never_unmasks(text: str) -> None:
    once = mask_text(text)
    # Every star of the text is still there: masking only adds stars, never turns one back.
    assert once.count("*") >= text.count("*")
    assert mask_text(once) == once
    assert len(mask_text(once)) == len(once)
