"""Typed wrappers over the contract ABIs.

``BoundContract`` encodes calls, sends them through a :class:`Sender` and turns
reverts into the exception tree; the subclasses give each business contract
readable methods (``participants.suspend_organisation(org)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Self

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from chain.errors import ChainError, ConfigurationError
from chain.events import ChainEvent, EventDecoder
from chain.policy import OrgRole
from chain.reverts import ErrorDecoder
from chain.sender import Receipt, Sender


class BoundContract:
    """A deployed contract, optionally bound to the sender that signs its writes."""

    def __init__(
        self,
        w3: Web3,
        name: str,
        address: str,
        abi: list[dict[str, Any]],
        decoder: ErrorDecoder,
        sender: Sender | None = None,
    ) -> None:
        self.w3 = w3
        self.name = name
        self.address = to_checksum_address(address)
        self.abi = abi
        self.decoder = decoder
        self.sender = sender
        self._contract = _web3_contract(w3, self.address, abi)

    def as_(self, sender: Sender) -> Self:
        """The same contract, writing as ``sender``."""
        return type(self)(self.w3, self.name, self.address, self.abi, self.decoder, sender)

    def encode(self, fn: str, *args: Any) -> bytes:
        return bytes(HexBytes(self._contract.encode_abi(fn, args=list(args))))

    def tx(self, fn: str, *args: Any) -> dict[str, Any]:
        return {"to": self.address, "data": self.encode(fn, *args)}

    def call(self, fn: str, *args: Any, block: Literal["latest", "pending"] = "latest") -> Any:
        """A read of ``fn``; ``block="pending"`` also sees transactions the node holds but has not mined."""
        try:
            return self._contract.functions[fn](*args).call(block_identifier=block)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            data = exc.data if isinstance(exc.data, str) else None
            raise self.decoder.decode(data, context=f"{self.name}.{fn}") from exc

    def transact(self, fn: str, *args: Any, gas: int | None = None) -> Receipt:
        if self.sender is None:
            raise ConfigurationError(f"{self.name}.{fn} needs a signing key; bind one with .as_(sender)")
        tx = self.tx(fn, *args)
        if gas is not None:
            tx["gas"] = gas
        return self.sender.transact(tx, context=f"{self.name}.{fn}")

    def events(self, receipt: Receipt, name: str | None = None) -> list[ChainEvent]:
        decoder = EventDecoder({self.name: (self.address, self.abi)})
        found = [e for e in map(decoder.decode, receipt.logs) if e is not None]
        return [e for e in found if name is None or e.name == name]

    def event(self, receipt: Receipt, name: str) -> ChainEvent:
        found = self.events(receipt, name)
        if len(found) != 1:
            raise ChainError(f"expected one {name} event from {self.name}, found {len(found)}")
        return found[0]


def _ts(value: int) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


@dataclass(frozen=True)
class OrganisationView:
    id: bytes
    role: OrgRole
    status: str  # "active" | "suspended"
    registered_at: datetime
    legal_id_commitment: bytes
    name: str


ORG_STATUS = {0: "none", 1: "active", 2: "suspended"}
OPERATION_STATUS = {0: "none", 1: "pending", 2: "executed", 3: "cancelled"}


class ParticipantsContract(BoundContract):
    def register_organisation(
        self, org: bytes, name: str, role: OrgRole, legal_id_commitment: bytes, accounts: list[str]
    ) -> Receipt:
        return self.transact("registerOrganisation", org, name, int(role), legal_id_commitment, accounts)

    def suspend_organisation(self, org: bytes) -> Receipt:
        return self.transact("suspendOrganisation", org)

    def add_account(self, account: str) -> Receipt:
        return self.transact("addAccount", account)

    def remove_account(self, account: str) -> Receipt:
        return self.transact("removeAccount", account)

    def update_legal_id_commitment(self, commitment: bytes) -> Receipt:
        return self.transact("updateLegalIdCommitment", commitment)

    def organisation(self, org: bytes) -> OrganisationView:
        role, status, registered_at, commitment, name = self.call("organisation", org)
        return OrganisationView(
            org, OrgRole(role), ORG_STATUS[status], _ts(registered_at), bytes(commitment), name
        )

    def org_of(self, account: str) -> bytes:
        return bytes(self.call("orgOf", account))

    def accounts_of(self, org: bytes) -> list[str]:
        return [to_checksum_address(a) for a in self.call("accountsOf", org)]

    def is_active_member(self, account: str) -> bool:
        return bool(self.call("isActiveMember", account))


@dataclass(frozen=True)
class OperationView:
    id: bytes
    target: str
    data: bytes
    proposer: str
    proposed_at: int
    ready_at: int
    approvals: int
    status: str


class DualControlContract(BoundContract):
    def propose(self, target: str, data: bytes, salt: bytes) -> tuple[bytes, Receipt]:
        receipt = self.transact("propose", target, data, salt)
        return bytes(HexBytes(self.event(receipt, "OperationProposed").args["id"])), receipt

    def approve(self, op: bytes) -> Receipt:
        return self.transact("approve", op)

    def execute(self, op: bytes) -> Receipt:
        return self.transact("execute", op)

    def cancel(self, op: bytes) -> Receipt:
        return self.transact("cancel", op)

    def operation(self, op: bytes) -> OperationView:
        target, data, proposer, proposed_at, ready_at, approvals, status = self.call("operation", op)
        return OperationView(
            op, target, bytes(data), proposer, proposed_at, ready_at, approvals, OPERATION_STATUS[status]
        )

    def threshold(self) -> int:
        return int(self.call("threshold"))

    def execution_delay(self) -> int:
        return int(self.call("executionDelay"))


# web3's contract objects, made once per node connection, address and ABI: making one works through the
# whole ABI, and services bind a contract per call (it was a fifth of an API write's CPU)
_CONTRACTS: dict[tuple[int, str, int], tuple[Web3, list[dict[str, Any]], Contract]] = {}
_CONTRACTS_MAX = 512


def _web3_contract(w3: Web3, address: ChecksumAddress, abi: list[dict[str, Any]]) -> Contract:
    key = (id(w3), address, id(abi))  # the entry holds w3 and abi, so neither id is reused meanwhile
    known = _CONTRACTS.get(key)
    if known is not None:
        return known[2]
    if len(_CONTRACTS) >= _CONTRACTS_MAX:  # many short-lived connections (tests): start again
        _CONTRACTS.clear()
    contract = w3.eth.contract(address=address, abi=abi)
    _CONTRACTS[key] = (w3, abi, contract)
    return contract
