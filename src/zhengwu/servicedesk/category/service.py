"""Category-tree services: the default tree, reading, editing with versions (the caller commits)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import ConflictError, InvalidInputError, NotFoundError
from zhengwu.servicedesk.category.models import Category, CategoryCreate, CategoryUpdate


class TreeNode(Protocol):
    """What tree walks need of a category (a row, or a snapshot of one)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent_code(self) -> str | None: ...
    @property
    def keywords(self) -> Sequence[str]: ...


def default_tree() -> list[CategoryCreate]:
    """Return the category tree that ships with zhengwu (``default_tree.toml``)."""
    raw = tomllib.loads(files(__package__).joinpath("default_tree.toml").read_text("utf-8"))
    return [
        CategoryCreate(parent_code=item.pop("parent", None), sort_order=i, **item)
        for i, item in enumerate(raw["category"])
    ]


def _row_values(data: CategoryCreate, group: str) -> dict[str, Any]:
    values = data.model_dump()
    values["attributes"] = [a.model_dump() for a in data.attributes]
    values["group"] = group
    return values


def ensure_default_tree(session: Session) -> int:
    """Load the default tree into an empty category table; return how many were added."""
    if session.scalar(select(func.count()).select_from(Category)):
        return 0
    groups: dict[str, str] = {}  # code → name of its first-level ancestor
    tree = default_tree()
    for data in tree:
        group = groups.get(data.parent_code, data.name) if data.parent_code else data.name
        groups[data.code] = group
        session.add(Category(**_row_values(data, group)))
    session.flush()
    return len(tree)


def get_tree(session: Session, *, include_inactive: bool = False) -> list[Category]:
    """Return every category, parents before their children, in editor order."""
    query = select(Category).order_by(Category.sort_order, Category.code)
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    rows = list(session.scalars(query))
    by_parent: dict[str | None, list[Category]] = {}
    codes = {c.code for c in rows}
    for cat in rows:
        parent = cat.parent_code if cat.parent_code in codes else None
        by_parent.setdefault(parent, []).append(cat)
    ordered: list[Category] = []

    def walk(parent: str | None) -> None:
        for cat in by_parent.get(parent, []):
            ordered.append(cat)
            walk(cat.code)

    walk(None)
    return ordered


def get(session: Session, code: str) -> Category:
    """Return the category ``code`` or raise NotFoundError."""
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFoundError(f"诉求分类不存在：{code}", f"no such category: {code}")
    return category


def lineage(
    tree: Sequence[TreeNode], code: str | None, *, by_code: Mapping[str, TreeNode] | None = None
) -> list[str]:
    """Return ``code`` and its ancestors' codes, most specific first ([] for None/unknown).

    ``by_code``: the tree's categories by code, when the caller holds them already.
    """
    if by_code is None:
        by_code = {c.code: c for c in tree}
    chain: list[str] = []
    while code is not None and code in by_code and code not in chain:
        chain.append(code)
        code = by_code[code].parent_code
    return chain


def top_level(tree: Sequence[TreeNode], code: str | None) -> str | None:
    """Return the first-level ancestor of ``code`` (itself when it is first-level)."""
    chain = lineage(tree, code)
    return chain[-1] if chain else None


def tree_version(session: Session) -> int:
    """Return a number that grows with every change of the tree (for caches and ETags)."""
    total = session.scalar(select(func.coalesce(func.sum(Category.version), 0)))
    count = session.scalar(select(func.count()).select_from(Category))
    return int(total or 0) * 1000 + int(count or 0)


def _check_parent(session: Session, code: str, parent_code: str | None) -> str:
    """Return the group (top-level name) for a category under ``parent_code``."""
    if parent_code is None:
        return ""
    if parent_code == code:
        raise InvalidInputError("分类不能以自身为上级", "a category cannot be its own parent")
    # Walk up from the parent one row at a time (as :func:`lineage` does on the whole tree):
    # a tree import creates hundreds of categories, and loading the tree for each made it
    # quadratic (517 leaves: 25 s on SQLite).
    chain: list[str] = []  # the parent and its ancestors' codes, most specific first
    names: list[str] = []
    current: str | None = parent_code
    while current is not None and current not in chain:
        row = session.execute(
            select(Category.parent_code, Category.name).where(Category.code == current)
        ).first()
        if row is None:
            break
        chain.append(current)
        names.append(row.name)
        current = row.parent_code
    if not chain:
        raise InvalidInputError(f"上级分类不存在：{parent_code}", f"no such parent: {parent_code}")
    if code in chain:
        raise InvalidInputError("分类层级不能成环", "the category tree cannot contain a cycle")
    return names[-1]


def create(session: Session, *, data: CategoryCreate, actor: Principal) -> Category:
    """Add a category to the tree."""
    if session.scalar(select(Category.id).where(Category.code == data.code)) is not None:
        raise ConflictError(f"分类编码已存在：{data.code}", f"category code exists: {data.code}")
    group = _check_parent(session, data.code, data.parent_code) or data.name
    category = Category(**_row_values(data, group))
    session.add(category)
    session.flush()
    audit_service.record(
        session, entity_type="category", entity_id=category.id, action="create", actor=actor,
        data={"after": data.model_dump(mode="json")},
    )  # fmt: skip
    return category


def update(
    session: Session, *, category: Category, data: CategoryUpdate, actor: Principal
) -> Category:
    """Edit a category; the old values go to the audit log and the version goes up."""
    changes = data.model_dump(exclude_unset=True)
    if "parent_code" in changes:
        group = _check_parent(session, category.code, changes["parent_code"])
        category.group = group or changes.get("name") or category.name
    before = {k: getattr(category, k) for k in changes}
    for key, value in changes.items():
        if key == "attributes":
            value = [a.model_dump() for a in data.attributes or []]
        setattr(category, key, value)
    if category.parent_code is None and "name" in changes:
        category.group = category.name
    category.version += 1
    session.flush()
    audit_service.record(
        session, entity_type="category", entity_id=category.id, action="update", actor=actor,
        data={"before": before, "after": data.model_dump(mode="json", exclude_unset=True),
              "version": category.version},
    )  # fmt: skip
    return category
