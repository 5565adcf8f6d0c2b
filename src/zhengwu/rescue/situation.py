"""What a help post says about the situation: vulnerabilities, needs, hazard, urgency."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from zhengwu.rescue import lexicon

Urgency = Literal["critical", "urgent", "normal"]

#: People whose life is at risk first when water rises (He et al. 2022 coding scheme).
HIGH_RISK = frozenset({"infant", "elderly", "pregnant", "injured", "disabled", "ill"})
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
    groups = set(vulnerable)
    for need, implying in lexicon.NEEDS_IMPLIED_BY.items():
        if groups.intersection(implying):
            found.add(need)
    return [name for name in lexicon.NEEDS if name in found]


def hazard(text: str) -> Hazard:
    """Return the water level or other hazard ``text`` reports (the first, most specific)."""
    level = lexicon.WATER_LEVEL.search(text)
    rising = lexicon.RISING_WATER.search(text)
    if level:
        phrase: str | None = level.group(0)
    elif rising:
        phrase = rising.group(0)
    else:
        other = lexicon.OTHER_HAZARD.search(text)
        phrase = other.group(0) if other else None
    severe = bool(level and lexicon.SEVERE_LEVEL.search(level.group(0)))
    return Hazard(phrase=phrase, rising=rising is not None, severe=severe)


def urgency(
    text: str, needs: list[str], vulnerable: list[str], danger: Hazard
) -> tuple[Urgency, list[str]]:
    """Rate a help post 超级紧急 / 紧急 / 一般 and say why.

    The level is the highest that any rule gives; each rule that fired adds a reason.

    * ``critical`` (超级紧急): an explicit marker (超级紧急, 十万火急, 危急, 生命危险 …);
      people trapped while the water rises or is chest-high / on the upper floors *and* a
      high-risk person (infant, elderly, pregnant, injured, disabled, ill) among them; or an
      acute medical emergency (昏迷, 临产, 大出血, 呼吸困难 …).
    * ``urgent`` (紧急): an explicit marker (紧急, 急需, 尽快, 救命 …); people trapped with
      any water or hazard reported; people trapped with a high-risk person; a high-risk
      person needing medical care; people trapped whose phones or power are running out.
    * ``normal`` (一般): everything else. An explicit 一般 / 不急 is noted as a reason but
      never lowers a rating that the content raised — a wrong "一般" costs more than a
      wrong "紧急".
    """
    text = lexicon.URGENCY_LABEL_NOISE.sub(" ", text)
    reasons: list[str] = []
    level = 0
    trapped = "trapped" in needs
    at_risk = [v for v in vulnerable if v in HIGH_RISK]

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
    water = "rising_water" if danger.rising else "severe_water" if danger.severe else None
    if trapped and water and at_risk:
        rule(2, f"trapped+{water}+{'+'.join(at_risk)}")
    if m := lexicon.ACUTE_MEDICAL.search(text):
        rule(2, f"acute_medical:{m.group(0)}")
    if trapped and danger.phrase:
        rule(1, f"trapped+hazard:{danger.phrase}")
    if trapped and at_risk:
        rule(1, f"trapped+{'+'.join(at_risk)}")
    if "medical" in needs and at_risk:
        rule(1, f"medical+{'+'.join(at_risk)}")
    if trapped and "power" in needs:
        rule(1, "trapped+power")
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
    r"已(?:经)?(?:获救|被?救出|被救|转移|安全|脱险|撤离|出来|解决|得救|被接走|接走|联系上|找到|平安)"
    r"|获救了|救出来了|转移出来了|都安全了|平安获救|请勿再打|不要再打|别再打|无需再|不用再"
)
STILL_WAITING = re.compile(r"(?:还有|仍有|剩下|尚有|其余|还剩|剩余)[^,。!?\n]{0,8}(?:人|被困|没|未)")
RESOLVED_CONTEXT = re.compile(r"求助|电话|谢谢|感谢|转发|删|撤|救援")
REPOST_SPLIT = re.compile(r"//@")


def resolved(text: str) -> bool:
    """Return True when ``text`` says the people asking for help are already rescued."""
    return bool(RESOLVED_MARKERS.search(text)) and not STILL_WAITING.search(text)


def mask_resolved(text: str) -> str:
    """Return ``text`` without its "已获救"-type phrases, so they don't read as needs."""
    return RESOLVED_MARKERS.sub(" ", text)
