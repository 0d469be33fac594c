"""Indexer catch-up: a new, empty database indexed from block 0 to the head of the run's chain (every
event the other benchmarks left), in events per second, against raw ``eth_getLogs`` over the same
range and contracts (fetching the logs, no decoding, no projections)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core import Context, Figure, Result, Target, rate

NAME = "indexer_catchup"
TITLE = "indexer catch-up from an empty database against raw eth_getLogs"


def workload(scale: float) -> dict[str, object]:
    return {"range": "block 0 to the head after the other benchmarks", "database": "new SQLite file"}


def run(ctx: Context, scale: float) -> Result:
    from sqlmodel import Session, func, select

    from api.db import make_engine, migrate
    from api.projections import all_projections
    from chain.index_models import ChainEventRow
    from chain.indexer import Indexer

    chain = ctx.stack.chain
    head = chain.w3.eth.block_number
    addresses: list[Any] = [r.address for r in chain.require_manifest().contracts.values()]
    with ctx.status(f"baseline: eth_getLogs over blocks 0..{head}"):
        start, logs = time.perf_counter(), 0
        for offset in range(0, head + 1, 2_000):
            logs += len(
                chain.w3.eth.get_logs(
                    {"fromBlock": offset, "toBlock": min(head, offset + 1_999), "address": addresses}
                )
            )
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
    result = Result(NAME, TITLE, {**workload(scale), "blocks": head + 1, "events": events, "logs": logs})
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
