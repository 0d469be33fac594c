"""The carrier's shipment form: the order (one it is booked on), the bill of lading and its lines, turned
into the API's ``ShipmentIn`` when it is sent (``OrdersService.add_shipment`` checks the rest, as for the
API: an order the carrier is not booked on is not found)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Form
from pydantic import ValidationError

from api.orders.schemas import ShipmentIn
from api.trade.documents import TRANSPORT_MODES
from api.web.form_problems import Location, dotted, invalid_document
from chain.errors import InvalidInput, TradeLedgerError

LINE_ROWS = 3  # line rows the form offers; rows left empty are not sent
LINE_FIELDS = ("po_line_no", "item", "quantity", "unit")
LABELS = {
    "order_id": "Purchase order",
    "bl_number": "Bill of lading number",
    "port_of_loading": "Port of loading",
    "port_of_discharge": "Port of discharge",
    "shipped_on_board_at": "Shipped on board at",
    "transport_mode": "Transport mode",
    "gross_weight_kg": "Gross weight (kg)",
    "lines": "Lines",
    "po_line_no": "PO line",
    "item": "item",
    "quantity": "quantity",
    "unit": "unit",
}


@dataclass
class LineRow:
    po_line_no: str = ""
    item: str = ""
    quantity: str = ""
    unit: str = ""

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name).strip() for name in LINE_FIELDS)


@dataclass
class ShipmentForm:
    """What the form was filled with, shown again beside its errors."""

    order_id: str = ""
    bl_number: str = ""
    port_of_loading: str = ""
    port_of_discharge: str = ""
    shipped_on_board_at: str = ""
    transport_mode: str = ""
    gross_weight_kg: str = ""
    rows: list[LineRow] = field(default_factory=lambda: [LineRow() for _ in range(LINE_ROWS)])
    error: TradeLedgerError | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)  # the inputs to mark aria-invalid (``lines.0.item``)

    modes = TRANSPORT_MODES

    def failed(self, error: TradeLedgerError) -> None:
        self.error, self.problems = error, list(error.extra.get("errors", []))

    def body(self) -> ShipmentIn:
        """The form as ``ShipmentIn``; 422 with one problem per field when it is not one."""
        if not self.order_id.strip():
            self.invalid.add("order_id")
            raise InvalidInput("choose the purchase order you ship", code="missing_order")
        sent = [(n, r) for n, r in enumerate(self.rows) if not r.empty]
        data: dict[str, Any] = {
            "bl_number": self.bl_number.strip(),
            "port_of_loading": self.port_of_loading.strip(),
            "port_of_discharge": self.port_of_discharge.strip(),
            "shipped_on_board_at": self.shipped_on_board_at.strip(),
            "transport_mode": self.transport_mode or None,
            "gross_weight_kg": self.gross_weight_kg.strip() or None,
            "lines": [{name: getattr(r, name).strip() for name in LINE_FIELDS} for _, r in sent],
        }
        try:
            return ShipmentIn.model_validate(data)
        except ValidationError as exc:
            rows = [n for n, _ in sent]
            self.invalid = {_input(e["loc"], rows) for e in exc.errors()}
            raise invalid_document(exc, lambda loc: _label(loc, rows)) from None


def _input(loc: Location, rows: list[int]) -> str:
    """The form input a problem is about: ``lines.<row>.<field>`` counts the form's rows, not those sent."""
    if loc[:1] == ("lines",) and len(loc) >= 2 and isinstance(loc[1], int):
        return dotted(("lines", rows[loc[1]], *loc[2:3]))
    return str(loc[0])


def _label(loc: Location, rows: list[int]) -> str:
    """A problem's field named as the form labels it: ``Line row 2 quantity``, ``Bill of lading number``."""
    if loc[:1] == ("lines",) and len(loc) >= 2 and isinstance(loc[1], int):
        what = LABELS.get(str(loc[2]), str(loc[2])) if len(loc) >= 3 else "line"
        return f"Line row {rows[loc[1]] + 1} {what}"
    if loc == ("lines",):
        return "Lines (fill in at least one row)"
    return LABELS.get(str(loc[0]), str(loc[0]))


async def shipment_form(
    order_id: Annotated[str, Form()] = "",
    bl_number: Annotated[str, Form()] = "",
    port_of_loading: Annotated[str, Form()] = "",
    port_of_discharge: Annotated[str, Form()] = "",
    shipped_on_board_at: Annotated[str, Form()] = "",
    transport_mode: Annotated[str, Form()] = "",
    gross_weight_kg: Annotated[str, Form()] = "",
    po_line_no: Annotated[list[str] | None, Form()] = None,
    item: Annotated[list[str] | None, Form()] = None,
    quantity: Annotated[list[str] | None, Form()] = None,
    unit: Annotated[list[str] | None, Form()] = None,
) -> ShipmentForm:
    columns = [po_line_no or [], item or [], quantity or [], unit or []]
    count = max(LINE_ROWS, *(len(c) for c in columns))
    rows = [LineRow(*(c[n] if n < len(c) else "" for c in columns)) for n in range(count)]
    return ShipmentForm(
        order_id.strip(),
        bl_number,
        port_of_loading,
        port_of_discharge,
        shipped_on_board_at,
        transport_mode,
        gross_weight_kg,
        rows,
    )


ShipmentFormDep = Annotated[ShipmentForm, Depends(shipment_form)]
