"""The write outbox: every signed transaction journaled before it is sent (``chain/outbox.py``), so
what a node lost after a crash is sent again, byte for byte.

Revision ID: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account", sa.String(42), nullable=False, index=True),
        sa.Column("nonce", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False, unique=True),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("context", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(330), nullable=True, index=True),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("block_number", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("chain_outbox")
