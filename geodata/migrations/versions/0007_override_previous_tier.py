"""tier_override.previous_tier (the tier before the override, for the override history)

Revision ID: 0007_override_previous_tier
Revises: 0006_density_override_version
Create Date: 2026-12-01 13:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_override_previous_tier"
down_revision = "0006_density_override_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tier_override", sa.Column("previous_tier", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("tier_override", "previous_tier")
