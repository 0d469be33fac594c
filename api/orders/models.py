"""Purchase orders as the index sees them (a projection of PurchaseOrders events), and their carriers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"

    order_id: str = Field(primary_key=True, max_length=66)
    buyer: str = Field(max_length=66, index=True)
    supplier: str = Field(max_length=66, index=True)
    currency: str = Field(max_length=3)
    total: int = Field(sa_column=Column(BigInteger, nullable=False))
    invoiced: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(max_length=16)  # open | cancelled
    document_id: str = Field(max_length=66)
    receipts: int = 0
    shipments: int = 0
    registered_block: int
    registered_tx: str = Field(max_length=66)


class CarrierBooking(SQLModel, table=True):
    """A trading party of the order booked logistics provider ``carrier`` to carry it: off chain, an
    authorisation fact (like ``auditor_grants``). Only a booked carrier posts the order's shipments."""

    __tablename__ = "carrier_bookings"

    order_id: str = Field(primary_key=True, max_length=66)
    carrier: str = Field(primary_key=True, max_length=66, index=True)
    booked_by: str = Field(max_length=66)
    booked_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
