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
# token only doors have (号院 号楼 号栋 栋 幢 单元 室, A座) or right after a road or
# compound name (幸福路12号); a bare 号 elsewhere is a date (21号) or a ticket, a bare 楼/层
# a floor (水到二楼), a bare 户 households (5户人家): those stay. Floors, rooms and
# bare numbers continue a chain.
_DOOR_NUM = r"(?:\d+|[零〇一二三四五六七八九十百两]+)"
_DOOR_FIRST = rf"{_DOOR_NUM}(?:号院|号楼|号栋|号幢|栋|幢|单元|室)|[A-Za-z]\d*(?:座|栋)"
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
    r"(?:\d+|[零〇一二三四五六七八九十百两]+|[A-Za-z]\d*)"
    r"(?:号院|号楼|号栋|号幢|栋|幢|单元|室|号|户|弄|排|组|座|层|楼)?"
)
DOOR_MASK = "＊＊＊"


# What follows a chain that is no door at all: a layout (3室2厅), an area (105m2), counts
# of households, years, days (68栋5000余户, 7-8年).
_NOT_A_HOME_AFTER = re.compile(r"[\d一二两三四]*厅|[mM㎡平多余户年月日天个]")
# Two dashed numbers before 栋 楼 层 are a range of blocks or floors (10-13栋, 1-4楼, 6-25层).
_RANGE = re.compile(r"(?<![\d-])\d+-\d+$")
_RANGE_AFTER = re.compile(r"[栋幢楼层]")
# Words of a home right after the door (粮食局5栋105号房居住, 1栋105房主): a home, though
# an institution's name stands before it (its staff's quarters).
_HOME_AFTER = re.compile(r"号?房?(?:业主|房主|户主|住户|居住|的家)")
# A shop front or an office after the door, also after more numbers of a list (5栋105商铺,
# 9栋106、108号门面, C栋120、121两门面, 1-2-245号商铺).
_SHOP_AFTER = re.compile(
    r"(?:[、，,和及至到~～]\s*[A-Za-z]?\d+号?)*[两二三四几]?[号个]?"
    r"(?:商铺|门面|门店|店面|铺面|商户|写字楼|办公)"
)
# Before the door, with its floor or a bracket between (超市101室, 政务服务中心3楼201室,
# 接待中心(2101室), 商铺-117室): a shop or an office building …
_FLOOR = r"(?:[-(（]|\d+[楼层]|[一二三四五六七八九十]+[楼层])?$"
# Shops proper: no one lives in a supermarket's room, while a 大厦 or a 中心 may hold flats.
_SHOPS = r"超市|商场|商店|商城|商铺|门面|门店|酒店|宾馆|饭店|银行|商业街|商业广场|商业乐园"
_SHOP_BEFORE = re.compile(rf"(?:中心|大厦|大楼|办公楼|写字楼|综合楼|{_SHOPS})" + _FLOOR)
# After a home cue only a shop proper is one (我家住在小区对面华联超市101室楼上): the cue
# names the home's place, the shop a landmark on the way (家住金源大厦A座1203 is a home).
_SHOP_PROPER_BEFORE = re.compile(rf"(?:{_SHOPS})" + _FLOOR)
# A shop's own unit before the door (商铺-117室业主: the shop's owner): never a home.
_SHOP_UNIT_BEFORE = re.compile(r"(?:商铺|门面|门店|店面|铺面|商户)" + _FLOOR)
# … or an institution (社会保障局517室) — not a compound named after one (家属院, 大院), nor
# a residence (住所, 住处).
_OFFICE_BEFORE = re.compile(r"(?:(?<![大属舍小])院|(?<!住)[所处]|[局委办科厅站]|公司)" + _FLOOR)
# A home cue earlier in the door's clause (我家在解放路23号, 家住幸福路12号, 住址：…): a
# street number after it is a home's door. Not 住院, nor 大家在 / 我家附近的 (no cue, or
# 的 between: the door is near the home, not it).
_HOME_CUE = re.compile(
    r"(?:(?:我|我们|俺|咱|咱们|本人|自己)家(?:住|在|位于)|家住|住在|住于|居住于|租住|现住|现居"
    # 我住人民路88号 — not 我住院, 我们住宅楼, 我们住户, 我住所, 我住过, 我们住进来.
    r"|(?:我|我们|俺|咱|咱们|本人)住(?![院宅宿房户所过进下了着])"
    r"|住址|家庭地址|居住地址|户籍地址)(?!院)[^，。；;！？!?,、\s的（）()【】\[\]]{0,24}$"
)
_CUE_REACH = 32  # characters before a door searched for its cue
# After a home cue, a street number followed by an estate's name is the estate's (香樟路168号
# 楚樟家园小区, 建设北路101号床单厂): the door, if given, comes after it.
_ESTATE_AFTER = re.compile(
    r"[^，。；;！？!?,、\s的（）()\d]{0,10}?"
    r"(?:小区|花园|家园|苑|公寓|大厦|新村|宿舍|家属院|家属区|大院|广场|城|厂|公司"
    # … and so is one followed by a shop's name (我家在人民路88号华联超市隔壁: the shop's).
    rf"|{_SHOPS})"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


# A household numbered like a flat after a block (43栋101户: floor 1, flat 01), not a count of
# households (10栋460户, 44栋724户, 6栋180户) nor a layout (16栋08户型): three or four digits
# whose last two number a flat on its floor (01–12), no word of counting before the block
# (共3栋101户).
_FLAT_HOUSEHOLD = re.compile(r"[1-9]\d?(?:0[1-9]|1[0-2])户")
_COUNTED_BEFORE = re.compile(r"[共有计约近达每]$")


def _numbered(parts: list[str]) -> bool:
    """Return whether a door chain's ``parts`` hold a street number (23号, not 32号院)."""
    return any(p.endswith("号") and not p.endswith(("号院", "号楼")) for p in parts)


def _is_home(door: str, folded: str, start: int, end: int, cued: bool) -> bool:
    """Return whether the door chain ``door`` (``folded[start:end]``) reaches a home.

    A room (501室), a dashed 1-2-301, a door below a first level (3栋2单元501, 33栋502号,
    七组163号) or a household numbered like a flat (43栋101户) — not a lone building, unit or street number (13栋, 4栋3单元, 人民路88号: a
    block, a stairwell, a shop), a building's floor (17栋1楼), a row or a range of buildings
    (5栋6栋, 10-13栋), a count of households (68栋5000余户), a layout (3室2厅), an area
    (3栋105m2), a range of years (7-8年), a shop (超市101室, 5栋105商铺, 9栋106、108号门面)
    or an office's room (社会保障局517室, 政务服务中心3楼201室). ``cued``: a home cue stands
    before it in its clause (:data:`_HOME_CUE`): a street number is a home's then (我家在解放路
    23号), and so is a door in a building named like an office (家住金源大厦A座1203)."""
    after = folded[end : end + 16]
    if _NOT_A_HOME_AFTER.match(after) or (_RANGE.search(door) and _RANGE_AFTER.match(after)):
        return False
    parts = [m.group(0) for m in _DOOR_PART.finditer(door)]
    before = max(0, start - 10)
    # A shop front after the door (5栋105商铺) or a shop's own unit before it is a shop's,
    # after a home cue too (我家在幸福路5栋105号门面旁边: the home is beside it).
    if _SHOP_AFTER.match(after) or _SHOP_UNIT_BEFORE.search(folded, before, start):
        return False
    if cued and _numbered(parts) and not _ESTATE_AFTER.match(after):
        return True
    # Home words after the door (1栋105房主) or a stairwell with a room after it
    # (3栋2单元501: offices and shops have no 单元) make it a home though a shop's or an
    # institution's name stands before it (its staff's quarters, a landmark).
    homely = _HOME_AFTER.match(after) or any(p.endswith("单元") for p in parts[:-1])
    if not (homely or cued) and (
        _SHOP_BEFORE.search(folded, before, start) or _OFFICE_BEFORE.search(folded, before, start)
    ):
        return False
    # After a home cue a shop's room (华联超市101室) is still a shop's; a block in its name
    # (我家在华联超市5栋302) is its staff's quarters, a home.
    block = any(p.endswith(("栋", "幢", "号楼", "座")) for p in parts)
    if not homely and cued and not block and _SHOP_PROPER_BEFORE.search(folded, before, start):
        return False
    if "室" in door or "-" in door:
        return True
    counted = _COUNTED_BEFORE.search(folded, max(0, start - 1), start) or after.startswith("型")
    if not counted and any(_FLAT_HOUSEHOLD.fullmatch(p) for p in parts[1:]):
        return True
    return any((p.isdigit() and len(p) >= 3) or _numbered([p]) for p in parts[1:])


def mask_house_numbers(text: str, mask: str = DOOR_MASK, *, homes_only: bool = False) -> str:
    """Return ``text`` with house, building, unit and room numbers replaced by ``mask``.

    "家住幸福路12号3栋2单元501" → "家住幸福路＊＊＊"; dates (7月21号), floors (水到二楼),
    counts (三人) and depths (一米五) stay. After a home cue (家住, 我家在, 住址 …) a street
    number is a door after any place name (家住文星桥2号). ``homes_only``: mask only a door
    that reaches a home (:func:`_is_home`), so a business address (人民路88号商场门口), an
    office's room, a shop and a compound's block (13栋业主) stay readable — the service
    desk's rule for complaint texts.
    """
    folded = fold(text)
    parts: list[str] = []
    at = 0
    for m in _DOOR.finditer(folded):
        start, end = m.span()
        cued = _HOME_CUE.search(folded, max(0, start - _CUE_REACH), start) is not None
        if m.group("street") and not _STREET_BEFORE.search(folded, max(0, start - 3), start):
            numbered = _numbered([p.group(0) for p in _DOOR_PART.finditer(m.group(0))])
            if not (cued and numbered and _CJK.match(folded, start - 1)):
                continue
        if homes_only and not _is_home(m.group(0), folded, start, end, cued):
            continue
        parts.append(text[at:start])
        parts.append(mask)
        at = end
    parts.append(text[at:])
    return "".join(parts)
