"""Bodies of the financing, repayment and cash endpoints. Amounts are integer minor units."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.participants.schemas import TxOut


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FinancingRequestIn(_Body):
    min_advance_minor: int = Field(default=0, ge=0, description="the least advance you accept")


class OfferIn(_Body):
    advance_minor: int = Field(gt=0, description="cash paid to the holder at funding")
    discount_bps: int = Field(ge=0, le=10_000, description="annual discount rate in basis points")
    tenor_days: int = Field(gt=0, le=3650)
    recourse: bool = Field(default=False, description="the holder answers for the debtor's default")


class AcceptIn(_Body):
    financier: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="whose offer to accept")


class RepaymentIn(_Body):
    amount_minor: int = Field(gt=0)


class DepositIn(_Body):
    to: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="the organisation credited")
    amount_minor: int = Field(gt=0)


class OfferOut(BaseModel):
    financier: str
    advance_minor: int
    discount_bps: int
    tenor_days: int
    recourse: bool


class FinancingOut(BaseModel):
    id: str
    receivable_id: str
    holder: str
    min_advance_minor: int
    status: str
    financier: str | None
    advance_minor: int | None
    offers: list[OfferOut] = []
    tx: TxOut | None = None


class BalanceOut(BaseModel):
    organisation: str
    currency: str
    balance_minor: int
    tx: TxOut | None = None
