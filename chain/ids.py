"""Deterministic typed ids and salted commitments."""

from __future__ import annotations

import secrets

from eth_abi import encode
from eth_utils import keccak


def org_id(handle: str) -> bytes:
    """OrgId = keccak256(abi.encode("tradeledger.org.v1", handle)); a handle is a short unique name."""
    return keccak(encode(["string", "string"], ["tradeledger.org.v1", handle.strip().lower()]))


def new_salt() -> bytes:
    return secrets.token_bytes(32)


def commitment(value: bytes, salt: bytes) -> bytes:
    """A salted commitment keccak256(abi.encode(salt, value)): hides ``value``, binds to it."""
    if len(salt) != 32:
        raise ValueError("a commitment salt is 32 bytes")
    return keccak(encode(["bytes32", "bytes"], [salt, value]))


def to_hex32(value: bytes) -> str:
    return "0x" + value.hex()


def from_hex32(value: str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes of hex, got {len(raw)}")
    return raw


def number_hash(number: str) -> bytes:
    """keccak256 of a business document number (PO, invoice, receipt), as the contracts key them.

    Surrounding whitespace is ignored; case is kept (``INV-001`` and ``inv-001`` differ in most ERPs).
    """
    return keccak(text=number.strip())
