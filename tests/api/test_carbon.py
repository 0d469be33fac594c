"""Devices, readings with proofs and batches through the API: tenant-scoped, provable on chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from api.carbon.models import IngestCounter, ReadingBatchRow, ReadingRow, leaf_value
from chain.carbon_contracts import READING_LEAF_TYPES, DeviceKind
from chain.merkle import StandardMerkleTree
from tests.api.trade_stack import TradeStack, start_stack
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine)
    with s.client:
        yield s


def test_an_owner_sees_its_devices_and_readings_and_their_proofs_verify_on_chain(stack: TradeStack) -> None:
    s, chain = stack, stack.harness.chain
    oracle = s.post(
        "operator",
        "/organisations",
        {"handle": "iot-oracle-api", "name": "Oracle", "role": "iot_oracle", "legal_id": "LEI-ORACLE"},
        expect=201,
    )["organisation"]["id"]
    device = b"\x44" * 32
    signer = s.harness.new_key("api-device-key")
    chain.devices(f"org-{s.ids['supplier']}").register_device(
        device, DeviceKind.GAS_METER, b"\x05" * 32, signer
    )
    rows = [
        ReadingRow(
            device_id="0x" + device.hex(),
            owner=s.ids["supplier"],
            sequence=seq,
            timestamp=1_790_000_000 + seq,
            metric="natural_gas_m3",
            value_milli=1_250 + seq,
            unit="m3",
            binding="0x" + "05" * 32,
            signer=signer,
            signature="0x" + "00" * 65,
            received_at=datetime.now(UTC),
        )
        for seq in range(1, 6)
    ]
    tree = StandardMerkleTree.of([leaf_value(r) for r in rows], READING_LEAF_TYPES)
    receipt = chain.carbon(f"org-{oracle}").anchor_readings(
        tree.root, len(rows), 1_790_000_001, 1_790_000_005
    )
    root = "0x" + tree.root.hex()
    with Session(s.engine) as session:
        for i, row in enumerate(rows):
            row.batch_root, row.proof = root, json.dumps(["0x" + p.hex() for p in tree.proof(i)])
            session.add(row)
        session.add(
            ReadingBatchRow(
                root=root,
                count=5,
                period_start=1_790_000_001,
                period_end=1_790_000_005,
                status="anchored",
                tx_hash=receipt.tx_hash,
                created_at=datetime.now(UTC),
            )
        )
        session.add(IngestCounter(name="rejected:replayed", count=2))
        session.commit()
    s.client.app.state.indexer.sync()  # type: ignore[attr-defined]

    devices = s.get("supplier", "/devices")
    readings = s.get("supplier", "/readings")
    proof = s.get("supplier", f"/readings/{readings[0]['id']}/proof")

    assert [(d["id"], d["kind"], d["signer"]) for d in devices] == [
        ("0x" + device.hex(), "gas_meter", signer)
    ]
    assert len(readings) == 5 and readings[0]["anchored"] and readings[0]["value"] == "1.255"
    assert proof["signature"] == "0x" + "00" * 65  # the device's signature, for `tradeledger verify`
    leaf = (bytes.fromhex(proof["leaf"][0][2:]), *proof["leaf"][1:6], bytes.fromhex(proof["leaf"][6][2:]))
    assert chain.carbon().verify_reading(
        bytes.fromhex(proof["root"][2:]), [bytes.fromhex(p[2:]) for p in proof["proof"]], leaf
    )
    assert s.get("rival", "/devices") == [] and s.get("rival", "/readings") == []
    assert (
        s.call("rival", "GET", f"/readings/{readings[0]['id']}/proof").json()["code"] == "reading_not_found"
    )
    assert s.get("rival", "/iot/batches")[0]["root"] == root
    assert s.get("rival", "/iot/ingestion")["rejected:replayed"] == 2
    assert 'tradeledger_iot_ingest{name="rejected:replayed"} 2.0' in s.client.get("/metrics").text
