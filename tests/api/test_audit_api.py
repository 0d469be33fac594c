"""Auditors and regulators through the HTTP API: read-only everywhere, what their authorisations cover
and nothing else, the penetrating view of a transaction, governance history and the access log
(real anvil, both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from chain import governance
from chain.ids import from_hex32
from chain.node import free_port
from oracles.customs.authority import CustomsAuthority, serve_authority
from tests.api.openapi_bodies import HEX32, OpenApiBodies
from tests.api.test_carbon_scope3 import anchor, binding
from tests.api.test_cross_border import attest, cross_border_order, declaration_of
from tests.api.test_letters_of_credit import LC, _advised, _documents
from tests.api.trade_stack import TradeStack, csv_order, delivered_order, invoice_body, start_stack
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain
AUDITING = {"auditor": "auditor", "regulator": "regulator"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SELF_SERVICE = {("POST", "/api/v1/api-keys"), ("DELETE", "/api/v1/api-keys/{key_id}")}  # own keys only
TRUCK = "0x" + "d2" * 32


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine, AUDITING)
    with s.client:
        yield s


def grant(s: TradeStack, subject: str, auditor: str = "auditor") -> None:
    s.post(subject, "/auditor-grants", {"auditor": s.ids[auditor]}, expect=201)


def rival_receivable(s: TradeStack) -> str:
    """A receivable of the rival supplier on the same buyer (nothing of the supplier's)."""
    order = csv_order(s, "PO-R", supplier="rival")
    return str(s.post("rival", "/invoices", invoice_body(order["id"], "INV-R"), expect=201)["id"])


def without(body: dict[str, Any], value: str) -> dict[str, Any]:
    return {**body, "detail": body["detail"].replace(value, "X")}


# --- read-only, enforced in one place -------------------------------------------------------------


def _row_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            t.name: int(session.exec(select(func.count()).select_from(t)).one())  # type: ignore[call-overload]
            for t in SQLModel.metadata.sorted_tables
        }


def test_auditing_keys_can_write_nothing_through_any_route(stack: TradeStack) -> None:
    s = stack
    order_id = delivered_order(s)
    rid = s.post("supplier", "/invoices", invoice_body(order_id), expect=201)["id"]
    grant(s, "supplier")
    s.post("operator", "/audit/mandates", {"regulator": s.ids["regulator"], "subject": s.ids["buyer"]}, 201)
    app = s.client.app
    bodies = OpenApiBodies(app)  # type: ignore[arg-type]
    known = {
        "receivable_id": rid,
        "order_id": order_id,
        "org_id": s.ids["supplier"],
        "auditor": s.ids["auditor"],
    }
    rows, block = _row_counts(s.engine), s.harness.chain.w3.eth.block_number

    walked, refused = [], []
    for ctx in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        route = ctx.original_route
        if not isinstance(route, APIRoute):
            continue
        if not route.include_in_schema:  # the web UI's forms: tests/web/test_forms.py walks them signed in
            continue
        for method in sorted((ctx.methods or set()) & WRITES):
            if (method, ctx.path) in SELF_SERVICE:
                continue
            body = bodies.body(ctx.path, method)
            if route.body_field is not None:
                model = TypeAdapter(route.body_field.field_info.annotation)
                try:
                    model.validate_python(body)
                except ValidationError:  # a validator wants one of the optional fields
                    body = bodies.body(ctx.path, method, full=True)
                    model.validate_python(body)
            path = ctx.path.format(**bodies.path_params(ctx.path, method, known))
            for who in AUDITING:
                response = s.client.request(
                    method, path, json=body, headers={"Authorization": f"Bearer {s.keys[who]}"}
                )
                walked.append((who, method, ctx.path))
                if (response.status_code, response.json().get("code")) != (403, "read_only_role"):
                    refused.append((who, method, ctx.path, response.status_code, response.text[:200]))

    assert refused == []
    assert len(walked) >= 2 * 45  # every write route of the app, with both keys
    assert _row_counts(s.engine) == rows
    assert s.harness.chain.w3.eth.block_number == block


def test_auditors_manage_their_own_api_keys(stack: TradeStack) -> None:
    s = stack
    created = s.post("auditor", "/api-keys", {"label": "field audit", "scopes": ["read"]}, expect=201)
    revoked = s.call("auditor", "DELETE", f"/api-keys/{created['key']['id']}", expect=200).json()
    others = s.call("auditor", "DELETE", f"/api-keys/{s.get('supplier', '/me')['api_key']['id']}", expect=404)

    assert revoked["revoked_at"] is not None
    assert others.json()["code"] == "api_key_not_found"
    assert (
        s.post("auditor", "/auditor-grants", {"auditor": s.ids["regulator"]}, 403)["code"] == "read_only_role"
    )


# --- what an authorisation covers ------------------------------------------------------------------


def test_an_auditor_reads_its_grantors_records_and_gets_404_for_the_rest(stack: TradeStack) -> None:
    s = stack
    order_id = delivered_order(s)
    receivable = s.post("supplier", "/invoices", invoice_body(order_id), expect=201)
    rid, rival = receivable["id"], rival_receivable(s)
    invoice_doc = next(d["id"] for d in receivable["documents"] if d["type"] == "invoice")
    rival_doc = next(
        d["id"] for d in s.get("rival", f"/receivables/{rival}")["documents"] if d["type"] == "invoice"
    )
    assert s.get("auditor", f"/audit/transactions/{rid}", expect=404)["code"] == "transaction_not_found"
    grant(s, "supplier")

    mine = s.get("auditor", "/audit/organisations")
    receivables = s.get("auditor", f"/audit/organisations/{s.ids['supplier']}/receivables")
    orders = s.get("auditor", f"/audit/organisations/{s.ids['supplier']}/orders")
    documents = s.get("auditor", f"/audit/organisations/{s.ids['supplier']}/documents")
    view = s.get("auditor", f"/audit/transactions/{rid}")
    document = s.get("auditor", f"/documents/{invoice_doc}")

    assert [(o["organisation"]["id"], o["via"]) for o in mine] == [(s.ids["supplier"], ["grant"])]
    assert [r["id"] for r in receivables] == [rid] and receivables[0]["match"]["status"] == "matched"
    assert [o["id"] for o in orders] == [order_id]
    assert {d["record"]["type"] for d in documents} >= {"purchase_order", "invoice", "match_result"}
    assert all(d["record"]["content"] is not None for d in documents)
    assert (view["kind"], view["authorised_by"], [r["record"]["id"] for r in view["receivables"]]) == (
        "receivable",
        [s.ids["supplier"]],
        [rid],
    )
    assert document["content"]["invoice_number"] == "INV-1"
    unknown = "0x" + "ef" * 32
    for path, theirs_id, code in (
        ("/audit/organisations/{}/receivables", s.ids["rival"], "organisation_not_found"),
        ("/audit/transactions/{}", rival, "transaction_not_found"),
        ("/documents/{}", rival_doc, "document_not_found"),
    ):
        theirs = s.get("auditor", path.format(theirs_id), expect=404)
        nothing = s.get("auditor", path.format(unknown), expect=404)
        assert theirs["code"] == nothing["code"] == code
        assert without(theirs, theirs_id) == without(nothing, unknown)  # the same answer: nothing leaks


def test_a_regulator_sees_what_its_mandate_or_grant_covers_until_it_is_withdrawn(stack: TradeStack) -> None:
    s = stack
    rid = s.post("supplier", "/invoices", invoice_body(delivered_order(s)), expect=201)["id"]
    rival = rival_receivable(s)
    mandate = {"regulator": s.ids["regulator"], "subject": s.ids["rival"]}
    assert s.post("rival", "/audit/mandates", mandate, 403)["code"] == "role_required"
    assert s.post("operator", "/audit/mandates", {**mandate, "regulator": s.ids["auditor"]}, 422)["code"] == (
        "not_a_regulator"
    )

    s.post("operator", "/audit/mandates", mandate, expect=201)
    covered = s.get("regulator", f"/audit/organisations/{s.ids['rival']}/receivables")
    view = s.get("regulator", f"/audit/transactions/{rival}")
    outside = s.get("regulator", f"/audit/transactions/{rid}", expect=404)
    not_subject = s.get("regulator", f"/audit/organisations/{s.ids['supplier']}/orders", expect=404)
    by_subject = s.call("rival", "DELETE", f"/auditor-grants/{s.ids['regulator']}", expect=404)

    assert [r["id"] for r in covered] == [rival] and view["authorised_by"] == [s.ids["rival"]]
    assert (outside["code"], not_subject["code"], by_subject.json()["code"]) == (
        "transaction_not_found",
        "organisation_not_found",
        "grant_not_found",  # the member cannot withdraw a mandate the operator recorded
    )
    assert s.get("rival", "/audit/mandates")[0]["regulator"] == s.ids["regulator"]

    s.call("operator", "DELETE", f"/audit/mandates/{s.ids['regulator']}/{s.ids['rival']}", expect=204)
    assert s.get("regulator", f"/audit/transactions/{rival}", expect=404)["code"] == "transaction_not_found"
    assert s.get("regulator", "/audit/organisations") == []

    grant(s, "rival", "regulator")
    assert s.get("regulator", f"/audit/transactions/{rival}")["id"] == rival
    s.call("rival", "DELETE", f"/auditor-grants/{s.ids['regulator']}", expect=204)
    assert s.get("regulator", f"/audit/transactions/{rival}", expect=404)["code"] == "transaction_not_found"
    assert s.get("regulator", f"/audit/organisations/{s.ids['rival']}/receivables", expect=404)["code"] == (
        "organisation_not_found"
    )


# --- the penetrating view --------------------------------------------------------------------------


@pytest.fixture
def customs_stack(
    harness: ChainHarness, db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TradeStack]:
    monkeypatch.setenv("TRADELEDGER_VAR_DIR", str(tmp_path / "var"))
    parties = {"customs1": "customs_oracle", "customs2": "customs_oracle", "oracle": "iot_oracle", **AUDITING}
    s = start_stack(harness, db_engine, parties)
    with s.client:
        yield s


def tx(response: dict[str, Any]) -> str:
    return str(response["tx"]["tx_hash"])


def events(layer: dict[str, Any], name: str) -> list[str]:
    return [e["tx_hash"] for e in layer["events"] if e["event"] == name]


def test_the_penetrating_view_of_a_financed_split_and_repaid_receivable(customs_stack: TradeStack) -> None:
    s = customs_stack
    register = CustomsAuthority()
    s.post("bank", "/cash/deposits", {"to": s.ids["buyer"], "amount_minor": 20_000_000}, expect=201)
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 20_000_000}, expect=201)
    order_id = cross_border_order(s, "PO-X")
    with serve_authority(register, free_port()) as url:
        register.file(declaration_of(s, "PO-X"), at="2026-03-30T08:00:00Z")
        register.advance("DEC-PO-X", "cleared", at="2026-04-03T08:00:00Z")
        attest(s, url)
    root = anchor(s, [(TRUCK, "fuel_l", 20_000, "L", binding("BL-PO-X"), 1_005)])
    period = {"period_start": "1970-01-01T00:00:00Z", "period_end": "1970-01-01T01:00:00Z"}
    statement = s.post("carrier", "/carbon/statements", {"scope": 3, "shipment": "BL-PO-X", **period}, 201)
    issued = s.post("supplier", "/invoices", invoice_body(order_id, "INV-X"), expect=201)
    rid = issued["id"]
    confirmed = s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    split = s.post("supplier", f"/receivables/{rid}/split", {"amounts_minor": [6_600_000, 4_400_000]}, 201)
    part60, part40 = (p["id"] for p in split["parts"])
    moved = s.post("supplier", f"/receivables/{part40}/transfer", {"to": s.ids["tier2"]}, expect=200)
    requested = s.post("supplier", f"/receivables/{part60}/financing-requests", {}, expect=201)
    fid = requested["id"]
    terms = {"advance_minor": 6_000_000, "discount_bps": 300, "tenor_days": 60, "recourse": True}
    offered = s.post("bank", f"/financing-requests/{fid}/offers", terms, expect=201)
    funded = s.post("supplier", f"/financing-requests/{fid}/accept", {"financier": s.ids["bank"]}, expect=200)
    repaid60 = s.post("buyer", f"/receivables/{part60}/repayments", {"amount_minor": 6_600_000}, expect=200)
    repaid40 = s.post("buyer", f"/receivables/{part40}/repayments", {"amount_minor": 4_400_000}, expect=200)
    grant(s, "supplier")
    grant(s, "carrier")  # its devices' readings
    documents = {d["type"]: d for d in s.get("buyer", f"/purchase-orders/{order_id}")["documents"]}
    match_doc = confirmed["match"]["document"]

    view = s.get("auditor", f"/audit/transactions/{rid}")

    assert (view["id"], view["kind"]) == (rid, "receivable")
    assert view["authorised_by"] == sorted([s.ids["supplier"], s.ids["carrier"]])
    order = view["order"]
    assert (order["record"]["id"], order["anchor"]["event"]) == (order_id, "OrderRegistered")
    assert order["record"]["status"] == "open" and order["record"]["invoiced_minor"] == 11_000_000
    po = view["purchase_order"]
    assert (po["record"]["id"], po["record"]["content"]["po_number"]) == (
        documents["purchase_order"]["id"],
        "PO-X",
    )
    assert po["anchor"]["event"] == "DocumentAnchored"
    for key, kind, recorded in (
        ("shipments", "shipment", "ShipmentRecorded"),
        ("goods_receipts", "goods_receipt", "ReceiptRecorded"),
    ):
        [layer] = view[key]
        assert layer["record"]["id"] == documents[kind]["id"] and layer["record"]["content"] is not None
        assert (
            layer["anchor"]["block"] == documents[kind]["anchored_block"]
            and len(events(layer, recorded)) == 1
        )
    [declaration] = view["customs"]
    assert (declaration["number"], declaration["status"], declaration["conflicted"]) == (
        "DEC-PO-X",
        "cleared",
        False,
    )
    assert declaration["content"]["exporter"] == s.ids["supplier"]
    finalised = [e for e in declaration["timeline"] if e["event"] == "DeclarationStatusFinalised"]
    assert len(finalised) == 2  # declared, then cleared, each at 2 of 2 operators
    assert [p["record"]["number"] for p in view["payments"]] == ["PAY-PO-X"]
    [invoice] = view["invoices"]
    assert (invoice["record"]["id"], invoice["record"]["content"]["invoice_number"]) == (
        documents["invoice"]["id"],
        "INV-X",
    )
    assert [m["record"]["id"] for m in view["match_results"]] == [match_doc]

    nodes = {n["record"]["id"]: n for n in view["receivables"]}
    assert list(nodes) == [rid, part60, part40]
    whole, sixty, forty = nodes[rid], nodes[part60], nodes[part40]
    assert (whole["record"]["status"], whole["record"]["children"]) == ("split", [part60, part40])
    assert whole["anchor"]["event"] == "ReceivableIssued"
    assert events(whole, "MatchAttested") == [tx(issued)]
    assert events(whole, "ReceivableConfirmed") == [tx(confirmed)]
    assert sixty["anchor"]["tx_hash"] == forty["anchor"]["tx_hash"] == split["tx"]["tx_hash"]
    assert (sixty["record"]["parent"], sixty["record"]["status"], sixty["record"]["holder"]) == (
        rid,
        "repaid",
        s.ids["bank"],
    )
    assert [(h["organisation"], h["tx_hash"]) for h in sixty["record"]["holders"]] == [
        (s.ids["supplier"], split["tx"]["tx_hash"]),
        (s.ids["bank"], tx(funded)),
    ]
    assert [(h["organisation"], h["tx_hash"]) for h in forty["record"]["holders"]] == [
        (s.ids["supplier"], split["tx"]["tx_hash"]),
        (s.ids["tier2"], tx(moved)),
    ]
    [financing] = view["financings"]
    record = financing["record"]
    assert (record["id"], record["receivable_id"], record["status"]) == (fid, part60, "repaid")
    assert (record["financier"], record["advance_minor"], record["discount_bps"]) == (
        s.ids["bank"],
        6_000_000,
        300,
    )
    assert [(o["financier"], o["advance_minor"], o["recourse"]) for o in record["offers"]] == [
        (s.ids["bank"], 6_000_000, True)
    ]
    assert financing["anchor"]["tx_hash"] == tx(requested)
    assert events(financing, "FinancingOffered") == [tx(offered)]
    assert events(financing, "FinancingAccepted") == events(financing, "FinancingFunded") == [tx(funded)]
    assert events(financing, "FinancingRepaid") == [tx(repaid60)]
    assert [
        (r["receivable_id"], r["amount_minor"], r["holder"], r["tx_hash"]) for r in view["repayments"]
    ] == [
        (part60, 6_600_000, s.ids["bank"], tx(repaid60)),
        (part40, 4_400_000, s.ids["tier2"], tx(repaid40)),
    ]
    [carbon] = view["carbon_statements"]
    assert (carbon["record"]["id"], carbon["record"]["org"], carbon["record"]["scope"]) == (
        statement["id"],
        s.ids["carrier"],
        3,
    )
    assert carbon["anchor"]["event"] == "StatementSubmitted"
    [reading] = view["readings"]
    assert (reading["record"]["device_id"], reading["record"]["value"], reading["record"]["batch_root"]) == (
        TRUCK,
        "20.000",
        root,
    )
    assert (reading["anchor"]["event"], reading["anchor"]["args"]["root"]) == ("ReadingBatchAnchored", root)

    by_order = s.get("auditor", f"/audit/transactions/{order_id}")
    assert (by_order["kind"], [n["record"]["id"] for n in by_order["receivables"]]) == (
        "order",
        [rid, part60, part40],
    )


def test_the_view_leaves_out_what_no_authorising_party_sees(stack: TradeStack) -> None:
    s = stack
    rid = s.post("supplier", "/invoices", invoice_body(delivered_order(s)), expect=201)["id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    split = s.post("supplier", f"/receivables/{rid}/split", {"amounts_minor": [6_600_000, 4_400_000]}, 201)
    part60, part40 = (p["id"] for p in split["parts"])
    s.post("supplier", f"/receivables/{part40}/transfer", {"to": s.ids["tier2"]}, expect=200)
    fid = s.post("supplier", f"/receivables/{part60}/financing-requests", {}, expect=201)["id"]
    for bank, advance in (("bank", 6_000_000), ("bank2", 5_000_000)):
        terms = {"advance_minor": advance, "discount_bps": 300, "tenor_days": 60}
        s.post(bank, f"/financing-requests/{fid}/offers", terms, expect=201)

    grant(s, "tier2")  # holds one part, and is party of nothing else
    by_tier2 = s.get("auditor", f"/audit/transactions/{rid}")
    grant(s, "buyer")  # the debtor of every part, party of no financing
    by_buyer = s.get("auditor", f"/audit/transactions/{rid}")
    grant(s, "bank2")  # one of the bidders
    by_bidder = s.get("auditor", f"/audit/transactions/{rid}")

    assert [n["record"]["id"] for n in by_tier2["receivables"]] == [part40]
    assert by_tier2["financings"] == []
    assert by_tier2["invoices"][0]["record"]["content"] is None  # not a party of the invoice
    assert by_tier2["purchase_order"]["record"]["content"] is None
    assert [n["record"]["id"] for n in by_buyer["receivables"]] == [rid, part60, part40]
    assert by_buyer["invoices"][0]["record"]["content"]["invoice_number"] == "INV-1"
    assert [(f["record"]["id"], f["record"]["offers"]) for f in by_buyer["financings"]] == [(fid, [])]
    assert [o["financier"] for o in by_bidder["financings"][0]["record"]["offers"]] == [s.ids["bank2"]]


def test_a_letter_of_credits_deferred_payment_is_viewed_without_an_order(stack: TradeStack) -> None:
    s = stack
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 10_000_000}, expect=201)
    cid = _advised(s, "LC-A", payment="deferred", deferred_days=90)
    pid = s.post("supplier", f"{LC}/{cid}/presentations", _documents(s, 100_000), expect=201)["id"]
    s.post("bank", f"{LC}/presentations/{pid}/examine", expect=200)
    accepted = s.post("bank", f"{LC}/presentations/{pid}/honour", expect=200)
    grant(s, "supplier")

    view = s.get("auditor", f"/audit/transactions/{accepted['receivable_id']}")
    credits = s.get("auditor", f"/audit/organisations/{s.ids['supplier']}/letters-of-credit")

    assert (view["order"], view["purchase_order"], view["invoices"]) == (None, None, [])
    [node] = view["receivables"]
    assert (node["record"]["debtor"], node["record"]["holder"]) == (s.ids["bank"], s.ids["supplier"])
    assert events(node, "DeferredPaymentAccepted") == [tx(accepted)]
    assert [c["id"] for c in credits] == [cid]


# --- governance history ----------------------------------------------------------------------------


def test_governance_history_shows_a_suspension_its_dual_control_reinstatement_and_filters_by_period(
    stack: TradeStack,
) -> None:
    s, chain = stack, stack.harness.chain
    before = s.get("auditor", "/audit/governance?kind=membership&limit=200")
    suspended = s.post("operator", f"/organisations/{s.ids['rival']}/suspend", expect=200)
    op = governance.propose_and_approve(
        chain, chain.participants(), "reinstateOrganisation", from_hex32(s.ids["rival"])
    )
    s.harness.increase_time(3601)
    executed = governance.execute(chain, op)
    s.client.app.state.indexer.sync()  # type: ignore[attr-defined]

    membership = s.get("auditor", "/audit/governance?kind=membership&limit=200")
    dual = s.get("regulator", "/audit/governance?kind=dual_control&limit=200")
    access = s.get("operator", "/audit/governance?kind=access&limit=200")
    suspension = next(e for e in membership if e["event"] == "OrganisationSuspended")
    execution = next(e for e in dual if e["tx_hash"] == executed.tx_hash)["time"].replace("+00:00", "Z")
    later = s.get("auditor", f"/audit/governance?since={execution}")  # after the hour's delay
    earlier = s.get("auditor", f"/audit/governance?until={execution}&limit=200")
    by_block = s.get(
        "auditor", f"/audit/governance?from_block={suspension['block']}&to_block={suspension['block']}"
    )

    new = [(e["event"], e["tx_hash"]) for e in membership[len(before) :]]
    assert new == [("OrganisationSuspended", tx(suspended)), ("OrganisationReinstated", executed.tx_hash)]
    assert suspension["args"]["id"] == s.ids["rival"]
    operation = "0x" + op.hex()
    mine = [e for e in dual if e["args"]["id"] == operation]
    assert [e["event"] for e in mine] == ["OperationProposed", "OperationApproved", "OperationExecuted"]
    assert mine[0]["call"] == "Participants.reinstateOrganisation"
    assert mine[2]["tx_hash"] == executed.tx_hash and mine[2]["time"] > mine[1]["time"]  # the delay
    assert ("RoleGranted", "OPERATOR") in {(e["event"], e["role"]) for e in access}
    assert [(e["contract"], e["event"], e["tx_hash"]) for e in later] == [
        ("DualControl", "OperationExecuted", executed.tx_hash),  # its event comes before the call it makes
        ("Participants", "OrganisationReinstated", executed.tx_hash),
    ]
    assert {e["tx_hash"] for e in earlier} >= {tx(suspended), mine[0]["tx_hash"], mine[1]["tx_hash"]}
    assert executed.tx_hash not in {e["tx_hash"] for e in earlier}
    assert [(e["event"], e["tx_hash"]) for e in by_block] == [("OrganisationSuspended", tx(suspended))]
    assert s.get("supplier", "/audit/governance", expect=403)["code"] == "role_required"


# --- the access log --------------------------------------------------------------------------------


def test_the_access_log_shows_each_auditing_read_to_the_auditor_the_subject_and_the_operator(
    stack: TradeStack,
) -> None:
    s = stack
    receivable = s.post("supplier", "/invoices", invoice_body(delivered_order(s)), expect=201)
    rid, invoice_doc = (
        receivable["id"],
        next(d["id"] for d in receivable["documents"] if d["type"] == "invoice"),
    )
    grant(s, "supplier")
    key_id = s.get("auditor", "/me")["api_key"]["id"]
    supplier = s.ids["supplier"]
    reads = [
        f"/api/v1/audit/organisations/{supplier}/receivables",
        f"/api/v1/documents/{invoice_doc}",
        f"/api/v1/audit/transactions/{rid}",
        f"/api/v1/audit/transactions/{HEX32}",  # refused: nobody's
    ]
    for path in reads:
        s.client.get(path, headers={"Authorization": f"Bearer {s.keys['auditor']}"})

    own = s.get("auditor", "/audit/access-log")
    of_supplier = s.get("supplier", "/audit/access-log")
    everything = s.get("operator", "/audit/access-log")
    unrelated = s.get("buyer", "/audit/access-log")  # party of the transaction, but it authorised nobody

    paths = [e["path"] for e in reversed(own)]
    assert [p for i, p in enumerate(paths) if i == 0 or p != paths[i - 1]] == ["/api/v1/me", *reads]
    assert {(e["subject"], e["object_id"], e["status"]) for e in own if e["path"] == reads[0]} == {
        (supplier, None, 200)
    }
    assert (supplier, invoice_doc) in {(e["subject"], e["object_id"]) for e in own if e["path"] == reads[1]}
    assert (supplier, rid) in {(e["subject"], e["object_id"]) for e in own if e["path"] == reads[2]}
    assert [(e["subject"], e["status"]) for e in own if e["path"] == reads[3]] == [(None, 404)]
    assert {e["auditor"] for e in own} == {s.ids["auditor"]} and {e["api_key_id"] for e in own} == {key_id}
    assert {e["path"] for e in of_supplier} == set(reads[:3])
    assert {e["subject"] for e in of_supplier} == {supplier}
    assert {e["id"] for e in everything} >= {e["id"] for e in own}
    assert unrelated == []
    assert s.get("auditor", "/audit/access-log?since=2999-01-01T00:00:00Z") == []
    shanghai = timezone(timedelta(hours=8))
    an_hour_ago = quote((datetime.now(UTC) - timedelta(hours=1)).astimezone(shanghai).isoformat())
    assert len(s.get("auditor", f"/audit/access-log?since={an_hour_ago}&limit=200")) > len(own)
    assert s.get("auditor", f"/audit/access-log?until={an_hour_ago}") == []
    assert s.get("auditor", "/audit/access-log?limit=1")[0]["path"] == "/api/v1/audit/access-log"


# --- malformed and unauthorised requests -------------------------------------------------------------


def test_malformed_ids_missing_keys_and_wrong_roles_are_refused(stack: TradeStack) -> None:
    s = stack
    malformed = s.get("auditor", "/audit/transactions/not-an-id", expect=422)
    short = s.get("auditor", "/audit/organisations/0x1234/receivables", expect=422)
    naive = s.get("auditor", "/audit/governance?since=2026-01-01T00:00:00", expect=422)
    anonymous = s.client.get("/api/v1/audit/organisations")
    wrong_role = s.get("supplier", f"/audit/transactions/{HEX32}", expect=403)
    not_operator = s.post(
        "supplier", "/audit/mandates", {"regulator": s.ids["regulator"], "subject": HEX32}, 403
    )
    bad_subject = s.post(
        "operator", "/audit/mandates", {"regulator": s.ids["regulator"], "subject": HEX32}, 422
    )
    unknown = s.get("auditor", f"/audit/transactions/{HEX32}", expect=404)

    assert malformed["code"] == short["code"] == naive["code"] == "invalid_request"
    assert malformed["errors"][0]["loc"] == ["path", "tx_id"]
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "missing_api_key")
    assert wrong_role["code"] == not_operator["code"] == "role_required"
    assert bad_subject["code"] == "invalid_subject"
    assert unknown["code"] == "transaction_not_found"
