"""Typed wrapper of CustomsAttestations: declaration statuses final at k of n customs oracles.

A customs oracle operator signs a :class:`CustomsAttestation` (EIP-712, bound to the chain id
and the contract address) with :func:`sign_attestation`; any active member relays it with
:meth:`CustomsAttestationsContract.attest`. The contract finalises a status when k operator
organisations agree on its content commitment and time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address

from chain.contracts import BoundContract
from chain.sender import Receipt

EIP712_NAME = "tradeledger CustomsAttestations"
EIP712_VERSION = "1"
ATTESTATION_TYPE = [
    {"name": "operator", "type": "address"},
    {"name": "declarationId", "type": "bytes32"},
    {"name": "status", "type": "uint8"},
    {"name": "contentCommitment", "type": "bytes32"},
    {"name": "statusAt", "type": "uint64"},
    {"name": "deadline", "type": "uint64"},
]


class DeclarationStatus(IntEnum):
    """``ICustomsAttestations.DeclarationStatus`` (same order: the order of the customs procedure)."""

    NONE = 0
    DECLARED = 1
    INSPECTED = 2
    RELEASED = 3
    CLEARED = 4


@dataclass(frozen=True)
class CustomsAttestation:
    """What an operator signs: ``CustomsAttestation`` in the contract's EIP-712 domain."""

    operator: str  # the signing account, an account of a customs oracle organisation
    declaration_id: bytes  # declaration_id(office, number)
    status: DeclarationStatus
    content_commitment: bytes  # salted commitment to the declaration's content (32 bytes)
    status_at: int  # when customs set the status, Unix seconds
    deadline: int  # the last block timestamp at which it may be recorded

    def as_tuple(self) -> tuple[ChecksumAddress, bytes, int, bytes, int, int]:
        """The ABI tuple of ``ICustomsAttestations.Attestation``."""
        return (
            to_checksum_address(self.operator),
            self.declaration_id,
            int(self.status),
            self.content_commitment,
            self.status_at,
            self.deadline,
        )


@dataclass(frozen=True)
class DeclarationState:
    """A declaration's highest finalised status (``NONE`` and zeros while nothing is final)."""

    status: DeclarationStatus
    content_commitment: bytes
    status_at: int
    finalised_at: int
    conflicted: bool


@dataclass(frozen=True)
class Finalisation:
    """How one status of a declaration was finalised (zeros while it is not)."""

    content_commitment: bytes
    status_at: int
    finalised_at: int
    count: int


def declaration_id(office: str, number: str) -> bytes:
    """keccak256(abi.encode("tradeledger.customs.v1", office, number)), as the contract computes it.

    The strings are hashed exactly as given (no trimming or case folding): pass their canonical form.
    """
    return keccak(encode(["string", "string", "string"], ["tradeledger.customs.v1", office, number]))


def _typed_data(chain_id: int, contract_address: str, att: CustomsAttestation) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "CustomsAttestation": ATTESTATION_TYPE,
        },
        "primaryType": "CustomsAttestation",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(contract_address),
        },
        "message": {
            "operator": to_checksum_address(att.operator),
            "declarationId": att.declaration_id,
            "status": int(att.status),
            "contentCommitment": att.content_commitment,
            "statusAt": att.status_at,
            "deadline": att.deadline,
        },
    }


def _signable(chain_id: int, contract_address: str, att: CustomsAttestation) -> SignableMessage:
    return encode_typed_data(full_message=_typed_data(chain_id, contract_address, att))


def attestation_digest(chain_id: int, contract_address: str, att: CustomsAttestation) -> bytes:
    """The EIP-712 digest of ``att`` (equals the contract's ``attestationDigest``)."""
    msg = _signable(chain_id, contract_address, att)
    return keccak(b"\x19" + msg.version + msg.header + msg.body)


def sign_attestation(
    private_key: bytes | str, chain_id: int, contract_address: str, att: CustomsAttestation
) -> bytes:
    """The operator's 65-byte signature (r, s, v; low s) of ``att`` for one contract on one chain."""
    signed = Account.sign_message(_signable(chain_id, contract_address, att), private_key)
    return bytes(signed.signature)


# Another operator's vote can be included between this one's gas estimate and its inclusion and make
# this the vote that finalises a status (or records a conflict), which writes more than the estimate
# saw; each attestation gets this much gas on top of its estimate.
OUTRUN_MARGIN = 150_000


class CustomsAttestationsContract(BoundContract):
    def attest(self, att: CustomsAttestation, signature: bytes) -> Receipt:
        """Relay one signed attestation (the bound sender must be an active member)."""
        return self._transact_with_margin("attest", att.as_tuple(), signature)

    def attest_many(self, attestations: list[CustomsAttestation], signatures: list[bytes]) -> Receipt:
        """Relay several signed attestations in one transaction; all or nothing."""
        return self._transact_with_margin(
            "attestMany", [a.as_tuple() for a in attestations], signatures, votes=len(attestations)
        )

    def _transact_with_margin(self, fn: str, *args: Any, votes: int = 1) -> Receipt:
        if self.sender is None:
            return self.transact(fn, *args)  # raises the usual "needs a signing key"
        estimate = self.sender.estimate(self.tx(fn, *args), f"{self.name}.{fn}")
        return self.transact(fn, *args, gas=estimate + OUTRUN_MARGIN * votes)

    def declaration(self, declaration: bytes) -> DeclarationState:
        status, commitment, status_at, finalised_at, conflicted = self.call("declaration", declaration)
        return DeclarationState(
            DeclarationStatus(status), bytes(commitment), int(status_at), int(finalised_at), bool(conflicted)
        )

    def finalisation(self, declaration: bytes, status: DeclarationStatus) -> Finalisation:
        commitment, status_at, finalised_at, count = self.call("finalisation", declaration, int(status))
        return Finalisation(bytes(commitment), int(status_at), int(finalised_at), int(count))

    def tally(
        self, declaration: bytes, status: DeclarationStatus, content_commitment: bytes, status_at: int
    ) -> int:
        return int(self.call("tally", declaration, int(status), content_commitment, status_at))

    def has_attested(self, declaration: bytes, status: DeclarationStatus, org: bytes) -> bool:
        return bool(self.call("hasAttested", declaration, int(status), org))

    def threshold(self) -> int:
        return int(self.call("threshold"))

    def attestation_digest(self, att: CustomsAttestation) -> bytes:
        return bytes(self.call("attestationDigest", att.as_tuple()))

    def declaration_id(self, office: str, number: str) -> bytes:
        """The contract's own ``declarationId`` (see the module function for the same, off chain)."""
        return bytes(self.call("declarationId", office, number))
