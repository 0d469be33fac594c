"""Follows the chain and keeps the database index in step with it.

Reads events of the deployed contracts in bounded block ranges (``eth_getLogs``
with address and topic filters), up to ``head - confirmations``. Each range is
stored with the hashes of its blocks in one database transaction, together with
what the projections derive from it: the range's events and block hashes as one
INSERT each, the per-event projections' changes flushed together when the
checkpoint is written (a deletion at once), range projections' rows (mentions) as
one INSERT. Before each step the last indexed block's
hash is compared with the chain; on a mismatch (a reorg) the orphaned rows are
deleted back to the fork point and the projections are rebuilt from the kept
events. ``reindex`` wipes the index and projections and rebuilds them from the
deployment block.

Several processes may index one database (the API after each write, the indexer
following the chain): each step takes the index's lock (a PostgreSQL advisory
lock; SQLite has one writer at a time) and re-reads the checkpoint under it, so a
range another process indexed meanwhile is skipped, never stored twice.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from eth_utils import keccak
from hexbytes import HexBytes
from sqlalchemy import Engine, Table, delete, insert, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select
from web3.exceptions import BlockNotFound

from chain.client import Chain
from chain.errors import ChainError, Unavailable
from chain.events import ChainEvent
from chain.index_models import ChainBlock, ChainEventRow, IndexerCheckpoint
from chain.reverts import _canonical_type

log = logging.getLogger(__name__)

CHECKPOINT = "main"
EVENTS: Table = ChainEventRow.__table__  # type: ignore[attr-defined]
BLOCKS: Table = ChainBlock.__table__  # type: ignore[attr-defined]
INDEX_LOCK = 0x7472_6164_656C  # the advisory lock every indexing process takes on PostgreSQL


class Projection(Protocol):
    """Derives query tables from events. Must be a pure function of the event sequence."""

    tables: Sequence[type[SQLModel]]

    def apply(self, session: Session, event: ChainEvent) -> None: ...


@runtime_checkable
class RangeProjection(Projection, Protocol):
    """A projection whose rows follow from each event alone, in tables no other projection reads or
    writes: the indexer hands it a whole range's events at once, after the per-event projections, so it
    can write them in one statement instead of one an event."""

    def apply_range(self, session: Session, events: Sequence[ChainEvent]) -> None: ...


def _event_topics(abis: list[list[dict[str, Any]]]) -> list[str]:
    topics = set()
    for abi in abis:
        for item in abi:
            if item.get("type") == "event":
                sig = f"{item['name']}({','.join(_canonical_type(p) for p in item['inputs'])})"
                topics.add("0x" + keccak(text=sig).hex())
    return sorted(topics)


class Indexer:
    def __init__(
        self,
        chain: Chain,
        engine: Engine,
        projections: Sequence[Projection] = (),
        *,
        confirmations: int | None = None,
        batch_blocks: int = 2_000,
    ) -> None:
        self.chain = chain
        self.engine = engine
        self.projections = list(projections)
        self.confirmations = chain.network.confirmations if confirmations is None else confirmations
        self.batch_blocks = batch_blocks
        manifest = chain.require_manifest()
        self.start_block = manifest.start_block
        # identifies the deployment being indexed: a fresh deployment on the same chain starts a fresh index
        self.deployment = manifest.record("Participants").address
        self.decoder = chain.event_decoder()
        self.topics = _event_topics([r.abi for r in manifest.contracts.values()])
        self._lock = threading.Lock()
        self._done: tuple[float, int] | None = None  # (when the last sync began, the block it reached)

    # --- public ---------------------------------------------------------------------------

    def checkpoint(self) -> IndexerCheckpoint | None:
        with Session(self.engine) as session:
            return session.get(IndexerCheckpoint, CHECKPOINT)

    def safe_head(self) -> int:
        return max(int(self.chain.w3.eth.block_number) - self.confirmations, -1)

    def sync(
        self,
        to_block: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        *,
        since: float | None = None,
    ) -> int:
        """Index up to ``to_block`` (default: the confirmed head); returns the last indexed block.

        Callers waiting on the lock share work: a sync that began after this call was made (or after
        ``since``, a ``time.monotonic()``), and reached ``to_block`` (or the head it saw), is as fresh as
        this call's own would be, and its result is returned without asking the node again (API writes
        each sync before and after they write)."""
        asked = time.monotonic() if since is None else since
        with self._lock:
            done = self._done
            if done is not None and done[0] >= asked and (to_block is None or done[1] >= to_block):
                return done[1]
            began = time.monotonic()
            head = self.safe_head()
            target = head if to_block is None else min(to_block, head)
            last = self._check_reorg()
            while last < target:
                end = min(last + self.batch_blocks, target)
                last = self._index_range(last + 1, end)
                if progress:
                    progress(last, target)
            if last >= head:  # the head it saw when it began: any later caller may share it
                self._done = (began, last)
            return last

    def sync_through(self, tx_hash: str, block_number: int, wait: float = 30.0) -> int:
        """Index up to the block of ``tx_hash`` (mined at ``block_number`` when its receipt was read). If
        the node lost that block meanwhile (it restarted from an older state), wait for the outbox to
        land the transaction again, then index up to its new block."""
        deadline = time.monotonic() + wait
        while True:
            try:
                fetched = time.monotonic()  # a sync begun after the receipt was read covers its block
                response = self.chain.w3.provider.make_request("eth_getTransactionReceipt", [tx_hash])  # type: ignore[arg-type]
                receipt = response.get("result")
                if isinstance(receipt, dict):
                    block = int(receipt["blockNumber"], 16)
                    if self.sync(since=fetched) >= block:
                        return block
            except ChainError as exc:
                log.warning("indexing up to %s: %s; trying again", tx_hash, exc)
            if time.monotonic() > deadline:
                raise Unavailable(
                    f"transaction {tx_hash} was mined in block {block_number}, then the node lost that block "
                    "(it restarted from an older state); it is being sent again. Retry with the same "
                    "Idempotency-Key",
                    code="chain_unavailable",
                )
            time.sleep(0.1)

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Wipe the index and every projection, then rebuild from the deployment block."""
        with self._lock, Session(self.engine) as session:
            self._done = None
            self._wipe_projections(session)
            for table in (ChainEventRow, ChainBlock, IndexerCheckpoint):
                session.exec(delete(table))
            session.commit()
        return self.sync(progress=progress)

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Follow the chain until ``stop`` is set."""
        while not stop.is_set():
            try:
                self.sync()
            except ChainError as exc:
                log.warning("indexer: %s; retrying", exc)
            except Exception:
                log.exception("indexer step failed; retrying")
            stop.wait(interval)

    # --- internals ------------------------------------------------------------------------

    def _block_hash(self, number: int) -> str | None:
        """The canonical hash of block ``number``; None when the chain is shorter now (a reorg)."""
        try:
            block = self.chain.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        return HexBytes(block["hash"]).to_0x_hex()

    def _block_hashes(self, numbers: list[int]) -> dict[int, str | None]:
        """The canonical hash of each of blocks ``numbers`` (None: the chain is shorter now), read in one
        JSON-RPC batch: one round trip."""
        answers = self.chain.w3.provider.make_batch_request(  # type: ignore[attr-defined]
            [("eth_getBlockByNumber", [hex(n), False]) for n in numbers]
        )
        if not isinstance(answers, list):  # the node refused the batch as a whole
            raise ChainError(f"the node refused a batch of block headers: {answers.get('error', answers)}")
        hashes: dict[int, str | None] = {}
        for number, answer in zip(numbers, answers, strict=True):
            if "error" in answer:
                raise ChainError(f"the node did not give block {number}: {answer['error']}")
            block = answer.get("result")
            hashes[number] = HexBytes(block["hash"]).to_0x_hex() if isinstance(block, dict) else None
        return hashes

    def _check_reorg(self) -> int:
        """The last indexed block still on the canonical chain, rolling back what is not."""
        with Session(self.engine) as session:
            _lock_index(session)
            cp = session.get(IndexerCheckpoint, CHECKPOINT)
            if cp is None:
                return self.start_block - 1
            if cp.chain_id != self.chain.chain_id:
                raise ChainError(
                    f"the database indexes chain {cp.chain_id} but the node is chain {self.chain.chain_id}; "
                    "point DATABASE_URL at the right database or run `tradeledger reindex`"
                )
            if cp.deployment != self.deployment:
                log.warning(
                    "the index follows another deployment (%s); re-indexing deployment %s from block %s",
                    cp.deployment,
                    self.deployment,
                    self.start_block,
                )
                self._wipe_projections(session)
                for table in (ChainEventRow, ChainBlock, IndexerCheckpoint):
                    session.exec(delete(table))
                session.commit()
                return self.start_block - 1
            if self._block_hash(cp.block_number) == cp.block_hash:
                return cp.block_number
            fork = self._find_fork_point(session, cp.block_number)
            log.warning("reorg detected: block %s changed; rolling back to block %s", cp.block_number, fork)
            session.exec(delete(ChainEventRow).where(col(ChainEventRow.block_number) > fork))
            session.exec(delete(ChainBlock).where(col(ChainBlock.number) > fork))
            self._wipe_projections(session)
            kept = session.exec(
                select(ChainEventRow).order_by(col(ChainEventRow.block_number), col(ChainEventRow.log_index))
            )
            self._project(session, [_to_event(row) for row in kept])
            cp.block_number = fork
            cp.block_hash = (self._block_hash(fork) if fork >= 0 else None) or "0x"
            cp.updated_at = datetime.now(UTC)
            session.add(cp)
            session.commit()
            return fork

    def _find_fork_point(self, session: Session, above: int) -> int:
        stored = session.exec(
            select(ChainBlock).where(col(ChainBlock.number) < above).order_by(col(ChainBlock.number).desc())
        )
        for block in stored:
            if self._block_hash(block.number) == block.hash:
                return block.number
        return self.start_block - 1

    def _wipe_projections(self, session: Session) -> None:
        for projection in self.projections:
            for table in reversed(projection.tables):
                session.exec(delete(table))

    def _project(self, session: Session, events: Sequence[ChainEvent]) -> None:
        """Every projection's rows for ``events`` (in chain order): each event through the per-event
        projections in their order, then the whole sequence through each range projection."""
        per_event = [p for p in self.projections if not isinstance(p, RangeProjection)]
        for event in events:
            for projection in per_event:
                projection.apply(session, event)
        for projection in self.projections:
            if isinstance(projection, RangeProjection):
                projection.apply_range(session, events)

    @staticmethod
    def _record_blocks(session: Session, start: int, end: int, hashes: dict[int, str]) -> None:
        """The hashes of the blocks with events: the range's known blocks read in one query, the new
        ones inserted in one statement (an ORM object per block cost as much as storing the event)."""
        known = dict(
            session.exec(
                select(ChainBlock.number, ChainBlock.hash).where(col(ChainBlock.number).between(start, end))
            ).all()
        )
        for number, block_hash in sorted(hashes.items()):
            if number in known and known[number] != block_hash:
                session.execute(update(BLOCKS).where(BLOCKS.c.number == number).values(hash=block_hash))
        new = [{"number": n, "hash": h} for n, h in sorted(hashes.items()) if n not in known]
        if new:
            session.execute(insert(BLOCKS), new)

    def _logs(self, start: int, end: int) -> list[dict[str, Any]]:
        """The deployment's logs in blocks ``start``..``end`` as the node sends them (hex strings): the
        decoder reads those directly, so web3's result formatters (which checksum every log's address,
        a keccak each) are skipped."""
        query = {
            "fromBlock": hex(start),
            "toBlock": hex(end),
            "address": self.decoder.addresses,
            "topics": [self.topics],
        }
        response = self.chain.w3.provider.make_request("eth_getLogs", [query])  # type: ignore[arg-type]
        if "error" in response or not isinstance(response.get("result"), list):
            # e.g. the node restarted from an older state since the head was read
            error = response.get("error")
            message = error.get("message", error) if isinstance(error, dict) else error
            raise ChainError(
                f"the node could not give blocks {start}-{end}: {message}; the next step rolls back"
            )
        return list(response["result"])

    def _index_range(self, start: int, end: int) -> int:
        """Index blocks ``start``..``end``; returns the last indexed block, which is another process's
        checkpoint when that process moved it meanwhile (nothing is stored then)."""
        end_hash = self._block_hash(end)
        if end_hash is None:
            raise ChainError(f"block {end} disappeared while indexing (a reorg); the next step rolls back")
        logs = self._logs(start, end)
        # the logs belong to the chain ending in end_hash only if that block is still there after them
        # (a node restarted from an older state re-mines the same heights with other contents); the block
        # before the range is read with it, to check below that the index still ends on this chain (read
        # here, not inside the index's write transaction: on SQLite that would hold every writer up)
        after = self._block_hashes([end, start - 1] if start > 0 else [end])
        if after[end] != end_hash:
            raise ChainError(f"block {end} changed while indexing (a reorg); the next step rolls back")
        events = [e for e in map(self.decoder.decode, logs) if e is not None]
        with Session(self.engine) as session:
            _hold_rows(session)
            _lock_index(session)
            cp = session.get(IndexerCheckpoint, CHECKPOINT)
            current = cp.block_number if cp is not None else self.start_block - 1
            if current != start - 1:  # another process indexed (or rolled back) meanwhile
                return current
            if cp is not None and current >= 0 and after.get(current) != cp.block_hash:
                raise ChainError(
                    f"block {current} changed since it was indexed (a reorg); the next step rolls back"
                )
            try:
                self._record_blocks(session, start, end, {e.block_number: e.block_hash for e in events})
                if events:
                    session.execute(insert(EVENTS), [_event_row(e) for e in events])
            except IntegrityError:  # SQLite: another process stored this range first …
                session.rollback()
                cp = session.get(IndexerCheckpoint, CHECKPOINT)
                if cp is None or cp.block_number == start - 1:
                    raise  # … else rows beyond the checkpoint: an error, not a range to try again
                return cp.block_number
            self._project(session, events)
            session.merge(
                IndexerCheckpoint(
                    name=CHECKPOINT,
                    chain_id=self.chain.chain_id,
                    block_number=end,
                    block_hash=end_hash,
                    updated_at=datetime.now(UTC),
                    deployment=self.deployment,
                )
            )
            try:
                session.commit()
            except IntegrityError:  # SQLite: another process stored this range first
                session.rollback()
                cp = session.get(IndexerCheckpoint, CHECKPOINT)
                return cp.block_number if cp is not None else self.start_block - 1
        if events:
            log.info("indexed %d events in blocks %d-%d", len(events), start, end)
        return end


def _lock_index(session: Session) -> None:
    """Hold the index's lock until the session's transaction ends (PostgreSQL; SQLite serialises writers)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INDEX_LOCK})


def _hold_rows(session: Session) -> None:
    """Keep every row ``session`` loads or stores referenced until it closes (SQLAlchemy's "strong
    reference" recipe). The identity map holds rows weakly: a row an event stored or changed was dropped
    once flushed, and the next event of the same order or receivable read it again with a SELECT, whose
    autoflush wrote the rows one event at a time. Held, it is found in the map, and the range's changes
    go to the database together (as executemany) when the checkpoint is written."""
    held: dict[int, object] = {}
    session.info["held rows"] = held

    def hold(_: Session, row: object) -> None:
        held[id(row)] = row

    def release(_: Session, row: object) -> None:
        held.pop(id(row), None)

    for name in (
        "pending_to_persistent",
        "deleted_to_persistent",
        "detached_to_persistent",
        "loaded_as_persistent",
    ):
        sa_event.listen(session, name, hold)
    for name in ("persistent_to_detached", "persistent_to_deleted", "persistent_to_transient"):
        sa_event.listen(session, name, release)


def _event_row(event: ChainEvent) -> dict[str, Any]:
    """The ``chain_events`` row of ``event`` (its id left to the database)."""
    return {
        "block_number": event.block_number,
        "block_hash": event.block_hash,
        "tx_hash": event.tx_hash,
        "log_index": event.log_index,
        "contract": event.contract,
        "address": event.address,
        "name": event.name,
        "args": json.dumps(event.args, sort_keys=True),
    }


def _to_event(row: ChainEventRow) -> ChainEvent:
    return ChainEvent(
        contract=row.contract,
        name=row.name,
        args=json.loads(row.args),
        address=row.address,
        block_number=row.block_number,
        block_hash=row.block_hash,
        tx_hash=row.tx_hash,
        log_index=row.log_index,
    )
