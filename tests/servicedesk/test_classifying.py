"""Keyword rules and the trained model: who decides, and the fall-back to rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from zhengwu.servicedesk import classifying
from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import CategoryCreate


@dataclass
class Prediction:
    label: str
    confidence: float
    source: str = "model"


class TableModel:
    """A working stand-in of the trained classifier: looks labels up in a table."""

    def __init__(self, answers: dict[str, tuple[str, float]]) -> None:
        self.answers = answers

    def predict(self, texts: list[str]) -> list[Prediction]:
        return [Prediction(*self.answers[t]) for t in texts]


TREE: list[CategoryCreate] = category_service.default_tree()


def _use_model(monkeypatch: pytest.MonkeyPatch, model: TableModel | None) -> None:
    monkeypatch.setattr(classifying._models, "get", lambda path: model)


def test_rules_pick_the_sub_category(monkeypatch: pytest.MonkeyPatch) -> None:
    _use_model(monkeypatch, None)
    got = classifying.classify("小区物业不作为，电梯坏了没人修", TREE)
    assert (got.code, got.by) == ("0101", "rules")
    assert got.confidence == 1.0
    assert classifying.classify("今天天气很好", TREE) == classifying.Classification(
        None, None, None
    )


def test_a_confident_model_decides_the_class(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "楼下烧烤店油烟太大"
    _use_model(monkeypatch, TableModel({text: ("环境保护", 0.93)}))
    got = classifying.classify(text, TREE)
    assert (got.code, got.by, got.confidence) == ("0202", "model", 0.93)  # rules refine to 大气污染


def test_an_unsure_or_unknown_model_falls_back_to_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "小区物业乱收停车费"
    _use_model(monkeypatch, TableModel({text: ("商贸旅游", 0.2)}))
    assert classifying.classify(text, TREE).by == "rules"
    _use_model(monkeypatch, TableModel({text: ("不存在的类", 0.99)}))
    assert classifying.classify(text, TREE).code == "0101"


def test_the_model_file_lives_in_the_data_dir(tmp_path: Path) -> None:
    assert classifying.model_path().name == "classifier.pkl"
    assert classifying.model_path().parent.name == "models"
    assert classifying._models.get(tmp_path / "missing.pkl") is None


class CountingModel(TableModel):
    """The stand-in, counting its calls: a batch asks the model once."""

    calls = 0

    def predict(self, texts: list[str]) -> list[Prediction]:
        self.calls += 1
        return super().predict(texts)


TEXTS = ["楼下烧烤店油烟太大", "小区物业乱收停车费", "今天天气很好", "小区物业不作为，电梯坏了没人修",
         "路灯不亮"]  # fmt: skip


@pytest.mark.parametrize("with_model", [False, True])
def test_a_batch_classifies_each_text_as_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch, with_model: bool
) -> None:
    answers = {TEXTS[0]: ("环境保护", 0.93), TEXTS[1]: ("商贸旅游", 0.2), TEXTS[2]: ("不存在的类", 0.99),
               TEXTS[3]: ("城乡建设", 0.6), TEXTS[4]: ("城乡建设", 0.5)}  # fmt: skip
    model = CountingModel(answers) if with_model else None
    _use_model(monkeypatch, model)
    one_by_one = [classifying.classify(t, TREE) for t in TEXTS]
    if model is not None:
        model.calls = 0
    batched = classifying.classify_texts(TEXTS, TREE)
    assert batched == one_by_one
    assert {c.by for c in batched} == ({"model", "rules", None} if with_model else {"rules", None})
    if model is not None:
        assert model.calls == 1
    assert classifying.classify_texts([], TREE) == []
