"""Receivables as the index sees them (a projection of Receivables events)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime
from sqlmodel import Field, SQLModel


class ReceivableRow(SQLModel, table=True):
    __tablename__ = "receivables"

    receivable_id: str = Field(primary_key=True, max_length=66)  # the ERC-721 token id as 0x + 64 hex
    creditor: str = Field(max_length=66, index=True)
    debtor: str = Field(max_length=66, index=True)
    holder: str = Field(max_length=66, index=True)  # organisation of the token's owner
    holder_account: str = Field(max_length=42)
    order_id: str = Field(max_length=66, index=True)
    invoice_doc: str = Field(max_length=66)
    currency: str = Field(max_length=3)
    face_value: int = Field(sa_column=Column(BigInteger, nullable=False))
    repaid: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(max_length=16)  # issued | confirmed | split | repaid | overdue
    match_status: str = Field(max_length=32)  # pending | matched | matched_within_tolerance | discrepant
    match_result: str | None = Field(default=None, max_length=66)
    waived: bool = False
    due_date: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    parent: str | None = Field(default=None, max_length=66)
    issued_block: int
    issued_tx: str = Field(max_length=66)


class MatchingTolerance(SQLModel, table=True):
    """A buyer's tolerances for three-document matching (off-chain setting; the result cites them)."""

    __tablename__ = "matching_tolerances"

    org_id: str = Field(primary_key=True, max_length=66)
    price_pct: str = Field(max_length=16)  # decimal string
    qty_pct: str = Field(max_length=16)
    amount_abs: int = Field(sa_column=Column(BigInteger, nullable=False))
