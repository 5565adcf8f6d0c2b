"""Published numbers (公开电话): their normal form, and telling one in a text.

A government body's published office number (区住建局 0371-66661234) is no personal data:
the public board must show it, or the citizen cannot call back. Such numbers are written
down once (an organisation's ``public_phones``, the ``ZHENGWU_PUBLIC_PHONES`` setting) in a
normal form, and :func:`zhengwu.privacy.mask_text` leaves a phone it finds in a text as
written when it is one of them (``keep=``). Everything here is plain text handling: the
directory of numbers itself comes from the caller (``zhengwu.accounts.phones``).

Normal forms: a mobile as its 11 digits (``13812345678``), a landline as area code, dash,
local number (``0371-66661234``), a service number dialled with its area code the same way
(``0371-12345``), a bare service number (``12345``, ``96110``) or a 400/800 number as its
digits. Matching compares digits only, so every written form of a number matches: brackets,
spaces, dashes, full-width digits, +86, an extension after the office number.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import lru_cache

from zhengwu.privacy.fold import fold
from zhengwu.privacy.numbers import AREA_CODE, spelled_digits

MAX_PHONES = 20  # per organisation or setting: a directory, not a phone book
_MAX_LENGTH = 32
_NON_DIGIT = re.compile(r"\D")
_SEPARATORS = re.compile(r"[\s()（）\-]")
# Between the numbers of one list: commas and semicolons (ASCII and full-width), 、 | / and
# line breaks. Spaces are not separators: people group the digits of one number by them.
_LIST_SEPARATORS = re.compile(r"[,;，；、|/\n]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LOCAL = re.compile(r"[1-9]\d{6,7}")
_SERVICE = re.compile(r"1\d{2}|1\d{4}|9\d{4}")  # 110 119 120 12345 12319 95119 96110 …
_AREA_SERVICE = re.compile(r"1\d{4}|9\d{4}")  # 0371-12345: a hotline dialled with its area code
_TOLL_FREE = re.compile(r"[48]00\d{7}")
# A landline as the detector finds it, in parts: area code, local number, extension.
_LANDLINE_PARTS = re.compile(
    r"[(（]?(?P<area>0(?:10|2\d|[3-9]\d{2}))[)）]?[ -]?(?P<local>[1-9]\d{2,3}[ -]?\d{4})"
    r"(?:-(?P<ext>\d{1,4}))?"
)


_HINT = (
    "手机写 11 位，座机带区号，如 0371-66661234",
    "a mobile has 11 digits, a landline its area code, e.g. 0371-66661234",
)
_EXTENSION_HINT = (
    "请去掉分机号：总机号码公开后，带分机号的写法也会显示",
    "leave out the extension: the office number keeps its extensions readable",
)


class PhoneError(ValueError):
    """A value that is not a phone number (or too many of them), in Chinese and English."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


def _not_a_phone(value: str, hint: tuple[str, str] = _HINT) -> PhoneError:
    return PhoneError(
        f"不是电话号码：{value!r}（{hint[0]}）", f"not a phone number: {value!r} ({hint[1]})"
    )


def normalise_phone(value: str) -> str:
    """Return a published number in its normal form, or raise a bilingual PhoneError.

    "（0371）6666 1234" → "0371-66661234", "+86 138 1234 5678" → "13812345678",
    "０３７１－１２３４５" → "0371-12345", "12345" → "12345".
    """
    written = value.strip()
    folded = fold(written)
    if len(folded) > _MAX_LENGTH:
        raise _not_a_phone(written[:_MAX_LENGTH] + "…")
    parts = _LANDLINE_PARTS.fullmatch(folded)
    if parts is not None and parts.group("ext"):
        raise _not_a_phone(written, _EXTENSION_HINT)
    compact = _SEPARATORS.sub("", folded)
    international = compact.startswith("+")
    digits = compact.removeprefix("+")
    if not digits.isascii() or not digits.isdigit():
        raise _not_a_phone(written)
    if digits.startswith("0086"):
        digits, international = digits[4:], True
    elif digits.startswith("86") and (international or len(digits) == 13):
        digits, international = digits[2:], True
    if _MOBILE.fullmatch(digits):
        return digits
    if international and not digits.startswith("0"):
        digits = "0" + digits  # +86 371 6666 1234: the area code without its trunk 0
    area = AREA_CODE.match(digits)
    if area is not None:
        local = digits[area.end() :]
        if _LOCAL.fullmatch(local) or _AREA_SERVICE.fullmatch(local):
            return f"{area.group()}-{local}"
        raise _not_a_phone(written)
    if not international and (_SERVICE.fullmatch(digits) or _TOLL_FREE.fullmatch(digits)):
        return digits
    raise _not_a_phone(written)


def normalise_callback_phone(value: str) -> str:
    """Return a number someone can be called back on, in its normal form, or raise PhoneError.

    Only a mobile (11 digits) or a landline with its area code: a hotline (12345, 110) or a
    400 number reaches an office, not the person who wrote it.
    """
    number = normalise_phone(value)
    _, dash, local = number.partition("-")
    if _MOBILE.fullmatch(number) or (dash and _LOCAL.fullmatch(local)):
        return number
    raise _not_a_phone(value.strip())


def split_phones(value: str | Iterable[object]) -> tuple[list[str], list[tuple[str, PhoneError]]]:
    """Return the normal forms of the numbers of a list, and the entries that are refused.

    Like :func:`parse_phones`, but an entry that is not a phone number does not stop the
    others: it is returned with its bilingual PhoneError, and so is each number past the
    first :data:`MAX_PHONES` (an importer keeps the good numbers and reports the others).
    """
    entries = _LIST_SEPARATORS.split(value) if isinstance(value, str) else map(str, value)
    found: list[str] = []
    refused: list[tuple[str, PhoneError]] = []
    for entry in entries:
        if entry.strip():
            try:
                number = normalise_phone(entry)
            except PhoneError as exc:
                refused.append((entry.strip(), exc))
                continue
            if number not in found:
                found.append(number)
    if len(found) > MAX_PHONES:
        error = PhoneError(
            f"公开电话最多 {MAX_PHONES} 个，收到 {len(found)} 个",
            f"at most {MAX_PHONES} published numbers, got {len(found)}",
        )
        refused.extend((extra, error) for extra in found[MAX_PHONES:])
        found = found[:MAX_PHONES]
    return found, refused


def parse_phones(value: str | Iterable[object]) -> list[str]:
    """Return the normal forms of a list of numbers, in order, each once.

    ``value`` is a list, or one text with the numbers separated by commas, semicolons, 、 or
    line breaks (a CSV cell, the setting). Raises a bilingual PhoneError for the first entry
    that is not a phone number, or when there are more than :data:`MAX_PHONES`.
    """
    found, refused = split_phones(value)
    if refused:
        raise refused[0][1]
    return found


def phone_digits(number: str) -> str:
    """Return the digits of a number (a normal form, or as written)."""
    return _NON_DIGIT.sub("", fold(number))


def _keys(keep: Iterable[str]) -> frozenset[str]:
    keys: set[str] = set()
    for number in keep:
        digits = phone_digits(number)
        if not digits:
            continue
        keys.add(digits)
        area = AREA_CODE.match(digits)
        if area is not None and _LOCAL.fullmatch(digits[area.end() :]):
            keys.add(digits[area.end() :])  # the office line written without its area code
    return frozenset(keys)


@lru_cache(maxsize=8)
def _cached_keys(keep: frozenset[str]) -> frozenset[str]:
    return _keys(keep)


def kept_keys(keep: Collection[str]) -> frozenset[str]:
    """Return the digit strings a found phone may equal to stay readable.

    Every kept number's digits, and for a kept landline also its local number without
    the area code. A frozenset (what ``zhengwu.accounts.phones.directory`` returns) is
    expanded once and then looked up in a small cache: masking calls this per text.
    """
    if isinstance(keep, frozenset):
        return _cached_keys(keep)
    return _keys(keep)


def span_digits(value: str) -> str:
    """Return the number a found phone stands for, as digits.

    Without a country code before a mobile (+86, 0086, 86) and without an extension after
    a landline (0371-66661234-801 → 037166661234): the office number is what is listed.
    """
    folded = fold(value)
    parts = _LANDLINE_PARTS.fullmatch(folded)
    if parts is not None:
        return parts.group("area") + _NON_DIGIT.sub("", parts.group("local"))
    digits = spelled_digits(folded)
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix + "1"):
            return digits[len(prefix) :]
    return digits


def is_published(value: str, keep: Collection[str]) -> bool:
    """Return whether the phone ``value`` (as written in a text) is one of the kept numbers."""
    return bool(keep) and span_digits(value) in kept_keys(keep)
