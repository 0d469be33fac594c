"""``tradeledger up``: runs the whole stack in one process until Ctrl-C.

Embedded default: anvil (state persisted under var/chain), contracts deployed
once, the demo consortium, the indexer following the chain, and the API with
its OpenAPI docs. A second run resumes the same chain and database.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
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
from api.settings import get_settings
from chain.client import Chain, org_key_name
from chain.compiler import compile_project
from chain.config import network_settings
from chain.ids import org_id
from chain.indexer import Indexer
from oracles.iot.worker import IotOracle, OracleConfig
from tradeledger.demo import IOT_HANDLE, credentials_file, seed_demo
from tradeledger.runtime import connect_chain, deploy_if_needed, embedded_node


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
        indexer = Indexer(chain, engine, all_projections())
        with console.status("indexing the chain") as spinner:
            indexer.sync(progress=lambda done, total: spinner.update(f"indexing block {done}/{total}"))
        credentials = {}
        if settings.environment != "production":
            with console.status("seeding the demo consortium"), Session(engine) as session:
                credentials = seed_demo(session, chain, indexer)

        stop = threading.Event()
        follower = threading.Thread(target=indexer.run, args=(stop,), name="indexer", daemon=True)
        follower.start()
        resources.callback(follower.join, 5)
        resources.callback(stop.set)
        iot_status = _start_iot_oracle(chain, engine, stop, resources)

        app = create_app(settings, engine=engine)
        app.state.chain = chain
        app.state.indexer = indexer

        base = f"http://{settings.api_host}:{port}"
        table = Table(title="tradeledger is running", show_header=False)
        table.add_row("API", f"{base}/api/v1")
        table.add_row("OpenAPI docs", f"{base}/docs")
        table.add_row("health / metrics", f"{base}/healthz  {base}/metrics")
        table.add_row("chain", f"{url} (chain {chain.chain_id}, {network.name})")
        table.add_row("database", engine.url.render_as_string(hide_password=True))
        table.add_row("IoT ingestion", iot_status)
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


def _start_iot_oracle(chain: Chain, engine: Engine, stop: threading.Event, resources: ExitStack) -> str:
    """Run the IoT oracle beside the API when an MQTT broker answers; say what happened either way."""
    broker = os.environ.get("TRADELEDGER_MQTT_URL", "mqtt://127.0.0.1:1883")
    target = urlparse(broker)
    try:
        socket.create_connection((target.hostname or "127.0.0.1", target.port or 1883), timeout=1).close()
    except OSError:
        return f"off: no MQTT broker at {broker} (set TRADELEDGER_MQTT_URL, then `tradeledger oracle`)"
    key = os.environ.get("TRADELEDGER_IOT_ORACLE_KEY") or org_key_name(org_id(IOT_HANDLE))
    if not chain.keystore.exists(key):
        return f"off: no IoT oracle key {key!r} here (set TRADELEDGER_IOT_ORACLE_KEY)"
    config = OracleConfig(
        broker_url=broker,
        client_id=os.environ.get("TRADELEDGER_IOT_CLIENT_ID", "tradeledger-up-oracle"),
        group=os.environ.get("TRADELEDGER_IOT_GROUP", "tradeledger-iot-oracles"),
    )
    oracle = IotOracle(config, engine, chain, key)
    worker = threading.Thread(target=oracle.run, args=(stop,), name="iot-oracle", daemon=True)
    worker.start()
    resources.callback(worker.join, 10)
    return f"oracle consuming {broker} (try `tradeledger simulate` in another terminal)"
