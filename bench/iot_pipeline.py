"""IoT ingestion: readings/s from publish to anchored proof, against raw baselines from the same run.

Baselines: the raw broker rate (QoS 1 publish -> subscriber, no processing), raw signature checks
(eth-account's generic EIP-712 recovery and the oracle's fast path), and gas: one anchored batch
per reading versus a batch of many.

    python -m bench.iot_pipeline [--readings 2000] [--broker mqtt://127.0.0.1:1883]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path


def _broker_rate(url: str, count: int) -> float:
    from iot.simulator import BrokerOptions, connect

    got = threading.Event()
    received = [0]

    def on_message(*_: object) -> None:
        received[0] += 1
        if received[0] >= count:
            got.set()

    ready = threading.Event()
    subscriber = connect(BrokerOptions(url), client_id=f"bench-sub-{os.getpid()}")
    subscriber.on_message = on_message
    subscriber.on_subscribe = lambda *_: ready.set()
    subscriber.subscribe("tradeledger/bench/raw", qos=1)
    ready.wait(10)
    publisher = connect(BrokerOptions(url))
    start = time.perf_counter()
    infos = [publisher.publish("tradeledger/bench/raw", b"x" * 300, qos=1) for _ in range(count)]
    for info in infos:
        info.wait_for_publish(30)
    got.wait(60)
    elapsed = time.perf_counter() - start
    for client in (publisher, subscriber):
        client.loop_stop()
        client.disconnect()
    return count / elapsed


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="IoT ingestion benchmark")
    parser.add_argument("--readings", type=int, default=2_000)
    parser.add_argument(
        "--broker", default=os.environ.get("TRADELEDGER_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
    )
    args = parser.parse_args(argv or [])
    os.environ["TRADELEDGER_VAR_DIR"] = tempfile.mkdtemp(prefix="tradeledger-bench-iot-")
    os.environ.setdefault("TRADELEDGER_KEYSTORE_SCRYPT_N", "1024")

    from rich.console import Console
    from rich.table import Table
    from sqlmodel import Session, col, func, select

    from api.carbon.models import ReadingBatchRow, ReadingRow
    from api.db import make_engine, migrate
    from api.projections import all_projections
    from api.settings import get_settings
    from chain.carbon_contracts import DeviceKind
    from chain.client import org_key_name
    from chain.compiler import compile_project
    from chain.config import network_settings
    from chain.ids import org_id
    from chain.indexer import Indexer
    from chain.node import EmbeddedNode
    from iot.identity import device_id, device_key
    from iot.readings import Domain, Reading, sign_reading, to_payload
    from iot.simulator import BrokerOptions, connect
    from iot.topics import readings_topic
    from oracles.iot.worker import IotOracle, OracleConfig
    from tradeledger.demo import seed_demo
    from tradeledger.runtime import connect_chain, deploy_if_needed

    console = Console()
    with console.status("baselines: broker and signatures"):
        broker_rate = _broker_rate(args.broker, args.readings)
        slow_sigs, fast_sigs = _signature_rates(min(args.readings, 1_000))
    compile_project()
    with EmbeddedNode() as node:
        with console.status("deploying, seeding, provisioning 10 devices"):
            chain = connect_chain(get_settings(), node.url, network_settings("embedded"), load=False)
            deploy_if_needed(chain, lambda _: None)
            engine = make_engine(f"sqlite:///{Path(os.environ['TRADELEDGER_VAR_DIR']) / 'bench.db'}")
            migrate(engine)
            indexer = Indexer(chain, engine, all_projections())
            indexer.sync()
            with Session(engine) as session:
                seed_demo(session, chain, indexer)
            owner = org_id("acme-motors")
            owner_key = org_key_name(owner)
            devices = []
            for n in range(10):
                device = device_id(owner, f"BENCH-{n}")
                chain.devices(owner_key).register_device(
                    device,
                    DeviceKind.ELECTRICITY_METER,
                    b"\x02" * 32,
                    device_key(chain.keystore, device).address,
                )
                devices.append(device)
            domain = Domain(chain.chain_id, chain.require_manifest().address("DeviceRegistry"))
            now = int(time.time())
            payloads = []
            for i in range(args.readings):
                device = devices[i % 10]
                reading = Reading(device, i // 10 + 1, now, "electricity_kwh", 1_000 + i, "kWh", b"\x02" * 32)
                signature = sign_reading(device_key(chain.keystore, device), domain, reading)
                payloads.append((readings_topic(owner, device), to_payload(reading, signature)))
        oracle_key = org_key_name(org_id("tradeledger-iot"))
        tag = str(os.getpid())
        config = OracleConfig(
            broker_url=args.broker,
            group=f"bench-{tag}",
            client_id=f"bench-{tag}",
            batch_size=500,
            batch_age=0.5,
        )
        oracle = IotOracle(config, engine, chain, oracle_key)
        stop = threading.Event()
        worker = threading.Thread(target=oracle.run, args=(stop,))
        worker.start()
        oracle.connected.wait(10)
        with console.status(f"pipeline: {args.readings} readings publish -> anchored proof"):
            publisher = connect(BrokerOptions(args.broker))
            start = time.perf_counter()
            for info in [publisher.publish(topic, payload, qos=1) for topic, payload in payloads]:
                info.wait_for_publish(30)

            def progress() -> tuple[int, int]:
                """Readings persisted (and so acknowledged), and readings anchored."""
                with Session(engine) as session:
                    rows = select(func.count()).select_from(ReadingRow)
                    persisted = session.exec(rows).one()
                    anchored = session.exec(
                        rows.join(ReadingBatchRow, col(ReadingRow.batch_root) == ReadingBatchRow.root).where(
                            ReadingBatchRow.status == "anchored"
                        )
                    ).one()
                return persisted, anchored

            ingest_time: float | None = None
            seen, changed = (0, 0), start
            while (tick := time.perf_counter()) - start < 300:
                current = progress()
                if current != seen:
                    seen, changed = current, tick
                if ingest_time is None and current[0] >= args.readings:
                    ingest_time = tick - start
                if current[1] >= args.readings or tick - changed > 10:  # done, or lost on the way
                    break
                time.sleep(0.05)
            persisted, anchored = seen
            elapsed = max(changed - start, 1e-6)  # until the last progress: a stall's wait is not counted
            ingest = persisted / (ingest_time or elapsed)
            pipeline = anchored / elapsed
            publisher.loop_stop()
            publisher.disconnect()
        stop.set()
        worker.join(30)
        with Session(engine) as session:
            batches = list(session.exec(select(ReadingBatchRow)))
        gas_batched = sum(
            chain.w3.eth.get_transaction_receipt(b.tx_hash)["gasUsed"] for b in batches if b.tx_hash
        )
        single = chain.carbon(oracle_key).anchor_readings(b"\x33" * 32, 1, now, now).gas_used

    per_reading = gas_batched / max(1, sum(b.count for b in batches))
    table = Table("measure", "value", "ratio", title=f"IoT ingestion, {args.readings} readings")
    table.add_row("raw broker rate, QoS 1 (baseline)", f"{broker_rate:,.0f} msg/s", "1.00")
    table.add_row("signature checks, eth-account generic (baseline)", f"{slow_sigs:,.0f} /s", "1.00")
    table.add_row(
        "signature checks, oracle fast path", f"{fast_sigs:,.0f} /s", f"{fast_sigs / slow_sigs:.1f}× generic"
    )
    table.add_row(
        "ingest: publish -> verified, persisted (then acknowledged)",
        f"{ingest:,.0f} readings/s",
        f"{ingest / broker_rate:.2f} of broker, {ingest / fast_sigs:.2f} of fast checks",
    )
    table.add_row(
        "pipeline: publish -> verified, persisted, anchored",
        f"{pipeline:,.0f} readings/s",
        f"{pipeline / broker_rate:.2f} of broker, {pipeline / fast_sigs:.2f} of fast checks",
    )
    table.add_row(
        "gas per reading, batched", f"{per_reading:,.0f}", f"{per_reading / single:.4f} of one tx each"
    )
    table.add_row("gas, one transaction per reading (baseline)", f"{single:,}", "1.00")
    console.print(table)
    if persisted < args.readings:
        console.print(
            f"[red]{args.readings - persisted} of {args.readings} readings never reached the oracle[/red]: "
            "the broker dropped them (Mosquitto's max_queued_messages, 1000 by default)"
        )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
