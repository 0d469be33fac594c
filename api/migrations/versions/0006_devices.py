"""Devices: a projection of DeviceRegistry events.

Revision ID: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(66), primary_key=True),
        sa.Column("owner", sa.String(66), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("signer", sa.String(42), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("binding", sa.String(66), nullable=False),
        sa.Column("registered_block", sa.Integer(), nullable=False),
    )
    op.create_index("ix_devices_owner", "devices", ["owner"])


def downgrade() -> None:
    op.drop_table("devices")
