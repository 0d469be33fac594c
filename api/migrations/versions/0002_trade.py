"""Trade: documents, orders, receivables, financings and offers.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("doc_id", sa.String(66), primary_key=True),
        sa.Column("issuer", sa.String(66), nullable=False),
        sa.Column("doc_type", sa.String(32), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("po_number", sa.String(64), nullable=False),
        sa.Column("buyer", sa.String(66), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(66), nullable=False),
        sa.Column("commitment", sa.String(66), nullable=False),
        sa.Column("anchored_block", sa.Integer(), nullable=False),
        sa.Column("anchored_tx", sa.String(66), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("issuer", "doc_type", "number", name="uq_documents_issuer_type_number"),
    )
    op.create_index("ix_documents_issuer", "documents", ["issuer"])
    op.create_index("ix_documents_po_number", "documents", ["po_number"])
    op.create_index("ix_documents_buyer", "documents", ["buyer"])
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(66), primary_key=True),
        sa.Column("buyer", sa.String(66), nullable=False),
        sa.Column("supplier", sa.String(66), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("invoiced", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("document_id", sa.String(66), nullable=False),
        sa.Column("receipts", sa.Integer(), nullable=False),
        sa.Column("shipments", sa.Integer(), nullable=False),
        sa.Column("registered_block", sa.Integer(), nullable=False),
        sa.Column("registered_tx", sa.String(66), nullable=False),
    )
    op.create_index("ix_orders_buyer", "orders", ["buyer"])
    op.create_index("ix_orders_supplier", "orders", ["supplier"])
    op.create_table(
        "receivables",
        sa.Column("receivable_id", sa.String(66), primary_key=True),
        sa.Column("creditor", sa.String(66), nullable=False),
        sa.Column("debtor", sa.String(66), nullable=False),
        sa.Column("holder", sa.String(66), nullable=False),
        sa.Column("holder_account", sa.String(42), nullable=False),
        sa.Column("order_id", sa.String(66), nullable=False),
        sa.Column("invoice_doc", sa.String(66), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("face_value", sa.BigInteger(), nullable=False),
        sa.Column("repaid", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("match_status", sa.String(32), nullable=False),
        sa.Column("match_result", sa.String(66), nullable=True),
        sa.Column("waived", sa.Boolean(), nullable=False),
        sa.Column("due_date", TZ, nullable=False),
        sa.Column("parent", sa.String(66), nullable=True),
        sa.Column("issued_block", sa.Integer(), nullable=False),
        sa.Column("issued_tx", sa.String(66), nullable=False),
    )
    for column in ("creditor", "debtor", "holder", "order_id"):
        op.create_index(f"ix_receivables_{column}", "receivables", [column])
    op.create_table(
        "matching_tolerances",
        sa.Column("org_id", sa.String(66), primary_key=True),
        sa.Column("price_pct", sa.String(16), nullable=False),
        sa.Column("qty_pct", sa.String(16), nullable=False),
        sa.Column("amount_abs", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "financings",
        sa.Column("financing_id", sa.String(66), primary_key=True),
        sa.Column("receivable_id", sa.String(66), nullable=False),
        sa.Column("holder", sa.String(66), nullable=False),
        sa.Column("min_advance", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("financier", sa.String(66), nullable=True),
        sa.Column("advance", sa.BigInteger(), nullable=True),
        sa.Column("requested_block", sa.Integer(), nullable=False),
        sa.Column("funded_block", sa.Integer(), nullable=True),
    )
    for column in ("receivable_id", "holder", "financier"):
        op.create_index(f"ix_financings_{column}", "financings", [column])
    op.create_table(
        "financing_offers",
        sa.Column("financing_id", sa.String(66), primary_key=True),
        sa.Column("financier", sa.String(66), primary_key=True),
        sa.Column("advance", sa.BigInteger(), nullable=False),
        sa.Column("discount_bps", sa.Integer(), nullable=False),
        sa.Column("tenor_days", sa.Integer(), nullable=False),
        sa.Column("recourse", sa.Boolean(), nullable=False),
        sa.Column("offered_block", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "financing_offers",
        "financings",
        "matching_tolerances",
        "receivables",
        "orders",
        "documents",
    ):
        op.drop_table(table)
