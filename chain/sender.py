"""One sender per key: local nonce, bounded in-flight window, signed raw transactions.

The sender owns its account's nonce. It estimates gas first (so a revert is
decoded into a domain error before a nonce is spent), signs locally, sends the
raw transaction, and waits for the receipt. At most ``window`` transactions are
in flight at once, which keeps anvil's automine from stalling and bounds what
a crash can leave pending. After any send failure the nonce is re-read from the
node (``pending``), so the next transaction neither skips nor repeats a nonce.

A send whose connection failed is looked up by its hash before it is called
failed (its answer may have been lost after the node took it): a transaction
the node holds is carried on as sent, never signed again under a new nonce.

With an ``outbox`` every signed transaction is journaled before it is sent and
its fate recorded after (``chain/outbox.py``), so one the node loses later (a
node restarted from an older state) is sent again, byte for byte.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3

from chain.errors import ChainError, ChainRevert, Unavailable
from chain.outbox import ABANDONED, MINED, SENT, Outbox, node_holds
from chain.reverts import ErrorDecoder

log = logging.getLogger(__name__)

GAS_HEADROOM = 1.2  # estimates can be tight when state changes between estimate and inclusion


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    logs: list[dict[str, Any]] = field(repr=False)
    contract_address: str | None = None


@dataclass
class Pending:
    tx_hash: str
    nonce: int
    tx: dict[str, Any] = field(repr=False)
    context: str = ""


class Sender:
    """Signs and sends transactions for one account."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        decoder: ErrorDecoder,
        *,
        gas_price: int | None = None,
        window: int = 64,
        receipt_timeout: float = 120.0,
        outbox: Outbox | None = None,
        recover_lost: Callable[[], bool] | None = None,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.decoder = decoder
        self.window = window
        self.receipt_timeout = receipt_timeout
        self.outbox = outbox
        # sends again what the node lost (True if it did), before a revert is believed: a transaction may
        # depend on one the node lost and the outbox has not sent again yet
        self.recover_lost = recover_lost
        self._chain_id = int(w3.eth.chain_id)
        self._gas_price = gas_price
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(window)
        self._nonce: int | None = None

    @property
    def address(self) -> str:
        return str(self.account.address)

    # --- nonce ---------------------------------------------------------------------------

    def resync(self) -> int:
        """Forget the local nonce and read the account's pending count from the node."""
        with self._lock:
            self._nonce = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
            return self._nonce

    def _gas_price_now(self) -> int:
        if self._gas_price is None:
            return int(self.w3.eth.gas_price)
        return self._gas_price

    # --- sending -------------------------------------------------------------------------

    def estimate(self, tx: dict[str, Any], context: str = "", *, again: bool = True) -> int:
        """Gas for ``tx``; a revert is raised as its decoded domain error."""
        call = {"from": self.account.address, **{k: v for k, v in tx.items() if k in ("to", "data", "value")}}
        for key in ("data", "value"):
            if isinstance(call.get(key), bytes):
                call[key] = HexBytes(call[key]).to_0x_hex()
            elif isinstance(call.get(key), int):
                call[key] = hex(call[key])
        resent = self.outbox.rebroadcasts if self.outbox else 0
        response = self.w3.provider.make_request("eth_estimateGas", [call])  # type: ignore[arg-type]
        if "error" in response:
            error = response["error"]
            data = error.get("data") if isinstance(error, dict) else None
            if isinstance(data, dict):  # some clients nest it
                data = data.get("data")
            if data and data != "0x":
                # the revert may have been a lost transaction's absence: estimate again once it is back,
                # whether this recovery sent it again or another thread's did meanwhile (then there was
                # nothing left to recover, but the estimate was made on the state without it)
                recovered = again and self.recover_lost is not None and self.recover_lost()
                if recovered or (again and self.outbox is not None and self.outbox.rebroadcasts != resent):
                    return self.estimate(tx, context, again=False)
                raise self.decoder.decode(data, context=context)
            raise ChainError(
                f"gas estimation failed: {error.get('message', error)}" + (f" ({context})" if context else "")
            )
        return int(str(response["result"]), 16)

    def submit(self, tx: dict[str, Any], *, context: str = "") -> Pending:
        """Sign and send ``tx`` (``to``, ``data``, optional ``value``/``gas``).

        Blocks while the in-flight window is full."""
        gas = int(tx["gas"]) if "gas" in tx else int(self.estimate(tx, context) * GAS_HEADROOM) + 10_000
        self._slots.acquire()
        try:
            with self._lock:
                if self._nonce is None:
                    self._nonce = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
                full = {
                    "to": tx.get("to"),
                    "data": tx.get("data", b""),
                    "value": int(tx.get("value", 0)),
                    "gas": gas,
                    "gasPrice": self._gas_price_now(),
                    "nonce": self._nonce,
                    "chainId": self._chain_id,
                }
                if full["to"] is None:
                    del full["to"]
                signed = self.account.sign_transaction(full)
                tx_hash = HexBytes(signed.hash).to_0x_hex()
                if self.outbox:
                    self.outbox.record(self.address, full["nonce"], tx_hash, signed.raw_transaction, context)
                try:
                    self.w3.eth.send_raw_transaction(signed.raw_transaction)
                except Unavailable:  # the request, or only its answer, was lost
                    self._nonce = None  # resync on next use, unless the node holds it
                    if not self._arrived(HexBytes(signed.hash)):  # Unavailable when it cannot tell
                        raise
                    self._nonce = full["nonce"]
                    log.warning(
                        "the answer to %s was lost; the node holds it", HexBytes(signed.hash).to_0x_hex()
                    )
                except Exception as exc:
                    # The node answered, refusing it; not looked up, since an identical transaction
                    # (same nonce and fields) may be another writer's.
                    self._nonce = None  # resync on next use
                    if self.outbox:
                        self.outbox.mark(tx_hash, ABANDONED)
                    raise ChainError(
                        f"the node refused the transaction: {exc}" + (f" ({context})" if context else "")
                    ) from exc
                self._nonce += 1
            if self.outbox:  # outside the key's lock: the next transaction need not wait for it
                self.outbox.mark(tx_hash, SENT)
        except BaseException:
            self._slots.release()
            raise
        return Pending(tx_hash, full["nonce"], full, context)

    def wait(self, pending: Pending) -> Receipt:
        """Wait for ``pending``'s receipt; a reverted transaction raises its decoded error."""
        try:
            receipt = self._poll_receipt(pending.tx_hash)
        finally:
            self._slots.release()
        if self.outbox:
            self.outbox.mark(pending.tx_hash, MINED, int(receipt["blockNumber"]))
        if int(receipt["status"]) != 1:
            raise self._revert_of(pending, receipt)
        return Receipt(
            tx_hash=pending.tx_hash,
            block_number=int(receipt["blockNumber"]),
            block_hash=HexBytes(receipt["blockHash"]).to_0x_hex(),
            gas_used=int(receipt["gasUsed"]),
            logs=[dict(entry) for entry in receipt["logs"]],
            contract_address=to_checksum_address(receipt["contractAddress"])
            if receipt.get("contractAddress")
            else None,
        )

    def transact(self, tx: dict[str, Any], *, context: str = "") -> Receipt:
        return self.wait(self.submit(tx, context=context))

    def send_many(
        self, txs: Iterable[dict[str, Any]], *, progress: Callable[[int], None] | None = None
    ) -> list[Receipt]:
        """Pipeline many transactions, keeping at most ``window`` in flight; returns receipts in order."""
        in_flight: deque[Pending] = deque()
        receipts: list[Receipt] = []
        for tx in txs:
            if len(in_flight) >= self.window:
                receipts.append(self.wait(in_flight.popleft()))
                if progress:
                    progress(len(receipts))
            in_flight.append(self.submit(tx))
        while in_flight:
            receipts.append(self.wait(in_flight.popleft()))
            if progress:
                progress(len(receipts))
        return receipts

    # --- internals -----------------------------------------------------------------------

    def _arrived(self, tx_hash: HexBytes) -> bool:
        """Whether the node holds ``tx_hash`` although sending it failed in transit.

        Raises ``Unavailable`` when the node cannot say: the transaction may be pending there."""
        try:
            return node_holds(self.w3, tx_hash.to_0x_hex())
        except Unavailable as exc:
            raise Unavailable(
                f"transaction {tx_hash.to_0x_hex()} was sent but the node stopped answering, so whether it "
                "arrived is unknown; retry once the node is back (with the same Idempotency-Key)",
                code="chain_unavailable",
            ) from exc

    def _poll_receipt(self, tx_hash: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.receipt_timeout
        delay = 0.005
        while True:
            try:
                response = self.w3.provider.make_request("eth_getTransactionReceipt", [tx_hash])  # type: ignore[arg-type]
            except Unavailable as exc:
                with self._lock:  # the node may have restarted without it: read the nonce again
                    self._nonce = None
                raise Unavailable(
                    f"transaction {tx_hash} was sent but the node stopped answering before its receipt; "
                    "retry once the node is back (with the same Idempotency-Key)",
                    code="chain_unavailable",
                ) from exc
            result = response.get("result")
            if isinstance(result, dict):
                return {
                    "status": int(result["status"], 16),
                    "blockNumber": int(result["blockNumber"], 16),
                    "blockHash": result["blockHash"],
                    "gasUsed": int(result["gasUsed"], 16),
                    "logs": result["logs"],
                    "contractAddress": result.get("contractAddress"),
                }
            if time.monotonic() > deadline:
                self._nonce = None
                raise ChainError(
                    f"transaction {tx_hash} was not mined within {self.receipt_timeout:.0f}s; "
                    "check that the node is mining, then retry (the sender will resync its nonce)"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def _revert_of(self, pending: Pending, receipt: dict[str, Any]) -> ChainRevert | ChainError:
        """Replay a failed transaction as a call at its block to recover the revert data."""
        call = {
            "from": self.account.address,
            "to": pending.tx.get("to"),
            "data": HexBytes(pending.tx["data"]).to_0x_hex(),
            "value": hex(pending.tx["value"]),
            "gas": hex(pending.tx["gas"]),
        }
        response = self.w3.provider.make_request("eth_call", [call, hex(receipt["blockNumber"] - 1)])  # type: ignore[arg-type]
        error = response.get("error")
        data = error.get("data") if isinstance(error, dict) else None
        if data:
            return self.decoder.decode(data, context=pending.context)
        return ChainError(f"transaction {pending.tx_hash} reverted (out of gas or no reason given)")
