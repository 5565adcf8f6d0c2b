"""The category tree the classifier answers in (read from the category package's TOML).

The tree itself is owned by :mod:`zhengwu.servicedesk.category` (``default_tree.toml``:
seven first-level classes 城乡建设 环境保护 交通运输 教育文体 劳动和社会保障 商贸旅游 卫生计生,
each with its second-level problems). The classifier only needs names and parents, so it
reads the same file instead of shipping a second copy that could drift.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from zhengwu.errors import InvalidInputError
from zhengwu.storable import refuse_nul_document

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

    def class_terms(self, classes: Sequence[str]) -> dict[str, str]:
        """Return the words of the sub-category names below each of ``classes``: word → class.

        A name is cut at 和 与 及 、 / and brackets ("园林绿化和环卫" → 园林绿化, 环卫); words of
        one character, 其他 (other) and the class names themselves are left out, and so is a
        word found below two classes (it tells them apart no better than the text does).
        Words are normalised as request texts are (:func:`.features.normalize_text`).
        """
        from zhengwu.servicedesk.classify.features import normalize_text

        wanted = set(classes)
        owners: dict[str, set[str]] = {}
        for node in self.nodes:
            if node.parent_code is None:
                continue
            path = self.path(node.code)
            if path is None or path[0] not in wanted:
                continue
            for part in _TERM_SPLIT.split(node.name):
                word = normalize_text(part)
                if len(word) >= 2 and word != "其他" and word not in wanted:
                    owners.setdefault(word, set()).add(path[0])
        return {word: next(iter(c)) for word, c in sorted(owners.items()) if len(c) == 1}

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


_TERM_SPLIT = re.compile(r"[和与及、/（）()]")


def read_level_csv(path: Path) -> CategoryTree:
    """Read a category tree from a CSV with one column per level (一级分类,二级分类,三级分类 …).

    This is how 12345 systems and the 政务留言 data export their trees: one row per leaf,
    the first row a header. Codes are made from the row and level (``L1-3``); an empty
    cell ends the row's path.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(
            f"无法读取分类树文件 {path}", f"cannot read category tree {path}: {exc}"
        ) from exc
    if len(rows) < 2 or not rows[0]:
        raise InvalidInputError(
            f"分类树文件 {path} 没有数据行", f"category tree {path} has no data rows"
        )
    nodes: list[CategoryNode] = []
    codes: dict[tuple[str, ...], str] = {}
    for line, row in enumerate(rows[1:], start=2):
        path_names: tuple[str, ...] = ()
        for level, cell in enumerate(row):
            name = cell.strip()
            if not name:
                break
            parent = codes.get(path_names)
            path_names = (*path_names, name)
            if path_names not in codes:
                codes[path_names] = f"L{line}-{level + 1}"
                nodes.append(CategoryNode(codes[path_names], name, parent))
    return CategoryTree(nodes)


def load_tree(path: Path | None = None) -> CategoryTree:
    """Read a category tree: TOML (``[[category]]`` with code, name, parent) or a level CSV
    (:func:`read_level_csv`); default: the shipped tree."""
    if path is not None and path.suffix.lower() == ".csv":
        return read_level_csv(path)
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
        refuse_nul_document(raw, str(path or DEFAULT_TREE_FILE))
        nodes = [
            CategoryNode(str(item["code"]), str(item["name"]), item.get("parent"))
            for item in raw["category"]
        ]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise InvalidInputError(
            f"分类树文件格式错误：{exc}", f"malformed category tree file: {exc}"
        ) from exc
    return CategoryTree(nodes)
