"""The trained request classifier: train, predict (model + keyword rules), save and load.

The model is a linear SVM over character n-gram TF-IDF features (:mod:`.features`).
Its confidence is a softmax of the SVM's decision scores with one temperature, fitted
to minimise the log-loss of out-of-fold scores, so that "0.9" means roughly "right nine
times in ten" and the rules' ``fallback_below`` threshold has a meaning.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC

import zhengwu
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.servicedesk.classify.config import ModelConfig
from zhengwu.servicedesk.classify.features import TextFeatures, TreeTerms, normalize_text
from zhengwu.servicedesk.classify.rules import KeywordRule, RuleSet, load_rules
from zhengwu.servicedesk.classify.tree import CategoryTree, load_tree

FILE_FORMAT = "zhengwu-servicedesk-classifier"
FILE_VERSION = 2  # 2: the category-tree word block


@dataclass(frozen=True, slots=True)
class Prediction:
    """The category of one request, how sure, and who decided (``model`` or ``rule:<id>``).

    ``label`` is the first-level class; ``path`` goes from it down to the most specific
    category known (a rule can name a sub-category: ``("交通运输", "出租车与网约车")``).
    """

    label: str
    confidence: float
    source: str
    path: tuple[str, ...]


def default_model_path() -> Path:
    """Return where the deployment's model is stored (``<data_dir>/models/classifier.pkl``)."""
    return get_settings().data_dir / "models" / "classifier.pkl"


def _decision(svm: LinearSVC, x: Any) -> np.ndarray:
    """Return one decision score per class, also for two classes (sklearn gives one)."""
    scores = np.asarray(svm.decision_function(x), dtype=float)
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Return the softmax temperature that minimises the log-loss of ``scores``."""

    def loss(log_t: float) -> float:
        logp = log_softmax(np.exp(log_t) * scores, axis=1)
        return float(-logp[np.arange(len(y)), y].mean())

    found = minimize_scalar(loss, bounds=(-3.0, 5.0), method="bounded")
    return float(np.exp(found.x))


class Classifier:
    """A trained model plus the keyword rules applied around it."""

    def __init__(
        self,
        *,
        features: TextFeatures,
        svm: LinearSVC,
        labels: Sequence[str],
        temperature: float,
        info: dict[str, Any],
        rules: RuleSet | None = None,
    ) -> None:
        self.features = features
        self.svm = svm
        self.labels = tuple(labels)
        self.temperature = temperature
        self.info = info
        self.rules = rules if rules is not None else load_rules()

    @property
    def config(self) -> ModelConfig:
        """Return the configuration the model was trained with."""
        return ModelConfig.from_dict(self.info["config"])

    def tree_words(self) -> dict[str, str]:
        """Return the category-tree words the model counts, word → class (retraining keeps them)."""
        terms = self.features.tree_terms
        if terms is None:
            return {}
        return {
            w: terms.classes[int(row.argmax())]
            for w, row in zip(terms.words, terms.owner, strict=True)
        }

    def with_rules(self, rules: RuleSet) -> Classifier:
        """Return the same model with other keyword rules (``RuleSet.empty()``: model alone)."""
        return Classifier(
            features=self.features,
            svm=self.svm,
            labels=self.labels,
            temperature=self.temperature,
            info=self.info,
            rules=rules,
        )

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return the model's calibrated class probabilities (columns follow ``labels``)."""
        return self._probabilities([normalize_text(t) for t in texts])

    def _probabilities(self, normalized: list[str]) -> np.ndarray:
        scores = _decision(self.svm, self.features.transform(normalized))
        return np.asarray(softmax(self.temperature * scores, axis=1))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Return the category of each text: override rules, else the model, else fall-backs."""
        normalized = [normalize_text(t) for t in texts]
        if not normalized:
            return []
        probs = self._probabilities(normalized)
        best = probs.argmax(axis=1)
        return [
            self._combine(self.rules.matches_normalized(text), self.labels[i], float(row[i]))
            for text, row, i in zip(normalized, probs, best, strict=True)
        ]

    def _combine(self, fired: list[KeywordRule], label: str, confidence: float) -> Prediction:
        """Apply the order documented in :mod:`.rules` to one text's fired rules."""
        for rule in fired:
            if rule.mode == "override":
                return Prediction(rule.label, rule.confidence, f"rule:{rule.id}", rule.path)
        if confidence < self.rules.fallback_below:
            for rule in fired:
                if rule.mode == "fallback":
                    return Prediction(rule.label, rule.confidence, f"rule:{rule.id}", rule.path)
        inside = next((r.path for r in fired if r.label == label and len(r.path) > 1), (label,))
        return Prediction(label, round(confidence, 6), "model", inside)

    def save(self, path: Path | None = None) -> Path:
        """Write the model (with its version, labels and training metadata) to ``path``."""
        path = path or default_model_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "labels": list(self.labels),
            "info": self.info,
            "model": {"features": self.features, "svm": self.svm, "temperature": self.temperature},
        }
        # Write then rename, so that a reader polling the file never sees half a model.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: Path | None = None, *, rules: RuleSet | None = None) -> Classifier:
        """Read a model written by :meth:`save`; keyword rules come from ``rules`` or the default."""
        path = path or default_model_path()
        if not path.is_file():
            raise NotFoundError(
                f"没有找到模型文件 {path}，请先训练（zhengwu desk model train）",
                f"no model file at {path}; train one first (zhengwu desk model train)",
            )
        try:
            with path.open("rb") as fh:
                # pickle runs code from the file: only load models this deployment wrote.
                payload = pickle.load(fh)
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            raise InvalidInputError(
                f"模型文件 {path} 已损坏或不是分类模型", f"{path} is not a readable model: {exc}"
            ) from exc
        if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
            raise InvalidInputError(f"{path} 不是诉求分类模型", f"{path} is not a classifier model")
        if payload.get("version") != FILE_VERSION:
            raise InvalidInputError(
                f"模型文件版本 {payload.get('version')} 不受支持，请重新训练",
                f"model file version {payload.get('version')} is not supported; retrain",
            )
        model = payload["model"]
        return cls(
            features=model["features"],
            svm=model["svm"],
            labels=payload["labels"],
            temperature=model["temperature"],
            info=payload["info"],
            rules=rules,
        )


def _check_training_data(texts: Sequence[str], labels: Sequence[str]) -> None:
    if len(texts) != len(labels):
        raise InvalidInputError(
            f"文本 {len(texts)} 条，标签 {len(labels)} 条，数量不一致",
            f"{len(texts)} texts but {len(labels)} labels",
        )
    if len(set(labels)) < 2:
        raise InvalidInputError(
            "训练数据至少需要两个不同的类别", "training data needs at least two different labels"
        )


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    config: ModelConfig | None = None,
    rules: RuleSet | None = None,
    tree: CategoryTree | dict[str, str] | None = None,
) -> Classifier:
    """Train a classifier on labelled requests (deterministic for a given config).

    ``tree`` is the deployment's category tree (default: the shipped one), or the word →
    class mapping of an earlier model (:meth:`Classifier.tree_words`): the words of its
    sub-category names become one feature per class (``ModelConfig.tree_term_weight``).
    """
    _check_training_data(texts, labels)
    config = config or ModelConfig()
    classes, y = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    names = [str(c) for c in classes]
    if isinstance(tree, dict):
        terms = tree
    else:
        terms = (tree or load_tree()).class_terms(names) if config.tree_term_weight else {}
    features = TextFeatures(config, TreeTerms(terms, names))
    x = features.fit_transform([normalize_text(t) for t in texts])

    def make_svm() -> LinearSVC:
        return LinearSVC(
            C=config.c,
            class_weight="balanced" if config.balanced else None,
            random_state=config.random_state,
        )

    counts = Counter(y.tolist())
    folds = min(config.calibration_folds, min(counts.values()))
    temperature = 1.0
    if folds >= 2:
        splitter = StratifiedKFold(folds, shuffle=True, random_state=config.random_state)
        oof = cross_val_predict(make_svm(), x, y, cv=splitter, method="decision_function")
        oof = np.column_stack([-oof, oof]) if oof.ndim == 1 else oof
        temperature = _fit_temperature(oof, y)
    svm = make_svm().fit(x, y)  # y is 0..k-1, so decision columns follow `classes`
    info = {
        "n": len(texts),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.to_dict(),
        "label_counts": {str(classes[k]): v for k, v in sorted(counts.items())},
        "n_features": features.n_features,
        "tree_terms": len(features.tree_terms.words) if features.tree_terms else 0,
        "calibration_folds": folds if folds >= 2 else 0,
        "sklearn_version": sklearn.__version__,
        "zhengwu_version": zhengwu.__version__,
    }
    return Classifier(
        features=features,
        svm=svm,
        labels=[str(c) for c in classes],
        temperature=temperature,
        info=info,
        rules=rules,
    )


def load(path: Path | None = None, *, rules: RuleSet | None = None) -> Classifier:
    """Read the stored classifier (default ``<data_dir>/models/classifier.pkl``)."""
    return Classifier.load(path, rules=rules)
