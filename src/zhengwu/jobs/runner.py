"""Run the periodic jobs: each step in its own transaction, a failure logged and reported.

:func:`run_job` runs one job to the end of its work (step after step, each committed);
:func:`run_jobs` runs several once (``zhengwu worker --once``); :class:`Worker` runs each
job again when its interval has passed since its last run ended (``zhengwu worker``, and
the background thread of ``zhengwu serve``). Every job uses sessions of its own, never a
request's.

A failing step is rolled back, logged with its traceback and reported; the steps before it
stay committed and the other jobs still run, so nothing is lost: the job's work is still
there at its next run. On PostgreSQL each step first takes a transaction-level advisory
lock of its job, so two workers (two servers, or a server and ``zhengwu worker``) never run
the same job at once — the second reports the job as skipped. On SQLite, which has one
writer, each step begins with ``BEGIN IMMEDIATE``: steps of two workers run one after the
other, and a step's reads cannot be overtaken by another write before its own.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from zhengwu.db.base import utcnow
from zhengwu.db.engine import unit_of_work
from zhengwu.db.models import configure_models
from zhengwu.errors import InvalidInputError
from zhengwu.jobs.registry import Job, get_job, select_jobs

log = logging.getLogger(__name__)
ERROR_CHARS = 500  # of an error message kept in a report (the log has the traceback)


@dataclass(slots=True)
class JobReport:
    """What one run of a job did: counts summed over its steps, seconds, error or none."""

    name: str
    title: str
    started_at: datetime
    counts: dict[str, int]
    seconds: float
    steps: int = 0
    error: str | None = None
    skipped: bool = False  # another worker was running this job (PostgreSQL lock)

    @property
    def ok(self) -> bool:
        """Return True when the run ended without an error."""
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready values."""
        return {
            "name": self.name, "title": self.title, "started_at": self.started_at.isoformat(),
            "counts": self.counts, "seconds": round(self.seconds, 3), "steps": self.steps,
            "error": self.error, "skipped": self.skipped,
        }  # fmt: skip


def _lock_key(job: Job) -> int:
    return zlib.crc32(f"zhengwu.jobs:{job.name}".encode())


def _claim(session: Session, job: Job) -> bool:
    """Start the step's transaction; return False when another worker runs the job now."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # Take SQLite's one write lock before reading, so what a step reads is still true
        # when it writes; another worker (or the server) waits up to the busy timeout.
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        return True
    if dialect == "postgresql":
        return bool(session.scalar(select(func.pg_try_advisory_xact_lock(_lock_key(job)))))
    return True


def run_job(
    job: Job, *, engine: Engine | None = None, stop: threading.Event | None = None
) -> JobReport:
    """Run ``job`` until it has nothing more to do (or ``stop`` is set), a step per transaction."""
    report = JobReport(job.name, job.title, utcnow(), {}, 0.0)
    started = time.perf_counter()
    try:
        while True:
            with unit_of_work(engine) as session:
                if not _claim(session, job):
                    report.skipped = report.steps == 0
                    break
                step = job.step(session)
            report.steps += 1
            for key, n in step.counts.items():
                report.counts[key] = report.counts.get(key, 0) + n
            if not step.more or (stop is not None and stop.is_set()):
                break
    except Exception as exc:  # one job's failure must not stop the others
        log.exception("后台任务 %s 失败 / job %s failed", job.name, job.name)
        report.error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    report.seconds = time.perf_counter() - started
    return report


def run_jobs(
    jobs: Iterable[Job], *, engine: Engine | None = None, stop: threading.Event | None = None
) -> list[JobReport]:
    """Run each of ``jobs`` once, in order; return a report per job run."""
    reports = []
    for job in jobs:
        if stop is not None and stop.is_set():
            break
        reports.append(run_job(job, engine=engine, stop=stop))
    return reports


def _check_intervals(intervals: Mapping[str, float]) -> None:
    for name, seconds in intervals.items():
        get_job(name)  # a misspelt name in the settings is an error, not silently ignored
        if not seconds > 0:
            raise InvalidInputError(
                f"后台任务 {name} 的间隔须大于 0 秒：{seconds}",
                f"the interval of job {name} must be more than 0 seconds: {seconds}",
            )


class Worker:
    """Runs each job when due: again ``interval`` seconds after its last run ended.

    Every job is due when the worker starts. :meth:`stop` (a signal handler, the server
    shutting down) ends :meth:`run_forever` after the step in progress has committed.
    """

    def __init__(
        self,
        jobs: Sequence[Job],
        *,
        engine: Engine | None = None,
        intervals: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Every mapper is configured before a job's first query, whichever thread runs it.
        configure_models()
        overrides = dict(intervals or {})
        _check_intervals(overrides)
        self.jobs = list(jobs)
        self.engine = engine
        self.intervals = {job.name: overrides.get(job.name, job.interval) for job in self.jobs}
        self._clock = clock
        self._next = dict.fromkeys(self.intervals, float("-inf"))
        self._stop = threading.Event()

    @classmethod
    def from_settings(
        cls,
        only: Sequence[str] | None = None,
        *,
        every: float | None = None,
        engine: Engine | None = None,
    ) -> Worker:
        """Return a worker of the jobs ``only`` names (default ``ZHENGWU_WORKER_JOBS``, or
        all), at ``every`` seconds or else each job's interval from the settings."""
        from zhengwu.config import get_settings

        settings = get_settings()
        jobs = select_jobs(only or settings.worker_jobs)
        intervals = dict(settings.worker_intervals)
        _check_intervals(intervals)
        if every is not None:
            intervals = {job.name: every for job in jobs}
        else:
            wanted = {job.name for job in jobs}
            intervals = {name: s for name, s in intervals.items() if name in wanted}
        return cls(jobs, engine=engine, intervals=intervals)

    @property
    def stopping(self) -> bool:
        """Return True once :meth:`stop` was called."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the worker to stop after the step in progress."""
        self._stop.set()

    def run_all(self) -> list[JobReport]:
        """Run every job once now, due or not (``--once``); return a report per job run."""
        return self.run_due(everything=True)

    def run_due(self, *, everything: bool = False) -> list[JobReport]:
        """Run every job whose time has come, once; return a report per job run."""
        reports = []
        for job in self.jobs:
            if self._stop.is_set():
                break
            if not everything and self._clock() < self._next[job.name]:
                continue
            reports.append(run_job(job, engine=self.engine, stop=self._stop))
            self._next[job.name] = self._clock() + self.intervals[job.name]
        return reports

    def seconds_to_next(self) -> float:
        """Return how long until the next job is due (0 when one is due now)."""
        return max(0.0, min(self._next.values(), default=0.0) - self._clock())

    def run_forever(self, on_reports: Callable[[list[JobReport]], None] | None = None) -> None:
        """Run jobs when due until :meth:`stop`; pass each round's reports to ``on_reports``."""
        while not self._stop.is_set():
            reports = self.run_due()
            if reports and on_reports is not None:
                on_reports(reports)
            self._stop.wait(self.seconds_to_next())

    def start_thread(self) -> threading.Thread:
        """Run :meth:`run_forever` in a daemon thread (the server's in-process worker)."""
        thread = threading.Thread(target=self.run_forever, name="zhengwu-worker", daemon=True)
        thread.start()
        return thread
