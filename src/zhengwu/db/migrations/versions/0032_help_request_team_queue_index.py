"""help_requests: an index for a team's queue (team, incident, state, county)

A team member's queue counts their team's requests by state, places them by county on
the map and counts the page's total (``zhengwu.rescue.listing``: ``state_counts``,
``adcode_totals``, ``count`` with a team). By ``ix_help_requests_team_id`` alone each of
the team's rows was looked up in the table; ``(team_id, incident_id, state, adcode)``
holds every column these read, so they are index-only on SQLite and PostgreSQL
(measured at 50,000 requests, a team holding 10,000: see docs/rescue.md).

Revision ID: 0032
Revises: 0025
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0032"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_help_requests_team_queue", "help_requests",
        ["team_id", "incident_id", "state", "adcode"], unique=False,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_help_requests_team_queue", table_name="help_requests")
