"""Batches accepted readings into an OpenZeppelin StandardMerkleTree and anchors the root on chain.

A batch is made durable (its rows get their root and proofs, the batch row is ``pending``) before
the anchoring transaction is sent; after a crash, pending batches are anchored first, and a root
the chain already has counts as anchored. So every persisted reading is anchored exactly once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from api.carbon.models import ReadingBatchRow, ReadingRow, leaf_value
from chain.carbon_contracts import READING_LEAF_TYPES, CarbonLedgerContract
from chain.errors import ChainRevert
from chain.merkle import StandardMerkleTree

log = logging.getLogger(__name__)


class Batcher:
    def __init__(
        self,
        engine: Engine,
        ledger: CarbonLedgerContract,
        *,
        max_size: int = 256,
        max_age: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.max_size = max_size
        self.max_age = max_age
        self.clock = clock

    def step(self, *, force: bool = False) -> list[str]:
        """Anchor pending batches, then at most one new batch when it is full or old enough; returns roots."""
        anchored = self.recover()
        with Session(self.engine) as session:
            rows = list(
                session.exec(
                    select(ReadingRow)
                    .where(col(ReadingRow.batch_root).is_(None))
                    .order_by(col(ReadingRow.id))
                    .limit(self.max_size)
                )
            )
            if not rows:
                return anchored
            oldest = rows[0].received_at.replace(tzinfo=rows[0].received_at.tzinfo or UTC).timestamp()
            if not force and len(rows) < self.max_size and self.clock() - oldest < self.max_age:
                return anchored
            tree = StandardMerkleTree.of([leaf_value(r) for r in rows], READING_LEAF_TYPES)
            root = "0x" + tree.root.hex()
            for i, row in enumerate(rows):
                row.batch_root = root
                row.proof = json.dumps(["0x" + p.hex() for p in tree.proof(i)])
                session.add(row)
            times = [int(r.timestamp) for r in rows]
            session.add(
                ReadingBatchRow(
                    root=root,
                    count=len(rows),
                    period_start=min(times),
                    period_end=max(times),
                    status="pending",
                    created_at=datetime.now(UTC),
                )
            )
            session.commit()  # durable before the chain write
        self._anchor(root)
        return [*anchored, root]

    def recover(self) -> list[str]:
        with Session(self.engine) as session:
            pending = [
                b.root
                for b in session.exec(select(ReadingBatchRow).where(ReadingBatchRow.status == "pending"))
            ]
        for root in pending:
            self._anchor(root)
        return pending

    def _anchor(self, root: str) -> None:
        with Session(self.engine) as session:
            batch = session.get(ReadingBatchRow, root)
            assert batch is not None
            try:
                receipt = self.ledger.anchor_readings(
                    bytes.fromhex(root[2:]), batch.count, batch.period_start, batch.period_end
                )
                batch.tx_hash, batch.block_number = receipt.tx_hash, receipt.block_number
            except ChainRevert as exc:
                if exc.error != "CarbonBatchAlreadyAnchored":
                    raise
                log.info("batch %s was anchored before a restart", root)
            batch.status = "anchored"
            count = batch.count
            session.add(batch)
            session.commit()
        log.info("anchored batch %s (%s readings)", root, count)
