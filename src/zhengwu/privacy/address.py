"""Coarsen an address to the street: keep 省 市 区 街道 路, drop house, building and room.

"郑州市金水区文化路32号院3号楼2单元" → "郑州市金水区文化路". A public board shows where a
problem is without showing which door a citizen lives behind.

How: cut at the first house-level token (32号, 3号楼, 2单元, 501室, 7栋, B座, 1-2-301,
the 小区 of a compound …), then cut back to the end of the last division or road name
(省 市 区 县 街道 镇 乡 村 社区 路 街 大道 巷 胡同 …) before it. An address with no house-level token is kept
unchanged: it names a place, a crossing or a landmark, not a door.

In free text (a help post shown on a public board) :func:`mask_house_numbers` masks the
door instead: "幸福路12号3栋2单元501" → "幸福路＊＊＊", "5号楼602室" → "＊＊＊"; the road and
the compound stay readable.
"""

from __future__ import annotations

import re

from zhengwu.privacy.fold import fold

_NUM = r"(?:\d+|[零〇一二三四五六七八九十百两]+)"
# House-level detail: numbers with house/building/unit/room words, dashed room numbers,
# lettered blocks, and the names of residential compounds and buildings.
_HOUSE_LEVEL = re.compile(
    rf"{_NUM}\s*(?:号院|号楼|号|栋|幢|座|单元|层|楼|室|户|弄|排|组|门|#)"
    r"|\d+(?:-\d+)+|(?<![A-Za-z])[A-Za-z]\s*(?:座|栋|区\d)|#"
    # A compound's name ends in 小区, 花园 …, unless it names a road (花园路, 新村街).
    r"|(?:小区|花园|家园|公寓|大厦|苑|新村|宿舍|家属院|府邸|山庄|公馆|嘉园|公租房)(?![路街道巷])"
)
# The end of a division or road name: everything up to here is public geography.
# Single characters count only where they end a name: 市民 区域 路口 are words of their own.
_STREET_LEVEL = re.compile(
    r"特别行政区|自治区|自治州|自治县|街道|社区|胡同|大道|大街"
    r"|[省县旗盟州镇乡村街巷里段]|市(?![民场政委])|区(?![域内外])|路(?![口边])|道(?![路口])"
)


def coarse_address(address: str) -> str:
    """Return ``address`` cut to province/city/district/street level."""
    text = address.strip()
    if not text:
        return ""
    house = _HOUSE_LEVEL.search(fold(text))
    if house is None:
        return text  # nothing below street level: a place, a crossing, a landmark
    head = text[: house.start()]
    ends = [m.end() for m in _STREET_LEVEL.finditer(head)]
    return head[: ends[-1]] if ends else ""


# House numbers in free text. A chain of house-level tokens is a door when it opens with a
# token only doors have (号院 号楼 栋 幢 单元 室, A座) or right after a road or
# compound name (幸福路12号); a bare 号 elsewhere is a date (21号) or a ticket, a bare 楼/层
# a floor (水到二楼), a bare 户 households (5户人家): those stay. Floors, rooms and
# bare numbers continue a chain.
_DOOR_NUM = r"(?:\d+|[零〇一二三四五六七八九十百两]+)"
_DOOR_FIRST = rf"{_DOOR_NUM}(?:号院|号楼|栋|幢|单元|室)|[A-Za-z]\d*(?:座|栋)"
# Dashed numbers (1-2-301) only after a road: alone they are dates (2021-07-21).
_DOOR_AFTER_STREET = (
    rf"{_DOOR_NUM}(?:号(?![线码称])|户(?![人家])|弄|排|组|座)|\d+(?:-\d+){{1,3}}(?![\d-])"
)
# A bare number continues a chain unless it counts something (3人, 2岁, 1米5).
_DOOR_MORE = (
    rf"(?:{_DOOR_FIRST}|{_DOOR_AFTER_STREET}|{_DOOR_NUM}(?:层|楼)"
    r"|\d{1,5}(?![\d人个名口位岁米厘公斤小分天年月日点号度层楼户]))"
)
_STREET_BEFORE = re.compile(
    r"(?:[路街巷道村里院苑园庄屯湾城寓厦府区]|小区|社区|花园|家园|大院|家属院|新村|公寓|大厦)$"
)
_DOOR = re.compile(rf"(?:{_DOOR_FIRST}|(?P<street>{_DOOR_AFTER_STREET}))(?:{_DOOR_MORE})*")
# One level of a door chain: a number and its token (3栋, 2单元, 502号, 六楼) or bare (502).
_DOOR_PART = re.compile(
    r"(?:\d+|[零〇一二三四五六七八九十百两]+|[A-Za-z]\d*)(?:号院|号楼|栋|幢|单元|室|号|户|弄|排|组|座|层|楼)?"
)
DOOR_MASK = "＊＊＊"


_NOT_A_HOME_AFTER = re.compile(r"[\d一二两三四]*厅|[mM㎡平多余户年月日天个]")
_OFFICE_BEFORE = re.compile(r"(?:[局院所委办处科厅站]|中心|大厦|大楼)$")


def _is_home(door: str, before: str, after: str) -> bool:
    """Return whether a door chain reaches a home: a room (501室), a dashed 1-2-301, or a
    door below a first level (3栋2单元501, 33栋502号, 七组163号) — not a lone building,
    unit or street number (13栋, 4栋3单元, 人民路88号: a block, a stairwell, a shop), a
    building's floor (17栋1楼), a row of buildings (5栋6栋), a count of households
    (68栋5000余户), a layout (3室2厅), an area (3栋105m2), a range of years (7-8年) or an
    office's room (社会保障局517室). ``before``, ``after``: the text around the chain."""
    if _NOT_A_HOME_AFTER.match(after) or _OFFICE_BEFORE.search(before):
        return False
    if "室" in door or "-" in door:
        return True
    parts = [m.group(0) for m in _DOOR_PART.finditer(door)]
    return any(
        (p.isdigit() and len(p) >= 3) or (p.endswith("号") and not p.endswith("号院"))
        for p in parts[1:]
    )


def mask_house_numbers(text: str, mask: str = DOOR_MASK, *, homes_only: bool = False) -> str:
    """Return ``text`` with house, building, unit and room numbers replaced by ``mask``.

    "家住幸福路12号3栋2单元501" → "家住幸福路＊＊＊"; dates (7月21号), floors (水到二楼),
    counts (三人) and depths (一米五) stay. ``homes_only``: mask only a door that reaches a
    home (:func:`_is_home`), so a business address (人民路88号商场门口) and a compound's
    block (13栋业主) stay readable — the service desk's rule for complaint texts.
    """
    folded = fold(text)
    parts: list[str] = []
    at = 0
    for m in _DOOR.finditer(folded):
        if m.group("street") and not re.search(
            _STREET_BEFORE, folded[max(0, m.start() - 3) : m.start()]
        ):
            continue
        around = folded[max(0, m.start() - 4) : m.start()], folded[m.end() : m.end() + 4]
        if homes_only and not _is_home(m.group(0), *around):
            continue
        parts.append(text[at : m.start()])
        parts.append(mask)
        at = m.end()
    parts.append(text[at:])
    return "".join(parts)
