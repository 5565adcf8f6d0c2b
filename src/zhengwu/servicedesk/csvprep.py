"""The per-text work of the hotline CSV import, done ahead of the batch in a worker process.

Of what deciding a row costs, a part reads nothing from the database: the normalised text
and its fingerprint, the masked text (the name dictionary and the number detectors) and
the jurisdiction read from the row's region, address and text (the division name index).
On a machine with a second core, :class:`Preparer` computes these for the next batches
in one worker process while the importer decides and writes the current one
(:mod:`zhengwu.servicedesk.csvbatch`), so that the import's wall time is the database
work and the decisions, not the text work too.

The values are those the in-process path computes — the same functions on the same
inputs: what they depend on besides the row (the published numbers that stay unmasked,
the deployment's home region) travels with the job as :class:`Context`, and a batch uses
the masked texts and the places only when its own context is the same (else it computes
them itself, as without a worker). The worker is forked (it starts in milliseconds with
the dictionaries the parent already loaded) when the importer runs no other thread, else
started by a fork server; files under :data:`PARALLEL_MIN_BYTES`, single-core machines
and busy ones (:func:`usable`) skip it. If the worker fails, the importer does the work
itself from the batch where it failed.

Measured (20,000 rows, ``benchmarks/bench_desk_csv.py``): the importer's own CPU falls by
~1–1.7 s (8.8–9.5 → 7.4–7.8 CPU-s) for ~2.5 CPU-s in the worker; that is wall time
saved only while the second core is idle.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import NamedTuple

from zhengwu.servicedesk import dedup, locate, masking
from zhengwu.servicedesk.schemas import RequestIntake

# Below this size a file is imported without the worker: its start and the dictionaries
# it loads cost more than it saves (~1,300 real hotline rows of ~1.5 kB).
PARALLEL_MIN_BYTES = 2 << 20


class Context(NamedTuple):
    """What a row's text work depends on besides the row: the published numbers kept
    unmasked (:func:`zhengwu.accounts.phones.directory`) and the home region."""

    keep: frozenset[str]
    home: str | None


class Prepared(NamedTuple):
    """A row's text work: normalised text, fingerprint, masked text, (adcode, located_by)."""

    norm: str
    fingerprint: str
    masked: str
    adcode: str | None
    located_by: str | None


# What the worker needs of a row (a tuple pickles far cheaper than the intake itself).
Job = tuple[str, str | None, str | None, str | None, str | None, str | None]


def job(intake: RequestIntake) -> Job:
    """Return the fields of an intake that its text work reads."""
    return (intake.text, intake.citizen_name, intake.citizen_phone, intake.adcode,
            intake.region, intake.address)  # fmt: skip


def prepare(jobs: Sequence[Job], context: Context) -> list[Prepared]:
    """Return the text work of each row, as the in-process path computes it."""
    out: list[Prepared] = []
    keep, home = context
    for text, name, phone, adcode, region, address in jobs:
        norm = dedup.normalise(text)
        # What locate reads of a CSV row (no coordinates, no addressed account).
        where = RequestIntake.model_construct(
            source="12345", text=text, adcode=adcode, region=region, address=address,
            lat=None, lon=None,
        )  # fmt: skip
        code, how = locate.locate(where, hint=None, home=home)
        masked = masking.mask(text, name=name, phone=phone, keep=keep)  # handles: at intake
        out.append(Prepared(norm, dedup.digest(norm), masked, code, how))
    return out


def _warm() -> None:
    """Load the name dictionary and the division index in the worker before its first job."""
    prepare([("金水区文化路1号张三13800000000", "张三", None, None, None, None)],
            Context(frozenset(), None))  # fmt: skip


def usable() -> bool:
    """Return whether a worker process can run beside the importer: a second core, and
    the machine not busy already (load average below the cores).

    On a busy machine the worker only competes with the importer for the same cores, and
    costs more than it saves (the rows handed over and back, the dictionaries it loads,
    the texts of rows that turn out known): at load 3 on 2 cores it made the import slower.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # not known here
        load = 0.0
    return cores >= 2 and load < cores


class Preparer:
    """One worker process that prepares batches of rows ahead of the importer."""

    def __init__(self) -> None:
        # fork: no start-up cost; but a fork copies other threads' locks in their state,
        # so a process that runs threads (a web server) starts a clean one instead.
        method = "fork" if threading.active_count() == 1 else "forkserver"
        self._pool = ProcessPoolExecutor(1, mp_context=get_context(method), initializer=_warm)

    def submit(self, jobs: list[Job], context: Context) -> Future[list[Prepared]]:
        """Queue a batch's text work; its future holds the values in row order."""
        return self._pool.submit(prepare, jobs, context)

    def close(self) -> None:
        """Stop the worker (queued jobs are dropped)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
