"""Renamed and merged divisions (区划变更) and the successor of an old code.

The facts live in ``successors.tsv`` next to this module (see its header for sources);
they are data, so a new approval is one added line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from zhengwu.errors import InvalidInputError
from zhengwu.regions.codes import MUNICIPALITIES, normalize_code


@dataclass(frozen=True, slots=True)
class Change:
    """One approved change: an old division and the current one that replaced it."""

    year: int
    old_code: str | None
    old_path: tuple[str, ...]
    new_code: str
    new_name: str

    @property
    def old_name(self) -> str:
        """Return the old division's own name (the last element of its path)."""
        return self.old_path[-1]


def data_rows(filename: str) -> list[list[str]]:
    """Return the cells of a TSV data file of this package, comments and header skipped."""
    text = resources.files("zhengwu.regions").joinpath(filename).read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return [line.split("\t") for line in lines[1:]]


def _change(year: str, old_code: str, old_path: str, new_code: str, new_name: str) -> Change:
    """Build a change from one row of ``successors.tsv``."""
    return Change(
        year=int(year),
        old_code=None if old_code == "-" else old_code,
        old_path=tuple(old_path.split("/")),
        new_code=new_code,
        new_name=new_name,
    )


@cache
def changes() -> tuple[Change, ...]:
    """Return every recorded change, oldest first."""
    rows = (_change(*row) for row in data_rows("successors.tsv"))
    return tuple(sorted(rows, key=lambda change: change.year))


@cache
def successor_map() -> Mapping[str, str]:
    """Return old code → current code for every code that changed (chains followed)."""
    direct: dict[str, str] = {}
    for change in changes():
        if change.old_code is not None and change.old_code != change.new_code:
            direct[change.old_code] = change.new_code
    # The city-level placeholders of municipalities (110100 北京市市辖区, 500200 重庆市县)
    # stand for the municipality itself.
    for province in MUNICIPALITIES:
        direct[province[:2] + "0100"] = province
        direct[province[:2] + "0200"] = province
    resolved: dict[str, str] = {}
    for old in direct:
        code, seen = old, {old}
        while code in direct and direct[code] not in seen:
            code = direct[code]
            seen.add(code)
        resolved[old] = code
    return MappingProxyType(resolved)


def successor(adcode: str | int) -> str:
    """Return the current code that replaced ``adcode`` (the code itself if unchanged)."""
    code = normalize_code(adcode)
    if code is None:
        raise InvalidInputError(f"无效的区划代码：{adcode!r}", f"invalid division code: {adcode!r}")
    return successor_map().get(code, code)
