"""What a help post says about the situation: vulnerabilities, needs, hazard, urgency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from zhengwu.rescue import lexicon

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


# --- resolved updates ------------------------------------------------------------------
def resolved(text: str) -> bool:
    """Return True when ``text`` says the people asking for help are already rescued.

    Judged per segment of a repost chain, so that "已获救//@甲:求助…水还在上涨" reads as the
    update it is: the quoted request's rising water belongs to the past. A 【已获救】 label
    on top of a re-posted request settles it whatever the request below says.
    """
    if lexicon.RESOLVED_LABEL.match(text):
        return True
    return any(_segment_resolved(s) for s in lexicon.REPOST_SPLIT.split(text))


def _segment_resolved(text: str) -> bool:
    return bool(
        lexicon.RESOLVED_MARKERS.search(text)
        and not lexicon.STILL_WAITING.search(text)
        and not lexicon.RISING_WATER.search(text)
    )


def mask_resolved(text: str) -> str:
    """Return ``text`` without its "已获救"-type phrases, so they don't read as needs."""
    return lexicon.RESOLVED_MARKERS.sub(" ", text)
