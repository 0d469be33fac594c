"""The stack's parts as separate processes, for a deployment that runs (and restarts) each on its own.

``tradeledger up`` runs everything in one process on the embedded default. On a real network each
part runs alone, against the same chain and database: ``tradeledger api`` (the API and web UI,
signing with the custodial keys, indexing up to each of its writes), ``tradeledger indexer``
(follows the chain), ``tradeledger oracle`` (IoT) and ``python -m oracles.customs`` (one customs
operator). Every one of them can be killed at any moment and started again with the same command:
what they sign is journaled in the outbox first, and what they index is stored per block range in
one database transaction.
"""

from __future__ import annotations

import signal
import threading

import uvicorn
from rich.console import Console

from api.app import create_app
from tradeledger.runtime import Stack, open_stack


def watch_outbox(stack: Stack, stop: threading.Event) -> threading.Thread:
    """Send again what the node loses (a node restarted from an older state), until ``stop``."""
    worker = threading.Thread(target=stack.chain.watch_outbox, args=(stop,), name="outbox", daemon=True)
    worker.start()
    return worker


def serve_api(console: Console, *, host: str | None = None, port: int | None = None) -> None:
    """The API and web UI alone, connected to the chain; runs until SIGTERM or Ctrl-C."""
    stack = open_stack()
    stop = threading.Event()
    watch_outbox(stack, stop)
    app = create_app(stack.settings, engine=stack.engine)
    app.state.chain, app.state.indexer = stack.chain, stack.indexer
    host, port = host or stack.settings.api_host, port or stack.settings.api_port
    console.print(f"API at http://{host}:{port}/api/v1 on chain {stack.chain.chain_id}; Ctrl-C stops it")
    try:
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()
    finally:
        stop.set()


def follow_chain(console: Console, *, interval: float = 1.0) -> None:
    """Index the chain as it grows; runs until SIGTERM or Ctrl-C."""
    stack = open_stack()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with console.status("catching up with the chain") as spinner:
        last = stack.indexer.sync(progress=lambda done, top: spinner.update(f"indexing block {done}/{top}"))
    console.print(f"indexed to block {last}; following the chain (Ctrl-C stops)")
    try:
        stack.indexer.run(stop, interval)
    except KeyboardInterrupt:
        stop.set()
