"""Addresses in help posts: the address string, then its division through ``zhengwu.regions``.

The address string is cut out of the text here (down to the building and room: "郑州市金水区
文化路32号院3号楼"); turning it into an adcode and coordinates is the regions package's job
(:func:`zhengwu.regions.resolve_address`), so no division table lives in this package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhengwu import regions

# Characters that never sit inside a place name here; they bound an address run.
_HAN = r"[^\W\d_A-Za-z在的了是被困我你他她们请求救帮忙急已到也说要想能没不从往有]"
_ADMIN = r"(?:省|自治区|自治州|市|地区|盟|区|县|旗|镇|乡|街道|村|社区)"
_STREET = (
    r"(?:路|大道|大街|街|巷|胡同|小区|花园|家园|公寓|大厦|广场|苑|庄|屯|湾|府|新村|医院|学校|小学|中学"
    r"|大学|酒店|宾馆|地铁站|地铁|站|隧道|中心|公司|厂|村委会|城|公园|交叉口|十字路口|路口)"
)
_NUM = r"(?:[0-9A-Za-z]+|[一二三四五六七八九十]+)"
_UNIT = r"(?:号院|号楼|号线|号|栋|幢|座|单元|层|楼|室|户|排|组|期|区|弄)"
_TOKEN = (
    r"(?:" + _HAN + r"{1,8}?(?:" + _ADMIN + "|" + _STREET + r")"
    r"|" + _NUM + r"-?" + _UNIT + r"|\d+(?:-\d+)+|\d+(?![\u4e00-\u9fff\d])"
    # A bare suffix continues a run: "李庄" + "村", "新镇" + "镇".
    r"|" + _ADMIN + "|" + _STREET + r")"
)
_RUN = re.compile(r"(?:" + _TOKEN + r")+")
_NAMED = re.compile(_HAN + r"{2,}(?:" + _ADMIN + "|" + _STREET + r")")
# Words that end up at the start of a run but are not part of the place.
_LEAD = re.compile(
    r"^(?:家住|住在|位于|目前|现在|地址|位置|定位|坐标|具体|紧急|老家|一家|全家|这里|这边|那边|整个|这个"
    r"|那个|附近|周边|旁边|对面|今天|昨天|今晚|今早|凌晨|晚上|早上|上午|下午|中午|妈妈|爸爸|父母|爷爷"
    r"|奶奶|姥姥|姥爷|外婆|外公|老人|家人|亲戚|朋友|同事|孩子|女儿|儿子|老婆|老公|哥哥|姐姐|弟弟|妹妹"
    r"|婆婆|公公|亲人|舅舅|姑姑|叔叔|阿姨|岳父|岳母|一个|家|该|本)+"
)
_GENERIC = re.compile(
    r"(?:城市|市区|地区|小区|社区|灾区|山区|郊区|景区|城区|园区|校区|市民|新区|全市|全区|全省)"
)
# Topics (#河南暴雨互助#) and mentions (@郑州消防) name the event or an account, not the place.
_TAGS = re.compile(r"#[^#\n]{1,40}#|@[^\s:,;!?。]{1,30}")


def find_address(text: str) -> str | None:
    """Return the most detailed address in normalised free ``text`` (phones masked), or None."""
    best: tuple[int, int, str] | None = None
    for m in _RUN.finditer(blank_tags(text)):
        run = _LEAD.sub("", m.group(0))
        if not run or _GENERIC.fullmatch(run) or not _NAMED.search(run):
            continue
        tokens = len(re.findall(_TOKEN, run))
        score = (tokens, len(run))
        if best is None or score > best[:2]:
            best = (*score, run)
    return best[2] if best else None


def blank_tags(text: str) -> str:
    """Return ``text`` with its #话题# and @mentions blanked out (same length, same offsets)."""
    return _TAGS.sub(lambda m: " " * len(m.group(0)), text)


def extend_address(text: str, span: tuple[int, int]) -> str:
    """Return the division name at ``span`` of ``text`` (found by the regions package),
    extended over the street, building and room that follow it."""
    m = _RUN.match(text, span[0])
    return text[span[0] : max(span[1], m.end() if m else 0)]


# --- regions -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: adcode and, when the regions package knows them, coordinates."""

    adcode: str
    lon: float | None
    lat: float | None
    span: tuple[int, int]


def resolve(text: str, hint: str | None) -> Place | None:
    """Return the division ``text`` names (with ``hint`` for a city or province), or None."""
    match = regions.resolve_address(text, hint=hint)
    if match is None:
        return None
    division = regions.get(match.adcode)
    return Place(
        adcode=match.adcode,
        lon=division.lon if division else None,
        lat=division.lat if division else None,
        span=match.span,
    )
