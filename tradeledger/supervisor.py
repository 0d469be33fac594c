"""``tradeledger up``: runs the whole stack in one process until Ctrl-C.

Embedded default: anvil (state persisted under var/chain), contracts deployed
once, the demo consortium, the indexer following the chain, an MQTT broker
(amqtt), the IoT oracle, a slow demo device simulator, the embedded customs
authority and three customs oracle operators, and the API with its OpenAPI
docs and the web UI. A second run resumes the same chain and database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from contextlib import ExitStack
from urllib.parse import urlparse

import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session

from api.app import create_app
from api.db import make_engine, migrate
from api.projections import all_projections
from api.settings import Settings, get_settings, secret_key
from chain.client import Chain, org_key_name
from chain.compiler import compile_project
from chain.config import network_settings, var_dir
from chain.ids import org_id, to_hex32
from chain.indexer import Indexer
from chain.node import port_or_free
from chain.outbox import Outbox
from iot.broker import MQTT_5, MQTT_311, EmbeddedBroker
from iot.readings import Domain
from iot.simulator import BrokerOptions, SequenceBook, run_fleet
from oracles.customs.authority import CustomsAuthority, serve_authority
from oracles.customs.feeds import HttpFeed
from oracles.customs.operator import CustomsOperator, OperatorConfig
from oracles.iot.worker import IotOracle, OracleConfig
from tradeledger.customs_demo import run_demo_broker
from tradeledger.demo import CUSTOMS_HANDLES, IOT_HANDLE, credentials_file, seed_demo
from tradeledger.fleet import demo_fleet
from tradeledger.runtime import Stack, connect_chain, deploy_if_needed, embedded_node


def run_stack(console: Console, *, api_port: int | None = None) -> None:
    settings = get_settings()
    network = network_settings()
    port = api_port or settings.api_port
    with ExitStack() as resources:
        with console.status("compiling contracts"):
            compile_project()
        if network.kind == "embedded":
            with console.status("starting the embedded chain (anvil)"):
                node = resources.enter_context(embedded_node(network))
            url = node.url
        else:
            assert network.host is not None
            url = network.host
        chain = connect_chain(settings, url, network, load=False)
        with console.status("deploying contracts") as spinner:
            deploy_if_needed(chain, lambda msg: spinner.update(msg))
        engine = make_engine(settings.database_url)
        migrate(engine)
        chain.journal(Outbox.beside(engine))
        indexer = Indexer(chain, engine, all_projections())
        with console.status("indexing the chain") as spinner:
            indexer.sync(progress=lambda done, total: spinner.update(f"indexing block {done}/{total}"))
        credentials = {}
        if settings.environment != "production":
            with console.status("seeding the demo consortium"), Session(engine) as session:
                credentials = seed_demo(session, chain, indexer)

        stop = threading.Event()
        _background(resources, stop, "outbox", chain.watch_outbox)
        follower = threading.Thread(target=indexer.run, args=(stop,), name="indexer", daemon=True)
        follower.start()
        resources.callback(follower.join, 5)
        resources.callback(stop.set)
        broker, protocol, broker_status = _broker(resources)
        iot_status = _start_iot_oracle(chain, engine, stop, resources, broker, protocol)
        if settings.environment != "production" and iot_status.startswith("oracle"):
            stack = Stack(settings, network, chain, engine, indexer)
            iot_status += "; " + _start_simulator(
                stack, stop, resources, BrokerOptions(broker, protocol=protocol)
            )

        customs_status = _start_customs(chain, engine, stop, resources, settings)

        app = create_app(settings, engine=engine)
        app.state.chain = chain
        app.state.indexer = indexer

        base = f"http://{settings.api_host}:{port}"
        table = Table(title="tradeledger is running", show_header=False)
        table.add_row("web UI", f"{base}/ (sign in with an API key)")
        table.add_row("API", f"{base}/api/v1")
        table.add_row("OpenAPI docs", f"{base}/docs")
        table.add_row("health / metrics", f"{base}/healthz  {base}/metrics")
        table.add_row("chain", f"{url} (chain {chain.chain_id}, {network.name})")
        table.add_row("database", engine.url.render_as_string(hide_password=True))
        table.add_row("MQTT broker", broker_status)
        table.add_row("IoT ingestion", iot_status)
        table.add_row("customs", customs_status)
        console.print(table)
        if credentials:
            console.print(f"[bold]demo API keys[/] (also in {credentials_file()}):")
            for entry in credentials.values():
                console.print(f"  {entry['name']} ({entry['role']}): {entry['api_key']}", soft_wrap=True)
            example = next(iter(credentials.values()))["api_key"]
            console.print(f'try: curl -H "Authorization: Bearer {example}" {base}/api/v1/me', soft_wrap=True)
        console.print("Press Ctrl-C to stop; the chain state is kept for the next run.")
        server = uvicorn.Server(uvicorn.Config(app, host=settings.api_host, port=port, log_level="warning"))
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled
            server.run()
        console.print("stopping…")
    console.print("stopped; state saved.")


def _broker(resources: ExitStack) -> tuple[str, int, str]:
    """The real broker at ``TRADELEDGER_MQTT_URL`` (MQTT 5), or else the embedded one (MQTT 3.1.1)."""
    real = os.environ.get("TRADELEDGER_MQTT_URL")
    if real:
        return real, MQTT_5, f"{real} (TRADELEDGER_MQTT_URL)"
    port = int(os.environ.get("TRADELEDGER_EMBEDDED_MQTT_PORT", "1884"))
    broker = EmbeddedBroker(port=port_or_free(port))
    url = broker.start()
    resources.callback(broker.stop)
    return url, MQTT_311, f"{url} (embedded amqtt, MQTT 3.1.1; set TRADELEDGER_MQTT_URL for a real broker)"


def _start_iot_oracle(
    chain: Chain, engine: Engine, stop: threading.Event, resources: ExitStack, broker: str, protocol: int
) -> str:
    """Run the IoT oracle beside the API when the MQTT broker answers; say what happened either way."""
    target = urlparse(broker)
    try:
        socket.create_connection((target.hostname or "127.0.0.1", target.port or 1883), timeout=1).close()
    except OSError:
        return f"off: no MQTT broker at {broker} (check TRADELEDGER_MQTT_URL, then `tradeledger oracle`)"
    key = os.environ.get("TRADELEDGER_IOT_ORACLE_KEY") or org_key_name(org_id(IOT_HANDLE))
    if not chain.keystore.exists(key):
        return f"off: no IoT oracle key {key!r} here (set TRADELEDGER_IOT_ORACLE_KEY)"
    config = OracleConfig(
        broker_url=broker,
        client_id=os.environ.get("TRADELEDGER_IOT_CLIENT_ID", "tradeledger-up-oracle"),
        group=os.environ.get("TRADELEDGER_IOT_GROUP", "tradeledger-iot-oracles"),
        protocol=protocol,
    )
    _background(resources, stop, "iot-oracle", IotOracle(config, engine, chain, key).run)
    return f"oracle consuming {broker}"


def _start_customs(
    chain: Chain, engine: Engine, stop: threading.Event, resources: ExitStack, settings: Settings
) -> str:
    """The customs feed (``TRADELEDGER_CUSTOMS_FEED_URL``, else the embedded customs authority) and the
    demo's customs oracle operators reading it, each with its own key."""
    url = os.environ.get("TRADELEDGER_CUSTOMS_FEED_URL")
    where = f"{url} (TRADELEDGER_CUSTOMS_FEED_URL)"
    if not url:
        port = port_or_free(int(os.environ.get("TRADELEDGER_CUSTOMS_AUTHORITY_PORT", "8710")))
        authority = CustomsAuthority(var_dir() / "customs-authority" / "events.jsonl")
        url = resources.enter_context(serve_authority(authority, port))
        where = f"{url} (embedded customs authority)"
        if settings.environment != "production":  # declarations for the demo shipments
            _background(resources, stop, "customs-demo", lambda st: run_demo_broker(engine, authority, st))
            where += ", filing a declaration for every shipment"
    operators = [h for h in CUSTOMS_HANDLES if chain.keystore.exists(org_key_name(org_id(h)))]
    if not operators:
        return f"feed {where}; no customs oracle keys here (run them with `python -m oracles.customs`)"
    salt_key = secret_key(settings, "customs_salt_key")
    for handle in operators:
        config = OperatorConfig(
            org=to_hex32(org_id(handle)), key=org_key_name(org_id(handle)), salt_key=salt_key
        )
        operator = CustomsOperator(config, HttpFeed(url), engine, chain)
        _background(resources, stop, f"customs-{handle}", operator.run)
    threshold = chain.customs().threshold()
    return f"feed {where}; {len(operators)} oracle operators attesting, final at {threshold} of them"


def _start_simulator(
    stack: Stack, stop: threading.Event, resources: ExitStack, options: BrokerOptions
) -> str:
    """The demo fleet publishing slowly (``TRADELEDGER_SIMULATOR_RATE`` readings/s; 0 turns it off)."""
    rate = float(os.environ.get("TRADELEDGER_SIMULATOR_RATE", "0.5"))
    if rate <= 0:
        return "simulator off (TRADELEDGER_SIMULATOR_RATE=0)"
    fleet = demo_fleet(stack, 5)
    domain = Domain(stack.chain.chain_id, stack.chain.require_manifest().address("DeviceRegistry"))
    sequences = SequenceBook(var_dir() / "simulator" / "sequences.json")

    def publish(stop: threading.Event) -> None:
        try:
            run_fleet(fleet, domain, options, sequences, rate=rate, stop=stop)
        except Exception:  # the demo simulator must never take the stack down
            logging.getLogger(__name__).exception("the demo simulator stopped")

    _background(resources, stop, "simulator", publish)
    return f"demo simulator publishing {rate:g} readings/s from {len(fleet)} devices"


def _background(
    resources: ExitStack, stop: threading.Event, name: str, run: Callable[[threading.Event], None]
) -> None:
    """Run ``run(stop)`` in a daemon thread until the stack closes: stop is set first, then it is joined."""
    worker = threading.Thread(target=run, args=(stop,), name=name, daemon=True)
    worker.start()
    resources.callback(worker.join, 10)
    resources.callback(stop.set)
