"""help_requests: drop ix_help_requests_team_id, a prefix of ix_help_requests_team_queue

Since 0032 ``ix_help_requests_team_queue`` (``team_id, incident_id, state, adcode``)
leads with ``team_id``, so what ``ix_help_requests_team_id`` served the longer index
serves as well: a team's queue, counts and map (``zhengwu.rescue.listing``), the open
requests a team holds (``rescue.service.set_team_active``, ``team_loads``) and the lookup
behind the team's foreign key (``fk_help_requests_team_id_rescue_teams`` has no ON DELETE
action: deleting or renumbering a team looks its requests up, and is refused while it
holds any). Each write of a request keeps one index fewer. The plans are held in
``tests/rescue/test_listing.py`` on SQLite and PostgreSQL.

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_help_requests_team_id", table_name="help_requests")


def downgrade() -> None:
    op.create_index("ix_help_requests_team_id", "help_requests", ["team_id"], unique=False)
