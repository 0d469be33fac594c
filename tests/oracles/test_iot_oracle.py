"""The IoT oracle end to end: signed readings -> Mosquitto -> oracle -> anchored batches with proofs."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.carbon.models import ReadingBatchRow, ReadingRow, leaf_value
from api.db import make_engine, migrate
from chain.carbon_contracts import DeviceKind
from chain.policy import OrgRole
from iot.identity import device_id, device_key
from iot.readings import Domain, Reading, sign_reading, to_payload
from iot.topics import readings_topic
from oracles.iot.ingest import counters
from oracles.iot.worker import IotOracle, OracleConfig
from tests.chain.trade_factories import Party, make_party
from tests.conftest import ChainHarness

pytestmark = [pytest.mark.chain, pytest.mark.broker]

FACTORY = b"\xfa" * 32


@dataclass
class Fleet:
    owner: Party
    devices: list[bytes]
    domain: Domain
    clock: Callable[[], float]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'oracle.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def _fleet(h: ChainHarness, size: int) -> Fleet:
    owner = make_party(h, f"plant-{secrets.token_hex(2)}", OrgRole.SUPPLIER)
    devices = []
    for n in range(size):
        device = device_id(owner.org, f"METER-{n}")
        signer = device_key(h.chain.keystore, device).address
        h.chain.devices(owner.key).register_device(device, DeviceKind.ELECTRICITY_METER, FACTORY, signer)
        devices.append(device)
    offset = int(h.chain.w3.eth.get_block("latest")["timestamp"]) - time.time() + 1
    domain = Domain(h.chain.chain_id, h.chain.require_manifest().address("DeviceRegistry"))
    return Fleet(owner, devices, domain, lambda: time.time() + offset)


def _publish(
    url: str, messages: list[tuple[str, bytes]], protocol: int = mqtt.MQTTv5, pause: float = 0.0
) -> None:
    from urllib.parse import urlparse

    target = urlparse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=protocol)
    client.connect(target.hostname or "127.0.0.1", target.port or 1883)
    client.loop_start()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1).wait_for_publish(10)
        time.sleep(pause)
    client.loop_stop()
    client.disconnect()


def _signed(
    h: ChainHarness, fleet: Fleet, device: bytes, seq: int, value: int = 1_500, **changes: object
) -> bytes:
    reading = Reading(device, seq, int(fleet.clock()), "electricity_kwh", value, "kWh", FACTORY)
    for key, new in changes.items():
        reading = Reading(**{**reading.__dict__, key: new})  # type: ignore[arg-type]
    return to_payload(reading, sign_reading(device_key(h.chain.keystore, device), fleet.domain, reading))


def _wait(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_readings_are_verified_persisted_anchored_and_provable(
    harness: ChainHarness, engine: Engine, mqtt_url: str
) -> None:
    h = harness
    fleet = _fleet(h, 3)
    oracle_org = make_party(h, "iot-oracle", OrgRole.IOT_ORACLE)
    revoked = fleet.devices[2]
    h.chain.devices(fleet.owner.key).revoke_device(revoked)
    tag = secrets.token_hex(4)
    config = OracleConfig(
        broker_url=mqtt_url, group=f"test-{tag}", client_id=f"oracle-{tag}", batch_size=10, batch_age=0.5
    )
    oracle = IotOracle(config, engine, h.chain, oracle_org.key, clock=fleet.clock)
    stop = threading.Event()
    worker = threading.Thread(target=oracle.run, args=(stop,))
    worker.start()
    try:
        assert oracle.connected.wait(10)
        good = [(d, seq) for seq in range(1, 13) for d in fleet.devices[:2]]  # 24 readings
        messages = [(readings_topic(fleet.owner.org, d), _signed(h, fleet, d, seq)) for d, seq in good]
        stranger = device_id(fleet.owner.org, "NOT-REGISTERED")
        unsigned = json.loads(_signed(h, fleet, fleet.devices[0], 50))
        del unsigned["sig"]
        first_topic = readings_topic(fleet.owner.org, fleet.devices[0])
        bad = [
            (first_topic, json.dumps(unsigned).encode()),  # unsigned
            (readings_topic(fleet.owner.org, stranger), _signed(h, fleet, stranger, 1)),  # unknown device
            (readings_topic(fleet.owner.org, revoked), _signed(h, fleet, revoked, 1)),  # revoked key
            (first_topic, _signed(h, fleet, fleet.devices[0], 3, value=9_999)),  # replayed sequence
            (first_topic, _signed(h, fleet, fleet.devices[0], 60, value=-5)),  # out of range
            (
                first_topic,
                _signed(h, fleet, fleet.devices[0], 61, timestamp=int(fleet.clock()) - 3_600),
            ),  # skew
            (first_topic, b'{"device": "0x12", '),  # malformed JSON
            (first_topic, b"x" * 4_096),  # oversized
        ]
        _publish(mqtt_url, messages + bad)
        _wait(
            lambda: (
                counters(engine).get("accepted", 0) == 24
                and sum(v for k, v in counters(engine).items() if k.startswith("rejected:")) == 8
            )
        )

        def all_anchored() -> bool:
            with Session(engine) as session:
                unbatched = session.exec(select(ReadingRow).where(col(ReadingRow.batch_root).is_(None))).all()
                pending = session.exec(
                    select(ReadingBatchRow).where(ReadingBatchRow.status == "pending")
                ).all()
            return not unbatched and not pending

        _wait(all_anchored)
    finally:
        stop.set()
        worker.join(30)

    rejected = {k.split(":", 1)[1]: v for k, v in counters(engine).items() if k.startswith("rejected:")}
    assert rejected == {
        "unsigned": 1,
        "unknown_device": 1,
        "revoked_key": 1,
        "replayed": 1,
        "out_of_range": 1,
        "clock_skew": 1,
        "malformed": 1,
        "oversized": 1,
    }
    carbon = h.chain.carbon()
    with Session(engine) as session:
        rows = session.exec(select(ReadingRow)).all()
        batches = session.exec(select(ReadingBatchRow)).all()
    assert len(rows) == 24 and {int(r.value_milli) for r in rows} == {1_500}
    assert sum(b.count for b in batches) == 24 and all(b.status == "anchored" for b in batches)
    for row in rows:
        proof = [bytes.fromhex(p[2:]) for p in json.loads(row.proof or "[]")]
        assert carbon.verify_reading(bytes.fromhex(row.batch_root[2:]), proof, leaf_value(row))  # type: ignore[index]


def test_kill_9_mid_stream_anchors_every_persisted_reading_exactly_once(
    harness: ChainHarness, tmp_path: Path, mqtt_url: str
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from chain.config import project_root

    h = harness
    fleet = _fleet(h, 2)
    oracle_org = make_party(h, "iot-oracle-crash", OrgRole.IOT_ORACLE)
    database = tmp_path / "crash.db"
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    tag = secrets.token_hex(4)
    skew = int(abs(fleet.clock() - time.time())) + 300  # the test chain's clock runs ahead of the wall clock
    env = {
        **os.environ,
        "TRADELEDGER_RPC_URL": h.node.url,
        "TRADELEDGER_DATABASE_URL": f"sqlite:///{database}",
        "TRADELEDGER_MQTT_URL": mqtt_url,
        "TRADELEDGER_IOT_ORACLE_KEY": oracle_org.key,
        "TRADELEDGER_IOT_CLIENT_ID": f"crash-{tag}",
        "TRADELEDGER_IOT_GROUP": f"crash-{tag}",
        "TRADELEDGER_IOT_BATCH_SIZE": "25",
        "TRADELEDGER_IOT_BATCH_AGE": "0.3",
        "TRADELEDGER_IOT_MAX_SKEW": str(skew),
    }
    log = tmp_path / "oracle.log"

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "oracles.iot"],
            cwd=project_root(),
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        _wait(lambda: log.read_text().count("subscribed to") > starts, 30)
        return process

    def stored() -> int:
        with Session(engine) as session:
            return len(session.exec(select(ReadingRow)).all())

    starts = 0
    oracle = start()
    total = 300
    messages = [
        (readings_topic(fleet.owner.org, d), _signed(h, fleet, d, seq))
        for seq in range(1, total // 2 + 1)
        for d in fleet.devices
    ]
    # paced: with group commit the oracle stores 300 readings in well under a second
    publisher = threading.Thread(target=_publish, args=(mqtt_url, messages, mqtt.MQTTv5, 0.01))
    publisher.start()
    _wait(lambda: stored() >= 60, 60)
    oracle.send_signal(signal.SIGKILL)  # mid-stream, no goodbye
    oracle.wait(10)
    at_kill = stored()
    publisher.join(60)
    starts = 1
    oracle = start()
    try:

        def settled() -> bool:
            with Session(engine) as session:
                loose = session.exec(select(ReadingRow).where(col(ReadingRow.batch_root).is_(None))).all()
                pending = session.exec(
                    select(ReadingBatchRow).where(ReadingBatchRow.status == "pending")
                ).all()
            return stored() == total and not loose and not pending

        _wait(settled, 90)
    finally:
        oracle.send_signal(signal.SIGTERM)
        oracle.wait(30)

    with Session(engine) as session:
        rows = session.exec(select(ReadingRow)).all()
        batches = session.exec(select(ReadingBatchRow)).all()
    assert 0 < at_kill < total
    assert (
        len({(r.device_id, int(r.sequence)) for r in rows}) == len(rows) == total
    )  # nothing lost, nothing twice
    assert sum(b.count for b in batches) == total
    carbon = h.chain.carbon()
    for batch in batches:
        on_chain = carbon.call("batch", bytes.fromhex(batch.root[2:]))
        assert on_chain[1] == batch.count  # anchored once, with its count
    for row in rows[:: max(1, total // 30)]:
        proof = [bytes.fromhex(p[2:]) for p in json.loads(row.proof or "[]")]
        assert carbon.verify_reading(bytes.fromhex(row.batch_root[2:]), proof, leaf_value(row))  # type: ignore[index]


def test_the_embedded_broker_carries_readings_to_anchored_batches(
    harness: ChainHarness, engine: Engine
) -> None:
    """``make run``'s default: amqtt (MQTT 3.1.1), one oracle with a plain subscription."""
    from iot.broker import MQTT_311, EmbeddedBroker

    h = harness
    fleet = _fleet(h, 2)
    oracle_org = make_party(h, "iot-oracle-embedded", OrgRole.IOT_ORACLE)
    with EmbeddedBroker() as url:
        config = OracleConfig(
            broker_url=url, client_id="embedded-oracle", batch_size=5, batch_age=0.5, protocol=MQTT_311
        )
        oracle = IotOracle(config, engine, h.chain, oracle_org.key, clock=fleet.clock)
        stop = threading.Event()
        worker = threading.Thread(target=oracle.run, args=(stop,))
        worker.start()
        try:
            assert oracle.connected.wait(10) and oracle.topic == "tradeledger/v1/+/devices/+/readings"
            good = [(d, seq) for seq in range(1, 7) for d in fleet.devices]  # 12 readings
            messages = [(readings_topic(fleet.owner.org, d), _signed(h, fleet, d, seq)) for d, seq in good]
            replay = (
                readings_topic(fleet.owner.org, fleet.devices[0]),
                _signed(h, fleet, fleet.devices[0], 2, 7),
            )
            _publish(url, [*messages, replay], protocol=mqtt.MQTTv311)

            def anchored() -> int:
                with Session(engine) as session:
                    batches = session.exec(
                        select(ReadingBatchRow).where(ReadingBatchRow.status == "anchored")
                    )
                    return sum(b.count for b in batches)

            _wait(lambda: anchored() == 12 and counters(engine).get("rejected:replayed") == 1)
        finally:
            stop.set()
            worker.join(30)

    with Session(engine) as session:
        rows = session.exec(select(ReadingRow)).all()
    assert len(rows) == 12
    for row in rows:
        proof = [bytes.fromhex(p[2:]) for p in json.loads(row.proof or "[]")]
        assert h.chain.carbon().verify_reading(bytes.fromhex(row.batch_root[2:]), proof, leaf_value(row))  # type: ignore[index]
