"""The request classifier on real labelled messages: scores, rules, persistence, CLI."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from typer.testing import CliRunner

from zhengwu.cli import desk
from zhengwu.errors import InvalidInputError, NotFoundError
from zhengwu.servicedesk import classifying
from zhengwu.servicedesk.classify import (
    Classifier,
    LabelledRequests,
    ModelConfig,
    RuleSet,
    cross_validate,
    default_model_path,
    evaluate,
    load,
    load_rules,
    load_tree,
    parse_rules,
    read_labelled_csv,
    train,
)
from zhengwu.servicedesk.classify.features import CharTfidf, TreeTerms, normalize_text

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data" / "citizen-messages"
runner = CliRunner()


@pytest.fixture(scope="module")
def train_set() -> LabelledRequests:
    return read_labelled_csv(DATA / "train.csv")


@pytest.fixture(scope="module")
def test_set() -> LabelledRequests:
    return read_labelled_csv(DATA / "test.csv")


@pytest.fixture(scope="module")
def clf(train_set: LabelledRequests) -> Classifier:
    """The classifier trained once on the whole of train.csv."""
    return train(train_set.texts, train_set.labels)


def _rules(body: str) -> RuleSet:
    return parse_rules(body, source="test.toml")


# --- scores on the real test split -------------------------------------------------------


def test_beats_the_baseline_on_the_test_split(clf: Classifier, test_set: LabelledRequests) -> None:
    alone = evaluate(clf.with_rules(RuleSet.empty()), test_set.texts, test_set.labels)
    deployed = evaluate(clf, test_set.texts, test_set.labels)
    # The published baseline (char n-gram TF-IDF + linear SVM) scores 0.908 / 0.899; the
    # model must beat it. Measured figures: benchmarks/bench_classifier.py and the README.
    for report in (alone, deployed):
        assert report.n == 611
        assert report.accuracy > 0.908
        assert report.macro_f1 > 0.899
    assert set(alone.per_class) == set(test_set.labels)
    assert sum(map(sum, alone.confusion)) == 611
    diagonal = sum(alone.confusion[i][i] for i in range(len(alone.labels)))
    assert diagonal / 611 == pytest.approx(alone.accuracy)


def test_the_deployments_category_tree_lifts_macro_f1_to_the_goal(
    clf: Classifier, train_set: LabelledRequests, test_set: LabelledRequests
) -> None:
    # With the organiser's own three-level tree (as `desk model train --tree` takes it),
    # the sub-category words add one feature per class: the goal is macro-F1 0.92.
    tree = load_tree(DATA / "taxonomy.csv")
    with_tree = train(train_set.texts, train_set.labels, tree=tree)
    assert with_tree.info["tree_terms"] > 100
    report = evaluate(with_tree, test_set.texts, test_set.labels)
    plain = evaluate(clf, test_set.texts, test_set.labels)
    assert report.macro_f1 >= 0.92
    assert report.macro_f1 > plain.macro_f1


def test_level_csv_tree_gives_each_class_its_own_words(tmp_path: Path) -> None:
    path = tmp_path / "tree.csv"
    path.write_text(
        "一级分类,二级分类,三级分类\n"
        "交通运输,出租车管理,网约车问题\n"
        "交通运输,出租车管理,其他\n"
        "交通运输,客货运输,物流管理\n"
        "城乡建设,物业管理,物业服务与管理\n"
        "城乡建设,安全生产,安全隐患\n"
        "卫生计生,安全生产,医疗纠纷\n"
        "政法,治安,物流管理\n",
        encoding="utf-8",
    )
    tree = load_tree(path)
    assert tree.path("网约车问题") == ("交通运输", "出租车管理", "网约车问题")
    words = tree.class_terms(["交通运输", "城乡建设", "卫生计生"])
    assert words["网约车问题"] == "交通运输"
    assert words["物业服务"] == "城乡建设"  # "物业服务与管理" is cut at 与 …
    assert "管理" in words  # … and its one-class remainder kept
    assert "其他" not in words  # "other" says nothing
    assert "安全生产" not in words  # below two classes: no help telling them apart
    assert words["物流管理"] == "交通运输"  # 政法 is not a class here, so it does not count
    terms = TreeTerms(words, ["交通运输", "城乡建设", "卫生计生"])
    matrix = terms.transform([normalize_text("网约车问题和网约车问题"), "医疗纠纷", "无关"])
    dense = matrix.toarray()
    assert dense[0, 0] == pytest.approx(np.log1p(2)) and dense[0, 1] == 0
    assert dense[1].tolist() == pytest.approx([0, 0, np.log1p(1)])
    assert dense[2].tolist() == [0, 0, 0]


def test_a_tree_file_that_is_not_a_tree_fails_clearly(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("一级分类,二级分类\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="没有数据行"):
        load_tree(empty)
    with pytest.raises(InvalidInputError, match="无法读取"):
        load_tree(tmp_path / "missing.csv")


def test_training_data_is_stored_in_the_model(clf: Classifier, train_set: LabelledRequests) -> None:
    assert clf.info["n"] == len(train_set) == 2184
    assert sorted(clf.labels) == sorted(set(train_set.labels))
    assert sum(clf.info["label_counts"].values()) == 2184
    assert clf.config == ModelConfig()
    assert clf.info["trained_at"].endswith("+00:00")


def test_confidence_is_calibrated_enough_to_threshold(
    clf: Classifier, test_set: LabelledRequests
) -> None:
    model = clf.with_rules(RuleSet.empty())
    got = model.predict(test_set.texts)
    assert all(0 < p.confidence <= 1 and p.source == "model" for p in got)
    right = np.array([p.label == y for p, y in zip(got, test_set.labels, strict=True)])
    confidence = np.array([p.confidence for p in got])
    # Sure answers are right more often than unsure ones.
    assert right[confidence >= 0.9].mean() > right[confidence < 0.9].mean()
    assert np.allclose(model.probabilities(test_set.texts[:5]).sum(axis=1), 1.0)


def test_training_is_deterministic(train_set: LabelledRequests) -> None:
    texts, labels = train_set.texts[:400], train_set.labels[:400]
    a, b = train(texts, labels), train(texts, labels)
    assert np.array_equal(a.probabilities(texts[:50]), b.probabilities(texts[:50]))
    assert a.temperature == b.temperature


def test_cross_validation_scores_out_of_fold(train_set: LabelledRequests) -> None:
    config = ModelConfig(calibration_folds=0)
    report = cross_validate(train_set.texts[:600], train_set.labels[:600], config=config, folds=3)
    assert report.n == 600
    assert 0.6 < report.macro_f1 < 1.0  # out-of-fold: well above chance, below memorising


# --- keyword rules -----------------------------------------------------------------------

OVERRIDE = """
fallback_below = 0.5
[[rule]]
id = "bus-stop"
category = "交通运输/公共交通"
keywords = ["公交站牌"]
priority = 10
mode = "override"
confidence = 0.8

[[rule]]
id = "wages"
category = "劳动和社会保障"
regex = ["拖欠.{0,6}工资"]
exclude = ["已经解决"]
priority = 20
mode = "override"
"""


def test_override_rules_decide_by_priority(clf: Classifier) -> None:
    ruled = clf.with_rules(_rules(OVERRIDE))
    text = "学校门口公交站牌被撞坏，施工队还拖欠我们三个月工资"
    assert clf.with_rules(RuleSet.empty()).predict([text])[0].source == "model"
    got = ruled.predict([text, "学校门口的公交站牌被撞坏了", "拖欠工资的事已经解决了谢谢"])
    assert (got[0].label, got[0].source, got[0].confidence) == ("劳动和社会保障", "rule:wages", 1.0)
    assert (got[1].path, got[1].source, got[1].confidence) == (
        ("交通运输", "公共交通"),
        "rule:bus-stop",
        0.8,
    )
    assert got[2].source == "model"  # the exclude word stops the rule


def test_fallback_rules_act_only_below_the_threshold(clf: Classifier) -> None:
    body = """
[[rule]]
id = "zoo"
category = "教育文体/文化体育"
keywords = ["动物园"]
"""
    text = "我家孩子的社保卡在动物园丢了"
    always = clf.with_rules(_rules("fallback_below = 1.0\n" + body)).predict([text])[0]
    never = clf.with_rules(_rules("fallback_below = 0.0\n" + body)).predict([text])[0]
    assert (always.label, always.source) == ("教育文体", "rule:zoo")
    assert never.source == "model"
    assert never.label == clf.with_rules(RuleSet.empty()).predict([text])[0].label


def test_a_rule_inside_the_models_class_refines_the_sub_category(clf: Classifier) -> None:
    text = "退休职工养老金今年为什么没有上调，社保局请答复"
    got = clf.predict([text])[0]
    assert (got.label, got.source) == ("劳动和社会保障", "model")
    assert got.path == ("劳动和社会保障", "社会保险")  # from the default rule social-insurance


def test_default_rules_load_against_the_tree() -> None:
    rules = load_rules()
    tree = load_tree()
    assert len(tree.top_level) == 7
    assert rules.rules and all(tree.path(r.path[-1]) == r.path for r in rules.rules)
    priorities = [r.priority for r in rules.rules]
    assert priorities == sorted(priorities, reverse=True)
    assert rules.get("taxi") is not None
    assert [r.id for r in rules.matches("ＥＴＣ 出 租 车 拒载")] == ["taxi"]
    assert {r.id for r in rules.rules if r.mode == "override"} == {"vaccine", "pyramid-selling"}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('[[rule]]\nid = "a"\ncategory = "不存在"\nkeywords = ["x"]', "'a'"),
        ('[[rule]]\nid = "b"\ncategory = "卫生计生"\nregex = ["(unclosed"]', "'b'"),
        ('[[rule]]\nid = "c"\ncategory = "卫生计生"\nkeywords = ["x"]\nmode = "maybe"', "'c'"),
        ('[[rule]]\nid = "d"\ncategory = "卫生计生"', "'d'"),
        ('[[rule]]\nid = "e"\ncategory = "卫生计生"\nkeywords = ["x"]\nprio = 3', "'e'"),
        ('[[rule]]\nid = "f"\ncategory = "卫生计生"\nkeywords = "x"', "'f'"),
        ('[[rule]]\nid = "has space"\ncategory = "卫生计生"\nkeywords = ["x"]', "#1"),
        ('[[rule]]\nid = "g"\ncategory = "卫生计生"\nkeywords = ["x"]\nconfidence = 2', "'g'"),
        (
            '[[rule]]\nid = "h"\ncategory = "卫生计生"\nkeywords = ["x"]\n'
            '[[rule]]\nid = "h"\ncategory = "卫生计生"\nkeywords = ["y"]',
            "#2 ('h')",
        ),
    ],
)
def test_rule_errors_name_the_bad_rule(body: str, named: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _rules(body)
    assert named in caught.value.message_zh
    assert named in caught.value.message_en


def test_disabled_rules_and_bad_files(tmp_path: Path) -> None:
    off = '[[rule]]\nid = "a"\ncategory = "卫生计生"\nkeywords = ["x"]\nenabled = false'
    assert _rules(off).rules == ()
    with pytest.raises(InvalidInputError, match="TOML"):
        _rules("this is = = not toml")
    with pytest.raises(InvalidInputError, match="fallback_below"):
        _rules("fallback_below = 3")
    with pytest.raises(InvalidInputError, match="rules file"):
        load_rules(tmp_path / "missing.toml")


# --- persistence -------------------------------------------------------------------------


def test_save_and_load_give_identical_predictions(
    clf: Classifier, test_set: LabelledRequests, tmp_path: Path
) -> None:
    path = clf.save(tmp_path / "models" / "m.pkl")
    again = load(path)
    assert again.predict(test_set.texts) == clf.predict(test_set.texts)
    assert again.labels == clf.labels
    assert again.info == clf.info
    with path.open("rb") as fh:
        stored = pickle.load(fh)
    assert (stored["format"], stored["version"]) == ("zhengwu-servicedesk-classifier", 2)
    assert stored["labels"] == list(clf.labels)
    assert {"n", "trained_at", "config"} <= set(stored["info"])


def test_the_default_path_is_in_the_data_dir(clf: Classifier) -> None:
    from zhengwu.config import get_settings

    assert default_model_path() == get_settings().data_dir / "models" / "classifier.pkl"
    path = clf.save()
    assert path == default_model_path()
    assert load().labels == clf.labels
    # The intake's classification step picks the stored model up from there.
    label = classifying._models.get(path).predict(["小区门口的路灯坏了一个月没人修"])[0].label
    assert label == "城乡建设"


def test_loading_a_missing_or_foreign_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="zhengwu desk model train"):
        load(tmp_path / "none.pkl")
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(InvalidInputError):
        load(tmp_path / "junk.pkl")
    (tmp_path / "other.pkl").write_bytes(pickle.dumps({"format": "x", "version": 1}))
    with pytest.raises(InvalidInputError, match="not a classifier"):
        load(tmp_path / "other.pkl")
    (tmp_path / "future.pkl").write_bytes(
        pickle.dumps({"format": "zhengwu-servicedesk-classifier", "version": 99})
    )
    with pytest.raises(InvalidInputError, match="version 99"):
        load(tmp_path / "future.pkl")


def test_training_input_is_checked() -> None:
    with pytest.raises(InvalidInputError, match="two different labels"):
        train(["a", "b"], ["x", "x"])
    with pytest.raises(InvalidInputError, match="2 texts but 1 labels"):
        train(["a", "b"], ["x"])
    with pytest.raises(InvalidInputError, match="c must be"):
        ModelConfig(c=0)


# --- features ----------------------------------------------------------------------------


def test_normalisation_folds_width_case_and_space() -> None:
    assert normalize_text("ＡＢＣ１２３，\n hello\u3000世界") == "abc123,hello世界"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="市民投诉小区噪音扰民ab1，", max_size=30), min_size=1, max_size=8),
    st.lists(st.text(alphabet="市民投诉噪音公交c2", max_size=30), min_size=1, max_size=8),
    st.integers(1, 4),
    st.booleans(),
)
def test_fast_tfidf_equals_scikit_learn(
    fit_texts: list[str], new_texts: list[str], n_max: int, sublinear: bool
) -> None:
    if not any(fit_texts):
        fit_texts = [*fit_texts, "市"]  # sklearn refuses an empty vocabulary
    ours = CharTfidf(n_max, sublinear_tf=sublinear)
    ref = TfidfVectorizer(
        analyzer="char", ngram_range=(1, n_max), sublinear_tf=sublinear, lowercase=False
    )
    assert abs(ours.fit_transform(fit_texts) - ref.fit_transform(fit_texts)).max() < 1e-12
    assert ours.vocabulary_ == ref.vocabulary_
    assert abs(ours.transform(new_texts) - ref.transform(new_texts)).max() < 1e-12


# --- CSV and CLI -------------------------------------------------------------------------


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _subset(data: LabelledRequests, path: Path, step: int) -> Path:
    rows = [[y, "x", t] for y, t in zip(data.labels[::step], data.texts[::step], strict=True)]
    return _write_csv(path, ["label", "other", "text"], rows)


def test_cli_train_evaluate_retrain_round_trip(
    train_set: LabelledRequests, test_set: LabelledRequests, tmp_path: Path
) -> None:
    train_csv = _subset(train_set, tmp_path / "train.csv", 3)
    test_csv = _subset(test_set, tmp_path / "test.csv", 2)
    model = tmp_path / "out" / "model.pkl"
    model.parent.mkdir()  # --out's directory must exist (checked before training)

    trained = runner.invoke(
        desk.app,
        ["model", "train", "--data", str(train_csv), "--out", str(model),
         "--tree", str(DATA / "taxonomy.csv"), "--json"],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert model.is_file()
    words = load(model).tree_words()
    assert orjson.loads(trained.stdout.splitlines()[-1])["tree_terms"] == len(words) > 100

    result = runner.invoke(
        desk.app, ["model", "evaluate", "--data", str(test_csv), "--model", str(model), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout.splitlines()[-1])
    assert {"accuracy", "macro_f1", "n", "per_class"} <= set(report)
    texts, labels = read_labelled_csv(test_csv).texts, read_labelled_csv(test_csv).labels
    direct = evaluate(load(model), texts, labels)
    assert report["n"] == direct.n == len(texts)
    assert report["macro_f1"] == pytest.approx(direct.macro_f1)
    assert report["per_class"]["教育文体"]["support"] == labels.count("教育文体")

    plain = runner.invoke(
        desk.app, ["model", "evaluate", "--data", str(test_csv), "--model", str(model)]
    )
    assert plain.exit_code == 0
    assert "macro_f1" in plain.stdout and "accuracy" in plain.stdout

    before = model.stat().st_mtime_ns
    dry = runner.invoke(
        desk.app,
        [
            "model",
            "retrain",
            "--data",
            str(train_csv),
            "--model",
            str(model),
            "--dry-run",
            "--json",
        ],
    )
    assert dry.exit_code == 0, dry.output
    compared = orjson.loads(dry.stdout.splitlines()[-1])
    assert compared["saved"] is None and {"old", "new"} <= set(compared)
    assert model.stat().st_mtime_ns == before

    retrained = runner.invoke(
        desk.app, ["model", "retrain", "--data", str(train_csv), "--model", str(model)]
    )
    assert retrained.exit_code == 0, retrained.output
    assert "old:" in retrained.stdout and "new:" in retrained.stdout
    assert load(model).info["n"] == len(read_labelled_csv(train_csv))
    assert load(model).tree_words() == words  # retraining keeps the deployment's tree words

    text = "出租车司机拒载还绕路"
    predicted = runner.invoke(desk.app, ["model", "predict", text, "--model", str(model), "--json"])
    assert predicted.exit_code == 0, predicted.output
    row = orjson.loads(predicted.stdout)[0]
    assert (row["source"], row["path"]) == ("model", ["交通运输", "出租车与网约车"])
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nid = "detour"\ncategory = "商贸旅游"\nkeywords = ["绕路"]\nmode = "override"\n',
        encoding="utf-8",
    )
    args = ["model", "predict", text, "--model", str(model), "--rules", str(rules)]
    ruled = runner.invoke(desk.app, args)
    assert ruled.exit_code == 0, ruled.output
    assert "商贸旅游" in ruled.stdout and "rule:detour" in ruled.stdout


@pytest.mark.parametrize(
    ("content", "zh", "en"),
    [
        ("", "是空的", "is empty"),
        ("label,subject\n城乡建设,路灯坏了\n", "缺少列：text", "lacks column(s): text"),
        ("label,text\n", "没有数据行", "no data rows"),
        ("label,text\n城乡建设,\n", "第 2 行", "on line 2"),
    ],
)
def test_cli_rejects_bad_csv_in_both_languages(
    tmp_path: Path, content: str, zh: str, en: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    for command in ("train", "evaluate", "retrain"):
        result = runner.invoke(desk.app, ["model", command, "--data", str(path)])
        assert result.exit_code == 2, result.output
        # Rich wraps long lines anywhere the path's length puts the break: compare without
        # any whitespace ("no data rows" may come out as "no data\nrows").
        message = "".join(result.stderr.split())
        assert "".join(zh.split()) in message and "".join(en.split()) in message


def test_cli_reports_a_missing_file_and_model(tmp_path: Path) -> None:
    result = runner.invoke(desk.app, ["model", "train", "--data", str(tmp_path / "none.csv")])
    assert result.exit_code == 2
    assert "无法读取文件" in result.stderr
    ok = _write_csv(tmp_path / "ok.csv", ["label", "text"], [["城乡建设", "路灯坏了"]])
    result = runner.invoke(desk.app, ["model", "evaluate", "--data", str(ok)])
    assert result.exit_code == 2
    assert "没有找到模型文件" in result.stderr


def test_every_command_documents_an_example() -> None:
    for command in ("train", "evaluate", "retrain", "predict"):
        result = runner.invoke(desk.app, ["model", command, "--help"])
        assert result.exit_code == 0
        assert f"Example: zhengwu desk model {command}" in result.stdout


def test_retrain_replaces_a_model_of_an_older_file_version(
    train_set: LabelledRequests, tmp_path: Path
) -> None:
    train_csv = _subset(train_set, tmp_path / "train.csv", 3)
    model = tmp_path / "model.pkl"
    with model.open("wb") as fh:  # what zhengwu before the category-tree block wrote
        pickle.dump({"format": "zhengwu-servicedesk-classifier", "version": 1}, fh)
    with pytest.raises(InvalidInputError, match="version 1"):
        load(model)
    result = runner.invoke(desk.app, ["model", "retrain", "--data", str(train_csv),
                                      "--model", str(model)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "old model unreadable" in result.output and "new:" in result.stdout
    assert load(model).info["n"] == len(read_labelled_csv(train_csv))
