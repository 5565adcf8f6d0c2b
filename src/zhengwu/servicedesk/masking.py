"""Personal-data masking of request texts (names, phones, ID numbers, plates).

The privacy module (:mod:`zhengwu.privacy`) does the detection; this module adds what only
the desk knows — the citizen's own name and phone from the intake form — and falls back to
masking digit runs when the privacy module is not installed in this build.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from functools import cache

_DIGITS = re.compile(r"(?<!\d)(\d{3})\d{4,11}(\d{2,4})(?!\d)")


def _fallback(text: str) -> str:
    return _DIGITS.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 5) + m.group(0)[-2:], text)


@cache
def _mask_text() -> Callable[[str], str]:
    try:
        privacy = importlib.import_module("zhengwu.privacy")
    except ImportError:  # the privacy package is built by another team; until then, digits only
        return _fallback
    fn: Callable[[str], str] | None = getattr(privacy, "mask_text", None)
    return fn or _fallback


def mask_name(name: str) -> str:
    """Return a name with all but its first character starred (张三丰 → 张**)."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask(text: str, *, name: str | None = None, phone: str | None = None) -> str:
    """Return ``text`` with personal data masked, including the known name and phone."""
    if name and len(name) >= 2:
        text = text.replace(name, mask_name(name))
    if phone and len(phone) >= 7:
        text = text.replace(phone, phone[:3] + "*" * (len(phone) - 5) + phone[-2:])
    return _mask_text()(text)
