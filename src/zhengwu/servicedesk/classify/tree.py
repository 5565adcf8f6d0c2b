"""The category tree the classifier answers in (read from the category package's TOML).

The tree itself is owned by :mod:`zhengwu.servicedesk.category` (``default_tree.toml``:
seven first-level classes 城乡建设 环境保护 交通运输 教育文体 劳动和社会保障 商贸旅游 卫生计生,
each with its second-level problems). The classifier only needs names and parents, so it
reads the same file instead of shipping a second copy that could drift.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from zhengwu.errors import InvalidInputError

DEFAULT_TREE_PACKAGE = "zhengwu.servicedesk.category"
DEFAULT_TREE_FILE = "default_tree.toml"


@dataclass(frozen=True, slots=True)
class CategoryNode:
    """One category: its code, name and parent code (None at the first level)."""

    code: str
    name: str
    parent_code: str | None


class CategoryTree:
    """Categories by code and by name, with their paths from the first level."""

    def __init__(self, nodes: list[CategoryNode]) -> None:
        self.nodes = nodes
        self._by_code = {n.code: n for n in nodes}
        self._by_name: dict[str, CategoryNode] = {}
        for node in nodes:
            if node.parent_code is not None and node.parent_code not in self._by_code:
                raise InvalidInputError(
                    f"分类 {node.code}「{node.name}」的上级 {node.parent_code} 不存在",
                    f"category {node.code} ({node.name}) has unknown parent {node.parent_code}",
                )
            self._by_name.setdefault(node.name, node)

    @property
    def top_level(self) -> list[str]:
        """Return the names of the first-level categories, in file order."""
        return [n.name for n in self.nodes if n.parent_code is None]

    def path(self, ref: str) -> tuple[str, ...] | None:
        """Return the names from the first level down to ``ref`` (a code, name or a/b path)."""
        node = self._find(ref)
        if node is None:
            return None
        names = [node.name]
        while node.parent_code is not None:
            node = self._by_code[node.parent_code]
            names.append(node.name)
        return tuple(reversed(names))

    def _find(self, ref: str) -> CategoryNode | None:
        if ref in self._by_code:
            return self._by_code[ref]
        if "/" not in ref:
            return self._by_name.get(ref)
        # "交通运输/出租车与网约车": the last name, checked against its ancestors.
        node = self._by_name.get(ref.rsplit("/", 1)[1])
        if node is None:
            return None
        wanted = tuple(part for part in ref.split("/") if part)
        found = self.path(node.code)
        return node if found == wanted else None


def load_tree(path: Path | None = None) -> CategoryTree:
    """Read a category tree TOML (``[[category]]`` with code, name, parent); default: shipped."""
    if path is None:
        text = files(DEFAULT_TREE_PACKAGE).joinpath(DEFAULT_TREE_FILE).read_text("utf-8")
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise InvalidInputError(
                f"无法读取分类树文件 {path}", f"cannot read category tree {path}: {exc}"
            ) from exc
    try:
        raw = tomllib.loads(text)
        nodes = [
            CategoryNode(str(item["code"]), str(item["name"]), item.get("parent"))
            for item in raw["category"]
        ]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise InvalidInputError(
            f"分类树文件格式错误：{exc}", f"malformed category tree file: {exc}"
        ) from exc
    return CategoryTree(nodes)
