"""Help-post extraction throughput on the hand-written gold posts (one core, CPU time).

Run: .venv/bin/python benchmarks/bench_extract.py
Baseline measured in the same run: the text normalisation alone (the floor any extractor pays).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from zhengwu.rescue.extract import extract
from zhengwu.rescue.textnorm import normalise

GOLD = Path(__file__).resolve().parents[1] / "tests" / "rescue" / "help_posts.jsonl"


def main() -> None:
    """Print posts/s for extraction and for normalisation alone."""
    texts = [
        json.loads(line)["text"]
        for line in GOLD.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    texts = texts * 60
    extract(texts[0])
    start = time.process_time()
    for text in texts:
        normalise(text)
    norm_rate = len(texts) / (time.process_time() - start)
    start = time.process_time()
    for text in texts:
        extract(text)
    rate = len(texts) / (time.process_time() - start)
    print(f"posts: {len(texts):,}")
    print(f"extract: {rate:,.0f} posts/s (CPU time, one core); goal ≥ 2,000")
    print(
        f"normalise only (floor): {norm_rate:,.0f} posts/s; ratio extract/floor = {rate / norm_rate:.2f}"
    )


if __name__ == "__main__":
    main()
