"""Request classifier (诉求分类): a model trained on the deployment's own labelled requests,
combined with editable keyword rules.

- :func:`train` fits a linear SVM on character n-gram TF-IDF (:class:`ModelConfig`);
  :meth:`Classifier.save` / :func:`load` keep it at ``<data_dir>/models/classifier.pkl``
  with its version, label set and training metadata.
- :func:`load_rules` reads the keyword rules (TOML, default ``default_rules.toml``); how
  rules override or back up the model is documented in :mod:`.rules`.
- :func:`evaluate` scores a classifier on labelled requests (:class:`EvalReport`);
  :func:`cross_validate` scores a configuration without a test set.
"""

from zhengwu.servicedesk.classify.config import ModelConfig
from zhengwu.servicedesk.classify.dataset import LabelledRequests, read_labelled_csv
from zhengwu.servicedesk.classify.evaluation import (
    ClassScores,
    EvalReport,
    cross_validate,
    evaluate,
    score,
)
from zhengwu.servicedesk.classify.model import (
    Classifier,
    Prediction,
    default_model_path,
    load,
    train,
)
from zhengwu.servicedesk.classify.rules import KeywordRule, RuleSet, load_rules, parse_rules
from zhengwu.servicedesk.classify.tree import CategoryTree, load_tree

__all__ = [
    "CategoryTree",
    "ClassScores",
    "Classifier",
    "EvalReport",
    "KeywordRule",
    "LabelledRequests",
    "ModelConfig",
    "Prediction",
    "RuleSet",
    "cross_validate",
    "default_model_path",
    "evaluate",
    "load",
    "load_rules",
    "load_tree",
    "parse_rules",
    "read_labelled_csv",
    "score",
    "train",
]
