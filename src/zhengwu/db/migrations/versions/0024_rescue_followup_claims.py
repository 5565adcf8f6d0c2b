"""rescue: citizens' follow-up keys (跟进链接) and verification claims (认领核实)

``help_followups`` holds the hashes of the private link and of phone + short code that
let a citizen see, update or withdraw their own request; ``help_claims`` who is verifying
a request until when (one row per request, so two verifiers cannot both hold it).

Revision ID: 0024
Revises: 0019
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhengwu.db.base import UtcDateTime

revision = "0024"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "help_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "request_id",
            sa.Integer(),
            sa.ForeignKey("help_requests.id", name="fk_help_followups_request_id_help_requests"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("lookup_hash", sa.String(length=64), nullable=True),
        sa.Column("creator", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_help_followups"),
        sa.UniqueConstraint("token_hash", name="uq_help_followups_token_hash"),
    )
    op.create_index("ix_help_followups_request_id", "help_followups", ["request_id"])
    op.create_index("ix_help_followups_lookup_hash", "help_followups", ["lookup_hash"])
    op.create_table(
        "help_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "request_id",
            sa.Integer(),
            sa.ForeignKey("help_requests.id", name="fk_help_claims_request_id_help_requests"),
            nullable=False,
        ),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("claimer_name", sa.String(length=128), nullable=False),
        sa.Column("team_name", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_help_claims"),
        sa.UniqueConstraint("request_id", name="uq_help_claims_request_id"),
    )


def downgrade() -> None:
    op.drop_table("help_claims")
    op.drop_index("ix_help_followups_lookup_hash", table_name="help_followups")
    op.drop_index("ix_help_followups_request_id", table_name="help_followups")
    op.drop_table("help_followups")
