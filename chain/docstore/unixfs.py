"""UnixFS files exactly as ``ipfs add --cid-version=1 --raw-leaves`` builds them (kubo defaults).

Import: fixed-size chunks of 256 KiB become raw blocks (codec 0x55); a file of one chunk is
that raw block. Larger files get a balanced tree of dag-pb nodes (codec 0x70), each holding a
UnixFS ``Data{Type=File, filesize, blocksizes}`` and at most 174 links (kubo's
``DefaultLinksPerBlock``), whose ``Tsize`` is the byte size of the linked subtree's blocks.
An empty file is the empty raw block, ``bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku``.

Kubo's balanced builder grows the tree from the left (fill a node of depth d with subtrees of
depth d-1, then put it under a new root); that is the same tree as grouping each level into runs
of 174 from the left, which is what :func:`import_bytes` does.

Read: :func:`read_file` and :func:`walk` fetch blocks through a callable and check that every
block hashes to its CID before using it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chain.docstore.cid import DAG_PB, RAW, Cid
from chain.docstore.dagpb import (
    UNIXFS_FILE,
    UNIXFS_RAW,
    PBLink,
    PBNode,
    UnixFSData,
    decode_node,
    decode_unixfs,
    encode_node,
    encode_unixfs,
)
from chain.docstore.errors import BlockCorrupted, MalformedDag

CHUNK_SIZE = 262_144  # kubo's default chunker, size-262144
MAX_LINKS = 174  # kubo's helpers.DefaultLinksPerBlock

BlockGetter = Callable[[Cid], bytes]


@dataclass(frozen=True, slots=True)
class FileDag:
    """An imported file: its root CID and every block of its DAG (the root included)."""

    root: Cid
    blocks: dict[Cid, bytes]
    size: int


@dataclass(frozen=True, slots=True)
class _Child:
    cid: Cid
    tsize: int  # bytes of the subtree's serialized blocks
    filesize: int  # bytes of file data under it


def import_bytes(data: bytes, *, chunk_size: int = CHUNK_SIZE, max_links: int = MAX_LINKS) -> FileDag:
    """The UnixFS DAG of ``data``; the defaults are kubo's (only tests change them)."""
    if chunk_size < 1 or max_links < 2:
        raise ValueError("chunk_size must be >= 1 and max_links >= 2")
    blocks: dict[Cid, bytes] = {}
    level: list[_Child] = []
    for start in range(0, max(len(data), 1), chunk_size):
        chunk = data[start : start + chunk_size]
        cid = Cid.of(RAW, chunk)
        blocks[cid] = chunk
        level.append(_Child(cid, len(chunk), len(chunk)))
    while len(level) > 1:
        level = [_parent(level[i : i + max_links], blocks) for i in range(0, len(level), max_links)]
    return FileDag(level[0].cid, blocks, len(data))


def _parent(children: list[_Child], blocks: dict[Cid, bytes]) -> _Child:
    filesize = sum(c.filesize for c in children)
    unixfs = UnixFSData(UNIXFS_FILE, filesize=filesize, blocksizes=tuple(c.filesize for c in children))
    node = encode_node(PBNode(tuple(PBLink(c.cid, "", c.tsize) for c in children), encode_unixfs(unixfs)))
    cid = Cid.of(DAG_PB, node)
    blocks[cid] = node
    return _Child(cid, len(node) + sum(c.tsize for c in children), filesize)


def cid_of(data: bytes) -> Cid:
    """The root CID kubo gives ``data`` (``ipfs add --only-hash --cid-version=1 --raw-leaves``)."""
    return import_bytes(data).root


def verified(cid: Cid, get_block: BlockGetter) -> bytes:
    """The block ``cid`` from ``get_block``, refused unless it hashes to ``cid``."""
    block = get_block(cid)
    if not cid.matches(block):
        raise BlockCorrupted(f"block {cid} does not hash to its CID; it is corrupted", cid=str(cid))
    return block


def _file_node(cid: Cid, block: bytes) -> tuple[PBNode, UnixFSData]:
    node = decode_node(block)
    if node.data is None:
        raise MalformedDag(f"dag-pb node {cid} has no UnixFS Data", cid=str(cid))
    unixfs = decode_unixfs(node.data)
    if unixfs.type not in (UNIXFS_FILE, UNIXFS_RAW):
        raise MalformedDag(f"{cid} is not a UnixFS file (type {unixfs.type})", cid=str(cid))
    return node, unixfs


def read_file(root: Cid, get_block: BlockGetter) -> bytes:
    """The bytes of the UnixFS file at ``root``, every block verified against its CID."""
    out = bytearray()
    _read_into(root, get_block, out)
    return bytes(out)


def _read_into(cid: Cid, get_block: BlockGetter, out: bytearray) -> None:
    block = verified(cid, get_block)
    if cid.codec == RAW:
        out += block
        return
    node, unixfs = _file_node(cid, block)
    start = len(out)
    if unixfs.data:
        out += unixfs.data
    for link in node.links:
        _read_into(link.cid, get_block, out)
    if unixfs.filesize is not None and len(out) - start != unixfs.filesize:
        raise MalformedDag(
            f"UnixFS node {cid} says {unixfs.filesize} bytes but its blocks hold {len(out) - start}",
            cid=str(cid),
        )


def walk(root: Cid, get_block: BlockGetter) -> Iterator[tuple[Cid, bytes]]:
    """Every block of the DAG at ``root``, verified, depth-first from the root, each once."""
    seen: set[Cid] = set()
    stack = [root]
    while stack:
        cid = stack.pop()
        if cid in seen:
            continue
        seen.add(cid)
        block = verified(cid, get_block)
        yield cid, block
        if cid.codec == DAG_PB:
            stack.extend(reversed([link.cid for link in decode_node(block).links]))
