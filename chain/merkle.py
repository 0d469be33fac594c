"""OpenZeppelin ``StandardMerkleTree`` (format ``standard-v1``) in Python.

Byte-for-byte the tree of ``@openzeppelin/merkle-tree``: leaves are
``keccak256(keccak256(abi.encode(types, values)))``, sorted; pairs are hashed
sorted; the tree is the flat array of that library; proofs verify with
OpenZeppelin's ``MerkleProof.verify`` on chain and with the JS library's
``StandardMerkleTree.verify`` off chain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from hexbytes import HexBytes

from chain.hashing import keccak256


def leaf_hash(types: Sequence[str], value: Sequence[Any]) -> bytes:
    encoded = _fast_encode(types, value)
    return keccak256(keccak256(encode(list(types), list(value)) if encoded is None else encoded))


_INTEGER = re.compile(r"(u?)int([0-9]*)")


def _fast_encode(types: Sequence[str], values: Sequence[Any]) -> bytes | None:
    """``eth_abi.encode(types, values)`` for the common leaf types (``bytes32``, ``uintN``, ``intN``,
    ``string``) with values exactly of their type and range, byte for byte (a test compares them);
    None for anything else, which ``eth_abi`` then encodes (or refuses). A tree of readings hashes
    every leaf, and the generic encoder was most of a batch's time."""
    if len(types) != len(values):
        return None
    head: list[bytes] = []
    tail: list[bytes] = []
    offset = 32 * len(types)
    for kind, value in zip(types, values, strict=True):
        if kind == "bytes32":
            if type(value) is not bytes or len(value) != 32:
                return None
            head.append(value)
        elif kind == "string":
            if type(value) is not str:
                return None
            data = value.encode()
            padded = data + b"\0" * (-len(data) % 32)
            head.append(offset.to_bytes(32, "big"))
            tail.append(len(data).to_bytes(32, "big") + padded)
            offset += 32 + len(padded)
        elif integer := _INTEGER.fullmatch(kind):
            signed, bits = not integer[1], int(integer[2] or 256)
            if type(value) is not int or bits % 8 or not 8 <= bits <= 256:
                return None
            low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if signed else (0, 2**bits)
            if not low <= value < high:
                return None
            head.append(value.to_bytes(32, "big", signed=signed))
        else:
            return None
    return b"".join(head + tail)


def hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak256(b"".join(sorted((a, b))))


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify(root: bytes, types: Sequence[str], value: Sequence[Any], proof: Sequence[bytes]) -> bool:
    return process_proof(leaf_hash(types, value), proof) == root


@dataclass(frozen=True)
class StandardMerkleTree:
    types: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    tree: tuple[bytes, ...]
    tree_index: tuple[int, ...]  # values[i] sits at tree[tree_index[i]]

    @classmethod
    def of(cls, values: Sequence[Sequence[Any]], types: Sequence[str]) -> StandardMerkleTree:
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        hashed = sorted(((leaf_hash(types, v), i) for i, v in enumerate(values)), key=lambda pair: pair[0])
        size = 2 * len(hashed) - 1
        tree: list[bytes] = [b""] * size
        tree_index = [0] * len(values)
        for position, (digest, value_index) in enumerate(hashed):
            tree[size - 1 - position] = digest
            tree_index[value_index] = size - 1 - position
        for i in range(size - 1 - len(hashed), -1, -1):
            tree[i] = hash_pair(tree[2 * i + 1], tree[2 * i + 2])
        return cls(tuple(types), tuple(tuple(v) for v in values), tuple(tree), tuple(tree_index))

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, value_index: int) -> list[bytes]:
        """The sibling path of ``values[value_index]``, leaf to root (OpenZeppelin's order)."""
        i, path = self.tree_index[value_index], []
        while i > 0:
            path.append(self.tree[i + 1 if i % 2 == 1 else i - 1])
            i = (i - 1) // 2
        return path

    def dump(self) -> dict[str, Any]:
        """The JSON the JS library's ``StandardMerkleTree.load`` accepts."""

        def jsonable(v: Any) -> Any:
            return HexBytes(v).to_0x_hex() if isinstance(v, bytes) else (str(v) if isinstance(v, int) else v)

        return {
            "format": "standard-v1",
            "leafEncoding": list(self.types),
            "tree": [HexBytes(node).to_0x_hex() for node in self.tree],
            "values": [
                {"value": [jsonable(x) for x in value], "treeIndex": index}
                for value, index in zip(self.values, self.tree_index, strict=True)
            ],
        }
