"""referral states and history, unmet needs, live facility occupancy, provider users

Revision ID: 0002_referral
Revises: 0001
Create Date: 2026-12-01 09:55:00

The ``referral`` table of 0001 was never written; its ``status`` becomes ``state`` and it gains
the columns of the referral state machine (``domain.referral``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_referral"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("app_user", sa.Column("facility_id", sa.BigInteger(), nullable=True))

    op.alter_column("referral", "status", new_column_name="state")
    for column in (
        sa.Column("need_group", sa.String(length=20), nullable=True),
        sa.Column("need_function", sa.String(length=20), nullable=True),
        sa.Column("consent_recorded", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("sender_emd_code", sa.String(length=10), nullable=True),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    ):
        op.add_column("referral", column)
    op.alter_column("referral", "consent_recorded", server_default=None)
    op.alter_column("referral", "version", server_default=None)
    op.create_index(op.f("ix_referral_facility_id"), "referral", ["facility_id"])
    op.create_index(op.f("ix_referral_state"), "referral", ["state"])
    op.create_index(op.f("ix_referral_due_date"), "referral", ["due_date"])
    op.create_index(op.f("ix_referral_sender_emd_code"), "referral", ["sender_emd_code"])

    op.create_table(
        "referral_transition",
        sa.Column("transition_id", _ID, nullable=False),
        sa.Column("referral_id", _ID, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=40), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.referral_id"],
            name=op.f("fk_referral_transition_referral_id_referral"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("transition_id", name=op.f("pk_referral_transition")),
    )
    op.create_index(
        op.f("ix_referral_transition_referral_id"), "referral_transition", ["referral_id"]
    )

    op.create_table(
        "unmet_need",
        sa.Column("need_id", _ID, nullable=False),
        sa.Column("household_id", sa.BigInteger(), nullable=False),
        sa.Column("need_group", sa.String(length=20), nullable=False),
        sa.Column("need_function", sa.String(length=20), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("emd_code", sa.String(length=10), nullable=False),
        sa.Column("sigungu_code", sa.String(length=5), nullable=False),
        sa.Column("cause", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("matched_facility_id", sa.BigInteger(), nullable=True),
        sa.Column("referral_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.user_id"], name=op.f("fk_unmet_need_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("need_id", name=op.f("pk_unmet_need")),
    )
    for column in ("household_id", "emd_code", "sigungu_code", "status"):
        op.create_index(op.f(f"ix_unmet_need_{column}"), "unmet_need", [column])

    op.create_table(
        "facility_occupancy",
        sa.Column("facility_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("current_users", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("facility_id", name=op.f("pk_facility_occupancy")),
    )


def downgrade() -> None:
    op.drop_table("facility_occupancy")
    for column in ("household_id", "emd_code", "sigungu_code", "status"):
        op.drop_index(op.f(f"ix_unmet_need_{column}"), table_name="unmet_need")
    op.drop_table("unmet_need")
    op.drop_index(op.f("ix_referral_transition_referral_id"), table_name="referral_transition")
    op.drop_table("referral_transition")
    for column in ("sender_emd_code", "due_date", "state", "facility_id"):
        op.drop_index(op.f(f"ix_referral_{column}"), table_name="referral")
    for column in (
        "version", "reason", "outcome", "due_date", "state_since", "sender_emd_code",
        "consent_on", "consent_recorded", "need_function", "need_group",
    ):
        op.drop_column("referral", column)
    op.alter_column("referral", "state", new_column_name="status")
    op.drop_column("app_user", "facility_id")
