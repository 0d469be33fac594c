"""The encrypted, content-addressed document store (chain.docstore).

References, none of them ours:
- npm ``ipfs-unixfs-importer`` (tests/chain/unixfs_import.mjs) computes the CID of every file;
- kubo's own outputs for two files (see KUBO_CIDS);
- npm ``@ipld/car`` reads our CAR files (tests/chain/car_read.mjs);
- the HTTP RPC server of npm ``ipfs`` (js-ipfs, offline, a temporary repo) stands in for kubo:
  it speaks the same ``/api/v0`` and imports with the same defaults (its importer is
  ipfs-unixfs-importer 12 with 174 links per node). It lives in ``tests/kubo_peer`` (installed by
  ``make test``), not in package.json: its tree names an optional GitHub tarball that ``npm ci``
  refuses. In CI a missing peer fails these tests instead of skipping them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chain.config import project_root
from chain.docstore import (
    BlockCorrupted,
    BlockNotFound,
    Cid,
    CidMismatch,
    DecryptionFailed,
    InvalidCar,
    InvalidCid,
    KuboStore,
    KuboUnavailable,
    LocalBlockStore,
    SealedDocumentInvalid,
    import_bytes,
    import_car,
    open_sealed,
    open_store,
    seal,
    unwrap_key,
    wrap_key,
)
from chain.docstore.car import header, write_car
from chain.docstore.cid import DAG_PB, RAW
from chain.docstore.dagpb import decode_node, decode_unixfs
from chain.docstore.unixfs import CHUNK_SIZE, MAX_LINKS, walk
from chain.errors import TradeLedgerError
from chain.node import free_port

HERE = Path(__file__).parent
EMPTY_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"

# What kubo itself printed (not recomputed by us):
# - the empty file: go-ipfs in the DAG-convergence matrix, `ipfs add --chunker=size-262144
#   --trickle=false --raw-leaves=true --cid-version=1` of zero_0B (ipld/js-unixfs,
#   test/dataset/convergence_rawdata.tsv); with --trickle=true it is a dag-pb node instead;
# - "hello\n": `echo hello | ipfs add --cid-version 1 -Q` with ipfs 0.18.1 (ipfs/kubo,
#   test/sharness/t0114-gateway-subdomains/README.md).
KUBO_CIDS = {b"": EMPTY_CID, b"hello\n": "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"}

# size -> CID of content(size), checked against ipfs-unixfs-importer below.
EXPECTED = {
    1: "bafkreiepcgyf3j4f4q7hcpido5ggxu2alwm42mbev4zu77li3ntdvi3qgq",
    1000: "bafkreiaegdi64zhtowoyyj3wpyf7fxoopebuf72y22vctqxwfxebz74zci",
    CHUNK_SIZE - 1: "bafkreifc2lgtboglgtj2b6k37hneqolmrdrvcjf5h3zutvxcjj3xp3yv5u",
    CHUNK_SIZE: "bafkreiau5xhr4zp2sc3ajvfmqevv5yrwnp5f6va22zzc42tn2po2b7a4um",
    CHUNK_SIZE + 1: "bafybeidbq37ffn7evosdoqk6u2h3ftgtypfm6e6xd2vqs2gyx4rrq6b4w4",
    2 * CHUNK_SIZE: "bafybeievi3ejmlbdooupr7qkhrq2wsngjj3hgb6bokk2fpkqjf33c2vdie",
    3 * CHUNK_SIZE + 17: "bafybeieuaazq2w3ch4ovuidxthqwmxdchud3yfu5x5oaipujvxfttbys5y",
    5 * 1024 * 1024: "bafybeibk7nd5dmx5pvno2kur4bjznn26xzklldxilkoyllq7uejz26us2a",
    MAX_LINKS * CHUNK_SIZE: "bafybeigujt5xkwhg2nsxquuwl3btxdkbqwhumwg7musdjcqjo4lg6emelu",
    MAX_LINKS * CHUNK_SIZE + 1: "bafybeigs2xoxsdiqzupnrbgddbilmzqte4d7tl7hhx2klayydxvmll5zz4",
}
OVER_174 = MAX_LINKS * CHUNK_SIZE + 1  # 175 chunks: two levels under kubo's 174 links per node
# the same file with 1,024 links per node (ipfs-unixfs-importer's unixfs-v1-2025 profile): one level
OVER_174_WITH_1024_LINKS = "bafybeic5wgaq7ivovezgmbcfs2pgq6fumjcf33b5niq6uhxfgnvkfsm5ra"


def content(size: int) -> bytes:
    """Deterministic incompressible bytes (SHAKE-256), the same on every machine."""
    return hashlib.shake_256(b"tradeledger docstore %d" % size).digest(size)


def node_bin() -> str:
    node = shutil.which("node")
    assert node, "Node.js 20+ must be on PATH (see README)"
    return node


def run_node(script: str, *args: str) -> str:
    result = subprocess.run(
        [node_bin(), str(HERE / script), *args],
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def importer_cids(paths: list[Path], *extra: str) -> list[str]:
    return run_node("unixfs_import.mjs", *extra, *map(str, paths)).split()


# -- CIDs ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_files(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("unixfs")
    files = {}
    for size in [0, *EXPECTED]:
        files[size] = folder / f"{size}.bin"
        files[size].write_bytes(content(size))
    return files


@pytest.fixture(scope="module")
def importer_default(reference_files: dict[int, Path]) -> dict[int, str]:
    """The importer's CIDs with its defaults plus cidVersion 1 and rawLeaves true."""
    return dict(zip(reference_files, importer_cids(list(reference_files.values())), strict=True))


@pytest.mark.parametrize("size", list(EXPECTED))
def test_cid_matches_ipfs_unixfs_importer(size: int, importer_default: dict[int, str]) -> None:
    dag = import_bytes(content(size))
    assert str(dag.root) == EXPECTED[size]
    assert importer_default[size] == EXPECTED[size]


def test_file_over_174_chunks_matches_the_importer_with_kubos_174_links(
    reference_files: dict[int, Path],
) -> None:
    kubo_layout, wide_layout = (
        importer_cids([reference_files[OVER_174]], "--max-children", str(n))[0] for n in (174, 1024)
    )
    assert kubo_layout == EXPECTED[OVER_174]
    # The layout matters past 174 chunks: 1,024 links per node gives another CID, also reproduced.
    assert wide_layout == OVER_174_WITH_1024_LINKS
    assert str(import_bytes(content(OVER_174), max_links=1024).root) == OVER_174_WITH_1024_LINKS


@pytest.mark.parametrize(("data", "cid"), list(KUBO_CIDS.items()))
def test_cid_matches_what_kubo_printed(data: bytes, cid: str, tmp_path: Path) -> None:
    assert str(import_bytes(data).root) == cid
    (tmp_path / "f").write_bytes(data)
    assert importer_cids([tmp_path / "f"]) == [cid]


def test_empty_file_is_the_empty_raw_block() -> None:
    dag = import_bytes(b"")
    assert str(dag.root) == EMPTY_CID
    assert dag.blocks == {dag.root: b""}


def test_one_chunk_is_its_raw_leaf_and_one_more_byte_makes_a_dag_pb_root() -> None:
    one = import_bytes(content(CHUNK_SIZE))
    assert one.root.codec == RAW and one.blocks == {one.root: content(CHUNK_SIZE)}

    data = content(CHUNK_SIZE + 1)
    dag = import_bytes(data)
    leaves = [Cid.of(RAW, data[:CHUNK_SIZE]), Cid.of(RAW, data[CHUNK_SIZE:])]
    root_block = dag.blocks[dag.root]
    # PBNode{Links: [PBLink{Hash, Name: "", Tsize}] x 2, Data: UnixFS{Type: File, filesize, blocksizes}}
    link = [
        b"\x12" + bytes([41 + len(tsize)]) + b"\x0a\x24" + leaf.to_bytes() + b"\x12\x00\x18" + tsize
        for leaf, tsize in zip(leaves, (b"\x80\x80\x10", b"\x01"), strict=True)
    ]
    unixfs = b"\x08\x02\x18\x81\x80\x10\x20\x80\x80\x10\x20\x01"
    assert root_block == link[0] + link[1] + b"\x0a" + bytes([len(unixfs)]) + unixfs
    assert dag.root == Cid.of(DAG_PB, root_block)
    assert set(dag.blocks) == {dag.root, *leaves}


def test_tsize_counts_every_block_of_the_subtree() -> None:
    dag = import_bytes(content(OVER_174))
    root = decode_node(dag.blocks[dag.root])
    assert [decode_unixfs(root.data or b"").blocksizes] == [(MAX_LINKS * CHUNK_SIZE, 1)]
    for link in root.links:
        subtree = sum(len(block) for _, block in walk(link.cid, dag.blocks.__getitem__))
        assert link.tsize == subtree
    assert len(root.links) == 2 and len(decode_node(dag.blocks[root.links[0].cid]).links) == MAX_LINKS


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Qm",
        "bafy",
        "zzzz",
        "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyk",
        "BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU",
        "../../etc/passwd",
    ],
)
def test_cid_parse_refuses_what_is_not_a_canonical_cid(text: str) -> None:
    with pytest.raises(InvalidCid) as info:
        Cid.parse(text)
    assert info.value.code == "invalid_cid"


def test_cid_parse_reads_base58_and_v0_forms() -> None:
    assert Cid.parse("zb2rhcc1wJn2GHDLT2YkmPq5b69cXc2xfRZZmyufbjFUfBkxr") == Cid.parse(KUBO_CIDS[b"hello\n"])
    v0 = Cid.parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")  # kubo's empty UnixFS file, CIDv0
    assert (v0.version, v0.codec, str(v0)) == (0, DAG_PB, "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH")


# -- AES-256-GCM ------------------------------------------------------------------------------------

DOC_ID = bytes.fromhex("11" * 32)
OTHER_DOC_ID = bytes.fromhex("22" * 32)


def test_seal_opens_with_its_key_and_document_id_only() -> None:
    sealed, key = seal(b"invoice INV-1, 1,250.00 EUR", aad=DOC_ID)
    assert len(key) == 32
    assert sealed[:5] == b"TLSD\x01" and len(sealed) == 5 + 12 + 27 + 16
    assert open_sealed(sealed, key, aad=DOC_ID) == b"invoice INV-1, 1,250.00 EUR"
    # any standard AES-GCM opens it: nonce = bytes 5..17, the document id as associated data
    assert AESGCM(key).decrypt(sealed[5:17], sealed[17:], DOC_ID) == b"invoice INV-1, 1,250.00 EUR"

    with pytest.raises(DecryptionFailed) as info:
        open_sealed(sealed, bytes(32), aad=DOC_ID)
    assert info.value.code == "decryption_failed"
    with pytest.raises(DecryptionFailed):
        open_sealed(sealed, key, aad=OTHER_DOC_ID)


def test_every_seal_uses_a_fresh_key_and_nonce() -> None:
    (a, key_a), (b, key_b) = seal(b"same", aad=DOC_ID), seal(b"same", aad=DOC_ID)
    assert key_a != key_b and a[5:17] != b[5:17] and a != b


def test_every_changed_byte_of_a_sealed_document_is_refused() -> None:
    sealed, key = seal(b"bill of lading BL-7", aad=DOC_ID)
    for i in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        expected = SealedDocumentInvalid if i < 5 else DecryptionFailed
        with pytest.raises(expected):
            open_sealed(bytes(tampered), key, aad=DOC_ID)
    with pytest.raises(SealedDocumentInvalid) as info:
        open_sealed(sealed[:20], key, aad=DOC_ID)
    assert info.value.code == "sealed_document_invalid"


def test_wrapped_key_unwraps_with_the_master_key_and_document_id_only() -> None:
    master = bytes(range(32))
    _, key = seal(b"x", aad=DOC_ID)
    wrapped = wrap_key(master, key, aad=DOC_ID)
    assert wrapped[:5] == b"TLWK\x01" and len(wrapped) == 5 + 12 + 32 + 16
    assert unwrap_key(master, wrapped, aad=DOC_ID) == key
    with pytest.raises(DecryptionFailed):
        unwrap_key(bytes(32), wrapped, aad=DOC_ID)
    with pytest.raises(DecryptionFailed):
        unwrap_key(master, wrapped, aad=OTHER_DOC_ID)
    with pytest.raises(SealedDocumentInvalid):  # a sealed document is not a wrapped key
        unwrap_key(master, seal(key, aad=DOC_ID)[0], aad=DOC_ID)


def test_keys_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="master key must be 32 bytes"):
        wrap_key(bytes(16), bytes(32), aad=DOC_ID)
    with pytest.raises(ValueError, match="document key must be 32 bytes"):
        open_sealed(seal(b"x", aad=DOC_ID)[0], bytes(31), aad=DOC_ID)


# -- the local block store ------------------------------------------------------------------------


def test_local_store_keeps_one_file_per_block_named_by_cid(tmp_path: Path) -> None:
    store = LocalBlockStore(tmp_path / "blocks")
    data = content(3 * CHUNK_SIZE + 17)
    cid = store.put(data)
    assert cid == EXPECTED[3 * CHUNK_SIZE + 17]
    dag = import_bytes(data)
    assert sorted(p.name for p in (tmp_path / "blocks").iterdir()) == sorted(map(str, dag.blocks))
    assert store.has(cid) and store.get(cid) == data
    assert store.put(data) == cid  # idempotent
    assert store.put(b"") == EMPTY_CID and store.get(EMPTY_CID) == b""


def test_local_store_names_the_corrupted_block(tmp_path: Path) -> None:
    store = LocalBlockStore(tmp_path)
    data = content(2 * CHUNK_SIZE)
    cid = store.put(data)
    second_leaf = Cid.of(RAW, data[CHUNK_SIZE:])
    path = tmp_path / str(second_leaf)
    flipped = bytearray(path.read_bytes())
    flipped[1000] ^= 0xFF
    path.write_bytes(bytes(flipped))

    with pytest.raises(BlockCorrupted) as info:
        store.get(cid)
    assert info.value.code == "block_corrupted" and info.value.extra == {"cid": str(second_leaf)}
    assert str(second_leaf) in info.value.detail

    assert store.put(data) == cid  # putting the document again replaces the corrupted copy
    assert store.get(cid) == data


def test_local_store_missing_blocks(tmp_path: Path) -> None:
    store = LocalBlockStore(tmp_path)
    data = content(2 * CHUNK_SIZE)
    cid = store.put(data)
    first_leaf = Cid.of(RAW, data[:CHUNK_SIZE])
    (tmp_path / str(first_leaf)).unlink()
    assert not store.has(cid)
    with pytest.raises(BlockNotFound) as info:
        store.get(cid)
    assert info.value.code == "block_not_found" and info.value.extra == {"cid": str(first_leaf)}
    never = str(import_bytes(b"never stored").root)
    assert not store.has(never)
    with pytest.raises(BlockNotFound):
        store.get(never)
    with pytest.raises(InvalidCid):
        store.get("../../etc/passwd")


def test_local_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = LocalBlockStore(tmp_path)
    store.put(content(CHUNK_SIZE + 1))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_open_store_picks_kubo_only_when_a_url_is_set(tmp_path: Path) -> None:
    assert isinstance(open_store(tmp_path, None), LocalBlockStore)
    assert isinstance(open_store(tmp_path, ""), LocalBlockStore)
    kubo = open_store(tmp_path, "http://127.0.0.1:5001/")
    assert isinstance(kubo, KuboStore) and kubo.api_url == "http://127.0.0.1:5001"


# -- CAR files --------------------------------------------------------------------------------------


def test_car_export_import_round_trips(tmp_path: Path) -> None:
    store = LocalBlockStore(tmp_path / "blocks")
    data = content(3 * CHUNK_SIZE + 17)
    cid = store.put(data)
    out = io.BytesIO()
    store.export_car(cid, out)
    car_bytes = out.getvalue()

    head = header([Cid.parse(cid)])
    assert car_bytes.startswith(bytes([len(head)]) + head)
    assert head.startswith(b"\xa2\x65roots\x81\xd8\x2a\x58\x25\x00") and head.endswith(b"\x67version\x01")
    car = import_car(car_bytes)
    assert [str(r) for r in car.roots] == [cid]
    assert set(car.blocks) == set(import_bytes(data).blocks)
    assert car.read_file() == data


def test_ipld_car_reads_our_car(tmp_path: Path) -> None:
    store = LocalBlockStore(tmp_path / "blocks")
    data = content(3 * CHUNK_SIZE + 17)
    cid = store.put(data)
    with (tmp_path / "doc.car").open("wb") as f:
        store.export_car(cid, f)
    read = json.loads(run_node("car_read.mjs", str(tmp_path / "doc.car")))
    assert read["version"] == 1 and read["roots"] == [cid]
    assert read["blocks"][0]["cid"] == cid  # root first
    assert sorted(b["cid"] for b in read["blocks"]) == sorted(map(str, import_bytes(data).blocks))
    assert all(b["ok"] for b in read["blocks"])


def test_a_flipped_byte_in_a_car_block_is_detected(tmp_path: Path) -> None:
    store = LocalBlockStore(tmp_path)
    data = content(2 * CHUNK_SIZE)
    cid = store.put(data)
    out = io.BytesIO()
    store.export_car(cid, out)
    car_bytes = bytearray(out.getvalue())
    car_bytes[-100] ^= 0x01  # inside the last block, the second leaf
    with pytest.raises(BlockCorrupted) as info:
        import_car(bytes(car_bytes))
    assert info.value.extra == {"cid": str(Cid.of(RAW, data[CHUNK_SIZE:]))}


def test_no_changed_byte_of_a_car_yields_other_bytes() -> None:
    data = content(40)
    dag = import_bytes(data, chunk_size=8, max_links=3)  # 5 leaves, 2 + 1 internal nodes
    out = io.BytesIO()
    write_car([dag.root], walk(dag.root, dag.blocks.__getitem__), out)
    car_bytes = out.getvalue()
    assert import_car(car_bytes).read_file() == data
    for i in range(len(car_bytes)):
        tampered = bytearray(car_bytes)
        tampered[i] ^= 0x01
        with pytest.raises(TradeLedgerError):
            import_car(bytes(tampered)).read_file()


def test_car_header_must_be_carv1_with_a_root() -> None:
    root = import_bytes(b"x").root
    for bad in (b"", b"\x05abc", header([])):
        with pytest.raises(InvalidCar):
            import_car(bytes([len(bad)]) + bad if bad else bad)
    v2 = header([root]).replace(b"version\x01", b"version\x02")
    with pytest.raises(InvalidCar, match="CAR version 2 is not supported"):
        import_car(bytes([len(v2)]) + v2)


# -- the kubo RPC backend ---------------------------------------------------------------------------


def test_kubo_store_reports_an_unreachable_node() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    store = KuboStore(url, timeout=5)
    for call in (lambda: store.put(b"x"), lambda: store.get(EMPTY_CID), lambda: store.has(EMPTY_CID)):
        with pytest.raises(KuboUnavailable) as info:
            call()
        assert info.value.code == "ipfs_unavailable" and info.value.status == 503
        assert url in info.value.detail


@pytest.fixture(scope="module")
def jsipfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A js-ipfs daemon (npm ``ipfs``), offline, on free ports with a temporary repo: its RPC URL."""
    cli = project_root() / "tests" / "kubo_peer" / "node_modules" / "ipfs" / "src" / "cli.js"
    if not cli.exists():
        missing = "js-ipfs is not installed in tests/kubo_peer; `make test` installs it"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {missing}")
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("jsipfs")
    api_port, gateway_port = free_port(), free_port()
    config = {
        "Addresses": {
            "API": f"/ip4/127.0.0.1/tcp/{api_port}",
            "Gateway": f"/ip4/127.0.0.1/tcp/{gateway_port}",
            "Swarm": [],
            "RPC": "",
            "Delegates": [],
        },
        "Bootstrap": [],
        "Discovery": {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}},
    }
    (folder / "config.json").write_text(json.dumps(config))
    log = (folder / "daemon.log").open("wb")
    process = subprocess.Popen(
        [
            node_bin(),
            "--import",
            str(HERE / "jsipfs_polyfill.mjs"),
            str(cli),
            "daemon",
            "--offline",
            "--init-config",
            str(folder / "config.json"),
            "--enable-preload=false",
        ],
        env={**os.environ, "IPFS_PATH": str(folder / "repo")},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{api_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (folder / "daemon.log").read_text()
            try:
                httpx.post(f"{url}/api/v0/version", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (folder / "daemon.log").read_text()
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.parametrize("size", [0, 6, CHUNK_SIZE, CHUNK_SIZE + 1, 5 * 1024 * 1024, OVER_174])
def test_kubo_store_against_an_rpc_server(size: int, jsipfs: str) -> None:
    data = b"hello\n" if size == 6 else content(size)
    store = KuboStore(jsipfs)
    cid = store.put(data)
    assert cid == (KUBO_CIDS[data] if size in (0, 6) else EXPECTED[size])
    assert store.has(cid)
    assert store.get(cid) == data
    out = io.BytesIO()
    store.export_car(cid, out)
    car = import_car(out.getvalue())
    assert [str(r) for r in car.roots] == [cid]
    assert car.read_file() == data


def test_kubo_store_refuses_a_node_that_imports_differently(jsipfs: str) -> None:
    class OtherChunking(KuboStore):  # a node whose import settings are not kubo's defaults
        add_params = {**KuboStore.add_params, "chunker": "size-1024"}

    data = content(5000)
    with pytest.raises(CidMismatch) as info:
        OtherChunking(jsipfs).put(data)
    assert info.value.code == "cid_mismatch" and info.value.status == 502
    assert info.value.extra["expected"] == str(import_bytes(data).root)
    assert info.value.extra["got"] == str(import_bytes(data, chunk_size=1024).root)
    # the node holds it under its own CID; reading that CID back is refused too, since our CID differs
    with pytest.raises(CidMismatch):
        KuboStore(jsipfs).get(info.value.extra["got"])


def test_kubo_store_has_is_false_for_what_it_never_pinned(jsipfs: str) -> None:
    assert not KuboStore(jsipfs).has(str(import_bytes(b"never stored").root))


def test_kubo_store_get_of_an_unknown_cid_times_out(jsipfs: str) -> None:
    # js-ipfs (like an online kubo) looks for a block it lacks until the request times out
    with pytest.raises(KuboUnavailable, match="did not answer cat in time"):
        KuboStore(jsipfs, timeout=1).get(str(import_bytes(b"never stored").root))
