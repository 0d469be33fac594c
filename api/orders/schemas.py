"""Bodies of the purchase-order endpoints. Money in documents: major units as strings (ERP style)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.participants.schemas import TxOut
from api.trade.documents import TransportMode


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PoLineIn(_Body):
    line_no: int = Field(ge=1)
    item: str
    description: str = ""
    quantity: str = Field(description='decimal string, e.g. "12.5"')
    unit: str = Field(description="UN/ECE unit code: EA, PCE, KGM, MTR, LTR …")
    unit_price: str = Field(description='major units, e.g. "1234.50"')
    tax: str = "0"
    hs_code: str | None = Field(
        default=None, pattern=r"^\d{6,10}$", description="HS code (6-10 digits), for cross-border matching"
    )


class PurchaseOrderIn(_Body):
    po_number: str = Field(min_length=1, max_length=64)
    supplier: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="the supplier's organisation id")
    currency: str = Field(description="ISO 4217, e.g. USD")
    issue_date: date
    delivery_date: date | None = None
    lines: list[PoLineIn] = Field(min_length=1, max_length=1000)
    cross_border: bool = Field(
        default=False,
        description="match this order's invoices in cross-border mode: order, payment and waybill "
        "against the customs declaration (三單對碰) as well",
    )


class PurchaseOrderCsv(_Body):
    """A CSV upload, as the idempotency check sees it."""

    csv: str
    supplier: str
    cross_border: bool = False


class DeliveryLineIn(_Body):
    po_line_no: int = Field(ge=1)
    item: str
    quantity: str
    unit: str


class ShipmentIn(_Body):
    bl_number: str = Field(min_length=1, max_length=64)
    port_of_loading: str
    port_of_discharge: str
    shipped_on_board_at: AwareDatetime = Field(description="ISO 8601 with a timezone")
    lines: list[DeliveryLineIn] = Field(min_length=1, max_length=1000)
    transport_mode: TransportMode | None = Field(
        default=None, description="main transport mode, for scope 3 freight emissions without measured fuel"
    )
    gross_weight_kg: Decimal | None = Field(
        default=None, gt=0, max_digits=15, decimal_places=3, description='gross weight in kg, e.g. "12500"'
    )


class PaymentIn(_Body):
    """The buyer's payment of the order (its bank's remittance advice): evidence for cross-border matching."""

    payment_ref: str = Field(min_length=1, max_length=64, description="the bank's payment reference")
    currency: str = Field(description="ISO 4217, e.g. USD")
    amount: str = Field(description='major units, e.g. "11000.00"')
    paid_at: AwareDatetime = Field(description="ISO 8601 with a timezone")


class GoodsReceiptIn(_Body):
    receipt_number: str = Field(min_length=1, max_length=64)
    received_at: AwareDatetime = Field(description="ISO 8601 with a timezone")
    lines: list[DeliveryLineIn] = Field(min_length=1, max_length=1000)


class DocumentOut(BaseModel):
    id: str
    type: str
    number: str
    issuer: str
    commitment: str
    anchored_block: int
    content: dict[str, Any] | None = Field(description="the normalised document; shown to its parties")


class EventOut(BaseModel):
    block: int
    tx_hash: str
    contract: str
    event: str
    args: dict[str, Any]


class OrderOut(BaseModel):
    id: str
    po_number: str
    buyer: str
    supplier: str
    currency: str
    total_minor: int
    invoiced_minor: int
    status: str
    receipts: int
    shipments: int
    documents: list[DocumentOut] = []
    timeline: list[EventOut] = []
    tx: TxOut | None = None


class CarrierBookingIn(_Body):
    """A trading party books a logistics provider to carry the order (the only kind that posts shipments)."""

    carrier: str = Field(
        pattern=r"^0x[0-9a-fA-F]{64}$", description="the logistics provider's organisation id"
    )


class CarrierBookingOut(BaseModel):
    order_id: str
    carrier: str
    booked_by: str = Field(description="the buyer or the supplier of the order")
    booked_at: datetime
