"""Bodies of the invoice and receivable endpoints."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.db import INT64_MAX
from api.orders.schemas import DocumentOut, EventOut
from api.participants.schemas import TxOut, UtcDatetime


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InvoiceLineIn(_Body):
    po_line_no: int = Field(ge=1)
    item: str
    quantity: str = Field(description='decimal string, e.g. "12.5"')
    unit: str
    unit_price: str = Field(description='major units, e.g. "1234.50"')
    amount: str | None = Field(default=None, description="major units; computed when omitted")
    tax: str = "0"


class InvoiceIn(_Body):
    order_id: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="the purchase order invoiced")
    invoice_number: str = Field(min_length=1, max_length=64)
    currency: str
    issue_date: date
    due_date: date
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=1000)
    total: str | None = Field(default=None, description="major units; computed when omitted")


class ConfirmIn(_Body):
    waive_discrepancies: bool = Field(
        default=False, description="confirm a discrepant receivable anyway; the waiver is recorded on chain"
    )


class SplitIn(_Body):
    amounts_minor: list[Annotated[int, Field(gt=0, le=INT64_MAX)]] = Field(
        min_length=2, max_length=20, description="parts in minor units"
    )


class TransferIn(_Body):
    to: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="the receiving organisation")


class DiscrepancyOut(BaseModel):
    code: str
    line_no: int
    expected: str
    actual: str
    within_tolerance: bool


class MatchOut(BaseModel):
    status: str
    rules_version: str
    result_hash: str
    discrepancies: list[DiscrepancyOut]
    document: str | None = Field(description="the anchored MatchResult document")
    tolerance: dict[str, str] | None = Field(
        default=None,
        description="the buyer's tolerances the result was computed under (price_pct, qty_pct, amount_abs)",
    )


class ReceivableOut(BaseModel):
    id: str
    creditor: str
    debtor: str
    holder: str
    order_id: str
    currency: str
    face_value_minor: int
    repaid_minor: int
    status: str
    match_status: str
    waived: bool
    due_date: UtcDatetime
    parent: str | None
    match: MatchOut | None = None
    documents: list[DocumentOut] = []
    financings: list[dict[str, object]] = []
    timeline: list[EventOut] = []
    tx: TxOut | None = None


class SplitOut(BaseModel):
    parent: ReceivableOut
    parts: list[ReceivableOut]
    tx: TxOut
