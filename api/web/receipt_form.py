"""The buyer's goods receipt form on an order's page: one row per purchase order line, prefilled with what
is ordered and not received yet, turned into the API's ``GoodsReceiptIn`` when it is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Form
from pydantic import ValidationError

from api.orders.schemas import GoodsReceiptIn, OrderOut
from api.web.evidence import contents, per_line
from api.web.form_problems import invalid_document, line_field, quantity_text
from chain.errors import InvalidInput, TradeLedgerError


@dataclass
class ReceiptRow:
    line_no: int
    item: str
    unit: str
    ordered: str
    received: str  # by the receipts before this one
    quantity: str  # received now


@dataclass
class ReceiptForm:
    receipt_number: str = ""
    received_at: str = ""  # an <input type="datetime-local"> value, in UTC
    sent: dict[int, str] = field(default_factory=dict)  # line number -> quantity, as posted
    error: TradeLedgerError | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def failed(self, error: TradeLedgerError) -> None:
        self.error, self.problems = error, list(error.extra.get("errors", []))

    def rows(self, order: OrderOut) -> list[ReceiptRow]:
        """The order's lines, each prefilled with what is still to receive (or with what was sent)."""
        po: dict[str, Any] = next(iter(contents(order.documents, "purchase_order")), {"lines": []})
        before = per_line(contents(order.documents, "goods_receipt"))
        rows = []
        for line in po["lines"]:
            n, ordered = line["line_no"], Decimal(line["quantity"])
            got = before.get(n, Decimal(0))
            still = quantity_text(max(ordered - got, Decimal(0)))
            rows.append(
                ReceiptRow(
                    n,
                    line["item"],
                    line["unit"],
                    line["quantity"],
                    quantity_text(got),
                    self.sent.get(n, still),
                )
            )
        return rows

    def body(self, order: OrderOut) -> GoodsReceiptIn:
        """The form as ``GoodsReceiptIn``: the lines with a quantity, each with the order line's item and
        unit; the time taken as UTC."""
        received = [r for r in self.rows(order) if r.quantity.strip() not in ("", "0")]
        lines = [
            {"po_line_no": r.line_no, "item": r.item, "quantity": r.quantity.strip(), "unit": r.unit}
            for r in received
        ]
        if not lines:
            raise InvalidInput("enter the quantity received on at least one line", code="receipt_no_lines")
        try:
            at = datetime.fromisoformat(self.received_at).replace(tzinfo=UTC)
        except ValueError:
            raise InvalidInput(
                "enter when the goods were received (date and time, UTC)", code="invalid_received_at"
            ) from None
        data = {"receipt_number": self.receipt_number.strip(), "received_at": at, "lines": lines}
        try:
            return GoodsReceiptIn.model_validate(data)
        except ValidationError as exc:
            raise invalid_document(exc, line_field([r.line_no for r in received])) from None


def _posted_receipt(
    receipt_number: Annotated[str, Form()] = "",
    received_at: Annotated[str, Form()] = "",
    line_no: Annotated[list[int] | None, Form()] = None,
    quantity: Annotated[list[str] | None, Form()] = None,
) -> ReceiptForm:
    sent = dict(zip(line_no or [], quantity or [], strict=False))
    return ReceiptForm(receipt_number, received_at, sent)


ReceiptFormDep = Annotated[ReceiptForm, Depends(_posted_receipt)]
