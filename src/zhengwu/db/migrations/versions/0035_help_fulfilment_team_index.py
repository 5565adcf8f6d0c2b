"""help_fulfilments: an index of team_id (ix_help_fulfilments_team_id)

``help_fulfilments.team_id`` (who helped those people) references ``rescue_teams`` with no
ON DELETE action and had no index: every lookup of a team's fulfilments read the whole
table. The lookups:

* the check behind ``fk_help_fulfilments_team_id_rescue_teams`` when a team row is deleted
  or renumbered (PostgreSQL looks the team up in every referencing table; the app never
  deletes a team — it deactivates it — but an operator removing a team entered by mistake
  does, and ``help_requests`` and ``help_assignments`` answer that check from an index);
* the people a team helped (``WHERE team_id = ?``), as an operator's report reads them.

The plans are held in ``tests/rescue/test_listing.py`` on SQLite and PostgreSQL.

The queue, the team pages and the team's counts read ``help_requests`` (by
``ix_help_requests_team_queue``), not this table. Measured figures: docs/rescue.md.

Revision ID: 0035
Revises: 0033
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0035"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_help_fulfilments_team_id", "help_fulfilments", ["team_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_help_fulfilments_team_id", table_name="help_fulfilments")
