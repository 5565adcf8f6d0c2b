"""What a published-formula preset is, and how its raw inputs are checked.

A preset turns a mapping of raw inputs (names exactly as in ``FORMULAS.md``) into one
number plus the intermediate blocks the publisher names, so that every score can be
explained and every worked example checked block by block.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from zhengwu.errors import InvalidInputError
from zhengwu.index.formulas.conventions import CAPPED_READS_STORED

Certainty = Literal[
    "published",
    "published worked example",
    "inferred",
    "unofficial reconstruction",
    "dimension weights only",
    "provisional",
]

# How each certainty reads in Chinese (the methodology of reports). The English labels are
# FORMULAS.md's words; it and its sources give no Chinese wording, so these are ours
# (docs/index-systems.md, "The certainty labels of the presets", says so per label).
CERTAINTY_ZH: dict[str, str] = {
    "published": "已公布（发布方公开的公式）",
    "published worked example": "已公布算例（按公开算例复现）",
    "inferred": "推断（由公开数值反推，发布方未说明）",
    "unofficial reconstruction": "非官方复原（发布方未公开）",
    "dimension weights only": "仅知维度权重",
    "provisional": "暂定（发布方称权重为暂定）",
}

# A preset's arithmetic: checked inputs (canonical names) and flags → value and breakdown.
Calculation = Callable[[Mapping[str, float], Mapping[str, bool]], tuple[float, dict[str, float]]]


class FormulaError(InvalidInputError):
    """An input of a formula preset is missing, unknown, non-numeric or out of range."""

    def __init__(self, message_zh: str, message_en: str, *, input_name: str | None = None) -> None:
        super().__init__(message_zh, message_en)
        self.input_name = input_name


@dataclass(frozen=True, slots=True)
class FormulaInput:
    """One raw input of a preset: its name in FORMULAS.md, its meaning and its range."""

    name: str
    meaning: str
    aliases: tuple[str, ...] = ()
    whole: bool = False  # a count of things (articles) that cannot be fractional
    positive: bool = False  # zero is invalid too (a zero-day window)
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class FormulaFlag:
    """A documented switch of a preset (for example a rounding the publisher applied)."""

    name: str
    default: bool
    meaning: str


@dataclass(frozen=True, slots=True)
class Bound:
    """Input ``part`` (divided by input ``per`` when given) can never exceed input ``whole``.

    Inputs that cannot all be true at once (an average above the maximum, one article's
    reads above the total) are refused rather than scored: the formula would give a number
    that means nothing. ``per`` = 0 skips the bound (the window holds no article).
    """

    part: str
    whole: str
    reason_zh: str
    reason_en: str
    per: str | None = None

    def check(self, values: Mapping[str, float]) -> None:
        """Raise a FormulaError naming both inputs if ``values`` break the bound."""
        part, whole = values[self.part], values[self.whole]
        shown = _show(part)
        if self.per is not None:
            if values[self.per] == 0:
                return
            part /= values[self.per]
            shown = f"{_show(values[self.part])} / {_show(values[self.per])} = {_show(part)}"
        if part <= whole:
            return
        named = f"{self.part} / {self.per}" if self.per else self.part
        raise FormulaError(
            f"输入 {named}（{shown}）大于 {self.whole}（{_show(whole)}）：{self.reason_zh}，"
            "请检查这两项输入",
            f"input {named} ({shown}) exceeds {self.whole} ({_show(whole)}): "
            f"{self.reason_en}; check these two inputs",
            input_name=self.part,
        )


def _show(value: float) -> str:
    """Return ``value`` as a person writes it: 70000, 3333.33 (not 7e+04)."""
    return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0")


@dataclass(frozen=True, slots=True)
class FormulaResult:
    """The value of a preset and the intermediate blocks it was built from."""

    value: float
    breakdown: dict[str, float]
    preset: str


@dataclass(frozen=True, slots=True)
class Preset:
    """An exact, labelled reproduction of one published influence formula."""

    name: str
    title_zh: str
    title_en: str
    platform: str
    source: str
    certainty: Certainty
    inputs: tuple[FormulaInput, ...]
    calculation: Calculation = field(repr=False)
    flags: tuple[FormulaFlag, ...] = ()
    notes: str = ""
    bounds: tuple[Bound, ...] = ()  # inputs that cannot all hold at once are refused
    source_zh: str = ""  # ``source`` in Chinese, for the methodology of reports
    notes_zh: str = ""  # ``notes`` in Chinese

    def source_note(self) -> str:
        """Return the run note naming the source and certainty, Chinese / English."""
        return (
            f"{self.name}：来源 {self.source_zh or self.source}，可信度 "
            f"{CERTAINTY_ZH[self.certainty]} / {self.name}: {self.source} "
            f"(certainty: {self.certainty})"
        )

    def compute(
        self, inputs: Mapping[str, object], *, flags: Mapping[str, bool] | None = None
    ) -> float:
        """Return the preset's value for ``inputs``."""
        return self.evaluate(inputs, flags=flags).value

    def evaluate(
        self, inputs: Mapping[str, object], *, flags: Mapping[str, bool] | None = None
    ) -> FormulaResult:
        """Check ``inputs`` and return the value with its breakdown."""
        values = self._checked(inputs)
        for bound in self.bounds:
            bound.check(values)
        value, breakdown = self.calculation(values, self._chosen_flags(flags))
        if not math.isfinite(value):
            raise FormulaError(
                f"{self.name} 的结果溢出：输入数值过大",
                f"{self.name} overflowed: the inputs are too large",
            )
        return FormulaResult(value=value, breakdown=breakdown, preset=self.name)

    def to_dict(self) -> dict[str, object]:
        """Return the preset's metadata as a JSON-serialisable mapping."""
        return {
            "name": self.name,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "platform": self.platform,
            "source": self.source,
            "certainty": self.certainty,
            "inputs": [
                {"name": i.name, "meaning": i.meaning, "aliases": list(i.aliases)}
                for i in self.inputs
            ],
            "flags": [
                {"name": f.name, "default": f.default, "meaning": f.meaning} for f in self.flags
            ],
            "notes": self.notes,
        }

    def _checked(self, raw: Mapping[str, object]) -> dict[str, float]:
        known = {alias: spec for spec in self.inputs for alias in (spec.name, *spec.aliases)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            # Rejected rather than ignored: V2's Z means likes but V14.2's Z means 在看, so a
            # stray name usually means the caller has the wrong preset in mind.
            raise FormulaError(
                f"{self.name} 不认识输入 {', '.join(unknown)}；可用输入：{', '.join(known)}",
                f"{self.name} has no input {', '.join(unknown)}; known inputs: {', '.join(known)}",
                input_name=unknown[0],
            )
        values: dict[str, float] = {}
        missing: list[str] = []
        for spec in self.inputs:
            given = [(name, raw[name]) for name in (spec.name, *spec.aliases) if name in raw]
            if not given:
                missing.append(spec.name)
                continue
            numbers = {_number(name, value) for name, value in given}
            if len(numbers) > 1:
                names = " / ".join(name for name, _ in given)
                raise FormulaError(
                    f"输入 {names} 是同一项，但数值不同",
                    f"inputs {names} are the same input but have different values",
                    input_name=spec.name,
                )
            values[spec.name] = _in_range(spec, numbers.pop())
        if missing:
            raise FormulaError(
                f"{self.name} 缺少输入：{', '.join(missing)}",
                f"{self.name} is missing input(s): {', '.join(missing)}",
                input_name=missing[0],
            )
        return values

    def _chosen_flags(self, given: Mapping[str, bool] | None) -> dict[str, bool]:
        chosen = {flag.name: flag.default for flag in self.flags}
        for name, value in (given or {}).items():
            if name not in chosen:
                known = ", ".join(chosen) or "（无）"
                raise FormulaError(
                    f"{self.name} 没有开关 {name}；可用开关：{known}",
                    f"{self.name} has no flag {name}; known flags: {known}",
                    input_name=name,
                )
            chosen[name] = bool(value)
        return chosen


def _number(name: str, raw: object) -> float:
    """Return ``raw`` as a finite float, or raise an error naming the input."""
    # bool is an int subclass, but true/false as a read count is always a caller mistake.
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise FormulaError(
            f"输入 {name} 必须是数字，收到 {raw!r}；请填写数字，显示为“10万+”的阅读数写作 "
            f"{CAPPED_READS_STORED}",
            f"input {name} must be a number, got {raw!r}; give a number (a read count shown "
            f"as '10万+' is written {CAPPED_READS_STORED})",
            input_name=name,
        )
    try:
        value = float(raw)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise FormulaError(
            f"输入 {name} 必须是有限的数字，收到 {raw!r}",
            f"input {name} must be a finite number, got {raw!r}",
            input_name=name,
        )
    return value


def _in_range(spec: FormulaInput, value: float) -> float:
    """Return ``value`` if it lies in the range of ``spec``, else raise an error naming it."""
    name = spec.name
    if value < 0:
        raise FormulaError(
            f"输入 {name} 不能为负数，收到 {value:g}",
            f"input {name} must not be negative, got {value:g}",
            input_name=name,
        )
    if spec.positive and value == 0:
        raise FormulaError(
            f"输入 {name} 必须大于 0（{spec.meaning}）",
            f"input {name} must be greater than 0 ({spec.meaning})",
            input_name=name,
        )
    if spec.whole and not value.is_integer():
        raise FormulaError(
            f"输入 {name} 必须是整数，收到 {value:g}",
            f"input {name} must be a whole number, got {value:g}",
            input_name=name,
        )
    if spec.maximum is not None and value > spec.maximum:
        raise FormulaError(
            f"输入 {name} 不能大于 {spec.maximum:g}，收到 {value:g}",
            f"input {name} must be at most {spec.maximum:g}, got {value:g}",
            input_name=name,
        )
    return value
