"""The rescue codes in Chinese: urgency, vulnerable groups, needs, urgency reasons, the
board's response-time steps and an incident's type and status.

The extractor stores codes (``elderly``, ``marker:急需``, ``rising_water+elderly+ill``);
pages show these labels instead — the console and the public board alike.
"""

from __future__ import annotations

import re

URGENCY_LABELS = {"critical": "超级紧急", "urgent": "紧急", "normal": "一般"}
VULNERABILITY_LABELS = {
    "pregnant": "孕妇", "infant": "婴儿", "injured": "伤员", "elderly": "老人",
    "disabled": "残障人士", "ill": "病人", "child": "儿童", "on_medication": "需用药",
}  # fmt: skip
NEED_LABELS = {
    "trapped": "被困", "medical": "医疗", "evacuation": "转移", "supplies": "物资",
    "missing_person": "寻人", "shelter": "安置", "power": "电力",
}  # fmt: skip

INCIDENT_TYPE_LABELS = {"flood": "洪涝", "fire": "火灾", "earthquake": "地震", "typhoon": "台风",
                        "epidemic": "疫情", "other": "其他"}  # fmt: skip
INCIDENT_STATUS_LABELS = {"active": "进行中", "closed": "已结束"}

# The steps of the board's response times (zhengwu.rescue.board.STEPS): from … to ….
STEP_LABELS = {
    "reported_to_verified": "求助→核实", "verified_to_dispatched": "核实→派出",
    "dispatched_to_resolved": "派出→结束", "reported_to_dispatched": "求助→派出",
    "reported_to_resolved": "求助→结束（全程）",
}  # fmt: skip

# The parts of an urgency reason (zhengwu.rescue.situation.urgency), joined by "+".
_REASON_PARTS = {
    **VULNERABILITY_LABELS, **NEED_LABELS,
    "rising_water": "水位上涨", "severe_hazard": "严重险情", "needs": "有需求",
    "power": "断电或电量不足", "manual": "人工设定",  # unsigned: the masked views' ``manual``
}  # fmt: skip
# A reason's last part may quote the words that fired it: ``marker:急需``.
_QUOTED = {"marker": "标记词", "acute_medical": "急症", "hazard": "险情", "manual": "人工设定"}


def vulnerability_label(code: str) -> str:
    """Return a vulnerable group in Chinese (the code itself when unknown)."""
    return VULNERABILITY_LABELS.get(code, code)


def urgency_reason(reason: str) -> str:
    """Return one urgency reason in Chinese: ``marker:急需`` → 标记词「急需」.

    ``rising_water+elderly+ill`` becomes 水位上涨+老人+病人; an unknown part stays as it is.
    """
    head, colon, quoted = reason.partition(":")
    parts = head.split("+")
    words = [_REASON_PARTS.get(p, p) for p in parts[:-1]]
    last = parts[-1]
    if colon:
        words.append(f"{_QUOTED.get(last, last)}「{quoted}」")
    else:
        words.append(_REASON_PARTS.get(last, last))
    return "+".join(words)


# Reasons written before the 处理记录 read in Chinese only: a Chinese label with its English
# glued on ("核实完成 verified", "并入已核实的求助 #3 / merged with verified #3").
_LEGACY_REASONS = (
    (re.compile(r"^核实完成 verified$"), "核实完成"),
    (re.compile(r"^(并入已核实的求助 #\d+) / merged with verified #\d+$"), r"\1"),
)


def history_reason(reason: str | None) -> str:
    """Return the reason of a 处理记录 entry as the console shows it (the Chinese of an
    entry written with English glued on; nothing for none)."""
    if not reason:
        return ""
    for pattern, chinese in _LEGACY_REASONS:
        if pattern.match(reason):
            return pattern.sub(chinese, reason)
    return reason
