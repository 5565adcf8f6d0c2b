"""The extension point of the simulator: streams that each write some output files.

A stream is an object with a ``name`` and a ``write(ctx)`` method. The built-in streams
write the account tables, Weibo, WeChat and Douyin; later modules (citizen requests that
mention matrix accounts, help posts during the rainstorm) add their own stream to
:data:`STREAMS` with :func:`register_stream` and write more files next to these, reading
the population, the activity and the event from the context and recording what tests
need in ``ctx.truth``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from zhengwu.simulate.activity import PlatformActivity
from zhengwu.simulate.config import SimulationConfig, Window
from zhengwu.simulate.event import Rainstorm
from zhengwu.simulate.population import Population


class Progress(Protocol):
    """Where long work reports how far it got (a rich progress bar in the CLI)."""

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """Start a task of ``total`` steps and return the function that advances it."""
        ...


class NullProgress:
    """A progress sink that shows nothing (library use, tests)."""

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """Return a no-op advance function."""
        del description, total
        return lambda _steps: None


@dataclass
class Truth:
    """Ground truth gathered while writing: one JSON-ready section per topic."""

    sections: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """Return (creating it) the section ``name``."""
        section: dict[str, Any] = self.sections.setdefault(name, {})
        return section


@dataclass
class StreamContext:
    """What a stream may read, and where it writes."""

    config: SimulationConfig
    window: Window
    population: Population
    activity: dict[str, PlatformActivity]
    event: Rainstorm
    out: Path
    truth: Truth
    progress: Progress
    files: list[Path] = field(default_factory=list)

    @property
    def scratch(self) -> Path:
        """Return the folder for worker part files (removed at the end of the run)."""
        return self.out / ".parts"

    @contextmanager
    def open(self, relative: str, *, binary: bool = False) -> Iterator[Any]:
        """Open an output file for writing (text: UTF-8 with LF) and record it."""
        path = self.out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if binary:
            with path.open("wb", buffering=1 << 20) as raw:
                yield raw
        else:
            with path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as handle:
                yield handle
        self.files.append(path)


class Stream(Protocol):
    """One kind of output (a platform, the account tables, citizen requests …)."""

    name: str

    def write(self, ctx: StreamContext) -> None:
        """Write this stream's files under ``ctx.out`` and its part of ``ctx.truth``."""
        ...


STREAMS: list[Callable[[], Stream]] = []


def register_stream(factory: Callable[[], Stream]) -> Callable[[], Stream]:
    """Add a stream factory to the simulator (runs after the ones already registered)."""
    if factory not in STREAMS:
        STREAMS.append(factory)
    return factory
