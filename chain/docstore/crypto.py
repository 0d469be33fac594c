"""AES-256-GCM for documents: one fresh key per document, kept at rest wrapped by a master key.

Envelope of a sealed document (``seal``), and of a wrapped key (``wrap_key``)::

    magic (4 bytes: b"TLSD" sealed document, b"TLWK" wrapped key) | version (1 byte: 1)
    | nonce (12 random bytes) | AES-256-GCM ciphertext || 16-byte tag

The associated data is the caller's ``aad`` alone (the document id), so anyone holding the
key opens the envelope with any standard AES-GCM tool: key, nonce = bytes 5..17, the rest as
ciphertext||tag, and the document id as associated data.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chain.docstore.errors import DecryptionFailed, SealedDocumentInvalid

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
VERSION = 1
SEALED_MAGIC = b"TLSD"
WRAPPED_MAGIC = b"TLWK"
_HEADER_SIZE = len(SEALED_MAGIC) + 1 + NONCE_SIZE


def _check_key(key: bytes, what: str) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        size = len(key) if isinstance(key, bytes | bytearray) else type(key).__name__
        raise ValueError(f"{what} must be {KEY_SIZE} bytes (AES-256), got {size}")


def _encrypt(magic: bytes, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_SIZE)
    return magic + bytes([VERSION]) + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _decrypt(magic: bytes, what: str, key: bytes, envelope: bytes, aad: bytes) -> bytes:
    if len(envelope) < _HEADER_SIZE + TAG_SIZE or envelope[: len(magic)] != magic:
        raise SealedDocumentInvalid(f"these {len(envelope)} bytes are not a {what} (no {magic!r} header)")
    version = envelope[len(magic)]
    if version != VERSION:
        raise SealedDocumentInvalid(f"{what} format version {version} is not supported (only {VERSION})")
    nonce = envelope[len(magic) + 1 : _HEADER_SIZE]
    try:
        return AESGCM(key).decrypt(nonce, envelope[_HEADER_SIZE:], aad)
    except InvalidTag:
        raise DecryptionFailed(
            f"the {what} does not open: a wrong key, another document's associated data, or a changed byte"
        ) from None


def seal(plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """Encrypt ``plaintext`` under a fresh random key; returns (the sealed bytes, the key)."""
    key = AESGCM.generate_key(bit_length=256)
    return _encrypt(SEALED_MAGIC, key, plaintext, aad), key


def open_sealed(sealed: bytes, key: bytes, aad: bytes) -> bytes:
    """The plaintext of ``sealed``; ``DecryptionFailed`` on a wrong key/aad or any changed byte."""
    _check_key(key, "a document key")
    return _decrypt(SEALED_MAGIC, "sealed document", key, sealed, aad)


def wrap_key(master_key: bytes, key: bytes, aad: bytes) -> bytes:
    """``key`` encrypted under ``master_key`` (AES-256-GCM, bound to ``aad``), to keep at rest."""
    _check_key(master_key, "the master key")
    _check_key(key, "a document key")
    return _encrypt(WRAPPED_MAGIC, master_key, key, aad)


def unwrap_key(master_key: bytes, wrapped: bytes, aad: bytes) -> bytes:
    """The document key inside ``wrapped``; ``DecryptionFailed`` on a wrong master key or aad."""
    _check_key(master_key, "the master key")
    key = _decrypt(WRAPPED_MAGIC, "wrapped key", master_key, wrapped, aad)
    if len(key) != KEY_SIZE:
        raise SealedDocumentInvalid(f"a wrapped key holds {len(key)} bytes, not {KEY_SIZE}")
    return key
