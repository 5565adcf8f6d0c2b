"""Numbers in generated texts read as a person writes them: "30块钱" or "三十块钱", never
"3十块钱" (an Arabic digit before a Chinese 十, 百 or 千, as a template once wrote)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from collections.abc import Iterator
from typing import Any

import zhengwu.simulate
from zhengwu.simulate.output import SimulatedOutput

_MIXED = re.compile(r"[0-9０-９][十百千]")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _templates() -> list[tuple[str, str]]:
    found = []
    for info in pkgutil.iter_modules(zhengwu.simulate.__path__):
        module = importlib.import_module(f"zhengwu.simulate.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("__"):  # the module's docstring, file name …
                continue
            for text in _strings(value):
                try:
                    fields = [f for _, f, _, _ in string.Formatter().parse(text) if f]
                except ValueError:
                    continue
                if fields:
                    found.append((f"{info.name}.{name}", text))
    return found


def test_no_template_puts_a_digit_before_a_chinese_numeral() -> None:
    templates = _templates()
    assert any("块钱" in t for _, t in templates)  # the request templates are seen
    mixed = []
    for where, text in templates:
        for digit in "29":  # every number slot filled with a digit
            try:
                shown = string.Formatter().vformat(text, (), _Digits(digit))
            except (ValueError, IndexError, AttributeError):  # braces of another kind
                break
            if _MIXED.search(shown):
                mixed.append((where, text))
                break
    assert mixed == []


class _Digits(dict[str, str]):
    def __init__(self, digit: str) -> None:
        super().__init__()
        self.digit = digit

    def __missing__(self, key: str) -> str:
        return self.digit


def test_generated_requests_write_whole_numbers(city: SimulatedOutput) -> None:
    _, rows = city.csv("requests/labelled.csv")
    texts = [row["text"] for row in rows]
    assert texts
    assert [t for t in texts if _MIXED.search(t)] == []
