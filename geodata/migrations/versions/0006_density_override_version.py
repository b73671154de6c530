"""region.welfare_teams (real-density demo regions) and tier_override.model_version

Revision ID: 0006_density_override_version
Revises: 0005_simulation_scenario
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_density_override_version"
down_revision = "0005_simulation_scenario"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("region", sa.Column("welfare_teams", sa.Float(), nullable=True))
    op.add_column("tier_override", sa.Column("model_version", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("tier_override", "model_version")
    op.drop_column("region", "welfare_teams")
