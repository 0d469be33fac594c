"""IoT: accepted readings with their proofs, reading batches, ingestion counters.

Revision ID: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "iot_readings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device_id", sa.String(66), nullable=False),
        sa.Column("owner", sa.String(66), nullable=False),
        sa.Column("sequence", sa.Numeric(20, 0), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("value_milli", sa.Numeric(78, 0), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("binding", sa.String(66), nullable=False),
        sa.Column("signer", sa.String(42), nullable=False),
        sa.Column("signature", sa.String(132), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("batch_root", sa.String(66), nullable=True),
        sa.Column("proof", sa.Text(), nullable=True),
        sa.UniqueConstraint("device_id", "sequence", name="uq_iot_readings_device_sequence"),
    )
    for column in ("device_id", "owner", "binding", "batch_root"):
        op.create_index(f"ix_iot_readings_{column}", "iot_readings", [column])
    op.create_table(
        "iot_batches",
        sa.Column("root", sa.String(66), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.BigInteger(), nullable=False),
        sa.Column("period_end", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "iot_counters",
        sa.Column("name", sa.String(48), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for table in ("iot_counters", "iot_batches", "iot_readings"):
        op.drop_table(table)
