"""accounts: indexes for the sub-matrix and member pages of a matrix

``GET /api/matrices?parent_id=`` and the console's matrix tree page a matrix's
sub-matrices by (name, id): ``(parent_id, name, id)`` reads a page straight from the
index instead of filtering every matrix and sorting them (it replaces the index on
``parent_id`` alone, which it begins with). ``GET /api/matrices/{id}/members`` counts a
matrix's members by role and pages them lead first, then by account name:
``(matrix_id, role, account_id)`` counts them from the index alone and lets the page walk
the accounts by name, probing each one's membership, instead of joining and sorting every
member — 180,000 for a national matrix.

Revision ID: 0030
Revises: 0014
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0030"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_matrices_parent_id_name_id", "matrices", ["parent_id", "name", "id"])
    op.drop_index("ix_matrices_parent_id", table_name="matrices")
    op.create_index(
        "ix_matrix_members_matrix_id_role_account_id",
        "matrix_members",
        ["matrix_id", "role", "account_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_matrix_members_matrix_id_role_account_id", table_name="matrix_members")
    op.create_index("ix_matrices_parent_id", "matrices", ["parent_id"])
    op.drop_index("ix_matrices_parent_id_name_id", table_name="matrices")
