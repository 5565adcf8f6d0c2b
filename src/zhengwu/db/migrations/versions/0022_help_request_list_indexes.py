"""help_requests: indexes for the paged rescue lists

The triage queue, a team's view and the public board are filtered, ordered, counted and
paged by the database (``zhengwu.rescue.listing``). Two lists were left to scan every
request of the incident: the queue in time order (``incident_id, reported_at, id``:
oldest or newest first, ties by number) and the counts by county and state that the
board's table and the console's map show (``incident_id, adcode, state``, covering the
GROUP BY). The counts by state use ``ix_help_requests_incident_state`` already.

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_help_requests_incident_reported", "help_requests",
        ["incident_id", "reported_at", "id"], unique=False,
    )  # fmt: skip
    op.create_index(
        "ix_help_requests_incident_adcode_state", "help_requests",
        ["incident_id", "adcode", "state"], unique=False,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_help_requests_incident_adcode_state", table_name="help_requests")
    op.drop_index("ix_help_requests_incident_reported", table_name="help_requests")
