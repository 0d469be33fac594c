"""CIDs with sha2-256 multihashes, and the unsigned varints (LEB128) that encode them.

We write CIDv1 only (printed in base32, ``bafk…`` for raw blocks, ``bafy…`` for dag-pb); CIDv0
(``Qm…``, dag-pb, base58btc) is read so that blocks from older kubo DAGs can be addressed.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from chain.docstore.errors import InvalidCid

RAW = 0x55
DAG_PB = 0x70
SHA2_256 = 0x12
SHA2_256_LENGTH = 32
CODECS = {RAW: "raw", DAG_PB: "dag-pb"}

_MAX_VARINT_BYTES = 9  # multiformats caps unsigned varints at 2**63 - 1
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def encode_varint(value: int) -> bytes:
    """``value`` as an unsigned LEB128 varint (protobuf, multiformats and CAR all use it)."""
    if value < 0:
        raise ValueError(f"varints are unsigned, got {value}")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(buf: bytes | memoryview, offset: int = 0) -> tuple[int, int]:
    """The varint at ``offset`` and the offset after it; ``ValueError`` if truncated or too long."""
    value = 0
    for i in range(_MAX_VARINT_BYTES):
        if offset + i >= len(buf):
            raise ValueError(f"truncated varint at offset {offset}")
        byte = buf[offset + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise ValueError(f"non-minimal varint at offset {offset}")
            return value, offset + i + 1
    raise ValueError(f"varint longer than {_MAX_VARINT_BYTES} bytes at offset {offset}")


@dataclass(frozen=True, slots=True)
class Cid:
    """A content identifier: version, codec (raw or dag-pb) and a sha2-256 digest."""

    version: int
    codec: int
    digest: bytes

    def __post_init__(self) -> None:
        if self.version not in (0, 1):
            raise InvalidCid(f"CID version {self.version} is not supported (only 0 and 1)")
        if self.codec not in CODECS:
            raise InvalidCid(
                f"CID codec 0x{self.codec:x} is not supported; documents are raw (0x55) or dag-pb (0x70)"
            )
        if self.version == 0 and self.codec != DAG_PB:
            raise InvalidCid("a CIDv0 is always dag-pb")
        if len(self.digest) != SHA2_256_LENGTH:
            raise InvalidCid(f"a sha2-256 digest has 32 bytes, got {len(self.digest)}")

    @classmethod
    def of(cls, codec: int, block: bytes) -> Cid:
        """The CIDv1 of ``block`` under ``codec``."""
        return cls(1, codec, hashlib.sha256(block).digest())

    def matches(self, block: bytes) -> bool:
        """Whether ``block`` hashes to this CID."""
        return hashlib.sha256(block).digest() == self.digest

    @property
    def multihash(self) -> bytes:
        return bytes([SHA2_256, SHA2_256_LENGTH]) + self.digest

    def to_bytes(self) -> bytes:
        """The binary form (what dag-pb links and CAR sections hold)."""
        if self.version == 0:
            return self.multihash
        return encode_varint(1) + encode_varint(self.codec) + self.multihash

    def __str__(self) -> str:
        if self.version == 0:
            return _b58encode(self.multihash)
        return "b" + base64.b32encode(self.to_bytes()).decode("ascii").rstrip("=").lower()

    def __repr__(self) -> str:
        return f"Cid({self})"

    @classmethod
    def parse(cls, text: str) -> Cid:
        """A CID from its string form: CIDv1 in base32 (``b…``) or base58btc (``z…``), or CIDv0 (``Qm…``)."""
        if not isinstance(text, str) or not text:
            raise InvalidCid(f"not a CID: {text!r}")
        try:
            if text.startswith("Qm") and len(text) == 46:
                raw = _b58decode(text)
            elif text[0] == "b":
                body = text[1:].upper()
                raw = base64.b32decode(body + "=" * (-len(body) % 8))
            elif text[0] == "z":
                raw = _b58decode(text[1:])
            else:
                raise ValueError("expected CIDv1 in base32 (b…) or base58btc (z…), or CIDv0 (Qm…)")
        except ValueError as exc:
            raise InvalidCid(f"not a CID: {text!r} ({exc})") from exc
        cid, end = cls.from_bytes(raw)
        if end != len(raw):
            raise InvalidCid(f"trailing bytes after the CID in {text!r}")
        canonical = str(cid) if text[0] != "z" else "z" + _b58encode(cid.to_bytes())
        if canonical != text:
            raise InvalidCid(f"not the canonical form of a CID: {text!r} (expected {canonical})")
        return cid

    @classmethod
    def from_bytes(cls, buf: bytes | memoryview, offset: int = 0) -> tuple[Cid, int]:
        """The binary CID at ``offset`` and the offset after it."""
        try:
            if buf[offset : offset + 2] == bytes([SHA2_256, SHA2_256_LENGTH]):
                end = offset + 2 + SHA2_256_LENGTH
                if end > len(buf):
                    raise ValueError("truncated CIDv0")
                return cls(0, DAG_PB, bytes(buf[offset + 2 : end])), end
            version, pos = decode_varint(buf, offset)
            if version != 1:
                raise InvalidCid(f"CID version {version} is not supported")
            codec, pos = decode_varint(buf, pos)
            hash_code, pos = decode_varint(buf, pos)
            length, pos = decode_varint(buf, pos)
        except ValueError as exc:
            raise InvalidCid(f"malformed binary CID: {exc}") from exc
        if hash_code != SHA2_256 or length != SHA2_256_LENGTH:
            raise InvalidCid(f"multihash 0x{hash_code:x}/{length} is not supported; only sha2-256")
        if pos + length > len(buf):
            raise InvalidCid("malformed binary CID: truncated digest")
        return cls(1, codec, bytes(buf[pos : pos + length])), pos + length


def _b58encode(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = _B58_ALPHABET[rem] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not base58btc")
        number = number * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
