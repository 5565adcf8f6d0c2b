"""Read the quarantine: pages of it newest first, a run's records in file order, their lines.

``zhengwu quarantine`` and the console's 隔离记录 page (设置 › 导入记录) read it here. A page
is found in the indexes of migration 0041: the ids of one page of a run's or a format's
records, newest first, come from ``(run_id, id)`` or ``(format, id)`` alone, and only those
rows are read — not every record of the run, sorted (100,000 for a large bad file); the
number of records is counted in the index too. A run's download reads its records in
file order, a batch at a time, from the same index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from zhengwu.errors import NotFoundError
from zhengwu.ingest.models import ImportRun, QuarantineEntry

Q = QuarantineEntry
BATCH = 1000  # records a download reads at a time


def filters(run_id: int | None = None, fmt: str | None = None) -> list[ColumnElement[bool]]:
    """Return the conditions of the records of run ``run_id`` and/or format ``fmt``."""
    found: list[ColumnElement[bool]] = []
    if run_id is not None:
        found.append(Q.run_id == run_id)
    if fmt:
        found.append(Q.format == fmt)
    return found


def count_statement(where: list[ColumnElement[bool]]) -> Select[int]:
    """Return the query counting the records meeting ``where`` (from an index alone)."""
    return select(func.count(Q.id)).where(*where)


def count(session: Session, where: list[ColumnElement[bool]]) -> int:
    """Return how many quarantined records meet ``where``."""
    return session.scalar(count_statement(where)) or 0


def count_by_run(session: Session, run_ids: list[int]) -> dict[int, int]:
    """Return how many quarantine entries each of ``run_ids`` has (those with any; counted
    in the ``(run_id, id)`` index): the records it left out and the values it left out of
    records it kept (a bad 公开电话), which its ``quarantined`` does not count."""
    if not run_ids:
        return {}
    counted = select(Q.run_id, func.count(Q.id)).where(Q.run_id.in_(run_ids)).group_by(Q.run_id)
    return {int(run): int(n) for run, n in session.execute(counted)}


def page_statement(
    where: list[ColumnElement[bool]], *, offset: int, limit: int
) -> Select[QuarantineEntry]:
    """Return the query of the records meeting ``where``, newest first, ``limit`` of them
    from ``offset``.

    The page's ids are read first, from an index that holds them (the planner would
    otherwise walk the primary key back through every newer record of other formats),
    then those records."""
    ids = select(Q.id).where(*where).order_by(Q.id.desc()).offset(offset).limit(limit)
    return select(Q).where(Q.id.in_(ids.scalar_subquery())).order_by(Q.id.desc())


def newest(
    session: Session, where: list[ColumnElement[bool]], *, offset: int, limit: int
) -> list[QuarantineEntry]:
    """Return the records meeting ``where``, newest first, ``limit`` of them from ``offset``."""
    return list(session.scalars(page_statement(where, offset=offset, limit=limit)))


def of_run(session: Session, run_id: int, *, batch: int = BATCH) -> Iterator[QuarantineEntry]:
    """Yield the records of run ``run_id`` in file order, ``batch`` rows a query."""
    after = 0
    while True:
        rows = list(
            session.scalars(
                select(Q).where(Q.run_id == run_id, Q.id > after).order_by(Q.id).limit(batch)
            )
        )
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def formats(session: Session) -> list[str]:
    """Return the formats of the import runs, by name (those a page may be filtered by)."""
    return list(session.scalars(select(ImportRun.format).distinct().order_by(ImportRun.format)))


def record_line(entry: QuarantineEntry, raw: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Return ``entry`` as a line of ``zhengwu quarantine --json`` (``"kind": "quarantine"``),
    its raw text passed through ``raw`` when given (the console's download masks it)."""
    text = entry.raw if entry.raw is None or raw is None else raw(entry.raw)
    return {
        "kind": "quarantine",
        "run": entry.run_id,
        "format": entry.format,
        "source": entry.source,
        "reason": entry.reason,
        "raw": text,
    }


def refused_lines(run: ImportRun) -> list[dict[str, Any]]:
    """Return the files ``run`` refused whole as lines of ``zhengwu quarantine --run N
    --json`` (``"kind": "refused"``, after the records), as ``zhengwu imports`` names them."""
    return [{"kind": "refused", "run": run.id, "format": run.format} | r for r in run.refused or []]


def no_such_run(run_id: int, latest: int | None, hint: tuple[str, str] = ("", "")) -> NotFoundError:
    """Return the refusal of import run ``run_id`` that never was, saying which is the
    latest (``latest``: None when there is none) and ``hint`` (Chinese, English) after it."""
    there_zh, there_en = (
        (f"最近一次导入是第 {latest} 次", f"the latest is run {latest}")
        if latest
        else ("还没有任何导入", "nothing has been imported yet")
    )
    return NotFoundError(
        f"没有第 {run_id} 次导入（{there_zh}{hint[0]}）",
        f"no import run {run_id} ({there_en}{hint[1]})",
    )


def get_run(session: Session, run_id: int) -> ImportRun:
    """Return import run ``run_id``; 404 (:func:`no_such_run`) when there is none."""
    found = session.get(ImportRun, run_id)
    if found is None:
        raise no_such_run(run_id, session.scalar(select(func.max(ImportRun.id))))
    return found
