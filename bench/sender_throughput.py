"""Sender throughput against the raw node.

Baseline: the same number of value transfers, signed beforehand, pushed with
``eth_sendRawTransaction`` in windows of the same size and waited for — what
the node itself can take from one key. Measured: ``Sender.send_many``, which
also assigns nonces, signs and decodes receipts. The ratio shows the sender's
overhead; it should stay well above 0.5.

    python -m bench.sender_throughput [--count 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from eth_account import Account
from rich.console import Console
from rich.table import Table
from web3 import HTTPProvider, Web3

from chain.keys import KeyStore
from chain.node import EmbeddedNode
from chain.reverts import ErrorDecoder
from chain.sender import Sender

SINK = "0x000000000000000000000000000000000000dEaD"
WINDOW = 64


def _raw_baseline(w3: Web3, node: EmbeddedNode, count: int) -> float:
    account = Account.create()
    node.fund(account.address)
    chain_id, gas_price = w3.eth.chain_id, w3.eth.gas_price
    signed = [
        account.sign_transaction(
            {"to": SINK, "value": 1, "gas": 21_000, "gasPrice": gas_price, "nonce": n, "chainId": chain_id}
        ).raw_transaction
        for n in range(count)
    ]
    start = time.perf_counter()
    for offset in range(0, count, WINDOW):
        hashes = [w3.eth.send_raw_transaction(raw) for raw in signed[offset : offset + WINDOW]]
        for tx_hash in hashes:
            w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)
    return count / (time.perf_counter() - start)


def _sender(w3: Web3, node: EmbeddedNode, count: int, keys_dir: Path) -> float:
    account = KeyStore(keys_dir, "bench", scrypt_n=1024).get_or_create("bench")
    node.fund(account.address)
    sender = Sender(w3, account, ErrorDecoder([]), window=WINDOW)
    start = time.perf_counter()
    receipts = sender.send_many({"to": SINK, "value": 1, "gas": 21_000} for _ in range(count))
    elapsed = time.perf_counter() - start
    assert len(receipts) == count, "the sender lost transactions"
    return count / elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=2_000)
    args = parser.parse_args(argv or [])
    console = Console()
    with EmbeddedNode() as node, tempfile.TemporaryDirectory() as tmp:
        w3 = Web3(HTTPProvider(node.url, cache_allowed_requests=True))
        with console.status(f"baseline: {args.count} pre-signed raw transactions"):
            raw = _raw_baseline(w3, node, args.count)
        with console.status(f"sender: {args.count} transactions"):
            measured = _sender(w3, node, args.count, Path(tmp))
    table = Table(
        "benchmark", "tx/s", "vs raw node", title=f"sender throughput, one key, {args.count} transfers"
    )
    table.add_row("raw node (baseline)", f"{raw:,.0f}", "1.00")
    table.add_row("chain.sender.Sender", f"{measured:,.0f}", f"{measured / raw:.2f}")
    console.print(table)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
