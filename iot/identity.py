"""Device identity: a secp256k1 key per device in an encrypted keystore, and deterministic device ids."""

from __future__ import annotations

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from chain.keys import KeyStore


def device_id(owner: bytes, serial: str) -> bytes:
    """``keccak256(abi.encode("tradeledger.device.v1", owner, serial))``: the same serial, the same id."""
    return keccak(encode(["string", "bytes32", "string"], ["tradeledger.device.v1", owner, serial.strip()]))


def key_name(device: bytes, generation: int = 0) -> str:
    """Keystore name of a device key; each rotation is a new generation (the old key stays on file)."""
    return f"device-0x{device.hex()}-{generation}"


def device_key(store: KeyStore, device: bytes, generation: int = 0) -> LocalAccount:
    return store.get_or_create(key_name(device, generation))
