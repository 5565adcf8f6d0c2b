"""Simulated outputs shared by the simulator tests (small runs, made once per session)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from zhengwu.simulate import SimulationConfig, run_simulation
from zhengwu.simulate.output import SimulatedOutput


def _run(root: Path, name: str, **kwargs: Any) -> SimulatedOutput:
    result = run_simulation(SimulationConfig(out=root / name, **kwargs))
    return SimulatedOutput(result.out)


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SimulatedOutput]:
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
def city(runs: dict[str, SimulatedOutput]) -> SimulatedOutput:
    """Return the five-day city run (seed 0: 郑州)."""
    return runs["a"]


@pytest.fixture(scope="session")
def month(runs: dict[str, SimulatedOutput]) -> SimulatedOutput:
    """Return the three-week city run."""
    return runs["month"]
