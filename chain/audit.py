"""Reading the chain as an auditor: an RPC endpoint and a deployment manifest, nothing else.

No keys, no database, no API. ``AuditChain`` opens the deployment read-only and reads event
history in bounded block ranges (``eth_getLogs`` per contract address), decoded with the
manifest's ABIs; ``tradeledger verify`` and ``tradeledger audit check`` build on it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address
from hexbytes import HexBytes

from chain.client import Chain, connect_web3
from chain.config import NetworkSettings
from chain.errors import ChainRevert, ConfigurationError
from chain.events import ChainEvent
from chain.keys import KeyStore
from chain.manifest import Manifest
from chain.trade_contracts import DocumentView


@dataclass(frozen=True)
class Anchor:
    """Where and when an event happened on chain."""

    block: int
    tx_hash: str
    time: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"block": self.block, "tx_hash": self.tx_hash, "time": self.time.isoformat()}


class AuditChain:
    """A read-only view of one deployment, from an RPC URL and its manifest."""

    def __init__(self, rpc_url: str, manifest: Manifest, *, batch_blocks: int = 5_000) -> None:
        w3 = connect_web3(rpc_url)
        if int(w3.eth.chain_id) != manifest.chain_id:
            raise ConfigurationError(
                f"the node at {rpc_url} is chain {int(w3.eth.chain_id)}, the manifest is for chain "
                f"{manifest.chain_id}; point --rpc at the network the manifest describes"
            )
        network = NetworkSettings(
            name=manifest.network,
            kind="external",
            host=rpc_url,
            chain_id=manifest.chain_id,
            gas_price=None,
            confirmations=0,
            governance_delay=0,
        )
        # an auditor holds no keys: an empty keystore in a throwaway folder, never written
        keys = KeyStore(Path(tempfile.gettempdir()) / "tradeledger-audit-no-keys", "read-only")
        self.chain = Chain(w3, network, keys, manifest=manifest, artifacts={})
        self.manifest = manifest
        self.decoder = self.chain.event_decoder()
        self.batch_blocks = batch_blocks
        self._logs: dict[str, list[ChainEvent]] = {}
        self.block_time = cache(self._block_time)

    @property
    def head(self) -> int:
        return int(self.chain.w3.eth.block_number)

    def _block_time(self, block: int) -> datetime:
        return datetime.fromtimestamp(int(self.chain.w3.eth.get_block(block)["timestamp"]), UTC)

    def anchor(self, event: ChainEvent) -> Anchor:
        return Anchor(event.block_number, event.tx_hash, self.block_time(event.block_number))

    def events(self, contract: str, names: Iterable[str] | None = None) -> list[ChainEvent]:
        """Every event of ``contract`` from its deployment block to the head (read once, then cached)."""
        if contract not in self._logs:
            record = self.manifest.record(contract)
            found: list[ChainEvent] = []
            start, head = record.block, self.head
            while start <= head:
                end = min(start + self.batch_blocks - 1, head)
                logs = self.chain.w3.eth.get_logs(
                    {"address": to_checksum_address(record.address), "fromBlock": start, "toBlock": end}
                )
                found += [e for e in (self.decoder.decode(dict(log)) for log in logs) if e is not None]
                start = end + 1
            self._logs[contract] = found
        wanted = set(names) if names is not None else None
        return [e for e in self._logs[contract] if wanted is None or e.name in wanted]

    def events_of_tx(self, tx_hash: str) -> list[ChainEvent]:
        """The events a transaction emitted, straight from its receipt."""
        receipt = self.chain.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        return [e for e in (self.decoder.decode(dict(log)) for log in receipt["logs"]) if e is not None]

    # --- documents ----------------------------------------------------------------------------

    def document(self, doc_id: bytes) -> DocumentView | None:
        try:
            return self.chain.documents().document(doc_id)
        except ChainRevert as exc:
            if exc.error == "DocumentUnknown":
                return None
            raise

    def anchored_event(self, doc_id: bytes) -> ChainEvent | None:
        hexid = "0x" + doc_id.hex()
        return next(
            (e for e in self.events("DocumentRegistry", ["DocumentAnchored"]) if e.args["id"] == hexid), None
        )

    def anchors_of_commitment(self, commitment: bytes) -> list[ChainEvent]:
        digest = "0x" + commitment.hex()
        return [
            e for e in self.events("DocumentRegistry", ["DocumentAnchored"]) if e.args["commitment"] == digest
        ]

    def versions(self, doc_id: bytes) -> list[DocumentView]:
        """Every version of the document ``doc_id`` belongs to, first to latest."""
        view = self.document(doc_id)
        if view is None:
            return []
        chain = [view]
        while chain[0].previous != bytes(32):
            earlier = self.document(chain[0].previous)
            if earlier is None:
                break
            chain.insert(0, earlier)
        while chain[-1].superseded_by != bytes(32):
            later = self.document(chain[-1].superseded_by)
            if later is None:
                break
            chain.append(later)
        return chain

    def order_exists(self, order: bytes) -> bool:
        try:
            self.chain.orders().order(order)
        except ChainRevert as exc:
            if exc.error == "PurchaseOrderUnknown":
                return False
            raise
        return True

    # --- organisations ------------------------------------------------------------------------

    def organisation_name(self, org: bytes) -> str:
        if org == bytes(32):
            return "—"
        try:
            return self.chain.participants().organisation(org).name
        except ChainRevert:
            return "0x" + org.hex()

    def organisation_role(self, org: bytes) -> str:
        try:
            return self.chain.participants().organisation(org).role.name.lower()
        except ChainRevert:
            return "none"
