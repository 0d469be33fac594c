"""Three-document matching: purchase order, goods receipts / shipments, invoice (pure, versioned).

``match`` compares line by line (item, unit, quantity, unit price, line amount,
tax, currency, parties, dates) under the buyer's tolerances, applies the
cumulative rule *invoiced <= received <= ordered* across several receipts and
invoices, and detects duplicate invoices. The result is deterministic (line and
document order do not matter) and carries ``RULES_VERSION``: anyone holding the
documents recomputes the same ``result_hash``.

Codes (``Discrepancy.code``):

- ``PO_MISMATCH`` — a document refers to another PO number;
- ``PARTY_MISMATCH`` — buyer or supplier differ from the PO;
- ``CURRENCY_MISMATCH`` — the invoice is in another currency than the PO;
- ``DATE_INCONSISTENT`` — invoice dated before the PO or before the first delivery;
- ``DUPLICATE_INVOICE`` — same number or same content as an earlier invoice;
- ``LINE_NOT_ON_PO`` — an invoice or receipt line refers to no PO line;
- ``ITEM_MISMATCH`` / ``UNIT_MISMATCH`` — the line's item or unit differs from the PO line;
- ``PRICE_VARIANCE`` — unit price differs from the PO (within ``price_pct``: tolerated);
- ``AMOUNT_MISMATCH`` — line amount is not quantity × unit price;
- ``TAX_MISMATCH`` — tax differs from the PO line's tax pro rata (within ``amount_abs``: tolerated);
- ``TOTAL_MISMATCH`` — the invoice header totals do not add up from its lines;
- ``QTY_NOT_RECEIVED`` — more invoiced (cumulatively) than received (within ``qty_pct``: tolerated);
- ``OVER_INVOICED`` — more invoiced (cumulatively) than ordered;
- ``OVER_RECEIVED`` — more received than ordered (within ``qty_pct``: tolerated).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Literal

from eth_utils import keccak
from pydantic import BaseModel, ConfigDict

from api.trade.documents import (
    GoodsReceipt,
    Invoice,
    Line,
    PurchaseOrder,
    Shipment,
    canonical_bytes,
    canonical_json,
    invoice_fingerprint,
)
from api.trade.money import line_amount

RULES_VERSION = "match-1.0.0"

CODES = (
    "PO_MISMATCH",
    "PARTY_MISMATCH",
    "CURRENCY_MISMATCH",
    "DATE_INCONSISTENT",
    "DUPLICATE_INVOICE",
    "LINE_NOT_ON_PO",
    "ITEM_MISMATCH",
    "UNIT_MISMATCH",
    "PRICE_VARIANCE",
    "AMOUNT_MISMATCH",
    "TAX_MISMATCH",
    "TOTAL_MISMATCH",
    "QTY_NOT_RECEIVED",
    "OVER_INVOICED",
    "OVER_RECEIVED",
)

Status = Literal["matched", "matched_within_tolerance", "discrepant"]


@dataclass(frozen=True)
class Tolerance:
    """A buyer's tolerances: unit price and quantity in percent, amounts in minor units."""

    price_pct: Decimal = Decimal(0)
    qty_pct: Decimal = Decimal(0)
    amount_abs: int = 0

    def as_json(self) -> dict[str, str]:
        return {
            "price_pct": str(self.price_pct),
            "qty_pct": str(self.qty_pct),
            "amount_abs": str(self.amount_abs),
        }

    @classmethod
    def from_json(cls, value: dict[str, str]) -> Tolerance:
        return cls(Decimal(value["price_pct"]), Decimal(value["qty_pct"]), int(value["amount_abs"]))


@dataclass(frozen=True, order=True)
class Discrepancy:
    code: str
    line_no: int  # 0 for the whole document
    expected: str
    actual: str
    within_tolerance: bool = False


@dataclass(frozen=True)
class MatchResult:
    status: Status
    discrepancies: tuple[Discrepancy, ...]
    rules_version: str = RULES_VERSION
    inputs: tuple[str, ...] = field(default=())  # hex keccak of each input's canonical bytes, sorted

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "status": self.status,
                "rules_version": self.rules_version,
                "inputs": list(self.inputs),
                "discrepancies": [asdict(d) for d in self.discrepancies],
            }
        )

    def result_hash(self) -> bytes:
        return keccak(self.to_json())

    def as_document(self, subject: str, tolerance: Tolerance | None = None) -> MatchResultDocument:
        """The result as an anchorable document about ``subject`` (a receivable id), citing the
        ``tolerance`` it was computed under so that anyone holding the inputs can recompute it."""
        return MatchResultDocument(
            subject=subject,
            tolerance=tolerance.as_json() if tolerance is not None else None,
            status=self.status,
            rules_version=self.rules_version,
            inputs=list(self.inputs),
            discrepancies=[asdict(d) for d in self.discrepancies],
            result_hash="0x" + self.result_hash().hex(),
        )

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.discrepancies]


class MatchResultDocument(BaseModel):
    """A match result as it is anchored on chain (type MatchResult) and shown to the parties."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    # left out of the canonical bytes when unset: results anchored before it keep their bytes
    CANONICAL_OPTIONAL: ClassVar[tuple[str, ...]] = ("tolerance",)

    subject: str
    tolerance: dict[str, str] | None = None  # the buyer's tolerances (Tolerance.as_json)
    status: Status
    rules_version: str
    inputs: list[str]
    discrepancies: list[dict[str, Any]]
    result_hash: str


# --- shared with the other matching modes (crossborder.py) ---------------------------------------


def pct_off(actual: Decimal, expected: Decimal) -> Decimal:
    """How far ``actual`` is from ``expected``, in percent of ``expected`` (100 when expected is 0)."""
    return abs(actual - expected) * 100 / expected if expected else Decimal(100)


def status_of(discrepancies: Iterable[Discrepancy]) -> Status:
    """matched without discrepancies, within tolerance when all are tolerated, else discrepant."""
    found = list(discrepancies)
    if not found:
        return "matched"
    return "matched_within_tolerance" if all(d.within_tolerance for d in found) else "discrepant"


def input_hashes(documents: Iterable[BaseModel]) -> list[str]:
    """Hex keccak of each document's canonical bytes (unsorted; the result sorts its inputs)."""
    return [keccak(canonical_bytes(d)).hex() for d in documents]


class Findings:
    """The discrepancies found so far; each distinct one once."""

    def __init__(self) -> None:
        self.items: set[Discrepancy] = set()

    def add(
        self, code: str, line_no: int, expected: object, actual: object, *, tolerated: bool = False
    ) -> None:
        self.items.add(Discrepancy(code, line_no, str(expected), str(actual), tolerated))

    def result(self, rules_version: str, inputs: Iterable[str]) -> MatchResult:
        discrepancies = tuple(sorted(self.items))
        return MatchResult(status_of(discrepancies), discrepancies, rules_version, tuple(sorted(inputs)))


# --- receivables mode ---------------------------------------------------------------------------


def match(
    po: PurchaseOrder,
    receipts: Sequence[GoodsReceipt],
    shipments: Sequence[Shipment],
    invoice: Invoice,
    *,
    prior_invoices: Sequence[Invoice] = (),
    tolerance: Tolerance = Tolerance(),
) -> MatchResult:
    """Match ``invoice`` against ``po`` and its deliveries.

    ``prior_invoices`` are the earlier invoices on the same PO (for the cumulative rule and duplicates)."""
    found = Findings()
    po_lines = {line.line_no: line for line in po.lines}
    _header(po, receipts, shipments, invoice, prior_invoices, found)
    _lines(po_lines, invoice, tolerance, found)
    _quantities(po_lines, receipts, shipments, invoice, prior_invoices, tolerance, found)
    return found.result(RULES_VERSION, input_hashes((po, *receipts, *shipments, invoice, *prior_invoices)))


def _header(
    po: PurchaseOrder,
    receipts: Sequence[GoodsReceipt],
    shipments: Sequence[Shipment],
    invoice: Invoice,
    prior: Sequence[Invoice],
    found: Findings,
) -> None:
    for po_number in [invoice.po_number, *(r.po_number for r in receipts), *(s.po_number for s in shipments)]:
        if po_number != po.po_number:
            found.add("PO_MISMATCH", 0, po.po_number, po_number)
    parties = [(invoice.buyer, invoice.supplier)] + [(r.buyer, r.supplier) for r in receipts]
    parties += [(s.consignee, s.shipper) for s in shipments]
    for buyer, supplier in parties:
        if (buyer, supplier) != (po.buyer, po.supplier):
            found.add("PARTY_MISMATCH", 0, f"{po.buyer}/{po.supplier}", f"{buyer}/{supplier}")
    if invoice.currency != po.currency:
        found.add("CURRENCY_MISMATCH", 0, po.currency, invoice.currency)
    if invoice.issue_date < po.issue_date:
        found.add("DATE_INCONSISTENT", 0, f">= {po.issue_date}", invoice.issue_date)
    deliveries = [r.received_at.date() for r in receipts] + [s.shipped_on_board_at.date() for s in shipments]
    if deliveries and invoice.issue_date < min(deliveries):
        found.add("DATE_INCONSISTENT", 0, f">= {min(deliveries)}", invoice.issue_date)
    fingerprint = invoice_fingerprint(invoice) if prior else b""  # a keccak: not without earlier invoices
    for earlier in prior:
        if earlier.invoice_number == invoice.invoice_number or invoice_fingerprint(earlier) == fingerprint:
            found.add("DUPLICATE_INVOICE", 0, "a new invoice", earlier.invoice_number)
    subtotal = sum(line.amount for line in invoice.lines)
    tax_total = sum(line.tax for line in invoice.lines)
    if (invoice.subtotal, invoice.tax_total, invoice.total) != (subtotal, tax_total, subtotal + tax_total):
        found.add("TOTAL_MISMATCH", 0, subtotal + tax_total, invoice.total)


def _lines(po_lines: dict[int, Line], invoice: Invoice, tolerance: Tolerance, found: Findings) -> None:
    for line in invoice.lines:
        ordered = po_lines.get(line.po_line_no)
        if ordered is None:
            found.add("LINE_NOT_ON_PO", line.po_line_no, "a PO line", line.item)
            continue
        n = line.po_line_no
        if line.item != ordered.item:
            found.add("ITEM_MISMATCH", n, ordered.item, line.item)
        if line.unit != ordered.unit:
            found.add("UNIT_MISMATCH", n, ordered.unit, line.unit)
        if line.unit_price != ordered.unit_price:
            within = pct_off(Decimal(line.unit_price), Decimal(ordered.unit_price)) <= tolerance.price_pct
            found.add("PRICE_VARIANCE", n, ordered.unit_price, line.unit_price, tolerated=within)
        amount = line_amount(line.quantity, line.unit_price)
        if line.amount != amount:
            found.add("AMOUNT_MISMATCH", n, amount, line.amount)
        # no tax on the PO line: none is due pro rata (the Decimal work would give 0 too)
        expected_tax = line_amount(line.quantity / ordered.quantity, ordered.tax) if ordered.tax else 0
        if line.tax != expected_tax:
            within = abs(line.tax - expected_tax) <= tolerance.amount_abs
            found.add("TAX_MISMATCH", n, expected_tax, line.tax, tolerated=within)


def _quantities(
    po_lines: dict[int, Line],
    receipts: Sequence[GoodsReceipt],
    shipments: Sequence[Shipment],
    invoice: Invoice,
    prior: Sequence[Invoice],
    tolerance: Tolerance,
    found: Findings,
) -> None:
    received: dict[int, Decimal] = defaultdict(Decimal)
    for delivery in receipts or shipments:  # goods receipts when there are any, else shipments
        for rline in delivery.lines:
            if rline.po_line_no not in po_lines:
                found.add("LINE_NOT_ON_PO", rline.po_line_no, "a PO line", rline.item)
                continue
            received[rline.po_line_no] += rline.quantity
    invoiced: dict[int, Decimal] = defaultdict(Decimal)
    for inv in (*[p for p in prior if p.invoice_number != invoice.invoice_number], invoice):
        for iline in inv.lines:
            invoiced[iline.po_line_no] += iline.quantity
    slack = 1 + tolerance.qty_pct / 100
    on_invoice = {line.po_line_no for line in invoice.lines}
    for n, ordered in po_lines.items():
        got, billed = received[n], invoiced[n]
        if got > ordered.quantity:
            found.add("OVER_RECEIVED", n, ordered.quantity, got, tolerated=got <= ordered.quantity * slack)
        if billed > ordered.quantity:
            found.add("OVER_INVOICED", n, ordered.quantity, billed)
        if n in on_invoice and billed > got:
            found.add("QTY_NOT_RECEIVED", n, got, billed, tolerated=got > 0 and billed <= got * slack)
