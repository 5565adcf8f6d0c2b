"""What a help post says about the situation: vulnerabilities, needs, hazard, urgency."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from zhengwu.rescue import lexicon
from zhengwu.rescue.textnorm import NUMBER

Urgency = Literal["critical", "urgent", "normal"]

#: People whose life is at risk first when water rises (He et al. 2022 coding scheme).
#: ``on_medication`` is left out: it raises a post through the medical need it implies.
HIGH_RISK = frozenset({"infant", "child", "elderly", "pregnant", "injured", "disabled", "ill"})
_ELDERLY_AGE = 60
_CHILD_AGE = 14
_INFANT_AGE = 2


@dataclass(frozen=True, slots=True)
class Hazard:
    """The hazard a post reports: the phrase, and how bad the water is."""

    phrase: str | None
    rising: bool
    severe: bool


def vulnerabilities(text: str, ages: Iterable[int]) -> list[str]:
    """Return the vulnerable groups named in ``text`` or implied by the ``ages`` it gives."""
    text = lexicon.NEGATED_VULNERABLE.sub(" ", text)
    found = {name for name, pattern in lexicon.VULNERABILITIES.items() if pattern.search(text)}
    for age in ages:
        if age >= _ELDERLY_AGE:
            found.add("elderly")
        elif age < _INFANT_AGE:
            found.add("infant")
        elif age < _CHILD_AGE:
            found.add("child")
    return [name for name in lexicon.VULNERABILITIES if name in found]


def needs(text: str, vulnerable: Iterable[str]) -> list[str]:
    """Return the needs stated in ``text`` plus those implied by ``vulnerable`` groups."""
    found = {name for name, pattern in lexicon.NEEDS.items() if pattern.search(text)}
    if lexicon.ACUTE_MEDICAL.search(text):
        found.add("medical")
    groups = set(vulnerable)
    for need, implying in lexicon.NEEDS_IMPLIED_BY.items():
        if groups.intersection(implying):
            found.add(need)
    return [name for name in lexicon.NEEDS if name in found]


def hazard(text: str) -> Hazard:
    """Return the water level or other hazard ``text`` reports (the most specific first)."""
    level = lexicon.WATER_LEVEL.search(text)
    rising = lexicon.RISING_WATER.search(text)
    collapse = lexicon.COLLAPSE.search(text)
    found = (
        level
        or rising
        or collapse
        or lexicon.WATER_INSIDE.search(text)
        or lexicon.OTHER_HAZARD.search(text)
    )
    severe = bool(level and lexicon.SEVERE_LEVEL.search(level.group(0))) or collapse is not None
    return Hazard(
        phrase=found.group(0) if found else None, rising=rising is not None, severe=severe
    )


def urgency(
    text: str, needs: list[str], vulnerable: list[str], danger: Hazard
) -> tuple[Urgency, list[str]]:
    """Rate a help post 超级紧急 / 紧急 / 一般 and say why.

    The level is the highest that any rule gives; each rule that fired adds a reason.
    "High-risk" people are infants, children, the elderly, pregnant women, the injured,
    the disabled and the ill (:data:`HIGH_RISK`).

    * ``critical`` (超级紧急): an explicit marker (超级紧急, 十万火急, 危急, 生命危险 …);
      rising water, or water chest-high / on the upper floors, or a collapse (倒塌,
      山体滑坡 …) where a high-risk person is — trapped or not, since people write "在家"
      as often as "被困"; or an acute medical emergency (昏迷, 临产, 大出血 …).
    * ``urgent`` (紧急): an explicit marker (紧急, 急需, 尽快, 救命 …); rising or severe
      water; people trapped with any hazard, or with a high-risk person, or with their
      phones or power running out; a high-risk person with any need or hazard; a missing
      person.
    * ``normal`` (一般): everything else. An explicit 一般 / 不急 is noted as a reason but
      never lowers a rating the content raised: a wrong "一般" costs more than a wrong
      "紧急".
    """
    text = lexicon.URGENCY_LABEL_NOISE.sub(" ", text)
    reasons: list[str] = []
    level = 0
    trapped = "trapped" in needs
    at_risk = "+".join(v for v in vulnerable if v in HIGH_RISK)
    water = "rising_water" if danger.rising else "severe_hazard" if danger.severe else ""

    def rule(rank: int, reason: str) -> None:
        nonlocal level
        level = max(level, rank)
        reasons.append(reason)

    if m := lexicon.CRITICAL_MARKERS.search(text):
        rule(2, f"marker:{m.group(0)}")
    elif m := lexicon.URGENT_MARKERS.search(text):
        rule(1, f"marker:{m.group(0)}")
    elif m := lexicon.NORMAL_MARKERS.search(text):
        reasons.append(f"marker:{m.group(0)}")
    if water and at_risk:
        rule(2, f"{water}+{at_risk}")
    if m := lexicon.ACUTE_MEDICAL.search(text):
        rule(2, f"acute_medical:{m.group(0)}")
    if water:
        rule(1, water)
    if trapped and danger.phrase:
        rule(1, f"trapped+hazard:{danger.phrase}")
    if trapped and at_risk:
        rule(1, f"trapped+{at_risk}")
    if at_risk and (danger.phrase or set(needs) - {"trapped"}):
        rule(1, f"{at_risk}+needs")
    if trapped and "power" in needs:
        rule(1, "trapped+power")
    if "missing_person" in needs:
        rule(1, "missing_person")
    return ("normal", "urgent", "critical")[level], _unique(reasons)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- post kind ---------------------------------------------------------------------------
HELP_MARKERS = re.compile(
    r"求助|求救|救命|救救|sos|求援|请求救援|需要救援|急需救援|等待救援|等救援|盼救援|求救援"
    r"|求转发|帮忙转发|帮转|扩散|寻人|帮帮|求帮忙|求求|快来人|来人啊?|救一下|需要帮助"
    r"|麻烦[^,。!?\n]{0,8}(?:救援|帮忙|联系|看看)|有没有(?:人|救援|船)|谁(?:能|可以)|请(?:求)?(?:救援|帮助)",
    re.IGNORECASE,
)
NEWS_MARKERS = re.compile(
    r"据[^,。!?\n]{0,12}(?:报道|消息|通报|介绍|了解)|记者|新华社|央视|人民日报|中新网|新京报|澎湃"
    r"|通讯员|本报讯|\d+日电|报道称|消息称|获悉|【[^】]*(?:新闻|快讯|关注|直击|聚焦|速报)[^】]*】"
)
NOTICE_MARKERS = re.compile(
    r"【[^】]*(?:预警|通知|通告|公告|提醒|提示|警报|发布|防汛|通报)[^】]*】|预警信号"
    r"|(?:发布|升级|启动|解除)[^,。!?\n]{0,12}(?:预警|应急响应)|气象台|应急管理局|指挥部"
    r"|关于[^,。!?\n]{0,20}的(?:通知|通告|公告)|请广大|广大(?:市民|群众|居民)|市民朋友|温馨提示"
    r"|非必要不外出|减少外出|(?:求助|救援)(?:热线|电话)(?:公布|汇总|如下)|转发周知|特此"
)
PRAYER_MARKERS = re.compile(
    r"加油|平安|祈福|祈祷|挺住|保佑|致敬|心疼|众志成城|好好的|挺过去|顶住|辛苦了|逆行者|英雄"
)
OFFER_MARKERS = re.compile(
    r"可(?:以)?(?:免费)?提供|免费(?:提供|住宿|接送|充电|救援)|无偿|(?:有|如有)需要的?[^,。!?\n]{0,8}(?:联系|私信|找我)"
    r"|我们(?:救援队|车队|团队)?有(?:冲锋舟|船|车|物资)|可(?:以)?接送|招募志愿者|志愿者招募|可出动|随时待命"
)
RESOLVED_MARKERS = re.compile(
    r"(?:" + NUMBER + r"(?:个|名|位)?人)?(?:都|全部|均)?"
    r"(?:已(?:经)?被[^,。!?;\n]{1,6}?(?:救出|接走|转移|救起|救走)"
    r"|已(?:经)?(?:全部|都|全|均)?(?:获救|被?救出|被救|转移|安全|脱险|撤离|出来|解决|得救|被?接走"
    r"|联系上|找到|平安))"
    r"|获救了|救出来了|转移出来了|都安全了|平安获救|请勿再打|不要再打|别再打|无需再|不用再"
)
STILL_WAITING = re.compile(
    r"(?:还有|仍有|剩下|尚有|其余|还剩|剩余)[^,。!?\n]{0,8}(?:人|被困|没|未)"
)
RESOLVED_CONTEXT = re.compile(r"求助|电话|谢谢|感谢|转发|删|撤|救援")
REPOST_SPLIT = re.compile(r"//@")


def resolved(text: str) -> bool:
    """Return True when ``text`` says the people asking for help are already rescued."""
    return bool(RESOLVED_MARKERS.search(text)) and not STILL_WAITING.search(text)


def mask_resolved(text: str) -> str:
    """Return ``text`` without its "已获救"-type phrases, so they don't read as needs."""
    return RESOLVED_MARKERS.sub(" ", text)
