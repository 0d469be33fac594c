"""Sender throughput against the raw node.

Baseline: the same number of value transfers, signed beforehand, pushed with
``eth_sendRawTransaction`` in windows of the same size and waited for — what
the node itself can take from one key. Measured: ``Sender.send_many``, which
also assigns nonces, signs and decodes receipts. The ratio shows the sender's
overhead; it should stay above 0.5.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from eth_account import Account
from web3 import HTTPProvider, Web3

from bench.core import Context, Figure, Result, Target, rate, scaled

NAME = "sender_throughput"
TITLE = "chain.sender.Sender against pre-signed raw transactions, one key"
SINK = "0x000000000000000000000000000000000000dEaD"
WINDOW = 64


def workload(scale: float) -> dict[str, object]:
    return {"transfers": scaled(2_000, scale, 20), "in-flight window": WINDOW, "keys": 1}


def raw_rate(w3: Web3, url: str, count: int, window: int = WINDOW) -> float:
    """Pre-signed value transfers from a fresh funded account, sent in windows and waited for."""
    from chain.node import fund_if_embedded

    account = Account.create()
    fund_if_embedded(url, account.address)
    chain_id, gas_price = w3.eth.chain_id, w3.eth.gas_price
    signed = [
        account.sign_transaction(
            {"to": SINK, "value": 1, "gas": 21_000, "gasPrice": gas_price, "nonce": n, "chainId": chain_id}
        ).raw_transaction
        for n in range(count)
    ]
    start = time.perf_counter()
    for offset in range(0, count, window):
        hashes = [w3.eth.send_raw_transaction(raw) for raw in signed[offset : offset + window]]
        for tx_hash in hashes:
            w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)
    return rate(count, time.perf_counter() - start)


def run(ctx: Context, scale: float) -> Result:
    from chain.keys import KeyStore
    from chain.node import fund_if_embedded
    from chain.reverts import ErrorDecoder
    from chain.sender import Sender

    count = int(workload(scale)["transfers"])  # type: ignore[call-overload]
    result = Result(NAME, TITLE, workload(scale))
    w3 = Web3(HTTPProvider(ctx.node_url, cache_allowed_requests=True))
    with ctx.status(f"baseline: {count} pre-signed raw transactions"):
        raw = raw_rate(w3, ctx.node_url, count)
    with ctx.status(f"sender: {count} transactions"), tempfile.TemporaryDirectory() as tmp:
        account = KeyStore(Path(tmp), "bench", scrypt_n=1024).get_or_create("bench")
        fund_if_embedded(ctx.node_url, account.address)
        sender = Sender(w3, account, ErrorDecoder([]), window=WINDOW)
        start = time.perf_counter()
        receipts = sender.send_many({"to": SINK, "value": 1, "gas": 21_000} for _ in range(count))
        measured = rate(count, time.perf_counter() - start)
    assert len(receipts) == count, "the sender lost transactions"
    result.add(
        Figure(
            "Sender.send_many",
            measured,
            "tx/s",
            raw,
            "raw node",
            Target(">=", 0.5, "ratio", ">= 50% of the raw rate"),
        )
    )
    return result
