"""Import runs stored whole, at the end: a sheet import's, and a refused import's.

A sheet a service reads whole (a category tree, a routing table) is imported in one pass
over one file: its run is stored when it ends, with its counts and the rows it refused (the
quarantine, ``zhengwu quarantine --run N``), and an audit entry says who imported which file
with what result.

An import whose every file was refused whole (:class:`ImportRefusedError`: a GBK CSV,
archives of no file in the format; ``zhengwu import``, and ``zhengwu desk import-csv`` of a
file without a request text column) is rolled back — nothing of it is written — and its run is then
stored on its own (:func:`record_refused_run`): 0 records read and the files refused with
why, so that the history (``zhengwu imports``, 设置 › 导入记录) shows it as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.errors import InvalidInputError
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.platforms.records import QuarantineRecord


class ImportRefusedError(InvalidInputError):
    """Every input of an import was refused whole, so nothing was imported.

    One file refused: its own message. Several: each named with its reason, in the
    message and in ``refused`` (each ``{"file", "error", "status", "message_zh",
    "message_en"}``, as a summary's ``refused``), which :meth:`to_dict` carries too; its
    ``error`` is the refusals' own kind (``InvalidInputError``), as before."""

    def __init__(
        self, refusals: list[InvalidInputError], refused: list[dict[str, Any]],
        started: datetime | None = None,
    ) -> None:  # fmt: skip
        self.refused = list(refused)
        self.kind = type(refusals[0]).__name__
        self.started = started or datetime.now(UTC)  # when the refused import began
        self.run_id: int | None = None  # the run recorded after the rollback (recorded_as)
        if len(refused) == 1:
            super().__init__(refusals[0].message_zh, refusals[0].message_en)
            return
        super().__init__(
            f"{len(refused)} 个文件都被拒绝，未导入任何记录："
            + "；".join(f"{r['file']}：{r['message_zh']}" for r in refused),
            f"all {len(refused)} files were refused, nothing was imported: "
            + "; ".join(f"{r['file']}: {r['message_en']}" for r in refused),
        )

    def recorded_as(self, run_id: int) -> None:
        """Say that the refused import is in the history as run ``run_id`` (see
        :func:`zhengwu.ingest.runs.record_refused_run`)."""
        self.run_id = run_id
        self.message_zh += f"（已记入导入记录，第 {run_id} 次导入：zhengwu imports）"
        self.message_en += f" (recorded in the import history as run {run_id}: zhengwu imports)"
        self.args = (f"{self.message_zh} / {self.message_en}",)

    def to_dict(self) -> dict[str, object]:
        """Return the error with every refused file, as ``zhengwu import --json`` ends."""
        return super().to_dict() | {"error": self.kind, "refused": self.refused}


def record_sheet_run(
    session: Session, *, fmt: str, shown: str, counts: Mapping[str, int],
    quarantines: Iterable[QuarantineRecord], actor: Principal, action: str,
    data: Mapping[str, Any],
) -> int:  # fmt: skip
    """Store the run of an import of ``shown`` (its ``read``, ``imported``, ``updated``,
    ``duplicates`` and ``quarantined`` from ``counts``), its quarantine and an audit entry
    ``import_run`` / ``action`` carrying ``data``; return the run's id."""
    now = datetime.now(UTC)
    run = ImportRun(
        format=fmt, paths=shown, started_at=now, finished_at=now,
        **{k: counts.get(k, 0) for k in ("read", "imported", "updated", "duplicates",
                                         "quarantined")},
    )  # fmt: skip
    session.add(run)
    session.flush()
    session.add_all(
        QuarantineEntry(run_id=run.id, format=fmt, source=q.source, reason=q.reason, raw=q.raw)
        for q in quarantines
    )
    audit_service.record(
        session, entity_type="import_run", entity_id=run.id, action=action, actor=actor,
        data=dict(data),
    )  # fmt: skip
    session.flush()
    return run.id


def record_refused_run(
    session: Session, *, fmt: str, paths: Sequence[Path | str], started: datetime,
    refused: list[dict[str, Any]],
) -> int:  # fmt: skip
    """Store the run of an import of ``paths`` that refused every file (``refused``: each
    ``{"file", "error", "status", "message_zh", "message_en"}``), with nothing read;
    return its id. Called after the import's own transaction was rolled back, in a
    transaction of its own: the run is all that is written."""
    run = ImportRun(
        format=fmt, paths="\n".join(map(str, paths)), started_at=started,
        finished_at=datetime.now(UTC), refused=list(refused),
    )  # fmt: skip
    session.add(run)
    session.flush()
    return run.id
