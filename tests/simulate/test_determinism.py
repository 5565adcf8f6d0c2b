"""Same arguments, same bytes; another seed, other bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from zhengwu.simulate import SimulationConfig, StreamContext, register_stream, run_simulation
from zhengwu.simulate.output import SimulatedOutput
from zhengwu.simulate.streams import STREAMS


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_two_runs_with_the_same_seed_write_identical_bytes(
    runs: dict[str, SimulatedOutput],
) -> None:
    a, b = _digests(runs["a"].root), _digests(runs["b"].root)
    assert len(a) >= 10
    assert a == b


def test_another_seed_changes_every_platform_file(runs: dict[str, SimulatedOutput]) -> None:
    a, c = _digests(runs["a"].root), _digests(runs["other_seed"].root)
    assert a.keys() == c.keys()
    for name in (
        "accounts.csv",
        "weibo/users.jsonl",
        "weibo/comments-2025-07.jsonl",
        "wechat/articles.jsonl",
        "douyin/aweme.jsonl",
    ):
        assert a[name] != c[name], name


def test_worker_processes_do_not_change_the_output(tmp_path: Path) -> None:
    def run(name: str, workers: int) -> dict[str, str]:
        config = SimulationConfig(
            scale="city", days=3, seed=5, out=tmp_path / name, workers=workers
        )
        run_simulation(config)
        return _digests(tmp_path / name)

    assert run("one", 1) == run("two", 2)


def test_a_rerun_into_the_same_directory_replaces_the_old_months(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_simulation(SimulationConfig(scale="city", days=40, seed=2, out=out, platforms=("weibo",)))
    assert len(list((out / "weibo").glob("statuses-*.jsonl"))) == 2
    run_simulation(SimulationConfig(scale="city", days=3, seed=2, out=out, platforms=("weibo",)))
    assert [p.name for p in (out / "weibo").glob("statuses-*.jsonl")] == ["statuses-2025-07.jsonl"]
    assert [p.name for p in (out / "weibo").glob("comments-*.jsonl")] == ["comments-2025-07.jsonl"]


class _CountingStream:
    """A stream a later module could add: writes one file, records its truth."""

    name = "counting"

    def write(self, ctx: StreamContext) -> None:
        with ctx.open("extra/accounts.txt") as fh:
            fh.write(f"{len(ctx.population.accounts['weibo'])}\n")
        ctx.truth.section("counting")["city"] = ctx.event.unit.place.adcode


def test_registered_streams_run_after_the_built_in_ones(tmp_path: Path) -> None:
    register_stream(_CountingStream)
    try:
        result = run_simulation(
            SimulationConfig(scale="city", days=1, out=tmp_path, platforms=("weibo",))
        )
    finally:
        STREAMS.remove(_CountingStream)
    written = int((tmp_path / "extra/accounts.txt").read_text())
    assert written == result.truth["counts"]["accounts"]["weibo"]
    assert result.truth["counting"] == {"city": "410100"}
    assert "extra/accounts.txt" in result.truth["files"]
