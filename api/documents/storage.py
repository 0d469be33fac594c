"""Encrypted copies of documents in the shared document store, and the keys that open them.

Every anchored document's canonical bytes are sealed with AES-256-GCM under a key of its own
(the document id is the associated data, so a sealed copy cannot pass for another document),
put into the document store (the local block store by default, kubo when ``IPFS_API_URL`` is
set) under their kubo-identical CID, and the key is kept wrapped by the platform's master key.
Keys are released only to the document's parties and to auditors they authorised.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from api.settings import Settings, get_settings, secret_key
from chain.config import var_dir
from chain.docstore import DocumentStore, open_sealed, open_store, seal, unwrap_key, wrap_key


@cache
def _store(root: Path, url: str | None) -> DocumentStore:
    return open_store(root, url)


def document_store(settings: Settings | None = None) -> DocumentStore:
    """The configured store: kubo at ``IPFS_API_URL``, else blocks under ``<var>/documents``."""
    settings = settings or get_settings()
    return _store(var_dir() / "documents", settings.ipfs_api_url)


def put_sealed(canonical: bytes, doc_id: bytes, settings: Settings | None = None) -> tuple[str, str]:
    """Seal ``canonical`` under a fresh key and store it; returns (CID, the key wrapped, as hex)."""
    settings = settings or get_settings()
    sealed, key = seal(canonical, aad=doc_id)
    cid = document_store(settings).put(sealed)
    wrapped = wrap_key(secret_key(settings, "document_master_key"), key, aad=doc_id)
    return cid, wrapped.hex()


def document_key(wrapped_hex: str, doc_id: bytes, settings: Settings | None = None) -> bytes:
    """The document's own AES-256 key, unwrapped with the master key."""
    settings = settings or get_settings()
    return unwrap_key(secret_key(settings, "document_master_key"), bytes.fromhex(wrapped_hex), aad=doc_id)


def read_sealed(cid: str, settings: Settings | None = None) -> bytes:
    return document_store(settings).get(cid)


def open_document(cid: str, key: bytes, doc_id: bytes, settings: Settings | None = None) -> bytes:
    """The plaintext of a stored document (fails on a wrong key or a changed byte)."""
    return open_sealed(read_sealed(cid, settings), key, aad=doc_id)
