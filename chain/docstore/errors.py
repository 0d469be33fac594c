"""The document store's errors, in the one exception tree (``chain.errors``)."""

from __future__ import annotations

from chain.errors import InvalidDocument, InvalidInput, NotFound, TradeLedgerError, Unavailable


class InvalidCid(InvalidInput):
    code, title = "invalid_cid", "Invalid CID"


class BlockNotFound(NotFound):
    code, title = "block_not_found", "Block not found"


class BlockCorrupted(TradeLedgerError):
    """A block's bytes do not hash to its CID (a changed byte on disk, in a CAR or from kubo)."""

    status, code, title = 500, "block_corrupted", "Corrupted block"


class MalformedDag(InvalidDocument):
    """A block hashes correctly but is not part of a UnixFS file we can read."""

    code, title = "malformed_dag", "Malformed UnixFS DAG"


class InvalidCar(InvalidInput):
    code, title = "invalid_car", "Invalid CAR file"


class SealedDocumentInvalid(InvalidDocument):
    """The bytes are not a sealed document (or a wrapped key) in a format we know."""

    code, title = "sealed_document_invalid", "Not a sealed document"


class DecryptionFailed(InvalidDocument):
    """AES-GCM refused: a wrong key, the wrong associated data, or a changed byte."""

    code, title = "decryption_failed", "Decryption failed"


class KuboError(TradeLedgerError):
    """The kubo RPC endpoint answered with an error or with something we refuse to accept."""

    status, code, title = 502, "ipfs_error", "IPFS node error"


class CidMismatch(KuboError):
    code, title = "cid_mismatch", "CID mismatch"


class KuboUnavailable(Unavailable):
    code, title = "ipfs_unavailable", "IPFS node unavailable"
