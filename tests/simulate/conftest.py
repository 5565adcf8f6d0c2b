"""Simulated outputs shared by the simulator tests (small runs, made once per session)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from zhengwu.simulate import SimulationConfig, run_simulation

API_TIME = "%a %b %d %H:%M:%S %z %Y"


class Output:
    """One run's output directory, with readers for its files."""

    def __init__(self, root: Path, truth: dict[str, Any]) -> None:
        self.root = root
        self.truth = truth

    def jsonl(self, relative: str) -> Iterator[dict[str, Any]]:
        """Yield the objects of a JSON Lines file."""
        with (self.root / relative).open("rb") as fh:
            for line in fh:
                value = orjson.loads(line)
                assert isinstance(value, dict)
                yield value

    def statuses(self) -> Iterator[dict[str, Any]]:
        """Yield every Weibo status, month file by month file."""
        for path in sorted((self.root / "weibo").glob("statuses-*.jsonl")):
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


def created(status: dict[str, Any]) -> datetime:
    """Return a status' created_at as an aware datetime."""
    return datetime.strptime(status["created_at"], API_TIME)


def _run(root: Path, name: str, **kwargs: Any) -> Output:
    result = run_simulation(SimulationConfig(out=root / name, **kwargs))
    return Output(result.out, result.truth)


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Output]:
    """Return city-scale runs: two equal ones, another seed, and a three-week window."""
    root = tmp_path_factory.mktemp("simulate")
    return {
        "a": _run(root, "a", scale="city", days=5, seed=0),
        "b": _run(root, "b", scale="city", days=5, seed=0),
        "other_seed": _run(root, "c", scale="city", days=5, seed=1),
        # Three weeks around National Day 2025, so weeks and holidays both show.
        "month": _run(root, "month", scale="city", days=21, seed=0, start=date(2025, 9, 22)),
    }


@pytest.fixture(scope="session")
def city(runs: dict[str, Output]) -> Output:
    """Return the five-day city run (seed 0: 郑州)."""
    return runs["a"]


@pytest.fixture(scope="session")
def month(runs: dict[str, Output]) -> Output:
    """Return the three-week city run."""
    return runs["month"]


@pytest.fixture(name="created")
def created_fixture() -> Any:
    """Return the created_at parser."""
    return created
