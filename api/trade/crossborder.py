"""Cross-border matching (三單對碰): order, payment and waybill against the customs declaration (pure).

``match_cross_border`` checks a purchase order, its payments and its waybills (bills of lading,
the ``Shipment`` documents) against the customs declarations that cite them, and against the
status the customs oracles finalised on chain for each declaration (``customs``: an input, so
the result is recomputable; its hash is one of the result's ``inputs``). ``combine`` joins it
with the receivables-mode result (``matching.match``) into the one result a receivable on a
cross-border order is attested and financed with. The result is deterministic (document and
line order do not matter) and carries ``RULES_VERSION``.

Codes (``Discrepancy.code``). ``line_no`` is the first PO line of the item concerned, or 0 for a
whole document; ``actual`` names the declaration (``DEC-1``, ``DEC-1/2`` for its line 2), payment
or waybill it is about, or the direction (``export: 9``) for quantities summed over declarations.
A waybill's own PO number and parties are reported exactly as the receivables mode reports them,
so that ``combine`` lists them once.

- ``MISSING_DECLARATION`` — no customs declaration, or a waybill of the order no declaration cites;
- ``MISSING_PAYMENT`` — no payment of the order;
- ``MISSING_WAYBILL`` — no waybill of the order;
- ``DECLARATION_NOT_CLEARED`` — the finalised status is not ``cleared`` (``none`` when unknown);
- ``CUSTOMS_CONFLICT`` — the customs oracles attested conflicting statuses for the declaration;
- ``WAYBILL_MISMATCH`` — a declaration's transport document is not a waybill of the order
  (not reported when there is no waybill at all: that is ``MISSING_WAYBILL``);
- ``PO_MISMATCH`` — a declaration, payment or waybill cites another PO number;
- ``PARTY_MISMATCH`` — a declaration's exporter/importer are not the PO's supplier/buyer, a
  payment's payer/payee not its buyer/supplier, a waybill's consignee/shipper not its buyer/supplier;
- ``CURRENCY_MISMATCH`` — a declaration or payment is in another currency than the PO;
- ``HS_CODE_MISMATCH`` — a declared line's HS code differs at the 6-digit (international) level
  from the HS code of the same item on the PO or on the cited waybill; lines without one are not
  compared;
- ``ITEM_NOT_ON_PO`` — a declared item is on no PO line;
- ``UNIT_MISMATCH`` — a declared line's unit differs from the item's unit on the PO or on the
  cited waybill (its quantity and value are then not compared);
- ``DECLARED_QTY_MISMATCH`` — per item and direction, the quantity declared differs from the
  quantity on the waybills those declarations cite (within ``qty_pct`` of it: tolerated);
- ``DECLARED_VALUE_MISMATCH`` — a declared line's value differs from the PO value of its quantity,
  at the item's PO price (within ``price_pct`` or ``amount_abs``: tolerated);
- ``TOTAL_MISMATCH`` — a declaration's ``declared_value`` is not the sum of its line values;
- ``OVERPAID`` — the payments add up to more than the PO total (within ``amount_abs``: tolerated);
- ``PAYMENT_EXCEEDS_DECLARED`` — the payments (up to the PO total: the excess is ``OVERPAID``)
  add up to more than the value declared to customs in one direction plus the PO's tax (within
  ``amount_abs``: tolerated); paying for more than was declared is the pattern of under-declaration;
- ``PORT_MISMATCH`` — a declaration's port of loading or discharge is not the cited waybill's
  (compared ignoring case and surrounding spaces: use the same codes, e.g. UN/LOCODE, on both);
- ``DATE_INCONSISTENT`` — a declaration, payment or shipment on board dated before the PO; an
  export declaration made after the cited waybill's goods were shipped on board, or an import
  declaration made before they were.

Decisions: a partial payment is not a discrepancy (deposits and instalments are normal, and the
unpaid balance is what a receivable finances); only paying more than ordered or declared is.
Payments citing another PO or in another currency are reported and left out of the totals.
Export and import declarations of the same goods are compared separately (never added up).
Quantities are the trade quantities in the PO's units, not customs statistical units, and
declared values are compared with the PO's prices as they are: the same Incoterm is assumed (an
order priced CIF but declared FOB differs by freight and insurance; give it a tolerance).
The declarations' origin countries are not checked (the PO does not state one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from eth_utils import keccak

from api.trade.documents import (
    CustomsDeclaration,
    DeclarationLine,
    PaymentAdvice,
    PurchaseOrder,
    Shipment,
    canonical_json,
)
from api.trade.matching import RULES_VERSION as RECEIVABLES_RULES_VERSION
from api.trade.matching import Findings, MatchResult, Status, Tolerance, input_hashes, pct_off
from api.trade.money import line_amount

RULES_VERSION = "crossborder-1.0.0"
COMBINED_RULES_VERSION = f"{RECEIVABLES_RULES_VERSION}+{RULES_VERSION}"

CODES = (
    "MISSING_DECLARATION",
    "MISSING_PAYMENT",
    "MISSING_WAYBILL",
    "DECLARATION_NOT_CLEARED",
    "CUSTOMS_CONFLICT",
    "WAYBILL_MISMATCH",
    "PO_MISMATCH",
    "PARTY_MISMATCH",
    "CURRENCY_MISMATCH",
    "HS_CODE_MISMATCH",
    "ITEM_NOT_ON_PO",
    "UNIT_MISMATCH",
    "DECLARED_QTY_MISMATCH",
    "DECLARED_VALUE_MISMATCH",
    "TOTAL_MISMATCH",
    "OVERPAID",
    "PAYMENT_EXCEEDS_DECLARED",
    "PORT_MISMATCH",
    "DATE_INCONSISTENT",
)

CustomsState = Literal["none", "declared", "inspected", "released", "cleared"]
SEVERITY: tuple[Status, ...] = ("matched", "matched_within_tolerance", "discrepant")


@dataclass(frozen=True)
class CustomsStatus:
    """A declaration's status as finalised on chain by the customs oracles, and whether they disagreed."""

    status: CustomsState
    conflicted: bool = False


UNKNOWN = CustomsStatus("none", False)
NO_TOLERANCE = Tolerance()


def match_cross_border(
    po: PurchaseOrder,
    payments: Sequence[PaymentAdvice],
    waybills: Sequence[Shipment],
    declarations: Sequence[CustomsDeclaration],
    *,
    customs: Mapping[str, CustomsStatus],
    tolerance: Tolerance = NO_TOLERANCE,
) -> MatchResult:
    """Match ``po``, its ``payments`` and ``waybills`` against the customs ``declarations``.

    ``customs`` maps a declaration number to its finalised status; a declaration missing from it
    counts as status ``none``."""
    found = Findings()
    order = _Order(po, waybills)
    _presence(po, payments, waybills, declarations, found)
    _waybills(po, waybills, found)
    for declaration in declarations:
        _declaration(order, declaration, customs.get(declaration.declaration_number, UNKNOWN), found)
        _declared_lines(order, declaration, tolerance, found)
    _quantities(order, declarations, tolerance, found)
    _payments(po, payments, declarations, tolerance, found)

    statuses = {
        d.declaration_number: _status_json(customs.get(d.declaration_number, UNKNOWN)) for d in declarations
    }
    customs_input = keccak(canonical_json({"customs": statuses})).hex()
    documents = (po, *payments, *waybills, *declarations)
    return found.result(RULES_VERSION, [*input_hashes(documents), customs_input])


def combine(a: MatchResult, b: MatchResult) -> MatchResult:
    """The receivables-mode and the cross-border result of one receivable as one result (either order).

    Discrepancies and inputs are united (a discrepancy both report is listed once), the status is
    the worse of the two and the rules version ``COMBINED_RULES_VERSION``."""
    if {a.rules_version, b.rules_version} != {RECEIVABLES_RULES_VERSION, RULES_VERSION}:
        raise ValueError(
            f"combine joins a {RECEIVABLES_RULES_VERSION} and a {RULES_VERSION} result, "
            f"not {a.rules_version} and {b.rules_version}"
        )
    discrepancies = tuple(sorted(set(a.discrepancies) | set(b.discrepancies)))
    status = max(a.status, b.status, key=SEVERITY.index)
    inputs = tuple(sorted(set(a.inputs) | set(b.inputs)))
    return MatchResult(status, discrepancies, COMBINED_RULES_VERSION, inputs)


# --- the order as the checks see it ----------------------------------------------------------------


class _Order:
    """The PO by item and its waybills by number."""

    def __init__(self, po: PurchaseOrder, waybills: Sequence[Shipment]) -> None:
        self.po = po
        self.first_line: dict[str, int] = {}
        self.ordered: dict[str, Decimal] = defaultdict(Decimal)
        self.amount: dict[str, int] = defaultdict(int)
        self.units: dict[str, set[str]] = defaultdict(set)
        self.hs: dict[str, set[str]] = defaultdict(set)
        for line in po.lines:
            self.first_line[line.item] = min(line.line_no, self.first_line.get(line.item, line.line_no))
            self.ordered[line.item] += line.quantity
            self.amount[line.item] += line.amount
            self.units[line.item].add(line.unit)
            if line.hs_code:
                self.hs[line.item].add(line.hs_code[:6])
        self.waybills: dict[str, list[Shipment]] = defaultdict(list)
        for waybill in waybills:
            self.waybills[waybill.bl_number].append(waybill)

    def line_of(self, item: str) -> int:
        return self.first_line.get(item, 0)

    def cited(self, declaration: CustomsDeclaration) -> list[Shipment]:
        return self.waybills.get(declaration.transport_document, [])


def _status_json(status: CustomsStatus) -> dict[str, object]:
    return {"status": status.status, "conflicted": status.conflicted}


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _codes(codes: Iterable[str]) -> str:
    return "|".join(sorted(set(codes)))


def _port(value: str) -> str:
    return value.strip().upper()


# --- checks ------------------------------------------------------------------------------------


def _presence(
    po: PurchaseOrder,
    payments: Sequence[PaymentAdvice],
    waybills: Sequence[Shipment],
    declarations: Sequence[CustomsDeclaration],
    found: Findings,
) -> None:
    if not payments:
        found.add("MISSING_PAYMENT", 0, f"a payment of {po.po_number}", "none")
    if not waybills:
        found.add("MISSING_WAYBILL", 0, f"a waybill of {po.po_number}", "none")
    if not declarations:
        found.add("MISSING_DECLARATION", 0, f"a customs declaration of {po.po_number}", "none")
        return
    declared = {d.transport_document for d in declarations}
    for waybill in waybills:
        if waybill.bl_number not in declared:
            found.add("MISSING_DECLARATION", 0, f"a declaration of {waybill.bl_number}", "none")


def _waybills(po: PurchaseOrder, waybills: Sequence[Shipment], found: Findings) -> None:
    """As the receivables mode states them (``matching._header``), so ``combine`` lists them once."""
    for waybill in waybills:
        if waybill.po_number != po.po_number:
            found.add("PO_MISMATCH", 0, po.po_number, waybill.po_number)
        if (waybill.consignee, waybill.shipper) != (po.buyer, po.supplier):
            found.add(
                "PARTY_MISMATCH", 0, f"{po.buyer}/{po.supplier}", f"{waybill.consignee}/{waybill.shipper}"
            )
        if waybill.shipped_on_board_at.date() < po.issue_date:
            found.add(
                "DATE_INCONSISTENT",
                0,
                f">= {po.issue_date}",
                f"{waybill.bl_number}: {waybill.shipped_on_board_at.date()}",
            )


def _declaration(order: _Order, d: CustomsDeclaration, status: CustomsStatus, found: Findings) -> None:
    po, number = order.po, d.declaration_number
    if status.status != "cleared":
        found.add("DECLARATION_NOT_CLEARED", 0, "cleared", f"{number}: {status.status}")
    if status.conflicted:
        found.add("CUSTOMS_CONFLICT", 0, "agreeing customs attestations", f"{number}: conflicting")
    if d.po_number != po.po_number:
        found.add("PO_MISMATCH", 0, po.po_number, f"{number}: {d.po_number}")
    if (d.exporter, d.importer) != (po.supplier, po.buyer):
        found.add("PARTY_MISMATCH", 0, f"{po.supplier}/{po.buyer}", f"{number}: {d.exporter}/{d.importer}")
    if d.currency != po.currency:
        found.add("CURRENCY_MISMATCH", 0, po.currency, f"{number}: {d.currency}")
    if d.declared_at.date() < po.issue_date:
        found.add("DATE_INCONSISTENT", 0, f">= {po.issue_date}", f"{number}: {d.declared_at.date()}")
    line_total = sum(line.value for line in d.lines)
    if d.declared_value != line_total:
        found.add("TOTAL_MISMATCH", 0, line_total, f"{number}: {d.declared_value}")

    cited = order.cited(d)
    if order.waybills and not cited:
        found.add("WAYBILL_MISMATCH", 0, _codes(order.waybills), f"{number}: {d.transport_document}")
    for waybill in cited:
        bl = waybill.bl_number
        for what, theirs, ours in (
            ("loading", waybill.port_of_loading, d.port_of_loading),
            ("discharge", waybill.port_of_discharge, d.port_of_discharge),
        ):
            if _port(theirs) != _port(ours):
                found.add("PORT_MISMATCH", 0, f"{bl} {what}: {theirs}", f"{number} {what}: {ours}")
        on_board = waybill.shipped_on_board_at
        if d.direction == "export" and d.declared_at > on_board:
            found.add(
                "DATE_INCONSISTENT",
                0,
                f"<= {on_board.isoformat()} ({bl} on board)",
                f"{number}: {d.declared_at.isoformat()}",
            )
        if d.direction == "import" and d.declared_at < on_board:
            found.add(
                "DATE_INCONSISTENT",
                0,
                f">= {on_board.isoformat()} ({bl} on board)",
                f"{number}: {d.declared_at.isoformat()}",
            )


def _declared_lines(order: _Order, d: CustomsDeclaration, tolerance: Tolerance, found: Findings) -> None:
    shipped_units: dict[str, set[str]] = defaultdict(set)
    shipped_hs: dict[str, set[str]] = defaultdict(set)
    for waybill in order.cited(d):
        for wline in waybill.lines:
            shipped_units[wline.item].add(wline.unit)
            if wline.hs_code:
                shipped_hs[wline.item].add(wline.hs_code[:6])
    for line in d.lines:
        where = f"{d.declaration_number}/{line.line_no}"
        n = order.line_of(line.item)
        if shipped_units[line.item] and line.unit not in shipped_units[line.item]:
            found.add("UNIT_MISMATCH", n, _codes(shipped_units[line.item]), f"{where}: {line.unit}")
        if shipped_hs[line.item] and line.hs_code[:6] not in shipped_hs[line.item]:
            found.add("HS_CODE_MISMATCH", n, _codes(shipped_hs[line.item]), f"{where}: {line.hs_code}")
        if line.item not in order.first_line:
            found.add("ITEM_NOT_ON_PO", 0, f"an item of {order.po.po_number}", f"{where}: {line.item}")
            continue
        if order.hs[line.item] and line.hs_code[:6] not in order.hs[line.item]:
            found.add("HS_CODE_MISMATCH", n, _codes(order.hs[line.item]), f"{where}: {line.hs_code}")
        if line.unit not in order.units[line.item]:
            found.add("UNIT_MISMATCH", n, _codes(order.units[line.item]), f"{where}: {line.unit}")
        elif d.currency == order.po.currency and len(order.units[line.item]) == 1:
            _value(order, line, where, tolerance, found)


def _value(order: _Order, line: DeclarationLine, where: str, tolerance: Tolerance, found: Findings) -> None:
    """The declared value against the PO value of the declared quantity, at the item's PO price."""
    expected = line_amount(line.quantity / order.ordered[line.item], order.amount[line.item])
    if line.value != expected:
        within = (
            abs(line.value - expected) <= tolerance.amount_abs
            or pct_off(Decimal(line.value), Decimal(expected)) <= tolerance.price_pct
        )
        n = order.line_of(line.item)
        found.add("DECLARED_VALUE_MISMATCH", n, expected, f"{where}: {line.value}", tolerated=within)


def _quantities(
    order: _Order, declarations: Sequence[CustomsDeclaration], tolerance: Tolerance, found: Findings
) -> None:
    """Per direction and item: declared against shipped on the waybills those declarations cite."""
    for direction in sorted({d.direction for d in declarations}):
        covering = [d for d in declarations if d.direction == direction and order.cited(d)]
        if not covering:
            continue
        declared: dict[str, Decimal] = defaultdict(Decimal)
        units: dict[str, set[str]] = defaultdict(set)
        for d in covering:
            for line in d.lines:
                declared[line.item] += line.quantity
                units[line.item].add(line.unit)
        shipped: dict[str, Decimal] = defaultdict(Decimal)
        for bl in sorted({d.transport_document for d in covering}):
            for waybill in order.waybills[bl]:
                for wline in waybill.lines:
                    shipped[wline.item] += wline.quantity
                    units[wline.item].add(wline.unit)
        for item in sorted(declared.keys() | shipped.keys()):
            if len(units[item]) > 1 or declared[item] == shipped[item]:
                continue  # mixed units are reported as UNIT_MISMATCH
            got = shipped[item]
            within = got > 0 and abs(declared[item] - got) <= got * tolerance.qty_pct / 100
            found.add(
                "DECLARED_QTY_MISMATCH",
                order.line_of(item),
                _text(got),
                f"{direction}: {_text(declared[item])}",
                tolerated=within,
            )


def _payments(
    po: PurchaseOrder,
    payments: Sequence[PaymentAdvice],
    declarations: Sequence[CustomsDeclaration],
    tolerance: Tolerance,
    found: Findings,
) -> None:
    paid = 0
    for p in payments:
        ref = p.payment_ref
        if p.po_number != po.po_number:
            found.add("PO_MISMATCH", 0, po.po_number, f"{ref}: {p.po_number}")
        if (p.payer, p.payee) != (po.buyer, po.supplier):
            found.add("PARTY_MISMATCH", 0, f"{po.buyer}/{po.supplier}", f"{ref}: {p.payer}/{p.payee}")
        if p.currency != po.currency:
            found.add("CURRENCY_MISMATCH", 0, po.currency, f"{ref}: {p.currency}")
        if p.paid_at.date() < po.issue_date:
            found.add("DATE_INCONSISTENT", 0, f">= {po.issue_date}", f"{ref}: {p.paid_at.date()}")
        if p.po_number == po.po_number and p.currency == po.currency:
            paid += p.amount
    if paid > po.total:
        found.add("OVERPAID", 0, po.total, paid, tolerated=paid - po.total <= tolerance.amount_abs)
    for_goods = min(paid, po.total)  # an overpayment is OVERPAID, not reported twice
    tax = sum(line.tax for line in po.lines)  # not customs value; paid to the supplier with the goods
    for direction in sorted({d.direction for d in declarations}):
        of_order = [d for d in declarations if d.direction == direction and d.po_number == po.po_number]
        if not of_order or any(d.currency != po.currency for d in of_order):
            continue  # values in another currency do not add up (CURRENCY_MISMATCH says so)
        covered = sum(d.declared_value for d in of_order) + tax
        if for_goods > covered:
            within = for_goods - covered <= tolerance.amount_abs
            expected = f"<= {covered} ({direction} declared + PO tax)"
            found.add("PAYMENT_EXCEEDS_DECLARED", 0, expected, for_goods, tolerated=within)
