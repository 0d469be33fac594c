"""Parsing and normalising trade documents; canonical bytes and invoice fingerprints."""

from __future__ import annotations

from typing import Any

import pytest

from api.trade.documents import (
    GoodsReceipt,
    PurchaseOrder,
    Shipment,
    canonical_bytes,
    from_canonical,
    invoice_fingerprint,
    parse_goods_receipt,
    parse_invoice,
    parse_purchase_order,
    parse_purchase_order_csv,
)
from api.trade.money import from_minor, to_minor
from chain.errors import InvalidDocument
from tests.trade.factories import BUYER, SUPPLIER, make_po, make_receipt, make_shipment

CSV = """\ufeffpo_number;currency;issue_date;delivery_date;line_no;item;description;quantity;unit;unit_price
PO-2026-001;USD;2026-03-01;2026-04-15;1;BRK-220;Brake disc;100;EA;"1.234,50"
PO-2026-001;USD;2026-03-01;2026-04-15;2;BLT-M8;Bolt M8;2500;PCE;0.35
"""

CSV_COMMA = """PO_NUMBER,Currency,Issue_Date,Line_No,Item,Description,Quantity,Unit,Unit_Price
PO-2026-001,USD,2026-03-01,1,BRK-220,Brake disc,100,EA,"1,234.50"
PO-2026-001,USD,2026-03-01,2,BLT-M8,Bolt M8,2500,PCE,0.35
"""


def test_an_erp_csv_export_becomes_a_normalised_po() -> None:
    po = parse_purchase_order_csv(CSV_COMMA, buyer=BUYER, supplier=SUPPLIER)

    assert po.po_number == "PO-2026-001"
    assert [(x.item, str(x.quantity), x.unit, x.unit_price, x.amount) for x in po.lines] == [
        ("BRK-220", "100", "EA", 123_450, 12_345_000),
        ("BLT-M8", "2500", "PCE", 35, 87_500),
    ]
    assert po.total == 12_432_500


def test_a_csv_with_hs_codes_becomes_a_cross_border_po() -> None:
    text = CSV_COMMA.replace("Unit_Price\n", "Unit_Price,HS_Code\n").replace(
        '"1,234.50"\n', '"1,234.50",8708.30\n'
    )

    po = parse_purchase_order_csv(text, buyer=BUYER, supplier=SUPPLIER, cross_border=True)
    plain = parse_purchase_order_csv(CSV_COMMA, buyer=BUYER, supplier=SUPPLIER)

    assert [x.hs_code for x in po.lines] == ["870830", None]  # an empty cell is no HS code
    assert po.cross_border and not plain.cross_border
    assert b'"cross_border":true' in canonical_bytes(po) and b"cross_border" not in canonical_bytes(plain)


def test_semicolon_csv_with_bom_and_european_numbers_is_refused_with_a_clear_error() -> None:
    with pytest.raises(InvalidDocument) as err:
        parse_purchase_order_csv(CSV, buyer=BUYER, supplier=SUPPLIER)

    assert err.value.code == "invalid_number"  # "1.234,50": a decimal comma is ambiguous, refused
    assert "line 1" in err.value.detail


def test_semicolon_csv_with_bom_is_read() -> None:
    text = CSV.replace('"1.234,50"', "1234.50")

    po = parse_purchase_order_csv(text, buyer=BUYER, supplier=SUPPLIER)

    assert po.lines[0].unit_price == 123_450
    assert po.delivery_date is not None and po.delivery_date.isoformat() == "2026-04-15"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_csv"),
        ("po_number,currency,issue_date,line_no,item,quantity,unit,unit_price\n", "empty_csv"),
        ("po_number,currency,item\nPO-1,USD,X\n", "csv_columns"),
        (CSV_COMMA + "PO-OTHER,USD,2026-03-01,3,X,x,1,EA,1.00\n", "csv_inconsistent"),
        (CSV_COMMA.replace("0.35", "0.355"), "amount_precision"),
        (CSV_COMMA.replace("USD", "XXX"), "unknown_currency"),
        (CSV_COMMA.replace(",2500,", ",lots,"), "invalid_number"),
        (CSV_COMMA.replace(",PCE,", ",BARREL,"), "invalid_document"),
        (CSV_COMMA.replace(",2500,", ",-5,"), "invalid_document"),
    ],
)
def test_bad_csv_is_refused_with_a_code(text: str, code: str) -> None:
    with pytest.raises(InvalidDocument) as err:
        parse_purchase_order_csv(text, buyer=BUYER, supplier=SUPPLIER)

    assert err.value.code == code


def test_a_bad_csv_names_every_row_with_a_problem_not_just_the_first() -> None:
    text = (
        CSV_COMMA.replace(",2500,", ",lots,")
        + "PO-2026-001,USD,2026-03-01,3,NUT-M8,Nut,10,BARREL,0.105\n"
        + "PO-2026-001,USD,2026-03-01,2,BLT-M8,Bolt M8,1,EA,1.00\n"
        + "PO-OTHER,USD,2026-03-01,5,WSH-M8,Washer,1,EA,1.00\n"
    )

    with pytest.raises(InvalidDocument) as err:
        parse_purchase_order_csv(text, buyer=BUYER, supplier=SUPPLIER)

    problems = [(p["row"], p["line_no"], p["code"]) for p in err.value.extra["errors"]]
    assert problems == [
        (3, "2", "invalid_number"),
        (4, "3", "amount_precision"),
        (5, "2", "duplicate_line"),
        (6, "5", "csv_inconsistent"),
    ]
    assert err.value.code == "invalid_number"
    assert err.value.detail.startswith("row 3: line 2 quantity: 'lots' is not a number (4 problems")
    assert all(p["msg"].startswith(f"row {p['row']}: ") for p in err.value.extra["errors"])


def test_a_csv_row_failing_the_line_model_names_the_field() -> None:
    with pytest.raises(InvalidDocument) as err:
        parse_purchase_order_csv(CSV_COMMA.replace(",PCE,", ",BARREL,"), buyer=BUYER, supplier=SUPPLIER)

    [problem] = err.value.extra["errors"]
    assert (problem["row"], problem["line_no"], problem["code"]) == (3, "2", "invalid_document")
    assert problem["msg"].startswith("row 3: line 2 unit: unknown unit 'BARREL'")


def _invoice(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "invoice_number": "INV-1",
        "po_number": "PO-2026-001",
        "supplier": SUPPLIER,
        "buyer": BUYER,
        "currency": "USD",
        "issue_date": "2026-03-25",
        "due_date": "2026-06-23",
        "lines": [
            {"po_line_no": 1, "item": "BRK-220", "quantity": "100", "unit": "EA", "unit_price": "1234.50"},
            {
                "po_line_no": 2,
                "item": "BLT-M8",
                "quantity": "2500",
                "unit": "PCE",
                "unit_price": "0.35",
                "tax": "8",
            },
        ],
    }
    body.update(changes)
    return body


def test_invoice_json_in_major_units_is_normalised() -> None:
    invoice = parse_invoice(_invoice())

    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (12_432_500, 800, 12_433_300)
    assert from_minor(invoice.total, "USD") == "124333.00"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"currency": "usd "}, None),
        ({"due_date": "2026-03-01"}, "invalid_dates"),
        ({"issue_date": "25/03/2026"}, "invalid_document"),
        ({"lines": []}, "missing_field"),
        (
            {"lines": [{"po_line_no": 1, "item": "X", "quantity": 1.5, "unit": "EA", "unit_price": "1"}]},
            "invalid_number",
        ),
        ({"buyer": "ACME"}, "invalid_document"),
        ({"surprise": 1}, "invalid_document"),
    ],
)
def test_invoice_validation(changes: dict[str, Any], code: str | None) -> None:
    if code is None:
        assert parse_invoice(_invoice(**changes)).currency == "USD"
        return
    with pytest.raises(InvalidDocument) as err:
        parse_invoice(_invoice(**changes))
    assert err.value.code == code


def test_naive_times_are_refused() -> None:
    body = {
        "receipt_number": "GR-1",
        "po_number": "PO-1",
        "buyer": BUYER,
        "supplier": SUPPLIER,
        "received_at": "2026-03-20T09:00:00",
        "lines": [{"po_line_no": 1, "item": "X", "quantity": "1", "unit": "EA"}],
    }

    with pytest.raises(InvalidDocument, match="timezone"):
        parse_goods_receipt(body)
    receipt = parse_goods_receipt({**body, "received_at": "2026-03-20T17:00:00+08:00"})
    assert receipt.received_at.isoformat() == "2026-03-20T09:00:00+00:00"


def test_canonical_bytes_ignore_formatting_key_order_and_line_order() -> None:
    a = parse_invoice(_invoice())
    reordered = _invoice(lines=list(reversed(_invoice()["lines"])))
    reordered["lines"][0] = {**reordered["lines"][0], "unit_price": "0.350", "quantity": "2500.000"}
    b = parse_invoice(dict(reversed(list(reordered.items()))))

    assert canonical_bytes(a) == canonical_bytes(b)
    assert b'"quantity":"2500"' in canonical_bytes(a)


def test_the_fingerprint_sees_through_a_new_number_but_not_a_new_amount() -> None:
    original = parse_invoice(_invoice())
    renumbered = parse_invoice(_invoice(invoice_number="inv-0001 (copy)", po_number=" po-2026-001 "))
    changed = parse_invoice(
        _invoice(lines=[{**_invoice()["lines"][0], "unit_price": "1234.51"}, _invoice()["lines"][1]])
    )

    assert invoice_fingerprint(original) == invoice_fingerprint(renumbered)
    assert invoice_fingerprint(original) != invoice_fingerprint(changed)


def test_po_json_line_amounts_must_add_up() -> None:
    body = {
        "po_number": "PO-1",
        "buyer": BUYER,
        "supplier": SUPPLIER,
        "currency": "JPY",
        "issue_date": "2026-03-01",
        "lines": [
            {"line_no": 1, "item": "X", "quantity": "3", "unit": "EA", "unit_price": "100", "amount": "301"}
        ],
    }

    with pytest.raises(InvalidDocument) as err:
        parse_purchase_order(body)

    assert err.value.code == "amount_mismatch"
    assert parse_purchase_order({**body, "lines": [{**body["lines"][0], "amount": "300"}]}).total == 300
    assert to_minor("300", "JPY") == 300


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,234.50", 123_450), ("1234.5", 123_450), ("12", 1_200), ("1,234,567.89", 123_456_789)],
)
def test_amounts_in_major_units(text: str, expected: int) -> None:
    assert to_minor(text, "USD") == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12,50", "invalid_number"),
        ("1,2,3", "invalid_number"),
        ("-5", "negative_amount"),
        ("1.005", "amount_precision"),
    ],
)
def test_ambiguous_or_negative_amounts_are_refused(text: str, code: str) -> None:
    with pytest.raises(InvalidDocument) as err:
        to_minor(text, "USD")
    assert err.value.code == code


def test_a_naive_time_is_its_own_error_code() -> None:
    body = {
        "receipt_number": "GR-1",
        "po_number": "PO-1",
        "buyer": BUYER,
        "supplier": SUPPLIER,
        "received_at": "2026-03-20T09:00:00",
        "lines": [{"po_line_no": 1, "item": "X", "quantity": "1", "unit": "EA"}],
    }

    with pytest.raises(InvalidDocument) as err:
        parse_goods_receipt(body)

    assert err.value.code == "naive_datetime"


def test_an_unknown_currency_is_refused_on_the_models_too() -> None:
    with pytest.raises(InvalidDocument) as err:
        parse_invoice(_invoice(currency="XXX"))
    assert err.value.code == "unknown_currency"


# Canonical bytes of documents committed before HS codes and the cross-border flag existed.
PO_BEFORE_HS_CODES = (
    b'{"buyer":"0xb1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1","currency":"USD",'
    b'"delivery_date":null,"issue_date":"2026-03-01","lines":[{"amount":12500,"description":"part 1",'
    b'"item":"SKU-1","line_no":1,"quantity":"10","tax":10,"unit":"EA","unit_price":1250},{"amount":25000,'
    b'"description":"part 2","item":"SKU-2","line_no":2,"quantity":"10","tax":10,"unit":"EA",'
    b'"unit_price":2500}],"po_number":"PO-1","supplier":'
    b'"0x5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e","total":37520,"type":"PurchaseOrder"}'
)
RECEIPT_BEFORE_HS_CODES = (
    b'{"buyer":"0xb1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1","lines":[{"item":"SKU-1",'
    b'"po_line_no":1,"quantity":"10","unit":"EA"}],"po_number":"PO-1","receipt_number":"GR-1",'
    b'"received_at":"2026-03-20T09:00:00Z","supplier":'
    b'"0x5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e","type":"GoodsReceipt"}'
)
SHIPMENT_BEFORE_HS_CODES = (
    b'{"bl_number":"BL-1","carrier":"0xcacacacacacacacacacacacacacacacacacacacacacacacacacacacacacacaca",'
    b'"consignee":"0xb1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1","lines":[{"item":"SKU-1",'
    b'"po_line_no":1,"quantity":"10","unit":"EA"}],"po_number":"PO-1","port_of_discharge":"NLRTM",'
    b'"port_of_loading":"CNSZX","shipped_on_board_at":"2026-03-10T00:00:00Z","shipper":'
    b'"0x5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e","type":"Shipment"}'
)


def test_documents_without_hs_codes_keep_their_canonical_bytes() -> None:
    po = make_po(lines=2, tax=10)

    assert canonical_bytes(po) == PO_BEFORE_HS_CODES
    assert canonical_bytes(make_receipt(make_po(lines=1))) == RECEIPT_BEFORE_HS_CODES
    assert canonical_bytes(make_shipment(make_po(lines=1))) == SHIPMENT_BEFORE_HS_CODES
    assert canonical_bytes(po.model_copy(update={"cross_border": False})) == PO_BEFORE_HS_CODES


@pytest.mark.parametrize(
    ("model", "canonical"),
    [
        (PurchaseOrder, PO_BEFORE_HS_CODES),
        (GoodsReceipt, RECEIPT_BEFORE_HS_CODES),
        (Shipment, SHIPMENT_BEFORE_HS_CODES),
    ],
)
def test_stored_documents_read_back_to_the_same_bytes(model: Any, canonical: bytes) -> None:
    assert canonical_bytes(from_canonical(model, canonical)) == canonical


def test_hs_codes_and_the_cross_border_flag_are_committed_when_set() -> None:
    po = make_po(lines=2, hs_codes=True, cross_border=True)
    shipment = make_shipment(po)

    assert b'"cross_border":true' in canonical_bytes(po)
    assert canonical_bytes(po).count(b'"hs_code":"8708') == 2
    assert canonical_bytes(shipment).count(b'"hs_code":"8708') == 2
    assert from_canonical(PurchaseOrder, canonical_bytes(po)) == po
    assert canonical_bytes(po) != canonical_bytes(make_po(lines=2, hs_codes=True))


def test_po_json_hs_codes_are_read_as_digits() -> None:
    body = {
        "po_number": "PO-1",
        "buyer": BUYER,
        "supplier": SUPPLIER,
        "currency": "USD",
        "issue_date": "2026-03-01",
        "cross_border": True,
        "lines": [
            {
                "line_no": 1,
                "item": "X",
                "quantity": "3",
                "unit": "EA",
                "unit_price": "1",
                "hs_code": "8708.30.10",
            },
            {"line_no": 2, "item": "Y", "quantity": "3", "unit": "EA", "unit_price": "1", "hs_code": None},
        ],
    }

    po = parse_purchase_order(body)

    assert [line.hs_code for line in po.lines] == ["87083010", None]
    assert po.cross_border is True
    with pytest.raises(InvalidDocument) as err:
        parse_purchase_order({**body, "lines": [{**body["lines"][0], "hs_code": "8708"}]})
    assert err.value.code == "invalid_document"
