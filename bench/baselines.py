"""The raw node baselines: signed value transfers sent straight to the node with ``eth_sendRawTransaction``
and waited for — what the node itself takes, with nothing of the platform in between."""

from __future__ import annotations

import threading
import time

from eth_account import Account
from web3 import HTTPProvider, Web3

from bench.core import rate

SINK = "0x000000000000000000000000000000000000dEaD"


def signed_transfers(url: str, count: int) -> tuple[Web3, list[bytes]]:
    """``count`` transfers from a fresh funded account, signed beforehand (nonces 0..count-1)."""
    from chain.node import fund_if_embedded

    w3 = Web3(HTTPProvider(url, cache_allowed_requests=True))
    account = Account.create()
    fund_if_embedded(url, account.address)
    chain_id, gas_price = w3.eth.chain_id, w3.eth.gas_price
    signed = [
        account.sign_transaction(
            {"to": SINK, "value": 1, "gas": 21_000, "gasPrice": gas_price, "nonce": n, "chainId": chain_id}
        ).raw_transaction
        for n in range(count)
    ]
    return w3, signed


def windowed(url: str, count: int, window: int) -> float:
    """Transfers per second, pushed ``window`` at a time, each window waited for."""
    w3, signed = signed_transfers(url, count)
    start = time.perf_counter()
    for offset in range(0, count, window):
        hashes = [w3.eth.send_raw_transaction(raw) for raw in signed[offset : offset + window]]
        for tx_hash in hashes:
            w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)
    return rate(count, time.perf_counter() - start)


def concurrent(url: str, threads: int, per_thread: int) -> tuple[float, list[float]]:
    """``threads`` accounts each sending its transfers one at a time: (transfers/s, latencies in s).
    With one thread it is the node's round trip."""
    accounts = [signed_transfers(url, per_thread) for _ in range(threads)]
    latencies: list[float] = []

    def send(w3: Web3, signed: list[bytes]) -> None:
        for raw in signed:
            t0 = time.perf_counter()
            w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw), poll_latency=0.005)
            latencies.append(time.perf_counter() - t0)

    workers = [threading.Thread(target=send, args=account) for account in accounts]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return rate(threads * per_thread, time.perf_counter() - start), latencies


def round_trips(url: str, count: int) -> float:
    """Transfers per second sent one at a time and waited for: the node's own round trip."""
    return concurrent(url, 1, count)[0]
