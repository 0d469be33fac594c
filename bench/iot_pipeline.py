"""IoT ingestion: readings/s from MQTT publish to anchored proof, against raw baselines from the same run.

Baselines: the raw broker rate (the same signed payloads published the same way, QoS 1 and at most
``IN_FLIGHT`` ahead of what was taken, to the oracle's own MQTT client with its Receive Maximum,
which only acknowledges them), raw signature checks
(eth-account's generic EIP-712 recovery and the oracle's fast path), and gas: one anchored batch
per reading versus a batch of many. Then the same readings again through two oracle processes
(``python -m oracles.iot``) sharing the subscription (MQTT 5 ``$share/<group>/…``), with their peak
memory; both batch and anchor (a batch claims its rows), each with its own account of the oracle
organisation (a sender owns its key's nonce). Needs an MQTT 5 broker with shared subscriptions
(Mosquitto; ``TRADELEDGER_TEST_MQTT_URL``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from bench.core import Context, Figure, Result, Target, scaled


def _broker_rate(url: str, payloads: list[tuple[str, bytes]]) -> float:
    """Readings/s through the broker alone: the phase's payloads, published as the phase publishes
    them, taken and acknowledged at once by the oracle's own MQTT client (on topics of this run only)."""
    from oracles.iot.subscriber import Session, Subscriber
    from oracles.iot.worker import OracleConfig

    prefix = f"bench-raw-{os.getpid()}-{time.time_ns()}"
    target = urlparse(url)
    subscriber = Subscriber(
        Session(
            target.hostname or "127.0.0.1",
            target.port or 1883,
            prefix,
            f"{prefix}/#",
            receive_maximum=OracleConfig().receive_maximum,
        )
    )
    subscriber.connect()
    received, done = [0], threading.Event()

    def take() -> None:
        while not done.is_set():
            messages = subscriber.read(0.1)
            subscriber.ack(m.mid for m in messages)
            received[0] += len(messages)

    taker = threading.Thread(target=take, name="bench-raw-subscriber")
    taker.start()
    raw = [(f"{prefix}/{topic.split('/', 2)[2]}", payload) for topic, payload in payloads]
    try:
        rate, _, _ = _publish_paced(url, raw, lambda: (received[0], received[0]))
    finally:
        done.set()
        taker.join()
        subscriber.close()
    return rate


def _signature_rates(count: int) -> tuple[float, float]:
    from eth_account import Account

    from iot.readings import Domain, Reading, ReadingVerifier, recover_slow, sign_reading

    domain = Domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    account = Account.create()
    signed = []
    for seq in range(count):
        reading = Reading(b"\x01" * 32, seq, 1_790_000_000, "electricity_kwh", seq, "kWh", b"\x02" * 32)
        signed.append((reading, sign_reading(account, domain, reading)))
    start = time.perf_counter()
    for reading, signature in signed:
        recover_slow(domain, reading, signature)
    slow = count / (time.perf_counter() - start)
    verifier = ReadingVerifier(domain)
    start = time.perf_counter()
    for reading, signature in signed:
        verifier.recover(reading, signature)
    return slow, count / (time.perf_counter() - start)


NAME = "iot_pipeline"
TITLE = "IoT readings from MQTT publish to anchored proof, one oracle then two sharing the subscription"
DEVICES = 20
BATCH = 500
IN_FLIGHT = 800  # readings published ahead of those persisted: Mosquitto drops (not queues) past 1,000
CHUNK = 100  # published in steps of, as many as keep within IN_FLIGHT (the window stays nearly full)


def workload(scale: float) -> dict[str, object]:
    return {
        "readings per phase": scaled(6_000, scale, 100),
        "devices": DEVICES,
        "batch size": BATCH,
        "QoS": 1,
        "oracle processes": "1, then 2 sharing the subscription (both anchor, one account each)",
    }


def _provision(ctx: Context) -> tuple[bytes, list[bytes], Any]:
    from chain.carbon_contracts import DeviceKind
    from chain.client import org_key_name
    from chain.ids import org_id
    from iot.identity import device_id, device_key
    from iot.readings import Domain

    chain = ctx.stack.chain
    owner = org_id("acme-motors")
    tag = time.time_ns()
    devices = []
    for n in range(DEVICES):
        device = device_id(owner, f"BENCH-{tag}-{n}")
        chain.devices(org_key_name(owner)).register_device(
            device, DeviceKind.ELECTRICITY_METER, b"\x02" * 32, device_key(chain.keystore, device).address
        )
        devices.append(device)
    return owner, devices, Domain(chain.chain_id, chain.require_manifest().address("DeviceRegistry"))


def _payloads(
    ctx: Context, owner: bytes, devices: list[bytes], domain: Any, count: int, first: int
) -> list[tuple[str, bytes]]:
    from iot.identity import device_key
    from iot.readings import Reading, sign_reading, to_payload
    from iot.topics import readings_topic

    now, payloads = int(time.time()), []
    for i in range(count):
        device = devices[i % len(devices)]
        reading = Reading(
            device, first + i // len(devices), now, "electricity_kwh", 1_000 + i, "kWh", b"\x02" * 32
        )
        signature = sign_reading(device_key(ctx.stack.chain.keystore, device), domain, reading)
        payloads.append((readings_topic(owner, device), to_payload(reading, signature)))
    return payloads


def _last_id(engine: Any) -> int:
    """The newest reading row's id: the rows a phase persists come after it."""
    from sqlmodel import Session, func, select

    from api.carbon.models import ReadingRow

    with Session(engine) as session:
        return int(session.exec(select(func.max(ReadingRow.id))).one() or 0)


def _counts(engine: Any, since: int, started: datetime) -> tuple[int, int]:
    """Readings persisted (and so acknowledged) after row ``since``, and those anchored.

    Cheap on purpose (a primary-key range, and the few batches made since the phase ``started``), as
    it is polled while the oracles work on the same cores: only the phase's devices publish during a
    phase, and every reading before it is anchored, so a batch made since holds only these rows.
    (Finding those batches through the rows' roots cost 1.5 ms a poll, a tenth of the phase's CPU.)"""
    from sqlmodel import Session, col, func, select

    from api.carbon.models import ReadingBatchRow, ReadingRow

    with Session(engine) as session:
        persisted = session.exec(select(func.count()).where(col(ReadingRow.id) > since)).one()
        anchored = session.exec(
            select(func.sum(ReadingBatchRow.count)).where(
                ReadingBatchRow.status == "anchored", col(ReadingBatchRow.created_at) >= started
            )
        ).one()
    return int(persisted), int(anchored or 0)


def _publish_paced(
    broker: str, payloads: list[tuple[str, bytes]], progress: Callable[[], tuple[int, int]]
) -> tuple[float, float, int]:
    """Publish (QoS 1), at most ``IN_FLIGHT`` readings ahead of those ``progress`` reports taken, and
    follow ``progress`` (taken, done) until every reading is done or progress stops: (taken/s, done/s,
    taken). The oracle phases and the raw broker baseline are paced alike by this one loop."""
    from bench.mqtt_load import Publisher

    publisher = Publisher(broker)
    start = time.perf_counter()
    seen, changed, wanted, published = (0, 0), start, len(payloads), 0
    ingest_time: float | None = None
    while (tick := time.perf_counter()) - start < 300:
        current = progress()
        if current != seen:
            seen, changed = current, tick
        if ingest_time is None and current[0] >= wanted:
            ingest_time = tick - start
        if current[1] >= wanted or tick - changed > 10:  # done, or lost on the way
            break
        fit = (IN_FLIGHT - (published - current[0])) // CHUNK * CHUNK  # whole chunks within the window
        if published < wanted and fit > 0:
            chunk = payloads[published : published + fit]
            publisher.publish(chunk)  # returns when the broker acknowledged them all
            published += len(chunk)
            continue
        time.sleep(0.01)
    publisher.close()
    elapsed = max(changed - start, 1e-6)  # until the last progress: a stall's wait is not counted
    return seen[0] / (ingest_time or elapsed), seen[1] / elapsed, seen[0]


def _oracle_process(ctx: Context, key: str, group: str, client_id: str) -> subprocess.Popen[bytes]:
    from bench.apiload import child_env

    env = {
        **child_env(ctx),
        "TRADELEDGER_MQTT_URL": ctx.broker,
        "TRADELEDGER_IOT_ORACLE_KEY": key,
        "TRADELEDGER_IOT_GROUP": group,
        "TRADELEDGER_IOT_CLIENT_ID": client_id,
        "TRADELEDGER_IOT_BATCH_SIZE": str(BATCH),
        "TRADELEDGER_IOT_BATCH_AGE": "0.5",
    }
    log = open(ctx.var_dir / f"{client_id}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "oracles.iot"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def _wait_subscribed(ctx: Context, client_ids: list[str], processes: list[subprocess.Popen[bytes]]) -> None:
    """Until every oracle process logged its subscription (imports and the chain connection take seconds)."""
    from bench.apiload import wait_for

    logs = [ctx.var_dir / f"{client_id}.log" for client_id in client_ids]
    wait_for(
        lambda: all("subscribed to" in log.read_text(errors="replace") for log in logs),
        processes,
        f"an oracle process did not subscribe; see {', '.join(map(str, logs))}",
    )


def _second_account(ctx: Context, key: str) -> str:
    """Another account of the oracle organisation (its own nonce), funded: the key's name."""
    from chain.node import fund_if_embedded

    chain, name = ctx.stack.chain, f"bench-iot-oracle-{time.time_ns()}"
    address = chain.keystore.get_or_create(name).address
    fund_if_embedded(ctx.node_url, address)
    chain.participants(key).add_account(address)
    return name


def _phase(
    ctx: Context,
    keys: list[str],
    group: str,
    payloads: list[tuple[str, bytes]],
) -> tuple[tuple[float, float, int], float]:
    """One oracle process per key, sharing ``group``, take ``payloads``: rates, and their peak RSS (MB)."""
    from bench.apiload import PeakRss

    since, started = _last_id(ctx.stack.engine), datetime.now(UTC)
    client_ids = [f"{group}-{n}" for n in range(len(keys))]
    processes: list[subprocess.Popen[bytes]] = []
    samplers: list[PeakRss] = []
    try:
        for key, client_id in zip(keys, client_ids, strict=True):  # one after the other: each migrates
            processes.append(_oracle_process(ctx, key, group, client_id))  # the database first
            samplers.append(PeakRss(processes[-1].pid))
            _wait_subscribed(ctx, [client_id], processes)
        rates = _publish_paced(ctx.broker, payloads, lambda: _counts(ctx.stack.engine, since, started))
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(30)
        ctx.stack.chain.resync_senders()  # the first instance anchored with the oracle's key
    return rates, max(s.stop() for s in samplers)


def run(ctx: Context, scale: float) -> Result:
    from chain.client import org_key_name
    from chain.ids import org_id

    load = workload(scale)
    result = Result(NAME, TITLE, load)
    count = int(load["readings per phase"])  # type: ignore[call-overload]
    with ctx.status(f"provisioning {DEVICES} devices, signing {2 * count} readings"):
        owner, devices, domain = _provision(ctx)
        first = _payloads(ctx, owner, devices, domain, count, 1)
        second = _payloads(ctx, owner, devices, domain, count, 1 + count // DEVICES + 1)
    with ctx.status("baselines: broker and signatures"):
        broker_rate = _broker_rate(ctx.broker, first)
        slow_sigs, fast_sigs = _signature_rates(min(count, 1_000))
    chain, engine = ctx.stack.chain, ctx.stack.engine
    key = org_key_name(org_id("tradeledger-iot"))
    tag = f"{os.getpid()}-{time.time_ns()}"
    with ctx.status(f"one oracle process: {count} readings publish -> anchored proof"):
        (ingest, pipeline, persisted), peak1 = _phase(ctx, [key], f"bench-{tag}-one", first)
    fast = f"{fast_sigs:,.0f} fast signature checks/s"
    result.add(
        Figure(
            "one oracle: publish -> verified, persisted",
            ingest,
            "readings/s",
            broker_rate,
            "raw broker QoS 1",
        )
    )
    result.add(
        Figure(
            "one oracle: publish -> anchored proof",
            pipeline,
            "readings/s",
            broker_rate,
            "raw broker QoS 1",
            Target(">=", 5_000, text=">= 5,000 readings/s with one oracle"),
        )
    )
    result.add(
        Figure("signature checks, oracle fast path", fast_sigs, "/s", slow_sigs, "eth-account generic")
    )
    result.notes.append(f"one oracle ingests at {ingest / fast_sigs:.2f} of the {fast}")
    if persisted < count:
        result.notes.append(
            f"{count - persisted} of {count} readings never reached the oracle: the broker dropped them "
            "(Mosquitto's max_queued_messages, 1000 by default, counts the subscriber's unacknowledged ones)"
        )

    with ctx.status(f"two oracle processes sharing the subscription: {count} readings"):
        keys = [key, _second_account(ctx, key)]
        (ingest2, pipeline2, persisted2), peak2 = _phase(ctx, keys, f"bench-{tag}-two", second)
    result.add(
        Figure(
            "two oracles sharing the subscription: publish -> persisted",
            ingest2,
            "readings/s",
            ingest,
            "one oracle",
            Target(">=", 1.6, "ratio", "near-linear gain (>= 1.6x one oracle)"),
        )
    )
    result.add(
        Figure("two oracles: publish -> anchored proof", pipeline2, "readings/s", pipeline, "one oracle")
    )
    result.add(
        Figure("oracle peak RSS", max(peak1, peak2), "MB", target=Target("<=", 200, text="oracle <= 200 MB"))
    )
    if persisted2 < count:
        result.notes.append(f"two oracles: {count - persisted2} of {count} readings were not persisted")

    from sqlmodel import Session, select

    from api.carbon.models import ReadingBatchRow

    with Session(engine) as session:
        batches = [b for b in session.exec(select(ReadingBatchRow)) if b.tx_hash]
    gas = 0
    for b in batches:
        gas += int(chain.w3.eth.get_transaction_receipt(b.tx_hash)["gasUsed"])  # type: ignore[arg-type]
    now = int(time.time())
    single = chain.carbon(key).anchor_readings(time.time_ns().to_bytes(32, "big"), 1, now, now).gas_used
    result.add(
        Figure(
            "gas per reading, batched",
            gas / max(1, sum(b.count for b in batches)),
            "gas",
            single,
            "one tx per reading",
            Target("<=", 0.01, "ratio", ">= 100x less gas per record"),
        )
    )
    return result
