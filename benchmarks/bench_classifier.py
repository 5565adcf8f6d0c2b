"""Benchmark the request classifier against the char n-gram TF-IDF + LinearSVC baseline.

Trains both on ``citizen-messages/train.csv``, scores both on ``test.csv`` (accuracy,
macro-F1) and measures classification throughput on one core (BLAS/OpenMP limited to one
thread, CPU time of the calling process). The data is read in place from ../shared/data.

    .venv/bin/python benchmarks/bench_classifier.py            # scores and throughput
    .venv/bin/python benchmarks/bench_classifier.py --select   # + the CV grid on train.csv

``--select`` reruns the hyper-parameter selection: 5-fold stratified cross-validation on
train.csv only (two shuffles), the test split is never looked at.
"""

from __future__ import annotations

import os

# One core: set before numpy / scipy load their thread pools.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import itertools  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from zhengwu.servicedesk.classify import (  # noqa: E402
    ModelConfig,
    RuleSet,
    cross_validate,
    evaluate,
    read_labelled_csv,
    score,
    train,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "citizen-messages"


def throughput(predict: Callable[[list[str]], object], texts: list[str], rounds: int = 3) -> float:
    """Return requests classified per CPU second (best of ``rounds``, batches of 100)."""
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for i in range(0, len(texts), 100):
            predict(texts[i : i + 100])
        best = max(best, len(texts) / (time.process_time() - start))
    return best


def baseline(train_x: Sequence[str], train_y: Sequence[str]) -> Callable[[list[str]], list[str]]:
    """Fit the README's baseline: char 1–4-gram sublinear TF-IDF + LinearSVC (C=1)."""
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True, min_df=2)
    svm = LinearSVC(random_state=0).fit(vectorizer.fit_transform(train_x), train_y)
    return lambda texts: [str(y) for y in svm.predict(vectorizer.transform(texts))]


def select(texts: list[str], labels: list[str]) -> None:
    """Print the cross-validated macro-F1 of the configuration grid (train.csv only)."""
    # A first, coarser pass also tried n ≤ 3 (sublinear tf) and head 80: both lost 0.003–0.01.
    grid = itertools.product((2,), (0, 20, 40, 60), (0.3, 0.5, 0.7), (3.0, 5.0, 10.0))
    rows = []
    for ngram, head, weight, c in grid:
        if head == 0 and weight != 0.5:
            continue
        config = ModelConfig(
            char_ngram_max=ngram,
            head_chars=head,
            head_weight=weight,
            c=c,
            calibration_folds=0,  # the temperature does not change the arg-max
        )
        f1s = [cross_validate(texts, labels, config=config, seed=s).macro_f1 for s in (1, 2)]
        rows.append((sum(f1s) / 2, config))
        print(f"cv macro_f1 {f1s[0]:.4f} {f1s[1]:.4f}  n≤{ngram} head {head}×{weight} C {c}")
    best = max(rows, key=lambda r: r[0])
    print(f"best: mean cv macro_f1 {best[0]:.4f} with {best[1]}")


def main() -> None:
    """Train, score and time the classifier and the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--select", action="store_true", help="also run the CV grid")
    args = parser.parse_args()
    train_set = read_labelled_csv(DATA / "train.csv")
    test_set = read_labelled_csv(DATA / "test.csv")
    with threadpool_limits(1):
        if args.select:
            select(train_set.texts, train_set.labels)
        start = time.perf_counter()
        clf = train(train_set.texts, train_set.labels)
        train_s = time.perf_counter() - start
        base_predict = baseline(train_set.texts, train_set.labels)

        results = {
            "zhengwu (model + default rules)": (
                evaluate(clf, test_set.texts, test_set.labels),
                throughput(clf.predict, test_set.texts),
            ),
            "zhengwu (model alone)": (
                evaluate(clf.with_rules(RuleSet.empty()), test_set.texts, test_set.labels),
                throughput(clf.with_rules(RuleSet.empty()).predict, test_set.texts),
            ),
            "baseline char 1-4 tfidf + LinearSVC": (
                score(test_set.labels, base_predict(test_set.texts)),
                throughput(base_predict, test_set.texts),
            ),
        }
    print(f"train n={len(train_set)}  test n={len(test_set)}  training {train_s:.1f} s")
    print(f"config: {clf.config}")
    for name, (report, rps) in results.items():
        print(
            f"{name:<38} accuracy {report.accuracy:.4f}  macro_f1 {report.macro_f1:.4f}  "
            f"{rps:,.0f} requests/s (1 core)"
        )


if __name__ == "__main__":
    main()
