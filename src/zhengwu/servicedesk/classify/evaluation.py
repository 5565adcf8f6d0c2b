"""Scores of a classifier on labelled requests: accuracy, macro-F1, per class, confusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from zhengwu.errors import InvalidInputError
from zhengwu.servicedesk.classify.config import ModelConfig
from zhengwu.servicedesk.classify.model import Classifier, train
from zhengwu.servicedesk.classify.rules import RuleSet
from zhengwu.servicedesk.classify.tree import CategoryTree


@dataclass(frozen=True, slots=True)
class ClassScores:
    """Precision, recall and F1 of one class, and how many true examples it had."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class EvalReport:
    """How well predictions matched the true labels.

    ``confusion[i][j]`` counts texts of true class ``labels[i]`` predicted as ``labels[j]``;
    ``labels`` is the union of true and predicted labels, sorted.
    """

    n: int
    accuracy: float
    macro_f1: float
    labels: list[str]
    per_class: dict[str, ClassScores]
    confusion: list[list[int]]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-serialisable mapping."""
        return asdict(self)


def score(true: Sequence[str], predicted: Sequence[str]) -> EvalReport:
    """Compare predicted labels with true labels."""
    if not true or len(true) != len(predicted):
        raise InvalidInputError(
            "评估需要相同数量的非空真实标签和预测", "evaluation needs as many predictions as labels"
        )
    labels = sorted(set(true) | set(predicted))
    p, r, f, s = precision_recall_fscore_support(true, predicted, labels=labels, zero_division=0.0)
    # Macro-F1 over the classes that occur in the truth: a label only ever predicted
    # (a rule's category the data lacks) counts as errors, not as an extra zero-F1 class.
    present = sorted(set(true))
    macro = float(np.mean([f[labels.index(c)] for c in present]))
    return EvalReport(
        n=len(true),
        accuracy=float(accuracy_score(true, predicted)),
        macro_f1=macro,
        labels=labels,
        per_class={
            c: ClassScores(float(p[i]), float(r[i]), float(f[i]), int(s[i]))
            for i, c in enumerate(labels)
        },
        confusion=confusion_matrix(true, predicted, labels=labels).tolist(),
    )


def evaluate(clf: Classifier, texts: Sequence[str], labels: Sequence[str]) -> EvalReport:
    """Classify ``texts`` (model and rules, as deployed) and score against ``labels``."""
    if len(texts) != len(labels):
        raise InvalidInputError(
            f"文本 {len(texts)} 条，标签 {len(labels)} 条，数量不一致",
            f"{len(texts)} texts but {len(labels)} labels",
        )
    return score(list(labels), [p.label for p in clf.predict(texts)])


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    config: ModelConfig | None = None,
    rules: RuleSet | None = None,
    tree: CategoryTree | None = None,
    folds: int = 5,
    seed: int = 0,
) -> EvalReport:
    """Score out-of-fold predictions of ``folds``-fold stratified cross-validation."""
    texts, labels = list(texts), list(labels)
    rules = rules if rules is not None else RuleSet.empty()
    predicted = [""] * len(texts)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fit_idx, held_idx in splitter.split(texts, labels):
        clf = train(
            [texts[i] for i in fit_idx], [labels[i] for i in fit_idx], config=config, tree=tree
        )
        got = clf.with_rules(rules).predict([texts[i] for i in held_idx])
        for i, prediction in zip(held_idx, got, strict=True):
            predicted[i] = prediction.label
    return score(labels, predicted)
