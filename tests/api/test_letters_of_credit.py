"""Letters of credit through the HTTP API (real anvil, both databases): issue, advise, amend, present,
examine with the UCP 600 engine, honour at sight or deferred (a financeable receivable), refusal and
waiver, and the attacks: wrong party, non-party, expiry, unaccepted amendment, paying twice, bad bodies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.api.trade_stack import TradeStack, start_stack
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain
DAY = 86_400
LC = "/letters-of-credit"


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine)
    with s.client:
        s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 10_000_000}, expect=201)
        yield s


def _today(s: TradeStack) -> date:
    return datetime.fromtimestamp(int(s.harness.chain.w3.eth.get_block("latest")["timestamp"]), UTC).date()


def _terms(s: TradeStack, number: str, **changes: Any) -> dict[str, Any]:
    today = _today(s)
    body = {
        "number": number,
        "issuing_bank": s.ids["bank"],
        "advising_bank": s.ids["bank2"],
        "beneficiary": s.ids["supplier"],
        "currency": "USD",
        "amount": 100_000,
        "amount_tolerance_pct": "5",
        "goods_description": "Brake discs, cast iron",
        "expiry_date": (today + timedelta(days=60)).isoformat(),
        "latest_shipment_date": (today + timedelta(days=30)).isoformat(),
        "partial_shipments_allowed": False,
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "incoterm": "FOB",
    }
    body.update(changes)
    return body


def _documents(s: TradeStack, amount: int, **invoice: Any) -> dict[str, Any]:
    shipped = (_today(s) - timedelta(days=2)).isoformat()
    return {
        "amount_minor": amount,
        "invoice": {
            "issuer": "Supplier Ltd",
            "addressed_to": "Buyer Ltd",
            "currency": "USD",
            "amount": amount,
            "goods_description": "Brake discs, cast iron",
            "issue_date": shipped,
            **invoice,
        },
        "bills_of_lading": [
            {
                "shipper": "Supplier Ltd",
                "port_of_loading": "CNSZX",
                "port_of_discharge": "NLRTM",
                "shipped_on_board_date": shipped,
                "issue_date": shipped,
                "goods_description": "Brake discs",
            }
        ],
    }


def _advised(s: TradeStack, number: str, **changes: Any) -> str:
    credit = s.post("buyer", LC, _terms(s, number, **changes), expect=201)
    assert credit["status"] == "applied"
    assert s.post("bank", f"{LC}/{credit['id']}/issue", expect=200)["status"] == "issued"
    assert s.post("bank2", f"{LC}/{credit['id']}/advise", expect=200)["status"] == "advised"
    return str(credit["id"])


def _code(response: Any) -> str:
    return str(response.json()["code"])


def test_issue_advise_amend_present_examine_and_honour_at_sight(stack: TradeStack) -> None:
    s = stack
    cid = _advised(s, "LC-A")
    credit = s.get("supplier", f"{LC}/{cid}")
    assert credit["terms"]["credit_terms"]["beneficiary"] == "Supplier Ltd"
    assert credit["terms"]["credit_terms"]["applicant"] == "Buyer Ltd"
    assert credit["available_minor"] == 105_000  # 5 % tolerance

    amended = s.post("bank", f"{LC}/{cid}/amendments", {"amount": 120_000}, expect=201)
    assert [(a["number"], a["status"]) for a in amended["amendments"]] == [(1, "pending")]
    assert amended["terms"]["credit_terms"]["amount"] == 100_000  # binds nobody until accepted
    refused = s.call("supplier", "POST", f"{LC}/{cid}/presentations", json=_documents(s, 120_000))
    assert (refused.status_code, _code(refused)) == (409, "lc_exceeds_available")
    wrong = s.call("bank", "POST", f"{LC}/{cid}/amendments/1/accept")
    assert (wrong.status_code, _code(wrong)) == (403, "not_beneficiary")

    accepted = s.post("supplier", f"{LC}/{cid}/amendments/1/accept", expect=200)
    assert accepted["terms"]["credit_terms"]["amount"] == 120_000
    assert accepted["amendments"][0]["status"] == "accepted"
    assert accepted["terms_hash"] == amended["amendments"][0]["terms_hash"]
    presented = s.post("supplier", f"{LC}/{cid}/presentations", _documents(s, 120_000), expect=201)
    pid = presented["id"]
    assert presented["status"] == "presented"
    assert presented["documents"]["previously_drawn"] == 0
    examined = s.post("bank", f"{LC}/presentations/{pid}/examine", expect=200)
    assert (examined["status"], examined["report"]["status"]) == ("complying", "complying")
    assert s.get("buyer", f"{LC}/presentations/{pid}/report")["result_hash"] == examined["result_hash"]
    own = s.call("supplier", "POST", f"{LC}/presentations/{pid}/honour")  # the beneficiary paying itself
    assert (own.status_code, _code(own)) == (403, "not_issuing_bank")

    before = s.balance("supplier")
    honoured = s.post("bank", f"{LC}/presentations/{pid}/honour", expect=200)

    assert honoured["status"] == "honoured"
    assert s.balance("supplier") - before == 120_000
    again = s.call("bank", "POST", f"{LC}/presentations/{pid}/honour")  # never paid twice
    assert (again.status_code, _code(again)) == (409, "lc_wrong_presentation_status")
    assert s.balance("supplier") - before == 120_000
    final = s.get("buyer", f"{LC}/{cid}")
    assert (final["drawn_minor"], final["available_minor"]) == (120_000, 126_000 - 120_000)
    assert [p["status"] for p in final["presentations"]] == ["honoured"]
    assert [c["id"] for c in s.get("bank2", LC)] == [cid]


def test_a_discrepant_presentation_is_refused_waived_by_the_applicant_then_honoured(
    stack: TradeStack,
) -> None:
    s = stack
    cid = _advised(s, "LC-B")
    documents = _documents(s, 100_000, issuer="Someone Else Ltd")
    documents["bills_of_lading"][0]["port_of_loading"] = "CNSHA"
    pid = s.post("supplier", f"{LC}/{cid}/presentations", documents, expect=201)["id"]

    examined = s.post("bank", f"{LC}/presentations/{pid}/examine", expect=200)

    assert examined["status"] == "discrepant"
    report = s.get("supplier", f"{LC}/presentations/{pid}/report")
    assert [d["code"] for d in report["discrepancies"]] == ["INVOICE_NOT_BY_BENEFICIARY", "PORT_MISMATCH"]
    page = s.call("buyer", "GET", f"{LC}/presentations/{pid}/report.html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "PORT_MISMATCH" in page.text and "UCP 600 Art. 18(a)(i)" in page.text and "LC-B" in page.text
    early = s.call("bank", "POST", f"{LC}/presentations/{pid}/honour")
    assert (early.status_code, _code(early)) == (409, "lc_wrong_presentation_status")

    refused = s.post("bank", f"{LC}/presentations/{pid}/refuse", expect=200)
    assert refused["status"] == "refused"
    twice = s.call("bank", "POST", f"{LC}/presentations/{pid}/refuse")
    assert (twice.status_code, _code(twice)) == (409, "lc_wrong_presentation_status")
    not_applicant = s.call("supplier", "POST", f"{LC}/presentations/{pid}/waive")
    assert (not_applicant.status_code, _code(not_applicant)) == (403, "not_applicant")
    assert s.post("buyer", f"{LC}/presentations/{pid}/waive", expect=200)["status"] == "waived"
    before = s.balance("supplier")
    assert s.post("bank", f"{LC}/presentations/{pid}/honour", expect=200)["status"] == "honoured"
    assert s.balance("supplier") - before == 100_000


def test_a_complying_presentation_is_not_refused(stack: TradeStack) -> None:
    s = stack
    cid = _advised(s, "LC-C")
    pid = s.post("supplier", f"{LC}/{cid}/presentations", _documents(s, 90_000), expect=201)["id"]
    s.post("bank", f"{LC}/presentations/{pid}/examine", expect=200)
    block = s.harness.chain.w3.eth.block_number

    refused = s.call("bank", "POST", f"{LC}/presentations/{pid}/refuse")

    assert (refused.status_code, _code(refused)) == (409, "presentation_not_discrepant")
    assert s.harness.chain.w3.eth.block_number == block


def test_a_deferred_payment_becomes_a_receivable_the_beneficiary_finances(stack: TradeStack) -> None:
    s = stack
    cid = _advised(s, "LC-D", payment="deferred", deferred_days=90)
    pid = s.post("supplier", f"{LC}/{cid}/presentations", _documents(s, 100_000), expect=201)["id"]
    s.post("bank", f"{LC}/presentations/{pid}/examine", expect=200)

    accepted = s.post("bank", f"{LC}/presentations/{pid}/honour", expect=200)

    assert accepted["status"] == "accepted"
    rid = accepted["receivable_id"]
    assert rid.startswith("0x") and len(rid) == 66
    receivable = s.get("supplier", f"/receivables/{rid}")
    assert (receivable["debtor"], receivable["holder"], receivable["status"]) == (
        s.ids["bank"],
        s.ids["supplier"],
        "confirmed",
    )
    assert receivable["face_value_minor"] == 100_000
    fid = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=201)["id"]
    s.post("bank2", "/cash/deposits", {"to": s.ids["bank2"], "amount_minor": 1_000_000}, expect=201)
    offer = {"advance_minor": 95_000, "discount_bps": 400, "tenor_days": 90}
    s.post("bank2", f"/financing-requests/{fid}/offers", offer, expect=201)
    before = s.balance("supplier")
    funded = s.post(
        "supplier", f"/financing-requests/{fid}/accept", {"financier": s.ids["bank2"]}, expect=200
    )
    assert (funded["status"], funded["financier"]) == ("funded", s.ids["bank2"])
    assert s.balance("supplier") - before == 95_000


def test_non_parties_see_nothing_and_write_nothing(stack: TradeStack) -> None:
    s = stack
    cid = _advised(s, "LC-E")
    s.post("bank", f"{LC}/{cid}/amendments", {"expiry_date": (_today(s) + timedelta(days=50)).isoformat()})
    pid = s.post("supplier", f"{LC}/{cid}/presentations", _documents(s, 1_000), expect=201)["id"]
    block = s.harness.chain.w3.eth.block_number

    assert s.get("rival", LC) == []
    for path in (f"{LC}/{cid}", f"{LC}/presentations/{pid}/report", f"{LC}/presentations/{pid}/report.html"):
        response = s.call("rival", "GET", path)
        assert response.status_code == 404, path
    posts = {
        f"{LC}/{cid}/issue": None,
        f"{LC}/{cid}/advise": None,
        f"{LC}/{cid}/amendments": {"amount": 1},
        f"{LC}/{cid}/amendments/1/accept": None,
        f"{LC}/{cid}/amendments/1/reject": None,
        f"{LC}/{cid}/presentations": _documents(s, 1_000),
        f"{LC}/presentations/{pid}/examine": None,
        f"{LC}/presentations/{pid}/refuse": None,
        f"{LC}/presentations/{pid}/waive": None,
        f"{LC}/presentations/{pid}/honour": None,
    }
    for who in ("rival", "tier2"):
        for path, body in posts.items():
            response = s.call(who, "POST", path, json=body)
            assert response.status_code == 404, (who, path, response.text)
            assert _code(response) in ("credit_not_found", "presentation_not_found")
    assert s.harness.chain.w3.eth.block_number == block


def test_an_unaccepted_or_rejected_amendment_does_not_take_effect(stack: TradeStack) -> None:
    s = stack
    cid = _advised(s, "LC-F")
    s.post("bank", f"{LC}/{cid}/amendments", {"amount": 200_000}, expect=201)
    rejected = s.post("supplier", f"{LC}/{cid}/amendments/1/reject", expect=200)

    assert rejected["amendments"][0]["status"] == "rejected"
    assert rejected["terms"]["credit_terms"]["amount"] == 100_000
    assert rejected["available_minor"] == 105_000
    late = s.call("supplier", "POST", f"{LC}/{cid}/amendments/1/accept")
    assert (late.status_code, _code(late)) == (409, "lc_amendment_settled")
    assert s.call("supplier", "POST", f"{LC}/{cid}/amendments/9/accept").status_code == 404


def test_no_presentation_after_expiry(stack: TradeStack) -> None:
    s = stack
    today = _today(s)
    cid = _advised(
        s,
        "LC-G",
        expiry_date=(today + timedelta(days=2)).isoformat(),
        latest_shipment_date=(today + timedelta(days=1)).isoformat(),
    )
    s.harness.increase_time(4 * DAY)

    late = s.call("supplier", "POST", f"{LC}/{cid}/presentations", json=_documents(s, 1_000))

    assert (late.status_code, _code(late)) == (409, "lc_expired_credit")
    assert s.get("supplier", f"{LC}/{cid}")["presentations"] == []
    assert s.post("buyer", f"{LC}/{cid}/expire", expect=200)["status"] == "expired"
    assert s.post("supplier", f"{LC}/{cid}/expire", expect=409)["code"] == "lc_wrong_status"


def test_cancellation_before_advice_only(stack: TradeStack) -> None:
    s = stack
    applied = s.post("buyer", LC, _terms(s, "LC-C1"), expect=201)["id"]
    issued = s.post("buyer", LC, _terms(s, "LC-C2"), expect=201)["id"]
    s.post("bank", f"{LC}/{issued}/issue", expect=200)
    advised = _advised(s, "LC-C3")

    assert s.post("supplier", f"{LC}/{applied}/cancel", expect=403)["code"] == "not_applicant"
    assert s.post("buyer", f"{LC}/{applied}/cancel", expect=200)["status"] == "cancelled"  # withdrawn
    assert (
        s.post("buyer", f"{LC}/{issued}/cancel", expect=403)["code"] == "lc_not_party"
    )  # issued: the bank's
    assert s.post("bank", f"{LC}/{issued}/cancel", expect=200)["status"] == "cancelled"
    assert s.post("bank", f"{LC}/{advised}/cancel", expect=409)["code"] == "lc_wrong_status"  # irrevocable
    assert s.get("supplier", f"{LC}/{advised}")["status"] == "advised"


def test_malformed_bodies_are_422_and_write_nothing(stack: TradeStack) -> None:
    s = stack
    cid = _advised(s, "LC-H")
    block = s.harness.chain.w3.eth.block_number
    bad = [
        ("buyer", LC, {**_terms(s, "LC-X"), "amount": -5}),
        ("buyer", LC, {**_terms(s, "LC-X"), "beneficiary": "nobody"}),
        ("buyer", LC, {**_terms(s, "LC-X"), "unknown": 1}),
        ("buyer", LC, _terms(s, "LC-X", payment="deferred")),  # no deferred_days
        ("bank", f"{LC}/{cid}/amendments", {}),
        ("bank", f"{LC}/{cid}/amendments", {"amount": "lots"}),
        ("supplier", f"{LC}/{cid}/presentations", {**_documents(s, 1_000), "previously_drawn": 5}),
        ("supplier", f"{LC}/{cid}/presentations", {**_documents(s, 1_000), "amount_minor": 0}),
        ("supplier", f"{LC}/{cid}/presentations", {**_documents(s, 1_000), "amount_minor": 1_001}),
        ("buyer", LC, {**_terms(s, "LC-X"), "amount_tolerance_pct": "5.555"}),  # whole bps only
    ]
    for who, path, body in bad:
        response = s.call(who, "POST", path, json=body)
        assert response.status_code == 422, (path, body, response.text)
    not_a_member = s.call("buyer", "POST", LC, json=_terms(s, "LC-Y", beneficiary="0x" + "ab" * 32))
    assert (not_a_member.status_code, _code(not_a_member)) == (422, "invalid_party")
    not_applicant = s.call("supplier", "POST", LC, json=_terms(s, "LC-Z"))
    assert (not_applicant.status_code, _code(not_applicant)) == (403, "role_required")
    assert s.harness.chain.w3.eth.block_number == block
    assert [c["number"] for c in s.get("buyer", LC)] == ["LC-H"]


def test_an_expiry_date_already_past_is_refused_by_field_before_any_transaction(stack: TradeStack) -> None:
    s = stack
    yesterday = _today(s) - timedelta(days=1)
    block = s.harness.chain.w3.eth.block_number

    past = s.call(
        "buyer",
        "POST",
        LC,
        json=_terms(s, "LC-P", expiry_date=yesterday.isoformat(), latest_shipment_date=yesterday.isoformat()),
    )

    assert (past.status_code, _code(past)) == (422, "expiry_in_past")
    assert [e["field"] for e in past.json()["errors"]] == ["expiry_date"]
    assert s.harness.chain.w3.eth.block_number == block
    assert s.get("buyer", LC) == []
