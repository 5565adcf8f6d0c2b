"""``zhengwu desk model …``: train, evaluate and retrain the request classifier.

Training data is a UTF-8 CSV with columns ``label`` and ``text`` (other columns are
ignored). Heavy modules (scikit-learn) are imported only when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from zhengwu.cli.common import check_output, console, err_console, handle_errors, print_json

if TYPE_CHECKING:
    from zhengwu.servicedesk.classify import Classifier, EvalReport, RuleSet

app = typer.Typer(help="诉求办理 / service desk.", no_args_is_help=True)
model_app = typer.Typer(
    help="诉求分类模型 / the request classifier: train, evaluate, retrain.", no_args_is_help=True
)
app.add_typer(model_app, name="model")

DataOpt = Annotated[Path, typer.Option("--data", help="CSV with columns label, text")]
ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", help="model file [default: <data_dir>/models/classifier.pkl]"),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="where to store the model; its directory must exist "
        "[default: <data_dir>/models/classifier.pkl, created if missing]",
    ),
]
RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="keyword rules TOML [default: the shipped rules]")
]
JsonOut = Annotated[bool, typer.Option("--json", help="print JSON")]
TreeOpt = Annotated[
    Path | None,
    typer.Option(
        "--tree",
        help="category tree whose sub-category names help the model: TOML, or a CSV with one "
        "column per level (一级分类,二级分类,…) [default: the shipped tree]",
    ),
]


def _rules(path: Path | None) -> RuleSet:
    from zhengwu.servicedesk.classify import load_rules

    return load_rules(path)


def _report_dict(report: EvalReport) -> dict[str, Any]:
    data = report.to_dict()
    return {k: data[k] for k in ("accuracy", "macro_f1", "n", "per_class", "labels", "confusion")}


def _print_report(report: EvalReport, title: str) -> None:
    table = Table(title=title)
    for column in ("类别 class", "precision", "recall", "f1", "n"):
        table.add_column(column, justify="left" if column.startswith("类") else "right")
    for label, s in report.per_class.items():
        table.add_row(label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    console.print(table)
    console.print(f"accuracy {report.accuracy:.4f}  macro_f1 {report.macro_f1:.4f}  n {report.n}")


def _train(texts: list[str], labels: list[str], config: Any = None, tree: Any = None) -> Classifier:
    from zhengwu.servicedesk.classify import train

    with err_console.status(f"训练中 training on {len(texts)} requests…"):
        return train(texts, labels, config=config, tree=tree)


def _tree(path: Path | None) -> Any:
    from zhengwu.servicedesk.classify import load_tree

    return load_tree(path) if path is not None else None


@model_app.command(
    "train", short_help="用已标注诉求训练分类器 / train the classifier on labelled requests"
)
@handle_errors
def train_command(
    data: DataOpt, out: OutOpt = None, tree: TreeOpt = None, json_out: JsonOut = False
) -> None:
    """Train the classifier on labelled requests and store it.

    After ``zhengwu demo``, ``zhengwu-data/demo-input/requests/labelled.csv`` holds its simulated requests
    with their true categories.

    Example: zhengwu desk model train --data zhengwu-data/demo-input/requests/labelled.csv
    """
    from zhengwu.servicedesk.classify import read_labelled_csv

    if out is not None:
        check_output(out, "--out")
    dataset = read_labelled_csv(data)
    clf = _train(dataset.texts, dataset.labels, tree=_tree(tree))
    path = clf.save(out)
    summary = {
        "path": str(path),
        "n": clf.info["n"],
        "labels": clf.info["label_counts"],
        "tree_terms": clf.info["tree_terms"],
    }
    if json_out:
        print_json(summary)
        return
    console.print(f"已训练 trained on {clf.info['n']} requests, {len(clf.labels)} classes → {path}")
    console.print("  ".join(f"{k} {v}" for k, v in clf.info["label_counts"].items()))


@model_app.command("evaluate", short_help="评估已保存的分类器 / score the stored classifier")
@handle_errors
def evaluate_command(
    data: DataOpt,
    model: ModelOpt = None,
    rules: RulesOpt = None,
    no_rules: Annotated[bool, typer.Option("--no-rules", help="score the model alone")] = False,
    json_out: JsonOut = False,
) -> None:
    """Score the stored classifier (model and keyword rules) on labelled requests.

    Example: zhengwu desk model evaluate --data zhengwu-data/demo-input/requests/labelled.csv --json
    """
    from zhengwu.servicedesk.classify import RuleSet, evaluate, load, read_labelled_csv

    dataset = read_labelled_csv(data)
    clf = load(model, rules=RuleSet.empty() if no_rules else _rules(rules))
    with err_console.status(f"评估中 classifying {len(dataset)} requests…"):
        report = evaluate(clf, dataset.texts, dataset.labels)
    if json_out:
        print_json(_report_dict(report))
    else:
        _print_report(report, f"评估 evaluation of {model or 'the stored model'}")


@model_app.command(
    "retrain", short_help="用全部已标注诉求重新训练 / retrain from all labelled requests"
)
@handle_errors
def retrain_command(
    data: DataOpt,
    model: ModelOpt = None,
    holdout: Annotated[
        float, typer.Option(min=0.05, max=0.5, help="share held out to compare old and new")
    ] = 0.2,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="compare only; keep the model")
    ] = False,
    tree: TreeOpt = None,
    json_out: JsonOut = False,
) -> None:
    """Retrain from a CSV of all labelled requests (old and new) and replace the stored model.

    A stratified share (--holdout, fixed seed) is held out; the stored model and a model
    trained on the rest are both scored on it and shown side by side; then a model trained
    on the whole CSV replaces the stored one (not with --dry-run). The stored model keeps
    its configuration and its category-tree words (unless --tree gives a new tree). If it
    was trained on rows that are now held out, its score there is optimistic, so the
    comparison leans towards the old model, never the new one.

    Example: zhengwu desk model retrain --data zhengwu-data/demo-input/requests/labelled.csv
    """
    from sklearn.model_selection import train_test_split

    from zhengwu.errors import InvalidInputError, NotFoundError
    from zhengwu.servicedesk.classify import evaluate, load, read_labelled_csv

    dataset = read_labelled_csv(data)
    try:
        old: Classifier | None = load(model)
    except NotFoundError:
        old = None
    except InvalidInputError as exc:  # an older file version, or a damaged file: replace it
        err_console.print(f"旧模型无法读取，将训练新模型 / old model unreadable: {exc.message_en}")
        old = None
    try:
        fit_x, held_x, fit_y, held_y = train_test_split(
            dataset.texts,
            dataset.labels,
            test_size=holdout,
            random_state=0,
            stratify=dataset.labels,
        )
    except ValueError as exc:
        raise InvalidInputError(
            "数据太少，无法分层留出：每个类别至少需要 2 条，留出部分至少每类 1 条",
            f"too few rows for a stratified hold-out: {exc}",
        ) from exc
    config = old.config if old is not None else None
    words = _tree(tree) if tree is not None else (old.tree_words() or None if old else None)
    candidate = _train(fit_x, fit_y, config, words)
    scores = {"new": _report_dict(evaluate(candidate, held_x, held_y))}
    if old is not None:
        scores["old"] = _report_dict(evaluate(old, held_x, held_y))
    path = None
    if not dry_run:
        path = str(_train(dataset.texts, dataset.labels, config, words).save(model))
    if json_out:
        print_json({"held_out": len(held_y), "saved": path, **scores})
        return
    for name in ("old", "new"):
        if name in scores:
            s = scores[name]
            console.print(
                f"{name}: accuracy {s['accuracy']:.4f}  macro_f1 {s['macro_f1']:.4f}"
                f"  (held-out n {s['n']})"
            )
    console.print(f"已替换模型 model replaced → {path}" if path else "未保存 not saved (--dry-run)")


@model_app.command(
    "predict",
    short_help="用已保存的模型和规则分类文本 / classify texts with the stored model and rules",
)
@handle_errors
def predict_command(
    text: Annotated[list[str], typer.Argument(help="request text(s)")],
    model: ModelOpt = None,
    rules: RulesOpt = None,
    json_out: JsonOut = False,
) -> None:
    """Classify request texts with the stored model and rules (to try out rule edits).

    Example: zhengwu desk model predict "小区门口出租车拒载"

    Example: zhengwu desk model predict "小区门口出租车拒载" --rules my_rules.toml (with
    my_rules.toml a copy of the shipped src/zhengwu/servicedesk/classify/default_rules.toml)
    """
    from dataclasses import asdict

    from zhengwu.servicedesk.classify import load

    predictions = load(model, rules=_rules(rules)).predict(text)
    if json_out:
        print_json([{**asdict(p), "path": list(p.path)} for p in predictions])
        return
    for p in predictions:
        console.print(f"{'/'.join(p.path)}  {p.confidence:.3f}  {p.source}")
