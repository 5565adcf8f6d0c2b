"""The import run of a sheet a service reads whole (a category tree, a routing table).

Such an import is one pass over one file: its run is stored when it ends, with its counts
and the rows it refused (the quarantine, ``zhengwu quarantine --run N``), and an audit entry
says who imported which file with what result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from zhengwu.audit import service as audit_service
from zhengwu.auth.principal import Principal
from zhengwu.ingest.models import ImportRun, QuarantineEntry
from zhengwu.platforms.records import QuarantineRecord


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
