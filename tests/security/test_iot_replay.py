"""Hostile device readings through the real IoT oracle and Mosquitto: replayed, signed by a revoked,
an unregistered or a mangled key, bound to another deployment, or altered after signing. Each is
refused and counted by reason, and nothing of them is stored or anchored. A genuine reading that
arrives after a later one of its device (reordered) is no replay: it is stored, once."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.carbon.models import ReadingBatchRow, ReadingRow, leaf_value
from chain.policy import OrgRole
from iot.identity import device_key
from iot.readings import SECP256K1_N, Domain, Reading, sign_reading, to_payload
from iot.topics import readings_topic
from oracles.iot.ingest import counters
from oracles.iot.worker import IotOracle, OracleConfig
from tests.chain.trade_factories import make_party
from tests.conftest import ChainHarness
from tests.oracles.test_iot_oracle import (  # noqa: F401 - engine: the oracle's SQLite database
    FACTORY,
    Fleet,
    _fleet,
    _publish,
    _wait,
    engine,
)

pytestmark = [pytest.mark.chain, pytest.mark.broker]


def _counts(db: Engine) -> dict[str, int]:
    """The oracle's counters, less unknown devices: none of this test's readings is of an unknown
    device, but a broker shared with other publishers (a developer's simulator) may carry theirs."""
    return {name: n for name, n in counters(db).items() if name != "rejected:unknown_device"}


def _chain_clock(h: ChainHarness) -> Callable[[], float]:
    """The oracle's and devices' clock: the chain's time (tests move it), running on from now."""
    offset = int(h.chain.w3.eth.get_block("latest")["timestamp"]) - time.time() + 1
    return lambda: time.time() + offset


def _high_s_twin(signature: bytes) -> bytes:
    s = int.from_bytes(signature[32:64], "big")
    return signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])


def _message(
    h: ChainHarness,
    fleet: Fleet,
    device: bytes,
    seq: int,
    *,
    key: LocalAccount | None = None,
    domain: Domain | None = None,
    mangle: Callable[[bytes], bytes] = lambda sig: sig,
    tamper: dict[str, object] | None = None,
    value: int = 1_500,
) -> tuple[str, bytes]:
    """A reading of ``value`` thousandths of a kWh signed by ``key`` (the device's first key) under
    ``domain`` (the fleet's), its signature mangled, then fields of its JSON payload changed by ``tamper``."""
    reading = Reading(device, seq, int(fleet.clock()), "electricity_kwh", value, "kWh", FACTORY)
    signer = key or device_key(h.chain.keystore, device)
    payload = to_payload(reading, mangle(sign_reading(signer, domain or fleet.domain, reading)))
    if tamper:
        payload = json.dumps({**json.loads(payload), **tamper}).encode()
    return readings_topic(fleet.owner.org, device), payload


def test_replayed_reordered_revoked_unknown_and_altered_readings_are_refused_and_never_anchored(
    harness: ChainHarness,
    engine: Engine,  # noqa: F811
    mqtt_url: str,
) -> None:
    h = harness
    fleet = _fleet(h, 3)
    meter, rotated, reordered = fleet.devices
    new_key = device_key(h.chain.keystore, rotated, 1)
    h.chain.devices(fleet.owner.key).rotate_key(rotated, new_key.address)  # generation 0 is revoked now
    fleet = replace(fleet, clock=_chain_clock(h))  # readings are made after the rotation
    oracle_org = make_party(h, "iot-oracle-security", OrgRole.IOT_ORACLE)
    tag = secrets.token_hex(4)
    config = OracleConfig(
        broker_url=mqtt_url, group=f"sec-{tag}", client_id=f"sec-{tag}", batch_size=10, batch_age=0.5
    )
    oracle = IotOracle(config, engine, h.chain, oracle_org.key, clock=fleet.clock)

    good = [_message(h, fleet, meter, seq) for seq in range(1, 5)]
    good += [
        _message(h, fleet, rotated, 2, key=new_key),  # the rotated device's new key still works
        _message(h, fleet, reordered, 10),
    ]
    registry = h.chain.require_manifest().address("DeviceRegistry")
    hostile = {
        "duplicate": [good[1]],  # the same message again, byte for byte
        "replayed": [_message(h, fleet, reordered, 10, value=1_499)],  # sequence 10 again, signed anew
        "revoked_key": [_message(h, fleet, rotated, 3)],  # signed by the rotated-out key
        "unknown_key": [
            _message(h, fleet, meter, 5, key=Account.create()),  # a key registered to no device
            _message(h, fleet, meter, 6, key=device_key(h.chain.keystore, reordered)),  # another device's
            _message(h, fleet, meter, 7, tamper={"value": "9999"}),  # altered after signing
            _message(h, fleet, meter, 8, domain=Domain(h.chain.chain_id + 1, registry)),  # another chain
            _message(h, fleet, meter, 9, domain=Domain(h.chain.chain_id, oracle_org.address)),  # contract
            _message(h, fleet, meter, 10, mangle=lambda sig: sig[:64] + bytes([55 - sig[64]])),  # v swapped
        ],
        "bad_signature": [
            _message(h, fleet, meter, 11, mangle=_high_s_twin),  # the malleable twin of a valid signature
            _message(h, fleet, meter, 12, mangle=lambda sig: sig[:64] + bytes([sig[64] - 27])),  # v 0/1
        ],
    }
    refused = sum(len(messages) for messages in hostile.values())
    late = _message(h, fleet, reordered, 9)  # genuine, after sequence 10: accepted, counted as late

    stop = threading.Event()
    worker = threading.Thread(target=oracle.run, args=(stop,))
    worker.start()
    try:
        assert oracle.connected.wait(10)
        _publish(mqtt_url, good)
        _wait(lambda: counters(engine).get("accepted") == len(good))
        _publish(mqtt_url, [*(m for messages in hostile.values() for m in messages), late])
        _wait(
            lambda: (
                sum(n for name, n in _counts(engine).items() if name not in ("accepted", "late")) == refused
                and counters(engine).get("accepted") == len(good) + 1
            )
        )

        def all_anchored() -> bool:
            with Session(engine) as session:
                batches = session.exec(select(ReadingBatchRow)).all()
            return sum(b.count for b in batches if b.status == "anchored") == len(good) + 1

        _wait(all_anchored)
    finally:
        stop.set()
        worker.join(30)

    assert _counts(engine) == {
        "accepted": len(good) + 1,
        "late": 1,
        "duplicate": 1,
        "rejected:replayed": 1,
        "rejected:revoked_key": 1,
        "rejected:unknown_key": 6,
        "rejected:bad_signature": 2,
    }
    with Session(engine) as session:
        rows = session.exec(select(ReadingRow)).all()
        roots = {b.root for b in session.exec(select(ReadingBatchRow)).all()}
    m, r, o = ("0x" + d.hex() for d in (meter, rotated, reordered))
    expected = {(m, 1), (m, 2), (m, 3), (m, 4), (r, 2), (o, 9), (o, 10)}
    assert {(row.device_id, int(row.sequence)) for row in rows} == expected
    assert {int(row.value_milli) for row in rows} == {1_500}  # the altered 9999 never got in
    assert next(row.signer for row in rows if row.device_id == r) == new_key.address
    carbon = h.chain.carbon()
    anchored = [carbon.call("batch", bytes.fromhex(root[2:])) for root in roots]  # (oracle, count, ...)
    assert sum(int(batch[1]) for batch in anchored) == len(good) + 1  # on chain too
    for row in rows:
        proof = [bytes.fromhex(p[2:]) for p in json.loads(row.proof or "[]")]
        assert carbon.verify_reading(bytes.fromhex(row.batch_root[2:]), proof, leaf_value(row))  # type: ignore[index]
