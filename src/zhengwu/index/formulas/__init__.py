"""Exact presets of the published influence formulas (清博 WCI/BVCI/QSCI, BCI, NRI …).

Each preset says where its formula comes from and how sure that source is
(``Preset.certainty``); ``compute(name, inputs)`` returns the value and the intermediate
blocks the publisher names, so worked examples can be checked block by block.
"""

from zhengwu.index.formulas.conventions import qingbo_read_count, qingbo_week, seventh_day_reads
from zhengwu.index.formulas.model import (
    Bound,
    Certainty,
    FormulaError,
    FormulaFlag,
    FormulaInput,
    FormulaResult,
    Preset,
)
from zhengwu.index.formulas.registry import PRESETS, UnknownPresetError, compute, get_preset

__all__ = [
    "PRESETS",
    "Bound",
    "Certainty",
    "FormulaError",
    "FormulaFlag",
    "FormulaInput",
    "FormulaResult",
    "Preset",
    "UnknownPresetError",
    "compute",
    "get_preset",
    "qingbo_read_count",
    "qingbo_week",
    "seventh_day_reads",
]
