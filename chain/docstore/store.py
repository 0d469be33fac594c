"""The one document-store interface, and the factory that picks the embedded store or kubo."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

from chain.docstore.kubo import KuboStore
from chain.docstore.local import LocalBlockStore


class DocumentStore(Protocol):
    """Content-addressed bytes under kubo-identical CIDs (CIDv1, base32)."""

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its CID."""
        ...

    def get(self, cid: str) -> bytes:
        """The bytes under ``cid``, verified against it."""
        ...

    def has(self, cid: str) -> bool:
        """Whether every block of ``cid`` is held."""
        ...

    def export_car(self, cid: str, out: BinaryIO) -> None:
        """Write the DAG of ``cid`` to ``out`` as a CARv1."""
        ...


def open_store(local_dir: Path, ipfs_api_url: str | None) -> DocumentStore:
    """Kubo at ``ipfs_api_url`` when it is set, else the local block store in ``local_dir``."""
    if ipfs_api_url:
        return KuboStore(ipfs_api_url)
    return LocalBlockStore(local_dir)
