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
    discount_bps: int | None = None  # of the accepted terms (the green rate when green applied)
    green: bool = False  # the holder's carbon score qualified for the offer's green terms
    collateral_token: str | None = Field(default=None, max_length=66)  # pledged carbon credits
    collateral_kg: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    collateral_status: str | None = Field(default=None, max_length=16)  # pledged | released | seized


class OfferRow(SQLModel, table=True):
    __tablename__ = "financing_offers"

    financing_id: str = Field(primary_key=True, max_length=66)
    financier: str = Field(primary_key=True, max_length=66)
    advance: int = Field(sa_column=Column(BigInteger, nullable=False))
    discount_bps: int
    tenor_days: int
    recourse: bool
    offered_block: int
    green_advance: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    green_discount_bps: int | None = None
    green_min_score_bps: int | None = None
