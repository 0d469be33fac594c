"""Green financing terms, the applied discount rate, and carbon credits pledged as collateral.

Revision ID: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("financing_offers") as t:
        t.add_column(sa.Column("green_advance", sa.BigInteger(), nullable=True))
        t.add_column(sa.Column("green_discount_bps", sa.Integer(), nullable=True))
        t.add_column(sa.Column("green_min_score_bps", sa.Integer(), nullable=True))
    with op.batch_alter_table("financings") as t:
        t.add_column(sa.Column("discount_bps", sa.Integer(), nullable=True))
        t.add_column(sa.Column("green", sa.Boolean(), nullable=False, server_default=sa.false()))
        t.add_column(sa.Column("collateral_token", sa.String(66), nullable=True))
        t.add_column(sa.Column("collateral_kg", sa.BigInteger(), nullable=True))
        t.add_column(sa.Column("collateral_status", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("financings") as t:
        for column in ("collateral_status", "collateral_kg", "collateral_token", "green", "discount_bps"):
            t.drop_column(column)
    with op.batch_alter_table("financing_offers") as t:
        for column in ("green_min_score_bps", "green_discount_bps", "green_advance"):
            t.drop_column(column)
