"""Statements, verification, credits and the carbon account through the HTTP API (real anvil, both DBs)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from eth_utils import keccak
from sqlalchemy import Engine

from tests.api.trade_stack import CARBON_PARTIES, TradeStack, start_stack
from tests.carbon.test_statements import _anchored_readings
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain
PERIOD = {"period_start": "1970-01-01T00:00:00Z", "period_end": "1970-01-01T01:00:00Z"}
NEXT_PERIOD = {"period_start": "1970-01-01T01:00:01Z", "period_end": "1970-01-01T02:00:01Z"}


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine, CARBON_PARTIES)
    with s.client:
        yield s


def test_statement_to_retired_credits(stack: TradeStack) -> None:
    s = stack
    _anchored_readings(s, [10_000, 2_500, 7_500])  # 20 kWh of the supplier's, anchored

    statement = s.post("supplier", "/carbon/statements", {"scope": 2, **PERIOD}, expect=201)
    assert (statement["grams_co2"], statement["status"], len(statement["batches"])) == (
        10_732,
        "submitted",
        1,
    )
    computation = json.dumps(statement["computation"], sort_keys=True, separators=(",", ":")).encode()
    on_chain = s.harness.chain.carbon().call("statement", bytes.fromhex(statement["id"][2:]))
    assert keccak(computation) == bytes(on_chain[8])  # anyone can check the result hash from the response
    assert statement["computation"]["by_metric"] == {"electricity_kwh": 10_732}
    assert (
        s.post("buyer", f"/carbon/statements/{statement['id']}/verify", {}, expect=403)["code"]
        == "role_required"
    )
    verified = s.post("verifier", f"/carbon/statements/{statement['id']}/verify", {}, expect=200)
    assert verified["status"] == "verified" and verified["computation"] == statement["computation"]
    assert s.get("rival", "/carbon/statements") == []
    assert [x["id"] for x in s.get("verifier", "/carbon/statements")] == [statement["id"]]

    _anchored_readings(s, [5_000], start=4_000)  # the next hour: 5 kWh, 2,683 g
    current = s.post("supplier", "/carbon/statements", {"scope": 2, **NEXT_PERIOD}, expect=201)
    s.post("verifier", f"/carbon/statements/{current['id']}/verify", {}, expect=200)
    credits = {
        "project": "acme-plant-1 efficiency",
        "vintage": 2026,
        "to": s.ids["supplier"],
        "kg": 9,
        "statement": current["id"],
        "baseline": statement["id"],
    }
    too_many = s.post("verifier", "/carbon/credits", credits, expect=409)
    assert (too_many["code"], too_many["args"]["reductionKg"]) == ("credits_exceed_reduction", 8)  # 8,049 g
    credits["kg"] = 8
    token = s.post("verifier", "/carbon/credits", credits, expect=201)["token_id"]
    assert s.post("verifier", "/carbon/credits", credits, expect=409)["code"] == "credits_already_issued"
    assert s.post("supplier", "/carbon/credits", credits, expect=403)["code"] == "role_required"
    retire = {"kg": 3, "beneficiary": "ACME Motors", "reason": "2026 scope 2"}
    s.post("supplier", f"/carbon/credits/{token}/retire", retire, expect=200)
    too_much = s.post("supplier", f"/carbon/credits/{token}/retire", {**retire, "kg": 6}, expect=409)

    account = s.get("supplier", "/carbon/account")
    assert too_much["code"] == "erc1155_insufficient_balance"
    assert account["credits"] == [{"token_id": token, "kg": 5}] and account["retired_kg"] == 3
    assert [x["status"] for x in account["statements"]] == ["verified", "verified"]


@pytest.mark.parametrize(
    "body",
    [
        {"scope": 3, **PERIOD},
        {"scope": 2, "period_start": "1970-01-01T00:00:00", "period_end": "x"},
        {"scope": 2},
    ],
)
def test_bad_statement_requests_are_422_and_write_nothing(stack: TradeStack, body: dict[str, object]) -> None:
    block = stack.harness.chain.w3.eth.block_number

    response = stack.post("supplier", "/carbon/statements", body, expect=422)

    assert response["code"] == "invalid_request"
    assert stack.harness.chain.w3.eth.block_number == block


def test_a_period_without_anchored_readings_states_nothing(stack: TradeStack) -> None:
    block = stack.harness.chain.w3.eth.block_number

    response = stack.post("supplier", "/carbon/statements", {"scope": 1, **PERIOD}, expect=409)

    assert response["code"] == "no_readings"
    assert stack.harness.chain.w3.eth.block_number == block
    assert stack.get("supplier", "/carbon/statements") == []
