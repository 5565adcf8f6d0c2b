"""servicedesk: indexes for the console's request queue at national scale

The queue lists requests newest first (``received_at DESC, id DESC``), filtered by state,
category, organisation or matrix (the ways a handler or a matrix office reads requests);
each index below serves one of those orders with a LIMIT, so a page reads a page of index
entries instead of sorting a million rows.

Revision ID: 0011
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_service_requests_received_id": ["received_at", "id"],
    "ix_service_requests_state_received": ["state", "received_at", "id"],
    "ix_service_requests_category_received": ["category_code", "received_at", "id"],
    "ix_service_requests_org_received": ["organization_id", "received_at", "id"],
    "ix_service_requests_matrix_received": ["matrix_id", "received_at", "id"],
    # Overdue = open state and resolve_due passed: read from the index alone, then sorted.
    "ix_service_requests_state_due": ["state", "resolve_due", "received_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "service_requests", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="service_requests")
