"""Bodies and answers of ``/api/v1/letters-of-credit``.

Money: integer minor units + ISO 4217; dates ISO 8601."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.credit.examination import (
    BillOfLading,
    CertificateOfOrigin,
    CommercialInvoice,
    DocumentType,
    ExaminationReport,
    InsuranceDocument,
    PackingList,
)
from api.participants.schemas import TxOut

ORG_ID = r"^0x[0-9a-fA-F]{64}$"
# a date the contract keeps as unsigned seconds since 1970
ChainDate = Annotated[date, Field(ge=date(1970, 1, 1))]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreditIn(_Body):
    """The full terms of the credit: the examination engine's ``CreditTerms`` (the applicant's and the
    beneficiary's names come from their organisations) plus the parties and the payment."""

    number: str = Field(min_length=1, max_length=64, description="your reference for the credit")
    issuing_bank: str = Field(pattern=ORG_ID, description="organisation id of the issuing bank")
    advising_bank: str = Field(pattern=ORG_ID, description="organisation id of the advising bank")
    beneficiary: str = Field(pattern=ORG_ID, description="organisation id of the beneficiary (the seller)")
    payment: Literal["sight", "deferred"] = "sight"
    deferred_days: int = Field(default=0, ge=0, le=3650, description="deferred payment: days after honour")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")
    amount: int = Field(gt=0, description="minor units")
    amount_tolerance_pct: Decimal | None = Field(
        default=None, ge=0, le=100, decimal_places=2, description="e.g. 5 for +/-5 % (whole basis points)"
    )
    about_amount: bool = Field(default=False, description='"about": +/-10 % (UCP 600 Art. 30(a))')
    goods_description: str = Field(min_length=1, max_length=512)
    quantity: Decimal | None = Field(default=None, gt=0)
    quantity_unit: str | None = Field(default=None, max_length=16)
    about_quantity: bool = False
    unit_price: int | None = Field(default=None, gt=0)
    about_unit_price: bool = False
    expiry_date: ChainDate
    expiry_place: str = Field(default="", max_length=128)
    latest_shipment_date: ChainDate
    presentation_period_days: int = Field(default=21, ge=1, le=366)
    partial_shipments_allowed: bool = True
    transshipment_allowed: bool = True
    port_of_loading: str | None = Field(default=None, max_length=64)
    port_of_discharge: str | None = Field(default=None, max_length=64)
    incoterm: str | None = Field(default=None, max_length=8)
    required_documents: tuple[DocumentType, ...] = (
        DocumentType.COMMERCIAL_INVOICE,
        DocumentType.BILL_OF_LADING,
    )

    @model_validator(mode="after")
    def _consistent(self) -> CreditIn:
        if self.expiry_date < self.latest_shipment_date:
            raise ValueError("the expiry date cannot be before the latest shipment date")
        if self.payment == "deferred" and self.deferred_days == 0:
            raise ValueError("a deferred payment credit needs deferred_days")
        if self.payment == "sight" and self.deferred_days != 0:
            raise ValueError("deferred_days only for a deferred payment credit")
        return self


class AmendmentIn(_Body):
    """The terms the issuing bank changes; binding only once the beneficiary accepts."""

    amount: int | None = Field(default=None, gt=0, description="minor units")
    amount_tolerance_pct: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=2)
    expiry_date: ChainDate | None = None
    latest_shipment_date: ChainDate | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> AmendmentIn:
        if not self.model_fields_set:
            raise ValueError("an amendment changes at least one term")
        return self


class PresentationIn(_Body):
    """The documents presented, as the examination engine reads them, and the amount claimed.

    The API fills the presentation date (the chain's date) and what was drawn before (the contract's
    ``drawn``), so neither is yours to state."""

    amount_minor: int = Field(gt=0)
    invoice: CommercialInvoice | None = None
    bills_of_lading: tuple[BillOfLading, ...] = ()
    insurance: InsuranceDocument | None = None
    packing_list: PackingList | None = None
    certificate_of_origin: CertificateOfOrigin | None = None

    @model_validator(mode="after")
    def _claims_no_more_than_invoiced(self) -> PresentationIn:
        # the examination checks the invoice; what is paid is amount_minor, so it may not exceed it
        if self.invoice is not None and self.amount_minor > self.invoice.amount:
            raise ValueError("amount_minor cannot exceed the invoice's amount")
        return self


class AmendmentOut(BaseModel):
    number: int
    changes: dict[str, Any]
    terms_hash: str
    status: Literal["pending", "accepted", "rejected"]


class PresentationOut(BaseModel):
    id: str
    credit_id: str
    amount_minor: int
    status: str = Field(description="presented|complying|discrepant|refused|waived|honoured|accepted")
    documents_hash: str
    result_hash: str | None = None
    receivable_id: str | None = Field(default=None, description="deferred payment: the receivable created")
    tx: TxOut | None = None


class PresentationDetailOut(PresentationOut):
    documents: dict[str, Any]
    report: ExaminationReport | None = None


class CreditOut(BaseModel):
    id: str
    number: str
    applicant: str
    issuing_bank: str
    advising_bank: str
    beneficiary: str
    currency: str
    payment: str
    status: str = Field(description="applied | issued | advised | expired | cancelled")
    terms: dict[str, Any] = Field(description="the full terms in force (after accepted amendments)")
    terms_hash: str
    drawn_minor: int
    available_minor: int
    amendments: list[AmendmentOut] = []
    presentations: list[PresentationOut] = []
    tx: TxOut | None = None
