"""Purchase orders through the HTTP API: JSON and CSV uploads, deliveries, and bad input (real anvil)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.api.trade_stack import (
    LINES,
    PO_CSV,
    TradeStack,
    book_carrier,
    csv_order,
    delivered_order,
    start_stack,
)
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine)
    with s.client:
        yield s


def _po_json(s: TradeStack, **changes: Any) -> dict[str, Any]:
    body = {
        "po_number": "PO-JSON-1",
        "supplier": s.ids["supplier"],
        "currency": "EUR",
        "issue_date": "2026-03-01",
        "lines": [
            {
                "line_no": 1,
                "item": "GEAR-9",
                "quantity": "12.5",
                "unit": "KGM",
                "unit_price": "80.10",
                "tax": "19.00",
            }
        ],
    }
    body.update(changes)
    return body


def test_a_json_purchase_order_is_normalised_anchored_and_registered(stack: TradeStack) -> None:
    s = stack
    order = s.post("buyer", "/purchase-orders", _po_json(s), expect=201)

    assert (order["currency"], order["total_minor"], order["status"]) == ("EUR", 100_125 + 1_900, "open")
    (doc,) = order["documents"]
    assert doc["type"] == "purchase_order" and doc["content"]["lines"][0]["quantity"] == "12.5"
    on_chain = s.harness.chain.orders().order(bytes.fromhex(order["id"][2:]))
    assert (on_chain.total, on_chain.currency) == (102_025, "EUR")
    assert s.get("supplier", f"/purchase-orders/{order['id']}")["id"] == order["id"]
    assert s.call("rival", "GET", f"/purchase-orders/{order['id']}").status_code == 404


@pytest.mark.parametrize(
    ("who", "body", "status", "code"),
    [
        ("supplier", None, 403, "role_required"),
        ("buyer", {"currency": "XXX"}, 422, "unknown_currency"),
        ("buyer", {"lines": []}, 422, "invalid_request"),
        ("buyer", {"supplier": "0x" + "00" * 32}, 422, "invalid_supplier"),
        ("buyer", {"supplier": "bank"}, 422, "invalid_supplier"),
    ],
)
def test_bad_purchase_orders_change_nothing(
    stack: TradeStack, who: str, body: dict[str, Any] | None, status: int, code: str
) -> None:
    s = stack
    block = s.harness.chain.w3.eth.block_number

    changes = {k: s.ids.get(v, v) if k == "supplier" else v for k, v in (body or {}).items()}
    response = s.post(who, "/purchase-orders", _po_json(s, **changes), expect=status)

    assert response["code"] == code
    assert s.harness.chain.w3.eth.block_number == block
    assert s.get("buyer", "/purchase-orders") == []


def test_bad_csv_is_422_and_a_repeated_po_number_409(stack: TradeStack) -> None:
    s = stack
    csv_headers = {"Content-Type": "text/csv"}
    path = f"/purchase-orders?supplier={s.ids['supplier']}"
    broken = s.call(
        "buyer", "POST", path, content="po_number,currency\nPO-1,USD\n", headers=csv_headers, expect=422
    )
    no_supplier = s.call(
        "buyer", "POST", "/purchase-orders", content=PO_CSV.format(po="PO-X"), headers=csv_headers, expect=422
    )
    s.call("buyer", "POST", path, content=PO_CSV.format(po="PO-7"), headers=csv_headers, expect=201)
    block = s.harness.chain.w3.eth.block_number
    again = s.call("buyer", "POST", path, content=PO_CSV.format(po="PO-7"), headers=csv_headers, expect=409)

    assert (broken.json()["code"], no_supplier.json()["code"], again.json()["code"]) == (
        "csv_columns",
        "missing_supplier",
        "order_exists",
    )
    assert s.harness.chain.w3.eth.block_number == block
    assert len(s.get("buyer", "/purchase-orders")) == 1


def test_deliveries_are_checked_against_the_order(stack: TradeStack) -> None:
    s = stack
    order_id = delivered_order(s)
    wrong_line = {
        "receipt_number": "GR-9",
        "received_at": "2026-04-19T09:00:00Z",
        "lines": [{**LINES[0], "po_line_no": 9}],
    }
    naive = {"receipt_number": "GR-10", "received_at": "2026-04-19T09:00:00", "lines": LINES}

    assert s.post("buyer", f"/purchase-orders/{order_id}/goods-receipts", wrong_line, expect=422)["code"] == (
        "line_not_on_po"
    )
    assert (
        s.post("buyer", f"/purchase-orders/{order_id}/goods-receipts", naive, expect=422)["code"]
        == "invalid_request"
    )
    assert s.post("supplier", f"/purchase-orders/{order_id}/goods-receipts", wrong_line, expect=403)[
        "code"
    ] == ("not_buyer")
    shipment = {
        "bl_number": "BL-2",
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "shipped_on_board_at": "2026-04-02T06:00:00Z",
        "lines": LINES,
    }
    assert (
        s.post("buyer", f"/purchase-orders/{order_id}/shipments", shipment, expect=403)["code"]
        == "role_required"
    )
    order = s.get("buyer", f"/purchase-orders/{order_id}")
    assert (order["receipts"], order["shipments"]) == (1, 1)


def _member(s: TradeStack, name: str, role: str) -> str:
    """Register one more organisation ``name`` of ``role``; its id (its key in ``s.keys``)."""
    body = {
        "handle": f"{name}-{secrets.token_hex(3)}",
        "name": name.title(),
        "role": role,
        "legal_id": f"L-{name}",
    }
    created = s.post("operator", "/organisations", body, expect=201)
    s.keys[name], s.ids[name] = created["api_key"], created["organisation"]["id"]
    return str(created["organisation"]["id"])


SHIPMENT = {
    "bl_number": "BL-B",
    "port_of_loading": "CNSZX",
    "port_of_discharge": "NLRTM",
    "shipped_on_board_at": "2026-04-02T06:00:00Z",
    "lines": LINES,
}


def test_only_a_carrier_a_trading_party_booked_sees_the_order_and_ships_on_it(stack: TradeStack) -> None:
    s = stack
    order_id = str(csv_order(s, "PO-B")["id"])
    bookings, shipments = (
        f"/purchase-orders/{order_id}/carrier-bookings",
        f"/purchase-orders/{order_id}/shipments",
    )
    nowhere = "/purchase-orders/0x" + "cd" * 32 + "/carrier-bookings"
    suspended = _member(s, "lapsed", "logistics")
    s.post("operator", f"/organisations/{suspended}/suspend", expect=200)
    forwarder = _member(s, "forwarder", "logistics")
    block = s.harness.chain.w3.eth.block_number

    unbooked = s.post("carrier", shipments, SHIPMENT, expect=404)
    unseen = s.call("carrier", "GET", f"/purchase-orders/{order_id}")
    not_logistics = s.post("supplier", bookings, {"carrier": s.ids["rival"]}, expect=422)
    lapsed = s.post("supplier", bookings, {"carrier": suspended}, expect=422)
    no_org = s.post("supplier", bookings, {"carrier": "0x" + "ab" * 32}, expect=422)
    forged = s.post(
        "supplier", bookings, {"carrier": s.ids["carrier"], "booked_by": s.ids["buyer"]}, expect=422
    )
    stranger = s.call("rival", "POST", bookings, json={"carrier": s.ids["carrier"]})
    unknown = s.call("rival", "POST", nowhere, json={"carrier": s.ids["carrier"]})
    stranger_reads = s.call("rival", "GET", bookings)
    before = s.get("buyer", bookings)

    booked = book_carrier(s, order_id)  # by the supplier
    again = book_carrier(s, order_id, by="buyer")  # the same carrier: the booking there is
    by_buyer = book_carrier(s, order_id, "forwarder", by="buyer")  # e.g. under FOB terms
    carrier_books = s.post("carrier", bookings, {"carrier": s.ids["carrier"]}, expect=403)
    unchanged = s.harness.chain.w3.eth.block_number
    seen = s.get("carrier", f"/purchase-orders/{order_id}")
    shipped = s.post("carrier", shipments, SHIPMENT, expect=201)
    listed = s.get("carrier", bookings)

    assert unbooked["code"] == "order_not_found"
    assert (unseen.status_code, unseen.json()["code"]) == (404, "order_not_found")
    assert {not_logistics["code"], lapsed["code"], no_org["code"]} == {"invalid_carrier"}
    assert forged["code"] == "invalid_request"
    assert (stranger.status_code, stranger.json()["code"]) == (unknown.status_code, unknown.json()["code"])
    assert (stranger.status_code, stranger.json()["code"]) == (404, "order_not_found")
    assert (stranger_reads.status_code, stranger_reads.json()["code"]) == (404, "order_not_found")
    assert before == []
    assert unchanged == block, "bookings are off chain; refusals write nothing"
    assert (booked["carrier"], booked["booked_by"]) == (s.ids["carrier"], s.ids["supplier"])
    assert again == booked
    assert (by_buyer["carrier"], by_buyer["booked_by"]) == (forwarder, s.ids["buyer"])
    assert carrier_books["code"] == "not_trading_party"
    assert seen["id"] == order_id
    assert shipped["shipments"] == 1
    assert [(b["carrier"], b["booked_by"]) for b in listed] == [
        (s.ids["carrier"], s.ids["supplier"]),
        (forwarder, s.ids["buyer"]),
    ]
