"""Who is in a help post: the number of people, their ages, the name of the person asking."""

from __future__ import annotations

import re

from zhengwu.rescue.textnorm import NUMBER, parse_number

# --- people count ------------------------------------------------------------------------
_VAGUE = r"(?:多|余|几)?"
_GROUP = (
    r"(老人|老年人|孩子|小孩|儿童|婴儿|宝宝|孕妇|大人|成人|成年人|病人|伤员|学生|居民|群众|村民|工人"
    r"|员工|男性|女性|男的|女的|老太太|小朋友|客人|乘客|游客|旅客|住户|人员|邻居)"
)
# Totals: "一家五口", "共8人", "8个人". Lookbehinds keep "120人" out of masked phones (#).
_TOTALS = [
    re.compile(
        r"(?:一家|全家|家里|我家|一共|总共|共计?|合计)(?:老小|大小|子)?(?:有)?("
        + NUMBER
        + r")"
        + _VAGUE
        + r"(?:个|名|位)?(?:口|人)"
    ),
    re.compile(
        r"(?<![\d#.])(" + NUMBER + r")" + _VAGUE + r"(?:个|名|位|口)?人(?![次份民员工多高])"
    ),
    re.compile(r"(?<![\d#.])(" + NUMBER + r")" + _VAGUE + r"口(?:人|之家)"),
]
# Parts: "老人2名", "3个孩子", "一个瘫痪病人", "有个85岁的老人" — summed when larger than
# every total. Each pattern captures (number or None, group).
_FILLER = r"[^,。!?;\s人]{0,8}?"
_PARTS = [
    re.compile(r"(?<![\d#.岁])(" + NUMBER + r")" + _VAGUE + r"(?:个|名|位)?" + _GROUP),
    # "8个月大的宝宝" is an age, not eight babies.
    re.compile(
        r"(?<![\d#.岁])(" + NUMBER + r")" + _VAGUE + r"(?:个|名|位)(?!月)" + _FILLER + _GROUP
    ),
    re.compile(r"有(?:个|位|名)()" + _FILLER + _GROUP),
]
# "孕妇8个月", "宝宝3个月大", "孩子2个半月" are ages too, not eight pregnant women.
_PARTS_AFTER = re.compile(
    _GROUP + r"(?:有)?(" + NUMBER + r")" + _VAGUE + r"(?:个(?!半?月)|名|位|人|口)"
)
_COUPLE = re.compile(r"老[两俩]口|两口子|夫妻二人|老夫妻")
# "我们俩", "母子俩" are two people; "我们仨", "娘仨" three.
_KIN_GROUP = r"(?:我们|咱们|咱|俺们|他们|她们|娘儿|娘|母子|父子|母女|父女|姐妹|兄弟|姐弟|兄妹|爷孙|祖孙|婆媳|夫妻)"
_PAIR = re.compile(_KIN_GROUP + r"([俩仨])")
# The number must end the count: "人数：一家三口" is read as a total, not as 1; all its
# digits are the number ("100以上" is 100, not 10), 二十来个 and 100以上 are 20 and 100.
_LABELLED = re.compile(
    r"(?:被困|受困|求助|需救援)?人数\s*(?:[::]|为|是|约)?\s*(" + NUMBER + r")(?!\d)"
    + r"(?:多|余|几|来)?(?:个|名|位|口)?(?:以上|左右)?(?:人|$|[^\u4e00-\u9fff])"
)  # fmt: skip
_UPPER_BOUND = 5000  # a larger figure is a news total, not a village to rescue
# Surnames that name a household ("张家4人"); 全 is left out (全家 is the whole family).
_SURNAME_CHARS = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关"
    "兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻"
    "祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿"
    "桂佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝井"
)
# Households counted one by one: "我家3人，隔壁老王家2人" is five people, and so is
# "张家4人、李家3人、王家5人" twelve. A household is named (我家, 家里, 隔壁, 邻居, 楼上,
# 老王家, 张家 …, perhaps 一家) right before its count; the counts of two or more
# households — however many — are added up. One household alone is an ordinary total.
_HOUSEHOLD = re.compile(
    r"(?:(?:隔壁|邻居|对门|楼上|楼下)(?:[老小]?[\u4e00-\u9fff]{0,2}家)?|(?:我们?|咱们?|他们?|她|亲戚)家"
    r"|家里|[老小][\u4e00-\u9fff]家|[" + _SURNAME_CHARS + r"]家)(?:里|中)?"
    r"(?:一家|还有|也有|有|共|一共)?(" + NUMBER + r")(?:个|名|位)?(?:口人|口|人)(?![次份民员工])"
)  # fmt: skip


def count_people(text: str) -> int | None:
    """Return how many people need help (the larger of the totals and the sum of groups).

    Households counted one by one are a total of their own: "我家3人，隔壁老王家2人" → 5.
    Groups inside a household ("一家五口，其中3个孩子") are part of it, never added to it.
    """
    if m := _LABELLED.search(text):
        return _plausible(parse_number(m.group(1)))
    totals = [n for p in _TOTALS for m in p.finditer(text) if (n := _plausible(parse_number(m[1])))]
    if _COUPLE.search(text):
        totals.append(2)
    totals += [2 if m[1] == "俩" else 3 for m in _PAIR.finditer(text)]
    households = [n for m in _HOUSEHOLD.finditer(text) if (n := _plausible(parse_number(m[1])))]
    if len(households) >= 2:
        totals.append(sum(households))
    # The same group named twice ("3个孩子……孩子3个") is counted once.
    parts: dict[str, int] = {}
    found = [(m[1], m[2]) for p in _PARTS for m in p.finditer(text)]
    found += [(m[2], m[1]) for m in _PARTS_AFTER.finditer(text)]
    for number, group in found:
        n = _plausible(parse_number(number)) if number else 1
        if n:
            parts[group] = max(parts.get(group, 0), n)
    best = max([*totals, sum(parts.values())], default=0)
    return best or None


def _plausible(n: int | None) -> int | None:
    return n if n is not None and 0 < n <= _UPPER_BOUND else None


# --- ages --------------------------------------------------------------------------------
_AGE = re.compile(r"(?<![\d#.])(" + NUMBER + r")(?:多|来)?(?:周)?岁")
_AGE_LABEL = re.compile(r"年龄\s*[::]?\s*(" + NUMBER + r")")


def ages(text: str) -> list[int]:
    """Return every age stated in ``text`` ("45岁", "七十多岁", "年龄: 45"), in order."""
    found = [parse_number(m.group(1)) for m in _AGE_LABEL.finditer(text)]
    found += [parse_number(m.group(1)) for m in _AGE.finditer(text)]
    return [a for a in found if a is not None and 0 < a < 120]


# --- names -------------------------------------------------------------------------------
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关"
    "兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻"
    "祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿"
    "桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝井"
)
_COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "夏侯",
    "公孙",
)
_HONORIFIC = (
    r"(?:先生|女士|小姐|阿姨|叔叔|大爷|大妈|奶奶|爷爷|老师|师傅|大姐|大哥|书记|主任|村长|队长)"
)
# Characters that end a name when people run words together ("我叫李明今年35岁").
_NOT_IN_NAME = set("今在家住被是的电手联年岁和与跟带我现目正已求急从住有")
# ... and, in a three-character run only, numerals ("李明一家"; but "张三" is a name).
_NOT_THIRD = _NOT_IN_NAME | set("一二三四五六七八九十两")
# Place suffixes: "郑州", "金水区" start with surname characters but are no names.
_PLACE_CHARS = set("州市区县省镇乡村路街楼号院")
# Words that start with a surname character but are not names.
_NOT_NAME_WORDS = (
    "方式 方面 高速 高楼 周边 周围 黄河 金水 文化 江边 万达 时间 孙子 "
    "安全 安置 石家 连续 成功 关注 左右 向上 司机 任何 全家 全部 全是 "
    "单元 华北 华南 东方 车库 车辆 路口 路上 卫生 管理 平安 和平 宁波 "
    "常州 温州 杭州 金华 邢台 邯郸 保定 廊坊 沙口 房子 房顶 屋顶 楼顶 "
    "米左 解放 商丘 焦作 新乡 许昌 周口 安阳 鹤壁 濮阳 漯河 南阳 信阳 "
    "驻马 三门 齐腰 水位 小区 电话 联系 史上 吉林 明天 明早 明晚 明日 "
    "时候 连夜 成都 包括 应该 宫颈 宗教 景区 党员 冷静 毕业 季节 师傅 "
    "尚未 苗圃 古城 简单 项目"
)
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
_NAME = re.compile(
    r"(?:" + "|".join(_COMPOUND_SURNAMES) + r"|[\u4e00-\u9fff])(?:[\u4e00-\u9fff]{1,2}|某某?)"
)
_HONORIFIC_NAME = re.compile(r"([\u4e00-\u9fff]{1,2})" + _HONORIFIC)
_KIN = (
    r"(?:姐姐|妹妹|哥哥|弟弟|妈妈|爸爸|母亲|父亲|奶奶|爷爷|姥姥|姥爷|外婆|外公|老公|老婆|丈夫|妻子|儿子"
    r"|女儿|朋友|同事|同学|舅舅|姑姑|叔叔|阿姨|婆婆|公公|岳父|岳母|表[姐妹哥弟]|堂[姐妹哥弟])"
)
_SELF_INTRO = re.compile(
    r"(?:我叫|我是|本人|名叫|名字是|姓名是|求助人|求助者|被困人员?|被困者|当事人|联系人|寻人启事|寻人"
    r"|寻找|找|寻"
    r"|我的?" + _KIN + r")[::\s]*"
)
# "张三一家五口", "王秀英老人": a name right before 一家 / 老人.
_FAMILY_OF = re.compile(r"(?=(?:一家|全家|家人|老人))")


def clean_name(value: str) -> str | None:
    """Return the person's name at the start of ``value``, or None when it isn't a name."""
    value = value.strip(" :,.;、()[]【】\t\n\"'")
    m = _HONORIFIC_NAME.match(value)
    if m and m.group(1)[-1] in _SURNAMES:
        return m.group(1)[-1] + value[m.end(1) : m.end()]
    m = _NAME.match(value)
    if not m:
        return None
    name = m.group(0)
    if not (name[:2] in _COMPOUND_SURNAMES or name[0] in _SURNAMES):
        return None
    while len(name) > 2 and name[-1] in _NOT_THIRD:
        name = name[:-1]
    if name[-1] in _NOT_IN_NAME or name[:2] in _NOT_NAMES or _PLACE_CHARS.intersection(name):
        return None
    return name


def find_name(text: str, phones_at: list[int]) -> str | None:
    """Return a name from free text: after 我叫/求助人…, before a phone number, or 张女士."""
    for m in _SELF_INTRO.finditer(text):
        if name := clean_name(text[m.end() : m.end() + 6]):
            return name
    for at in phones_at:
        # "张三 13800000000", "联系人王先生:138…": the words right before the number.
        before = re.split(r"[,。!?;\s:、()]|电话|手机|联系方式|联系", text[max(0, at - 12) : at])
        chunk = next((c for c in reversed(before) if c), "")
        # Only a short chunk is a bare name; a longer one is a sentence.
        if len(chunk) <= 4 and (name := clean_name(chunk)):
            return name
    for m in _FAMILY_OF.finditer(text):
        for size in (3, 2):
            chunk = text[max(0, m.start() - size) : m.start()]
            if len(chunk) == size and (name := clean_name(chunk)) == chunk:
                return name
    for m in _HONORIFIC_NAME.finditer(text):
        if name := clean_name(text[m.start() :]):
            return name
    return None
