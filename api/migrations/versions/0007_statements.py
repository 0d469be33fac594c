"""Emission statements: a projection of CarbonLedger events.

Revision ID: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carbon_statements",
        sa.Column("statement_id", sa.String(66), primary_key=True),
        sa.Column("org", sa.String(66), nullable=False),
        sa.Column("scope", sa.Integer(), nullable=False),
        sa.Column("grams", sa.Numeric(78, 0), nullable=False),
        sa.Column("factor_set", sa.String(66), nullable=False),
        sa.Column("batches", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("verifier", sa.String(66), nullable=True),
        sa.Column("submitted_block", sa.Integer(), nullable=False),
    )
    op.create_index("ix_carbon_statements_org", "carbon_statements", ["org"])


def downgrade() -> None:
    op.drop_table("carbon_statements")
