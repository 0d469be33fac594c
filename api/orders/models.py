"""Purchase orders as the index sees them (a projection of PurchaseOrders events)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
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
