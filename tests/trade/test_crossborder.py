"""Cross-border matching (三單對碰): every code, tolerances, order independence, combine, parsers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.trade.crossborder import (
    CODES,
    COMBINED_RULES_VERSION,
    NO_TOLERANCE,
    RULES_VERSION,
    CustomsStatus,
    combine,
    match_cross_border,
)
from api.trade.documents import (
    CustomsDeclaration,
    DeclarationLine,
    PaymentAdvice,
    PurchaseOrder,
    ReceiptLine,
    Shipment,
    canonical_bytes,
    from_canonical,
    parse_declaration,
    parse_payment,
)
from api.trade.matching import RULES_VERSION as RECEIVABLES_RULES_VERSION
from api.trade.matching import Discrepancy, MatchResult, Tolerance, match
from chain.errors import InvalidDocument
from tests.trade.factories import (
    BUYER,
    SUPPLIER,
    hs_code_of,
    make_declaration,
    make_invoice,
    make_payment,
    make_po,
    make_shipment,
)

OTHER = "0x" + "0f" * 32
CLEARED = CustomsStatus("cleared", False)


@dataclass(frozen=True)
class Docs:
    po: PurchaseOrder
    payments: list[PaymentAdvice]
    waybills: list[Shipment]
    declarations: list[CustomsDeclaration]
    customs: dict[str, CustomsStatus] = field(default_factory=dict)

    def match(self, tolerance: Tolerance = NO_TOLERANCE) -> MatchResult:
        return match_cross_border(
            self.po,
            self.payments,
            self.waybills,
            self.declarations,
            customs=self.customs,
            tolerance=tolerance,
        )


def complying(po: PurchaseOrder | None = None) -> Docs:
    """An order paid in full, shipped on one bill of lading, declared for export and cleared."""
    po = po or make_po(hs_codes=True, cross_border=True)
    return Docs(po, [make_payment(po)], [make_shipment(po)], [make_declaration(po)], {"DEC-1": CLEARED})


def declared(**changes: Any) -> Callable[[Docs], Docs]:
    """The complying documents with DEC-1 made by ``make_declaration(po, **changes)``."""
    return lambda d: replace(d, declarations=[make_declaration(d.po, **changes)])


def _extra_item(d: Docs) -> Docs:
    extra = DeclarationLine(
        line_no=9,
        item="SKU-X",
        hs_code="940390",
        quantity=Decimal(2),
        unit="EA",
        value=500,
        origin_country="CN",
    )
    waybill = make_shipment(d.po)
    shipped = waybill.model_copy(
        update={
            "lines": [*waybill.lines, ReceiptLine(po_line_no=9, item="SKU-X", quantity=Decimal(2), unit="EA")]
        }
    )
    return replace(d, waybills=[shipped], declarations=[make_declaration(d.po, extra_lines=(extra,))])


def _half_paid(d: Docs) -> Docs:
    return replace(d, payments=[make_payment(d.po, d.po.total // 2)])


# code -> (documents producing exactly that code, its line number)
CASES: dict[str, tuple[Callable[[Docs], Docs], int]] = {
    "MISSING_DECLARATION": (lambda d: replace(d, declarations=[], customs={}), 0),
    "MISSING_PAYMENT": (lambda d: replace(d, payments=[]), 0),
    "MISSING_WAYBILL": (lambda d: replace(d, waybills=[]), 0),
    "DECLARATION_NOT_CLEARED": (lambda d: replace(d, customs={"DEC-1": CustomsStatus("released", False)}), 0),
    "CUSTOMS_CONFLICT": (lambda d: replace(d, customs={"DEC-1": CustomsStatus("cleared", True)}), 0),
    "WAYBILL_MISMATCH": (
        lambda d: replace(
            d,
            declarations=[*d.declarations, make_declaration(d.po, number="DEC-2", waybill="BL-9")],
            customs={"DEC-1": CLEARED, "DEC-2": CLEARED},
        ),
        0,
    ),
    "PO_MISMATCH": (declared(po_number="PO-2"), 0),
    "PARTY_MISMATCH": (lambda d: replace(d, payments=[make_payment(d.po, payer=OTHER)]), 0),
    "CURRENCY_MISMATCH": (lambda d: replace(d, payments=[make_payment(d.po, currency="EUR")]), 0),
    "HS_CODE_MISMATCH": (declared(line_changes={"hs_code": "870899"}), 1),
    "ITEM_NOT_ON_PO": (_extra_item, 0),
    "UNIT_MISMATCH": (declared(line_changes={"unit": "KGM"}), 1),
    "DECLARED_QTY_MISMATCH": (
        lambda d: _half_paid(declared(line_changes={"quantity": Decimal(9), "value": 11_250})(d)),
        1,
    ),
    "DECLARED_VALUE_MISMATCH": (declared(line_changes={"value": 13_500}), 1),
    "TOTAL_MISMATCH": (declared(declared_value=75_100), 0),
    "OVERPAID": (lambda d: replace(d, payments=[make_payment(d.po), make_payment(d.po, 1, "PAY-2")]), 0),
    "PAYMENT_EXCEEDS_DECLARED": (
        lambda d: replace(
            d, waybills=[make_shipment(d.po, "0.5")], declarations=[make_declaration(d.po, "0.5")]
        ),
        0,
    ),
    "PORT_MISMATCH": (declared(port_of_discharge="DEHAM"), 0),
    "DATE_INCONSISTENT": (declared(declared_at=datetime(2026, 3, 12, tzinfo=UTC)), 0),
}


def test_every_code_has_a_case() -> None:
    assert set(CASES) == set(CODES)


def test_complying_documents_match() -> None:
    result = complying().match()

    assert (result.status, result.discrepancies, result.rules_version) == ("matched", (), RULES_VERSION)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_discrepancy_is_reported_alone_with_its_code_and_line(code: str) -> None:
    case, line = CASES[code]

    result = case(complying()).match()

    assert result.codes == [code], result.discrepancies
    assert result.status == "discrepant"
    assert [(d.line_no, d.within_tolerance) for d in result.discrepancies] == [(line, False)]


@pytest.mark.parametrize("status", ["none", "declared", "inspected", "released"])
def test_only_a_cleared_declaration_complies(status: str) -> None:
    docs = replace(complying(), customs={"DEC-1": CustomsStatus(status, False)})  # type: ignore[arg-type]

    assert docs.match().discrepancies == (
        Discrepancy("DECLARATION_NOT_CLEARED", 0, "cleared", f"DEC-1: {status}"),
    )


def test_a_declaration_without_a_finalised_status_counts_as_none() -> None:
    result = replace(complying(), customs={}).match()

    assert [(d.code, d.actual) for d in result.discrepancies] == [("DECLARATION_NOT_CLEARED", "DEC-1: none")]


def test_hs_codes_are_compared_at_six_digits_and_only_when_the_po_has_one() -> None:
    po = make_po(hs_codes=True)
    national = declared(line_changes={"hs_code": hs_code_of(1)[:6] + "9999"})
    without = make_po()

    assert national(complying(po)).match().status == "matched"
    assert declared(line_changes={"hs_code": "940390"})(complying(without)).match().status == "matched"


def test_an_hs_code_on_the_waybill_is_compared_too() -> None:
    po = make_po()  # no HS codes on the order
    waybill = make_shipment(po)
    lines = [
        line.model_copy(update={"hs_code": "870830"} if line.item == "SKU-1" else {})
        for line in waybill.lines
    ]
    docs = replace(complying(po), waybills=[waybill.model_copy(update={"lines": lines})])

    result = declared(line_changes={"hs_code": "870899"})(docs).match()

    assert [(d.code, d.line_no, d.expected) for d in result.discrepancies] == [
        ("HS_CODE_MISMATCH", 1, "870830")
    ]


def test_a_partial_payment_is_not_a_discrepancy() -> None:
    assert _half_paid(complying()).match().status == "matched"


def test_an_undeclared_waybill_is_a_missing_declaration() -> None:
    po = make_po(hs_codes=True)
    docs = replace(
        complying(po),
        waybills=[make_shipment(po, "0.5"), make_shipment(po, "0.5", "BL-2")],
        declarations=[make_declaration(po, "0.5")],
        payments=[make_payment(po, po.total // 2)],
    )

    result = docs.match()

    assert [(d.code, d.expected) for d in result.discrepancies] == [
        ("MISSING_DECLARATION", "a declaration of BL-2")
    ]


def test_partial_shipments_declared_one_by_one_match() -> None:
    po = make_po(hs_codes=True)
    docs = Docs(
        po,
        [make_payment(po, 20_000), make_payment(po, po.total - 20_000, "PAY-2")],
        [make_shipment(po, "0.4"), make_shipment(po, "0.6", "BL-2")],
        [make_declaration(po, "0.4"), make_declaration(po, "0.6", "DEC-2", waybill="BL-2")],
        {"DEC-1": CLEARED, "DEC-2": CLEARED},
    )

    assert docs.match().status == "matched"


def test_export_and_import_declarations_are_compared_separately() -> None:
    docs = complying()
    imported = make_declaration(docs.po, number="IMP-1", direction="import")
    both = replace(
        docs, declarations=[*docs.declarations, imported], customs={"DEC-1": CLEARED, "IMP-1": CLEARED}
    )
    early = make_declaration(
        docs.po, number="IMP-1", direction="import", declared_at=datetime(2026, 3, 9, tzinfo=UTC)
    )

    assert both.match().status == "matched"
    assert replace(both, declarations=[*docs.declarations, early]).match().codes == ["DATE_INCONSISTENT"]


def _paid_3_more_than_declared(d: Docs) -> Docs:
    half = d.po.total // 2
    return replace(
        d,
        payments=[make_payment(d.po, half + 3)],
        waybills=[make_shipment(d.po, "0.5")],
        declarations=[make_declaration(d.po, "0.5")],
    )


@pytest.mark.parametrize(
    ("case", "tolerance", "code"),
    [
        (
            declared(line_changes={"value": 12_600}),
            Tolerance(price_pct=Decimal(1)),
            "DECLARED_VALUE_MISMATCH",
        ),
        (declared(line_changes={"value": 12_505}), Tolerance(amount_abs=5), "DECLARED_VALUE_MISMATCH"),
        (
            lambda d: _half_paid(declared(line_changes={"quantity": Decimal("9.9"), "value": 12_375})(d)),
            Tolerance(qty_pct=Decimal(1)),
            "DECLARED_QTY_MISMATCH",
        ),
        (CASES["OVERPAID"][0], Tolerance(amount_abs=1), "OVERPAID"),
        (_paid_3_more_than_declared, Tolerance(amount_abs=3), "PAYMENT_EXCEEDS_DECLARED"),
    ],
)
def test_differences_inside_tolerance_match_within_tolerance(
    case: Callable[[Docs], Docs], tolerance: Tolerance, code: str
) -> None:
    docs = complying()

    within = case(docs).match(tolerance)
    beyond = case(docs).match()

    assert within.status == "matched_within_tolerance"
    assert [(d.code, d.within_tolerance) for d in within.discrepancies] == [(code, True)]
    assert [(d.code, d.within_tolerance) for d in beyond.discrepancies] == [(code, False)]


def test_the_po_tax_is_not_expected_in_the_declared_value() -> None:
    po = make_po(hs_codes=True, tax=100)

    assert complying(po).match().status == "matched"


def test_the_result_binds_the_documents_and_the_customs_statuses() -> None:
    docs = complying()
    again = complying()
    conflicted = replace(docs, customs={"DEC-1": CustomsStatus("cleared", True)})
    unrelated = replace(docs, customs={**docs.customs, "DEC-9": CustomsStatus("declared", False)})

    assert docs.match().result_hash() == again.match().result_hash()
    assert len(docs.match().inputs) == 5  # PO, payment, waybill, declaration, customs statuses
    assert set(docs.match().inputs) != set(conflicted.match().inputs)
    assert unrelated.match().result_hash() == docs.match().result_hash()  # only the cited statuses count


# --- order independence -----------------------------------------------------------------------------


def _messy(lines: int) -> Docs:
    """Two shipments, two declarations (one export, with a wrong value and HS code), two payments."""
    po = make_po(lines, hs_codes=True)
    return Docs(
        po,
        [make_payment(po, 10_000), make_payment(po, 5_000, "PAY-2", payer=OTHER)],
        [make_shipment(po, "0.5"), make_shipment(po, "0.5", "BL-2", port_of_loading="CNSHA")],
        [
            make_declaration(po, "0.5", line_changes={"value": 1, "hs_code": "999999"}),
            make_declaration(po, "0.4", "DEC-2", waybill="BL-2"),
        ],
        {"DEC-1": CLEARED, "DEC-2": CustomsStatus("inspected", True)},
    )


def _shuffled(docs: Docs, order: list[int], flip: bool) -> Docs:
    def lines(doc: Any) -> Any:
        return doc.model_copy(update={"lines": [doc.lines[i] for i in order]})

    def turn(items: list[Any]) -> list[Any]:
        return list(reversed(items)) if flip else items

    return Docs(
        lines(docs.po),
        turn(docs.payments),
        turn([lines(w) for w in docs.waybills]),
        turn([lines(d) for d in docs.declarations]),
        dict(reversed(docs.customs.items())),
    )


@settings(max_examples=40, deadline=None)
@given(lines=st.integers(min_value=2, max_value=6), flip=st.booleans(), data=st.data())
def test_results_do_not_depend_on_document_or_line_order(lines: int, flip: bool, data: st.DataObject) -> None:
    docs = _messy(lines)
    order = data.draw(st.permutations(range(lines)))

    a, b = docs.match(), _shuffled(docs, order, flip).match()

    assert a.status == "discrepant"
    assert {"DECLARED_VALUE_MISMATCH", "HS_CODE_MISMATCH", "PARTY_MISMATCH", "PORT_MISMATCH"} <= set(a.codes)
    assert (a.discrepancies, a.result_hash()) == (b.discrepancies, b.result_hash())


@settings(max_examples=40, deadline=None)
@given(
    lines=st.integers(min_value=1, max_value=5),
    price=st.integers(min_value=100, max_value=10_000_000),
    qty=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100_000), places=3),
)
def test_complying_documents_always_match(lines: int, price: int, qty: Decimal) -> None:
    po = make_po(lines, price=price, qty=str(qty), hs_codes=True)

    assert complying(po).match().status == "matched"


# --- combine ------------------------------------------------------------------------------------


def test_combine_joins_a_matched_receivable_and_a_matched_cross_border_order() -> None:
    docs = complying()
    receivables = match(docs.po, [], docs.waybills, make_invoice(docs.po))
    cross_border = docs.match()

    both = combine(receivables, cross_border)

    assert (both.status, both.discrepancies, both.rules_version) == ("matched", (), COMBINED_RULES_VERSION)
    assert COMBINED_RULES_VERSION == "match-1.0.0+crossborder-1.0.0"
    assert both.inputs == tuple(sorted(set(receivables.inputs) | set(cross_border.inputs)))
    assert combine(cross_border, receivables) == both


def test_combine_takes_the_worse_status_and_lists_a_shared_discrepancy_once() -> None:
    docs = complying()
    waybill = make_shipment(docs.po, po_number="PO-2")  # both modes report this PO_MISMATCH
    receivables = match(docs.po, [], [waybill], make_invoice(docs.po))
    cross_border = replace(docs, waybills=[waybill]).match()

    both = combine(receivables, cross_border)

    assert receivables.codes == ["PO_MISMATCH"]
    assert cross_border.codes == ["PO_MISMATCH"]
    assert both.discrepancies == receivables.discrepancies
    assert both.status == "discrepant"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("matched", "matched_within_tolerance", "matched_within_tolerance"),
        ("matched_within_tolerance", "discrepant", "discrepant"),
        ("discrepant", "matched", "discrepant"),
    ],
)
def test_combine_status_is_the_worse_of_the_two(a: Any, b: Any, expected: str) -> None:
    tolerated = Discrepancy("PRICE_VARIANCE", 1, "1250", "1260", True)
    refused = Discrepancy("MISSING_PAYMENT", 0, "a payment of PO-1", "none")
    found = {"matched": (), "matched_within_tolerance": (tolerated,), "discrepant": (refused,)}
    left = MatchResult(a, found[a], RECEIVABLES_RULES_VERSION, ("aa",))
    right = MatchResult(b, found[b], RULES_VERSION, ("bb",))

    both = combine(left, right)

    assert both.status == expected
    assert both.discrepancies == tuple(sorted(found[a] + found[b]))
    assert both.inputs == ("aa", "bb")


def test_combine_refuses_results_of_other_rules() -> None:
    receivables = MatchResult("matched", (), RECEIVABLES_RULES_VERSION)

    with pytest.raises(ValueError, match="combine joins"):
        combine(receivables, receivables)
    with pytest.raises(ValueError, match="combine joins"):
        combine(combine(receivables, MatchResult("matched", (), RULES_VERSION)), receivables)


# --- parsers ------------------------------------------------------------------------------------


def _declaration(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "declaration_number": "DEC-1",
        "customs_office": "CNSZX01",
        "direction": "export",
        "exporter": SUPPLIER,
        "exporter_name": "Shenzhen Precision Parts",
        "importer": BUYER,
        "importer_name": "ACME Motors",
        "po_number": "PO-1",
        "transport_document": "BL-1",
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "currency": "USD",
        "declared_value": "1,000.50",
        "declared_at": "2026-03-08T16:00:00+08:00",
        "lines": [
            {
                "line_no": 1,
                "item": "BRK-220",
                "hs_code": "8708.30",
                "description": "Brake discs",
                "quantity": "100",
                "unit": "ea",
                "value": "1000.50",
                "origin_country": "cn",
            }
        ],
    }
    body.update(changes)
    return body


def _line(**changes: Any) -> dict[str, Any]:
    return {**_declaration()["lines"][0], **changes}


def test_a_published_declaration_is_normalised() -> None:
    declaration = parse_declaration(_declaration())

    assert declaration.declared_value == 100_050
    assert declaration.declared_at == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)
    line = declaration.lines[0]
    assert (line.hs_code, line.quantity, line.unit, line.value, line.origin_country) == (
        "870830",
        Decimal(100),
        "EA",
        100_050,
        "CN",
    )
    assert from_canonical(CustomsDeclaration, canonical_bytes(declaration)) == declaration


def test_a_declaration_whose_header_disagrees_with_its_lines_is_kept_as_published() -> None:
    declaration = parse_declaration(_declaration(declared_value="999.00"))

    assert declaration.declared_value == 99_900  # matching reports it as TOTAL_MISMATCH


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"po_number": ""}, "missing_field"),
        ({"lines": []}, "missing_field"),
        ({"lines": [_line(hs_code=None)]}, "missing_field"),
        ({"lines": ["BRK-220"]}, "invalid_document"),
        ({"currency": "XXX"}, "unknown_currency"),
        ({"declared_value": "12,50"}, "invalid_number"),
        ({"declared_value": "1000.505"}, "amount_precision"),
        ({"lines": [_line(value="-1")]}, "negative_amount"),
        ({"lines": [_line(quantity=100.0)]}, "invalid_number"),
        ({"declared_at": "2026-03-08T08:00:00"}, "naive_datetime"),
        ({"lines": [_line(hs_code="8708")]}, "invalid_document"),
        ({"lines": [_line(hs_code="87083A")]}, "invalid_document"),
        ({"lines": [_line(origin_country="CHN")]}, "invalid_document"),
        ({"lines": [_line(), _line(item="X")]}, "invalid_document"),
        ({"direction": "transit"}, "invalid_document"),
        ({"customs_office": "C"}, "invalid_document"),
        ({"exporter": "Shenzhen Precision Parts"}, "invalid_document"),
        ({"status": "cleared"}, "invalid_document"),  # statuses are attested on chain, not declared
    ],
)
def test_bad_declarations_are_refused_with_a_code(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidDocument) as err:
        parse_declaration(_declaration(**changes))

    assert err.value.code == code


def _payment(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payment_ref": "PAY-1",
        "po_number": "PO-1",
        "payer": BUYER,
        "payee": SUPPLIER,
        "currency": "jpy",
        "amount": "1,100,000",
        "paid_at": "2026-03-06T10:00:00Z",
    }
    body.update(changes)
    return body


def test_a_payment_advice_is_normalised() -> None:
    payment = parse_payment(_payment())

    assert (payment.currency, payment.amount) == ("JPY", 1_100_000)
    assert from_canonical(PaymentAdvice, canonical_bytes(payment)) == payment


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"payment_ref": ""}, "missing_field"),
        ({"amount": None}, "missing_field"),
        ({"amount": "0"}, "zero_amount"),
        ({"amount": "-5"}, "negative_amount"),
        ({"amount": "10.5"}, "amount_precision"),  # JPY has no minor unit
        ({"currency": "ABC"}, "unknown_currency"),
        ({"paid_at": "2026-03-06"}, "naive_datetime"),
        ({"payee": "ACME"}, "invalid_document"),
    ],
)
def test_bad_payments_are_refused_with_a_code(changes: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidDocument) as err:
        parse_payment(_payment(**changes))

    assert err.value.code == code
