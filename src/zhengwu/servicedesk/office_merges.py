"""A matrix office's calls merged into a request outside its scope (跨矩阵并入的来电).

A call a matrix office takes in (an upload's row, a request it registers) that repeats an
open request of the same caller is merged into it — one problem, one ticket, handled by one
body — even when that request lies outside the office's scope (another matrix's queue and
body). The office then still follows the call it took: it reads that request **read-only,
masked** as for a role that does not handle it (text and reply masked, no caller's details,
no address, no sources), lists such calls with the ticket they joined, and acts on none of
them. A row of its export cannot reply to or close (办结) that request either: the body
that handles it does.

Two audit entries record each such merge: the request's ``merge`` entry carries
``office_matrix_id`` and ``outside_scope: true``, and the office's matrix gets a
``merge_outside_scope`` entry (``request_id``, ``public_id``, ``source_ref``) — the list an
office reads (by the audit log's entity index, not a scan of the requests' history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhengwu.accounts.models import Matrix
from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.servicedesk import access
from zhengwu.servicedesk.models import ServiceRequest

ACTION = "merge_outside_scope"  # the office matrix's audit entry
SHOWN = 200  # merged calls an upload's answer and the queue page list (all: the API's pages)


def merge_data(ref: str, kind: str, office_matrix_id: int | None) -> dict[str, Any]:
    """Return the data of a request's ``merge`` audit entry; an office's call merged from
    outside the request's scope names the office's matrix."""
    data: dict[str, Any] = {"source_ref": ref, "kind": kind}
    if office_matrix_id is not None:
        data |= {"office_matrix_id": office_matrix_id, "outside_scope": True}
    return data


def office_entry_data(request: ServiceRequest | tuple[int, str], ref: str) -> dict[str, Any]:
    """Return the data of the office matrix's ``merge_outside_scope`` entry."""
    request_id, public_id = (
        (request.id, request.public_id) if isinstance(request, ServiceRequest) else request
    )
    return {"request_id": request_id, "public_id": public_id, "source_ref": ref}


def notice(n: int, public_ids: list[str], left: int) -> str:
    """Return the warning an office gets for ``n`` calls merged outside its scope
    (``public_ids``: the requests they joined, the first few named; ``left``: rows whose
    reply or 办结 was not recorded on such a request)."""
    shown = "、".join(public_ids[:5]) + ("…" if len(public_ids) > 5 else "")
    merged = (
        f"{n} 条来电与本矩阵范围外的在办诉求重复，已并入该诉求（{shown}）：本矩阵可只读查看其进展和"
        f"答复（个人信息已脱敏），在诉求办理页「并入范围外诉求的来电」中列出，如需催办请联系平台管理员 / "
        f"{n} call(s) repeat an open request outside your matrix and were merged into it "
        f"({shown}): you can follow its progress and reply read-only (personal data masked) "
        "under 'calls merged outside your matrix' on the desk page; ask an admin to press for it"
    )
    return merged + (f"。{left_notice(left)}" if left else "")


def left_notice(left: int) -> str:
    """Return the warning for ``left`` rows whose reply or 办结 was not recorded because
    their request is outside the importing office's scope."""
    return (
        f"{left} 行的答复或办结未记录：其诉求不在本矩阵的范围内，由其承办单位办理 / the reply or "
        f"办结 of {left} row(s) was not recorded: their request is outside your matrix and its "
        "own body handles it"
    )


def reads_read_only(session: Session, principal: Principal, request: ServiceRequest) -> bool:
    """Return whether a matrix office reads ``request`` read-only: a call of its matrix (or
    of a matrix below it) was merged into it from outside its scope."""
    if principal.role != "matrix_office" or principal.matrix_id is None:
        return False
    entries = select(AuditEntry.data).where(
        AuditEntry.entity_type == "request", AuditEntry.entity_id == request.id,
        AuditEntry.action == "merge",
    )  # fmt: skip
    merged_by = {
        data.get("office_matrix_id")
        for data in session.scalars(entries)
        if isinstance(data, dict) and data.get("outside_scope")
    }
    wanted = [m for m in merged_by if isinstance(m, int)]
    if not wanted:
        return False
    inside = select(Matrix.id).where(
        Matrix.id.in_(wanted), Matrix.id.in_(access.office_matrices(principal.matrix_id))
    )
    return session.scalar(select(inside.exists())) is True


@dataclass(frozen=True, slots=True)
class MergedCall:
    """One call of an office merged into a request outside its scope, with that request."""

    source_ref: str
    merged_at: datetime
    public_id: str
    state: str
    organization_id: int | None
    matrix_id: int | None
    office_matrix_id: int


def merged_calls(
    session: Session, principal: Principal, *, limit: int = SHOWN, offset: int = 0
) -> tuple[int, list[MergedCall]]:
    """Return how many calls of ``principal``'s matrix (and the matrices below it) were
    merged into requests outside its scope, and the newest ``limit`` of them."""
    if principal.role != "matrix_office" or principal.matrix_id is None:
        return 0, []
    matrices = access.office_matrix_ids(session, principal.matrix_id)
    where = (AuditEntry.entity_type == "matrix", AuditEntry.entity_id.in_(matrices),
             AuditEntry.action == ACTION)  # fmt: skip
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    entries = session.execute(
        select(AuditEntry.entity_id, AuditEntry.data, AuditEntry.at).where(*where)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()  # fmt: skip
    ids = {int(d["request_id"]) for _, d, _ in entries if isinstance(d, dict)}
    r = ServiceRequest
    found = {
        row[0]: row
        for row in session.execute(
            select(r.id, r.public_id, r.state, r.organization_id, r.matrix_id).where(r.id.in_(ids))
        )
    } if ids else {}  # fmt: skip
    calls = []
    for office_matrix, data, at in entries:
        row = found.get(int(data["request_id"])) if isinstance(data, dict) else None
        if row is None:  # a request deleted since (its audit entries stay)
            continue
        calls.append(MergedCall(str(data["source_ref"]), at, row[1], row[2], row[3], row[4],
                                office_matrix))  # fmt: skip
    return total, calls
