"""The embedded document store: UnixFS blocks as files in one directory, named by their CID."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from chain.docstore import car
from chain.docstore.cid import DAG_PB, Cid
from chain.docstore.dagpb import decode_node
from chain.docstore.errors import BlockCorrupted, BlockNotFound
from chain.docstore.unixfs import import_bytes, read_file, verified


class LocalBlockStore:
    """Blocks under ``root`` (``root/<cid>``), written atomically, verified on every read."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, cid: Cid) -> Path:
        return self.root / str(cid)

    # -- blocks ---------------------------------------------------------------------------------

    def get_block(self, cid: Cid) -> bytes:
        """The raw bytes stored for ``cid`` (``BlockNotFound`` if absent); callers verify them."""
        try:
            return self._path(cid).read_bytes()
        except FileNotFoundError:
            raise BlockNotFound(f"block {cid} is not in the document store", cid=str(cid)) from None

    def put_block(self, cid: Cid, block: bytes) -> None:
        """Store ``block`` under ``cid`` (temp file + rename); a corrupted copy is replaced."""
        if not cid.matches(block):
            raise BlockCorrupted(f"refusing to store block {cid}: its bytes do not hash to it", cid=str(cid))
        path = self._path(cid)
        with contextlib.suppress(FileNotFoundError):
            if cid.matches(path.read_bytes()):
                return
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{cid}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(block)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _sync_dir(self) -> None:
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- documents (the DocumentStore protocol) --------------------------------------------------

    def put(self, data: bytes) -> str:
        """Import ``data`` as kubo would, store every block; returns the root CID."""
        dag = import_bytes(data)
        for cid, block in dag.blocks.items():
            self.put_block(cid, block)
        self._sync_dir()
        return str(dag.root)

    def get(self, cid: str) -> bytes:
        """The document's bytes, every block checked against its CID (``BlockCorrupted`` names it)."""
        return read_file(Cid.parse(cid), self.get_block)

    def has(self, cid: str) -> bool:
        """Whether every block of the document is here (internal nodes are read and verified)."""
        stack = [Cid.parse(cid)]
        while stack:
            current = stack.pop()
            if current.codec != DAG_PB:
                if not self._path(current).is_file():
                    return False
                continue
            try:
                block = verified(current, self.get_block)
            except BlockNotFound:
                return False
            stack.extend(link.cid for link in decode_node(block).links)
        return True

    def export_car(self, cid: str, out: BinaryIO) -> None:
        """The document's DAG as a CARv1 written to ``out``."""
        car.export_car(self, cid, out)
