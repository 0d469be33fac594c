"""Bodies of the financing, repayment and cash endpoints. Amounts are integer minor units."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.participants.schemas import TxOut


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FinancingRequestIn(_Body):
    min_advance_minor: int = Field(default=0, ge=0, description="the least advance you accept")


class GreenTermsIn(_Body):
    """Better terms for a holder whose verified carbon score is at least ``min_score_bps``."""

    advance_minor: int = Field(gt=0, description="the advance if green terms apply (at least the offer's)")
    discount_bps: int = Field(ge=0, le=10_000, description="the lower annual discount rate")
    min_score_bps: int = Field(
        ge=0, le=10_000, description="the least verified reduction against the holder's baseline, in bps"
    )


class OfferIn(_Body):
    advance_minor: int = Field(gt=0, description="cash paid to the holder at funding")
    discount_bps: int = Field(ge=0, le=10_000, description="annual discount rate in basis points")
    tenor_days: int = Field(gt=0, le=3650)
    recourse: bool = Field(default=False, description="the holder answers for the debtor's default")
    green: GreenTermsIn | None = Field(default=None, description="green receivable terms, optional")

    @model_validator(mode="after")
    def _green_terms_are_better(self) -> OfferIn:
        if self.green is not None and (
            self.green.discount_bps >= self.discount_bps or self.green.advance_minor < self.advance_minor
        ):
            raise ValueError("green terms need a lower discount rate and at least the same advance")
        return self


class PledgeIn(_Body):
    token_id: str = Field(
        pattern=r"^0x[0-9a-fA-F]{64}$", description="the carbon credit token (project, vintage)"
    )
    kg: int = Field(gt=0, description="credits pledged, in kg CO2e")


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
    green: GreenTermsIn | None = None


class CollateralOut(BaseModel):
    token_id: str
    kg: int
    status: str = Field(description="pledged (locked while the financing is live), released or seized")


class FinancingOut(BaseModel):
    id: str
    receivable_id: str
    holder: str
    min_advance_minor: int
    status: str
    financier: str | None
    advance_minor: int | None
    discount_bps: int | None = None
    green: bool = Field(default=False, description="the green terms applied (the holder's carbon score)")
    collateral: CollateralOut | None = None
    offers: list[OfferOut] = []
    tx: TxOut | None = None


class BalanceOut(BaseModel):
    organisation: str
    currency: str
    balance_minor: int
    tx: TxOut | None = None
