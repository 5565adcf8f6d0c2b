"""Word lists of help posts, compiled once: vulnerabilities, needs, hazards, post kinds.

All patterns match normalised text (simplified characters, ASCII digits and punctuation;
see :mod:`zhengwu.rescue.textnorm`). The order of :data:`VULNERABILITIES` and
:data:`NEEDS` is the order fields are reported in.
"""

from __future__ import annotations

import re

_N = r"[0-9一二两三四五六七八九十]+"


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives))


VULNERABILITIES: dict[str, re.Pattern[str]] = {
    "elderly": _words(
        r"老人",
        r"老年",
        r"老大爷",
        r"大爷",
        r"老太",
        r"奶奶",
        r"爷爷",
        r"姥姥",
        r"姥爷",
        r"外婆",
        r"外公",
        r"老母亲",
        r"老父亲",
        r"老两口",
        r"年迈",
        r"高龄",
        r"老伴",
    ),
    "child": _words(r"孩子", r"小孩", r"儿童", r"小朋友", r"幼儿", r"小学生", r"娃"),
    # "8个月" alone may be a pregnancy, so months only count with 大 or a baby word.
    "infant": _words(
        r"婴",
        r"宝宝",
        r"新生儿",
        r"刚出生",
        r"满月",
        _N + r"个月大",
        r"个月的(?:孩子|小孩)",
        r"奶粉",
        r"尿不湿",
        r"纸尿裤",
        r"哺乳",
    ),
    "pregnant": _words(
        r"孕",
        r"临产",
        r"待产",
        r"预产期",
        r"产妇",
        r"羊水",
        r"快生了",
        r"要生了",
        r"大肚子",
    ),
    "disabled": _words(
        r"残疾",
        r"残障",
        r"瘫",
        r"行动不便",
        r"腿脚不便",
        r"腿脚不好",
        r"轮椅",
        r"卧床",
        r"失能",
        r"盲人",
        r"失明",
        r"聋哑",
        r"智力障碍",
        r"截肢",
    ),
    "injured": _words(
        r"受伤",
        r"伤员",
        r"伤者",
        r"骨折",
        r"流血",
        r"出血",
        r"外伤",
        r"[砸划摔压撞]伤",
        r"[重轻]伤",
        r"伤口",
    ),
    "ill": _words(
        r"病人",
        r"患者",
        r"生病",
        r"病重",
        r"重病",
        r"病危",
        r"发烧",
        r"发热",
        r"高烧",
        r"心脏病",
        r"糖尿病",
        r"高血压",
        r"癌",
        r"肿瘤",
        r"透析",
        r"尿毒症",
        r"哮喘",
        r"昏迷",
        r"休克",
        r"抽搐",
        r"呼吸困难",
        r"中风",
        r"脑梗",
        r"心梗",
        r"基础病",
        r"慢性病",
    ),
    # Depends on a drug or a machine that stops working in a flood.
    "on_medication": _words(
        r"[断缺没]药",
        r"没有药",
        r"药[吃用]完",
        r"药没了",
        r"[吃服用]药",
        r"药物",
        r"(?:需要|急需|缺少?)[^,。!?;\n]{0,6}药",
        r"胰岛素",
        r"降压药",
        r"透析",
        r"化疗",
        r"呼吸机",
        r"制氧机",
        r"氧气瓶",
        r"吸氧",
    ),
}

NEEDS: dict[str, re.Pattern[str]] = {
    "trapped": _words(
        r"被困",
        r"困在",
        r"困住",
        r"受困",
        r"围困",
        r"被围",
        r"出不[来去]",
        r"走不[了出]",
        r"无法(?:出|撤离|离开|转移)",
        r"下不[来去]",
        r"孤岛",
        r"困于",
        r"被水围",
    ),
    "medical": _words(
        r"就医",
        r"医生",
        r"医护",
        r"救护车",
        r"急救",
        r"送医",
        r"抢救",
        r"医疗",
        r"看病",
        r"手术",
        r"(?<![\d#])120(?![\d平米])",
        r"接生",
        r"医院",
        r"昏迷",
        r"休克",
        r"病危",
        r"大出血",
        r"呼吸困难",
        r"分娩",
        r"临产",
        r"羊水破",
        r"要生了",
        r"快生了",
    ),
    "evacuation": _words(
        r"转移",
        r"撤离",
        r"疏散",
        r"[接带运送撤救]出",
        r"接走",
        r"转运",
        r"冲锋舟",
        r"橡皮艇",
        r"皮划艇",
        r"救生艇",
        r"船",
    ),
    "supplies": _words(
        r"物资",
        r"食物",
        r"食品",
        r"吃的",
        r"喝的",
        r"饮用水",
        r"矿泉水",
        r"饮水",
        r"没水喝",
        r"断水",
        r"停水",
        r"干粮",
        r"方便面",
        r"面包",
        r"奶粉",
        r"尿不湿",
        r"纸尿裤",
        r"衣物",
        r"被子",
        r"粮食",
        r"断粮",
        r"没吃",
        r"饿",
        r"补给",
        r"蜡烛",
        r"手电",
        r"救生衣",
    ),
    "missing_person": _words(
        r"失联",
        r"失踪",
        r"联系不[上到]",
        r"寻人",
        r"寻找",
        r"找人",
        r"下落不明",
        r"找不到(?!救援|船|车|路|地方)",
        r"走失",
        r"没有?消息",
        r"音讯",
        r"(?<!120)(?<!110)(?<!119)电话(?:一直|始终|都)?打不通",
    ),
    "shelter": _words(
        r"安置",
        r"住处",
        r"避难",
        r"住的地方",
        r"落脚",
        r"过夜",
        r"临时住",
        r"无家可归",
        r"收留",
        r"借宿",
        r"帐篷",
        r"没地方住",
        r"住宿",
    ),
    "power": _words(
        r"停电",
        r"断电",
        r"没有?电(?![话梯视脑])",
        r"电量",
        r"充电",
        r"电池",
        r"发电机",
        r"电不多",
    ),
}

# Medical needs implied by a vulnerability: an injured person or one who runs out of
# medicine needs a doctor even when the post only says "受伤" or "断药".
NEEDS_IMPLIED_BY: dict[str, tuple[str, ...]] = {"medical": ("injured", "on_medication")}

# --- hazards -----------------------------------------------------------------------------
_BODY_OR_PLACE = (
    r"(?:胸口|胸部|胸|腰部|腰|脖子|肩膀|下巴|膝盖|大腿|小腿|腿|脚踝|脚脖子|屋顶|房顶|楼顶|窗户|窗台"
    r"|车窗|车顶|天花板|门口|床|[0-9.]+米|一人多高|一人高|半人高|头顶)"
)
# "一楼", "胸口", and "一楼窗户" / "一楼天花板", whose second part says how high.
_LEVEL = r"(?:" + _N + r"(?:楼|层)的?" + _BODY_OR_PLACE + r"?|" + _BODY_OR_PLACE + r")"
WATER_LEVEL = re.compile(
    r"(?:水位?|水深|积水)(?:已经|已|都|快|马上|就要|快要|眼看就?|也)?要?"
    r"(?:淹到|淹过|淹没|没过|漫过|漫到|涨到|升到|到了|到|过了|过|齐|至|有)?了?"
    + _LEVEL
    + r"|齐(?:腰|胸|膝|脖子?|肩)深?|没过(?:膝盖|腰|头顶|胸)"
    + r"|(?:水深|积水)[0-9.]+米|"
    + _LEVEL
    + r"深的水"
    + r"|(?:一|1)楼(?:已经|已|都|全)?(?:被)?淹(?:了|没)?"
)
# Water inside, level unknown: weaker than WATER_LEVEL, stronger than nothing.
WATER_INSIDE = re.compile(
    r"(?:房子|家里|屋里|家中|车库|地下室|车里|一楼|小区|全村|村里|村子)(?:已经|已|都|全)?(?:被)?(?:进水|淹)(?:了|没)?"
)
RISING_WATER = re.compile(
    r"水位?(?:还在|仍在|持续|不断|一直|正在|迅速|快速|继续|又)(?:往上)?(?:上涨|上升|涨|升高|变高)"
    r"|水位?在(?:上)?涨|(?:还在|仍在|继续|不断|一直在?)(?:往上)?(?:上)?涨|水(?:位)?(?:上涨|暴涨|猛涨)|涨水|水越来越(?:大|深|高|多)|越涨越高|水还在涨"
)
# Water that far up leaves people on upper floors or roofs: the severe end of 水位.
SEVERE_LEVEL = re.compile(
    r"胸|脖|肩|下巴|头顶|屋顶|房顶|楼顶|天花板|一人多?高|窗|车顶|[2-9二三四五六七八九](?:楼|层)"
    r"|(?:[2-9]|1\.[5-9])(?:\.\d+)?米"
)
# Hazards that kill by themselves, like water over the head.
COLLAPSE = _words(r"倒塌", r"塌方", r"泥石流", r"山体滑坡", r"溃坝", r"决堤", r"要塌")
OTHER_HAZARD = _words(
    r"山体滑坡",
    r"滑坡",
    r"泥石流",
    r"塌方",
    r"房屋倒塌",
    r"倒塌",
    r"要塌",
    r"塌了",
    r"决堤",
    r"溃坝",
    r"溃口",
    r"漏电",
    r"触电",
    r"火灾",
    r"起火",
    r"着火",
    r"燃气泄漏",
    r"煤气泄漏",
    r"山洪",
    r"[冲沖][毁垮]",
)
# "无老人小孩" names a group only to say it is absent.
NEGATED_VULNERABLE = re.compile(
    r"(?:无|没有|不含|没)(?:老人|老年人|小孩|孩子|儿童|孕妇|婴儿|病人|伤员|伤者)"
    r"(?:[、和及或与/]?(?:老人|老年人|小孩|孩子|儿童|孕妇|婴儿|病人|伤员|伤者))*"
)

# --- urgency -----------------------------------------------------------------------------
# "紧急联系人" is a template label, not a plea: drop it before looking for markers.
URGENCY_LABEL_NOISE = re.compile(r"紧急联系(?:人|电话|方式)?|紧急程度|紧急情况说明")
CRITICAL_MARKERS = _words(
    r"超级紧急",
    r"十万火急",
    r"万分火急",
    r"万分危急",
    r"特别紧急",
    r"非常紧急",
    r"极其紧急",
    r"特急",
    r"危急",
    r"生命危险",
    r"命悬一线",
    r"快不行",
    r"撑不住",
    r"坚持不住",
)
URGENT_MARKERS = _words(
    r"紧急",
    r"急急",
    r"很急",
    r"着急",
    r"急需",
    r"火急",
    r"尽快",
    r"赶快",
    r"赶紧",
    r"速来",
    r"速救",
    r"危险",
    r"救命",
    r"急!",
)
NORMAL_MARKERS = _words(r"不紧急", r"不太急", r"不急", r"一般")
ACUTE_MEDICAL = _words(
    r"昏迷",
    r"休克",
    r"病危",
    r"大出血",
    r"呼吸困难",
    r"临产",
    r"羊水破",
    r"要生了",
    r"快生了",
    r"心脏病发",
    r"心梗",
    r"脑出血",
    r"抽搐",
    r"不省人事",
)
