"""search: documents, postings (inverted index) and per-kind statistics

Revision ID: 0009
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import zhengwu.db.base

revision = "0009"
down_revision = "0001"
branch_labels = ("search",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("boost", sa.Float(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("matrix_id", sa.Integer(), nullable=True),
        sa.Column("indexed_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_search_documents_kind")),
    )
    op.create_index(
        "ix_search_documents_kind_ref_id", "search_documents", ["kind", "ref_id"], unique=False
    )
    op.create_table(
        "search_postings",
        sa.Column("term", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("doc_id", sa.Integer(), nullable=False),
        sa.Column("tf", sa.Integer(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["search_documents.id"],
            name=op.f("fk_search_postings_doc_id_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("term", "kind", "doc_id", name=op.f("pk_search_postings")),
    )
    op.create_index(op.f("ix_search_postings_doc_id"), "search_postings", ["doc_id"], unique=False)
    op.create_table(
        "search_kinds",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("doc_count", sa.Integer(), nullable=False),
        sa.Column("total_length", sa.BigInteger(), nullable=False),
        sa.Column("watermark_at", zhengwu.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("watermark_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_search_kinds")),
    )


def downgrade() -> None:
    op.drop_table("search_kinds")
    op.drop_index(op.f("ix_search_postings_doc_id"), table_name="search_postings")
    op.drop_table("search_postings")
    op.drop_index("ix_search_documents_kind_ref_id", table_name="search_documents")
    op.drop_table("search_documents")
