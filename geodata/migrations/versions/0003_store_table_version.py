"""store: table_version write counters (exact, cheap Store.data_version on PostGIS)

Revision ID: 0002_store_table_version
Revises: 0002_referral
Create Date: 2026-12-01 09:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_store_table_version"
down_revision = "0002_referral"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "table_version",
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_table_version")),
    )


def downgrade() -> None:
    op.drop_table("table_version")
