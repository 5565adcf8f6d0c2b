"""Government-account detection (政务号识别), shared by every platform.

Weibo marks government bodies with ``verified_type`` 1 (政府). Institutions (7, 团体/机构)
and crawler "蓝V" badges mix government bodies with companies, media and NGOs, so for those
the verified reason and the account name must show a government body. The description is
never used: 天气通 (a company, type 7) mentions 北京防汛办 in its description.
"""

from __future__ import annotations

import re

# Weibo verified_type values (open.weibo.com "Responses"): 1 政府, 7 团体(机构).
GOVERNMENT_VERIFIED_TYPE = 1
INSTITUTION_VERIFIED_TYPE = 7

# Markers that name a government body wherever they appear (a company name cannot hide them).
_STRONG = (
    "人民政府",
    "公安局",
    "公安厅",
    "公安分局",
    "公安部",
    "派出所",
    "人民法院",
    "人民检察院",
    "政法委",
    "纪委",
    "监委",
    "网信办",
    "宣传部",
    "新闻办",
    "人大常委会",
    "政协",
    "街道办",
    "消防救援",
    "应急管理",
    "市场监督管理",
    "卫健委",
    "卫生健康委",
    "人力资源和社会保障",
    "海关",
    "税务局",
    "交警",
    "气象局",
    "团委",
    "共青团",
)
# A body's name ends with one of these ("北京市公安局", "广东省政法委", "北京发布").
_BODY_SUFFIX = re.compile(
    r"(?:局|厅|委|办|委员会|办公室|政府|公安|警方|警察|网警|交警|派出所|法院|检察院|检察|"
    r"政法|发布|消防|应急|气象|海关|税务|街道|乡|镇|大队|支队|总队|中队|人大|政协|政务|"
    r"监管|管委会|宣传部|组织部|统战部|党委|党校)$"
)
# Ordinary words that happen to end like a body ("餐厅", "格局", "小镇", "家乡", "代办").
_FALSE_SUFFIX = re.compile(
    r"(?:餐厅|歌厅|客厅|展厅|大厅|舞厅|茶厅|格局|布局|饭局|棋局|结局|赌局|残局|代办|承办|"
    r"主办|协办|创办|买办|古镇|小镇|家乡|故乡|老乡|他乡|城乡|水乡|下乡|发布会)$"
)
# Commercial bodies: rejected unless a strong marker is present.
_COMMERCIAL = (
    "公司",
    "有限",
    "集团",
    "店",
    "工作室",
    "银行",
    "保险",
    "证券",
    "俱乐部",
    "后援",
    "粉丝",
    "超话",
)
# Police accounts are named 平安 + place (平安北京, 平安中国); the lookahead keeps out the
# 中国平安 group's brands (平安银行, 平安好医生, 平安普惠 …).
_POLICE_NAME = re.compile(
    r"^平安(?!普惠|健康|好医|银行|保险|证券|人寿|产险|信托|租赁|金融|科技|财富|养老|基金|"
    r"车险|好车|知鸟|口袋|万家|医疗|智慧|银保|资管|养生)[\u4e00-\u9fff]{2,3}$"
)
# A verified reason names the body, then says what the account is.
_TRAILER = re.compile(r"(?:官方|微博|账号|帐号|认证|主页|网站|新媒体|平台)+$")
_PARTS = re.compile(r"[、，,；;/|\s]+|和|及|与")


def is_government_account(
    verified_type: int | None,
    verified_reason: str | None,
    name: str | None,
    *,
    institutional: bool = False,
) -> bool:
    """Return whether an account belongs to a government body (政务号).

    ``verified_type`` 1 is government; 7 (团体/机构) or a crawler's 蓝V badge
    (``institutional=True``) count only when the reason or the name shows a government
    body; every other account is not government.
    """
    if verified_type == GOVERNMENT_VERIFIED_TYPE:
        return True
    if verified_type != INSTITUTION_VERIFIED_TYPE and not institutional:
        return False
    return _shows_government(verified_reason, name)


def names_government_body(text: str | None) -> bool:
    """Return whether a verified reason or an account name shows a government body."""
    return _shows_government(text, text)


def _shows_government(reason: str | None, name: str | None) -> bool:
    texts = [t for t in (reason, name) if t]
    if any(marker in t for t in texts for marker in _STRONG):
        return True
    # A company in the reason makes the account commercial whatever its name says
    # (乌镇旅游股份有限公司 runs "乌镇").
    if any(marker in t for t in texts for marker in _COMMERCIAL):
        return False
    if name and _POLICE_NAME.match(name):
        return True
    return any(_ends_like_body(t) for t in texts)


def _ends_like_body(text: str) -> bool:
    for part in _PARTS.split(text):
        body = _TRAILER.sub("", part.strip())
        if body and _BODY_SUFFIX.search(body) and not _FALSE_SUFFIX.search(body):
            return True
    return False
