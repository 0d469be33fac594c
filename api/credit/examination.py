"""UCP 600 examination of a documentary credit presentation (pure, versioned, no I/O).

``examine(credit, presentation)`` checks the presented documents against the credit's terms and
against each other, and reports *every* discrepancy at once (a refusal is a single notice, UCP 600
Art. 16(c)(ii)), each with its code, the rule it breaks and its UCP 600 / ISBP 745 reference. The
report is deterministic and carries ``ENGINE_VERSION``: anyone holding the credit and the documents
recomputes the same ``result_hash``, which is what goes on chain.

Codes (``Discrepancy.code``):

- ``DOCUMENT_MISSING`` — a document the credit requires was not presented;
- ``PRESENTED_AFTER_EXPIRY`` — presented after the credit's expiry date;
- ``LATE_PRESENTATION`` — presented more than the presentation period (default 21 days) after shipment;
- ``LATE_SHIPMENT`` — shipped on board after the latest shipment date;
- ``NOT_SHIPPED_ON_BOARD`` — the bill of lading shows no on-board notation with a date;
- ``AMOUNT_OVER_CREDIT`` — the invoice exceeds what is available under the credit (with its tolerance);
- ``QUANTITY_OUT_OF_TOLERANCE`` — more goods invoiced than the credit allows (with its tolerance);
- ``UNIT_PRICE_MISMATCH`` — the invoiced unit price differs from the credit's (beyond "about", if stated);
- ``PARTIAL_SHIPMENT_PROHIBITED`` — less than the credit's quantity, or several shipments, when partial
  shipments are prohibited;
- ``TRANSSHIPMENT_PROHIBITED`` — transshipment shown when prohibited (containerised goods excepted);
- ``INVOICE_NOT_BY_BENEFICIARY`` / ``INVOICE_NOT_TO_APPLICANT`` / ``INVOICE_CURRENCY_MISMATCH``;
- ``GOODS_DESCRIPTION_MISMATCH`` — the invoice's goods description does not correspond with the credit's;
- ``DATA_CONFLICT`` — data in one document conflict with another (quantity, goods, parties, dates);
- ``PORT_MISMATCH`` — the bill of lading's ports are not the credit's;
- ``INSURANCE_UNDERINSURED`` / ``INSURANCE_CURRENCY_MISMATCH`` / ``INSURANCE_DATED_AFTER_SHIPMENT``;
- ``DOCUMENT_DATED_AFTER_PRESENTATION`` — a document is dated later than the presentation.

Simplifications (recorded in docs/architecture.md): dates are calendar dates; the expiry is not
extended for bank closing days (Art. 29); "about" applies to what the credit marks as about; a
quantity counted in packing units or items (``COUNTED_UNITS``) gets no 5 % tolerance (Art. 30(b)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Literal

from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, Field

from api.trade.documents import canonical_json

ENGINE_VERSION = "ucp600-1.0.0"

# units that count packing units or individual items: no 5 % quantity tolerance (UCP 600 Art. 30(b))
COUNTED_UNITS = frozenset(
    {
        "PCS",
        "PC",
        "EA",
        "EACH",
        "UNIT",
        "UNITS",
        "ITEM",
        "ITEMS",
        "SET",
        "SETS",
        "CTN",
        "CTNS",
        "CARTON",
        "CARTONS",
        "BOX",
        "BOXES",
        "BAG",
        "BAGS",
        "PALLET",
        "PALLETS",
        "DRUM",
        "DRUMS",
        "CASE",
        "CASES",
        "C62",
        "H87",
    }
)


class DocumentType(StrEnum):
    COMMERCIAL_INVOICE = "commercial_invoice"
    BILL_OF_LADING = "bill_of_lading"
    INSURANCE = "insurance"
    PACKING_LIST = "packing_list"
    CERTIFICATE_OF_ORIGIN = "certificate_of_origin"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreditTerms(_Model):
    """What the examination needs of the credit (after accepted amendments). Amounts in minor units."""

    number: str = Field(min_length=1, max_length=64)
    applicant: str = Field(min_length=1, max_length=128)
    beneficiary: str = Field(min_length=1, max_length=128)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")
    amount: int = Field(gt=0)
    amount_tolerance_pct: Decimal | None = Field(default=None, ge=0, le=100, description="e.g. 5 for +/-5 %")
    about_amount: bool = Field(default=False, description='"about"/"approximately": +/-10 % (Art. 30(a))')
    goods_description: str = Field(min_length=1, max_length=512)
    quantity: Decimal | None = Field(default=None, gt=0)
    quantity_unit: str | None = Field(default=None, max_length=16)
    about_quantity: bool = False
    unit_price: int | None = Field(default=None, gt=0)
    about_unit_price: bool = False
    expiry_date: date
    expiry_place: str = Field(default="", max_length=128)
    latest_shipment_date: date
    presentation_period_days: int = Field(default=21, ge=1, le=366)
    partial_shipments_allowed: bool = True  # UCP 600 Art. 31(a): allowed unless the credit says otherwise
    transshipment_allowed: bool = True
    port_of_loading: str | None = Field(default=None, max_length=64)
    port_of_discharge: str | None = Field(default=None, max_length=64)
    incoterm: str | None = Field(default=None, max_length=8, description="e.g. CIF, CIP, FOB")
    required_documents: tuple[DocumentType, ...] = (
        DocumentType.COMMERCIAL_INVOICE,
        DocumentType.BILL_OF_LADING,
    )


class CommercialInvoice(_Model):
    issuer: str
    addressed_to: str
    currency: str
    amount: int = Field(ge=0)
    goods_description: str
    quantity: Decimal | None = None
    quantity_unit: str | None = None
    unit_price: int | None = None
    issue_date: date


class BillOfLading(_Model):
    shipper: str
    port_of_loading: str
    port_of_discharge: str
    shipped_on_board_date: date | None = Field(description="the on-board notation's date; none: not shown")
    issue_date: date
    goods_description: str = ""
    quantity: Decimal | None = None
    transshipment: bool = False
    containerised: bool = False


class InsuranceDocument(_Model):
    currency: str
    insured_amount: int = Field(ge=0)
    issue_date: date
    effective_date: date | None = Field(default=None, description="cover effective from, if later than issue")


class PackingList(_Model):
    quantity: Decimal | None = None
    issue_date: date


class CertificateOfOrigin(_Model):
    goods_description: str = ""
    issue_date: date


class Presentation(_Model):
    presented_on: date
    previously_drawn: int = Field(default=0, ge=0, description="already drawn under the credit, minor units")
    invoice: CommercialInvoice | None = None
    bills_of_lading: tuple[BillOfLading, ...] = ()
    insurance: InsuranceDocument | None = None
    packing_list: PackingList | None = None
    certificate_of_origin: CertificateOfOrigin | None = None

    def present(self) -> set[DocumentType]:
        found = {
            DocumentType.COMMERCIAL_INVOICE: self.invoice,
            DocumentType.BILL_OF_LADING: self.bills_of_lading or None,
            DocumentType.INSURANCE: self.insurance,
            DocumentType.PACKING_LIST: self.packing_list,
            DocumentType.CERTIFICATE_OF_ORIGIN: self.certificate_of_origin,
        }
        return {kind for kind, doc in found.items() if doc is not None}


@dataclass(frozen=True)
class Rule:
    rule: str
    reference: str


RULES: dict[str, Rule] = {
    "DOCUMENT_MISSING": Rule("every document the credit requires is presented", "UCP 600 Art. 2, 14(a)"),
    "PRESENTED_AFTER_EXPIRY": Rule(
        "presentation no later than the expiry date", "UCP 600 Art. 6(d)(i), 14(c)"
    ),
    "LATE_PRESENTATION": Rule(
        "presentation within the presentation period after the date of shipment", "UCP 600 Art. 14(c)"
    ),
    "LATE_SHIPMENT": Rule(
        "shipment no later than the latest shipment date", "UCP 600 Art. 20(a)(ii); ISBP 745 E"
    ),
    "NOT_SHIPPED_ON_BOARD": Rule(
        "the bill of lading indicates shipment on board with a dated on-board notation",
        "UCP 600 Art. 20(a)(ii); ISBP 745 E",
    ),
    "AMOUNT_OVER_CREDIT": Rule(
        "the invoice does not exceed the amount available under the credit, with its tolerance",
        "UCP 600 Art. 18(b), 30(a); ISBP 745 C",
    ),
    "QUANTITY_OUT_OF_TOLERANCE": Rule(
        "the quantity is within the credit's tolerance (about: 10 %; bulk: 5 %; counted units: none)",
        "UCP 600 Art. 30(a), 30(b)",
    ),
    "UNIT_PRICE_MISMATCH": Rule(
        "the unit price is the credit's (about: within 10 %)", "UCP 600 Art. 30(a); ISBP 745 C"
    ),
    "PARTIAL_SHIPMENT_PROHIBITED": Rule(
        "no partial shipment when the credit prohibits partial shipments", "UCP 600 Art. 31(a), 31(b)"
    ),
    "TRANSSHIPMENT_PROHIBITED": Rule(
        "no transshipment when prohibited, unless the goods are shipped in a container",
        "UCP 600 Art. 20(c); ISBP 745 E",
    ),
    "INVOICE_NOT_BY_BENEFICIARY": Rule("the invoice is issued by the beneficiary", "UCP 600 Art. 18(a)(i)"),
    "INVOICE_NOT_TO_APPLICANT": Rule(
        "the invoice is made out in the name of the applicant", "UCP 600 Art. 18(a)(ii)"
    ),
    "INVOICE_CURRENCY_MISMATCH": Rule("the invoice is in the credit's currency", "UCP 600 Art. 18(a)(iii)"),
    "GOODS_DESCRIPTION_MISMATCH": Rule(
        "the invoice's goods description corresponds with the credit's", "UCP 600 Art. 18(c); ISBP 745 C"
    ),
    "DATA_CONFLICT": Rule(
        "data in a document do not conflict with data in another document or the credit", "UCP 600 Art. 14(d)"
    ),
    "PORT_MISMATCH": Rule(
        "the bill of lading shows shipment from the credit's port of loading to its port of discharge",
        "UCP 600 Art. 20(a)(iii); ISBP 745 E",
    ),
    "INSURANCE_UNDERINSURED": Rule(
        "insurance covers at least 110 % of the CIF/CIP value", "UCP 600 Art. 28(f)(ii); ISBP 745 K"
    ),
    "INSURANCE_CURRENCY_MISMATCH": Rule("the insurance is in the credit's currency", "UCP 600 Art. 28(f)(i)"),
    "INSURANCE_DATED_AFTER_SHIPMENT": Rule(
        "the insurance is dated (or effective) no later than the date of shipment", "UCP 600 Art. 28(e)"
    ),
    "DOCUMENT_DATED_AFTER_PRESENTATION": Rule(
        "no document is dated later than its presentation", "UCP 600 Art. 14(i)"
    ),
}
CODES = tuple(RULES)


class Discrepancy(_Model):
    code: str
    document: str  # the document it is found in, or "presentation"
    detail: str
    rule: str
    reference: str


class ExaminationReport(_Model):
    engine: str
    credit: str
    complying: bool
    discrepancies: tuple[Discrepancy, ...]
    result_hash: str = Field(description="keccak256 of the canonical report without this field")
    status: Literal["complying", "discrepant"]


def examine(credit: CreditTerms, presentation: Presentation) -> ExaminationReport:
    found = _Findings()
    _documents(credit, presentation, found)
    _dates(credit, presentation, found)
    if presentation.invoice is not None:
        _invoice(credit, presentation, presentation.invoice, found)
    _transport(credit, presentation, found)
    if presentation.insurance is not None and presentation.invoice is not None:
        _insurance(credit, presentation, presentation.insurance, presentation.invoice, found)
    _consistency(presentation, found)
    discrepancies = tuple(sorted(found.items, key=lambda d: (CODES.index(d.code), d.document, d.detail)))
    body = {
        "engine": ENGINE_VERSION,
        "credit": credit.number,
        "complying": not discrepancies,
        "discrepancies": [d.model_dump() for d in discrepancies],
    }
    return ExaminationReport(
        engine=ENGINE_VERSION,
        credit=credit.number,
        complying=not discrepancies,
        discrepancies=discrepancies,
        result_hash="0x" + keccak(canonical_json(body)).hex(),
        status="discrepant" if discrepancies else "complying",
    )


class _Findings:
    def __init__(self) -> None:
        self.items: list[Discrepancy] = []

    def add(self, code: str, document: str, detail: str) -> None:
        rule = RULES[code]
        self.items.append(
            Discrepancy(code=code, document=document, detail=detail, rule=rule.rule, reference=rule.reference)
        )


def shipment_date(presentation: Presentation) -> date | None:
    """The date of shipment: the latest on-board date of the bills of lading (else their issue date)."""
    dates = [b.shipped_on_board_date or b.issue_date for b in presentation.bills_of_lading]
    return max(dates) if dates else None


def _documents(credit: CreditTerms, p: Presentation, found: _Findings) -> None:
    for kind in sorted(set(credit.required_documents) - p.present()):
        found.add("DOCUMENT_MISSING", kind.value, f"the credit requires a {kind.value.replace('_', ' ')}")


def _dates(credit: CreditTerms, p: Presentation, found: _Findings) -> None:
    if p.presented_on > credit.expiry_date:
        found.add(
            "PRESENTED_AFTER_EXPIRY",
            "presentation",
            f"presented {p.presented_on}, expiry {credit.expiry_date}",
        )
    shipped = shipment_date(p)
    if shipped is not None:
        last_day = shipped + timedelta(days=credit.presentation_period_days)
        if p.presented_on > last_day:
            found.add(
                "LATE_PRESENTATION",
                "presentation",
                f"presented {p.presented_on}, more than {credit.presentation_period_days} days after "
                f"shipment on {shipped} (last day {last_day})",
            )
    dated = [
        ("commercial_invoice", p.invoice.issue_date if p.invoice else None),
        ("insurance", p.insurance.issue_date if p.insurance else None),
        ("packing_list", p.packing_list.issue_date if p.packing_list else None),
        ("certificate_of_origin", p.certificate_of_origin.issue_date if p.certificate_of_origin else None),
        *[("bill_of_lading", b.issue_date) for b in p.bills_of_lading],
    ]
    for name, when in dated:
        if when is not None and when > p.presented_on:
            found.add("DOCUMENT_DATED_AFTER_PRESENTATION", name, f"dated {when}, presented {p.presented_on}")


def _tolerance(explicit: Decimal | None, about: bool, default: Decimal) -> Decimal:
    if explicit is not None:
        return explicit / 100
    return Decimal("0.10") if about else default


def _same(a: str, b: str) -> bool:
    return " ".join(a.upper().split()) == " ".join(b.upper().split())


def _invoice(credit: CreditTerms, p: Presentation, inv: CommercialInvoice, found: _Findings) -> None:
    doc = "commercial_invoice"
    if not _same(inv.issuer, credit.beneficiary):
        found.add(
            "INVOICE_NOT_BY_BENEFICIARY", doc, f"issued by {inv.issuer!r}, beneficiary {credit.beneficiary!r}"
        )
    if not _same(inv.addressed_to, credit.applicant):
        found.add(
            "INVOICE_NOT_TO_APPLICANT",
            doc,
            f"made out to {inv.addressed_to!r}, applicant {credit.applicant!r}",
        )
    if inv.currency != credit.currency:
        found.add("INVOICE_CURRENCY_MISMATCH", doc, f"{inv.currency}, credit in {credit.currency}")
    if not _same(inv.goods_description, credit.goods_description):
        found.add(
            "GOODS_DESCRIPTION_MISMATCH",
            doc,
            f"{inv.goods_description!r}, credit {credit.goods_description!r}",
        )
    amount_tolerance = _tolerance(credit.amount_tolerance_pct, credit.about_amount, Decimal(0))
    available = int(Decimal(credit.amount) * (1 + amount_tolerance)) - p.previously_drawn
    if inv.amount > available:
        found.add("AMOUNT_OVER_CREDIT", doc, f"invoiced {inv.amount}, available {available} (minor units)")
    if credit.unit_price is not None and inv.unit_price is not None:
        allowed = Decimal(credit.unit_price) * (Decimal("0.10") if credit.about_unit_price else Decimal(0))
        if abs(Decimal(inv.unit_price - credit.unit_price)) > allowed:
            found.add("UNIT_PRICE_MISMATCH", doc, f"unit price {inv.unit_price}, credit {credit.unit_price}")
    if credit.quantity is not None and inv.quantity is not None:
        _quantity(credit, p, inv.quantity, found)


def _quantity(credit: CreditTerms, p: Presentation, quantity: Decimal, found: _Findings) -> None:
    assert credit.quantity is not None
    counted = (credit.quantity_unit or "").upper() in COUNTED_UNITS
    tolerance = _tolerance(None, credit.about_quantity, Decimal(0) if counted else Decimal("0.05"))
    high, low = credit.quantity * (1 + tolerance), credit.quantity * (1 - tolerance)
    if quantity > high:
        found.add(
            "QUANTITY_OUT_OF_TOLERANCE",
            "commercial_invoice",
            f"{quantity} {credit.quantity_unit or ''}, at most {high} allowed".replace("  ", " "),
        )
    elif quantity < low and not credit.partial_shipments_allowed:
        found.add(
            "PARTIAL_SHIPMENT_PROHIBITED",
            "commercial_invoice",
            f"{quantity} of {credit.quantity} {credit.quantity_unit or ''} shipped; partial shipments "
            "prohibited",
        )


def _transport(credit: CreditTerms, p: Presentation, found: _Findings) -> None:
    doc = "bill_of_lading"
    for bl in p.bills_of_lading:
        if bl.shipped_on_board_date is None:
            found.add("NOT_SHIPPED_ON_BOARD", doc, "no dated on-board notation")
        elif bl.shipped_on_board_date > credit.latest_shipment_date:
            found.add(
                "LATE_SHIPMENT",
                doc,
                f"shipped on board {bl.shipped_on_board_date}, latest {credit.latest_shipment_date}",
            )
        if bl.transshipment and not credit.transshipment_allowed and not bl.containerised:
            found.add("TRANSSHIPMENT_PROHIBITED", doc, "transshipment shown, goods not in a container")
        for ours, theirs, what in (
            (credit.port_of_loading, bl.port_of_loading, "port of loading"),
            (credit.port_of_discharge, bl.port_of_discharge, "port of discharge"),
        ):
            if ours is not None and not _same(ours, theirs):
                found.add("PORT_MISMATCH", doc, f"{what} {theirs!r}, credit {ours!r}")
    journeys = {
        (b.shipped_on_board_date, b.port_of_loading.upper(), b.port_of_discharge.upper())
        for b in p.bills_of_lading
    }
    if len(journeys) > 1 and not credit.partial_shipments_allowed:
        found.add("PARTIAL_SHIPMENT_PROHIBITED", doc, f"{len(journeys)} shipments (different dates or ports)")


def _insurance(
    credit: CreditTerms, p: Presentation, ins: InsuranceDocument, inv: CommercialInvoice, found: _Findings
) -> None:
    doc = "insurance"
    if ins.currency != credit.currency:
        found.add("INSURANCE_CURRENCY_MISMATCH", doc, f"{ins.currency}, credit in {credit.currency}")
    # the CIF/CIP value is the invoice's gross amount when the credit is CIF/CIP; otherwise 110 % of the
    # greater of the amount drawn and the invoice's gross value (Art. 28(f)(ii))
    minimum = (Decimal(inv.amount) * Decimal("1.10")).to_integral_value(rounding=ROUND_CEILING)
    if ins.insured_amount < minimum:
        found.add("INSURANCE_UNDERINSURED", doc, f"insured {ins.insured_amount}, at least {minimum} required")
    shipped = shipment_date(p)
    effective = ins.effective_date or ins.issue_date
    if shipped is not None and effective > shipped:
        found.add("INSURANCE_DATED_AFTER_SHIPMENT", doc, f"effective {effective}, shipped {shipped}")


def _consistency(p: Presentation, found: _Findings) -> None:
    """Art. 14(d): data need not be identical, but must not conflict (here: quantities and goods)."""
    if p.invoice is None or p.invoice.quantity is None:
        return
    quantity = p.invoice.quantity
    shipped = [b.quantity for b in p.bills_of_lading if b.quantity is not None]
    if shipped and sum(shipped) != quantity:
        found.add("DATA_CONFLICT", "bill_of_lading", f"quantity {sum(shipped)}, invoice {quantity}")
    if (
        p.packing_list is not None
        and p.packing_list.quantity is not None
        and p.packing_list.quantity != quantity
    ):
        found.add("DATA_CONFLICT", "packing_list", f"quantity {p.packing_list.quantity}, invoice {quantity}")
    for name, description in (
        *[("bill_of_lading", b.goods_description) for b in p.bills_of_lading],
        (
            "certificate_of_origin",
            p.certificate_of_origin.goods_description if p.certificate_of_origin else "",
        ),
    ):
        # other documents may describe the goods in general terms (Art. 14(e)), not as other goods
        if description and not _general_terms_of(description, p.invoice.goods_description):
            found.add(
                "DATA_CONFLICT", name, f"goods {description!r}, invoice {p.invoice.goods_description!r}"
            )


def _general_terms_of(general: str, specific: str) -> bool:
    """Every word of ``general`` appears in ``specific`` (e.g. "brake discs" of "brake discs, cast iron")."""
    words = {w.strip(",.;:()").upper() for w in specific.split()}
    return all(w.strip(",.;:()").upper() in words for w in general.split())
