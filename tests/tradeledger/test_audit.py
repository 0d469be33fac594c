"""``tradeledger verify`` and audit packs against a real anvil, the compiled contracts and the CLI.

One story is built once for the module (the demo's receivables story, a letter of credit from
application to honour, readings signed by a registered device and anchored, a scope 1 statement
verified by a carbon verifier) and exported as ACME Motors' pack. Then: the pack checks against the
chain alone, in a fresh process with no database; every kind of tampering is caught and named; the
reading proofs verify with @openzeppelin/merkle-tree and on chain; the CIDs are
ipfs-unixfs-importer's; and `verify` checks single records.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.db import make_engine
from api.documents.models import StoredDocument
from api.settings import get_settings
from chain.config import project_root
from chain.ids import org_id, to_hex32
from tests.conftest import ChainHarness
from tests.tradeledger.lc_files import write_lc_files
from tests.tradeledger.test_cli import Cli
from tradeledger.audit.check import check_pack
from tradeledger.audit.pack import MANIFEST, Pack, seal_manifest
from tradeledger.cli import app

pytestmark = pytest.mark.chain

HERE = Path(__file__).parent


@dataclass
class Story:
    cli: Cli
    harness: ChainHarness
    pack: Path
    receivable: str
    parts: list[str]
    credit: str
    statement: str
    database: Path

    def run(self, *args: str) -> tuple[int, str]:
        result = self.cli.runner.invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output


def _signed_readings(story_cli: Cli, harness: ChainHarness, count: int) -> None:
    """A gas meter of ACME Motors signs ``count`` readings now; they are stored and anchored as the IoT
    oracle stores and anchors them (the chain part is the real contract call)."""
    from api.carbon.models import ReadingBatchRow, ReadingRow, leaf_value
    from chain.carbon_contracts import READING_LEAF_TYPES
    from chain.client import org_key_name
    from chain.merkle import StandardMerkleTree
    from iot.identity import device_key
    from iot.readings import Domain, Reading, sign_reading
    from tradeledger.fleet import device_keystore
    from tradeledger.runtime import open_stack

    out = story_cli(
        "devices",
        "add",
        "GAS-AUDIT-1",
        "--org",
        "acme-motors",
        "--kind",
        "gas_meter",
        "--binding",
        "facility:acme-plant-audit",
    )
    device = bytes.fromhex(re.search(r"0x([0-9a-f]{64})", out).group(1))  # type: ignore[union-attr]
    stack = open_stack()
    account = device_key(device_keystore(stack), device)
    domain = Domain(harness.chain.chain_id, harness.manifest.address("DeviceRegistry"))
    binding = stack.chain.devices().device(device).binding
    now = int(harness.chain.w3.eth.get_block("latest")["timestamp"])
    rows = []
    for i in range(1, count + 1):
        reading = Reading(device, i, now + i, "natural_gas_m3", 1_500 * i, "m3", binding)
        rows.append(
            ReadingRow(
                device_id=to_hex32(device),
                owner=to_hex32(org_id("acme-motors")),
                sequence=i,
                timestamp=now + i,
                metric=reading.metric,
                value_milli=reading.value_milli,
                unit="m3",
                binding=to_hex32(binding),
                signer=account.address,
                signature="0x" + sign_reading(account, domain, reading).hex(),
                received_at=datetime.now(UTC),
            )
        )
    tree = StandardMerkleTree.of([leaf_value(r) for r in rows], READING_LEAF_TYPES)
    harness.chain.carbon(org_key_name(org_id("tradeledger-iot"))).anchor_readings(
        tree.root, len(rows), now + 1, now + count
    )
    engine = make_engine(f"sqlite:///{story_cli.database}")
    with Session(engine) as session:
        for i, row in enumerate(rows):
            row.batch_root = "0x" + tree.root.hex()
            row.proof = json.dumps(["0x" + p.hex() for p in tree.proof(i)])
            session.add(row)
        session.add(
            ReadingBatchRow(
                root="0x" + tree.root.hex(),
                count=count,
                period_start=now + 1,
                period_end=now + count,
                status="anchored",
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    engine.dispose()


def _letter_of_credit(cli: Cli, harness: ChainHarness, folder: Path) -> str:
    today = datetime.fromtimestamp(int(harness.chain.w3.eth.get_block("latest")["timestamp"]), UTC).date()
    terms, documents = write_lc_files(folder, today, number="LC-AUDIT-1", amount=40_000)
    applied = cli("lc", "apply", "--org", "acme-motors", "--file", str(terms))
    credit = re.search(r"credit (0x[0-9a-f]{64})", applied).group(1)  # type: ignore[union-attr]
    cli("lc", "issue", credit, "--org", "harbour-bank")
    cli("lc", "advise", credit, "--org", "harbour-bank")
    presented = cli("lc", "present", credit, "--org", "shenzhen-precision", "--file", str(documents))
    presentation = re.search(r"presentation (0x[0-9a-f]{64})", presented).group(1)  # type: ignore[union-attr]
    cli("lc", "examine", presentation, "--org", "harbour-bank")
    cli("lc", "honour", presentation, "--org", "harbour-bank")
    return credit


@pytest.fixture(scope="module")
def story(deployed: ChainHarness, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    snapshot = deployed.snapshot()
    folder = tmp_path_factory.mktemp("audit")
    database = folder / "platform.db"
    patch = pytest.MonkeyPatch()
    patch.setenv("TRADELEDGER_RPC_URL", deployed.node.url)
    patch.setenv("TRADELEDGER_DATABASE_URL", f"sqlite:///{database}")
    patch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    cli = Cli(CliRunner(), database)
    demo = cli("demo")
    receivable = re.search(r"receivable (0x[0-9a-f]{64})", demo).group(1)  # type: ignore[union-attr]
    parts = re.findall(r"0x[0-9a-f]{64}", demo.split("parts", 1)[1])[:2]
    credit = _letter_of_credit(cli, deployed, folder)
    _signed_readings(cli, deployed, 4)
    now = datetime.fromtimestamp(int(deployed.chain.w3.eth.get_block("latest")["timestamp"]), UTC)
    period = (
        "--from",
        (now - timedelta(hours=1)).isoformat(),
        "--to",
        (now + timedelta(hours=1)).isoformat(),
    )
    stated = cli("carbon", "statement", "--org", "acme-motors", "--scope", "1", *period)
    statement = re.search(r"0x[0-9a-f]{64}", stated).group(0)  # type: ignore[union-attr]
    cli("carbon", "verify", statement, "--verifier", "green-verify")
    year = ("--from", (now - timedelta(days=1)).isoformat(), "--to", (now + timedelta(days=1)).isoformat())
    cli("audit", "export", "--org", "acme-motors", *year, "--out", str(folder / "pack"))
    yield Story(cli, deployed, folder / "pack", receivable, parts, credit, statement, database)
    patch.undo()
    get_settings.cache_clear()
    deployed.revert(snapshot)


# --- the pack -----------------------------------------------------------------------------------


def test_the_pack_holds_every_kind_of_record_with_its_evidence(story: Story) -> None:
    pack = Pack.open(story.pack)
    counts = pack.manifest["counts"]
    documents = {d["type"] for d in pack.records("documents")}
    receivables = {r["id"] for r in pack.records("receivables")}

    assert documents == {"purchase_order", "shipment", "goods_receipt", "invoice", "match_result"}
    assert receivables == {story.receivable, *story.parts}
    assert [c["id"] for c in pack.records("credits")] == [story.credit]
    assert [s["id"] for s in pack.records("statements")] == [story.statement]
    assert counts["readings"] == 4 and counts["events"] > 20
    assert all(d["key"] and d["sealed"] and d["salt"] for d in pack.records("documents"))
    assert pack.manifest["rule_versions"]["matching"] == "match-1.0.0"
    assert pack.manifest["organisation"]["id"] == to_hex32(org_id("acme-motors"))
    assert set(pack.manifest["files"]) >= {"deployment.json", "events.jsonl", "records/readings.json"}


def test_audit_check_passes_on_a_machine_with_only_the_pack_and_an_rpc_endpoint(
    story: Story, tmp_path: Path
) -> None:
    """A fresh process in an empty folder: no database (its URL points nowhere), no keys, no API."""
    copy = tmp_path / "received-pack"
    shutil.copytree(story.pack, copy)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADELEDGER_")}
    env.update(
        {
            "TRADELEDGER_VAR_DIR": str(tmp_path / "empty"),
            "COLUMNS": "200",
            "TRADELEDGER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        }
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tradeledger.cli",
            "audit",
            "check",
            str(copy),
            "--rpc",
            story.harness.node.url,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"all \d+ record\(s\) verified against the chain", result.stdout)
    assert "match recomputed" in result.stdout
    assert "examination recomputed" in result.stdout
    assert "statement recomputed" in result.stdout
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").rglob("*.db"))


def _reseal(folder: Path) -> None:
    """What a forger does after changing a file: rehash everything into a new, consistent manifest."""
    manifest = json.loads((folder / MANIFEST).read_text())
    seal_manifest(folder, manifest)


def _edit_json(folder: Path, relative: str, change: Callable[[Any], None]) -> None:
    path = folder / relative
    value = json.loads(path.read_text())
    change(value)
    path.write_text(json.dumps(value, indent=1, sort_keys=True))


def _flip(path: Path, at: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _first(folder: Path, kind: str, doc_type: str | None = None) -> dict[str, Any]:
    records = json.loads((folder / "records" / f"{kind}.json").read_text())
    return next(r for r in records if doc_type is None or r.get("type") == doc_type)


def _document_byte(folder: Path) -> None:
    _flip(folder / _first(folder, "documents", "invoice")["file"], 30)


def _document_byte_resealed(folder: Path) -> None:
    _document_byte(folder)
    _reseal(folder)


def _sealed_byte_resealed(folder: Path) -> None:
    _flip(folder / _first(folder, "documents", "purchase_order")["sealed"], 40)
    _reseal(folder)


def _salt_resealed(folder: Path) -> None:
    _edit_json(folder, "records/documents.json", lambda v: v[0].update(salt="0x" + "11" * 32))
    _reseal(folder)


def _reading_value_resealed(folder: Path) -> None:
    _edit_json(folder, "records/readings.json", lambda v: v[0]["leaf"].__setitem__(4, v[0]["leaf"][4] + 1))
    _reseal(folder)


def _proof_resealed(folder: Path) -> None:
    _edit_json(folder, "records/readings.json", lambda v: v[1]["proof"].__setitem__(0, "0x" + "22" * 32))
    _reseal(folder)


def _manifest_byte(folder: Path) -> None:
    text = (folder / MANIFEST).read_text()
    (folder / MANIFEST).write_text(text.replace("ACME Motors", "ACME Motorz", 1))


def _receivable_field_resealed(folder: Path) -> None:
    _edit_json(folder, "records/receivables.json", lambda v: v[0].update(face_value=v[0]["face_value"] + 1))
    _reseal(folder)


def _event_resealed(folder: Path) -> None:
    lines = (folder / "events.jsonl").read_text().splitlines()
    event = json.loads(lines[3])
    event["block"] += 1
    lines[3] = json.dumps(event, sort_keys=True)
    (folder / "events.jsonl").write_text("\n".join(lines) + "\n")
    _reseal(folder)


def _presentation_resealed(folder: Path) -> None:
    def change(credits: Any) -> None:
        credits[0]["presentations"][0]["documents"]["amount_minor"] = 39_000

    _edit_json(folder, "records/credits.json", change)
    _reseal(folder)


def _statement_resealed(folder: Path) -> None:
    _edit_json(folder, "records/statements.json", lambda v: v[0].update(grams=v[0]["grams"] - 1))
    _reseal(folder)


def _reading_dropped_resealed(folder: Path) -> None:
    _edit_json(folder, "records/statements.json", lambda v: v[0]["readings"].pop())
    _reseal(folder)


def _file_added(folder: Path) -> None:
    (folder / "documents" / "extra.json").write_text("{}")


def _file_removed(folder: Path) -> None:
    (folder / _first(folder, "documents", "shipment")["file"]).unlink()


TAMPERING: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name: (tampering, kind of the report that must fail, check that must fail)
    "a document byte": (_document_byte, "pack", "file hash"),
    "a document byte, manifest rehashed": (_document_byte_resealed, "document", "commitment"),
    "an encrypted copy byte, manifest rehashed": (_sealed_byte_resealed, "document", "cid"),
    "a salt, manifest rehashed": (_salt_resealed, "document", "commitment"),
    "a reading value, manifest rehashed": (_reading_value_resealed, "reading", "merkle proof"),
    "a proof, manifest rehashed": (_proof_resealed, "reading", "merkle proof"),
    "the pack manifest": (_manifest_byte, "pack", "manifest hash"),
    "a receivable's face value, manifest rehashed": (
        _receivable_field_resealed,
        "receivable",
        "recorded fields",
    ),
    "an event's block, manifest rehashed": (_event_resealed, "event log", "event"),
    "presented documents, manifest rehashed": (
        _presentation_resealed,
        "letter of credit",
        "presented documents",
    ),
    "a statement's grams, manifest rehashed": (_statement_resealed, "emission statement", "recorded fields"),
    "a reading left out of a statement": (
        _reading_dropped_resealed,
        "emission statement",
        "statement recomputed",
    ),
    "a file added": (_file_added, "pack", "file listed"),
    "a file removed": (_file_removed, "pack", "file present"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_any_tampering_fails_the_check_and_names_what_failed(story: Story, tmp_path: Path, case: str) -> None:
    tamper, kind, check = TAMPERING[case]
    copy = tmp_path / "pack"
    shutil.copytree(story.pack, copy)
    tamper(copy)

    reports = check_pack(copy, story.harness.node.url)

    failed = {(r.kind, c.what) for r in reports for c in r.failures}
    assert (kind, check) in failed, failed
    assert not all(r.ok for r in reports)


def test_check_reports_the_tampered_file_by_name(story: Story, tmp_path: Path) -> None:
    copy = tmp_path / "pack"
    shutil.copytree(story.pack, copy)
    invoice = _first(copy, "documents", "invoice")
    _flip(copy / invoice["file"], 30)

    code, out = story.run("audit", "check", str(copy), "--rpc", story.harness.node.url)

    assert code == 1
    assert f"{invoice['file']} was changed" in out
    assert "did not verify" in out


def test_check_refuses_a_folder_that_is_not_a_pack(story: Story, tmp_path: Path) -> None:
    code, out = story.run("audit", "check", str(tmp_path), "--rpc", story.harness.node.url)

    assert code == 2
    assert "(not_a_pack)" in out


def test_check_against_another_chain_is_refused(story: Story, tmp_path: Path) -> None:
    copy = tmp_path / "pack"
    shutil.copytree(story.pack, copy)
    _edit_json(copy, "deployment.json", lambda v: v.update(chain_id=1))
    _reseal(copy)

    code, out = story.run("audit", "check", str(copy), "--rpc", story.harness.node.url)

    assert code == 2
    assert "the manifest is for chain 1" in out


def test_the_expected_manifest_hash_must_match(story: Story) -> None:
    code, out = story.run(
        "audit", "check", str(story.pack), "--rpc", story.harness.node.url, "--manifest-hash", "0" * 64
    )

    assert code == 1
    assert "expected manifest hash" in out


# --- interoperability ----------------------------------------------------------------------------

OZ_VERIFY = """
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');
const readings = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
for (const r of readings) {
  console.log(StandardMerkleTree.verify(r.root, r.leaf_encoding, r.leaf, r.proof) ? 'ok' : 'bad');
}
"""


def test_reading_proofs_from_a_pack_verify_with_openzeppelin_and_on_chain(story: Story) -> None:
    readings = Pack.open(story.pack).records("readings")
    result = subprocess.run(
        ["node", "-e", OZ_VERIFY, str(story.pack / "records" / "readings.json")],
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    ledger = story.harness.chain.carbon()
    on_chain = [
        ledger.verify_reading(
            bytes.fromhex(r["root"][2:]),
            [bytes.fromhex(p[2:]) for p in r["proof"]],
            (bytes.fromhex(r["leaf"][0][2:]), *r["leaf"][1:6], bytes.fromhex(r["leaf"][6][2:])),
        )
        for r in readings
    ]

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok"] * len(readings)
    assert on_chain == [True] * len(readings)


def test_document_cids_in_a_pack_are_ipfs_unixfs_importer_cids(story: Story) -> None:
    documents = Pack.open(story.pack).records("documents")
    files = [str(story.pack / d["sealed"]) for d in documents]
    result = subprocess.run(
        ["node", str(project_root() / "tests" / "chain" / "unixfs_import.mjs"), *files],
        cwd=project_root(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [d["cid"] for d in documents]


# --- verify ---------------------------------------------------------------------------------------


def _stored(story: Story, doc_type: str) -> StoredDocument:
    engine = make_engine(f"sqlite:///{story.database}")
    with Session(engine) as session:
        row = session.exec(select(StoredDocument).where(StoredDocument.doc_type == doc_type)).first()
    engine.dispose()
    assert row is not None
    return row


def test_verify_a_document_file_with_its_salt(story: Story, tmp_path: Path) -> None:
    po = _stored(story, "purchase_order")
    (tmp_path / "po.json").write_text(json.dumps(json.loads(po.canonical), indent=2))  # any formatting

    code, out = story.run("verify", str(tmp_path / "po.json"), "--salt", po.salt, "--json")
    report = json.loads(out)[0]

    assert code == 0, out
    assert report["verified"] is True
    assert report["subject"] == po.doc_id
    assert report["facts"]["anchored_block"] == po.anchored_block
    assert report["facts"]["anchored_tx_hash"] == po.anchored_tx
    assert report["facts"]["issuer"].startswith("ACME Motors")
    assert report["history"][0]["event"] == "DocumentRegistry.DocumentAnchored"


def test_verify_names_a_changed_document(story: Story, tmp_path: Path) -> None:
    po = _stored(story, "purchase_order")
    changed = json.loads(po.canonical)
    changed["po_number"] += "-1"
    (tmp_path / "po.json").write_text(json.dumps(changed))

    code, out = story.run("verify", str(tmp_path / "po.json"), "--salt", po.salt, "--id", po.doc_id)

    assert code == 1
    assert "commitment" in out and "not the one anchored" in out


def test_verify_an_encrypted_copy_with_its_key(story: Story) -> None:
    record = _first(story.pack, "documents", "invoice")

    code, out = story.run(
        "verify",
        str(story.pack / record["sealed"]),
        "--sealed",
        "--key",
        record["key"],
        "--id",
        record["id"],
        "--salt",
        record["salt"],
        "--json",
    )
    wrong = story.run(
        "verify",
        str(story.pack / record["sealed"]),
        "--sealed",
        "--key",
        "0x" + "00" * 32,
        "--id",
        record["id"],
        "--salt",
        record["salt"],
    )

    assert code == 0, out
    assert json.loads(out)[0]["facts"]["cid"] == record["cid"]
    assert wrong[0] == 2 and "(decryption_failed)" in wrong[1]


def test_verify_a_receivable_by_id_shows_its_history(story: Story) -> None:
    code, out = story.run("verify", story.receivable, "--json")
    report = json.loads(out)[0]
    events = [h["event"].split(".")[1] for h in report["history"]]

    assert code == 0, out
    assert report["kind"] == "receivable"
    assert events[:3] == ["ReceivableIssued", "Transfer", "MatchAttested"]
    assert {"ReceivableConfirmed", "ReceivableSplit"} <= set(events)
    assert report["facts"]["status"] == "split"
    assert {c["what"] for c in report["checks"]} >= {"split conserves value", "match result anchored"}


def test_verify_a_financed_part_shows_its_lineage_and_financing(story: Story) -> None:
    outputs = [story.run("verify", part, "--json") for part in story.parts]
    reports = [json.loads(out)[0] for _, out in outputs]

    assert all(code == 0 for code, _ in outputs)
    assert all(r["facts"]["parent"] == story.receivable for r in reports)
    financed = [r for r in reports if any(h["event"] == "Financing.FinancingFunded" for h in r["history"])]
    assert len(financed) == 1
    assert "lineage" in {c["what"] for c in financed[0]["checks"]}


def test_verify_a_letter_of_credit_by_id(story: Story) -> None:
    code, out = story.run("verify", story.credit, "--json")
    report = json.loads(out)[0]
    events = [h["event"].split(".")[1] for h in report["history"]]

    assert code == 0, out
    assert report["kind"] == "letter of credit"
    assert events == [
        "CreditApplied",
        "CreditIssued",
        "CreditAdvised",
        "DocumentsPresented",
        "PresentationExamined",
        "PresentationHonoured",
    ]
    assert report["facts"]["drawn"] == 40_000


def test_verify_a_reading_proof_file_and_a_reading_from_a_pack(story: Story, tmp_path: Path) -> None:
    reading = Pack.open(story.pack).records("readings")[0]
    proof = {
        "root": reading["root"],
        "proof": reading["proof"],
        "leaf": reading["leaf"],
        "leaf_encoding": reading["leaf_encoding"],
        "signature": reading["signature"],
    }
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    proof["leaf"][4] += 1
    (tmp_path / "forged.json").write_text(json.dumps(proof))

    good = story.run("verify", str(tmp_path / "proof.json"), "--json")
    by_id = story.run("verify", str(reading["id"]), "--pack", str(story.pack), "--json")
    forged = story.run("verify", str(tmp_path / "forged.json"))

    assert good[0] == 0, good[1]
    checks = {c["what"]: c["ok"] for c in json.loads(good[1])[0]["checks"]}
    assert checks == {
        "merkle proof": True,
        "batch anchored": True,
        "batch period": True,
        "verifyReading on chain": True,
        "device signature": True,
    }
    assert by_id[0] == 0, by_id[1]
    assert forged[0] == 1 and "merkle proof" in forged[1]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("not-a-file-or-id",), "invalid_target"),
        (("0x" + "ab" * 32,), "not_found"),
        (("17",), "reading_not_found"),
        (("0x" + "ab" * 32, "--pack", "/nonexistent-pack"), "not_a_pack"),
    ],
)
def test_verify_bad_targets_say_what_to_give(story: Story, args: tuple[str, ...], code: str) -> None:
    exit_code, out = story.run("verify", *args)

    assert exit_code == 2
    assert f"({code})" in out


def test_verify_a_document_needs_its_salt(story: Story, tmp_path: Path) -> None:
    (tmp_path / "doc.json").write_text(_stored(story, "invoice").canonical)

    exit_code, out = story.run("verify", str(tmp_path / "doc.json"))
    short = story.run("verify", str(tmp_path / "doc.json"), "--salt", "0x1234")
    sealed_short_key = story.run(
        "verify",
        str(tmp_path / "doc.json"),
        "--sealed",
        "--salt",
        "0x" + "00" * 32,
        "--key",
        "0x12",
        "--id",
        "0x" + "00" * 32,
    )

    assert exit_code == 2
    assert "(salt_required)" in out
    assert short[0] == 2 and "(invalid_input)" in short[1]
    assert sealed_short_key[0] == 2 and "(decryption_failed)" in sealed_short_key[1]


# --- export errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--org", "acme-motors", "--from", "2026-01-01T00:00:00", "--to", "2027-01-01T00:00:00Z"),
            "timezone",
        ),
        (
            ("--org", "acme-motors", "--from", "2027-01-01T00:00:00Z", "--to", "2026-01-01T00:00:00Z"),
            "(invalid_period)",
        ),
        (
            ("--org", "nobody-co", "--from", "2026-01-01T00:00:00Z", "--to", "2027-01-01T00:00:00Z"),
            "(organisation_not_found)",
        ),
    ],
)
def test_export_refuses_bad_input_and_writes_nothing(
    story: Story, tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    code, out = story.run("audit", "export", *args, "--out", str(tmp_path / "pack"))

    assert code != 0
    assert expected in out
    assert not (tmp_path / "pack").exists() or not any((tmp_path / "pack").iterdir())


def test_export_refuses_a_folder_that_is_not_empty(story: Story) -> None:
    before = sorted(p.name for p in story.pack.iterdir())
    code, out = story.run(
        "audit",
        "export",
        "--org",
        "acme-motors",
        "--from",
        "2026-01-01T00:00:00Z",
        "--to",
        "2027-01-01T00:00:00Z",
        "--out",
        str(story.pack),
    )

    assert code == 1 and "(pack_exists)" in out
    assert sorted(p.name for p in story.pack.iterdir()) == before


def test_verify_with_a_pack_recomputes_the_match_and_the_examination(story: Story) -> None:
    receivable = story.run("verify", story.receivable, "--pack", str(story.pack), "--json")
    credit = story.run("verify", story.credit, "--pack", str(story.pack), "--json")

    assert receivable[0] == 0, receivable[1]
    assert credit[0] == 0, credit[1]
    receivable_checks = {c["what"]: c["ok"] for c in json.loads(receivable[1])[0]["checks"]}
    credit_report = json.loads(credit[1])[0]
    assert receivable_checks["match recomputed"] is True
    assert {c["what"]: c["ok"] for c in credit_report["checks"]}["examination recomputed"] is True
    assert any(
        str(v).startswith("honoured, 40000 USD, examination report 0x")
        for v in credit_report["facts"].values()
    )


def _changed(value: Any) -> Any:
    """Another value of the same shape: a number +1, a flag flipped, a hex digit or a letter changed."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "0x" + "00" * 32
    text = str(value)
    last = text[-1]
    return text[:-1] + ("0" if last != "0" else "1") if last.isdigit() or last in "abcdef" else text + "x"


def _leaves(record: dict[str, Any]) -> list[tuple[str, ...]]:
    """Paths to the record's scalar fields, and to those of the first item of its lists of records."""
    paths: list[tuple[str, ...]] = []
    for key, value in record.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            paths += [(key, "0", k) for k, v in value[0].items() if not isinstance(v, dict | list)]
        elif isinstance(value, list) and value:
            paths.append((key, "0"))
        elif not isinstance(value, dict | list):
            paths.append((key,))
    return paths


def _set(record: Any, path: tuple[str, ...]) -> None:
    *parents, last = path
    for step in parents:
        record = record[int(step)] if isinstance(record, list) else record[step]
    key: Any = int(last) if isinstance(record, list) else last
    record[key] = _changed(record[key])


def test_changing_any_recorded_field_fails_the_check(story: Story, tmp_path: Path) -> None:
    """Every scalar field of the first record of each kind (and of its first presentation, amendment
    or line of a list), changed and the manifest rehashed: the check must fail every time."""
    pack = Pack.open(story.pack)
    cases = [
        (kind, path)
        for kind in ("documents", "receivables", "credits", "readings", "statements")
        for path in _leaves(pack.records(kind)[0])
    ]
    unnoticed = []
    for n, (kind, path) in enumerate(cases):
        copy = tmp_path / f"pack-{n}"
        shutil.copytree(story.pack, copy)
        _edit_json(copy, f"records/{kind}.json", lambda records, path=path: _set(records[0], path))
        _reseal(copy)
        if all(r.ok for r in check_pack(copy, story.harness.node.url)):
            unnoticed.append(f"{kind}: {'.'.join(path)}")
        shutil.rmtree(copy)

    assert len(cases) > 50
    assert unnoticed == []


@pytest.fixture(scope="module")
def platform_api(story: Story) -> Iterator[tuple[str, str]]:
    """The platform's API over the story's database (uvicorn on a free port) and a read key of ACME Motors."""
    import threading
    import time

    import uvicorn

    from api.app import create_app
    from api.auth.service import create_api_key
    from chain.node import free_port

    engine = make_engine(f"sqlite:///{story.database}")
    with Session(engine) as session:
        _, key = create_api_key(session, to_hex32(org_id("acme-motors")), "audit tests", ["read"])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(get_settings(), engine=engine), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", key
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_verify_takes_a_reading_and_a_document_from_the_api(
    story: Story, platform_api: tuple[str, str]
) -> None:
    url, key = platform_api
    reading = Pack.open(story.pack).records("readings")[0]
    invoice = _stored(story, "invoice")

    by_reading = story.run("verify", str(reading["id"]), "--api", url, "--api-key", key, "--json")
    by_document = story.run("verify", invoice.doc_id, "--api", url, "--api-key", key, "--json")
    refused = story.run("verify", invoice.doc_id, "--api", url, "--api-key", "tl_00000000_nope")
    keyless = story.run("verify", invoice.doc_id, "--api", url)

    assert by_reading[0] == 0, by_reading[1]
    assert {c["what"] for c in json.loads(by_reading[1])[0]["checks"]} >= {"merkle proof", "device signature"}
    assert by_document[0] == 0, by_document[1]
    document = json.loads(by_document[1])[0]
    assert document["subject"] == invoice.doc_id and document["facts"]["cid"] == invoice.cid
    assert {c["what"] for c in document["checks"]} >= {"commitment", "encrypted copy", "cid"}
    assert refused[0] == 2 and "(api_key_refused)" in refused[1]
    assert keyless[0] == 2 and "(api_key_required)" in keyless[1]
