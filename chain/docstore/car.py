"""CARv1 files: the blocks of a DAG in one file any IPFS node imports (``ipfs dag import``).

Layout: ``varint(len(header)) | header`` then, per block, ``varint(len(cid) + len(block)) | cid |
block``. The header is the dag-cbor map ``{"roots": [CID], "version": 1}``, written and read by
hand (CIDs are CBOR tag 42 over a byte string of ``0x00`` + the binary CID).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO, NamedTuple, Protocol

from chain.docstore.cid import Cid, decode_varint, encode_varint
from chain.docstore.errors import BlockCorrupted, BlockNotFound, InvalidCar, InvalidCid
from chain.docstore.unixfs import read_file, walk

_CID_TAG = 42


class BlockSource(Protocol):
    def get_block(self, cid: Cid) -> bytes: ...


class CarFile(NamedTuple):
    """A read CAR: its roots and its blocks, each checked against its CID."""

    roots: list[Cid]
    blocks: dict[Cid, bytes]

    def get_block(self, cid: Cid) -> bytes:
        try:
            return self.blocks[cid]
        except KeyError:
            raise BlockNotFound(f"block {cid} is not in the CAR file", cid=str(cid)) from None

    def read_file(self, root: Cid | None = None) -> bytes:
        """The UnixFS file at ``root`` (the CAR's only root by default), from the CAR's blocks."""
        if root is None:
            if len(self.roots) != 1:
                raise InvalidCar(f"the CAR has {len(self.roots)} roots; name the one to read")
            root = self.roots[0]
        return read_file(root, self.get_block)


# -- writing ------------------------------------------------------------------------------------


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise ValueError(f"{value} does not fit a CBOR head")


def _cbor_text(text: str) -> bytes:
    raw = text.encode("utf-8")
    return _cbor_head(3, len(raw)) + raw


def header(roots: Sequence[Cid]) -> bytes:
    """The dag-cbor header block (keys in dag-cbor order: shorter first, so roots, then version)."""
    out = bytearray(_cbor_head(5, 2))
    out += _cbor_text("roots") + _cbor_head(4, len(roots))
    for root in roots:
        link = b"\0" + root.to_bytes()
        out += _cbor_head(6, _CID_TAG) + _cbor_head(2, len(link)) + link
    out += _cbor_text("version") + _cbor_head(0, 1)
    return bytes(out)


def write_car(roots: Sequence[Cid], blocks: Iterable[tuple[Cid, bytes]], out: BinaryIO) -> None:
    head = header(roots)
    out.write(encode_varint(len(head)) + head)
    for cid, block in blocks:
        raw = cid.to_bytes()
        out.write(encode_varint(len(raw) + len(block)) + raw)
        out.write(block)


def export_car(store: BlockSource, root_cid: str | Cid, out: BinaryIO) -> None:
    """Write the DAG at ``root_cid`` as a CARv1 to ``out``: root first, depth-first, each block once."""
    root = root_cid if isinstance(root_cid, Cid) else Cid.parse(root_cid)
    write_car([root], walk(root, store.get_block), out)


# -- reading ------------------------------------------------------------------------------------

_CborValue = int | bytes | str | list["_CborValue"] | dict[str, "_CborValue"] | Cid


class _CborReader:
    """Just enough dag-cbor for a CAR header: uints, byte and text strings, arrays, maps, CIDs."""

    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def _take(self, n: int) -> bytes:
        if self.pos + n > len(self.buf):
            raise InvalidCar("CAR header is truncated")
        chunk = self.buf[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def _head(self) -> tuple[int, int]:
        first = self._take(1)[0]
        major, info = first >> 5, first & 31
        if info < 24:
            return major, info
        if info in (24, 25, 26, 27):
            return major, int.from_bytes(self._take(1 << (info - 24)), "big")
        raise InvalidCar(f"CAR header uses CBOR additional info {info}, which dag-cbor does not allow")

    def value(self, depth: int = 0) -> _CborValue:
        if depth > 8:
            raise InvalidCar("CAR header nests too deeply")
        major, arg = self._head()
        if major == 0:
            return arg
        if major == 2:
            return self._take(arg)
        if major == 3:
            try:
                return self._take(arg).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidCar("CAR header has a text string that is not UTF-8") from exc
        if major == 4:
            return [self.value(depth + 1) for _ in range(arg)]
        if major == 5:
            result: dict[str, _CborValue] = {}
            for _ in range(arg):
                key = self.value(depth + 1)
                if not isinstance(key, str):
                    raise InvalidCar("CAR header map keys must be text")
                result[key] = self.value(depth + 1)
            return result
        if major == 6 and arg == _CID_TAG:
            raw = self.value(depth + 1)
            if not isinstance(raw, bytes) or raw[:1] != b"\0":
                raise InvalidCar("CAR header has a malformed CID (tag 42)")
            try:
                cid, end = Cid.from_bytes(raw, 1)
            except InvalidCid as exc:
                raise InvalidCar(f"CAR header root: {exc.detail}") from exc
            if end != len(raw):
                raise InvalidCar("CAR header has trailing bytes after a root CID")
            return cid
        raise InvalidCar(f"CAR header uses CBOR major type {major} (tag {arg}), not expected in a header")


def _read_header(buf: bytes) -> list[Cid]:
    reader = _CborReader(buf)
    value = reader.value()
    if reader.pos != len(buf):
        raise InvalidCar("CAR header has trailing bytes")
    if not isinstance(value, dict):
        raise InvalidCar("CAR header is not a map")
    if value.get("version") != 1:
        raise InvalidCar(f"CAR version {value.get('version')!r} is not supported; export a CARv1")
    roots = value.get("roots")
    if not isinstance(roots, list) or not roots or not all(isinstance(r, Cid) for r in roots):
        raise InvalidCar("CAR header must name at least one root CID")
    return [r for r in roots if isinstance(r, Cid)]


def import_car(data: bytes) -> CarFile:
    """The roots and blocks of a CARv1; every block must hash to its CID (``BlockCorrupted``)."""
    try:
        length, pos = decode_varint(data, 0)
    except ValueError as exc:
        raise InvalidCar(f"not a CAR file: {exc}") from exc
    if pos + length > len(data):
        raise InvalidCar("CAR header is truncated")
    roots = _read_header(data[pos : pos + length])
    pos += length
    blocks: dict[Cid, bytes] = {}
    while pos < len(data):
        try:
            length, start = decode_varint(data, pos)
        except ValueError as exc:
            raise InvalidCar(f"malformed CAR section at offset {pos}: {exc}") from exc
        end = start + length
        if length == 0 or end > len(data):
            raise InvalidCar(f"CAR section at offset {pos} is empty or truncated")
        try:
            cid, block_start = Cid.from_bytes(data[start:end])
        except InvalidCid as exc:
            raise InvalidCar(f"CAR section at offset {pos}: {exc.detail}") from exc
        block = data[start + block_start : end]
        if not cid.matches(block):
            raise BlockCorrupted(f"CAR block {cid} does not hash to its CID; it is corrupted", cid=str(cid))
        blocks[cid] = block
        pos = end
    return CarFile(roots, blocks)
