"""simulation_scenario: saved 지자체별 시뮬레이션 scenarios (criteria, name, owner, scope, date)

Revision ID: 0005_simulation_scenario
Revises: 0004_auth_sessions
Create Date: 2026-12-01 13:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_simulation_scenario"
down_revision = "0004_auth_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "simulation_scenario",
        sa.Column("scenario_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("owner_username", sa.String(length=40), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=10), nullable=True),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_user_id"], ["app_user.user_id"],
                                name=op.f("fk_simulation_scenario_owner_user_id_app_user")),
        sa.PrimaryKeyConstraint("scenario_id", name=op.f("pk_simulation_scenario")),
        sa.UniqueConstraint("owner_user_id", "name",
                            name=op.f("uq_simulation_scenario_owner_user_id")),
    )
    op.create_index(op.f("ix_simulation_scenario_owner_user_id"), "simulation_scenario",
                    ["owner_user_id"])
    op.create_index(op.f("ix_simulation_scenario_jurisdiction_code"), "simulation_scenario",
                    ["jurisdiction_code"])


def downgrade() -> None:
    op.drop_table("simulation_scenario")
