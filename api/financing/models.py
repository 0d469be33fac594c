"""Financings and offers as the index sees them (a projection of Financing events)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class FinancingRow(SQLModel, table=True):
    __tablename__ = "financings"

    financing_id: str = Field(primary_key=True, max_length=66)
    receivable_id: str = Field(max_length=66, index=True)
    holder: str = Field(max_length=66, index=True)
    min_advance: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(
        max_length=24
    )  # requested | pending_review | funded | repaid | cancelled | recourse_claimed
    financier: str | None = Field(default=None, max_length=66, index=True)
    advance: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    requested_block: int
    funded_block: int | None = None


class OfferRow(SQLModel, table=True):
    __tablename__ = "financing_offers"

    financing_id: str = Field(primary_key=True, max_length=66)
    financier: str = Field(primary_key=True, max_length=66)
    advance: int = Field(sa_column=Column(BigInteger, nullable=False))
    discount_bps: int
    tenor_days: int
    recourse: bool
    offered_block: int
