"""Classification of a request into the category tree: the model when trained, else keywords.

Decision, recorded in ``classified_by``:

1. ``citizen`` — the form or Open311 client named a category.
2. ``model`` — the trained classifier (:mod:`zhengwu.servicedesk.classify`, default file
   ``<data_dir>/models/classifier.pkl``) names a first-level class with confidence at least
   :data:`MODEL_MIN_CONFIDENCE`; the keyword rules then pick a sub-category inside it
   when one of its keywords occurs.
3. ``rules`` — keyword rules: each category scores the total length of its keywords found
   in the text; the first-level branch with the highest own + best-child score wins, then
   its best-scoring child (the branch itself when no child's keyword occurs).
4. nothing — no keyword and no model: the request stays unclassified for the office.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk.category.service import TreeNode

MODEL_MIN_CONFIDENCE = 0.4
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Classification:
    """The category chosen for a text, who chose it, and how sure it was."""

    code: str | None
    by: str | None
    confidence: float | None


def _own_score(category: TreeNode, text: str) -> int:
    return sum(len(k) for k in category.keywords if k and k in text)


class _Rules:
    """The keyword rules over one tree (its branches indexed once for many texts)."""

    def __init__(self, tree: Sequence[TreeNode]) -> None:
        self.tree = tree
        self.children: dict[str, list[TreeNode]] = {}
        for c in tree:
            if c.parent_code is not None:
                self.children.setdefault(c.parent_code, []).append(c)
        self.tops = [c for c in tree if c.parent_code is None]

    def pick(self, text: str, within: str | None = None) -> Classification:
        """Pick the first-level branch with the most keyword weight, then its best child.

        A branch scores its own keywords plus its best child's, so a text full of one
        sub-category's words reaches that sub-category even when the parent's words are
        generic.
        """
        tops = [c for c in self.tree if c.code == within] if within else self.tops
        branches: list[tuple[int, int, str]] = []  # (branch score, child score, chosen code)
        for top in tops:
            best_child = max(
                ((_own_score(ch, text), ch.code) for ch in self.children.get(top.code, [])),
                default=(0, top.code),
            )
            own = _own_score(top, text) if within is None else 0
            code = best_child[1] if best_child[0] > 0 else top.code
            branches.append((own + best_child[0], best_child[0], code))
        branches = sorted((b for b in branches if b[0] > 0), reverse=True)
        if not branches:
            return Classification(None, None, None)
        best = branches[0]
        return Classification(best[2], "rules", round(best[0] / sum(b[0] for b in branches), 3))


class _ModelCache:
    """The trained classifier, reloaded when its file changes (one per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, float] | None = None
        self._model: Any = None

    def get(self, path: Path) -> Any:
        """Return the model stored at ``path`` (None when there is none or it is unusable)."""
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        with self._lock:
            if self._key != (str(path), mtime):
                try:
                    classify = importlib.import_module("zhengwu.servicedesk.classify")
                except ImportError:  # the classifier package is not installed in this build
                    return None
                try:
                    self._model = classify.load(path)
                except Exception:  # a broken model file must not stop intake: rules decide
                    log.exception("cannot load classifier model %s", path)
                    self._model = None
                self._key = (str(path), mtime)
            return self._model


_models = _ModelCache()


def model_path() -> Path:
    """Return where the trained classifier lives (``<data_dir>/models/classifier.pkl``)."""
    return get_settings().data_dir / "models" / "classifier.pkl"


def classify_texts(texts: Sequence[str], tree: Sequence[TreeNode]) -> list[Classification]:
    """Return the category of each text no category was given for, as :func:`classify` does.

    For many texts at once (a CSV import's batch): the trained model, when there is one,
    is looked up once and predicts all of them in one call, and the tree is indexed once.
    """
    if not texts:
        return []
    rules = _Rules(tree)
    model = _models.get(model_path())
    predictions = model.predict(list(texts)) if model is not None else [None] * len(texts)
    out: list[Classification] = []
    for text, prediction in zip(texts, predictions, strict=True):
        if prediction is not None:
            label, confidence = str(prediction.label), float(prediction.confidence)
            top = next(
                (c for c in rules.tops if label in (c.code, c.name)), None
            )  # a first-level class
            if top is not None and confidence >= MODEL_MIN_CONFIDENCE:
                inner = rules.pick(text, within=top.code)  # the sub-category inside it
                out.append(Classification(inner.code or top.code, "model", round(confidence, 3)))
                continue
        out.append(rules.pick(text))
    return out


def classify(
    text: str, tree: Sequence[TreeNode], *, given: str | None = None,
    codes: Collection[str] | None = None,
) -> Classification:  # fmt: skip
    """Return the category of a request text (see the module docstring for the order).

    ``codes``: the tree's codes, when the caller holds them already (a batch of rows).
    """
    if given:
        if given not in (codes if codes is not None else {c.code for c in tree}):
            raise InvalidInputError(f"诉求分类不存在：{given}", f"unknown category: {given}")
        return Classification(given, "citizen", 1.0)
    return classify_texts([text], tree)[0]
