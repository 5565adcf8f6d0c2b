"""Render independent chunks in worker processes, results in order, memory bounded.

Each chunk draws from its own seeded generator, so which process renders it changes
nothing in the output. Workers are forked after the month's shared state (root pool,
activity) is ready, and inherit it instead of receiving it through a pipe.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_ACTIVE: Callable[[Any], Any] | None = None


def _call(task: Any) -> Any:
    assert _ACTIVE is not None
    return _ACTIVE(task)


def auto_workers(requested: int, chunks: int) -> int:
    """Return the worker count: ``requested``, or all cores when there is enough work."""
    if requested > 0:
        return requested
    return min(os.cpu_count() or 1, 8) if chunks >= 16 else 1


def ordered_map(func: Callable[[T], R], tasks: Iterable[T], workers: int) -> Iterator[R]:
    """Yield ``func(task)`` for each task in order, using ``workers`` forked processes."""
    global _ACTIVE
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for task in tasks:
            yield func(task)
        return
    _ACTIVE = func
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
        _ACTIVE = None
