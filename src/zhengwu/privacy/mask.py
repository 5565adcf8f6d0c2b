"""Mask personal data for public display: 138****1234, 张*, 豫A***45, a***@qq.com.

Every mask keeps just enough to recognise one's own data (the surname, the first and last
digits). :func:`mask_text` is idempotent by construction: it masks until nothing is found.
One pass is enough for every ordinary text; a second is needed only where masked digits
sat in a chain of digit groups ("130-0000-0300130-1300": masking one reading uncovers
another), and it masks what the first uncovered.

Published numbers (公开电话) stay as written: ``mask_text(text, keep=numbers)`` leaves a
phone whose digits are one of ``numbers`` (or a listed landline's local part), see
:mod:`zhengwu.privacy.phones`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from zhengwu.privacy.detect import PiiSpan, detect
from zhengwu.privacy.fold import fold
from zhengwu.privacy.kinds import ALL, Kind
from zhengwu.privacy.numbers import AREA_CODE, spelled_digits
from zhengwu.privacy.phones import kept_keys, span_digits
from zhengwu.privacy.surnames import COMPOUND_SURNAMES

_NON_DIGIT = re.compile(r"\D")
_SEPARATORS = re.compile(r"[\s·.-]")
_LONG_DIGITS = re.compile(r"\d{5,}")
# Passes with the readable masks before whatever is still found is starred outright: a
# starred span holds no letter or digit any more, so masking always ends.
_READABLE_PASSES = 3


def _keep_last(digits: str, keep: int = 4) -> str:
    if len(digits) <= keep:
        return "*" * len(digits)
    return "*" * (len(digits) - keep) + digits[-keep:]


def mask_phone(value: str) -> str:
    """Mask a phone number as written: 138****1234 (mobile), 0371-****5678 (landline).

    A number spelled in Chinese numerals (一三八…) is masked to the same digits form.
    """
    digits = spelled_digits(fold(value))
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix + "1"):
            digits = digits[len(prefix) :]
    if len(digits) == 11 and digits[0] == "1":
        return f"{digits[:3]}****{digits[-4:]}"
    area = AREA_CODE.match(digits)
    if area and len(digits) - area.end() >= 7:
        return f"{area.group()}-{_keep_last(digits[area.end() :])}"
    return _keep_last(digits)


def mask_id_card(value: str) -> str:
    """Mask an ID number, keeping the first four and last four: 4101**********1234."""
    number = _SEPARATORS.sub("", fold(value)).upper()
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_bank_card(value: str) -> str:
    """Mask a bank card number to its last four digits: ****1234."""
    return "****" + _NON_DIGIT.sub("", fold(value))[-4:]


def mask_plate(value: str) -> str:
    """Mask a licence plate, keeping the issuing office and the last two: 豫A***45."""
    plate = _SEPARATORS.sub("", fold(value)).upper()
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


def mask_email(value: str) -> str:
    """Mask an e-mail address to its first character and domain: a***@qq.com."""
    local, _, domain = fold(value).rpartition("@")
    # A domain rarely holds a long number, but when it does it may be a phone (…@1380….com).
    domain = _LONG_DIGITS.sub(lambda m: "*" * len(m.group()), domain)
    return f"{local[:1]}***@{domain}"


def mask_name(value: str) -> str:
    """Mask a person's name to the surname and one star: 张*, 欧阳*; a surname stays as is."""
    surname = value[:2] if value[:2] in COMPOUND_SURNAMES else value[:1]
    return value if len(value) <= len(surname) else surname + "*"


_MASKS: dict[Kind, Callable[[str], str]] = {
    "phone": mask_phone,
    "id_card": mask_id_card,
    "bank_card": mask_bank_card,
    "plate": mask_plate,
    "email": mask_email,
    "name": mask_name,
}


def _apply(text: str, spans: list[PiiSpan], readable: bool) -> str:
    parts: list[str] = []
    at = 0
    for span in spans:
        parts.append(text[at : span.start])
        parts.append(_MASKS[span.kind](span.value) if readable else "*" * len(span.value))
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


def _to_mask(span: PiiSpan, kept: frozenset[str]) -> bool:
    if span.kind == "phone" and kept and span_digits(span.value) in kept:
        return False  # a published number: the public must be able to call it
    # A bare surname (姓王) is reported but masks to itself: it never needs another pass.
    return _MASKS[span.kind](span.value) != span.value


def mask_text(text: str, kinds: Collection[Kind] = ALL, *, keep: Collection[str] = ()) -> str:
    """Return ``text`` with every piece of personal data of ``kinds`` masked.

    ``keep``: published numbers (digit strings, or any written form) whose phones stay as
    written — equal digits, or a kept landline's local number without its area code.
    """
    kept = kept_keys(keep) if keep else frozenset()
    passes = 0
    while True:
        spans = [s for s in detect(text, kinds) if _to_mask(s, kept)]
        if not spans:
            return text
        text = _apply(text, spans, readable=passes < _READABLE_PASSES)
        passes += 1
