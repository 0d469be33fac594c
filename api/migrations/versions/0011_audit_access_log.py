"""Auditors and regulators: the log of every read they make; regulators' mandates the operator records.

Revision ID: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_access_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("auditor", sa.String(66), nullable=False, index=True),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("query", sa.String(1024), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(66), nullable=True, index=True),
        sa.Column("object_id", sa.String(80), nullable=True),
    )
    op.create_table(
        "regulator_mandates",
        sa.Column("subject", sa.String(66), primary_key=True),
        sa.Column("regulator", sa.String(66), primary_key=True, index=True),
        sa.Column("recorded_by", sa.String(66), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("regulator_mandates")
    op.drop_table("audit_access_log")
