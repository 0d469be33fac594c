"""The write outbox: every signed transaction is journaled in the database before it is sent.

A node can lose transactions it already mined: anvil killed between two state dumps comes back
at its last dump, and a request acknowledged in between (its receipt read, the API's 201 sent)
is no longer on chain. The outbox keeps each signed raw transaction with its account and nonce,
so what the node lost is sent again, byte for byte: the same hash and the same nonce, so it can
land at most once however often it is sent. Nothing is ever signed twice for one journal row.

States: ``signed`` (journaled, not yet known to have reached the node), ``sent`` (the node took
it), ``mined`` (its receipt was read), ``abandoned`` (never reached the node before its process
died: no caller was told it happened, and its nonce was free for the next transaction), and
``superseded`` (the node refused it again: another transaction took its nonce; logged as a
loss, which the recovery before every write prevents).

``recover`` sends again, in the order they were first signed, every journaled transaction the
node no longer holds, whichever process signed it (a raw transaction needs no key to be sent).
It runs when a process starts journaling and before it first signs for an account, so nothing
can take those nonces first; every second in the long-running processes (``watch``: one query
and one ``eth_getTransactionCount`` per journaled account when nothing is missing); and before
every API write (``Chain.catch_up_lost``). Only transactions signed within ``window`` seconds (an
hour by default) are looked after. Rows are kept for ``keep`` seconds (a day by
default), far longer than any node's state-dump interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from hexbytes import HexBytes
from sqlalchemy import BigInteger, Column, DateTime, Engine, Text, create_engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, func, select
from web3 import Web3

from chain.errors import ChainError, Unavailable
from chain.sqlite import on_connect

log = logging.getLogger(__name__)

SIGNED, SENT, MINED, ABANDONED, SUPERSEDED = "signed", "sent", "mined", "abandoned", "superseded"
LIVE = (SENT, MINED)  # the node took these: they must stay on chain
SCOPE: ContextVar[str | None] = ContextVar("outbox_scope", default=None)


@contextmanager
def scope(name: str | None) -> Iterator[None]:
    """Journal what is signed inside as ``name``'s (a request and its Idempotency-Key)."""
    token = SCOPE.set(name)
    try:
        yield
    finally:
        SCOPE.reset(token)


class OutboxRow(SQLModel, table=True):
    __tablename__ = "chain_outbox"

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=42, index=True)
    nonce: int = Field(sa_column=Column(BigInteger, nullable=False))
    tx_hash: str = Field(max_length=66, unique=True)
    raw: str = Field(sa_column=Column(Text, nullable=False))  # 0x… signed transaction
    context: str = Field(default="", max_length=200)
    # the request that signed it ("<org>:<Idempotency-Key>"), so a retry of that request does not sign again
    scope: str | None = Field(default=None, max_length=330, index=True)
    state: str = Field(max_length=16, index=True)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class Outbox:
    """The journal of one database, shared by every sender of a process."""

    def __init__(self, engine: Engine, *, keep: float = 86_400.0, window: float = 3_600.0) -> None:
        self.engine = engine
        self.keep = keep
        self.window = window  # transactions signed longer ago than this are not looked after any more
        self.rebroadcasts = 0  # transactions sent again after the node lost them, in this process
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, engine: Engine) -> Outbox:
        """The outbox for the database ``engine`` reaches: in it on PostgreSQL; on SQLite in a file of its
        own beside it (``<database>-outbox.db``). SQLite has one writer at a time, and a request holding
        its own write open while its transaction is journaled would wait on itself."""
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return cls(engine)
        own = create_engine(
            f"sqlite:///{database}-outbox.db", connect_args={"check_same_thread": False, "timeout": 30}
        )

        # WAL with synchronous=NORMAL: a commit survives the process being killed (it is in the WAL,
        # which the OS holds) but is not fsynced, which cost 1.3 ms per journal row, twice per
        # transaction, while the sender holds its key's lock. Only an OS crash or power cut could lose
        # the last rows, and the embedded node on the same machine loses its own newer state with them.
        on_connect(own, "journal_mode=WAL", "synchronous=NORMAL")
        OutboxRow.__table__.create(own, checkfirst=True)  # type: ignore[attr-defined]
        return cls(own)

    # --- the sender's journal -----------------------------------------------------------------

    def record(self, account: str, nonce: int, tx_hash: str, raw: bytes, context: str = "") -> None:
        """Journal a signed transaction before it is sent (committed: survives a crash right after)."""
        with Session(self.engine) as session:
            session.add(
                OutboxRow(
                    account=account,
                    nonce=nonce,
                    tx_hash=tx_hash,
                    raw=HexBytes(raw).to_0x_hex(),
                    context=context[:200],
                    scope=SCOPE.get(),
                    state=SIGNED,
                    created_at=datetime.now(UTC),
                )
            )
            try:
                session.commit()
            except IntegrityError:  # the very same transaction signed again (a retry, same nonce): one row
                session.rollback()

    def mark(self, tx_hash: str, state: str, block_number: int | None = None) -> None:
        values: dict[str, object] = {"state": state}
        if block_number is not None:
            values["block_number"] = block_number
        with Session(self.engine) as session:
            session.exec(update(OutboxRow).where(col(OutboxRow.tx_hash) == tx_hash).values(**values))
            session.commit()

    def attempted(self, w3: Web3, name: str) -> list[str]:
        """The transactions an earlier attempt of request ``name`` got to the node (journaled as sent or
        mined, or signed and held by the node): a retry must not sign them again."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(OutboxRow).where(OutboxRow.scope == name, col(OutboxRow.state).in_((SIGNED, *LIVE)))
            ).all()
        return [r.tx_hash for r in rows if r.state in LIVE or node_holds(w3, r.tx_hash)]

    # --- recovery -----------------------------------------------------------------------------

    def unmined(self, w3: Web3) -> list[OutboxRow]:
        """Journaled transactions the node took (sent or mined) but has not mined now — pending there,
        or lost — of every account in the journal, oldest first. One query, and one call per account
        with journaled transactions."""
        since = datetime.now(UTC) - timedelta(seconds=self.window)
        with Session(self.engine) as session:
            highest = session.exec(
                select(OutboxRow.account, func.max(OutboxRow.nonce))
                .where(col(OutboxRow.state).in_(LIVE), col(OutboxRow.created_at) >= since)
                .group_by(col(OutboxRow.account))
            ).all()
            rows: list[OutboxRow] = []
            counts = mined_counts(w3, [account for account, _ in highest])
            for account, top in highest:
                mined = counts[account]
                if mined <= int(top):  # nonces below the mined count are used on chain: only the rest
                    rows += session.exec(
                        select(OutboxRow).where(
                            OutboxRow.account == account,
                            col(OutboxRow.state).in_(LIVE),
                            col(OutboxRow.nonce) >= mined,
                        )
                    ).all()
            return sorted(rows, key=lambda r: r.id or 0)

    def lost(self, w3: Web3, in_flight: float = 2.0) -> list[OutboxRow]:
        """Of ``unmined``, the transactions the node lost: those mined before (a receipt was read), and
        those sent over ``in_flight`` seconds ago that it does not hold (younger ones are presumed on
        their way: many are, under concurrent writes, and each would cost a call)."""
        young = datetime.now(UTC) - timedelta(seconds=in_flight)
        return [
            row
            for row in self.unmined(w3)
            if row.state == MINED or (_aware(row.created_at) < young and not node_holds(w3, row.tx_hash))
        ]

    def recover(self, w3: Web3, *, abandon: Iterable[str] = ()) -> int:
        """Send again every journaled transaction the node lost, in the order they were first signed
        (a transaction may depend on another account's earlier one: each is mined before one of another
        account is sent). Returns how many were sent again.

        ``abandon``: accounts with no transaction in flight in this process (it has just started), so
        a ``signed`` row of theirs the node does not hold never reached it: its process died first,
        nobody was told it happened, and it is marked abandoned."""
        with self._lock, Session(self.engine) as session:
            rows = self.unmined(w3)
            wanted = [a for a in abandon]
            if wanted:
                rows += session.exec(
                    select(OutboxRow).where(col(OutboxRow.account).in_(wanted), OutboxRow.state == SIGNED)
                ).all()
                rows.sort(key=lambda r: r.id or 0)
            sent, previous = 0, None
            for row in rows:
                row = session.merge(row)
                if node_holds(w3, row.tx_hash):
                    if row.state == SIGNED:
                        row.state = SENT
                    continue
                if row.state == SIGNED:
                    row.state = ABANDONED
                    continue
                if previous is not None and previous.account != row.account:
                    wait_mined(w3, previous.tx_hash)
                if self._rebroadcast(w3, row):
                    sent, previous = sent + 1, row
                else:  # the node refused it: another transaction holds its nonce
                    row.state = SUPERSEDED
            session.commit()
            self._prune(session)
        if sent:
            log.warning("sent again %d transaction(s) that the node had lost", sent)
        return sent

    def watch(self, w3: Web3, stop: threading.Event) -> None:
        """Send again what the node lost, each second, until ``stop`` is set."""
        while not stop.wait(1.0):
            try:
                self.recover(w3)
            except (ChainError, Unavailable) as exc:
                log.info("outbox: the node did not answer (%s); trying again", exc)
            except Exception:
                log.exception("outbox recovery failed; trying again")

    def _rebroadcast(self, w3: Web3, row: OutboxRow) -> bool:
        """Send ``row`` again; False when the node refuses it (its nonce is another transaction's)."""
        response = w3.provider.make_request("eth_sendRawTransaction", [row.raw])  # type: ignore[arg-type]
        if response.get("error") and not node_holds(w3, row.tx_hash):
            log.error(
                "transaction %s (%s) was lost by the node and it refuses it again (%s): its nonce %d is "
                "another transaction's, and its effect is not on chain",
                row.tx_hash,
                row.context,
                response["error"],
                row.nonce,
            )
            return False
        self.rebroadcasts += 1
        log.warning("sent again %s (%s, nonce %d): the node had lost it", row.tx_hash, row.context, row.nonce)
        return True

    def _prune(self, session: Session) -> None:
        cutoff = datetime.now(UTC) - timedelta(seconds=self.keep)
        session.exec(delete(OutboxRow).where(col(OutboxRow.created_at) < cutoff))
        session.commit()


def mined_counts(w3: Web3, accounts: list[str]) -> dict[str, int]:
    """Each account's count of mined transactions (its next nonce at the head), in one JSON-RPC batch:
    the journal is checked before every API write, and one call per account cost each write a round
    trip per organisation that had written in the last hour."""
    if not accounts:
        return {}
    answers = w3.provider.make_batch_request(  # type: ignore[attr-defined]
        [("eth_getTransactionCount", [account, "latest"]) for account in accounts]
    )
    if not isinstance(answers, list):  # the node refused the batch as a whole
        raise ChainError(f"the node refused a batch of transaction counts: {answers.get('error', answers)}")
    counts: dict[str, int] = {}
    for account, answer in zip(accounts, answers, strict=True):
        if "result" not in answer:
            raise ChainError(f"the node did not give the transaction count of {account}: {answer}")
        counts[account] = int(str(answer["result"]), 16)
    return counts


def node_holds(w3: Web3, tx_hash: str) -> bool:
    """Whether the node holds ``tx_hash``, pending or mined."""
    response = w3.provider.make_request("eth_getTransactionByHash", [tx_hash])  # type: ignore[arg-type]
    return isinstance(response.get("result"), dict)


def wait_mined(w3: Web3, tx_hash: str, timeout: float = 10.0) -> None:
    """Wait up to ``timeout`` seconds for ``tx_hash``'s receipt (it may still not be mined after)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = w3.provider.make_request("eth_getTransactionReceipt", [tx_hash])  # type: ignore[arg-type]
        if isinstance(response.get("result"), dict):
            return
        time.sleep(0.05)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive datetimes
