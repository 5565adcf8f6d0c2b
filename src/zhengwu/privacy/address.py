"""Coarsen an address to the street: keep 省 市 区 街道 路, drop house, building and room.

"郑州市金水区文化路32号院3号楼2单元" → "郑州市金水区文化路". A public board shows where a
problem is without showing which door a citizen lives behind.

How: cut at the first house-level token (32号, 3号楼, 2单元, 501室, 7栋, B座, 1-2-301,
the 小区 of a compound …), then cut back to the end of the last division or road name
(省 市 区 县 街道 镇 乡 村 社区 路 街 大道 巷 胡同 …) before it. An address with no house-level token is kept
unchanged: it names a place, a crossing or a landmark, not a door.
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
