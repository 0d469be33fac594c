"""``Chain``: one connection to the EVM with its manifest, keys and senders."""

from __future__ import annotations

import threading
import time
from functools import cached_property
from typing import Any, TypeVar

import requests
from web3 import HTTPProvider, Web3
from web3.providers.rpc.utils import (
    REQUEST_RETRY_ALLOWLIST,
    ExceptionRetryConfiguration,
    check_if_retry_on_failure,
)
from web3.types import RPCEndpoint

from chain.carbon_contracts import CarbonCreditsContract, CarbonLedgerContract, DeviceRegistryContract
from chain.compiler import Artifact, build_dir, load_artifacts
from chain.config import NetworkSettings, rpc_timeout
from chain.contracts import BoundContract, DualControlContract, ParticipantsContract
from chain.credit_contracts import LettersOfCreditContract
from chain.customs_contracts import CustomsAttestationsContract
from chain.errors import ChainError, ConfigurationError, Unavailable
from chain.events import EventDecoder
from chain.keys import KeyStore
from chain.manifest import Manifest, load_manifest
from chain.outbox import Outbox, wait_mined
from chain.reverts import ErrorDecoder
from chain.sender import Sender
from chain.trade_contracts import (
    DocumentRegistryContract,
    FinancingContract,
    PurchaseOrdersContract,
    ReceivablesContract,
    SettlementTokenContract,
)

# Key names in the keystore.
DEPLOYER = "deployer"
OPERATOR = "operator"
OFFICERS = ("officer-1", "officer-2")

W = TypeVar("W", bound=BoundContract)

# Contract name -> its typed wrapper.
WRAPPERS: dict[str, type[BoundContract]] = {
    "Participants": ParticipantsContract,
    "DualControl": DualControlContract,
    "DocumentRegistry": DocumentRegistryContract,
    "PurchaseOrders": PurchaseOrdersContract,
    "Receivables": ReceivablesContract,
    "SettlementToken": SettlementTokenContract,
    "Financing": FinancingContract,
    "DeviceRegistry": DeviceRegistryContract,
    "CarbonLedger": CarbonLedgerContract,
    "CarbonCredits": CarbonCreditsContract,
    "CustomsAttestations": CustomsAttestationsContract,
}


def org_key_name(org: bytes) -> str:
    return f"org-0x{org.hex()}"


RETRIED = [method for method in REQUEST_RETRY_ALLOWLIST if method != "eth_sendRawTransaction"]


class NodeProvider(HTTPProvider):
    """web3's HTTP provider whose transport failures (refused, reset, timed out) raise ``Unavailable``
    (503 ``chain_unavailable``) instead of a bare ``requests`` exception.

    Each call is bounded by ``TRADELEDGER_RPC_TIMEOUT``. Reads are retried on a refused or reset
    connection, not after a timeout: a node that did not answer in time is not asked again, so a
    blackholed node costs one timeout. A send is never retried here (web3 would resend it, and a lost
    answer would come back as "nonce too low"): ``Sender`` looks the transaction up by its hash instead.
    """

    def __init__(self, url: str) -> None:
        super().__init__(
            url,
            cache_allowed_requests=True,
            request_kwargs={"timeout": rpc_timeout()},
            exception_retry_configuration=ExceptionRetryConfiguration(
                errors=(requests.ConnectionError, requests.HTTPError), method_allowlist=RETRIED
            ),
        )

    def _make_request(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        try:
            return super()._make_request(method, request_data)
        except requests.RequestException as exc:
            raise self._unavailable(method, exc) from exc

    def make_batch_request(self, batch_requests: list[tuple[RPCEndpoint, Any]]) -> Any:
        """web3's JSON-RPC batch, retried as single reads are (a refused or reset connection, with the same
        backoff) when every call in it is one web3 retries: a node restarting is waited for, briefly."""
        retry = self.exception_retry_configuration
        reads = retry is not None and all(
            check_if_retry_on_failure(m, retry.method_allowlist) for m, _ in batch_requests
        )
        attempts = max(1, retry.retries) if retry is not None and reads else 1
        for attempt in range(attempts):
            try:
                return super().make_batch_request(batch_requests)
            except requests.RequestException as exc:
                retried = retry is not None and isinstance(exc, tuple(retry.errors))
                if retry is None or not retried or attempt == attempts - 1:
                    raise self._unavailable(f"a batch of {len(batch_requests)} calls", exc) from exc
                time.sleep(retry.backoff_factor * 2**attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _unavailable(self, what: str, exc: Exception) -> Unavailable:
        return Unavailable(
            f"the chain node at {self.endpoint_uri} did not answer {what} ({type(exc).__name__}); "
            "retry once it is reachable",
            code="chain_unavailable",
        )


def connect_web3(url: str) -> Web3:
    w3 = Web3(NodeProvider(url))
    try:
        w3.eth.chain_id  # noqa: B018 - fail fast with a clear message
    except Exception as exc:
        raise ChainError(f"cannot reach the chain at {url}: {exc}; is the node running?") from exc
    return w3


class Chain:
    def __init__(
        self,
        w3: Web3,
        network: NetworkSettings,
        keystore: KeyStore,
        *,
        manifest: Manifest | None = None,
        artifacts: dict[str, Artifact] | None = None,
    ) -> None:
        self.w3 = w3
        self.network = network
        self.keystore = keystore
        self.manifest = manifest
        self.artifacts = artifacts if artifacts is not None else load_artifacts(build_dir())
        self._senders: dict[str, Sender] = {}
        self._senders_lock = threading.Lock()  # one sender per key, also when API threads ask at once
        self.outbox: Outbox | None = None  # journal every signed transaction (the processes that run long)

    @classmethod
    def connect(cls, url: str, network: NetworkSettings, keystore: KeyStore, *, load: bool = True) -> Chain:
        w3 = connect_web3(url)
        chain = cls(w3, network, keystore)
        if network.chain_id is not None and chain.chain_id != network.chain_id:
            raise ConfigurationError(
                f"network {network.name!r} expects chain id {network.chain_id}, "
                f"the node at {url} is {chain.chain_id}"
            )
        if load:
            chain.manifest = load_manifest(chain.chain_id)
        return chain

    @cached_property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    @cached_property
    def decoder(self) -> ErrorDecoder:
        abis: list[list[dict[str, Any]]] = [a.abi for a in self.artifacts.values()]
        if self.manifest:
            abis += [r.abi for r in self.manifest.contracts.values()]
        return ErrorDecoder(abis)

    def sender(self, key: str) -> Sender:
        with self._senders_lock:  # two senders of one key would hand out the same nonces
            if key not in self._senders:
                account = self.keystore.load(key)
                if self.outbox:  # before this process signs anything for the account: what the node lost
                    self.outbox.recover(self.w3, abandon=[account.address])
                self._senders[key] = Sender(
                    self.w3,
                    account,
                    self.decoder,
                    gas_price=self.network.gas_price,
                    outbox=self.outbox,
                    recover_lost=self.recover_lost,
                )
            return self._senders[key]

    def journal(self, outbox: Outbox) -> None:
        """Journal every transaction this connection signs from now on (``chain/outbox.py``)."""
        with self._senders_lock:
            self.outbox = outbox
            outbox.recover(self.w3, abandon=[s.address for s in self._senders.values()])
            for sender in self._senders.values():
                sender.outbox = outbox

    def catch_up_lost(self) -> None:
        """Before a write: if the node lost journaled transactions (it restarted from an older state),
        send them again and wait for them first, so the write sees every acknowledged effect."""
        if self.outbox is not None and self.outbox.lost(self.w3):
            self.recover_lost()

    def recover_lost(self, wait: float = 10.0) -> bool:
        """Send again what the node lost, and wait until it and whatever of ours is still pending is
        mined; True if there was any (a revert may have been its absence: the sender estimates again)."""
        if self.outbox is None:
            return False
        unmined = self.outbox.unmined(self.w3)
        if not unmined:
            return False
        self.outbox.recover(self.w3)
        deadline = time.monotonic() + wait
        for row in unmined:
            wait_mined(self.w3, row.tx_hash, deadline - time.monotonic())
        return True

    def watch_outbox(self, stop: threading.Event) -> None:
        """Send again what the node loses (of every process journaling in this database) until ``stop``."""
        if self.outbox is None:
            raise ConfigurationError("watch_outbox needs an outbox: call journal() first")
        self.outbox.watch(self.w3, stop)

    def resync_senders(self) -> None:
        """Re-read every sender's nonce (after a node restart or a snapshot revert)."""
        for sender in self._senders.values():
            sender.resync()

    def require_manifest(self) -> Manifest:
        if self.manifest is None:
            raise ConfigurationError(
                f"nothing is deployed on chain {self.chain_id} yet; run `tradeledger deploy`"
            )
        return self.manifest

    def contract(self, name: str, as_key: str | None = None, wrapper: type[W] | None = None) -> W:
        record = self.require_manifest().record(name)
        cls = wrapper or WRAPPERS.get(name, BoundContract)
        bound = cls(
            self.w3, name, record.address, record.abi, self.decoder, self.sender(as_key) if as_key else None
        )
        return bound  # type: ignore[return-value]

    def participants(self, as_key: str | None = None) -> ParticipantsContract:
        return self.contract("Participants", as_key, ParticipantsContract)

    def dual_control(self, as_key: str | None = None) -> DualControlContract:
        return self.contract("DualControl", as_key, DualControlContract)

    def documents(self, as_key: str | None = None) -> DocumentRegistryContract:
        return self.contract("DocumentRegistry", as_key, DocumentRegistryContract)

    def orders(self, as_key: str | None = None) -> PurchaseOrdersContract:
        return self.contract("PurchaseOrders", as_key, PurchaseOrdersContract)

    def receivables(self, as_key: str | None = None) -> ReceivablesContract:
        return self.contract("Receivables", as_key, ReceivablesContract)

    def settlement_token(self, as_key: str | None = None) -> SettlementTokenContract:
        return self.contract("SettlementToken", as_key, SettlementTokenContract)

    def financing(self, as_key: str | None = None) -> FinancingContract:
        return self.contract("Financing", as_key, FinancingContract)

    def devices(self, as_key: str | None = None) -> DeviceRegistryContract:
        return self.contract("DeviceRegistry", as_key, DeviceRegistryContract)

    def carbon(self, as_key: str | None = None) -> CarbonLedgerContract:
        return self.contract("CarbonLedger", as_key, CarbonLedgerContract)

    def credits(self, as_key: str | None = None) -> CarbonCreditsContract:
        return self.contract("CarbonCredits", as_key, CarbonCreditsContract)

    def letters_of_credit(self, as_key: str | None = None) -> LettersOfCreditContract:
        return self.contract("LettersOfCredit", as_key, LettersOfCreditContract)

    def customs(self, as_key: str | None = None) -> CustomsAttestationsContract:
        return self.contract("CustomsAttestations", as_key, CustomsAttestationsContract)

    def access_manager(self, as_key: str | None = None) -> BoundContract:
        return self.contract("AccessManager", as_key, BoundContract)

    def event_decoder(self) -> EventDecoder:
        manifest = self.require_manifest()
        return EventDecoder({name: (r.address, r.abi) for name, r in manifest.contracts.items()})
