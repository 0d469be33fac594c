"""Scope 3 freight statements per shipment and per order through the HTTP API (real anvil, both DBs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from eth_utils import keccak
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.carbon.emissions import FACTORS_DIR, ZERO, compute, load_factor_set
from api.carbon.models import ReadingBatchRow, ReadingRow, leaf_value
from api.carbon.service import anchored_inputs, ensure_factor_set, verify_statement
from api.documents.models import StoredDocument
from chain.carbon_contracts import READING_LEAF_TYPES
from chain.ids import commitment, from_hex32
from chain.merkle import StandardMerkleTree
from tests.api.trade_stack import CARBON_PARTIES, LINES, PO_CSV, TradeStack, book_carrier, start_stack
from tests.carbon.test_statements import _anchored_readings
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain
PERIOD = {"period_start": "1970-01-01T00:00:00Z", "period_end": "1970-01-01T01:00:00Z"}
REEFER, TRUCK, ROAD_TRUCK, TRACKER = ("0x" + b * 32 for b in ("d1", "d2", "d3", "d4"))


def binding(bl: str) -> str:
    return "0x" + keccak(text=f"shipment:{bl}").hex()


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine, CARBON_PARTIES)
    with s.client:
        yield s


def anchor(s: TradeStack, readings: list[tuple[str, str, int, str, str, int]]) -> str:
    """(device, metric, value in thousandths, unit, binding, timestamp) readings of the carrier's
    devices, anchored in one batch by the IoT oracle; returns the batch root."""
    sequence: dict[str, int] = {}
    rows = []
    for device, metric, value, unit, bound, t in readings:
        sequence[device] = sequence.get(device, 0) + 1
        rows.append(
            ReadingRow(
                device_id=device,
                owner=s.ids["carrier"],
                sequence=sequence[device],
                timestamp=t,
                metric=metric,
                value_milli=value,
                unit=unit,
                binding=bound,
                signer="0x" + "00" * 20,
                signature="0x",
                received_at=datetime.now(UTC),
            )
        )
    tree = StandardMerkleTree.of([leaf_value(r) for r in rows], READING_LEAF_TYPES)
    root = "0x" + tree.root.hex()
    start, end = min(r.timestamp for r in rows), max(r.timestamp for r in rows)
    s.harness.chain.carbon(f"org-{s.ids['oracle']}").anchor_readings(tree.root, len(rows), start, end)
    with Session(s.engine) as session:
        for i, row in enumerate(rows):
            row.batch_root, row.proof = root, json.dumps(["0x" + p.hex() for p in tree.proof(i)])
            session.add(row)
        session.add(
            ReadingBatchRow(
                root=root,
                count=len(rows),
                period_start=start,
                period_end=end,
                status="anchored",
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    return root


def gps(
    device: str, bound: str, t: int, lat_milli: int, lon_milli: int
) -> list[tuple[str, str, int, str, str, int]]:
    return [(device, "gps_lat", lat_milli, "deg", bound, t), (device, "gps_lon", lon_milli, "deg", bound, t)]


def shipment_body(bl: str, **freight: Any) -> dict[str, Any]:
    return {
        "bl_number": bl,
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "shipped_on_board_at": "2026-04-01T06:00:00Z",
        "lines": LINES,
        **freight,
    }


def order_with_shipments(s: TradeStack) -> str:
    """An order with three shipments and the carrier's readings on them, anchored:

    - BL-S1, deep-sea container, 12,500 kg: a reefer's GPS track (0,0) -> (0,1) -> (1,1), 222.390 km,
      and a truck with 20 L of fuel over 150 km: 53,530 g + 72.390 km x 12.5 t x 8 g = 7,239 g
    - BL-S2, road, 2,000 kg: a truck without a fuel meter, 100 + 50 km: 150 x 2 x 62 = 18,600 g
    - BL-S3, no transport mode or weight: only a GPS tracker, so nothing can be stated
    """
    order = s.call(
        "buyer",
        "POST",
        f"/purchase-orders?supplier={s.ids['supplier']}",
        content=PO_CSV.format(po="PO-S"),
        headers={"Content-Type": "text/csv"},
        expect=201,
    ).json()
    book_carrier(s, order["id"])
    path = f"/purchase-orders/{order['id']}/shipments"
    s.post(
        "carrier",
        path,
        shipment_body("BL-S1", transport_mode="deep_sea_container", gross_weight_kg="12500"),
        201,
    )
    s.post("carrier", path, shipment_body("BL-S2", transport_mode="road", gross_weight_kg=2000), 201)
    s.post("carrier", path, shipment_body("BL-S3"), 201)
    s1, s2, s3 = binding("BL-S1"), binding("BL-S2"), binding("BL-S3")
    anchor(
        s,
        [
            *gps(REEFER, s1, 1_000, 0, 0),
            (REEFER, "temperature_c", -18_000, "Cel", s1, 1_000),
            *gps(REEFER, s1, 1_010, 0, 1_000),
            *gps(REEFER, s1, 1_020, 1_000, 1_000),
            (TRUCK, "fuel_l", 20_000, "L", s1, 1_005),
            (TRUCK, "distance_km", 150_000, "km", s1, 1_005),
            (ROAD_TRUCK, "distance_km", 100_000, "km", s2, 1_100),
            (ROAD_TRUCK, "distance_km", 50_000, "km", s2, 1_200),
            *gps(TRACKER, s3, 1_000, 0, 0),
            *gps(TRACKER, s3, 1_010, 0, 2_000),
            (ROAD_TRUCK, "distance_km", 999_000, "km", s2, 9_999),  # outside the period
        ],
    )
    return str(order["id"])


def test_a_shipment_statement_is_stated_by_a_party_and_verified_by_recomputation(stack: TradeStack) -> None:
    s = stack
    order_with_shipments(s)

    statement = s.post("buyer", "/carbon/statements", {"scope": 3, "shipment": "BL-S1", **PERIOD}, expect=201)

    assert (statement["scope"], statement["grams_co2"], statement["org"]) == (3, 61_622, s.ids["buyer"])
    on_chain = s.harness.chain.carbon().call("statement", from_hex32(statement["id"]))
    assert (on_chain[1], on_chain[5], "0x" + bytes(on_chain[6]).hex()) == (3, 61_622, binding("BL-S1"))
    assert bytes(on_chain[7]) == load_factor_set().digest
    verified = s.post("verifier", f"/carbon/statements/{statement['id']}/verify", {}, expect=200)
    assert verified["status"] == "verified"
    # the carrier (whose trucks these are) and the supplier may state the same shipment too
    carrier = s.post("carrier", "/carbon/statements", {"scope": 3, "shipment": "BL-S2", **PERIOD}, expect=201)
    assert carrier["grams_co2"] == 18_600


def test_an_order_statement_sums_its_shipments(stack: TradeStack) -> None:
    s = stack
    order_id = order_with_shipments(s)

    statement = s.post(
        "supplier", "/carbon/statements", {"scope": 3, "order": order_id, **PERIOD}, expect=201
    )

    assert statement["grams_co2"] == 61_622 + 18_600
    on_chain = s.harness.chain.carbon().call("statement", from_hex32(statement["id"]))
    assert "0x" + bytes(on_chain[6]).hex() == "0x" + keccak(text=f"order:{order_id}").hex()
    assert (
        s.post("verifier", f"/carbon/statements/{statement['id']}/verify", {}, expect=200)["status"]
        == "verified"
    )


def test_a_scope_3_statement_that_no_longer_recomputes_is_not_verified(stack: TradeStack) -> None:
    s = stack
    order_id = order_with_shipments(s)
    statement = s.post("buyer", "/carbon/statements", {"scope": 3, "order": order_id, **PERIOD}, expect=201)
    with Session(s.engine) as session:
        row = session.exec(select(ReadingRow).where(ReadingRow.device_id == ROAD_TRUCK)).first()
        assert row is not None
        row.value_milli = 1  # the off-chain copy no longer matches what was stated
        session.add(row)
        session.commit()

    refused = s.post("verifier", f"/carbon/statements/{statement['id']}/verify", {}, expect=409)

    assert refused["code"] == "statement_mismatch"
    assert s.harness.chain.carbon().call("statement", from_hex32(statement["id"]))[2] == 1  # still submitted


def test_a_non_party_gets_404_and_nothing_is_written(stack: TradeStack) -> None:
    s = stack
    order_id = order_with_shipments(s)
    block = s.harness.chain.w3.eth.block_number

    by_shipment = s.post(
        "rival", "/carbon/statements", {"scope": 3, "shipment": "BL-S1", **PERIOD}, expect=404
    )
    by_order = s.post("rival", "/carbon/statements", {"scope": 3, "order": order_id, **PERIOD}, expect=404)
    unknown = s.post("buyer", "/carbon/statements", {"scope": 3, "shipment": "BL-NONE", **PERIOD}, expect=404)

    assert (by_shipment["code"], by_order["code"], unknown["code"]) == (
        "shipment_not_found",
        "order_not_found",
        "shipment_not_found",
    )
    assert "BL-S1" not in json.dumps(by_order) and s.harness.chain.w3.eth.block_number == block


def test_a_shipment_with_nothing_to_state_is_409_and_nothing_is_on_chain(stack: TradeStack) -> None:
    s = stack
    order_with_shipments(s)
    block = s.harness.chain.w3.eth.block_number

    response = s.post(
        "carrier", "/carbon/statements", {"scope": 3, "shipment": "BL-S3", **PERIOD}, expect=409
    )
    later = {"period_start": "1970-01-02T00:00:00Z", "period_end": "1970-01-02T01:00:00Z"}
    empty = s.post("buyer", "/carbon/statements", {"scope": 3, "shipment": "BL-S1", **later}, expect=409)

    assert response["code"] == empty["code"] == "no_readings"
    assert "transport mode" in response["detail"]
    assert s.harness.chain.w3.eth.block_number == block
    assert s.get("carrier", "/carbon/statements") == [] and s.get("buyer", "/carbon/statements") == []


@pytest.mark.parametrize(
    "freight",
    [
        {"transport_mode": "teleport", "gross_weight_kg": "100"},
        {"transport_mode": "road", "gross_weight_kg": "-5"},
        {"transport_mode": "road", "gross_weight_kg": "0"},
        {"gross_weight_kg": "heavy"},
    ],
)
def test_bad_freight_data_on_a_shipment_is_422(stack: TradeStack, freight: dict[str, str]) -> None:
    s = stack
    order = s.call(
        "buyer",
        "POST",
        f"/purchase-orders?supplier={s.ids['supplier']}",
        content=PO_CSV.format(po="PO-X"),
        headers={"Content-Type": "text/csv"},
        expect=201,
    ).json()
    block = s.harness.chain.w3.eth.block_number

    response = s.call(
        "carrier", "POST", f"/purchase-orders/{order['id']}/shipments", json=shipment_body("BL-X", **freight)
    )

    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_request"
    assert s.harness.chain.w3.eth.block_number == block


@pytest.mark.parametrize(
    "body",
    [
        {"scope": 3, "shipment": "BL-S1", "order": "0x" + "00" * 32},
        {"scope": 3, "shipment": "BL-S1", "subject": "facility:x"},
        {"scope": 2, "shipment": "BL-S1"},
        {"scope": 3, "order": "not-an-id"},
        {"scope": 4, "shipment": "BL-S1"},
    ],
)
def test_bad_scope_3_requests_are_422(stack: TradeStack, body: dict[str, object]) -> None:
    assert (
        stack.post("buyer", "/carbon/statements", {**body, **PERIOD}, expect=422)["code"] == "invalid_request"
    )


def test_shipments_without_freight_data_keep_their_commitments(stack: TradeStack) -> None:
    s = stack
    order_with_shipments(s)
    with Session(s.engine) as session:
        docs = {
            d.number: d
            for d in session.exec(select(StoredDocument).where(StoredDocument.doc_type == "shipment"))
        }

    plain, sea = json.loads(docs["BL-S3"].canonical), json.loads(docs["BL-S1"].canonical)
    # the canonical JSON exactly as before the freight fields existed: these keys, nothing else
    assert sorted(plain) == [
        "bl_number",
        "carrier",
        "consignee",
        "lines",
        "po_number",
        "port_of_discharge",
        "port_of_loading",
        "shipped_on_board_at",
        "shipper",
        "type",
    ]
    expected = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert docs["BL-S3"].canonical == expected
    assert (sea["transport_mode"], sea["gross_weight_kg"]) == ("deep_sea_container", "12500")
    for doc in docs.values():  # the stored bytes are what the on-chain commitment binds
        assert doc.commitment == "0x" + commitment(doc.canonical.encode(), from_hex32(doc.salt)).hex()


def test_statements_made_with_the_previous_engine_and_factor_set_still_verify(stack: TradeStack) -> None:
    """A scope 2 statement as emissions-1.0.0 stated it with factors 2026.1 recomputes under this engine."""
    s, chain = stack, stack.harness.chain
    _anchored_readings(s, [10_000, 2_500, 7_500])  # 20 kWh of the supplier's
    old = load_factor_set(FACTORS_DIR / "tradeledger-factors-2026.1.json")
    ensure_factor_set(chain, old)
    with Session(s.engine) as session:
        statement = compute(
            anchored_inputs(session, s.ids["supplier"], (0, 2_000)),
            old,
            scope=2,
            period=(0, 2_000),
            region="CN",
        )
        as_before = replace(statement, engine="emissions-1.0.0")
        assert (
            b'"engine":"emissions-1.0.0"' in as_before.canonical() and b"freight" not in as_before.canonical()
        )
        statement_id, _ = chain.carbon(f"org-{s.ids['supplier']}").submit_statement(
            2,
            (0, 2_000),
            bytes.fromhex(ZERO[2:]),
            statement.grams,
            old.digest,
            [bytes.fromhex(b[2:]) for b in statement.batches],
            as_before.result_hash(),
        )

        recomputed = verify_statement(
            chain, session, s.ids["verifier"], statement_id, load_factor_set(), "CN"
        )

    assert recomputed.grams == 10_732 and recomputed.factor_set == "0x" + old.digest.hex()
    assert chain.carbon().call("statement", statement_id)[2] == 2  # verified
