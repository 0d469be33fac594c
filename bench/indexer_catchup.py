"""Indexer catch-up: a new, empty database indexed from block 0 to the head of the run's chain, in events
per second, against raw ``eth_getLogs`` over the same range and contracts (fetching the logs, no
decoding, no projections).

The chain holds every event the other benchmarks left. When that is fewer than ``events at least`` (the
benchmark run alone, or at a small scale) purchase-order rounds are added first, untimed: a PO anchored
and registered by the buyer, a bill of lading anchored and recorded by the carrier, a goods receipt
anchored and recorded by the buyer. That is six events a round, each naming object ids (work for the
mentions projection), three of them inserting or updating the orders projection's rows."""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.core import Context, Figure, Result, Target, rate, scaled

if TYPE_CHECKING:
    from chain.client import Chain

NAME = "indexer_catchup"
TITLE = "indexer catch-up from an empty database against raw eth_getLogs"
EVENTS_PER_ROUND = 6
CHUNK = 25  # orders whose steps are pipelined together
GAS = 600_000  # given, so a step's transactions are not each estimated before sending


def workload(scale: float) -> dict[str, object]:
    return {
        "range": "block 0 to the head after the other benchmarks",
        "events at least": scaled(3_000, scale, 1_000),
        "top-up": f"purchase-order rounds of {EVENTS_PER_ROUND} events when the chain has fewer",
        "database": "new SQLite file",
    }


def run(ctx: Context, scale: float) -> Result:
    from sqlmodel import Session, func, select

    from api.db import make_engine, migrate
    from api.projections import all_projections
    from chain.index_models import ChainEventRow
    from chain.indexer import Indexer

    chain = ctx.stack.chain
    addresses: list[Any] = [r.address for r in chain.require_manifest().contracts.values()]
    wanted = int(workload(scale)["events at least"])  # type: ignore[call-overload]
    missing = wanted - _logs(chain, chain.w3.eth.block_number, addresses)
    rounds = max(0, math.ceil(missing / EVENTS_PER_ROUND))
    if rounds:
        with ctx.status(f"top-up: {rounds} purchase-order rounds ({rounds * EVENTS_PER_ROUND} events)"):
            _order_rounds(chain, rounds)
    head = chain.w3.eth.block_number
    with ctx.status(f"baseline: eth_getLogs over blocks 0..{head}"):
        start = time.perf_counter()
        logs = _logs(chain, head, addresses)
        raw = rate(logs, time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'catchup.db'}")
        migrate(engine)
        indexer = Indexer(chain, engine, all_projections())
        with ctx.status(f"indexing blocks 0..{head} into an empty database"):
            start = time.perf_counter()
            indexer.sync(to_block=head)
            elapsed = time.perf_counter() - start
        with Session(engine) as session:
            events = session.exec(select(func.count()).select_from(ChainEventRow)).one()
        engine.dispose()
    load = {**workload(scale), "top-up rounds": rounds, "blocks": head + 1, "events": events, "logs": logs}
    result = Result(NAME, TITLE, load)
    result.add(
        Figure(
            "events indexed and projected",
            rate(events, elapsed),
            "events/s",
            raw,
            "raw eth_getLogs",
            Target(">=", 5_000, text=">= 5,000 events/s"),
        )
    )
    return result


def _logs(chain: Chain, head: int, addresses: list[Any]) -> int:
    """How many logs the contracts emitted in blocks 0..``head``, fetched in the indexer's range size."""
    logs = 0
    for offset in range(0, head + 1, 2_000):
        query = {"fromBlock": offset, "toBlock": min(head, offset + 1_999), "address": addresses}
        logs += len(chain.w3.eth.get_logs(query))  # type: ignore[arg-type]
    return logs


def _order_rounds(chain: Chain, rounds: int) -> None:
    """``rounds`` purchase orders, each with its PO, bill of lading and goods receipt anchored and
    recorded, ``CHUNK`` orders at a time (so an order's events lie a few dozen blocks apart, as in a
    real trade, not a whole catch-up range); each step's transactions pipelined by one ``send_many``."""
    from chain.client import org_key_name
    from chain.currencies import currency_bytes
    from chain.ids import number_hash, org_id
    from chain.trade_contracts import DocumentType

    buyer, carrier = org_key_name(org_id("acme-motors")), org_key_name(org_id("fastfreight"))
    supplier, usd = org_id("shenzhen-precision"), currency_bytes("USD")
    tag = f"IC-{time.time_ns()}"

    def anchor(key: str, kind: DocumentType, numbers: list[str]) -> list[bytes]:
        documents = chain.documents(key)
        assert documents.sender is not None
        txs = [
            {**documents.tx("anchor", int(kind), number_hash(n), number_hash(f"{n}/body"), []), "gas": GAS}
            for n in numbers
        ]
        receipts = documents.sender.send_many(txs)
        return [bytes.fromhex(documents.event(r, "DocumentAnchored").args["id"][2:]) for r in receipts]

    def send(key: str, fn: str, calls: list[tuple[Any, ...]]) -> list[Any]:
        orders = chain.orders(key)
        assert orders.sender is not None
        return [
            orders.events(r)
            for r in orders.sender.send_many({**orders.tx(fn, *c), "gas": GAS} for c in calls)
        ]

    for first in range(0, rounds, CHUNK):
        chunk = range(first, min(rounds, first + CHUNK))
        pos = anchor(buyer, DocumentType.PURCHASE_ORDER, [f"PO-{tag}-{i}" for i in chunk])
        calls = [
            (number_hash(f"PO-{tag}-{i}"), supplier, usd, 100_000, po)
            for i, po in zip(chunk, pos, strict=True)
        ]
        ids = [bytes.fromhex(events[0].args["id"][2:]) for events in send(buyer, "registerOrder", calls)]
        shipments = anchor(carrier, DocumentType.SHIPMENT, [f"BL-{tag}-{i}" for i in chunk])
        send(carrier, "recordShipment", list(zip(ids, shipments, strict=True)))
        receipts = anchor(buyer, DocumentType.GOODS_RECEIPT, [f"GR-{tag}-{i}" for i in chunk])
        send(buyer, "recordReceipt", list(zip(ids, receipts, strict=True)))
