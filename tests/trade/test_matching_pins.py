"""Pinned match results: ``result_hash`` and the result's canonical JSON for fixed documents.

A faster engine or canonical form must give these same bytes: results anchored on chain are
recomputed by auditors from the documents they cite."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from api.trade.documents import PurchaseOrder
from api.trade.matching import MatchResult, Tolerance, match
from tests.trade.factories import make_invoice, make_po, make_receipt, make_shipment
from tests.trade.test_matching import CASES


def _case(code: str) -> Callable[[PurchaseOrder], MatchResult]:
    def run(po: PurchaseOrder) -> MatchResult:
        receipts, shipments, invoice, prior = CASES[code][0](po)
        return match(po, receipts, shipments, invoice, prior_invoices=prior)

    return run


SCENARIOS: dict[str, Callable[[PurchaseOrder], MatchResult]] = {
    **{code.lower(): _case(code) for code in CASES},
    "matched": lambda po: match(po, [make_receipt(po)], [make_shipment(po)], make_invoice(po)),
    "shipments only, short": lambda po: match(po, [], [make_shipment(po, "0.5")], make_invoice(po)),
    "cumulative": lambda po: match(
        po,
        [make_receipt(po, "0.4", "GR-1"), make_receipt(po, "0.6", "GR-2")],
        [],
        make_invoice(po, "0.6", "INV-2"),
        prior_invoices=[make_invoice(po, "0.4", "INV-1")],
    ),
    "price within tolerance": lambda po: match(
        po,
        [make_receipt(po)],
        [],
        make_invoice(po, line_changes={"unit_price": 1_262}),
        tolerance=Tolerance(price_pct=Decimal(1)),
    ),
    "tax and quantity tolerance": lambda po: match(
        po,
        [make_receipt(po, "0.98")],
        [],
        make_invoice(po, line_changes={"tax": 3}),
        tolerance=Tolerance(qty_pct=Decimal(5), amount_abs=5),
    ),
}

PINNED: dict[str, str] = {
    "amount_mismatch": "d104559f959c3f01645197ee5c70bcb5859bdf842c9eef1ad114d274fda2bd4f",
    "cumulative": "288f2f5a204eddfa56030005a676035c0c2290204493fd2eed3a2f9a93bae2c7",
    "currency_mismatch": "7b59997e152b87647b8d84abbf8cc0453772e424683009e2ae6dd4719cc1d19a",
    "date_inconsistent": "158a4c0861f72de3a5539ea25bfeafaebfb0a0e94ca1ec721baad547ca8527db",
    "duplicate_invoice": "5491ff33735cd0e82be7be8ac2a0c3e67a9081c481d2442af346fbcdc5748095",
    "item_mismatch": "6d5532b0a6a417cd20c104b9107852797571030c4ec5929305927485f4dc8764",
    "line_not_on_po": "5614344eaf2aa0b1d5c83a099a24e559904946085c5c5f4f7b5b411c0a5ac820",
    "matched": "9c3e37133cc3fc48d33f579a3289bd00c628af772a337733c114b568cf5d4f75",
    "over_invoiced": "b25ef2983ad1c32953a508d27a39ce3aef74242d4bd69f4b79074e78a0b7fb1c",
    "over_received": "1300ad64348c18776cbc1502f9dbe17d5dd146f1784196baa3d27a2e74807151",
    "party_mismatch": "f9d9064835daac1dda14c984d8997d6e84fe774db4d6e26f623e215dbdacdad8",
    "po_mismatch": "3bd80b91f32a6f3ea3e04924ce2d99ee744d567a1b419c4f7ba0eef38f05ed16",
    "price within tolerance": "db144ae000273c0083ed866f7029f9b631c3e17a481e43a0967be13a8eb5b385",
    "price_variance": "469b5c7a8c0d6d5aeb17b5125ce4f6c0860fe3cb484fa319a2088da5dfc21e3f",
    "qty_not_received": "f5d402350acc15aa2ed656b32a466bfeeef559f3c17f63296542befd38a8854f",
    "shipments only, short": "8f2236fff144943b81b35c86afd35e50ba72c554da0b592145fd9849ade11e75",
    "tax and quantity tolerance": "629d8b1eb16fda2c532af7a1bf693ee8aa4f01d5ca8e01d96c4896f671e10866",
    "tax_mismatch": "24aff815998df97282624f60f57d653b8882bc3aba5c54497d91285d672e258b",
    "total_mismatch": "c013bf890bf4e647de2b952401345652909de8c2ec744cc93a3744d59a332014",
    "unit_mismatch": "c0a97e8fb7a8739aec74c3f569183bc1229649f05ec8a8c89ca991223b3e05e2",
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_result_hashes_are_pinned(name: str) -> None:
    result = SCENARIOS[name](make_po(tax=7))

    assert result.result_hash().hex() == PINNED[name]


def test_a_ten_line_triple_gives_pinned_bytes() -> None:
    po = make_po(10, qty="12.5", tax=9)
    result = match(
        po,
        [make_receipt(po, "0.75")],
        [],
        make_invoice(po, "0.8", line_changes={"unit_price": 1_300}),
        tolerance=Tolerance(price_pct=Decimal(5), qty_pct=Decimal(10)),
    )

    assert result.to_json() == TEN_LINES


TEN_LINES = (
    b'{"discrepancies":[{"actual":"1300","code":"PRICE_VARIANCE","expected":"1250",'
    b'"line_no":1,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":1,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":2,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":3,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":4,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":5,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":6,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":7,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":8,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":9,"within_tolerance":true},{"actual":"10.00","code":"QTY_NOT_RECEIVED","expected":"9.375",'
    b'"line_no":10,"within_tolerance":true}],'
    b'"inputs":["83ae1818a57653edd5241736e957ae70220d27705d5d436742b67a489527c466",'
    b'"ebe57d0bca30416fa4ac2e3ed52b3a2b407cae21a22796ad2ce92fa19ca88a80",'
    b'"fde2b586d6d627957629bebb5867b1422661eaa1c23443e61a332f63ea1954a6"],"rules_version":"match-1.0.0",'
    b'"status":"matched_within_tolerance"}'
)
