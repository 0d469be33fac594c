"""Bodies of the audit endpoints: authorisations, the penetrating view of a transaction, governance
history and the access log."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from api.audit.grants import Via
from api.carbon.account import StatementOut
from api.carbon.router import ReadingOut
from api.customs.schemas import DeclarationOut
from api.financing.schemas import FinancingOut
from api.orders.schemas import DocumentOut, EventOut, OrderOut
from api.participants.schemas import OrganisationOut, UtcDatetime
from api.receivables.schemas import ReceivableOut

HEX32 = r"^0x[0-9a-fA-F]{64}$"
T = TypeVar("T")
GovernanceKind = Literal["access", "dual_control", "threshold", "upgrade", "membership", "pause"]


class AuthorisedOut(BaseModel):
    """An organisation you may audit, and by what."""

    organisation: OrganisationOut
    via: list[Via] = Field(
        description="grant: the organisation authorised you; mandate: the operator recorded your mandate"
    )
    since: UtcDatetime


class MandateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regulator: str = Field(pattern=HEX32, description="the regulator organisation")
    subject: str = Field(pattern=HEX32, description="the member it supervises")


class MandateOut(BaseModel):
    regulator: str
    subject: str
    recorded_by: str
    recorded_at: UtcDatetime


class Layer(BaseModel, Generic[T]):
    """One record of a transaction with its on-chain anchor and every indexed event about it."""

    record: T
    anchor: EventOut | None = Field(description="the event that put it on chain (block, tx hash)")
    events: list[EventOut] = Field(description="every indexed event mentioning it, oldest first")


class HolderOut(BaseModel):
    organisation: str | None = Field(description="None for an account of no member organisation")
    account: str
    block: int
    tx_hash: str


class ReceivableNode(ReceivableOut):
    """A receivable of the transaction's lineage: its parent (``parent``), its parts and its holders."""

    children: list[str] = Field(description="the parts it was split into")
    holders: list[HolderOut] = Field(description="every holder in turn, from the ERC-721 transfers")


class RepaymentOut(BaseModel):
    receivable_id: str
    amount_minor: int
    debtor: str
    holder: str | None = Field(description="the organisation paid: the receivable's holder at the time")
    block: int
    tx_hash: str


class TransactionOut(BaseModel):
    """A receivable or an order through every layer (穿透式): what the authorising organisations see.

    On-chain records are shown whole; document and declaration contents only where one of their
    parties authorised you, reading values only where the device owner did, financing offers only
    where the holder or the offering financier did. A receivable a letter of credit's deferred payment
    created has no order: its origin is the ``DeferredPaymentAccepted`` event among its events."""

    id: str
    kind: Literal["receivable", "order"]
    authorised_by: list[str] = Field(description="the transaction's parties that authorised you")
    order: Layer[OrderOut] | None = Field(
        default=None, description="none for a letter of credit's deferred payment (see its events)"
    )
    purchase_order: Layer[DocumentOut] | None = None
    shipments: list[Layer[DocumentOut]] = Field(
        default=[], description="bills of lading, with ShipmentRecorded"
    )
    goods_receipts: list[Layer[DocumentOut]] = []
    customs: list[DeclarationOut] = Field(
        default=[], description="declarations with the status finalised on chain"
    )
    payments: list[Layer[DocumentOut]] = Field(
        default=[], description="the buyer's payment advices (cross-border)"
    )
    invoices: list[Layer[DocumentOut]] = []
    match_results: list[Layer[DocumentOut]] = []
    receivables: list[Layer[ReceivableNode]] = Field(description="the lineage: splits and transfers")
    financings: list[Layer[FinancingOut]]
    repayments: list[RepaymentOut]
    carbon_statements: list[Layer[StatementOut]] = Field(
        default=[], description="about the order or its shipments"
    )
    readings: list[Layer[ReadingOut]] = Field(
        default=[], description="bound to its shipments; anchor: their batch"
    )


class GovernanceEventOut(BaseModel):
    block: int
    tx_hash: str
    time: UtcDatetime = Field(description="the block's timestamp")
    kind: GovernanceKind
    contract: str
    event: str
    args: dict[str, Any]
    role: str | None = Field(default=None, description="the AccessManager role, by name")
    call: str | None = Field(default=None, description="a dual-control proposal's Contract.function")


class AccessOut(BaseModel):
    id: int
    at: UtcDatetime
    auditor: str
    api_key_id: int
    method: str
    path: str
    query: str | None
    status: int
    subject: str | None = Field(description="the organisation whose records were read")
    object_id: str | None = Field(description="the object read (document, transaction …); None for lists")
