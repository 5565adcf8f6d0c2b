"""rescue: incidents, help requests and their sources, teams, verifications, dispatch

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rescue_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("starts_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reverify_hours", sa.Float(), nullable=False),
        sa.Column("created_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rescue_incidents")),
        sa.UniqueConstraint("name", name=op.f("uq_rescue_incidents_name")),
    )
    op.create_index(
        op.f("ix_rescue_incidents_status"), "rescue_incidents", ["status"], unique=False
    )
    op.create_table(
        "rescue_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("area", sa.JSON(), nullable=False),
        sa.Column("contact_name", sa.String(length=64), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rescue_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_rescue_teams_name")),
    )
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("phones", sa.JSON(), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=True),
        sa.Column("adcode", sa.String(length=6), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("people_total", sa.Integer(), nullable=True),
        sa.Column("people_helped", sa.Integer(), nullable=False),
        sa.Column("vulnerabilities", sa.JSON(), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("hazard", sa.String(length=128), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("urgency_reasons", sa.JSON(), nullable=False),
        sa.Column("completeness", sa.Float(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reported_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("verification", sa.String(length=16), nullable=False),
        sa.Column("verified_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("first_verified_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reverify_due_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reported_rescued_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("dispatched_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("on_scene_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("announced_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["rescue_incidents.id"],
            name=op.f("fk_help_requests_incident_id_rescue_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["rescue_teams.id"], name=op.f("fk_help_requests_team_id_rescue_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
    )
    op.create_index(op.f("ix_help_requests_adcode"), "help_requests", ["adcode"], unique=False)
    op.create_index(
        op.f("ix_help_requests_incident_id"), "help_requests", ["incident_id"], unique=False
    )
    op.create_index(
        "ix_help_requests_incident_state", "help_requests", ["incident_id", "state"], unique=False
    )
    op.create_index(op.f("ix_help_requests_team_id"), "help_requests", ["team_id"], unique=False)
    op.create_table(
        "help_set_aside",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("post_id", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["rescue_incidents.id"],
            name=op.f("fk_help_set_aside_incident_id_rescue_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_set_aside")),
        sa.UniqueConstraint(
            "incident_id",
            "platform",
            "post_id",
            name=op.f("uq_help_set_aside_incident_id_platform_post_id"),
        ),
    )
    op.create_index(
        op.f("ix_help_set_aside_incident_id"), "help_set_aside", ["incident_id"], unique=False
    )
    op.create_table(
        "help_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("assigned_by", sa.String(length=128), nullable=False),
        sa.Column("assigned_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("released_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["help_requests.id"],
            name=op.f("fk_help_assignments_request_id_help_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["rescue_teams.id"], name=op.f("fk_help_assignments_team_id_rescue_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_assignments")),
    )
    op.create_index(
        op.f("ix_help_assignments_request_id"), "help_assignments", ["request_id"], unique=False
    )
    op.create_index(
        op.f("ix_help_assignments_team_id"), "help_assignments", ["team_id"], unique=False
    )
    op.create_table(
        "help_fulfilments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["help_requests.id"],
            name=op.f("fk_help_fulfilments_request_id_help_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["rescue_teams.id"], name=op.f("fk_help_fulfilments_team_id_rescue_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_fulfilments")),
    )
    op.create_index(
        op.f("ix_help_fulfilments_request_id"), "help_fulfilments", ["request_id"], unique=False
    )
    op.create_table(
        "help_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("post_id", sa.String(length=80), nullable=False),
        sa.Column("url", sa.String(length=256), nullable=True),
        sa.Column("author", sa.String(length=128), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("posted_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("merged_by", sa.String(length=12), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("root_post_id", sa.String(length=80), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("notified_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["rescue_incidents.id"],
            name=op.f("fk_help_sources_incident_id_rescue_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["help_requests.id"],
            name=op.f("fk_help_sources_request_id_help_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_sources")),
        sa.UniqueConstraint(
            "incident_id",
            "platform",
            "post_id",
            name=op.f("uq_help_sources_incident_id_platform_post_id"),
        ),
    )
    op.create_index(
        op.f("ix_help_sources_request_id"), "help_sources", ["request_id"], unique=False
    )
    op.create_table(
        "help_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("verifier_user_id", sa.Integer(), nullable=True),
        sa.Column("verifier_name", sa.String(length=128), nullable=False),
        sa.Column("at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["help_requests.id"],
            name=op.f("fk_help_verifications_request_id_help_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_verifications")),
    )
    op.create_index(
        op.f("ix_help_verifications_request_id"), "help_verifications", ["request_id"], unique=False
    )
    op.create_table(
        "help_match_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["rescue_incidents.id"],
            name=op.f("fk_help_match_keys_incident_id_rescue_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["help_sources.id"],
            name=op.f("fk_help_match_keys_source_id_help_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_match_keys")),
    )
    op.create_index(
        "ix_help_match_keys_incident_key", "help_match_keys", ["incident_id", "key"], unique=False
    )
    op.create_index(
        op.f("ix_help_match_keys_source_id"), "help_match_keys", ["source_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_help_match_keys_source_id"), table_name="help_match_keys")
    op.drop_index("ix_help_match_keys_incident_key", table_name="help_match_keys")
    op.drop_table("help_match_keys")
    op.drop_index(op.f("ix_help_verifications_request_id"), table_name="help_verifications")
    op.drop_table("help_verifications")
    op.drop_index(op.f("ix_help_sources_request_id"), table_name="help_sources")
    op.drop_table("help_sources")
    op.drop_index(op.f("ix_help_fulfilments_request_id"), table_name="help_fulfilments")
    op.drop_table("help_fulfilments")
    op.drop_index(op.f("ix_help_assignments_team_id"), table_name="help_assignments")
    op.drop_index(op.f("ix_help_assignments_request_id"), table_name="help_assignments")
    op.drop_table("help_assignments")
    op.drop_index(op.f("ix_help_set_aside_incident_id"), table_name="help_set_aside")
    op.drop_table("help_set_aside")
    op.drop_index(op.f("ix_help_requests_team_id"), table_name="help_requests")
    op.drop_index("ix_help_requests_incident_state", table_name="help_requests")
    op.drop_index(op.f("ix_help_requests_incident_id"), table_name="help_requests")
    op.drop_index(op.f("ix_help_requests_adcode"), table_name="help_requests")
    op.drop_table("help_requests")
    op.drop_table("rescue_teams")
    op.drop_index(op.f("ix_rescue_incidents_status"), table_name="rescue_incidents")
    op.drop_table("rescue_incidents")
