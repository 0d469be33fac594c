"""The ``tradeledger`` CLI against the test deployment on a real anvil."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, select
from typer.testing import CliRunner

from api.db import make_engine
from api.participants.models import Organisation, OrganisationAccount
from api.settings import get_settings
from chain.ids import org_id, to_hex32
from tests.conftest import ChainHarness
from tradeledger.cli import app

pytestmark = pytest.mark.chain


class Cli:
    def __init__(self, runner: CliRunner, database: Path) -> None:
        self.runner = runner
        self.database = database

    def __call__(self, *args: str, ok: bool = True) -> str:
        result = self.runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code == 1, result.output
        return result.output

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        engine = make_engine(f"sqlite:///{self.database}")

        def dump(model: type[SQLModel], *drop: str) -> list[dict[str, Any]]:
            with Session(engine) as session:
                return sorted((r.model_dump(exclude=set(drop)) for r in session.exec(select(model))), key=str)

        try:
            return {"organisations": dump(Organisation), "accounts": dump(OrganisationAccount, "id")}
        finally:
            engine.dispose()


@pytest.fixture
def cli(harness: ChainHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("TRADELEDGER_RPC_URL", harness.node.url)
    monkeypatch.setenv("TRADELEDGER_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield Cli(CliRunner(), database)
    get_settings.cache_clear()


def test_status_shows_the_deployment_and_the_index(cli: Cli, harness: ChainHarness) -> None:
    out = cli("status")

    assert harness.manifest.address("Participants") in out
    assert "v1.0.0" in out
    assert "2 of 2 officers" in out


def test_deploy_on_a_deployed_chain_changes_nothing(cli: Cli, harness: ChainHarness) -> None:
    block = harness.chain.w3.eth.block_number

    out = cli("deploy")

    assert "already deployed" in out
    assert harness.chain.w3.eth.block_number == block


def test_orgs_create_list_suspend(cli: Cli, harness: ChainHarness) -> None:
    oid = to_hex32(org_id("cli-co"))

    created = cli(
        "orgs", "create", "cli-co", "--name", "CLI Co", "--role", "financier", "--legal-id", "LEI-CLI"
    )
    listed = cli("orgs", "list")
    suspended = cli("orgs", "suspend", oid)

    assert oid in created and "API key (shown once): tl_" in created
    assert "CLI Co" in listed and "financier" in listed
    assert "suspended" in suspended
    assert harness.chain.participants().organisation(org_id("cli-co")).status == "suspended"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (
            ("orgs", "create", "bad-role", "--name", "X", "--role", "emperor", "--legal-id", "L"),
            "invalid_role",
        ),
        (("orgs", "suspend", "0x1234"), "invalid_org_id"),
        (("orgs", "suspend", "0x" + "ab" * 32), "organisation_not_found"),
        (("keys", "api-key", "0x" + "ab" * 32), "not_found"),
    ],
)
def test_bad_input_prints_the_error_code_and_changes_nothing(
    cli: Cli, harness: ChainHarness, args: tuple[str, ...], code: str
) -> None:
    block = harness.chain.w3.eth.block_number

    out = cli(*args, ok=False)

    assert f"({code})" in out
    assert harness.chain.w3.eth.block_number == block


def test_registering_a_handle_twice_is_refused(cli: Cli, harness: ChainHarness) -> None:
    cli("orgs", "create", "twice-co", "--name", "Twice", "--role", "supplier", "--legal-id", "L1")
    block = harness.chain.w3.eth.block_number

    out = cli(
        "orgs", "create", "twice-co", "--name", "Again", "--role", "supplier", "--legal-id", "L2", ok=False
    )

    assert "(organisation_exists)" in out
    assert harness.chain.w3.eth.block_number == block


def test_reindex_on_a_wiped_database_reproduces_the_same_rows(cli: Cli) -> None:
    cli("orgs", "create", "reindex-a", "--name", "Reindex A", "--role", "supplier", "--legal-id", "L-A")
    cli("orgs", "create", "reindex-b", "--name", "Reindex B", "--role", "logistics", "--legal-id", "L-B")
    cli("orgs", "suspend", to_hex32(org_id("reindex-b")))
    before = cli.rows()
    for path in cli.database.parent.glob(cli.database.name + "*"):
        path.unlink()  # the database is gone

    out = cli("reindex")

    assert "re-indexed" in out
    assert cli.rows() == before
    assert len(before["organisations"]) >= 3


def test_keys_list_shows_addresses(cli: Cli, harness: ChainHarness) -> None:
    out = cli("keys", "list")

    assert "operator" in out
    assert harness.chain.keystore.address("operator") in out


def test_an_unreachable_chain_is_a_clear_error(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADELEDGER_RPC_URL", "http://127.0.0.1:9")

    out = cli("status", ok=False)

    assert "(chain_error)" in out
    assert "is the node running?" in out


def test_demo_runs_the_whole_story_and_prints_a_summary(cli: Cli, harness: ChainHarness) -> None:
    out = cli("demo")

    assert "three-document match: matched" in out
    assert "financed by Harbour Bank: funded" in out
    assert "repaid both holders" in out
    assert "the receivables story" in out
    assert "confirmed → funded in" in out


def test_governance_commands_run_a_dual_control_operation(cli: Cli, harness: ChainHarness) -> None:
    out = cli("governance", "propose", "Financing", "setReviewThreshold", "5000")
    op = re.search(r"0x[0-9a-f]{64}", out).group(0)  # type: ignore[union-attr]

    early = cli("governance", "execute", op, ok=False)
    cli("governance", "approve", op)
    same_again = cli("governance", "approve", op, "--officer", "officer-1", ok=False)
    harness.increase_time(3601)
    executed = cli("governance", "execute", op)
    shown = cli("governance", "show", op)

    assert "(dual_control_not_enough_approvals)" in early
    assert "(dual_control_already_approved)" in same_again
    assert "executed" in executed
    assert "executed" in shown and "Financing" in shown
    assert harness.chain.financing().call("reviewThreshold") == 5000


def test_governance_arguments_are_checked_before_anything_is_sent(cli: Cli, harness: ChainHarness) -> None:
    block = harness.chain.w3.eth.block_number

    wrong_count = cli("governance", "propose", "Financing", "setReviewThreshold", "1", "2", ok=False)
    not_a_number = cli("governance", "propose", "Financing", "setReviewThreshold", "lots", ok=False)

    assert "(invalid_arguments)" in wrong_count and "(invalid_arguments)" in not_a_number
    assert harness.chain.w3.eth.block_number == block


def test_devices_are_provisioned_rotated_and_revoked(cli: Cli, harness: ChainHarness) -> None:
    cli("demo")  # seeds the demo consortium
    added = cli(
        "devices",
        "add",
        "M-77",
        "--org",
        "acme-motors",
        "--kind",
        "electricity_meter",
        "--binding",
        "facility:acme-plant-1",
    )
    device = re.search(r"0x[0-9a-f]{64}", added).group(0)  # type: ignore[union-attr]
    again = cli(
        "devices",
        "add",
        "M-77",
        "--org",
        "acme-motors",
        "--kind",
        "electricity_meter",
        "--binding",
        "facility:acme-plant-1",
    )
    rotated = cli("devices", "rotate", device)
    listed = cli("devices", "list", "--org", "acme-motors")
    revoked = cli("devices", "revoke", device)
    bad_kind = cli(
        "devices", "add", "M-78", "--org", "acme-motors", "--kind", "toaster", "--binding", "x", ok=False
    )

    assert "registered 0x" in added and "already registered" in again
    assert "generation 1" in rotated
    assert device in listed and "electricity_meter" in listed
    assert "revoked" in revoked
    assert harness.chain.devices().device(bytes.fromhex(device[2:])).status == "revoked"
    assert "(invalid_kind)" in bad_kind


@pytest.mark.broker
def test_simulate_publishes_signed_readings(cli: Cli, harness: ChainHarness, mqtt_url: str) -> None:
    import threading
    from urllib.parse import urlparse

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from iot.readings import Domain, ReadingVerifier, parse_payload
    from iot.topics import READINGS_FILTER

    cli("demo")
    received: list[bytes] = []
    ready = threading.Event()
    target = urlparse(mqtt_url)
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    listener.on_subscribe = lambda *_: ready.set()
    listener.on_message = lambda _c, _u, message: received.append(bytes(message.payload))
    listener.connect(target.hostname or "127.0.0.1", target.port or 1883)
    listener.subscribe(READINGS_FILTER, qos=1)
    listener.loop_start()
    assert ready.wait(10)
    try:
        out = cli("simulate", "--devices", "5", "--count", "12", "--rate", "200", "--broker", mqtt_url)
        deadline = time.monotonic() + 10
        while len(received) < 12 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        listener.loop_stop()
        listener.disconnect()

    assert "published 12 signed readings from 5 devices" in out
    domain = Domain(harness.chain.chain_id, harness.manifest.address("DeviceRegistry"))
    verifier = ReadingVerifier(domain)
    signers = set()
    for raw in received[:12]:
        reading, signature = parse_payload(raw)
        signer = verifier.recover(reading, signature)
        assert harness.chain.devices().is_valid_signer(reading.device_id, signer, reading.timestamp)
        signers.add(signer)
    assert len(received) >= 12 and len(signers) == 5


def _anchor_readings(
    cli: Cli, harness: ChainHarness, owner: str, metric: str, unit: str, binding: str, values: list[int]
) -> None:
    """Readings of ``owner``'s device at 1,780,000,001 s on (May 2026), anchored by the demo IoT oracle."""
    import json as jsonlib
    from datetime import UTC, datetime

    from api.carbon.models import ReadingBatchRow, ReadingRow, leaf_value
    from chain.carbon_contracts import READING_LEAF_TYPES
    from chain.client import org_key_name
    from chain.merkle import StandardMerkleTree

    rows = [
        ReadingRow(
            device_id="0x" + "44" * 32,
            owner=to_hex32(org_id(owner)),
            sequence=i,
            timestamp=1_780_000_000 + i,
            metric=metric,
            value_milli=value,
            unit=unit,
            binding=binding,
            signer="0x" + "00" * 20,
            signature="0x",
            received_at=datetime.now(UTC),
        )
        for i, value in enumerate(values, start=1)
    ]
    tree = StandardMerkleTree.of([leaf_value(r) for r in rows], READING_LEAF_TYPES)
    harness.chain.carbon(org_key_name(org_id("tradeledger-iot"))).anchor_readings(tree.root, len(rows), 1, 2)
    engine = make_engine(f"sqlite:///{cli.database}")
    with Session(engine) as session:
        for i, row in enumerate(rows):
            row.batch_root, row.proof = (
                "0x" + tree.root.hex(),
                jsonlib.dumps([p.hex() for p in tree.proof(i)]),
            )
            session.add(row)
        root = "0x" + tree.root.hex()
        session.add(
            ReadingBatchRow(
                root=root,
                count=len(rows),
                period_start=1,
                period_end=2,
                status="anchored",
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    engine.dispose()


def test_carbon_statement_and_verification_from_anchored_readings(cli: Cli, harness: ChainHarness) -> None:
    cli("demo")
    nothing = cli(
        "carbon",
        "statement",
        "--org",
        "acme-motors",
        "--from",
        "2026-01-01T00:00:00Z",
        "--to",
        "2026-02-01T00:00:00Z",
        ok=False,
    )
    _anchor_readings(cli, harness, "acme-motors", "natural_gas_m3", "m3", "0x" + "aa" * 32, [2_000, 2_000])

    stated = cli(
        "carbon",
        "statement",
        "--org",
        "acme-motors",
        "--scope",
        "1",
        "--from",
        "2026-05-01T00:00:00Z",
        "--to",
        "2026-06-30T00:00:00Z",
    )
    statement = re.search(r"0x[0-9a-f]{64}", stated).group(0)  # type: ignore[union-attr]
    verified = cli("carbon", "verify", statement, "--verifier", "green-verify")
    by_supplier = cli("carbon", "verify", statement, "--verifier", "shenzhen-precision", ok=False)

    assert "(no_readings)" in nothing
    assert "7.637 kg CO2e from 2 readings in 1 batch(es)" in stated  # 4 m3 x 1,909.34 g
    assert "verified" in verified
    assert "(access_managed_unauthorized)" in by_supplier
    no_score = cli("carbon", "score", "--org", "acme-motors")
    half = cli("carbon", "score", "--org", "acme-motors", "--current", statement, ok=False)
    same = ("--current", statement, "--baseline", statement, "--verifier", "green-verify")
    not_comparable = cli("carbon", "score", "--org", "acme-motors", *same, ok=False)
    assert "no carbon score yet" in no_score
    assert "(bad_arguments)" in half
    assert "(carbon_not_comparable)" in not_comparable  # a statement is not its own baseline


def test_scope_three_freight_of_the_demo_shipment(cli: Cli, harness: ChainHarness) -> None:
    from eth_utils import keccak

    from api.documents.models import StoredDocument

    cli("demo")  # its bill of lading: deep-sea container, 12.5 t gross
    engine = make_engine(f"sqlite:///{cli.database}")
    with Session(engine) as session:
        bl = session.exec(select(StoredDocument.number).where(StoredDocument.doc_type == "shipment")).one()
    engine.dispose()
    binding = "0x" + keccak(text=f"shipment:{bl}").hex()
    _anchor_readings(cli, harness, "fastfreight", "distance_km", "km", binding, [400_000, 400_000])
    period = ("--from", "2026-05-01T00:00:00Z", "--to", "2026-06-30T00:00:00Z")

    stated = cli("carbon", "statement", "--org", "acme-motors", "--scope", "3", "--shipment", bl, *period)
    stranger = cli(
        "carbon",
        "statement",
        "--org",
        "dongguan-castings",
        "--scope",
        "3",
        "--shipment",
        bl,
        *period,
        ok=False,
    )
    mixed = cli(
        "carbon", "statement", "--org", "acme-motors", "--scope", "2", "--shipment", bl, *period, ok=False
    )

    assert "scope 3, 80.000 kg CO2e from 2 readings" in stated  # 800 km x 12.5 t x 8 g/tkm
    assert "(shipment_not_found)" in stranger  # not a party: the shipment is not revealed
    assert "(bad_scope)" in mixed


def test_a_letter_of_credit_from_application_to_honour_on_the_command_line(
    cli: Cli, harness: ChainHarness, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from tests.tradeledger.lc_files import write_lc_files

    cli("demo")  # Harbour Bank holds tokenized cash after the demo's financing
    today = datetime.fromtimestamp(int(harness.chain.w3.eth.get_block("latest")["timestamp"]), UTC).date()
    # the bill of lading names another port than the credit's
    terms, documents = write_lc_files(tmp_path, today, number="LC-CLI-1", amount=50_000, discharge="DEHAM")
    applied = cli("lc", "apply", "--org", "acme-motors", "--file", str(terms))
    credit = re.search(r"credit (0x[0-9a-f]{64})", applied).group(1)  # type: ignore[union-attr]
    cli("lc", "issue", credit, "--org", "harbour-bank")
    cli("lc", "advise", credit, "--org", "harbour-bank")
    presented = cli("lc", "present", credit, "--org", "shenzhen-precision", "--file", str(documents))
    presentation = re.search(r"presentation (0x[0-9a-f]{64})", presented).group(1)  # type: ignore[union-attr]
    by_beneficiary = cli("lc", "honour", presentation, "--org", "shenzhen-precision", ok=False)
    examined = cli("lc", "examine", presentation, "--org", "harbour-bank")
    early = cli("lc", "honour", presentation, "--org", "harbour-bank", ok=False)
    cli("lc", "refuse", presentation, "--org", "harbour-bank")
    cli("lc", "waive", presentation, "--org", "acme-motors")
    honoured = cli("lc", "honour", presentation, "--org", "harbour-bank")
    shown = cli("lc", "show", credit, "--org", "shenzhen-precision")
    stranger = cli("lc", "show", credit, "--org", "dongguan-castings", ok=False)

    assert "applied" in applied and "presented" in presented
    assert "(not_issuing_bank)" in by_beneficiary
    assert "PORT_MISMATCH" in examined and "UCP 600 Art. 20(a)(iii)" in examined
    assert "(lc_wrong_presentation_status)" in early  # discrepant: refused first, then waived
    assert "honoured" in honoured
    assert "drawn 50000" in shown
    assert "(credit_not_found)" in stranger
