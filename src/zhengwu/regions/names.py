"""Short forms of division names (简称) and the words that make them risky in free text.

A short form drops the administrative suffix and the ethnic part of an autonomous
area's name: 广州市 → 广州, 内蒙古自治区 → 内蒙古, 黔东南苗族侗族自治州 → 黔东南,
管城回族区 → 管城. Short forms shorter than two characters are never produced
(沧县 stays 沧县), because a single character matches almost anything.
"""

from __future__ import annotations

# Longest first, so 自治县 wins over 县 and 新区 over 区.
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "行政区",
    "地区",
    "林区",
    "特区",
    "新区",
    "省",
    "市",
    "盟",
    "区",
    "县",
    "旗",
)


def _words(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated word list (kept as text so it reads like a table)."""
    return tuple(text.split())


# The 56 officially recognised ethnic groups (without 族), plus 各 as in 龙胜各族自治县.
_ETHNIC_GROUPS = _words(
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 "
    "高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 "
    "普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 "
    "珞巴 基诺 各"
)

# "X族" is always an ethnic token; a bare name only when it has two or more characters,
# since 白, 水, 京, 土 … are ordinary parts of place names (白水县, 京山市).
_ETHNIC_TOKENS = tuple(
    sorted(
        [g + "族" for g in _ETHNIC_GROUPS] + [g for g in _ETHNIC_GROUPS if len(g) >= 2],
        key=len,
        reverse=True,
    )
)

# Names that are also everyday words, slogans, brands or street names, so that seeing
# them alone in a post says nothing about a place. They still match when the text also
# names a parent or a child division ("辽宁朝阳", "西藏阿里").
COMMON_WORDS = frozenset(
    _words(
        """
        东方 和平 新华 长安 阿里 白银 来宾 安康 普洱 和田 哈密 德州 北海
        朝阳 大理 玉树 红河 新星 白杨 双河 昆玉 光明 复兴 太平 清水 新兴
        平安 安定 开平 向阳 青山 白云 南山 东山 西湖 城关 城中 城东 城西
        城北 市中 市南 市北 新城 新市 中山 中原 中区 东区 西区 南区 北区
        城区 郊区 矿区 红旗 解放 前进 友好 和顺 永安 永和 中和 信义 将军
        板桥 杨梅 龙潭 大树 八德 仁德 林园 北门 三重 大安 金山 宝山 宝安
        永定 长宁 普陀 江北 江南 河东 河西 新都 海城 山城 凤凰 东港 新安
        安宁 安平 平山 铁山 金平 龙华 龙岗 鼓楼 天山 临海 大渡口 万山 万年
        """
    )
)

# Taiwan, Hong Kong and Macau district names (中正, 信义, 中西 …) are rarely what a
# mainland post means, so their short forms need a parent or child named in the text.
CONTEXT_ONLY_PREFIXES = ("71", "81", "82")


def short_name(name: str) -> str:
    """Return the short form of a division name (广州市 → 广州), or the name itself."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            stem = _strip_ethnic(name[: -len(suffix)])
            # 金林区 must not lose 林区 as if it were 神农架林区: try the next suffix.
            if len(stem) >= 2:
                return stem
    return name


def _strip_ethnic(stem: str) -> str:
    """Drop trailing ethnic-group names while at least two characters remain."""
    changed = True
    while changed:
        changed = False
        for token in _ETHNIC_TOKENS:
            if stem.endswith(token) and len(stem) - len(token) >= 2:
                stem = stem[: -len(token)]
                changed = True
                break
    # 鄂温克族自治旗 → 鄂温克族 → 鄂温克: only the lone 族 can go.
    if stem.endswith("族") and len(stem) >= 3:
        stem = stem[:-1]
    return stem


# Products, brands, dishes and fixed phrases that contain a division's name but never
# say where something is (云南白药 is sold in every town; 沙县小吃 and 兰州拉面 are shops on
# any street; 北京时间 is a clock). A text is read as if they were not there.
NOT_PLACES = _words(
    """
    云南白药 北京时间 沙县小吃 兰州拉面 兰州牛肉面 桂林米粉 柳州螺蛳粉 重庆小面 重庆火锅
    四川火锅 西湖龙井 金华火腿 德州扒鸡 青岛啤酒 哈尔滨啤酒 贵州茅台 泸州老窖 新疆大盘鸡
    北京烤鸭 天津狗不理 扬州炒饭 武汉热干面 南京盐水鸭 宁夏枸杞 云南米线 海南鸡饭
    台湾手抓饼 澳门豆捞 长安汽车 长安福特 北京现代 上海大众 上海通用 东风日产 广汽本田
    安化黑茶 黄山毛峰 景德镇瓷器 新疆棉 长白山人参 东阿阿胶 片仔癀 马应龙
    """
)
