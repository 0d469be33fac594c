"""Shipments and customs declarations in a real browser: the supplier books the carrier on an order, which
is then offered the order (and no other), the carrier records a bill of lading on it (bad input shows its
errors and records nothing), the order's buyer and supplier see the shipment with its
declaration's status, a customs oracle sees the declarations and who attested what, strangers get 404."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from api.projections import all_projections
from api.runtime import signing_key
from api.web.carbon import kg_co2e
from chain.carbon_contracts import DeviceKind
from chain.indexer import Indexer
from chain.node import free_port
from iot.readings import Reading
from iot.simulator import binding_id
from oracles.customs.authority import CustomsAuthority, serve_authority
from oracles.customs.feeds import HttpFeed
from oracles.customs.operator import CustomsOperator, OperatorConfig
from tests.conftest import ChainHarness
from tests.web.conftest import WebStack, api_call, book_carrier, screenshots, sign_in
from tests.web.test_carbon import _iso, _register, _through_the_oracle  # readings through the IoT oracle

pytestmark = [pytest.mark.browser, pytest.mark.chain]

BUYER, SUPPLIER, CARRIER, STRANGER = "acme-motors", "shenzhen-precision", "fastfreight", "dongguan-castings"
OPERATORS = ("customs-oracle-a", "customs-oracle-b")  # two of three: the demo threshold
SALT_KEY = bytes(32 * [7])
LINES = [
    {"line_no": 1, "item": "BRK-220", "description": "Brake disc", "quantity": "100", "unit": "EA",
     "unit_price": "1000.00", "hs_code": "870830"},
    {"line_no": 2, "item": "BLT-M8", "description": "Bolt M8", "quantity": "50", "unit": "PCE",
     "unit_price": "200.00", "hs_code": "731815"},
]  # fmt: skip
SHIPPED = [
    {"po_line_no": 1, "item": "BRK-220", "quantity": "100", "unit": "EA"},
    {"po_line_no": 2, "item": "BLT-M8", "quantity": "50", "unit": "PCE"},
]


def cross_border_order(stack: WebStack, po: str, *, booked: bool = True) -> str:
    """acme-motors' cross-border order ``po`` from shenzhen-precision, through the JSON API, with fastfreight
    booked as its carrier unless not ``booked``; its id."""
    body = {
        "po_number": po,
        "supplier": stack.orgs[SUPPLIER]["org_id"],
        "currency": "USD",
        "issue_date": "2026-03-01",
        "lines": LINES,
        "cross_border": True,
    }
    order_id = str(api_call(stack, BUYER, "POST", "/purchase-orders", body, expect=201)["id"])
    if booked:
        book_carrier(stack, order_id, CARRIER, SUPPLIER)
    return order_id


def shipped(stack: WebStack, order_id: str, bl: str, **freight: str) -> str:
    """fastfreight's shipment ``bl`` of the whole order, through the JSON API; the bill of lading's id."""
    body = {
        "bl_number": bl,
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "shipped_on_board_at": "2026-04-01T06:00:00Z",
        "lines": SHIPPED,
        **freight,
    }
    order = api_call(stack, CARRIER, "POST", f"/purchase-orders/{order_id}/shipments", body, expect=201)
    return str(next(d["id"] for d in order["documents"] if d["type"] == "shipment" and d["number"] == bl))


def order_of(stack: WebStack, order_id: str) -> dict[str, Any]:
    return dict(api_call(stack, BUYER, "GET", f"/purchase-orders/{order_id}", expect=200))


@pytest.fixture(scope="module")
def authority() -> Iterator[tuple[CustomsAuthority, str]]:
    register = CustomsAuthority()
    with serve_authority(register, free_port()) as url:
        yield register, url


def cleared_shipment(
    stack: WebStack, chain: ChainHarness, authority: tuple[CustomsAuthority, str], po: str
) -> tuple[str, str, str]:
    """Cross-border order ``po``, its shipment ``BL-<po>``, and its export declaration ``DEC-<po>``, which
    customs clears and two demo customs oracle operators attest (final at 2 of 3): the order's, the bill of
    lading's and the declaration's ids."""
    register, url = authority
    order_id = cross_border_order(stack, po)
    doc_id = shipped(stack, order_id, f"BL-{po}")
    supplier, buyer = stack.orgs[SUPPLIER]["org_id"], stack.orgs[BUYER]["org_id"]
    declaration = {
        "declaration_number": f"DEC-{po}",
        "customs_office": "CNSZX01",
        "direction": "export",
        "exporter": supplier,
        "exporter_name": "Shenzhen Precision Parts",
        "importer": buyer,
        "importer_name": "ACME Motors",
        "po_number": po,
        "transport_document": f"BL-{po}",
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "currency": "USD",
        "declared_value": "110000.00",
        "declared_at": "2026-03-30T08:00:00Z",
        "lines": [
            {**{k: line[k] for k in ("line_no", "item", "hs_code", "description", "quantity", "unit")},
             "value": value, "origin_country": "CN"}
            for line, value in zip(LINES, ("100000.00", "10000.00"), strict=True)
        ],
    }  # fmt: skip
    register.file(declaration, at="2026-03-30T08:00:00Z")
    register.advance(f"DEC-{po}", "cleared", at="2026-04-03T08:00:00Z")
    for handle in OPERATORS:
        org = stack.orgs[handle]["org_id"]
        config = OperatorConfig(org=org, key=signing_key(chain.chain, org), salt_key=SALT_KEY)
        CustomsOperator(config, HttpFeed(url), stack.engine, chain.chain).poll_once()
    Indexer(chain.chain, stack.engine, all_projections()).sync()  # the attestations' events, for the pages
    found = api_call(stack, BUYER, "GET", "/customs/declarations", expect=200)
    return order_id, doc_id, str(next(d["id"] for d in found if d["number"] == f"DEC-{po}"))


def record_form(page: Page, order_id: str, bl: str, shipped_at: str = "2026-04-01T14:00:00+08:00") -> None:
    page.get_by_label("Purchase order", exact=True).select_option(order_id)
    page.get_by_label("Bill of lading number").fill(bl)
    page.get_by_label("Shipped on board at").fill(shipped_at)
    page.get_by_label("Port of loading").fill("CNSZX")
    page.get_by_label("Port of discharge").fill("NLRTM")
    page.get_by_label("Transport mode").select_option(label="deep sea container")
    page.get_by_label("Gross weight (kg)").fill("12500")
    for n, line in enumerate(SHIPPED, start=1):
        page.get_by_label(f"Row {n} PO line number").fill(str(line["po_line_no"]))
        page.get_by_label(f"Row {n} item").fill(line["item"])
        page.get_by_label(f"Row {n} quantity").fill(line["quantity"])
        page.get_by_label(f"Row {n} unit", exact=False).fill(line["unit"])


def submit(page: Page) -> int:
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/shipments")) as sent:
        page.get_by_role("button", name="Record shipment").click()
    page.wait_for_load_state()
    return sent.value.status


# --- the carrier ---------------------------------------------------------------------------------


def test_the_carrier_records_a_shipment_with_its_bill_of_lading_and_sees_it(
    web_stack: WebStack, page: Page
) -> None:
    order_id = cross_border_order(web_stack, "PO-WEB-SHIP-1")
    sign_in(page, web_stack, CARRIER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Shipments").click()
    expect(page.get_by_role("heading", name="Shipments", level=1)).to_be_visible()

    record_form(page, order_id, "BL-WEB-SHIP-1")
    status = submit(page)

    assert status == 303
    expect(page.get_by_role("heading", level=1)).to_have_text("Shipment BL-WEB-SHIP-1")
    tx = page.get_by_test_id("tx-hash").inner_text()
    assert re.fullmatch(r"0x[0-9a-f]{64}", tx)
    notice = page.get_by_role("status")
    expect(notice).to_contain_text(
        "Bill of lading BL-WEB-SHIP-1 is anchored and recorded on purchase order PO-WEB-SHIP-1"
    )
    order = order_of(web_stack, order_id)
    bl = next(d for d in order["documents"] if d["type"] == "shipment")
    assert order["shipments"] == 1 and bl["number"] == "BL-WEB-SHIP-1"
    assert page.url == f"{web_stack.url}/shipments/{bl['id']}?recorded=1"
    recorded = next(e for e in order["timeline"] if e["event"] == "ShipmentRecorded")
    expect(notice).to_contain_text(recorded["tx_hash"])
    expect(page.get_by_test_id("commitment")).to_have_text(bl["commitment"])
    assert bl["content"]["shipped_on_board_at"] == "2026-04-01T06:00:00Z"  # stored in UTC
    assert (bl["content"]["transport_mode"], bl["content"]["gross_weight_kg"]) == (
        "deep_sea_container",
        "12500",
    )
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("FastFreight")
    expect(facts).to_contain_text("CNSZX → NLRTM")
    expect(facts).to_contain_text("2026-04-01T06:00:00Z")
    expect(facts).to_contain_text("no declaration yet")
    expect(page.locator("table.lines tbody tr")).to_have_count(2)
    expect(page.locator(".timeline")).to_contain_text("ShipmentRecorded")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the bill of lading (JSON)").click()
    assert '"bl_number":"BL-WEB-SHIP-1"' in download.value.path().read_text()
    screenshots(page, "shipment-detail")

    page.get_by_role("link", name="Shipments").first.click()
    row = page.locator("table.shipments tbody tr").filter(has_text="BL-WEB-SHIP-1")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("PO-WEB-SHIP-1")
    expect(row).to_contain_text("deep sea container, 12500 kg")
    expect(row.get_by_role("link", name="PO-WEB-SHIP-1")).to_have_attribute(
        "href", f"/purchase-orders/{order_id}"
    )
    screenshots(page, "shipments-list")


def test_a_missing_bill_of_lading_or_a_malformed_date_shows_the_errors_and_records_nothing(
    web_stack: WebStack, page: Page
) -> None:
    order_id = cross_border_order(web_stack, "PO-WEB-SHIP-BAD")
    sign_in(page, web_stack, CARRIER)
    page.goto(web_stack.url + "/shipments")

    record_form(page, order_id, "")
    page.locator("form[action='/shipments']").evaluate(
        "f => f.noValidate = true"
    )  # as without the browser's check
    missing = submit(page)

    assert missing == 422
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Bill of lading number")
    expect(alert).to_contain_text("invalid_document")
    expect(page.get_by_label("Bill of lading number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Purchase order", exact=True)).to_have_value(order_id)  # kept for a retry
    expect(page.get_by_label("Row 2 item")).to_have_value("BLT-M8")

    page.get_by_label("Bill of lading number").fill("BL-WEB-SHIP-BAD")
    page.get_by_label("Shipped on board at").fill("01/04/2026 14:00")
    malformed = submit(page)

    assert malformed == 422
    problems = page.locator("table.problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text("Shipped on board at")
    expect(page.get_by_label("Shipped on board at")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Bill of lading number")).not_to_have_attribute("aria-invalid", "true")

    page.get_by_label("Shipped on board at").fill("2026-04-01T06:00:00Z")
    page.get_by_label("Row 1 PO line number").fill("9")
    off_order = submit(page)

    assert off_order == 422
    expect(page.get_by_role("alert")).to_contain_text("line_not_on_po")
    order = order_of(web_stack, order_id)
    assert order["shipments"] == 0
    assert [d["type"] for d in order["documents"]] == ["purchase_order"]
    expect(page.locator("table.shipments")).not_to_contain_text("BL-WEB-SHIP-BAD")


def test_the_supplier_books_the_carrier_which_is_then_offered_the_order_and_no_other(
    web_stack: WebStack, page: Page
) -> None:
    order_id = cross_border_order(web_stack, "PO-WEB-BOOK", booked=False)
    unbooked_id = cross_border_order(web_stack, "PO-WEB-UNBOOKED", booked=False)
    sign_in(page, web_stack, CARRIER)
    page.goto(web_stack.url + "/shipments")
    offered_before = page.get_by_label("Purchase order", exact=True).locator("option").all_inner_texts()
    hidden = page.goto(f"{web_stack.url}/purchase-orders/{order_id}")
    assert hidden is not None and hidden.status == 404

    page.context.clear_cookies()
    sign_in(page, web_stack, SUPPLIER)
    page.goto(f"{web_stack.url}/purchase-orders/{order_id}")
    expect(page.locator("#carriers-heading + p")).to_have_text("No carrier is booked on this order yet.")
    page.get_by_label("Logistics provider").select_option(label="FastFreight Logistics")
    page.get_by_role("button", name="Book a carrier").click()
    expect(page.get_by_role("status")).to_contain_text("The carrier is booked")
    expect(page.locator("ul.bookings li")).to_have_count(1)
    expect(page.locator("ul.bookings")).to_contain_text(
        "FastFreight Logistics, booked by Shenzhen Precision Parts"
    )
    screenshots(page, "order-carrier-booked")

    page.context.clear_cookies()
    sign_in(page, web_stack, CARRIER)
    page.goto(f"{web_stack.url}/purchase-orders/{order_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Purchase order PO-WEB-BOOK")
    expect(page.get_by_role("button", name="Book a carrier")).to_have_count(0)  # a carrier books no one
    page.goto(web_stack.url + "/shipments")
    offered = page.get_by_label("Purchase order", exact=True).locator("option")
    expect(offered.filter(has_text="PO-WEB-BOOK")).to_have_count(1)
    record_form(page, order_id, "BL-WEB-UNBOOKED")
    page.get_by_label("Purchase order", exact=True).evaluate(
        "(s, id) => { s.selectedOptions[0].value = id; }", unbooked_id
    )  # the order it is not booked on, as a forged form would send it
    forged = submit(page)

    assert not any("PO-WEB-BOOK" in text or "PO-WEB-UNBOOKED" in text for text in offered_before)
    assert "PO-WEB-UNBOOKED" not in " ".join(offered.all_inner_texts())
    assert forged == 404
    expect(page.get_by_role("alert")).to_contain_text("order_not_found")
    assert order_of(web_stack, unbooked_id)["shipments"] == 0


# --- the order's parties and customs ---------------------------------------------------------------


def test_the_buyer_and_the_supplier_see_the_shipment_with_its_declaration_status(
    web_stack: WebStack, deployed: ChainHarness, page: Page, authority: tuple[CustomsAuthority, str]
) -> None:
    _, doc_id, declaration_id = cleared_shipment(web_stack, deployed, authority, "PO-WEB-XB1")

    for handle in (BUYER, SUPPLIER):
        page.context.clear_cookies()
        sign_in(page, web_stack, handle)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Shipments").click()
        row = page.locator("table.shipments tbody tr").filter(has_text="BL-PO-WEB-XB1")
        expect(row).to_contain_text("PO-WEB-XB1")
        expect(row).to_contain_text("FastFreight")
        expect(row).to_contain_text("DEC-PO-WEB-XB1: cleared")

        row.get_by_role("link", name="BL-PO-WEB-XB1").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Shipment BL-PO-WEB-XB1")
        expect(page.locator("table.declarations")).to_contain_text("cleared")
        page.get_by_role("link", name="DEC-PO-WEB-XB1").first.click()
        assert page.url == f"{web_stack.url}/declarations/{declaration_id}"
        expect(page.get_by_test_id("status")).to_have_text("cleared")
        expect(page.locator("table.lines")).to_contain_text("870830")  # its parties read the content

    page.context.clear_cookies()
    sign_in(page, web_stack, CARRIER)
    page.goto(f"{web_stack.url}/shipments/{doc_id}")
    expect(page.locator("dl.facts").first).to_contain_text(
        "declared; its status is shown to the exporter and importer"
    )


def test_a_customs_oracle_sees_its_declarations_and_who_attested_them(
    web_stack: WebStack, deployed: ChainHarness, page: Page, authority: tuple[CustomsAuthority, str]
) -> None:
    _, _, declaration_id = cleared_shipment(web_stack, deployed, authority, "PO-WEB-XB2")
    expected = api_call(
        web_stack, "customs-oracle-c", "GET", f"/customs/declarations/{declaration_id}", expect=200
    )

    sign_in(page, web_stack, "customs-oracle-c")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customs declarations").click()
    row = page.locator("table.declarations tbody tr").filter(has_text="DEC-PO-WEB-XB2")
    expect(row).to_contain_text("CNSZX01")
    expect(row).to_contain_text("Shenzhen Precision Parts")
    expect(row).to_contain_text("BL-PO-WEB-XB2")
    expect(row).to_contain_text("cleared")
    screenshots(page, "declarations-list")

    row.get_by_role("link", name="DEC-PO-WEB-XB2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customs declaration DEC-PO-WEB-XB2")
    expect(page.get_by_test_id("commitment")).to_have_text(expected["commitment"])
    cleared = page.locator("table.attestations").filter(has=page.locator("caption", has_text="Cleared"))
    expect(cleared.locator("caption")).to_contain_text("quorum reached (2 of 2)")
    attested = cleared.locator("tbody tr")
    expect(attested).to_have_count(2)
    expect(attested.nth(0)).to_contain_text("Customs Oracle A")
    expect(attested.nth(1)).to_contain_text("Customs Oracle B")
    recorded = {e["tx_hash"] for e in expected["timeline"] if e["event"] == "CustomsAttestationRecorded"}
    shown = {attested.nth(n).locator("code").last.get_attribute("title") for n in range(2)}
    assert len(shown) == 2 and shown <= recorded
    expect(page.locator("table.lines")).to_contain_text("731815")  # customs oracles read the feed anyway
    screenshots(page, "declaration-detail")


@pytest.mark.broker
def test_a_shipment_shows_the_freight_emissions_stated_for_it(
    web_stack: WebStack, deployed: ChainHarness, page: Page, mqtt_url: str
) -> None:
    carrier, bl = web_stack.orgs[CARRIER]["org_id"], "BL-WEB-CO2"
    truck = _register(deployed, carrier, "WEB-TRUCK-LOGISTICS", DeviceKind.TRUCK, f"shipment:{bl}")
    order_id = cross_border_order(web_stack, "PO-WEB-CO2")
    shipped(web_stack, order_id, bl, transport_mode="road", gross_weight_kg="2000")
    t = int(deployed.chain.w3.eth.get_block("latest")["timestamp"])
    road = binding_id(f"shipment:{bl}")
    trips = [Reading(truck, 1 + n, t + 50 + 90 * n, "distance_km", 100_000, "km", road) for n in range(2)]
    _through_the_oracle(web_stack, deployed, mqtt_url, [(carrier, r) for r in trips])
    period = {"period_start": _iso(t + 1), "period_end": _iso(t + 200)}
    body = {"scope": 3, "shipment": bl, **period}
    statement = api_call(web_stack, BUYER, "POST", "/carbon/statements", body, expect=201)

    sign_in(page, web_stack, BUYER)
    page.goto(web_stack.url + "/shipments")
    row = page.locator("table.shipments tbody tr").filter(has_text=bl)
    expect(row).to_contain_text(f"{kg_co2e(statement['grams_co2'])} kg CO₂e (submitted)")
    assert statement["grams_co2"] > 0
    page.context.clear_cookies()
    sign_in(page, web_stack, SUPPLIER)  # the statement is acme-motors'; the supplier stated none
    page.goto(web_stack.url + "/shipments")
    expect(page.locator("table.shipments tbody tr").filter(has_text=bl)).to_contain_text("not stated")


# --- strangers -----------------------------------------------------------------------------------


def test_another_organisations_shipment_or_declaration_is_not_found(
    web_stack: WebStack, deployed: ChainHarness, page: Page, authority: tuple[CustomsAuthority, str]
) -> None:
    order_id, doc_id, declaration_id = cleared_shipment(web_stack, deployed, authority, "PO-WEB-XB3")

    sign_in(page, web_stack, STRANGER)
    page.goto(web_stack.url + "/shipments")
    expect(page.locator("main")).not_to_contain_text("BL-PO-WEB-XB3")
    for path, code in [
        (f"/shipments/{doc_id}", "document_not_found"),
        (f"/shipments/{doc_id}/bill-of-lading.json", "document_not_found"),
        (f"/declarations/{declaration_id}", "declaration_not_found"),
        (f"/shipments/{order_id}", "document_not_found"),  # an order's id is no shipment's
    ]:
        response = page.goto(web_stack.url + path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("alert")).to_contain_text(code)
    page.goto(web_stack.url + "/declarations")
    expect(page.locator("main")).not_to_contain_text("DEC-PO-WEB-XB3")

    page.context.clear_cookies()
    sign_in(page, web_stack, CARRIER)  # it carried the goods, but is no party of the declaration
    response = page.goto(f"{web_stack.url}/declarations/{declaration_id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("declaration_not_found")
