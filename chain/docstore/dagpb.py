"""dag-pb nodes and the UnixFS ``Data`` message, encoded by hand (protobuf, no dependency).

Byte-for-byte what kubo writes: a ``PBNode`` holds its ``Links`` (field 2) before its ``Data``
(field 1); each ``PBLink`` holds ``Hash`` (1), ``Name`` (2, written even when empty) and
``Tsize`` (3). UnixFS ``Data`` holds ``Type`` (1), ``Data`` (2, absent in internal nodes),
``filesize`` (3) and one unpacked ``blocksizes`` (4) entry per child.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from chain.docstore.cid import Cid, decode_varint, encode_varint
from chain.docstore.errors import InvalidCid, MalformedDag

_VARINT, _LEN = 0, 2

# UnixFS Data.DataType
UNIXFS_RAW, UNIXFS_DIRECTORY, UNIXFS_FILE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class PBLink:
    cid: Cid
    name: str
    tsize: int


@dataclass(frozen=True, slots=True)
class PBNode:
    links: tuple[PBLink, ...]
    data: bytes | None


@dataclass(frozen=True, slots=True)
class UnixFSData:
    type: int
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: tuple[int, ...] = ()


def _tag(field: int, wire: int) -> bytes:
    return encode_varint(field << 3 | wire)


def _bytes_field(field: int, value: bytes) -> bytes:
    return _tag(field, _LEN) + encode_varint(len(value)) + value


def _varint_field(field: int, value: int) -> bytes:
    return _tag(field, _VARINT) + encode_varint(value)


def encode_node(node: PBNode) -> bytes:
    out = bytearray()
    for link in node.links:
        body = (
            _bytes_field(1, link.cid.to_bytes())
            + _bytes_field(2, link.name.encode("utf-8"))
            + _varint_field(3, link.tsize)
        )
        out += _bytes_field(2, body)
    if node.data is not None:
        out += _bytes_field(1, node.data)
    return bytes(out)


def encode_unixfs(data: UnixFSData) -> bytes:
    out = bytearray(_varint_field(1, data.type))
    if data.data is not None:
        out += _bytes_field(2, data.data)
    if data.filesize is not None:
        out += _varint_field(3, data.filesize)
    for size in data.blocksizes:
        out += _varint_field(4, size)
    return bytes(out)


def _fields(buf: bytes, what: str) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field; varints as int, length-delimited as bytes."""
    pos = 0
    try:
        while pos < len(buf):
            key, pos = decode_varint(buf, pos)
            field, wire = key >> 3, key & 7
            if wire == _VARINT:
                value, pos = decode_varint(buf, pos)
                yield field, wire, value
            elif wire == _LEN:
                length, pos = decode_varint(buf, pos)
                if pos + length > len(buf):
                    raise ValueError("length-delimited field runs past the end")
                yield field, wire, buf[pos : pos + length]
                pos += length
            else:
                raise ValueError(f"wire type {wire} of field {field} is not used by {what}")
    except ValueError as exc:
        raise MalformedDag(f"malformed {what}: {exc}") from exc


def decode_node(buf: bytes) -> PBNode:
    links: list[PBLink] = []
    data: bytes | None = None
    for field, wire, value in _fields(buf, "dag-pb node"):
        if field == 2 and isinstance(value, bytes):
            links.append(_decode_link(value))
        elif field == 1 and isinstance(value, bytes):
            data = value
        else:
            raise MalformedDag(f"malformed dag-pb node: unexpected field {field} (wire type {wire})")
    return PBNode(tuple(links), data)


def _decode_link(buf: bytes) -> PBLink:
    cid: Cid | None = None
    name, tsize = "", 0
    for field, _wire, value in _fields(buf, "dag-pb link"):
        if field == 1 and isinstance(value, bytes):
            try:
                cid, end = Cid.from_bytes(value)
            except InvalidCid as exc:
                raise MalformedDag(f"malformed dag-pb link: {exc.detail}") from exc
            if end != len(value):
                raise MalformedDag("malformed dag-pb link: trailing bytes after the CID")
        elif field == 2 and isinstance(value, bytes):
            try:
                name = value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MalformedDag("malformed dag-pb link: Name is not UTF-8") from exc
        elif field == 3 and isinstance(value, int):
            tsize = value
        else:
            raise MalformedDag(f"malformed dag-pb link: unexpected field {field}")
    if cid is None:
        raise MalformedDag("malformed dag-pb link: no Hash")
    return PBLink(cid, name, tsize)


def decode_unixfs(buf: bytes) -> UnixFSData:
    type_: int | None = None
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = []
    for field, _wire, value in _fields(buf, "UnixFS Data"):
        if field == 1 and isinstance(value, int):
            type_ = value
        elif field == 2 and isinstance(value, bytes):
            data = value
        elif field == 3 and isinstance(value, int):
            filesize = value
        elif field == 4 and isinstance(value, int):
            blocksizes.append(value)
        elif field == 4 and isinstance(value, bytes):  # packed, as some writers emit
            pos = 0
            while pos < len(value):
                try:
                    size, pos = decode_varint(value, pos)
                except ValueError as exc:
                    raise MalformedDag(f"malformed UnixFS blocksizes: {exc}") from exc
                blocksizes.append(size)
        elif field in (5, 6, 7, 8):  # hashType, fanout, mode, mtime: metadata we do not need
            continue
        else:
            raise MalformedDag(f"malformed UnixFS Data: unexpected field {field}")
    if type_ is None:
        raise MalformedDag("malformed UnixFS Data: no Type")
    return UnixFSData(type_, data, filesize, tuple(blocksizes))
