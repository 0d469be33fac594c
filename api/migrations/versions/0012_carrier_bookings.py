"""Carrier bookings: the logistics providers an order's trading parties booked, the only ones that may post
its shipments. Carriers that posted a shipment before bookings existed are booked on those orders.

Revision ID: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carrier_bookings",
        sa.Column("order_id", sa.String(66), primary_key=True),
        sa.Column("carrier", sa.String(66), primary_key=True, index=True),
        sa.Column("booked_by", sa.String(66), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO carrier_bookings (order_id, carrier, booked_by, booked_at) "
        "SELECT DISTINCT o.order_id, s.issuer, o.supplier, CURRENT_TIMESTAMP "
        "FROM documents s "
        "JOIN documents p ON p.buyer = s.buyer AND p.po_number = s.po_number "
        "AND p.doc_type = 'purchase_order' "
        "JOIN orders o ON o.document_id = p.doc_id "
        "WHERE s.doc_type = 'shipment'"
    )


def downgrade() -> None:
    op.drop_table("carrier_bookings")
