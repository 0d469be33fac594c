"""Signed sensor readings: EIP-712 typed data, the MQTT payload, and fast verification.

A device signs ``Reading(deviceId, sequence, timestamp, metric, valueMilli, unit, binding)``
under the domain ``tradeledger-iot`` / ``1`` / chain id / DeviceRegistry address, so a
reading is bound to one deployment. Values are integers in thousandths of the unit
(``12.345 kWh`` -> ``12345``); the JSON payload carries the decimal string.

Verification is the ingestion bottleneck: ``ReadingVerifier`` computes the domain
separator and type hash once and recovers the signer with coincurve directly, which
gives the same address as eth-account's generic EIP-712 path several times faster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from coincurve import PublicKey
from eth_abi import encode
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from chain.hashing import keccak256

DOMAIN_NAME = "tradeledger-iot"
DOMAIN_VERSION = "1"
MAX_PAYLOAD_BYTES = 2_048
READING_TYPES = [
    {"name": "deviceId", "type": "bytes32"},
    {"name": "sequence", "type": "uint64"},
    {"name": "timestamp", "type": "uint64"},
    {"name": "metric", "type": "string"},
    {"name": "valueMilli", "type": "int256"},
    {"name": "unit", "type": "string"},
    {"name": "binding", "type": "bytes32"},
]
READING_TYPE = "Reading(" + ",".join(f"{t['type']} {t['name']}" for t in READING_TYPES) + ")"
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class PayloadError(ValueError):
    """A payload that is not a well-formed reading; ``reason`` is the stable rejection code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Reading:
    device_id: bytes
    sequence: int
    timestamp: int  # Unix seconds, UTC
    metric: str
    value_milli: int
    unit: str
    binding: bytes  # the facility or shipment the device is bound to

    def message(self) -> dict[str, Any]:
        return {
            "deviceId": self.device_id,
            "sequence": self.sequence,
            "timestamp": self.timestamp,
            "metric": self.metric,
            "valueMilli": self.value_milli,
            "unit": self.unit,
            "binding": self.binding,
        }

    @property
    def value(self) -> Decimal:
        return Decimal(self.value_milli).scaleb(-3)


@dataclass(frozen=True)
class Domain:
    chain_id: int
    registry: str  # DeviceRegistry address

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.registry),
        }

    @property
    def separator(self) -> bytes:
        return keccak(
            encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [
                    keccak(text=DOMAIN_TYPE),
                    keccak(text=DOMAIN_NAME),
                    keccak(text=DOMAIN_VERSION),
                    self.chain_id,
                    to_checksum_address(self.registry),
                ],
            )
        )


def sign_reading(account: LocalAccount, domain: Domain, reading: Reading) -> bytes:
    """The device's EIP-712 signature (65 bytes, r || s || v) — the standard path, as a wallet would."""
    return bytes(account.sign_message(_typed(domain, reading)).signature)


def recover_slow(domain: Domain, reading: Reading, signature: bytes) -> str:
    """The signer by eth-account's generic EIP-712 path (the reference for ``ReadingVerifier``)."""
    return str(Account.recover_message(_typed(domain, reading), signature=signature))


DOMAIN_TYPES = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def _typed(domain: Domain, reading: Reading) -> SignableMessage:
    types = {"EIP712Domain": DOMAIN_TYPES, "Reading": READING_TYPES}
    message = {
        "types": types,
        "primaryType": "Reading",
        "domain": domain.as_dict(),
        "message": reading.message(),
    }
    return encode_typed_data(full_message=message)


class ReadingVerifier:
    """Recovers reading signers quickly: fixed domain separator and type hash, coincurve recovery.

    The struct is ABI-encoded by hand: every member is one static 32-byte word (the strings as
    their keccak, which is cached: a fleet reports few metrics and units), so the encoding is
    plain byte concatenation, word for word what ``eth_abi.encode`` produces (a test compares them).
    """

    def __init__(self, domain: Domain) -> None:
        self.prefix = b"\x19\x01" + domain.separator
        self.type_hash = keccak(text=READING_TYPE)
        self._text_hashes: dict[str, bytes] = {}

    def _text_hash(self, text: str) -> bytes:
        digest = self._text_hashes.get(text)
        if digest is None:
            digest = keccak256(text.encode())
            if len(self._text_hashes) < 4_096:  # bounded: a payload may carry any string
                self._text_hashes[text] = digest
        return digest

    def digest(self, r: Reading) -> bytes:
        if len(r.device_id) != 32 or len(r.binding) != 32:
            raise PayloadError("malformed", "device and binding must be 32 bytes")
        try:
            words = (
                r.sequence.to_bytes(32, "big"),  # uint64: range checked by parse_payload
                r.timestamp.to_bytes(32, "big"),
                r.value_milli.to_bytes(32, "big", signed=True),  # int256, two's complement
            )
        except OverflowError:
            raise PayloadError("malformed", "a number does not fit its EIP-712 type") from None
        if r.sequence >= 2**64 or r.timestamp >= 2**64:
            raise PayloadError("malformed", "sequence and timestamp are uint64")
        struct = keccak256(
            b"".join(
                (
                    self.type_hash,
                    r.device_id,
                    words[0],
                    words[1],
                    self._text_hash(r.metric),
                    words[2],
                    self._text_hash(r.unit),
                    r.binding,
                )
            )
        )
        return keccak256(self.prefix + struct)

    def recover(self, reading: Reading, signature: bytes) -> str:
        return recover_digest(self.digest(reading), signature)


def recover_digest(digest: bytes, signature: bytes) -> str:
    """The signer of ``digest``, accepting exactly what OpenZeppelin's ``ECDSA.tryRecover`` accepts.

    A signature is 65 bytes ``r || s || v`` with ``v`` 27 or 28 and ``s`` in the lower half of the
    curve order (its malleable twin ``(r, n - s, v ^ 1)`` and the 0/1 form of ``v`` are refused, as
    the contracts refuse them); anything else raises ``PayloadError("bad_signature")``.
    """
    if len(signature) != 65:
        raise PayloadError("bad_signature", "a signature is 65 bytes (r, s, v)")
    v, s = signature[64], int.from_bytes(signature[32:64], "big")
    if v not in (27, 28) or not 0 < s <= SECP256K1_N // 2:  # low s only, as Ethereum requires
        raise PayloadError("bad_signature", "the signature is malformed (v not 27 or 28, or high s)")
    try:
        key = PublicKey.from_signature_and_message(signature[:64] + bytes([v - 27]), digest, hasher=None)
    except Exception as exc:  # coincurve raises plain Exceptions on invalid points
        raise PayloadError("bad_signature", f"the signature does not recover a key: {exc}") from None
    return _address(key.format(compressed=False))


@lru_cache(maxsize=16_384)
def _address(public_key: bytes) -> str:
    """The checksummed address of an uncompressed public key; cached, as a fleet has few signers."""
    return str(to_checksum_address(keccak(public_key[1:])[-20:]))


# --- the MQTT payload ---------------------------------------------------------------------------


def to_payload(reading: Reading, signature: bytes) -> bytes:
    value = format(reading.value.normalize(), "f")
    payload = {
        "device": "0x" + reading.device_id.hex(),
        "seq": reading.sequence,
        "ts": reading.timestamp,
        "metric": reading.metric,
        "value": value,
        "unit": reading.unit,
        "binding": "0x" + reading.binding.hex(),
        "sig": "0x" + signature.hex(),
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def _bytes32(data: dict[str, Any], field: str) -> bytes:
    text = data.get(field)
    if not isinstance(text, str) or len(text) != 66 or not text.startswith("0x"):
        raise PayloadError("malformed", f"{field} must be 0x and 64 hex digits")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise PayloadError("malformed", f"{field} is not hex") from None


def parse_payload(raw: bytes) -> tuple[Reading, bytes]:
    """A reading and its signature from an MQTT payload; ``PayloadError`` names what is wrong."""
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise PayloadError("oversized", f"payload of {len(raw)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise PayloadError("malformed", "the payload is not JSON") from None
    if not isinstance(data, dict):
        raise PayloadError("malformed", "the payload is not a JSON object")
    if "sig" not in data:
        raise PayloadError("unsigned", "the reading carries no signature")
    seq, ts = data.get("seq"), data.get("ts")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**64:
        raise PayloadError("malformed", "seq must be a non-negative integer")
    if not isinstance(ts, int) or isinstance(ts, bool) or not 0 <= ts < 2**64:
        raise PayloadError("malformed", "ts must be Unix seconds")
    metric, unit = data.get("metric"), data.get("unit")
    if (
        not isinstance(metric, str)
        or not isinstance(unit, str)
        or not metric
        or len(metric) > 64
        or len(unit) > 16
    ):
        raise PayloadError("malformed", "metric and unit must be short strings")
    try:
        value = Decimal(str(data.get("value")))
        milli = value.scaleb(3)
        if not value.is_finite() or milli != milli.to_integral_value():
            raise InvalidOperation
    except InvalidOperation:
        raise PayloadError("malformed", "value must be a decimal string with at most 3 decimals") from None
    sig = data["sig"]
    if not isinstance(sig, str) or not sig.startswith("0x"):
        raise PayloadError("bad_signature", "sig must be 0x-hex")
    try:
        signature = bytes.fromhex(sig[2:])
    except ValueError:
        raise PayloadError("bad_signature", "sig is not hex") from None
    reading = Reading(_bytes32(data, "device"), seq, ts, metric, int(milli), unit, _bytes32(data, "binding"))
    return reading, signature
