"""Cross-border matching (三單對碰) end to end: order, payment and waybill against the customs declaration
the oracle operators attested, feeding the receivable's match and the financing gate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from api.runtime import signing_key
from chain.docstore import open_sealed
from chain.node import free_port
from oracles.customs.authority import CustomsAuthority, serve_authority
from oracles.customs.feeds import HttpFeed
from oracles.customs.operator import CustomsOperator, OperatorConfig
from tests.api.trade_stack import LINES, TradeStack, book_carrier, invoice_body, start_stack
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain
CUSTOMS = {"customs1": "customs_oracle", "customs2": "customs_oracle", "auditor": "auditor"}
SALT_KEY = bytes(32 * [7])
HS = {"BRK-220": "870830", "BLT-M8": "731815"}


@pytest.fixture
def stack(
    harness: ChainHarness, db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TradeStack]:
    monkeypatch.setenv("TRADELEDGER_VAR_DIR", str(tmp_path / "var"))
    s = start_stack(harness, db_engine, CUSTOMS)
    with s.client:
        yield s


@pytest.fixture
def authority() -> Iterator[tuple[CustomsAuthority, str]]:
    register = CustomsAuthority()
    with serve_authority(register, free_port()) as url:
        yield register, url


def attest(s: TradeStack, url: str) -> None:
    """Both demo operators read the feed once (2 of 2 distinct operators: final)."""
    for name in ("customs1", "customs2"):
        org = s.ids[name]
        config = OperatorConfig(org=org, key=signing_key(s.harness.chain, org), salt_key=SALT_KEY)
        CustomsOperator(config, HttpFeed(url), s.engine, s.harness.chain).poll_once()


def cross_border_order(s: TradeStack, po: str) -> str:
    lines = [
        {
            "line_no": 1,
            "item": "BRK-220",
            "description": "Brake disc",
            "quantity": "100",
            "unit": "EA",
            "unit_price": "1000.00",
            "hs_code": HS["BRK-220"],
        },
        {
            "line_no": 2,
            "item": "BLT-M8",
            "description": "Bolt M8",
            "quantity": "50",
            "unit": "PCE",
            "unit_price": "200.00",
            "hs_code": HS["BLT-M8"],
        },
    ]
    body = {
        "po_number": po,
        "supplier": s.ids["supplier"],
        "currency": "USD",
        "issue_date": "2026-03-01",
        "lines": lines,
        "cross_border": True,
    }
    order = s.post("buyer", "/purchase-orders", body, expect=201)
    book_carrier(s, order["id"])
    shipment = {
        "bl_number": f"BL-{po}",
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "shipped_on_board_at": "2026-04-01T06:00:00Z",
        "lines": LINES,
    }
    s.post("carrier", f"/purchase-orders/{order['id']}/shipments", shipment, expect=201)
    receipt = {"receipt_number": f"GR-{po}", "received_at": "2026-04-18T09:30:00Z", "lines": LINES}
    s.post("buyer", f"/purchase-orders/{order['id']}/goods-receipts", receipt, expect=201)
    payment = {
        "payment_ref": f"PAY-{po}",
        "currency": "USD",
        "amount": "110000.00",
        "paid_at": "2026-04-10T10:00:00Z",
    }
    s.post("buyer", f"/purchase-orders/{order['id']}/payments", payment, expect=201)
    return str(order["id"])


def declaration_of(s: TradeStack, po: str, **changes: Any) -> dict[str, Any]:
    body = {
        "declaration_number": f"DEC-{po}",
        "customs_office": "CNSZX01",
        "direction": "export",
        "exporter": s.ids["supplier"],
        "exporter_name": "Shenzhen Precision Parts Co.",
        "importer": s.ids["buyer"],
        "importer_name": "ACME Motors GmbH",
        "po_number": po,
        "transport_document": f"BL-{po}",
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "currency": "USD",
        "declared_value": "110000.00",
        "declared_at": "2026-03-30T08:00:00Z",
        "lines": [
            {
                "line_no": 1,
                "item": "BRK-220",
                "hs_code": HS["BRK-220"],
                "description": "Brake discs, cast iron",
                "quantity": "100",
                "unit": "EA",
                "value": "100000.00",
                "origin_country": "CN",
            },
            {
                "line_no": 2,
                "item": "BLT-M8",
                "hs_code": HS["BLT-M8"],
                "description": "Bolts M8, steel",
                "quantity": "50",
                "unit": "PCE",
                "value": "10000.00",
                "origin_country": "CN",
            },
        ],
    }
    body.update(changes)
    return body


def codes(receivable: dict[str, Any]) -> list[str]:
    return sorted({d["code"] for d in receivable["match"]["discrepancies"]})


def fund(s: TradeStack, rid: str) -> dict[str, Any]:
    fid = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=201)["id"]
    offer = {"advance_minor": 9_000_000, "discount_bps": 300, "tenor_days": 60}
    s.post("bank", f"/financing-requests/{fid}/offers", offer, expect=201)
    return dict(
        s.post("supplier", f"/financing-requests/{fid}/accept", {"financier": s.ids["bank"]}, expect=200)
    )


def test_a_customs_cleared_shipment_makes_its_receivable_financeable(
    stack: TradeStack, authority: tuple[CustomsAuthority, str]
) -> None:
    s, (register, url) = stack, authority
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 50_000_000}, expect=201)
    order_id = cross_border_order(s, "PO-XB1")
    register.file(declaration_of(s, "PO-XB1"), at="2026-03-30T08:00:00Z")
    register.advance("DEC-PO-XB1", "released", at="2026-04-02T08:00:00Z")
    register.advance("DEC-PO-XB1", "cleared", at="2026-04-03T08:00:00Z")
    attest(s, url)

    receivable = s.post("supplier", "/invoices", invoice_body(order_id, "INV-XB1"), expect=201)
    confirmed = s.post("buyer", f"/receivables/{receivable['id']}/confirm", {}, expect=200)
    funded = fund(s, receivable["id"])

    assert (receivable["match_status"], codes(receivable)) == ("matched", [])
    assert receivable["match"]["rules_version"] == "match-1.0.0+crossborder-1.0.0"
    assert confirmed["status"] == "confirmed"
    assert funded["status"] == "funded"
    declarations = s.get("buyer", "/customs/declarations")
    assert [(d["number"], d["status"], d["conflicted"]) for d in declarations] == [
        ("DEC-PO-XB1", "cleared", False)
    ]


def test_an_uncleared_shipment_is_not_financeable_until_customs_clears_it(
    stack: TradeStack, authority: tuple[CustomsAuthority, str]
) -> None:
    s, (register, url) = stack, authority
    order_id = cross_border_order(s, "PO-XB2")
    register.file(declaration_of(s, "PO-XB2"), at="2026-03-30T08:00:00Z")
    register.advance("DEC-PO-XB2", "inspected", at="2026-04-02T08:00:00Z")
    attest(s, url)

    receivable = s.post("supplier", "/invoices", invoice_body(order_id, "INV-XB2"), expect=201)
    rid = receivable["id"]
    unwaived = s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=409)
    unconfirmed = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=409)

    assert (receivable["match_status"], codes(receivable)) == ("discrepant", ["DECLARATION_NOT_CLEARED"])
    assert unwaived["code"] == "receivable_discrepant"
    assert unconfirmed["code"] == "financing_receivable_not_confirmed"

    register.advance("DEC-PO-XB2", "cleared", at="2026-04-05T08:00:00Z")
    attest(s, url)
    rematched = s.post("supplier", f"/receivables/{rid}/match", None, expect=200)
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)

    assert (rematched["match_status"], codes(rematched)) == ("matched", [])


def test_declared_content_that_contradicts_the_order_is_discrepant(
    stack: TradeStack, authority: tuple[CustomsAuthority, str]
) -> None:
    s, (register, url) = stack, authority
    order_id = cross_border_order(s, "PO-XB3")
    lines = declaration_of(s, "PO-XB3")["lines"]
    lines[0] = {**lines[0], "hs_code": "940350"}  # furniture, not brake discs
    register.file(declaration_of(s, "PO-XB3", lines=lines), at="2026-03-30T08:00:00Z")
    register.advance("DEC-PO-XB3", "cleared", at="2026-04-03T08:00:00Z")
    attest(s, url)

    receivable = s.post("supplier", "/invoices", invoice_body(order_id, "INV-XB3"), expect=201)

    assert (receivable["match_status"], codes(receivable)) == ("discrepant", ["HS_CODE_MISMATCH"])


def test_payments_are_the_buyers_and_are_recorded_once(stack: TradeStack) -> None:
    s = stack
    order_id = cross_border_order(s, "PO-XB4")
    payment = {
        "payment_ref": "PAY-PO-XB4",
        "currency": "USD",
        "amount": "1.00",
        "paid_at": "2026-04-10T10:00:00Z",
    }

    twice = s.post("buyer", f"/purchase-orders/{order_id}/payments", payment, expect=409)
    by_supplier = s.post(
        "supplier", f"/purchase-orders/{order_id}/payments", {**payment, "payment_ref": "P2"}, expect=403
    )
    by_stranger = s.post(
        "rival", f"/purchase-orders/{order_id}/payments", {**payment, "payment_ref": "P3"}, expect=404
    )
    malformed = s.post(
        "buyer", f"/purchase-orders/{order_id}/payments", {**payment, "amount": "lots"}, expect=422
    )

    assert (twice["code"], by_supplier["code"], by_stranger["code"]) == (
        "payment_exists",
        "not_buyer",
        "order_not_found",
    )
    assert malformed["code"] == "invalid_number"
    documents = s.get("buyer", f"/purchase-orders/{order_id}")["documents"]
    assert [d["type"] for d in documents].count("payment") == 1


def test_documents_open_only_for_their_parties_and_authorised_auditors(stack: TradeStack) -> None:
    s = stack
    order_id = cross_border_order(s, "PO-XB5")
    doc_id = s.get("buyer", f"/purchase-orders/{order_id}")["documents"][0]["id"]

    key = s.get("supplier", f"/documents/{doc_id}/key")
    sealed = s.call("buyer", "GET", f"/documents/{doc_id}/sealed", expect=200).content
    stranger = s.get("rival", f"/documents/{doc_id}/key", expect=404)
    auditor_before = s.get("auditor", f"/documents/{doc_id}/key", expect=404)
    s.post("buyer", "/auditor-grants", {"auditor": s.ids["auditor"]}, expect=201)
    auditor_after = s.get("auditor", f"/documents/{doc_id}/key")
    not_an_auditor = s.post("buyer", "/auditor-grants", {"auditor": s.ids["bank"]}, expect=422)

    plain = open_sealed(sealed, bytes.fromhex(key["key"]), aad=bytes.fromhex(doc_id[2:]))
    assert b'"po_number":"PO-XB5"' in plain
    assert stranger["code"] == auditor_before["code"] == "document_not_found"
    assert auditor_after["key"] == key["key"]
    assert not_an_auditor["code"] == "not_an_auditor"
    car = s.call("buyer", "GET", f"/documents/{doc_id}/car", expect=200)
    assert car.headers["content-type"] == "application/vnd.ipld.car"
    assert key["cid"] == s.get("buyer", f"/documents/{doc_id}")["cid"]


def test_declarations_and_new_matches_are_only_for_their_parties(
    stack: TradeStack, authority: tuple[CustomsAuthority, str]
) -> None:
    s, (register, url) = stack, authority
    order_id = cross_border_order(s, "PO-XB6")
    register.file(declaration_of(s, "PO-XB6"), at="2026-03-30T08:00:00Z")
    attest(s, url)
    (declaration,) = s.get("supplier", "/customs/declarations")
    rid = s.post("supplier", "/invoices", invoice_body(order_id, "INV-XB6"), expect=201)["id"]

    stranger = s.get("rival", f"/customs/declarations/{declaration['id']}", expect=404)
    unknown = s.get("buyer", "/customs/declarations/0x" + "00" * 32, expect=404)
    listed_by_stranger = s.get("rival", "/customs/declarations")
    seen_by_operator = s.get("customs1", f"/customs/declarations/{declaration['id']}")
    rematch_by_stranger = s.post("rival", f"/receivables/{rid}/match", None, expect=404)
    s.post("buyer", f"/receivables/{rid}/confirm", {"waive_discrepancies": True}, expect=200)
    rematch_confirmed = s.post("supplier", f"/receivables/{rid}/match", None, expect=409)

    assert declaration["status"] == "declared" and declaration["content"]["po_number"] == "PO-XB6"
    assert stranger["code"] == unknown["code"] == "declaration_not_found"
    assert listed_by_stranger == []
    assert seen_by_operator["id"] == declaration["id"]
    assert rematch_by_stranger["code"] == "receivable_not_found"
    assert rematch_confirmed["code"] == "receivable_not_issued"
    indexed = s.get("buyer", f"/customs/declarations/{declaration['id']}")  # the index has caught up
    events = {e["event"] for e in indexed["timeline"]}
    assert {"CustomsAttestationRecorded", "DeclarationStatusFinalised"} <= events
