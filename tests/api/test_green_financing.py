"""Carbon-linked finance through the HTTP API (real anvil, both databases): the verified carbon
score, green terms on a financing offer, and carbon credits pledged as collateral."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from tests.api.trade_stack import (
    CARBON_PARTIES,
    PO_TOTAL,
    TradeStack,
    delivered_order,
    invoice_body,
    start_stack,
)
from tests.carbon.test_statements import _anchored_readings
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain
HOUR = 3600


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine, CARBON_PARTIES)
    with s.client:
        yield s


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _verified_reduction(s: TradeStack) -> tuple[str, str]:
    """The supplier's verified scope 2 statements: 20 kWh in a baseline hour, 5 kWh in the next."""
    t0 = int(s.harness.chain.w3.eth.get_block("latest")["timestamp"]) - 10 * 86_400
    ids = []
    for start, values in ((t0, [10_000, 2_500, 7_500]), (t0 + HOUR + 1, [5_000])):
        _anchored_readings(s, values, start=start)
        period = {"scope": 2, "period_start": _iso(start), "period_end": _iso(start + HOUR)}
        statement = s.post("supplier", "/carbon/statements", period, expect=201)
        s.post("verifier", f"/carbon/statements/{statement['id']}/verify", {}, expect=200)
        ids.append(statement["id"])
    return ids[1], ids[0]


def _financing(s: TradeStack, po: str = "PO-1") -> tuple[str, str]:
    rid = s.post("supplier", "/invoices", invoice_body(delivered_order(s, po), f"INV-{po}"), expect=201)["id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    return rid, s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=201)["id"]


GREEN_OFFER = {
    "advance_minor": 9_000_000,
    "discount_bps": 800,
    "tenor_days": 60,
    "green": {"advance_minor": 9_300_000, "discount_bps": 400, "min_score_bps": 5_000},
}


def test_a_scored_supplier_gets_green_terms_and_its_pledged_credits_unlock_after_repayment(
    stack: TradeStack,
) -> None:
    s = stack
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 50_000_000}, expect=201)
    s.post("bank", "/cash/deposits", {"to": s.ids["buyer"], "amount_minor": 50_000_000}, expect=201)
    current, baseline = _verified_reduction(s)
    supplier = s.ids["supplier"]
    assert s.get("supplier", f"/carbon/scores/{supplier}")["valid"] is False
    scoring = {"current": current, "baseline": baseline}
    assert s.post("supplier", "/carbon/scores", scoring, expect=403)["code"] == "role_required"

    scored = s.post("verifier", "/carbon/scores", scoring, expect=200)

    assert (scored["organisation"], scored["reduction_bps"], scored["valid"]) == (supplier, 7_500, True)
    assert s.get("bank", f"/carbon/scores/{supplier}")["reduction_bps"] == 7_500  # financiers price on it
    assert s.get("rival", f"/carbon/scores/{supplier}", expect=404)["code"] == "score_not_found"
    credits = {"project": "plant-1", "vintage": 2026, "to": supplier, "kg": 8, **{"statement": current}}
    token = s.post("verifier", "/carbon/credits", {**credits, "baseline": baseline}, expect=201)["token_id"]

    rid, fid = _financing(s)
    assert (
        s.post("tier2", f"/financing-requests/{fid}/collateral", {"token_id": token, "kg": 1}, expect=404)[
            "code"
        ]
        == "financing_not_found"
    )
    pledged = s.post(
        "supplier", f"/financing-requests/{fid}/collateral", {"token_id": token, "kg": 5}, expect=200
    )
    assert pledged["collateral"] == {"token_id": token, "kg": 5, "status": "pledged"}
    worse = {**GREEN_OFFER, "green": {**GREEN_OFFER["green"], "discount_bps": 900}}  # type: ignore[dict-item]
    block = s.harness.chain.w3.eth.block_number
    assert s.post("bank", f"/financing-requests/{fid}/offers", worse, expect=422)["code"] == "invalid_request"
    assert s.harness.chain.w3.eth.block_number == block
    offered = s.post("bank", f"/financing-requests/{fid}/offers", GREEN_OFFER, expect=201)
    assert offered["offers"][0]["green"] == GREEN_OFFER["green"]

    funded = s.post("supplier", f"/financing-requests/{fid}/accept", {"financier": s.ids["bank"]}, expect=200)

    assert (funded["status"], funded["green"], funded["advance_minor"], funded["discount_bps"]) == (
        "funded",
        True,
        9_300_000,
        400,
    )
    retire = {"kg": 4, "beneficiary": "ACME Motors", "reason": "2026 scope 2"}
    locked = s.post("supplier", f"/carbon/credits/{token}/retire", retire, expect=409)
    assert (locked["code"], locked["args"]["unlocked"]) == ("credits_locked", 3)
    early = s.post("supplier", f"/financing-requests/{fid}/collateral/release", expect=409)
    assert early["code"] == "credits_financing_live"
    s.post("buyer", f"/receivables/{rid}/repayments", {"amount_minor": PO_TOTAL}, expect=200)
    released = s.post("supplier", f"/financing-requests/{fid}/collateral/release", expect=200)
    assert released["collateral"]["status"] == "released"
    s.post("supplier", f"/carbon/credits/{token}/retire", {**retire, "kg": 8}, expect=200)


def test_without_a_score_the_standard_terms_apply_and_recourse_seizes_the_collateral(
    stack: TradeStack,
) -> None:
    s = stack
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 50_000_000}, expect=201)
    current, baseline = _verified_reduction(s)  # verified, but no score set
    token = s.post(
        "verifier",
        "/carbon/credits",
        {
            "project": "p",
            "vintage": 2026,
            "to": s.ids["supplier"],
            "kg": 8,
            "statement": current,
            "baseline": baseline,
        },
        expect=201,
    )["token_id"]
    rid = s.post(
        "supplier", "/invoices", invoice_body(delivered_order(s), due_date="2027-01-01"), expect=201
    )["id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    fid = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=201)["id"]
    s.post("supplier", f"/financing-requests/{fid}/collateral", {"token_id": token, "kg": 8}, expect=200)
    s.post("bank", f"/financing-requests/{fid}/offers", {**GREEN_OFFER, "recourse": True}, expect=201)

    funded = s.post("supplier", f"/financing-requests/{fid}/accept", {"financier": s.ids["bank"]}, expect=200)

    assert (funded["green"], funded["advance_minor"], funded["discount_bps"]) == (False, 9_000_000, 800)
    assert (
        s.post("bank", f"/financing-requests/{fid}/collateral/seize", expect=409)["code"]
        == "credits_cannot_seize"
    )
    assert (
        s.post("supplier", f"/financing-requests/{fid}/collateral/seize", expect=403)["code"]
        == "not_financier"
    )
    s.harness.increase_time(400 * 86_400)
    s.post("bank", f"/receivables/{rid}/overdue", expect=200)
    s.post("bank", f"/financing-requests/{fid}/recourse", expect=200)

    seized = s.post("bank", f"/financing-requests/{fid}/collateral/seize", expect=200)

    assert seized["collateral"]["status"] == "seized"
    account = s.get("bank", "/carbon/account")
    assert account["credits"] == [{"token_id": token, "kg": 8}]
    assert s.get("supplier", "/carbon/account")["credits"] == []
