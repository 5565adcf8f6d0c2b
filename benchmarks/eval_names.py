"""Name detection: precision and recall on the gold set, and new masks on real messages.

Run:
  .venv/bin/python benchmarks/eval_names.py gold [--misses]
  .venv/bin/python benchmarks/eval_names.py real --dump names.json
  .venv/bin/python benchmarks/eval_names.py real --dump after.json --compare before.json

``gold`` scores :func:`zhengwu.privacy.detect` (names only) on the hand-written sentences
of tests/privacy/data/names_gold.tsv: a found name counts as right when the sentence's gold
column lists it (as many times as listed), a listed name not found is a miss. A bare
surname (姓王, which masks to itself) is not counted.

``real`` reads every distinct 政务留言 text of ../shared/data/citizen-messages (messages,
subjects, official replies, the labelled train and test texts), writes the names found in
each to ``--dump``, and with ``--compare`` (the dump of another version of the code, e.g.
main's ``src`` on PYTHONPATH) prints how many masks were added and removed and a seeded
sample of the added ones in their context, to inspect by eye.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import Counter
from pathlib import Path

from zhengwu.privacy import detect, mask_name

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "privacy" / "data" / "names_gold.tsv"
MESSAGES = ROOT.parent / "shared" / "data" / "citizen-messages"
_COLUMNS = {
    "messages_with_votes.csv": ("留言主题", "留言详情"),
    "messages_with_replies.csv": ("留言主题", "留言详情", "答复意见"),
    "train.csv": ("text",),
    "test.csv": ("text",),
}


def read_gold(path: Path = GOLD) -> list[tuple[str, list[str]]]:
    """Return the gold sentences with the names to mask in each."""
    rows: list[tuple[str, list[str]]] = []
    with path.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    for row in csv.DictReader(lines, delimiter="\t"):
        rows.append((row["text"], [n for n in row["names"].split("|") if n]))
    return rows


def found_names(text: str) -> list[str]:
    """Return the names found in ``text`` that masking changes (not a bare surname)."""
    return [s.value for s in detect(text, {"name"}) if mask_name(s.value) != s.value]


def score(rows: list[tuple[str, list[str]]]) -> tuple[int, int, int, list[str]]:
    """Return true positives, false positives, false negatives and a line per error."""
    tp = fp = fn = 0
    errors: list[str] = []
    for text, gold in rows:
        found, wanted = Counter(found_names(text)), Counter(gold)
        hit = sum((found & wanted).values())
        extra, missed = found - wanted, wanted - found
        tp, fp, fn = tp + hit, fp + sum(extra.values()), fn + sum(missed.values())
        if extra or missed:
            errors.append(f"{text}  extra={sorted(extra)} missed={sorted(missed)}")
    return tp, fp, fn, errors


def real_texts() -> list[str]:
    """Return every distinct non-empty 政务留言 text, in a fixed order."""
    texts: dict[str, None] = {}
    for name, columns in _COLUMNS.items():
        with (MESSAGES / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for column in columns:
                    text = (row.get(column) or "").strip()
                    if text:
                        texts.setdefault(text)
    return list(texts)


def _spans(text: str) -> list[list[int]]:
    spans = detect(text, {"name"})
    return [[s.start, s.end] for s in spans if mask_name(s.value) != s.value]


def main() -> None:
    """Score the gold set, or dump and compare the names found in the real messages."""
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    gold = sub.add_parser("gold")
    gold.add_argument("--misses", action="store_true", help="print each wrong sentence")
    real = sub.add_parser("real")
    real.add_argument("--dump", type=Path, required=True)
    real.add_argument("--compare", type=Path)
    real.add_argument("--sample", type=int, default=50)
    args = parser.parse_args()
    if args.what == "gold":
        rows = read_gold()
        tp, fp, fn, errors = score(rows)
        positives = sum(bool(g) for _, g in rows)
        print(f"gold: {len(rows)} sentences ({positives} with names, {tp + fn} names)")
        print(f"precision {tp / max(tp + fp, 1):.3f}  recall {tp / max(tp + fn, 1):.3f}  "
              f"(tp {tp}, fp {fp}, fn {fn})")  # fmt: skip
        if args.misses:
            print("\n".join(errors))
        return
    texts = real_texts()
    found = {str(i): _spans(t) for i, t in enumerate(texts)}
    args.dump.write_text(json.dumps(found), encoding="utf-8")
    print(f"real: {len(texts):,} distinct texts, {sum(map(len, found.values())):,} names, "
          f"in {sum(bool(v) for v in found.values()):,} texts")  # fmt: skip
    if args.compare is None:
        return
    before = json.loads(args.compare.read_text(encoding="utf-8"))
    added: list[tuple[int, int, int]] = []
    removed = 0
    for key, spans in found.items():
        old = {tuple(s) for s in before.get(key, [])}
        new = {tuple(s) for s in spans}
        added.extend((int(key), a, b) for a, b in sorted(new - old))
        removed += len(old - new)
    in_texts = len({i for i, _, _ in added})
    print(f"added {len(added)} name masks in {in_texts} texts; removed {removed}")
    for i, a, b in random.Random(7).sample(added, min(args.sample, len(added))):
        text = texts[i]
        print(f"  {text[max(a - 12, 0) : a]}[{text[a:b]}]{text[b : b + 12]}".replace("\n", " "))


if __name__ == "__main__":
    main()
