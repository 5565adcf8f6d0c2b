"""Numbers and identifiers in text: phones, ID cards, bank cards, licence plates, e-mails.

Every finder runs on folded text (:func:`zhengwu.privacy.fold.fold`) and yields
``(kind, start, end)``; overlaps between kinds are settled by :func:`zhengwu.privacy.detect`.
A number counts only when it stands alone: digits right before or after it mean it is
part of something longer (an order number, a longer ID) and is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from zhengwu.privacy.kinds import Found

# Patterns start with a literal or a small character set and test "no digit before" with
# a lookbehind placed after that first character (``1(?<!\d1)``): Python's regex engine then
# skips ahead to candidate characters instead of trying every position (10× faster).

# Mobile: 1[3-9] and nine more digits; one space or dash may sit between any two digits
# because people group numbers 3-4-4, 4-3-4 or not at all.
MOBILE = re.compile(r"1(?<!\d1)[3-9]\d(?:[ -]?\d){8}(?!\d)")
# The same after a country code: +86, 0086, 86-, (+86). Matched from "86"; the "+", "00"
# or "(" before it is added by :func:`_prefixed_mobiles`.
MOBILE_86 = re.compile(r"86(?:[)）][ -]?|[ -]?)1[3-9]\d(?:[ -]?\d){8}(?!\d)")
_BEFORE_86 = re.compile(r"(?:[(（](?:\+|00)?|\+|00)?$")
# Landline: area code 010 / 02x (three digits) or 0xxx (four), in brackets or not, then a
# 7–8 digit local number (grouped 3-4 / 4-4 or not) and an optional extension.
_AREA = r"0(?:10|2\d|[3-9]\d{2})"
AREA_CODE = re.compile(_AREA)
LANDLINE = re.compile(
    rf"(?:[(（]{_AREA}[)）]|0(?<![\d+]0)(?:10|2\d|[3-9]\d{{2}}))[ -]?[1-9]\d{{2,3}}[ -]?\d{{4}}(?:-\d{{1,4}})?(?!\d)"
)
# Phones spelled out or spaced oddly: Chinese numerals (一三八…, 幺 for one, 零/〇 for zero,
# the financial 壹贰叁…), mixed with digits, or grouped by several spaces, dashes, dots or
# underscores ("138  0000  1111", "138.0000.1111"). Runs of at least ten such characters;
# :func:`spelled_phones` keeps the groups whose digits make a mobile or a landline.
# 十 and 两 are left out: no one reads a phone number with them, but counts use them.
SPELLED_DIGITS = "0123456789零〇一幺壹二贰三叁四肆五伍六陆七柒八捌九玖"
NUMERAL_TO_DIGIT = str.maketrans(
    "零〇一幺壹二贰三叁四肆五伍六陆七柒八捌九玖", "001112233445566778899"
)
_SPELLED_SEP = r"[ \t\-.·_]"
_SPELLED_RUN = re.compile(rf"[{SPELLED_DIGITS}](?:{_SPELLED_SEP}{{0,3}}[{SPELLED_DIGITS}]){{9,}}")
_SPELLED_GROUP = re.compile(rf"[{SPELLED_DIGITS}]+")
_NUMERALS = re.compile("[零〇一幺壹二贰三叁四肆五伍六陆七柒八捌九玖]")
_SPELLED_MOBILE = re.compile(r"1[3-9]\d{9}")
_SPELLED_LANDLINE = re.compile(rf"{_AREA}[1-9]\d{{6,7}}")
_SPELLED_MAX = 12


def spelled_digits(value: str) -> str:
    """Return the digits of a number as written, Chinese numerals read as digits."""
    return "".join(c for c in value.translate(NUMERAL_TO_DIGIT) if c.isdigit())


# 身份证: 6-digit area, birth date, 3-digit sequence and a check character; the old 15-digit
# form has a 2-digit year and no check character. A space, a dash or a dot may sit between
# the blocks (410105 19900307 1234, 410105-19900307-1234, 410105.19900307.1234).
# A match is an ID when its check character is right (is_valid_id18) and also, ranked
# lower, when only the check character is wrong (is_plausible_id18): a mistyped ID.
ID18 = re.compile(
    r"[1-9](?<!\d\d)\d{5}[ .-]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ .-]?"
    r"\d{3}[\dXx](?![\dXx])"
)
ID_SEPARATORS = re.compile(r"[ .-]")
# A word that says an ID number follows: 身份证, 身份证号(码), 身份证件号码, 证件号(码),
# 公民身份号码, then perhaps 是/为, a colon or spaces. Right after one, a run of 14–19 ID
# characters is someone's ID number however it is mistyped — a digit left out or added
# (17 or 19 characters; 14 or 16 for the old form), a typo in the province code or the
# birth date: the cue says what it is. The run's groups may be separated by a space, dash
# or dot when each is at least three digits long ("… 123 2人": the 2 is the sentence's).
ID_CUE = re.compile(r"(?:公民身份|身份证件?|证件)(?:号码|号)?(?:是|为)?[ :：]*(?=\d)")
_CUE_RUN = re.compile(r"\d+(?:[ .-]\d{3,})*[Xx]?(?![\dXx])")
CUE_RUN_LENGTHS = range(14, 20)
ID15 = re.compile(r"[1-9](?<!\d\d)\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)")
# Bank cards: 16–19 digits, grouped by four or not. Issuer prefixes 3 (Amex/JCB), 4 (Visa),
# 5 (Mastercard), 6 (UnionPay 62…) and 9 (old domestic debit 95…): other leading digits
# are order and tracking numbers far more often than cards. A card never starts right after
# an ID's check letter X (…597X4952…: one glued string, not two numbers), nor ends right
# before one (65260420000217388X is a mistyped ID whose first 17 digits pass Luhn).
CARD = re.compile(r"[3-69](?<![\dXx]\d)\d{3}(?:[ -]?\d{4}){3}(?:([ -]?)\d{1,3})?(?![\dXx])")
# A word that says a card number follows (银行卡号, 工行卡, 卡号, 银行账号, 账户 …, then
# perhaps 是/为, a colon or spaces): right after one, 16–19 digits are a card whatever their
# first digit and though they fail Luhn — a citizen who mistypes a digit of their card has
# still published it, and the cue says what it is.
CARD_CUE = re.compile(r"(?:卡|[账帐](?:号|户))(?:号码|编号|号)?(?:是|为)?[ :：]*(?=\d)")
_CUE_CARD_RUN = re.compile(r"\d{4}(?:[ -]?\d{4}){3}(?:([ -]?)\d{1,3})?(?![\dXx])")
# A word that says the number after it is a reference, not a card (订单号, 京东订单, 工单号,
# 快递单号, 运单号, 流水号, 编号 …, then perhaps 是/为, a colon, spaces or #): one such
# number in ten passes Luhn, and masking it hid an order number the public may need. Not
# after 卡 or 账 (卡编号, 银行卡单号: a card).
_REFERENCE_BEFORE = re.compile(
    r"(?<![卡账帐])(?:(?:订单|运单|快递单|快递|物流单|物流|工单|流水|交易单|发票|合同|案件|受理"
    r"|设备|业务)(?:编号|号码|单号|号|编码)?|单号|编号|编码|序列号)(?:是|为)?[ :：#]*$"
)
# Licence plates: province character, issuing-office letter, an optional dot or space, and
# five characters (ordinary), six (new energy: D/F first or last), or four and 挂/学/警/港/澳.
# Letters I and O are never used on plates.
PROVINCE_CHARS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_PLATE_CHAR = "[A-HJ-NP-Za-hj-np-z0-9]"
PLATE = re.compile(
    rf"[{PROVINCE_CHARS}][A-HJ-NP-Za-hj-np-z][ ·-]?"
    rf"(?:{_PLATE_CHAR}{{5,6}}|{_PLATE_CHAR}{{4}}[挂学警港澳])(?![A-Za-z0-9])"
)
_NEW_ENERGY = re.compile(r"[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF]")
EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# The province-level codes an ID number opens with (GB/T 2260): 11–15 north, 21–23
# north-east, 31–37 east, 41–46 centre and south, 50–54 south-west, 61–65 north-west,
# 71 Taiwan, 81 Hong Kong, 82 Macao.
ID_PROVINCES = frozenset(
    f"{code}" for code in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47),
                           *range(50, 55), *range(61, 66), 71, 81, 82)
)  # fmt: skip


def id_check_char(first17: str) -> str:
    """Return the GB 11643 check character of the first 17 digits of an ID number."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _valid_birth(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1880, 1, 1) <= born <= date.today()


def is_valid_id18(number: str) -> bool:
    """Return whether ``number`` is an 18-character ID number with a real date and check."""
    if len(number) != 18 or not number[:17].isdigit() or number[0] == "0":
        return False
    if not _valid_birth(int(number[6:10]), int(number[10:12]), int(number[12:14])):
        return False
    return id_check_char(number[:17]) == number[17].upper()


def is_plausible_id18(number: str) -> bool:
    """Return whether ``number`` is built like an 18-character ID number, check aside.

    A province code first (:data:`ID_PROVINCES`), a real birth date in positions 7–14,
    17 digits and a digit or X last. True for an ID whose check character is wrong — a
    digit mistyped anywhere but the province and the date — as well as for a valid one.
    """
    if len(number) != 18 or not number[:17].isdigit() or number[:2] not in ID_PROVINCES:
        return False
    if not (number[17].isdigit() or number[17] in "Xx"):
        return False
    return _valid_birth(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def is_checked_id(value: str) -> bool:
    """Return whether an ID candidate (as :func:`find_numbers` found it) passes every check.

    An old 15-digit number has only its date to check, and a run of another length was
    found right after an ID cue (身份证号 …), which is check enough; an 18-character one must
    have the right check character. False for a mistyped ID (:func:`is_plausible_id18`, or
    an implausible 18 after a cue), which :func:`zhengwu.privacy.detect` ranks below
    checked IDs and bank cards.
    """
    number = ID_SEPARATORS.sub("", value)
    return len(number) != 18 or is_valid_id18(number)


def is_valid_id15(number: str) -> bool:
    """Return whether ``number`` is an old 15-digit ID number with a real birth date."""
    if len(number) != 15 or not number.isdigit() or number[0] == "0":
        return False
    return _valid_birth(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))


def luhn_ok(digits: str) -> bool:
    """Return whether a digit string passes the Luhn check (bank cards)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _overlapping(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Yield every match of ``pattern``, overlapping ones included (unlike finditer).

    In "130-0000-0300130-1300-1300130" several readings overlap; the caller picks among
    all of them, so that masking one never uncovers another on a second pass.
    """
    m = pattern.search(text)
    while m is not None:
        yield m
        m = pattern.search(text, m.start() + 1)


def find_numbers(folded: str) -> Iterator[Found]:
    """Yield every phone, ID, bank card, plate and e-mail candidate in folded text.

    18-character ID numbers come with a right check character or, mistyped, a wrong one
    (:func:`is_plausible_id18`; :func:`is_checked_id` tells them apart); right after an ID
    cue (:data:`ID_CUE`), any run of 14–19 ID characters counts.
    """
    for m in _overlapping(ID18, folded):
        number = ID_SEPARATORS.sub("", m.group())
        if is_valid_id18(number) or is_plausible_id18(number):
            yield "id_card", m.start(), m.end()
    yield from _ids_after_cues(folded)
    for m in _overlapping(ID15, folded):
        if is_valid_id15(m.group()):
            yield "id_card", m.start(), m.end()
    for m in _overlapping(CARD, folded):
        end = _card_end(folded, m)
        if end is not None and not _after_reference(folded, m.start()):
            yield "bank_card", m.start(), end
    yield from _cards_after_cues(folded)
    for m in _overlapping(MOBILE, folded):
        yield "phone", m.start(), m.end()
    yield from _prefixed_mobiles(folded)
    for m in _overlapping(LANDLINE, folded):
        yield "phone", m.start(), m.end()
    yield from spelled_phones(folded)
    for m in PLATE.finditer(folded):
        if is_plate(m.group()):
            yield "plate", m.start(), m.end()
    if "@" in folded:
        for m in EMAIL.finditer(folded):
            yield "email", m.start(), m.end()


def _ids_after_cues(folded: str) -> Iterator[Found]:
    """Yield the run of ID characters right after an ID cue, when it has 14–19 of them.

    A run too long is tried without its last separated groups ("身份证号4101…123 456号楼":
    the ID ends before the space).
    """
    if "证" not in folded and "身份" not in folded:
        return
    for cue in ID_CUE.finditer(folded):
        run = _CUE_RUN.match(folded, cue.end())
        if run is None:
            continue
        value = run.group()
        while len(ID_SEPARATORS.sub("", value)) not in CUE_RUN_LENGTHS:
            cut = max(value.rfind(" "), value.rfind("."), value.rfind("-"))
            if cut <= 0:
                break
            value = value[:cut]
        else:
            yield "id_card", run.start(), run.start() + len(value)


def spelled_phones(folded: str) -> Iterator[Found]:
    """Yield phones spelled in Chinese numerals or grouped oddly (:data:`_SPELLED_RUN`).

    A run's groups (split at the separators) are tried in every consecutive stretch: the
    stretch is a phone when its digits are exactly a mobile or a landline with area code,
    so a count or a house number beside the phone ("… 七八 三人") does not hide it.
    Runs the plain finders read already (digits grouped by one space or dash) add nothing.
    """
    for run in _SPELLED_RUN.finditer(folded):
        groups = [(g.start(), g.end(), spelled_digits(g.group()))
                  for g in _SPELLED_GROUP.finditer(run.group())]  # fmt: skip
        if len(groups) == 1 and _NUMERALS.search(run.group()) is None:
            continue  # one block of digits: MOBILE and LANDLINE have read it
        for i, (start, _, _) in enumerate(groups):
            digits = ""
            for _, end, part in groups[i:]:
                digits += part
                if len(digits) > _SPELLED_MAX:
                    break
                if _SPELLED_MOBILE.fullmatch(digits) or _SPELLED_LANDLINE.fullmatch(digits):
                    yield "phone", run.start() + start, run.start() + end


def _prefixed_mobiles(folded: str) -> Iterator[Found]:
    """Yield mobiles written with a country code, the "+", "00" or "(" included."""
    for m in _overlapping(MOBILE_86, folded):
        start = m.start()
        before = _BEFORE_86.search(folded, max(0, start - 3), start)
        if before is not None:
            start = before.start()
        if start > 0 and folded[start - 1].isdigit():
            continue  # "2086 138…": the 86 ends another number
        yield "phone", start, m.end()


def _after_reference(folded: str, start: int) -> bool:
    """Return whether the number at ``start`` is written right after a reference cue
    (:data:`_REFERENCE_BEFORE`: 订单号, 工单号 …): an order's number, not a card."""
    return _REFERENCE_BEFORE.search(folded, max(0, start - 12), start) is not None


def _cards_after_cues(folded: str) -> Iterator[Found]:
    """Yield the 16–19 digits right after a card cue (:data:`CARD_CUE`), Luhn or not.

    A short last group set apart ("卡号 6222 0212 3456 7890 2人") is the sentence's unless
    the digits pass Luhn with it.
    """
    # The cue's first characters are looked up with str.find and the cue matched there:
    # a search of the alternation would try it at every character of every text.
    for first in "卡账帐":
        at = folded.find(first)
        while at >= 0:
            cue = CARD_CUE.match(folded, at)
            run = _CUE_CARD_RUN.match(folded, cue.end()) if cue is not None else None
            if run is not None:
                end = run.end()
                if run.group(1) and not luhn_ok(_digits(run.group())):
                    end = run.start(1)
                yield "bank_card", run.start(), end
            at = folded.find(first, at + 1)


def _card_end(folded: str, m: re.Match[str]) -> int | None:
    """Return where a Luhn-valid card ends, trying without a separated last short group."""
    if luhn_ok(_digits(m.group())):
        return m.end()
    if m.group(1):  # "6222 0212 3456 7890 2人": the trailing " 2" is not part of the card
        head = folded[m.start() : m.start(1)]
        if luhn_ok(_digits(head)):
            return m.start(1)
    return None


def is_plate(value: str) -> bool:
    """Return whether a plate-shaped string is a plausible Chinese licence plate."""
    body = re.sub(r"[ ·-]", "", value)[2:].upper()
    if len(body) == 6:
        return _NEW_ENERGY.fullmatch(body) is not None
    if len(body) == 5 and not body[-1].isascii():
        return sum(c.isdigit() for c in body[:4]) >= 3
    # Ordinary plates carry at most two letters among the five characters.
    return sum(c.isdigit() for c in body) >= 3
