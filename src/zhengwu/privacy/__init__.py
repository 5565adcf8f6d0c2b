"""Personal data in Chinese text: find it, mask it, coarsen addresses (个人信息保护).

Used wherever citizens' words become visible to others: the service desk's public board,
the rescue network's status pages, Open311 responses. ``detect`` finds phones (mobile and
landline, every written form), ID numbers (checked, and mistyped ones of an ID's
structure), bank cards (Luhn), licence plates, e-mails and person names (from context);
``mask_text`` masks them; ``coarse_address`` keeps an address down to the street and
``mask_house_numbers`` masks the door in free text (幸福路12号3栋 → 幸福路＊＊＊). Published office numbers (公开电话) are no personal
data: ``mask_text(text, keep=…)`` leaves them readable, and ``parse_phones`` brings them to
their normal form (:mod:`zhengwu.privacy.phones`). ``MASKING_RULES_VERSION`` names the rules
stored masked texts were made with: bump it when a change alters the output
(:mod:`zhengwu.privacy.version`).
"""

from __future__ import annotations

from zhengwu.privacy.address import coarse_address, mask_house_numbers
from zhengwu.privacy.detect import PiiSpan, detect
from zhengwu.privacy.kinds import ALL, Kind
from zhengwu.privacy.mask import (
    mask_bank_card,
    mask_email,
    mask_id_card,
    mask_name,
    mask_phone,
    mask_plate,
    mask_text,
)
from zhengwu.privacy.phones import (
    PhoneError,
    is_published,
    normalise_phone,
    parse_phones,
    phone_digits,
    split_phones,
)
from zhengwu.privacy.version import MASKING_RULES_VERSION

__all__ = [
    "ALL",
    "MASKING_RULES_VERSION",
    "Kind",
    "PhoneError",
    "PiiSpan",
    "coarse_address",
    "detect",
    "is_published",
    "mask_bank_card",
    "mask_email",
    "mask_house_numbers",
    "mask_id_card",
    "mask_name",
    "mask_phone",
    "mask_plate",
    "mask_text",
    "normalise_phone",
    "parse_phones",
    "phone_digits",
    "split_phones",
]
