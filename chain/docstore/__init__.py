"""The encrypted, content-addressed document store (kubo-identical CIDs, AES-256-GCM, CAR files).

Start with :func:`open_store` and :func:`seal`; ``unixfs`` is how a CID is computed.
"""

from chain.docstore.car import CarFile, export_car, import_car
from chain.docstore.cid import Cid
from chain.docstore.crypto import open_sealed, seal, unwrap_key, wrap_key
from chain.docstore.errors import (
    BlockCorrupted,
    BlockNotFound,
    CidMismatch,
    DecryptionFailed,
    InvalidCar,
    InvalidCid,
    KuboError,
    KuboUnavailable,
    MalformedDag,
    SealedDocumentInvalid,
)
from chain.docstore.kubo import KuboStore
from chain.docstore.local import LocalBlockStore
from chain.docstore.store import DocumentStore, open_store
from chain.docstore.unixfs import FileDag, cid_of, import_bytes, read_file

__all__ = [
    "BlockCorrupted",
    "BlockNotFound",
    "CarFile",
    "Cid",
    "CidMismatch",
    "DecryptionFailed",
    "DocumentStore",
    "FileDag",
    "InvalidCar",
    "InvalidCid",
    "KuboError",
    "KuboStore",
    "KuboUnavailable",
    "LocalBlockStore",
    "MalformedDag",
    "SealedDocumentInvalid",
    "cid_of",
    "export_car",
    "import_bytes",
    "import_car",
    "open_sealed",
    "open_store",
    "read_file",
    "seal",
    "unwrap_key",
    "wrap_key",
]
