"""A rule's division given by its name, read as the 派单表 import reads it.

One reading for every way a rule is written: the table import (:mod:`.importer`), ``zhengwu
desk routing add|fallback --adcode``, ``POST /api/desk/routing/rules`` and the console's
add form. A name is a division's name (岳麓区), its name under its city (长沙市岳麓区), a
former name or a short form (岳麓); a name several divisions bear (朝阳区) is taken within
the deployment's home region (``ZHENGWU_DESK_HOME_ADCODE``) and refused otherwise with the
candidates. A code (six digits) is left as it is: the routing service checks it and
stores an old one under its successor.
"""

from __future__ import annotations

import re
from functools import cache

from zhengwu import regions
from zhengwu.config import get_settings
from zhengwu.regions.nameindex import surfaces

CANDIDATES = 5  # candidates a refusal lists
CODE = re.compile(r"\d{6}")


class DivisionNameError(ValueError):
    """A division name that names no division or several: why, in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@cache
def _surfaces() -> dict[str, dict[str, tuple[bool, bool]]]:
    """Every name, former name and short form of the divisions (static data: built once)."""
    return surfaces()


def named(text: str) -> list[str]:
    """Return the current codes a division name stands for (the whole text only), sorted."""
    known = _surfaces().get(text)
    if known:
        return sorted(known)
    match = regions.resolve_address(text)
    if match is not None and match.span == (0, len(text)):
        return [match.adcode]
    return []


def narrowed(codes: list[str], home: str | None) -> list[str]:
    """Return the candidates within the home region, or the one that holds the others."""
    if home:
        for depth in (4, 2):  # the home city, then its province
            near = [c for c in codes if c[:depth] == home[:depth]]
            if near:
                codes = near
                break
    for code in codes:
        if all(code == other or code in regions.ancestors(other) for other in codes):
            return [code]  # 长沙 → 长沙市, not 长沙县 within it
    return codes


def path_name(code: str) -> str:
    """Return a division's name with its ancestors' (湖南省长沙市岳麓区)."""
    found = [regions.get(a) for a in reversed(regions.ancestors(code))]
    return "".join(d.name for d in found if d is not None)


def by_name(text: str, *, home: str | None = None) -> str:
    """Return the code of the one division ``text`` names; raise DivisionNameError."""
    codes = named(text)
    if not codes:
        raise DivisionNameError(f"未知的区划「{text}」", f"unknown division {text!r}")
    if len(codes) > 1:
        codes = narrowed(codes, home)
    if len(codes) > 1:
        listed = [f"{c} {path_name(c)}" for c in codes[:CANDIDATES]]
        raise DivisionNameError(
            f"「{text}」对应多个区划（{'、'.join(listed)}），请填写区划代码或上级名称",
            f"{text!r} names several divisions ({', '.join(listed)}): give the code "
            "or the name with its city",
        )
    return codes[0]


def rule_division(value: str | None) -> str | None:
    """Return a rule's division code from a code or a name (None or empty: anywhere).

    A code is returned as it is (checked where the rule is added); a name is resolved with
    the deployment's home region (:func:`by_name`; DivisionNameError if it cannot be).
    """
    text = (value or "").strip()
    if not text:
        return None
    if CODE.fullmatch(text):
        return text
    if text.isdigit():
        raise DivisionNameError(
            f"区划代码应为 6 位数字：{text}", f"a division code has 6 digits: {text}"
        )
    return by_name(text, home=get_settings().desk_home_adcode)
