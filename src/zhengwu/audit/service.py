"""Writing and reading the audit log (in the caller's transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhengwu.audit.models import AuditEntry
from zhengwu.auth.principal import Principal
from zhengwu.db.base import utcnow


def record(
    session: Session,
    *,
    entity_type: str,
    entity_id: int,
    action: str,
    actor: Principal,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one audit entry; it commits or rolls back with the action it records."""
    entry = AuditEntry(
        entity_type=entity_type, entity_id=entity_id, action=action, from_state=from_state,
        to_state=to_state, actor_user_id=actor.user_id, actor_name=actor.display_name,
        reason=reason, data=data, at=at or utcnow(),
    )  # fmt: skip
    session.add(entry)
    return entry


def history(session: Session, *, entity_type: str, entity_id: int) -> list[AuditEntry]:
    """Return an entity's audit trail, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
