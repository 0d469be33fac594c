"""Batches accepted readings into an OpenZeppelin StandardMerkleTree and anchors the root on chain.

A batch is made durable (its rows get their root and proofs, the batch row is ``pending``) before
the anchoring transaction is sent; after a crash, pending batches are anchored first, and a root
the chain already has counts as anchored. So every persisted reading is anchored exactly once.

Several oracle instances may batch the same database at once: a batch *claims* its rows in the
transaction that makes it durable, by an ``UPDATE`` of each row that only takes a row still
unbatched; unless every row was taken the transaction is rolled back (another instance was first)
and the rows are chosen again later. On PostgreSQL the rows are chosen with ``FOR UPDATE SKIP
LOCKED``, so two instances take disjoint rows without waiting; SQLite serialises writers, and its
write lock is only taken by that ``UPDATE``, after the tree is built, so ingestion hardly waits.
A reading is therefore in exactly one batch. Pending
batches are anchored by the instance that made them; on its first step an instance anchors every
pending batch (the restart after a crash), later it takes over another instance's pending batch only
when it has been pending longer than ``lease`` seconds (that instance may have died). Two instances
anchoring one root at once is harmless: the chain refuses the second (``CarbonBatchAlreadyAnchored``),
which counts as anchored; the lease only avoids paying for that. Each instance should send with its
own account of the oracle organisation: a sender owns its key's nonce.
"""

from __future__ import annotations

import enum
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Table, bindparam, func, update
from sqlmodel import Session, select

from api.carbon.models import ReadingBatchRow, ReadingRow, leaf_value
from chain.carbon_contracts import READING_LEAF_TYPES, CarbonLedgerContract
from chain.errors import ChainRevert
from chain.merkle import StandardMerkleTree

log = logging.getLogger(__name__)

READINGS: Table = ReadingRow.__table__  # type: ignore[attr-defined]
LEAF_COLUMNS = ("device_id", "sequence", "timestamp", "metric", "value_milli", "unit", "binding")


class Lost(enum.Enum):
    LOST = "another instance claimed some of the rows first"


LOST = Lost.LOST


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=moment.tzinfo or UTC)  # SQLite gives timestamps back naive (UTC)


class Batcher:
    def __init__(
        self,
        engine: Engine,
        ledger: CarbonLedgerContract,
        *,
        max_size: int = 256,
        max_age: float = 5.0,
        lease: float = 120.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.max_size = max_size
        self.max_age = max_age
        self.lease = lease
        self.clock = clock
        self._mine: set[str] = set()  # roots this instance made and has not anchored yet
        self._recovered = False  # the first recover() takes every pending batch
        self.next_due: float | None = None  # when (``clock``) the oldest unbatched reading is old enough

    def step(self, *, force: bool = False) -> list[str]:
        """Anchor pending batches, then at most one new batch when it is full or old enough; returns roots."""
        anchored = self.recover()
        root = self._claim(force=force)
        if root is None:
            return anchored
        self._mine.add(root)
        self._anchor(root)
        self._mine.discard(root)
        return [*anchored, root]

    def _claim(self, *, force: bool) -> str | None:
        """Claim up to ``max_size`` unbatched rows as one pending batch (durable); its root, or None.

        When another instance claimed some of the rows first, the next ones are tried at once (a few
        times): that instance is busy anchoring its batch now, and waiting for the next wake-up left
        the readings behind it unbatched meanwhile."""
        for _attempt in range(3):
            root = self._claim_once(force=force)
            if root is not LOST:
                return root
        return None

    def _claim_once(self, *, force: bool) -> str | None | Lost:
        with Session(self.engine) as session:
            unbatched = READINGS.c.batch_root.is_(None)  # a look without locks: is a batch due?
            first = session.execute(
                select(READINGS.c.received_at).where(unbatched).order_by(READINGS.c.id).limit(1)
            ).scalar()
            self.next_due = None
            if first is None:
                return None
            oldest = _aware(first).timestamp()
            if not force and self.clock() - oldest < self.max_age:
                waiting = select(READINGS.c.id).where(unbatched).limit(self.max_size).subquery()
                if session.execute(select(func.count()).select_from(waiting)).scalar_one() < self.max_size:
                    self.next_due = oldest + self.max_age
                    return None
            columns = [READINGS.c[name] for name in ("id", *LEAF_COLUMNS)]  # Core: no ORM object per row
            candidates = (
                select(*columns)
                .where(READINGS.c.batch_root.is_(None))
                .order_by(READINGS.c.id)
                .limit(self.max_size)
            )
            if self.engine.dialect.name == "postgresql":  # rows another instance is claiming are skipped
                candidates = candidates.with_for_update(skip_locked=True)
            rows = session.execute(candidates).all()
            if not rows:
                return None
            tree = StandardMerkleTree.of([leaf_value(r) for r in rows], READING_LEAF_TYPES)
            root = "0x" + tree.root.hex()
            claim = session.execute(  # on SQLite the write lock is taken here, after the tree
                update(READINGS)
                .where(READINGS.c.id == bindparam("row_id"), READINGS.c.batch_root.is_(None))
                .values(batch_root=root, proof=bindparam("row_proof")),
                [
                    {"row_id": row.id, "row_proof": json.dumps(["0x" + p.hex() for p in tree.proof(i)])}
                    for i, row in enumerate(rows)
                ],
            )
            claimed = cast(CursorResult[Any], claim).rowcount  # summed over the rows
            if claimed != len(rows):  # another instance batched some of them first
                session.rollback()
                log.info("%d of %d readings were batched by another instance", len(rows) - claimed, len(rows))
                return LOST
            times = [int(r.timestamp) for r in rows]
            session.add(
                ReadingBatchRow(
                    root=root,
                    count=len(rows),
                    period_start=min(times),
                    period_end=max(times),
                    status="pending",
                    created_at=datetime.fromtimestamp(self.clock(), UTC),
                )
            )
            session.commit()  # durable before the chain write
        return root

    def recover(self) -> list[str]:
        """Anchor the pending batches this instance should: its own, those of an instance that may have
        died (pending longer than ``lease``), and on the first call every one (after a crash)."""
        stale = self.clock() - self.lease
        with Session(self.engine) as session:
            pending = session.exec(
                select(ReadingBatchRow.root, ReadingBatchRow.created_at).where(
                    ReadingBatchRow.status == "pending"
                )
            ).all()
        roots = [
            root
            for root, created in pending
            if not self._recovered or root in self._mine or _aware(created).timestamp() < stale
        ]
        for root in roots:
            self._anchor(root)
            self._mine.discard(root)
        self._recovered = True
        return roots

    def _anchor(self, root: str) -> None:
        with Session(self.engine) as session:
            batch = session.get(ReadingBatchRow, root)
            assert batch is not None
            if batch.status == "anchored":  # another instance took it over and finished it
                return
            try:
                receipt = self.ledger.anchor_readings(
                    bytes.fromhex(root[2:]), batch.count, batch.period_start, batch.period_end
                )
                batch.tx_hash, batch.block_number = receipt.tx_hash, receipt.block_number
            except ChainRevert as exc:
                if exc.error != "CarbonBatchAlreadyAnchored":
                    raise
                log.info("batch %s was anchored before (a restart, or another instance)", root)
            batch.status = "anchored"
            count = batch.count
            session.add(batch)
            session.commit()
        log.info("anchored batch %s (%s readings)", root, count)
