"""servicedesk: an index on service_requests.citizen_phone for the lookup by phone

The desk's lookup by phone (console search box, ``GET /api/desk/requests?phone=``, the CLI)
matches a request's phone key or the phone a social post wrote in its text, which intake
keeps in ``citizen_phone``. Without an index the second half read every request: about
1 s over 1 M requests on PostgreSQL, against a few milliseconds through the key's index.

Revision ID: 0029
Revises: 0020
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_service_requests_citizen_phone", "service_requests", ["citizen_phone"])


def downgrade() -> None:
    op.drop_index("ix_service_requests_citizen_phone", table_name="service_requests")
