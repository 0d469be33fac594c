"""Foundation: chain index, organisations, API keys, idempotency keys.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chain_blocks",
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(66), nullable=False),
    )
    op.create_table(
        "chain_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("block_number", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(64), nullable=False),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("args", sa.String(), nullable=False),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_chain_events_tx_log"),
    )
    op.create_index("ix_chain_events_block_number", "chain_events", ["block_number"])
    op.create_index("ix_chain_events_contract", "chain_events", ["contract"])
    op.create_index("ix_chain_events_name", "chain_events", ["name"])
    op.create_table(
        "indexer_checkpoints",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("chain_id", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.Integer(), nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "organisations",
        sa.Column("org_id", sa.String(66), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("legal_id_commitment", sa.String(66), nullable=False),
        sa.Column("registered_at", TZ, nullable=False),
        sa.Column("registered_block", sa.Integer(), nullable=False),
        sa.Column("registered_tx", sa.String(66), nullable=False),
    )
    op.create_index("ix_organisations_role", "organisations", ["role"])
    op.create_table(
        "organisation_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.String(66), sa.ForeignKey("organisations.org_id"), nullable=False),
        sa.Column("address", sa.String(42), nullable=False, unique=True),
        sa.Column("added_block", sa.Integer(), nullable=False),
    )
    op.create_index("ix_organisation_accounts_org_id", "organisation_accounts", ["org_id"])
    op.create_table(
        "organisation_legal_ids",
        sa.Column("org_id", sa.String(66), primary_key=True),
        sa.Column("legal_id", sa.String(128), nullable=False),
        sa.Column("salt", sa.String(66), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.String(66), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
    )
    op.create_index("ix_api_keys_org_id", "api_keys", ["org_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("org_id", sa.String(66), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("org_id", "key", name="uq_idempotency_keys_org_key"),
    )


def downgrade() -> None:
    for table in (
        "idempotency_keys",
        "api_keys",
        "organisation_legal_ids",
        "organisation_accounts",
        "organisations",
        "indexer_checkpoints",
        "chain_events",
        "chain_blocks",
    ):
        op.drop_table(table)
