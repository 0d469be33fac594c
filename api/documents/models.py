"""Off-chain documents: the normalised bytes behind each on-chain commitment.

Not a projection: these rows are the off-chain half of each anchor (the chain
holds only ``keccak256(abi.encode(salt, canonical))``), so a re-index keeps them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class StoredDocument(SQLModel, table=True):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("issuer", "doc_type", "number", name="uq_documents_issuer_type_number"),
    )

    doc_id: str = Field(primary_key=True, max_length=66)  # DocumentId on chain
    issuer: str = Field(max_length=66, index=True)
    doc_type: str = Field(max_length=32)  # purchase_order | goods_receipt | shipment | invoice | match_result
    number: str = Field(max_length=64)
    po_number: str = Field(max_length=64, index=True)  # the PO the document belongs to
    buyer: str = Field(max_length=66, index=True)  # the PO's buyer: with po_number, the order it belongs to
    canonical: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    salt: str = Field(max_length=66)
    commitment: str = Field(max_length=66)
    anchored_block: int
    anchored_tx: str = Field(max_length=66)
    cid: str | None = Field(default=None, max_length=128)  # the encrypted copy in the document store
    wrapped_key: str | None = Field(default=None, max_length=256)  # its AES key, wrapped by the master key
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
