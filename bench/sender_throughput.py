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

from web3 import HTTPProvider, Web3

from bench import baselines
from bench.baselines import SINK
from bench.core import Context, Figure, Result, Target, rate, scaled

NAME = "sender_throughput"
TITLE = "chain.sender.Sender against pre-signed raw transactions, one key"
WINDOW = 64


def workload(scale: float) -> dict[str, object]:
    return {"transfers": scaled(1_000, scale, 20), "in-flight window": WINDOW, "keys": 1}


def run(ctx: Context, scale: float) -> Result:
    from chain.keys import KeyStore
    from chain.node import fund_if_embedded
    from chain.reverts import ErrorDecoder
    from chain.sender import Sender

    count = int(workload(scale)["transfers"])  # type: ignore[call-overload]
    result = Result(NAME, TITLE, workload(scale))
    w3 = Web3(HTTPProvider(ctx.node_url, cache_allowed_requests=True))
    with ctx.status(f"baseline: {count} pre-signed raw transactions"):
        raw = baselines.windowed(ctx.node_url, count, WINDOW)
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
