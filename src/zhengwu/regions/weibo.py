"""Weibo user regions: the ``location`` text and the ``province`` / ``city`` codes.

``location`` is "省 市" as the user picked it ("广东 广州", "北京 朝阳区", "海外 美国",
"其他"). ``province`` is the first two digits of the national code, with Weibo's own
71 台湾, 81 香港, 82 澳门, 400 海外 and 100 其他. ``city`` is a Weibo-internal number
(11/"5" is 北京朝阳区, "1000" means none), never a national code, so it is not read.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from zhengwu.regions.address import resolve_address
from zhengwu.regions.nameindex import surfaces
from zhengwu.regions.table import ancestors, divisions

_NOT_A_PLACE = frozenset({"其他", "其它", "海外", "未知", "保密"})
_SEPARATORS = re.compile(r"[\s,，、·/|]+")
_LEVEL_ORDER = {"province": 0, "city": 1, "county": 2}


@cache
def _provinces() -> dict[str, str]:
    """Map every province's full and short name to its code."""
    names: dict[str, str] = {}
    for division in divisions().values():
        if division.level == "province":
            names[division.name] = division.adcode
            names[division.short_name] = division.adcode
    return names


@cache
def _names_within() -> dict[tuple[str, str], tuple[str, ...]]:
    """Map (ancestor code, any name of a division) to the divisions below that ancestor."""
    found: dict[tuple[str, str], set[str]] = {}
    for surface, codes in surfaces().items():
        for code in codes:
            for ancestor in ancestors(code)[1:]:
                found.setdefault((ancestor, surface), set()).add(code)
    return {key: tuple(sorted(codes)) for key, codes in found.items()}


def _pick(codes: tuple[str, ...]) -> str:
    """Choose among same-named divisions: the highest level, else their common parent."""
    table = divisions()
    top = min(_LEVEL_ORDER[table[code].level] for code in codes)
    best = [code for code in codes if _LEVEL_ORDER[table[code].level] == top]
    if len(best) == 1:
        return best[0]
    # Two 桥西区 in 河北: all that is certain is what they share.
    shared = set(ancestors(best[0])[1:])
    for code in best[1:]:
        shared &= set(ancestors(code)[1:])
    return max(shared, key=lambda code: _LEVEL_ORDER[table[code].level])


def resolve_location(text: str | None) -> str | None:
    """Return the adcode of a Weibo ``location`` such as "广东 广州" (None if abroad/other)."""
    return _resolve_location(text) if text else None


# Locations repeat endlessly across 180,000 accounts and their followers.
@lru_cache(maxsize=65_536)
def _resolve_location(text: str) -> str | None:
    """Resolve one non-empty location string (cached)."""
    parts = [part for part in _SEPARATORS.split(text.strip()) if part]
    if not parts or parts[0] in _NOT_A_PLACE:
        return None
    province = _provinces().get(parts[0])
    if province is None:
        match = resolve_address(text)
        return match.adcode if match else None
    code = province
    within = _names_within()
    for part in parts[1:]:
        codes = within.get((code, part))
        if not codes:
            break
        code = _pick(codes)
    return code


def weibo_province(code: str | int | None) -> str | None:
    """Return the adcode of Weibo's 2-digit province code ("44" → "440000"), or None."""
    if code is None:
        return None
    text = str(code).strip()
    # 100 其他 and 400 海外 are not places; nor is anything but two digits.
    if len(text) != 2 or not text.isdigit():
        return None
    adcode = text + "0000"
    return adcode if adcode in divisions() else None


def resolve_weibo_user(
    province: str | int | None, city: str | int | None, location: str | None
) -> str | None:
    """Return a Weibo user's adcode: the location text first, else the province code."""
    del city  # Weibo-internal numbering (11/"5" = 朝阳区, "1000" = none): never an adcode.
    return resolve_location(location) or weibo_province(province)
