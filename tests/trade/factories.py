"""Small factories of normalised trade documents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from api.trade.documents import (
    CustomsDeclaration,
    DeclarationLine,
    GoodsReceipt,
    Invoice,
    InvoiceLine,
    Line,
    PaymentAdvice,
    PurchaseOrder,
    ReceiptLine,
    Shipment,
)
from api.trade.money import line_amount

BUYER = "0x" + "b1" * 32
SUPPLIER = "0x" + "5e" * 32
CARRIER = "0x" + "ca" * 32


def hs_code_of(line_no: int) -> str:
    """The HS code ``make_po(hs_codes=True)`` gives line ``line_no`` (8 digits; 6 compared)."""
    return f"8708{line_no:02d}10"


def make_po(
    lines: int = 3,
    *,
    price: int = 1_250,
    qty: str = "10",
    tax: int = 0,
    hs_codes: bool = False,
    **overrides: Any,
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
            hs_code=hs_code_of(n) if hs_codes else None,
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


def make_shipment(po: PurchaseOrder, fraction: str = "1", number: str = "BL-1", **overrides: Any) -> Shipment:
    lines = [
        ReceiptLine(
            po_line_no=x.line_no,
            item=x.item,
            quantity=x.quantity * Decimal(fraction),
            unit=x.unit,
            hs_code=x.hs_code,
        )
        for x in po.lines
    ]
    fields: dict[str, Any] = {
        "bl_number": number,
        "po_number": po.po_number,
        "carrier": CARRIER,
        "shipper": po.supplier,
        "consignee": po.buyer,
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "shipped_on_board_at": SHIPPED_ON_BOARD,
        "lines": lines,
    }
    return Shipment(**{**fields, **overrides})


SHIPPED_ON_BOARD = datetime(2026, 3, 10, tzinfo=UTC)


def make_declaration(
    po: PurchaseOrder,
    fraction: str = "1",
    number: str = "DEC-1",
    *,
    waybill: str = "BL-1",
    direction: str = "export",
    line_changes: dict[str, Any] | None = None,
    extra_lines: tuple[DeclarationLine, ...] = (),
    **overrides: Any,
) -> CustomsDeclaration:
    """A declaration of ``fraction`` of every PO line, valued at the PO's prices; filed two days
    before ``SHIPPED_ON_BOARD`` for an export, twenty days after it for an import.

    ``line_changes`` apply to line 1; ``declared_value`` is the sum of the lines unless overridden."""
    lines = []
    for x in po.lines:
        qty = x.quantity * Decimal(fraction)
        fields: dict[str, Any] = {
            "line_no": x.line_no,
            "item": x.item,
            "hs_code": x.hs_code or hs_code_of(x.line_no),
            "description": x.description,
            "quantity": qty,
            "unit": x.unit,
            "value": line_amount(qty, x.unit_price),
            "origin_country": "CN",
        }
        if x.line_no == 1 and line_changes:
            fields.update(line_changes)
        lines.append(DeclarationLine(**fields))
    lines += extra_lines
    declared_at = datetime(2026, 3, 8, 8, 0, tzinfo=UTC)
    if direction == "import":
        declared_at = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    base: dict[str, Any] = {
        "declaration_number": number,
        "customs_office": "CNSZX01" if direction == "export" else "NLRTM01",
        "direction": direction,
        "exporter": po.supplier,
        "importer": po.buyer,
        "exporter_name": "Shenzhen Precision Parts",
        "importer_name": "ACME Motors",
        "po_number": po.po_number,
        "transport_document": waybill,
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "currency": po.currency,
        "declared_value": sum(x.value for x in lines),
        "declared_at": declared_at,
        "lines": lines,
    }
    return CustomsDeclaration(**{**base, **overrides})


def make_payment(
    po: PurchaseOrder, amount: int | None = None, ref: str = "PAY-1", **overrides: Any
) -> PaymentAdvice:
    """The buyer's payment of ``amount`` (the PO total unless given), five days after the PO."""
    fields: dict[str, Any] = {
        "payment_ref": ref,
        "po_number": po.po_number,
        "payer": po.buyer,
        "payee": po.supplier,
        "currency": po.currency,
        "amount": po.total if amount is None else amount,
        "paid_at": datetime(2026, 3, 6, 10, 0, tzinfo=UTC),
    }
    return PaymentAdvice(**{**fields, **overrides})


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
