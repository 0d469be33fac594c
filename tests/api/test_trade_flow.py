"""The receivables story through the HTTP API only, and the attacks on it (real anvil, both databases)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.api.trade_stack import PO_TOTAL, TradeStack, delivered_order, invoice_body, start_stack
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine)
    with s.client:
        yield s


def test_po_to_repayment_with_a_tier_two_financing(stack: TradeStack) -> None:
    s = stack
    s.post("bank", "/cash/deposits", {"to": s.ids["buyer"], "amount_minor": 100_000_000}, expect=201)
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 10_000_000}, expect=201)
    before = {who: s.balance(who) for who in ("buyer", "supplier", "tier2", "bank")}

    order_id = delivered_order(s)
    order = s.get("buyer", f"/purchase-orders/{order_id}")
    assert (order["total_minor"], order["receipts"], order["shipments"]) == (PO_TOTAL, 1, 1)
    receivable = s.post("supplier", "/invoices", invoice_body(order_id), expect=201)
    assert (receivable["match_status"], receivable["match"]["status"]) == ("matched", "matched")
    assert receivable["face_value_minor"] == PO_TOTAL
    rid = receivable["id"]
    assert s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)["status"] == "confirmed"
    split = s.post(
        "supplier", f"/receivables/{rid}/split", {"amounts_minor": [6_600_000, 4_400_000]}, expect=201
    )
    part60, part40 = (p["id"] for p in split["parts"])
    moved = s.post("supplier", f"/receivables/{part40}/transfer", {"to": s.ids["tier2"]}, expect=200)
    assert moved["holder"] == s.ids["tier2"]

    financing = s.post(
        "tier2", f"/receivables/{part40}/financing-requests", {"min_advance_minor": 4_000_000}, expect=201
    )
    offer = {"advance_minor": 4_200_000, "discount_bps": 300, "tenor_days": 60, "recourse": True}
    s.post("bank", f"/financing-requests/{financing['id']}/offers", offer, expect=201)
    funded = s.post(
        "tier2", f"/financing-requests/{financing['id']}/accept", {"financier": s.ids["bank"]}, expect=200
    )
    assert (funded["status"], funded["advance_minor"]) == ("funded", 4_200_000)
    assert s.get("bank", f"/receivables/{part40}")["holder"] == s.ids["bank"]

    s.post("buyer", f"/receivables/{part60}/repayments", {"amount_minor": 6_600_000}, expect=200)
    s.post("buyer", f"/receivables/{part40}/repayments", {"amount_minor": 1_400_000}, expect=200)
    last = s.post("buyer", f"/receivables/{part40}/repayments", {"amount_minor": 3_000_000}, expect=200)

    assert last["status"] == "repaid"
    assert s.get("supplier", f"/receivables/{part60}")["status"] == "repaid"
    assert s.get("supplier", f"/receivables/{rid}")["status"] == "split"
    assert s.get("tier2", f"/financing-requests/{financing['id']}")["status"] == "repaid"
    after = {who: s.balance(who) for who in before}
    assert after["buyer"] - before["buyer"] == -PO_TOTAL
    assert after["supplier"] - before["supplier"] == 6_600_000
    assert after["tier2"] - before["tier2"] == 4_200_000
    assert after["bank"] - before["bank"] == 4_400_000 - 4_200_000
    detail = s.get("bank", f"/receivables/{part40}")
    events = [e["event"] for e in detail["timeline"]]
    assert {
        "DocumentAnchored",
        "OrderRegistered",
        "ShipmentRecorded",
        "ReceiptRecorded",
        "ReceivableIssued",
        "MatchAttested",
        "ReceivableConfirmed",
        "ReceivableSplit",
        "FinancingRequested",
        "FinancingOffered",
        "FinancingFunded",
        "RepaymentMade",
        "RepaymentRecorded",
        "FinancingRepaid",
    } <= set(events)
    blocks = [e["block"] for e in detail["timeline"]]
    assert blocks == sorted(blocks)  # one timeline, oldest first
    assert {d["type"] for d in s.get("supplier", f"/receivables/{rid}")["documents"]} >= {
        "purchase_order",
        "shipment",
        "goods_receipt",
        "invoice",
    }


def _state(s: TradeStack, who: str, rid: str) -> dict[str, object]:
    r = s.get(who, f"/receivables/{rid}")
    return {k: r[k] for k in ("status", "holder", "repaid_minor", "face_value_minor", "match_status")}


def test_the_same_invoice_twice_or_altered_is_409_naming_the_receivable(stack: TradeStack) -> None:
    s = stack
    order_id = delivered_order(s)
    half = [{**line, "quantity": str(int(line["quantity"]) // 2)} for line in invoice_body(order_id)["lines"]]
    first = s.post("supplier", "/invoices", invoice_body(order_id, lines=half), expect=201)
    block = s.harness.chain.w3.eth.block_number

    same = s.post("supplier", "/invoices", invoice_body(order_id, lines=half), expect=409)
    altered = s.post(
        "supplier",
        "/invoices",
        invoice_body(
            order_id,
            "inv-0001/resent",
            lines=[{**x, "unit_price": x["unit_price"].rstrip("0")} for x in half],
        ),
        expect=409,
    )

    assert (same["code"], same["existing"]) == ("receivable_already_issued", first["id"])
    assert (altered["code"], altered["existing"]) == ("receivable_duplicate_invoice", first["id"])
    assert s.harness.chain.w3.eth.block_number == block  # nothing written
    assert len(s.get("supplier", "/receivables")) == 1


def test_another_supplier_cannot_see_a_receivable(stack: TradeStack) -> None:
    s = stack
    rid = s.post("supplier", "/invoices", invoice_body(delivered_order(s)), expect=201)["id"]

    response = s.call("rival", "GET", f"/receivables/{rid}")
    unknown = s.call("rival", "GET", "/receivables/0x" + "ab" * 32)

    assert response.status_code == unknown.status_code == 404
    assert response.json()["code"] == unknown.json()["code"] == "receivable_not_found"
    assert response.json()["detail"].replace(rid, "X") == unknown.json()["detail"].replace(
        "0x" + "ab" * 32, "X"
    )
    assert s.get("rival", "/receivables") == []


def test_only_the_debtor_confirms_and_a_discrepancy_needs_a_waiver(stack: TradeStack) -> None:
    s = stack
    order_id = delivered_order(s)
    lines = invoice_body(order_id)["lines"]
    pricey = [{**lines[0], "unit_price": "1100.00", "quantity": "90"}, {**lines[1], "quantity": "5"}]
    rid = s.post("supplier", "/invoices", invoice_body(order_id, lines=pricey), expect=201)["id"]
    detail = s.get("buyer", f"/receivables/{rid}")
    assert detail["match_status"] == "discrepant"
    assert "PRICE_VARIANCE" in [d["code"] for d in detail["match"]["discrepancies"]]

    by_supplier = s.post("supplier", f"/receivables/{rid}/confirm", {}, expect=403)
    unwaived = s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=409)
    assert (by_supplier["code"], unwaived["code"]) == ("not_debtor", "receivable_discrepant")
    assert _state(s, "buyer", rid)["status"] == "issued"

    waived = s.post("buyer", f"/receivables/{rid}/confirm", {"waive_discrepancies": True}, expect=200)
    assert (waived["status"], waived["waived"]) == ("confirmed", True)


def test_financing_attacks_change_nothing(stack: TradeStack) -> None:
    s = stack
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 50_000_000}, expect=201)
    s.post("bank2", "/cash/deposits", {"to": s.ids["bank2"], "amount_minor": 50_000_000}, expect=201)
    order_id = delivered_order(s)
    rid = s.post("supplier", "/invoices", invoice_body(order_id), expect=201)["id"]

    unconfirmed = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=409)
    assert unconfirmed["code"] == "financing_receivable_not_confirmed"
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    fid = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=201)["id"]
    over = {"advance_minor": PO_TOTAL + 1, "discount_bps": 300, "tenor_days": 60}
    assert (
        s.post("bank", f"/financing-requests/{fid}/offers", over, expect=409)["code"]
        == "financing_exceeds_face_value"
    )
    s.post("bank", f"/financing-requests/{fid}/offers", {**over, "advance_minor": 9_000_000}, expect=201)
    s.post("supplier", f"/financing-requests/{fid}/accept", {"financier": s.ids["bank"]}, expect=200)
    state = _state(s, "bank", rid)

    again = s.post("bank", f"/receivables/{rid}/financing-requests", {}, expect=409)
    late = s.post(
        "bank2", f"/financing-requests/{fid}/offers", {**over, "advance_minor": 9_500_000}, expect=404
    )

    assert again["code"] == "financing_already_active"
    assert late["code"] == "financing_not_found"  # a funded financing is no longer open to other financiers
    assert _state(s, "bank", rid) == state
    assert s.balance("bank2") == 50_000_000


def test_a_replayed_idempotency_key_with_another_body_is_422(stack: TradeStack) -> None:
    s = stack
    order_id = delivered_order(s)
    headers = {"Idempotency-Key": "inv-upload-1"}
    first = s.post(
        "supplier",
        "/invoices",
        invoice_body(order_id, "INV-A", lines=invoice_body(order_id)["lines"][:1]),
        expect=201,
        headers=headers,
    )
    replay = s.call(
        "supplier",
        "POST",
        "/invoices",
        json=invoice_body(order_id, "INV-A", lines=invoice_body(order_id)["lines"][:1]),
        headers=headers,
        expect=201,
    )
    other = s.post("supplier", "/invoices", invoice_body(order_id, "INV-B"), expect=422, headers=headers)

    assert replay.json() == first and replay.headers["Idempotent-Replayed"] == "true"
    assert other["code"] == "idempotency_key_reused"
    assert len(s.get("supplier", "/receivables")) == 1


def test_a_split_must_conserve_value(stack: TradeStack) -> None:
    s = stack
    rid = s.post("supplier", "/invoices", invoice_body(delivered_order(s)), expect=201)["id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    before = _state(s, "supplier", rid)

    short = s.post(
        "supplier", f"/receivables/{rid}/split", {"amounts_minor": [6_000_000, 4_000_000]}, expect=409
    )
    single = s.post("supplier", f"/receivables/{rid}/split", {"amounts_minor": [PO_TOTAL]}, expect=422)
    by_debtor = s.post("buyer", f"/receivables/{rid}/split", {"amounts_minor": [PO_TOTAL - 1, 1]}, expect=403)

    assert (short["code"], short["args"]) == (
        "receivable_split_not_conserved",
        {"id": int(rid, 16), "sum": 10_000_000, "remaining": PO_TOTAL},
    )
    assert (single["code"], by_debtor["code"]) == ("invalid_request", "not_holder")
    assert _state(s, "supplier", rid) == before


def test_large_advances_wait_for_the_financiers_risk_reviewer(stack: TradeStack) -> None:
    from chain import governance
    from chain.ids import from_hex32
    from chain.policy import Role

    s, h = stack, stack.harness
    chain = h.chain
    for fn, args in (("setReviewThreshold", (1_000_000,)),):
        op = governance.propose_and_approve(chain, chain.financing(), fn, *args)
        h.increase_time(3601)
        governance.execute(chain, op)
    bank_key = chain.keystore.address(f"org-{s.ids['bank']}")
    op = governance.propose_and_approve(
        chain, chain.access_manager(), "grantRole", int(Role.RISK_REVIEWER), bank_key, 0
    )
    h.increase_time(3601)
    governance.execute(chain, op)
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 50_000_000}, expect=201)
    rid = s.post("supplier", "/invoices", invoice_body(delivered_order(s)), expect=201)["id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    fid = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=201)["id"]
    s.post(
        "bank",
        f"/financing-requests/{fid}/offers",
        {"advance_minor": 9_000_000, "discount_bps": 300, "tenor_days": 60},
        expect=201,
    )
    supplier_cash = s.balance("supplier")

    pending = s.post(
        "supplier", f"/financing-requests/{fid}/accept", {"financier": s.ids["bank"]}, expect=200
    )
    assert pending["status"] == "pending_review"
    assert s.balance("supplier") == supplier_cash  # nothing moved before the review
    assert s.post("bank2", f"/financing-requests/{fid}/approve", expect=404)["code"] == "financing_not_found"
    funded = s.post("bank", f"/financing-requests/{fid}/approve", expect=200)

    assert funded["status"] == "funded"
    assert s.balance("supplier") == supplier_cash + 9_000_000
    assert chain.receivables().owner_of(int(rid, 16)) == bank_key
    assert from_hex32(funded["financier"]) == from_hex32(s.ids["bank"])


def test_a_paused_programme_finances_nothing(stack: TradeStack) -> None:
    s = stack
    rid = s.post("supplier", "/invoices", invoice_body(delivered_order(s)), expect=201)["id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)

    assert s.post("bank", "/financing/pause", expect=403)["code"] == "role_required"
    assert s.post("operator", "/financing/pause", expect=200) == {"paused": True}
    refused = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=409)

    assert refused["code"] == "financing_paused"
    assert s.get("bank", "/financing-requests") == []


def test_overdue_and_recourse_are_recorded(stack: TradeStack) -> None:
    s = stack
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 50_000_000}, expect=201)
    rid = s.post(
        "supplier", "/invoices", invoice_body(delivered_order(s), due_date="2027-01-01"), expect=201
    )["id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    fid = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=201)["id"]
    terms = {"advance_minor": 9_000_000, "discount_bps": 300, "tenor_days": 60, "recourse": True}
    s.post("bank", f"/financing-requests/{fid}/offers", terms, expect=201)
    s.post("supplier", f"/financing-requests/{fid}/accept", {"financier": s.ids["bank"]}, expect=200)
    assert s.post("bank", f"/receivables/{rid}/overdue", expect=409)["code"] == "receivable_not_due"

    s.harness.increase_time(400 * 86_400)
    assert s.post("bank", f"/receivables/{rid}/overdue", expect=200)["status"] == "overdue"
    assert s.post("supplier", f"/financing-requests/{fid}/recourse", expect=403)["code"] == "not_financier"
    claimed = s.post("bank", f"/financing-requests/{fid}/recourse", expect=200)

    assert claimed["status"] == "recourse_claimed"
    events = [e["event"] for e in s.get("bank", f"/receivables/{rid}")["timeline"]]
    assert "ReceivableOverdue" in events


def test_over_repayment_is_refused_before_anything_is_written(stack: TradeStack) -> None:
    s = stack
    s.post("bank", "/cash/deposits", {"to": s.ids["buyer"], "amount_minor": 50_000_000}, expect=201)
    rid = s.post("supplier", "/invoices", invoice_body(delivered_order(s)), expect=201)["id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    block = s.harness.chain.w3.eth.block_number

    refused = s.post("buyer", f"/receivables/{rid}/repayments", {"amount_minor": PO_TOTAL + 1}, expect=409)
    stranger = s.post("supplier", f"/receivables/{rid}/repayments", {"amount_minor": 1}, expect=403)

    assert (refused["code"], refused["outstanding"], stranger["code"]) == (
        "receivable_over_repaid",
        PO_TOTAL,
        "not_debtor",
    )
    assert s.harness.chain.w3.eth.block_number == block
    assert s.get("buyer", f"/receivables/{rid}")["repaid_minor"] == 0


def test_lists_show_each_item_with_its_evidence_and_timeline_and_page(stack: TradeStack) -> None:
    s = stack
    for po in ("PO-L1", "PO-L2"):
        s.post("supplier", "/invoices", invoice_body(delivered_order(s, po), f"INV-{po}"), expect=201)

    first = s.get("supplier", "/receivables?limit=1")
    second = s.get("supplier", "/receivables?limit=1&offset=1")
    orders = s.get("buyer", "/purchase-orders")

    assert len(first) == len(second) == 1 and first[0]["id"] != second[0]["id"]
    assert {d["type"] for d in first[0]["documents"]} >= {
        "purchase_order",
        "shipment",
        "goods_receipt",
        "invoice",
    }
    assert {"OrderRegistered", "ReceivableIssued", "MatchAttested"} <= {
        e["event"] for e in first[0]["timeline"]
    }
    assert len(orders) == 2 and all(o["timeline"] for o in orders)
    assert s.call("supplier", "GET", "/receivables?limit=0").status_code == 422
