"""Read a simulated directory back: its truth and its files (for tests and benchmarks)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

WEIBO_API_TIME = "%a %b %d %H:%M:%S %z %Y"


class SimulatedOutput:
    """One run's output directory, with readers for its files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.truth: dict[str, Any] = orjson.loads((root / "truth.json").read_bytes())

    def jsonl(self, relative: str) -> Iterator[dict[str, Any]]:
        """Yield the objects of a JSON Lines file."""
        with (self.root / relative).open("rb") as fh:
            for line in fh:
                value = orjson.loads(line)
                if not isinstance(value, dict):
                    raise ValueError(f"{relative}: a line is not a JSON object")
                yield value

    def statuses(self) -> Iterator[dict[str, Any]]:
        """Yield every Weibo status, month file by month file."""
        for path in sorted((self.root / "weibo").glob("statuses-*.jsonl")):
            yield from self.jsonl(str(path.relative_to(self.root)))

    def comments(self) -> Iterator[dict[str, Any]]:
        """Yield every Weibo comment (MediaCrawler rows), month file by month file."""
        for path in sorted((self.root / "weibo").glob("comments-*.jsonl")):
            yield from self.jsonl(str(path.relative_to(self.root)))

    def csv(self, relative: str) -> tuple[list[str], list[dict[str, str]]]:
        """Return the header and the rows of a CSV file."""
        with (self.root / relative).open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            return list(reader.fieldnames or []), rows

    def files(self) -> list[Path]:
        """Return every file of the run, sorted."""
        return sorted(p for p in self.root.rglob("*") if p.is_file())


def weibo_time(value: str) -> datetime:
    """Parse a Weibo open API created_at."""
    return datetime.strptime(value, WEIBO_API_TIME)
