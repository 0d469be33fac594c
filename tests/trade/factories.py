"""Small factories of normalised trade documents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from api.trade.documents import GoodsReceipt, Invoice, InvoiceLine, Line, PurchaseOrder, ReceiptLine, Shipment
from api.trade.money import line_amount

BUYER = "0x" + "b1" * 32
SUPPLIER = "0x" + "5e" * 32
CARRIER = "0x" + "ca" * 32


def make_po(
    lines: int = 3, *, price: int = 1_250, qty: str = "10", tax: int = 0, **overrides: Any
) -> PurchaseOrder:
    po_lines = [
        Line(
            line_no=n,
            item=f"SKU-{n}",
            description=f"part {n}",
            quantity=Decimal(qty),
            unit="EA",
            unit_price=price * n,
            amount=line_amount(Decimal(qty), price * n),
            tax=tax,
        )
        for n in range(1, lines + 1)
    ]
    fields: dict[str, Any] = {
        "po_number": "PO-1",
        "buyer": BUYER,
        "supplier": SUPPLIER,
        "currency": "USD",
        "issue_date": date(2026, 3, 1),
        "lines": po_lines,
        "total": sum(x.amount + x.tax for x in po_lines),
    }
    return PurchaseOrder(**{**fields, **overrides})


def make_receipt(
    po: PurchaseOrder, fraction: str = "1", number: str = "GR-1", **overrides: Any
) -> GoodsReceipt:
    lines = [
        ReceiptLine(po_line_no=x.line_no, item=x.item, quantity=x.quantity * Decimal(fraction), unit=x.unit)
        for x in po.lines
    ]
    fields: dict[str, Any] = {
        "receipt_number": number,
        "po_number": po.po_number,
        "buyer": po.buyer,
        "supplier": po.supplier,
        "received_at": datetime(2026, 3, 20, 9, 0, tzinfo=UTC),
        "lines": lines,
    }
    return GoodsReceipt(**{**fields, **overrides})


def make_shipment(po: PurchaseOrder, fraction: str = "1") -> Shipment:
    lines = [
        ReceiptLine(po_line_no=x.line_no, item=x.item, quantity=x.quantity * Decimal(fraction), unit=x.unit)
        for x in po.lines
    ]
    return Shipment(
        bl_number="BL-1",
        po_number=po.po_number,
        carrier=CARRIER,
        shipper=po.supplier,
        consignee=po.buyer,
        port_of_loading="CNSZX",
        port_of_discharge="NLRTM",
        shipped_on_board_at=datetime(2026, 3, 10, tzinfo=UTC),
        lines=lines,
    )


def make_invoice(
    po: PurchaseOrder,
    fraction: str = "1",
    number: str = "INV-1",
    line_changes: dict[str, Any] | None = None,
    **overrides: Any,
) -> Invoice:
    lines = []
    for x in po.lines:
        qty = x.quantity * Decimal(fraction)
        fields = {
            "po_line_no": x.line_no,
            "item": x.item,
            "quantity": qty,
            "unit": x.unit,
            "unit_price": x.unit_price,
            "amount": line_amount(qty, x.unit_price),
            "tax": line_amount(qty / x.quantity, x.tax),
        }
        if x.line_no == 1 and line_changes:
            fields.update(line_changes)
            if "amount" not in line_changes:
                fields["amount"] = line_amount(fields["quantity"], fields["unit_price"])
        lines.append(InvoiceLine(**fields))
    subtotal, tax = sum(x.amount for x in lines), sum(x.tax for x in lines)
    base: dict[str, Any] = {
        "invoice_number": number,
        "po_number": po.po_number,
        "supplier": po.supplier,
        "buyer": po.buyer,
        "currency": po.currency,
        "issue_date": date(2026, 3, 25),
        "due_date": date(2026, 6, 23),
        "lines": lines,
        "subtotal": subtotal,
        "tax_total": tax,
        "total": subtotal + tax,
    }
    return Invoice(**{**base, **overrides})
