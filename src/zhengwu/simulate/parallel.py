"""Render independent chunks in worker processes, results in order, memory bounded.

Each chunk draws from its own seeded generator, so which process renders it changes
nothing in the output. Workers are forked after the month's shared state (root pool,
activity) is ready, and inherit it instead of receiving it through a pipe. A worker
writes its rendered bytes to a part file and hands back only the file's name: the parent
appends the part with ``os.sendfile`` (a copy inside the kernel) instead of receiving
gigabytes through a pipe.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar


@dataclass(frozen=True, slots=True)
class Part:
    """Rendered bytes left in a file by a worker."""

    path: str
    size: int


class Rendered(Protocol):
    """A chunk result: its bytes, or the part file a worker left them in.

    A result with more than one output lists its byte fields in a class attribute
    ``spilled`` (default ``("data",)``); each one is left in a part file of its own.
    """

    data: bytes | Part


T = TypeVar("T")
R = TypeVar("R", bound=Rendered)

_ACTIVE: Callable[[Any], Any] | None = None
_SPILL_DIR: str | None = None


def _call(task: Any) -> Any:
    assert _ACTIVE is not None
    assert _SPILL_DIR is not None
    result = _ACTIVE(task)
    # ``data``, or every field a result lists in ``spilled`` (statuses and comments).
    for name in getattr(result, "spilled", ("data",)):
        data = getattr(result, name)
        if isinstance(data, bytes):
            fd, path = tempfile.mkstemp(dir=_SPILL_DIR, suffix=".part")
            with os.fdopen(fd, "wb") as part:
                part.write(data)
            setattr(result, name, Part(path, len(data)))
    return result


def auto_workers(requested: int, chunks: int) -> int:
    """Return the worker count: ``requested``, or all cores when there is enough work."""
    if requested > 0:
        return requested
    return min(os.cpu_count() or 1, 8) if chunks >= 16 else 1


def write_rendered(fh: BinaryIO, data: bytes | Part) -> None:
    """Append a chunk's bytes (or its part file, which is then removed) to ``fh``."""
    if isinstance(data, bytes):
        fh.write(data)
        return
    fh.flush()
    with open(data.path, "rb") as part:
        offset = 0
        while offset < data.size:
            sent = os.sendfile(fh.fileno(), part.fileno(), offset, data.size - offset)
            if sent == 0:
                raise OSError(f"could not append {data.path}")
            offset += sent
    os.unlink(data.path)


def ordered_map(
    func: Callable[[T], R], tasks: Iterable[T], workers: int, *, spill_dir: Path
) -> Iterator[R]:
    """Yield ``func(task)`` for each task in order, using ``workers`` forked processes."""
    global _ACTIVE, _SPILL_DIR
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for task in tasks:
            yield func(task)
        return
    _ACTIVE, _SPILL_DIR = func, str(spill_dir)
    spill_dir.mkdir(parents=True, exist_ok=True)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            todo = iter(tasks)
            # Keep two tasks per worker in flight: enough to stay busy, little memory.
            pending: deque[Any] = deque(
                pool.apply_async(_call, (task,)) for task in itertools.islice(todo, 2 * workers)
            )
            while pending:
                result = pending.popleft().get()
                pending.extend(pool.apply_async(_call, (t,)) for t in itertools.islice(todo, 1))
                yield result
    finally:
        _ACTIVE = _SPILL_DIR = None
