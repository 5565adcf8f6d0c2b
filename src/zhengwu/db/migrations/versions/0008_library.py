"""library: content items, labels, tags, files and distribution targets (媒资库)

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_TS = zhengwu.db.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "library_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("matrix_id", sa.Integer(), nullable=True),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("label_rank", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=128), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_name", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("updated_at", UTC_TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["matrix_id"], ["matrices.id"], name=op.f("fk_library_items_matrix_id_matrices")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_library_items_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_items")),
    )
    for column in ("kind", "organization_id", "matrix_id", "label_rank", "updated_at"):
        op.create_index(op.f(f"ix_library_items_{column}"), "library_items", [column], unique=False)
    op.create_table(
        "library_labels",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=8), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_by_name", sa.String(length=128), nullable=False),
        sa.Column("added_at", UTC_TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["library_items.id"],
            name=op.f("fk_library_labels_item_id_library_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "label", name=op.f("pk_library_labels")),
    )
    op.create_index(op.f("ix_library_labels_label"), "library_labels", ["label"], unique=False)
    op.create_table(
        "library_tags",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["library_items.id"],
            name=op.f("fk_library_tags_item_id_library_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "tag", name=op.f("pk_library_tags")),
    )
    op.create_index(op.f("ix_library_tags_tag"), "library_tags", ["tag"], unique=False)
    op.create_table(
        "library_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_name", sa.String(length=128), nullable=False),
        sa.Column("uploaded_at", UTC_TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["library_items.id"],
            name=op.f("fk_library_files_item_id_library_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_files")),
        sa.UniqueConstraint("item_id", "sha256", name=op.f("uq_library_files_item_id_sha256")),
    )
    op.create_index(op.f("ix_library_files_item_id"), "library_files", ["item_id"], unique=False)
    op.create_index(op.f("ix_library_files_sha256"), "library_files", ["sha256"], unique=False)
    op.create_table(
        "library_distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("matrix_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("scheduled_at", UTC_TS, nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("planned_by_id", sa.Integer(), nullable=True),
        sa.Column("planned_by_name", sa.String(length=128), nullable=False),
        sa.Column("planned_at", UTC_TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_library_distributions_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["library_items.id"],
            name=op.f("fk_library_distributions_item_id_library_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["matrix_id"],
            ["matrices.id"],
            name=op.f("fk_library_distributions_matrix_id_matrices"),
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_library_distributions_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_distributions")),
    )
    for column in ("item_id", "account_id", "state", "scheduled_at"):
        op.create_index(
            op.f(f"ix_library_distributions_{column}"),
            "library_distributions",
            [column],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("library_distributions")
    op.drop_table("library_files")
    op.drop_table("library_tags")
    op.drop_table("library_labels")
    op.drop_table("library_items")
