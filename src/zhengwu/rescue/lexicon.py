"""Word lists of help posts, compiled once: vulnerabilities, needs, hazards, urgency, post kinds.

All patterns match normalised text (simplified characters, ASCII digits and punctuation;
see :mod:`zhengwu.rescue.textnorm`). The order of :data:`VULNERABILITIES` and
:data:`NEEDS` is the order fields are reported in. Lists are data: extend them here, not
in the code that uses them.
"""

from __future__ import annotations

import re

from zhengwu.rescue.textnorm import NUMBER

_N = r"[0-9一二两三四五六七八九十]+"
_CLAUSE = r"[^,。!?;\n]"  # a character that stays inside one clause


def _words(words: str, *patterns: str) -> re.Pattern[str]:
    """Compile space-separated plain ``words`` and extra regex ``patterns`` into one pattern."""
    return re.compile("|".join([*map(re.escape, words.split()), *patterns]))


VULNERABILITIES: dict[str, re.Pattern[str]] = {
    "elderly": _words(
        "老人 老年 老大爷 大爷 老太 奶奶 爷爷 姥姥 姥爷 外婆 外公 老母亲 老父亲 老两口 年迈 高龄 老伴"
    ),
    "child": _words("孩子 小孩 儿童 小朋友 幼儿 小学生 娃"),
    # "8个月" alone may be a pregnancy, so months only count with 大 or a baby word.
    "infant": _words(
        "婴 宝宝 新生儿 刚出生 满月 奶粉 尿不湿 纸尿裤 哺乳",
        _N + r"个月大",
        r"个月的(?:孩子|小孩)",
    ),
    "pregnant": _words("孕 临产 待产 预产期 产妇 羊水 快生了 要生了 大肚子"),
    "disabled": _words(
        "走不了路 不能走路 走不动 残疾 残障 瘫 行动不便 腿脚不便 腿脚不好 轮椅 卧床 失能 盲人 失明"
        " 聋哑 智力障碍 截肢"
    ),
    "injured": _words("受伤 伤员 伤者 骨折 流血 出血 外伤 伤口", r"[砸划摔压撞重轻]伤"),
    "ill": _words(
        "病人 患者 生病 病重 重病 病危 发烧 发热 高烧 心脏病 糖尿病 高血压 癌 肿瘤 透析 尿毒症 哮喘"
        " 昏迷 休克 抽搐 呼吸困难 中风 脑梗 心梗 基础病 慢性病"
    ),
    # Depends on a drug or a machine that stops working in a flood.
    "on_medication": _words(
        "没有药 药没了 药物 胰岛素 降压药 透析 化疗 呼吸机 制氧机 氧气瓶 吸氧",
        r"[断缺没]药",
        r"药[吃用]完",
        r"[吃服用]药",
        r"(?:需要|急需|缺少?)" + _CLAUSE + r"{0,6}药",
    ),
}

NEEDS: dict[str, re.Pattern[str]] = {
    "trapped": _words(
        "被困 困在 困住 受困 围困 被围 未获救 被埋 埋在 压在 孤岛 困于 被水围",
        r"出不[来去]",
        r"走不[了出](?!路)",
        r"下不[来去]",
        r"无法(?:出|撤离|离开|转移)",
        r"(?:没|未|还没)有?(?:被)?救出",
        r"等待?救援",
    ),
    "medical": _words(
        "就医 医生 医护 救护车 急救 送医 抢救 医疗 看病 手术 接生 医院 昏迷 休克 病危 大出血"
        " 呼吸困难 分娩 临产 羊水破 要生了 快生了",
        r"(?<![\d#])120(?![\d平米])",
    ),
    "evacuation": _words(
        "转移 撤离 疏散 接走 转运 冲锋舟 橡皮艇 皮划艇 救生艇 船", r"(?<![没未])[接带运送撤救]出"
    ),
    "supplies": _words(
        "物资 食物 食品 吃的 喝的 饮用水 矿泉水 饮水 没水喝 断水 停水 干粮 方便面 面包 奶粉 尿不湿"
        " 纸尿裤 衣物 被子 粮食 断粮 没吃 饿 补给 蜡烛 手电 救生衣"
    ),
    "missing_person": _words(
        "失联 失踪 寻人 寻找 找人 下落不明 走失 音讯",
        r"联系不[上到]",
        r"找不到(?!救援|船|车|路|地方)",
        r"没有?消息",
        r"(?<!120)(?<!110)(?<!119)电话(?:一直|始终|都)?打不通",
    ),
    "shelter": _words(
        "安置 住处 避难 住的地方 落脚 过夜 临时住 无家可归 收留 借宿 帐篷 没地方住 住宿"
    ),
    "power": _words("停电 断电 电量 充电 电池 发电机 电不多", r"没有?电(?![话梯视脑])"),
}

# Medical needs implied by a vulnerability: an injured person or one who runs out of
# medicine needs a doctor even when the post only says "受伤" or "断药".
NEEDS_IMPLIED_BY: dict[str, tuple[str, ...]] = {"medical": ("injured", "on_medication")}

# "无老人小孩" names a group only to say it is absent.
_GROUPS = r"(?:老人|老年人|小孩|孩子|儿童|孕妇|婴儿|病人|伤员|伤者)"
NEGATED_VULNERABLE = re.compile(
    r"(?:无|没有|不含|没)" + _GROUPS + r"(?:[、和及或与/]?" + _GROUPS + ")*"
)

# --- hazards -----------------------------------------------------------------------------
_BODY_OR_PLACE = (
    r"(?:胸口|胸部|胸|腰部|腰|脖子|肩膀|下巴|膝盖|大腿|小腿|腿|脚踝|脚脖子|屋顶|房顶|楼顶|窗户|窗台"
    r"|车窗|车顶|天花板|门口|床|[0-9.一二两三四五六七八九十半]+米多?|一人多高|一人高|半人高|头顶|顶)"
)
# "一楼", "胸口", and "一楼窗户" / "一楼天花板", whose second part says how high.
_LEVEL = r"(?:" + _N + r"(?:楼|层)的?" + _BODY_OR_PLACE + r"?|" + _BODY_OR_PLACE + r")"
WATER_LEVEL = re.compile(
    r"(?:水位?|水深|积水)(?:已经|已|都|快|马上|就要|快要|眼看就?|也)?要?"
    r"(?:淹到|淹过|淹没|淹了|没过|漫过|漫到|漫了|涨到|升到|到了|到|过了|过|齐|至|有)?了?" + _LEVEL
    + r"|齐(?:腰|胸|膝|脖子?|肩)深?|没过(?:膝盖|腰|头顶|胸)|(?:水深|积水)[0-9.]+米"
    + r"|" + _LEVEL + r"深的水|(?:一|1)楼(?:已经|已|都|全)?(?:被)?淹(?:了|没)?"
)  # fmt: skip
# Water inside, level unknown: weaker than WATER_LEVEL, stronger than nothing.
WATER_INSIDE = re.compile(
    r"(?:房子|房屋|家里|屋里|屋子|家中|院子|车库|地下室|车里|一楼|小区|村里|村子|村)[^,。!?;\s]{0,4}?"
    r"(?:进水|被水?淹|淹|被水泡|泡水)(?:了|没)?"
    r"|(?:外面|门口|楼下|路上|周围|四周)(?:的)?水(?:很|特别|非常|太)深"
)
RISING_WATER = re.compile(
    r"水位?(?:还在|仍在|持续|不断|一直|正在|迅速|快速|继续|又)(?:往上)?(?:上涨|上升|涨|升高|变高)"
    r"|水位?在(?:上)?涨|(?:还在|仍在|继续|不断|一直在?)(?:往上)?(?:上)?涨"
    r"|水位?(?:上涨|暴涨|猛涨)|涨水|水越来越(?:大|深|高|多)|越涨越高"
    # "水位在上升", "水涨得很快", "水一直往屋里灌", "水往上冒": the water is still coming.
    r"|水位?在(?:上升|升高|往上[涨冒漫])|水位?[涨升]得(?:很|特别|非常|太|越来越)?快"
    r"|水(?:还|一直|不停地?|不断)?往(?:上|屋里|家里|楼上|里)(?:涨|冒|灌|漫)"
)
# Water that far up leaves people on upper floors or roofs: the severe end of 水位.
SEVERE_LEVEL = re.compile(
    r"胸|脖|肩|下巴|头顶|屋顶|房顶|楼顶|天花板|一人多?高|窗|车顶|[2-9二三四五六七八九](?:楼|层)"
    r"|到顶|没顶|(?:[2-9]|1\.[5-9])(?:\.\d+)?米|[两二三四五六七八九十]米"
)
# Hazards that kill by themselves, like water over the head.
COLLAPSE = _words("倒塌 塌方 泥石流 山体滑坡 溃坝 决堤 决口 溃堤 要塌")
OTHER_HAZARD = _words(
    "滑坡 塌了 溃口 漏电 触电 火灾 起火 着火 燃气泄漏 煤气泄漏 山洪",
    r"[冲沖][毁垮断]",
    r"(?:屋顶|房顶|顶棚)被?[掀刮吹]",
    r"[刮吹]倒",
)

# --- urgency -----------------------------------------------------------------------------
# "紧急联系人" is a template label, not a plea: drop it before looking for markers.
URGENCY_LABEL_NOISE = re.compile(r"紧急联系(?:人|电话|方式)?|紧急程度|紧急情况说明")
CRITICAL_MARKERS = _words(
    "超级紧急 十万火急 万分火急 万分危急 特别紧急 非常紧急 极其紧急 特急 危急 生命危险 命悬一线"
    " 快不行 撑不住 坚持不住"
)
URGENT_MARKERS = _words("紧急 急急 很急 着急 急需 火急 尽快 赶快 赶紧 速来 速救 危险 救命 急!")
NORMAL_MARKERS = _words("不紧急 不太急 不急 一般")
ACUTE_MEDICAL = _words(
    "昏迷 休克 病危 大出血 呼吸困难 临产 羊水破 要生了 快生了 心脏病发 心梗 脑出血 抽搐 不省人事"
)

# --- post kinds ----------------------------------------------------------------------------
HELP_MARKERS = re.compile(
    r"求助|求救|救命|救救|sos|求援|请求救援|需要救援|急需救援|等待救援|等救援|盼救援|求救援"
    r"|求转发|帮转|扩散|寻人|帮帮|帮忙|帮我|帮一下|求求|快来人|来人啊?|救一下|需要帮助"
    r"|麻烦" + _CLAUSE + r"{0,8}(?:救援|帮|联系|看)|有没有" + _CLAUSE + r"{0,4}(?:人|救援|船|车)"
    r"|谁(?:能|可以|在)|请(?:求)?(?:救援|帮助)",
    re.IGNORECASE,
)
# A stated need ("需要奶粉") asks for help only together with what is needed.
NEED_MARKERS = re.compile(r"需要|急需|缺")
# Hearsay ("听说有人被困") reports someone else's situation, not a request.
HEARSAY_MARKERS = re.compile(r"新闻|听说|据说|网传|看到")
NEWS_MARKERS = re.compile(
    r"据"
    + _CLAUSE
    + r"{0,12}(?:报道|消息|通报|介绍|了解)|记者|新华社|央视|人民日报|中新网|新京报|澎湃"
    r"|通讯员|[报网]讯|\d+日电|报道称|消息称|获悉|【[^】]*(?:新闻|快讯|关注|直击|聚焦|速报|最新)[^】]*】"
    # Official tallies ("已转移安置群众5527人") are reports, not requests.
    r"|(?:转移|安置|疏散|救出|解救)群众" + NUMBER
)
NOTICE_MARKERS = re.compile(
    r"【[^】]*(?:预警|通知|通告|公告|提醒|提示|警报|发布|防汛|通报)[^】]*】|预警信号"
    r"|(?:发布|升级|启动|解除)"
    + _CLAUSE
    + r"{0,12}(?:预警|应急响应)|气象台|应急管理局|指挥部(?:发布|通知|通告|提醒|公告|消息|:)"
    r"|关于" + _CLAUSE + r"{0,20}的(?:通知|通告|公告)|请广大|广大(?:市民|群众|居民)|市民朋友"
    r"|温馨提示|非必要不外出|减少外出|(?:求助|救援)(?:热线|电话)(?:公布|汇总|如下)|转发周知|特此"
)
OFFER_MARKERS = re.compile(
    r"可(?:以)?(?:免费)?提供|免费(?:提供|住宿|接送|充电|救援)|无偿"
    r"|(?:有|如有)需要的?" + _CLAUSE + r"{0,8}(?:联系|私信|找我)"
    r"|我们(?:救援队|车队|团队)?有(?:冲锋舟|船|车|物资)|可(?:以)?接送|招募志愿者|志愿者招募|可出动|随时待命"
    r"|捐款|捐赠|捐物|募捐"
)
RESOLVED_MARKERS = re.compile(
    r"(?:" + NUMBER + r"(?:个|名|位)?人)?(?:都|全部|均)?"
    r"(?:已(?:经)?被" + _CLAUSE + r"{1,6}?(?:救出|接走|转移|救起|救走)"
    r"|已(?:经)?(?:全部|都|全|均)?(?:获救|被?救出|被救|转移|安全|脱险|撤离|出来|解决|得救|被?接走"
    r"|联系上|找到|平安))"
    r"|获救了|救出来了|转移出来了|都安全了|平安获救|请勿再打|不要再打|别再打|无需再|不用再"
)
RESOLVED_LABEL = re.compile(r"\s*[【\[(]\s*(?:已获救|已救出|已解决|已转移|已安全|已撤离)\s*[】\])]")
# Reasons a "已转移" is not the end: people left behind, still trapped, only moved upstairs.
STILL_WAITING = re.compile(
    r"(?:还有|仍有|剩下|尚有|其余|还剩|剩余)" + _CLAUSE + r"{0,8}(?:人|被困|没|未)"
    r"|(?:还|仍然?|依然|依旧)(?:被)?困"
    r"|(?:转移|撤离|躲)到(?:[一二三四五六七八九十\d]+楼|楼顶|屋顶|房顶|楼上|高处|阁楼)"
)
RESOLVED_CONTEXT = re.compile(r"求助|电话|谢谢|感谢|转发|删|撤|救援")
REPOST_SPLIT = re.compile(r"//@")
