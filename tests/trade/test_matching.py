"""The three-document matching engine: every code, tolerances, the cumulative rule, properties."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.trade.documents import GoodsReceipt, Invoice, PurchaseOrder, Shipment
from api.trade.matching import CODES, RULES_VERSION, Tolerance, match
from tests.trade.factories import make_invoice, make_po, make_receipt, make_shipment

Case = Callable[[PurchaseOrder], tuple[list[GoodsReceipt], list[Shipment], Invoice, list[Invoice]]]
OTHER = "0x" + "0f" * 32


def _full(
    po: PurchaseOrder, **invoice: Any
) -> tuple[list[GoodsReceipt], list[Shipment], Invoice, list[Invoice]]:
    return [make_receipt(po)], [], make_invoice(po, **invoice), []


CASES: dict[str, tuple[Case, int]] = {
    "PO_MISMATCH": (lambda po: _full(po, po_number="PO-2"), 0),
    "PARTY_MISMATCH": (lambda po: _full(po, supplier=OTHER), 0),
    "CURRENCY_MISMATCH": (lambda po: _full(po, currency="EUR"), 0),
    "DATE_INCONSISTENT": (lambda po: _full(po, issue_date=date(2026, 2, 1)), 0),
    "DUPLICATE_INVOICE": (
        lambda po: (
            [make_receipt(po, "2")],
            [],
            make_invoice(po, "0.5", "INV-2"),
            [make_invoice(po, "0.5", "INV-2")],
        ),
        0,
    ),
    "LINE_NOT_ON_PO": (lambda po: _full(po, line_changes={"po_line_no": 9}), 9),
    "ITEM_MISMATCH": (lambda po: _full(po, line_changes={"item": "SKU-X"}), 1),
    "UNIT_MISMATCH": (lambda po: _full(po, line_changes={"unit": "KGM"}), 1),
    "PRICE_VARIANCE": (lambda po: _full(po, line_changes={"unit_price": 1_300}), 1),
    "AMOUNT_MISMATCH": (lambda po: _full(po, line_changes={"amount": 1}), 1),
    "TAX_MISMATCH": (lambda po: _full(po, line_changes={"tax": 77}), 1),
    "TOTAL_MISMATCH": (lambda po: _full(po, total=1), 0),
    "QTY_NOT_RECEIVED": (lambda po: ([make_receipt(po, "0.5")], [], make_invoice(po), []), 1),
    "OVER_INVOICED": (
        lambda po: ([make_receipt(po)], [], make_invoice(po, "0.6", "INV-2"), [make_invoice(po, "0.6")]),
        1,
    ),
    "OVER_RECEIVED": (lambda po: ([make_receipt(po, "1.5")], [], make_invoice(po), []), 1),
}


def test_every_code_has_a_case() -> None:
    assert set(CASES) == set(CODES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_discrepancy_is_reported_with_its_code_and_line(code: str) -> None:
    case, line = CASES[code]
    po = make_po()
    receipts, shipments, invoice, prior = case(po)

    result = match(po, receipts, shipments, invoice, prior_invoices=prior)

    assert result.status == "discrepant"
    assert any(
        d.code == code and d.line_no == line and not d.within_tolerance for d in result.discrepancies
    ), result.discrepancies
    assert result.rules_version == RULES_VERSION


def test_identical_documents_match() -> None:
    po = make_po(tax=100)

    result = match(po, [make_receipt(po)], [make_shipment(po)], make_invoice(po))

    assert (result.status, result.discrepancies) == ("matched", ())


def test_shipments_count_as_received_when_there_is_no_goods_receipt() -> None:
    po = make_po()

    assert match(po, [], [make_shipment(po)], make_invoice(po)).status == "matched"
    assert match(po, [], [make_shipment(po, "0.5")], make_invoice(po)).codes.count("QTY_NOT_RECEIVED") == 3


def test_partial_deliveries_and_several_invoices_follow_the_cumulative_rule() -> None:
    po = make_po()
    first, second = make_receipt(po, "0.4", "GR-1"), make_receipt(po, "0.6", "GR-2")
    inv1 = make_invoice(po, "0.4", "INV-1")

    assert match(po, [first], [], inv1).status == "matched"
    assert (
        match(po, [first, second], [], make_invoice(po, "0.6", "INV-2"), prior_invoices=[inv1]).status
        == "matched"
    )
    over = match(po, [first], [], make_invoice(po, "0.6", "INV-2"), prior_invoices=[inv1])
    assert set(over.codes) == {"QTY_NOT_RECEIVED"}


@pytest.mark.parametrize(
    ("changes", "tolerance", "code"),
    [
        ({"unit_price": 1_262}, Tolerance(price_pct=Decimal(1)), "PRICE_VARIANCE"),
        ({"tax": 3}, Tolerance(amount_abs=5), "TAX_MISMATCH"),
    ],
)
def test_differences_inside_tolerance_match_within_tolerance(
    changes: dict[str, int], tolerance: Tolerance, code: str
) -> None:
    po = make_po()

    result = match(po, [make_receipt(po)], [], make_invoice(po, line_changes=changes), tolerance=tolerance)

    assert result.status == "matched_within_tolerance"
    assert [(d.code, d.within_tolerance) for d in result.discrepancies] == [(code, True)]


def test_quantity_tolerance_covers_small_short_deliveries() -> None:
    po = make_po(lines=1, qty="100")
    received = make_receipt(po, "0.98")

    assert match(po, [received], [], make_invoice(po), tolerance=Tolerance(qty_pct=Decimal(5))).status == (
        "matched_within_tolerance"
    )
    assert match(po, [received], [], make_invoice(po)).status == "discrepant"


def test_the_result_hash_is_reproducible_and_binds_the_inputs() -> None:
    po = make_po()
    a = match(po, [make_receipt(po)], [], make_invoice(po))
    b = match(po, [make_receipt(po)], [], make_invoice(po))
    c = match(po, [make_receipt(po)], [], make_invoice(po, number="INV-9"))

    assert a.result_hash() == b.result_hash()
    assert a.result_hash() != c.result_hash()  # same outcome, other inputs


lines_st = st.integers(min_value=1, max_value=6)
price_st = st.integers(min_value=1, max_value=10_000_000)
qty_st = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100_000), places=3)


@settings(max_examples=60, deadline=None)
@given(lines=lines_st, price=price_st, qty=qty_st)
def test_identical_documents_always_match(lines: int, price: int, qty: Decimal) -> None:
    po = make_po(lines, price=price, qty=str(qty))

    assert match(po, [make_receipt(po)], [], make_invoice(po)).status == "matched"


@settings(max_examples=60, deadline=None)
@given(
    price=st.integers(min_value=100, max_value=10_000_000),
    pct=st.integers(min_value=1, max_value=50),
    bump=st.integers(min_value=1, max_value=50),
)
def test_a_price_beyond_tolerance_is_always_a_price_variance(price: int, pct: int, bump: int) -> None:
    po = make_po(1, price=price)
    tolerated = price * pct // 100
    new_price = price + tolerated + max(1, price * bump // 1000)

    result = match(
        po,
        [make_receipt(po)],
        [],
        make_invoice(po, line_changes={"unit_price": new_price}),
        tolerance=Tolerance(price_pct=Decimal(pct)),
    )

    assert result.status == "discrepant"
    assert ("PRICE_VARIANCE", False) in [(d.code, d.within_tolerance) for d in result.discrepancies]


@settings(max_examples=40, deadline=None)
@given(lines=st.integers(min_value=2, max_value=6), data=st.data())
def test_results_do_not_depend_on_line_order(lines: int, data: st.DataObject) -> None:
    po = make_po(lines)
    invoice = make_invoice(po, "0.5", line_changes={"unit_price": 999})
    receipt = make_receipt(po, "0.7")
    order = data.draw(st.permutations(range(lines)))

    shuffled_po = po.model_copy(update={"lines": [po.lines[i] for i in order]})
    shuffled_invoice = invoice.model_copy(update={"lines": [invoice.lines[i] for i in order]})
    shuffled_receipt = receipt.model_copy(update={"lines": [receipt.lines[i] for i in order]})

    a = match(po, [receipt], [], invoice)
    b = match(shuffled_po, [shuffled_receipt], [], shuffled_invoice)
    assert (a.status, a.discrepancies) == (b.status, b.discrepancies)
