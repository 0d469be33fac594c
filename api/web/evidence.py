"""What a receivable's page shows of its evidence: the purchase order, the deliveries and the invoice line
by line, side by side, each discrepancy of the attested match result in words beside the line it is about.

Nothing is matched here: the lines are read from the documents the service returns (``ReceivableOut.
documents``, whose contents only their parties see) and the findings from its attested ``MatchOut``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from api.orders.schemas import DocumentOut
from api.receivables.schemas import DiscrepancyOut, MatchOut
from api.web.pages import money

# code -> (what it means, whether expected/actual are amounts in minor units)
MEANINGS: dict[str, tuple[str, bool]] = {
    "PO_MISMATCH": ("a document refers to another purchase order", False),
    "PARTY_MISMATCH": ("the buyer or the supplier differ from the purchase order's", False),
    "CURRENCY_MISMATCH": ("the invoice is in another currency than the purchase order", False),
    "DATE_INCONSISTENT": ("the invoice is dated before the order or the first delivery", False),
    "DUPLICATE_INVOICE": ("the invoice repeats an earlier invoice", False),
    "LINE_NOT_ON_PO": ("the line is not on the purchase order", False),
    "ITEM_MISMATCH": ("the item differs from the purchase order line", False),
    "UNIT_MISMATCH": ("the unit differs from the purchase order line", False),
    "PRICE_VARIANCE": ("the unit price differs from the purchase order", True),
    "AMOUNT_MISMATCH": ("the line amount is not quantity × unit price", True),
    "TAX_MISMATCH": ("the tax differs from the purchase order line's, pro rata", True),
    "TOTAL_MISMATCH": ("the invoice totals do not add up from its lines", True),
    "QTY_NOT_RECEIVED": ("more is invoiced than was received", False),
    "OVER_INVOICED": ("more is invoiced (all invoices together) than was ordered", False),
    "OVER_RECEIVED": ("more was received than ordered", False),
}
# code -> the column of the side-by-side table it marks
COLUMN = {
    "ITEM_MISMATCH": "item",
    "UNIT_MISMATCH": "invoiced_quantity",
    "QTY_NOT_RECEIVED": "invoiced_quantity",
    "OVER_INVOICED": "invoiced_quantity",
    "PRICE_VARIANCE": "unit_price",
    "AMOUNT_MISMATCH": "amount",
    "TAX_MISMATCH": "amount",
    "OVER_RECEIVED": "received",
}


@dataclass(frozen=True)
class Finding:
    """One discrepancy of the match result, in words."""

    code: str
    line_no: int
    text: str
    tolerated: bool


@dataclass
class LineView:
    """One purchase order line (or an invoiced line that is on no PO line) across the three documents."""

    line_no: int
    item: str
    ordered: dict[str, Any] | None = None  # the PO line
    received: Decimal | None = None  # summed over the deliveries
    received_unit: str = ""
    invoiced: dict[str, Any] | None = None  # the invoice line
    findings: list[Finding] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return any(not f.tolerated for f in self.findings)

    def flag(self, column: str) -> Finding | None:
        """The discrepancy that marks ``column`` of this line, the untolerated one first."""
        marks = [f for f in self.findings if COLUMN.get(f.code) == column]
        return min(marks, key=lambda f: f.tolerated) if marks else None


@dataclass
class Evidence:
    lines: list[LineView]
    header: list[Finding]  # the discrepancies about whole documents
    shown: bool  # False when the documents' contents are not shown to the viewer (not a party)
    deliveries: str  # what "received" counts: "goods receipts", "shipments" or "" (none yet)
    tolerance: dict[str, str] | None
    currency: str


def finding(d: DiscrepancyOut, currency: str) -> Finding:
    meaning, amounts = MEANINGS.get(d.code, (d.code.replace("_", " ").lower(), False))

    def value(text: str) -> str:
        return money(int(text), currency) if amounts and text.isdigit() else text

    verdict = "within tolerance, accepted" if d.within_tolerance else "outside tolerance"
    text = f"{meaning}: expected {value(d.expected)}, found {value(d.actual)} ({verdict})"
    return Finding(d.code, d.line_no, text, d.within_tolerance)


def contents(documents: Iterable[DocumentOut], kind: str) -> list[dict[str, Any]]:
    """The contents of the documents of one ``kind`` the viewer may read."""
    return [d.content for d in documents if d.type == kind and d.content is not None]


def per_line(docs: Iterable[dict[str, Any]]) -> dict[int, Decimal]:
    """Quantities per purchase order line, summed over documents' lines (deliveries or invoices)."""
    summed: dict[int, Decimal] = defaultdict(Decimal)
    for doc in docs:
        for line in doc["lines"]:
            summed[line["po_line_no"]] += Decimal(line["quantity"])
    return dict(summed)


def deliveries(documents: Iterable[DocumentOut]) -> tuple[str, list[dict[str, Any]]]:
    """What the match counts as received: the goods receipts when there are any, else the shipments."""
    documents = list(documents)
    receipts = contents(documents, "goods_receipt")
    if receipts:
        return "goods receipts", receipts
    shipments = contents(documents, "shipment")
    return ("shipments" if shipments else ""), shipments


def evidence(documents: list[DocumentOut], match: MatchOut | None, currency: str) -> Evidence:
    """The three documents side by side, line by line, with the match result's findings."""
    findings = [finding(d, currency) for d in match.discrepancies] if match else []
    po = next(iter(contents(documents, "purchase_order")), None)
    invoice = next(iter(contents(documents, "invoice")), None)
    kind, delivered = deliveries(documents)

    lines: dict[int, LineView] = {}
    for line in po["lines"] if po else []:
        lines[line["line_no"]] = LineView(line["line_no"], line["item"], ordered=line)
    for delivery in delivered:
        for line in delivery["lines"]:
            view = lines.setdefault(line["po_line_no"], LineView(line["po_line_no"], line["item"]))
            view.received_unit = line["unit"]
    for n, quantity in per_line(delivered).items():
        lines[n].received = quantity
    for line in invoice["lines"] if invoice else []:
        view = lines.setdefault(line["po_line_no"], LineView(line["po_line_no"], line["item"]))
        view.invoiced = line
    for f in findings:
        if f.line_no:
            lines.setdefault(f.line_no, LineView(f.line_no, "")).findings.append(f)
    return Evidence(
        lines=[lines[n] for n in sorted(lines)],
        header=[f for f in findings if not f.line_no],
        shown=po is not None and invoice is not None,
        deliveries=kind,
        tolerance=match.tolerance if match else None,
        currency=currency,
    )
