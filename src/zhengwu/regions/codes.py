"""Facts encoded in the 6-digit division code itself (GB/T 2260)."""

from __future__ import annotations

from typing import Literal

Level = Literal["province", "city", "county"]

# 北京 天津 上海 重庆: their districts sit directly under the province code.
MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})

# 计划单列市: large cities that, like capitals, win ties between same-named districts.
_SEPARATELY_PLANNED = frozenset({"2102", "3302", "3502", "3702", "4403"})


def normalize_code(code: str | int) -> str | None:
    """Return the 6-digit form of a 2-, 4-, 6- or 12-digit division code, or None."""
    text = str(code).strip()
    if not text.isdigit():
        return None
    if len(text) == 12:
        return text[:6] if text[6:] == "000000" else None
    if len(text) in (2, 4):
        return text.ljust(6, "0")
    return text if len(text) == 6 else None


def level_of(code: str) -> Level:
    """Return the level a 6-digit code stands for (xx0000, xxyy00, other)."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def is_prominent(code: str) -> bool:
    """Tell whether a code lies in a capital, a municipality or a 计划单列市."""
    # Every provincial capital and every municipality's district list uses xx01.
    return code[2:4] == "01" or code[:4] in _SEPARATELY_PLANNED
