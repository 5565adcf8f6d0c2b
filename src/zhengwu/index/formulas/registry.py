"""The presets zhengwu ships, by name, and the one-call way to compute one."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from zhengwu.errors import NotFoundError, did_you_mean
from zhengwu.index.formulas.model import FormulaResult, Preset
from zhengwu.index.formulas.other_publishers import (
    CHENGDU_2015,
    NEWRANK_NRI,
    PEOPLE_CITY_COMPETITIVENESS,
    WEIBO_BCI_SIMPLE,
)
from zhengwu.index.formulas.qingbo import (
    QINGBO_BVCI_V2,
    QINGBO_QSCI_V1,
    QINGBO_WCI_2016,
    QINGBO_WCI_V2,
    QINGBO_WCI_V14_2,
)

PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        preset.name: preset
        for preset in (
            QINGBO_WCI_V14_2,
            QINGBO_WCI_V2,
            QINGBO_WCI_2016,
            QINGBO_BVCI_V2,
            QINGBO_QSCI_V1,
            WEIBO_BCI_SIMPLE,
            NEWRANK_NRI,
            PEOPLE_CITY_COMPETITIVENESS,
            CHENGDU_2015,
        )
    }
)


class UnknownPresetError(NotFoundError):
    """No preset has the name that was asked for."""


def get_preset(name: str) -> Preset:
    """Return the preset called ``name``; the error lists every known name."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(PRESETS)
        close_zh, close_en = did_you_mean(name, PRESETS)
        raise UnknownPresetError(
            f"没有名为 {name!r} 的公式预设{close_zh}；可用：{known}",
            f"no formula preset named {name!r}{close_en}; known presets: {known}",
        ) from None


def compute(
    name: str, inputs: Mapping[str, object], *, flags: Mapping[str, bool] | None = None
) -> FormulaResult:
    """Compute preset ``name`` on raw ``inputs`` and return the value with its breakdown."""
    return get_preset(name).evaluate(inputs, flags=flags)
