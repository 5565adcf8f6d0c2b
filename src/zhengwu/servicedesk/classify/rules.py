"""Editable keyword rules (TOML): keywords or regular expressions → a category, with priority.

A rule *fires* on a request when one of its ``keywords`` occurs in the text or one of its
``regex`` patterns matches, and none of its ``exclude`` words occurs. Texts, keywords and
excludes are compared after :func:`~zhengwu.servicedesk.classify.features.normalize_text`
(NFKC, lower case, no whitespace), so ``"ETC"`` also matches ``"ｅｔｃ"``.

How fired rules combine with the model (:meth:`Classifier.predict`):

1. ``mode = "override"`` — the highest-priority override rule that fires decides; the model
   is not asked. Use it for policy ("every 疫苗 request goes to 公共卫生").
2. the model decides, unless its confidence is below ``fallback_below`` and a
   ``mode = "fallback"`` rule fires — then the highest-priority fallback rule decides.
3. a fired rule whose category lies inside the class the model chose refines the answer
   to that sub-category (``Prediction.path``), the decision staying the model's.

Ties in priority go to the rule written first. ``enabled = false`` keeps a rule in the file
without using it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk.classify.features import normalize_text
from zhengwu.servicedesk.classify.tree import CategoryTree, load_tree
from zhengwu.storable import refuse_nul_document

RuleMode = Literal["override", "fallback"]
DEFAULT_RULES_FILE = "default_rules.toml"
DEFAULT_FALLBACK_BELOW = 0.3
_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_RULE_KEYS = {
    "id",
    "category",
    "keywords",
    "regex",
    "exclude",
    "priority",
    "mode",
    "confidence",
    "enabled",
    "note",
}


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """One rule: when it fires, the category (as a path of names) it proposes."""

    id: str
    path: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[str, ...] = ()
    priority: int = 0
    mode: RuleMode = "fallback"
    confidence: float = 1.0
    note: str = ""

    @property
    def label(self) -> str:
        """Return the first-level category the rule proposes."""
        return self.path[0]

    def fires(self, normalized: str) -> bool:
        """Return whether the rule fires on an already normalised text."""
        if any(word in normalized for word in self.exclude):
            return False
        return any(word in normalized for word in self.keywords) or any(
            p.search(normalized) for p in self.patterns
        )


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules of one file, highest priority first, and the fall-back threshold."""

    rules: tuple[KeywordRule, ...] = ()
    fallback_below: float = DEFAULT_FALLBACK_BELOW
    source: str = ""
    version: int = 1
    _by_id: dict[str, KeywordRule] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Stable sort: equal priorities keep file order, so the rule written first wins.
        ordered = tuple(sorted(self.rules, key=lambda r: -r.priority))
        object.__setattr__(self, "rules", ordered)
        self._by_id.update({r.id: r for r in ordered})

    @classmethod
    def empty(cls) -> RuleSet:
        """Return a rule set with no rules (the model alone decides)."""
        return cls(source="(none)")

    def get(self, rule_id: str) -> KeywordRule | None:
        """Return the rule with this id, if any."""
        return self._by_id.get(rule_id)

    def matches(self, text: str) -> list[KeywordRule]:
        """Return the rules that fire on ``text``, highest priority first."""
        return self.matches_normalized(normalize_text(text))

    def matches_normalized(self, normalized: str) -> list[KeywordRule]:
        """Return the rules that fire on a text already passed through ``normalize_text``."""
        return [r for r in self.rules if r.fires(normalized)]


def _fail(where: str, problem_zh: str, problem_en: str) -> InvalidInputError:
    return InvalidInputError(f"{where}：{problem_zh}", f"{where}: {problem_en}")


def _strings(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(
            where, f"{key} 必须是非空字符串的列表", f"{key} must be a list of non-empty strings"
        )
    return tuple(value)


def _parse_rule(raw: Any, index: int, tree: CategoryTree) -> KeywordRule:
    rule_id = raw.get("id") if isinstance(raw, dict) else None
    where = f"规则 rule #{index} ({rule_id!r})"
    if not isinstance(raw, dict):
        raise _fail(where, "不是一个表", "is not a table")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise _fail(where, f"未知字段 {unknown}", f"unknown keys {unknown}")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise _fail(where, "id 必须由字母、数字、_ . - 组成", "id must match [A-Za-z0-9_.-]{1,64}")
    category = raw.get("category")
    path = tree.path(category) if isinstance(category, str) else None
    if path is None:
        raise _fail(where, f"分类树中没有分类 {category!r}", f"unknown category {category!r}")
    keywords = tuple(normalize_text(k) for k in _strings(raw, "keywords", where))
    exclude = tuple(normalize_text(k) for k in _strings(raw, "exclude", where))
    patterns = []
    for expr in _strings(raw, "regex", where):
        try:
            patterns.append(re.compile(expr))
        except re.error as exc:
            raise _fail(
                where, f"正则表达式 {expr!r} 无效：{exc}", f"bad regex {expr!r}: {exc}"
            ) from exc
    if not keywords and not patterns:
        raise _fail(where, "至少需要一个 keywords 或 regex", "needs at least one keyword or regex")
    mode = raw.get("mode", "fallback")
    if mode not in ("override", "fallback"):
        raise _fail(
            where, f"mode 只能是 override 或 fallback，而不是 {mode!r}", f"bad mode {mode!r}"
        )
    priority = raw.get("priority", 0)
    confidence = raw.get("confidence", 1.0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise _fail(where, "priority 必须是整数", "priority must be an integer")
    if not isinstance(confidence, int | float) or not 0 < confidence <= 1:
        raise _fail(where, "confidence 必须在 (0, 1] 之间", "confidence must be in (0, 1]")
    return KeywordRule(
        id=rule_id,
        path=path,
        keywords=keywords,
        patterns=tuple(patterns),
        exclude=exclude,
        priority=priority,
        mode=mode,
        confidence=float(confidence),
        note=str(raw.get("note", "")),
    )


def parse_rules(text: str, *, source: str = "", tree: CategoryTree | None = None) -> RuleSet:
    """Parse and validate a rules TOML document; errors name the bad rule."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(
            f"规则文件 {source} 不是有效的 TOML：{exc}", f"rules file {source} is not TOML: {exc}"
        ) from exc
    refuse_nul_document(raw, source or "rules")
    tree = tree or load_tree()
    items = raw.get("rule", [])
    if not isinstance(items, list):
        raise InvalidInputError("rule 必须是 [[rule]] 表数组", "rule must be an array of tables")
    threshold = raw.get("fallback_below", DEFAULT_FALLBACK_BELOW)
    if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        raise InvalidInputError(
            "fallback_below 必须在 [0, 1] 之间", "fallback_below must be in [0, 1]"
        )
    rules: list[KeywordRule] = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        if isinstance(item, dict) and item.get("enabled", True) is False:
            continue
        rule = _parse_rule(item, index, tree)
        if rule.id in seen:
            raise _fail(f"规则 rule #{index} ({rule.id!r})", "id 重复", "duplicate id")
        seen.add(rule.id)
        rules.append(rule)
    return RuleSet(tuple(rules), float(threshold), source, int(raw.get("version", 1)))


def load_rules(path: Path | None = None, *, tree: CategoryTree | None = None) -> RuleSet:
    """Read the keyword rules at ``path`` (default: the shipped ``default_rules.toml``)."""
    if path is None:
        text = files(__package__).joinpath(DEFAULT_RULES_FILE).read_text("utf-8")
        return parse_rules(text, source=DEFAULT_RULES_FILE, tree=tree)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InvalidInputError(
            f"无法读取规则文件 {path}", f"cannot read rules file {path}: {exc}"
        ) from exc
    return parse_rules(text, source=str(path), tree=tree)
