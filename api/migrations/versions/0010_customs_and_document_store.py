"""Customs declarations and the operators' outboxes and cursors; encrypted copies of documents
(their CID in the document store and their wrapped key); auditors authorised by organisations.

Revision ID: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customs_declarations",
        sa.Column("declaration_id", sa.String(66), primary_key=True),
        sa.Column("commitment", sa.String(66), primary_key=True),
        sa.Column("number", sa.String(64), nullable=False, index=True),
        sa.Column("office", sa.String(16), nullable=False),
        sa.Column("po_number", sa.String(64), nullable=False, index=True),
        sa.Column("transport_document", sa.String(64), nullable=False, index=True),
        sa.Column("exporter", sa.String(66), nullable=False, index=True),
        sa.Column("importer", sa.String(66), nullable=False, index=True),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(66), nullable=False),
        sa.Column("cid", sa.String(128), nullable=True),
        sa.Column("wrapped_key", sa.String(256), nullable=True),
        sa.Column("first_seen_by", sa.String(66), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customs_attestations",
        sa.Column("operator", sa.String(66), primary_key=True),
        sa.Column("declaration_id", sa.String(66), primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("commitment", sa.String(66), nullable=False),
        sa.Column("status_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(256), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customs_feed_cursors",
        sa.Column("operator", sa.String(66), primary_key=True),
        sa.Column("feed", sa.String(255), primary_key=True),
        sa.Column("cursor", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "customs_feed_problems",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("operator", sa.String(66), nullable=False, index=True),
        sa.Column("feed", sa.String(255), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("documents") as t:
        t.add_column(sa.Column("cid", sa.String(128), nullable=True))
        t.add_column(sa.Column("wrapped_key", sa.String(256), nullable=True))
    op.create_table(
        "auditor_grants",
        sa.Column("subject", sa.String(66), primary_key=True),
        sa.Column("auditor", sa.String(66), primary_key=True, index=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("auditor_grants")
    with op.batch_alter_table("documents") as t:
        t.drop_column("wrapped_key")
        t.drop_column("cid")
    for table in (
        "customs_feed_problems",
        "customs_feed_cursors",
        "customs_attestations",
        "customs_declarations",
    ):
        op.drop_table(table)
