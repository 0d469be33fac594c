"""chain.merkle against the reference: @openzeppelin/merkle-tree (JS) and MerkleProof (on chain)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.config import project_root
from chain.merkle import StandardMerkleTree, leaf_hash, verify

TYPES = ("bytes32", "uint64", "uint256")
JS = """
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const tree = StandardMerkleTree.of(input.values, input.types);
const proofs = input.values.map((v) => tree.getProof(v));
console.log(JSON.stringify({ root: tree.root, proofs, dump: tree.dump() }));
"""


def _reference(values: list[list[str]]) -> dict[str, object]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the reference implementation"
    result = subprocess.run(
        [node, "-e", JS],
        input=json.dumps({"values": values, "types": list(TYPES)}),
        capture_output=True,
        text=True,
        cwd=project_root(),
        check=True,
    )
    return dict(json.loads(result.stdout))


values_st = st.lists(
    st.tuples(st.binary(min_size=32, max_size=32), st.integers(0, 2**64 - 1), st.integers(0, 2**256 - 1)),
    min_size=1,
    max_size=40,
    unique_by=lambda v: v[0],
)


@settings(max_examples=25, deadline=None)
@given(values=values_st)
def test_root_proofs_and_dump_equal_the_openzeppelin_library(values: list[tuple[bytes, int, int]]) -> None:
    tree = StandardMerkleTree.of(values, TYPES)
    js = _reference([["0x" + b.hex(), str(n), str(m)] for b, n, m in values])

    assert "0x" + tree.root.hex() == js["root"]
    assert [["0x" + p.hex() for p in tree.proof(i)] for i in range(len(values))] == js["proofs"]
    assert tree.dump()["tree"] == js["dump"]["tree"]  # type: ignore[index]


def test_a_single_leaf_is_its_own_root() -> None:
    tree = StandardMerkleTree.of([(b"\x01" * 32, 1, 2)], TYPES)

    assert tree.root == leaf_hash(TYPES, (b"\x01" * 32, 1, 2))
    assert tree.proof(0) == []


def test_a_changed_value_does_not_verify() -> None:
    values = [(bytes([i]) * 32, i, i * 10) for i in range(1, 8)]
    tree = StandardMerkleTree.of(values, TYPES)

    assert all(verify(tree.root, TYPES, v, tree.proof(i)) for i, v in enumerate(values))
    assert not verify(tree.root, TYPES, (values[3][0], 4, 41), tree.proof(3))
    with pytest.raises(ValueError):
        StandardMerkleTree.of([], TYPES)


READING = ("bytes32", "uint64", "uint64", "string", "int256", "string", "bytes32")


@settings(max_examples=200, deadline=None)
@given(
    st.tuples(
        st.binary(min_size=32, max_size=32),
        st.integers(0, 2**64 - 1),
        st.integers(0, 2**64 - 1),
        st.text(max_size=80),
        st.integers(-(2**255), 2**255 - 1),
        st.text(max_size=40),
        st.binary(min_size=32, max_size=32),
    )
)
def test_the_fast_leaf_encoding_is_eth_abis(value: tuple[object, ...]) -> None:
    """Reading leaves (strings of any length, UTF-8, empty; numbers at their ranges' ends)."""
    from eth_abi import encode

    from chain.merkle import _fast_encode

    assert _fast_encode(READING, value) == encode(list(READING), list(value))


@pytest.mark.parametrize(
    ("types", "value"),
    [
        (("uint64",), (2**64,)),  # out of range: eth_abi refuses it
        (("int8",), (-129,)),
        (("uint64",), (True,)),  # not exactly an int
        (("bytes32",), (b"\x01" * 31,)),  # eth_abi pads a short bytes32
        (("address",), ("0x" + "00" * 20,)),  # a type the fast path does not know
        (("uint64[]",), ([1, 2],)),
    ],
)
def test_the_fast_leaf_encoding_leaves_the_rest_to_eth_abi(
    types: tuple[str, ...], value: tuple[object, ...]
) -> None:
    from chain.merkle import _fast_encode

    assert _fast_encode(types, value) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_the_fast_keccak_is_ethereums_keccak256(data: bytes) -> None:
    from eth_utils import keccak

    from chain.hashing import keccak256

    assert keccak256(data) == keccak(data)
