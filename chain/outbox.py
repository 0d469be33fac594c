"""The write outbox: every signed transaction is journaled in the database before it is sent.

A node can lose transactions it already mined: anvil killed between two state dumps comes back
at its last dump, and a request acknowledged in between (its receipt read, the API's 201 sent)
is no longer on chain. The outbox keeps each signed raw transaction with its account and nonce,
so what the node lost is sent again, byte for byte: the same hash and the same nonce, so it can
land at most once however often it is sent. Nothing is ever signed twice for one journal row.

States: ``signed`` (journaled, not yet known to have reached the node), ``sent`` (the node took
it), ``mined`` (its receipt was read), ``abandoned`` (never reached the node before its process
died: no caller was told it happened, and its nonce was free for the next transaction), and
``superseded`` (another transaction took its nonce; logged as a loss, which the recovery order
below prevents).

``recover(account)`` runs before a sender first signs for its account in a process, so a
restarted process rebroadcasts what the node lost before anything can take those nonces.
``watch`` does the same every second in the long-running processes (the API, the oracles),
for a node that restarted behind a process that did not: one ``eth_getTransactionCount`` per
account when nothing is missing. Rows are kept for ``keep`` seconds (a day by default), far
longer than any node's state-dump interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from hexbytes import HexBytes
from sqlalchemy import BigInteger, Column, DateTime, Engine, Text, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, func, select
from web3 import Web3

from chain.errors import ChainError, Unavailable

log = logging.getLogger(__name__)

SIGNED, SENT, MINED, ABANDONED, SUPERSEDED = "signed", "sent", "mined", "abandoned", "superseded"
LIVE = (SENT, MINED)  # the node took these: they must stay on chain


class OutboxRow(SQLModel, table=True):
    __tablename__ = "chain_outbox"

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=42, index=True)
    nonce: int = Field(sa_column=Column(BigInteger, nullable=False))
    tx_hash: str = Field(max_length=66, unique=True)
    raw: str = Field(sa_column=Column(Text, nullable=False))  # 0x… signed transaction
    context: str = Field(default="", max_length=200)
    state: str = Field(max_length=16, index=True)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class Outbox:
    """The journal of one database, shared by every sender of a process."""

    def __init__(self, engine: Engine, *, keep: float = 86_400.0) -> None:
        self.engine = engine
        self.keep = keep
        self.rebroadcasts = 0  # transactions sent again after the node lost them, in this process
        self._lock = threading.Lock()

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

    # --- recovery -----------------------------------------------------------------------------

    def recover(self, w3: Web3, account: str, *, at_start: bool = False) -> int:
        """Send again, in nonce order, every journaled transaction of ``account`` the node lost.

        ``at_start``: no transaction of this account is in flight in this process, so a ``signed``
        row the node does not hold never reached it (its process died first): it is abandoned.
        Returns how many transactions were sent again."""
        with self._lock, Session(self.engine) as session:
            mined = int(w3.eth.get_transaction_count(account, "latest"))  # type: ignore[arg-type]
            states = (SIGNED, *LIVE) if at_start else LIVE
            rows = list(  # nonces below the mined count are used on chain: only the rest can be lost
                session.exec(
                    select(OutboxRow)
                    .where(
                        OutboxRow.account == account,
                        col(OutboxRow.state).in_(states),
                        col(OutboxRow.nonce) >= mined,
                    )
                    .order_by(col(OutboxRow.nonce), col(OutboxRow.id))
                )
            )
            if not rows:
                return 0
            sent = 0
            for row in rows:
                if _known(w3, row.tx_hash):
                    if row.state == SIGNED:
                        row.state = SENT
                    continue
                if row.state == SIGNED:
                    row.state = ABANDONED
                elif row.nonce < int(w3.eth.get_transaction_count(account, "pending")):  # type: ignore[arg-type]
                    row.state = SUPERSEDED
                    log.error(
                        "transaction %s (%s) was lost by the node and its nonce %d was taken by another; "
                        "its effect is not on chain",
                        row.tx_hash,
                        row.context,
                        row.nonce,
                    )
                else:
                    self._rebroadcast(w3, row)
                    sent += 1
                session.add(row)
            session.commit()
            self._prune(session)
        if sent:
            log.warning("sent again %d transaction(s) of %s that the node had lost", sent, account)
        return sent

    def lagging(self, w3: Web3, accounts: Iterable[str]) -> bool:
        """Whether the node's mined count of any of ``accounts`` is behind a nonce the node took from us
        (it lost them, or they are still pending): one query, one call per account with such rows."""
        wanted = list(accounts)
        if not wanted:
            return False
        with Session(self.engine) as session:
            highest = session.exec(
                select(OutboxRow.account, func.max(OutboxRow.nonce))
                .where(col(OutboxRow.account).in_(wanted), col(OutboxRow.state).in_(LIVE))
                .group_by(col(OutboxRow.account))
            ).all()
        return any(int(w3.eth.get_transaction_count(a, "latest")) <= int(n) for a, n in highest)  # type: ignore[arg-type]

    def watch(self, w3: Web3, accounts: Callable[[], Iterable[str]], stop: threading.Event) -> None:
        """Recover every account of ``accounts()`` each second until ``stop`` is set."""
        while not stop.wait(1.0):
            for account in list(accounts()):
                try:
                    self.recover(w3, account)
                except (ChainError, Unavailable) as exc:
                    log.info("outbox: the node did not answer (%s); trying again", exc)
                except Exception:
                    log.exception("outbox recovery failed; trying again")

    def _rebroadcast(self, w3: Web3, row: OutboxRow) -> None:
        response = w3.provider.make_request("eth_sendRawTransaction", [row.raw])  # type: ignore[arg-type]
        error = response.get("error")
        if error and not _known(w3, row.tx_hash):
            raise ChainError(f"the node refused transaction {row.tx_hash} sent again: {error}")
        self.rebroadcasts += 1
        log.warning("sent again %s (%s, nonce %d): the node had lost it", row.tx_hash, row.context, row.nonce)

    def _prune(self, session: Session) -> None:
        cutoff = datetime.now(UTC) - timedelta(seconds=self.keep)
        session.exec(delete(OutboxRow).where(col(OutboxRow.created_at) < cutoff))
        session.commit()


def _known(w3: Web3, tx_hash: str) -> bool:
    response = w3.provider.make_request("eth_getTransactionByHash", [tx_hash])  # type: ignore[arg-type]
    return isinstance(response.get("result"), dict)
