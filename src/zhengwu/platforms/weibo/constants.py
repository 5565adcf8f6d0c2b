"""Facts about Weibo payloads that the parsers rely on (FORMATS.md sections 1–2)."""

from __future__ import annotations

from typing import Final

from zhengwu.platforms.government import GOVERNMENT_VERIFIED_TYPE as GOVERNMENT_VERIFIED_TYPE
from zhengwu.platforms.government import INSTITUTION_VERIFIED_TYPE as INSTITUTION_VERIFIED_TYPE

PLATFORM: Final = "weibo"

# open.weibo.com "Responses" wiki comment, plus the extra values seen in clients.
VERIFIED_TYPES: Final[dict[int, str]] = {
    -1: "普通用户",
    0: "名人",
    1: "政府",
    2: "企业",
    3: "媒体",
    4: "校园",
    5: "网站",
    6: "应用",
    7: "团体(机构)",
    8: "待审企业",
    10: "微博女郎",
    200: "初级达人",
    220: "高级达人",
    400: "已故V用户",
}

# m.weibo.cn container cards: 9 holds one mblog, 11 groups further cards in card_group.
MBLOG_CARD_TYPE: Final = 9
CARD_GROUP_TYPE: Final = 11

# A deleted status or retweet root carries "deleted": "1".
DELETED_FLAG: Final = "1"

# dataabc/weibo-search user_authentication values (svg ids woo_svg_vblue/…).
SEARCH_INSTITUTIONAL: Final = "蓝V"

# Values crawlers write for a Python False / "not original".
FALSE_WORDS: Final = frozenset({"false", "0", "否", "no", "n"})
TRUE_WORDS: Final = frozenset({"true", "1", "是", "yes", "y"})
