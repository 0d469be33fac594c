"""Devices and anchored reading batches on a real anvil; proofs verify with OpenZeppelin MerkleProof."""

from __future__ import annotations

import pytest

from chain.carbon_contracts import READING_LEAF_TYPES, DeviceKind
from chain.merkle import StandardMerkleTree
from chain.policy import OrgRole
from tests.chain.test_trade import _rejects
from tests.chain.trade_factories import Party, make_party
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

FACTORY = b"\xfa" * 32


def _device(h: ChainHarness, owner: Party, serial: str) -> tuple[bytes, str]:
    signer = h.new_key(f"device-{serial.lower()}")
    device = serial.encode().ljust(32, b"\0")
    h.chain.devices(owner.key).register_device(device, DeviceKind.ELECTRICITY_METER, FACTORY, signer)
    return device, signer


def test_devices_rotate_keys_and_revocation_ends_them(harness: ChainHarness) -> None:
    owner = make_party(harness, "plant", OrgRole.SUPPLIER)
    device, first = _device(harness, owner, "M-1")
    registry = harness.chain.devices(owner.key)
    before_rotation = int(harness.chain.w3.eth.get_block("latest")["timestamp"])
    harness.increase_time(60)
    second = harness.new_key("device-m-1-gen1")

    registry.rotate_key(device, second)
    rotated_at = int(harness.chain.w3.eth.get_block("latest")["timestamp"])

    view = harness.chain.devices()
    assert (view.device(device).signer, view.device(device).generation) == (second, 1)
    assert view.is_valid_signer(device, first, before_rotation)  # an old reading stays valid …
    assert not view.is_valid_signer(device, first, rotated_at)  # … a new one by the old key does not
    assert view.is_valid_signer(device, second, rotated_at)
    registry.revoke_device(device)
    assert not view.is_valid_signer(device, second, rotated_at + 1)
    _rejects(lambda: registry.rotate_key(device, harness.new_key("device-m-1-gen2")), "DeviceIsRevoked")


def test_device_management_is_for_its_owner_and_keys_are_unique(harness: ChainHarness) -> None:
    owner = make_party(harness, "plant-a", OrgRole.SUPPLIER)
    other = make_party(harness, "plant-b", OrgRole.SUPPLIER)
    device, signer = _device(harness, owner, "M-2")

    _rejects(lambda: harness.chain.devices(other.key).revoke_device(device), "DeviceNotOwner")
    _rejects(
        lambda: harness.chain.devices(other.key).register_device(
            b"\x07" * 32, DeviceKind.TRUCK, FACTORY, signer
        ),
        "DeviceSignerTaken",
        device="0x" + device.hex(),
    )
    _rejects(
        lambda: harness.chain.devices(owner.key).register_device(device, DeviceKind.TRUCK, FACTORY, signer),
        "DeviceAlreadyRegistered",
    )
    assert harness.chain.devices().device(device).status == "active"


def test_anchored_readings_verify_on_chain_with_their_proofs(harness: ChainHarness) -> None:
    oracle = make_party(harness, "iot-oracle", OrgRole.IOT_ORACLE)
    readings = [
        (b"\x01" * 32, seq, 1_790_000_000 + seq, "electricity_kwh", 1_000 + seq, "kWh", FACTORY)
        for seq in range(13)
    ]
    tree = StandardMerkleTree.of(readings, READING_LEAF_TYPES)

    harness.chain.carbon(oracle.key).anchor_readings(
        tree.root, len(readings), readings[0][2], readings[-1][2]
    )

    carbon = harness.chain.carbon()
    assert all(carbon.verify_reading(tree.root, tree.proof(i), r) for i, r in enumerate(readings))
    forged = (*readings[4][:4], 999_999, *readings[4][5:])
    assert not carbon.verify_reading(tree.root, tree.proof(4), forged)
    _rejects(
        lambda: harness.chain.carbon(oracle.key).anchor_readings(tree.root, 13, 0, 1),
        "CarbonBatchAlreadyAnchored",
    )


def test_only_iot_oracles_anchor(harness: ChainHarness) -> None:
    supplier = make_party(harness, "not-an-oracle", OrgRole.SUPPLIER)

    _rejects(
        lambda: harness.chain.carbon(supplier.key).anchor_readings(b"\x09" * 32, 1, 0, 0),
        "AccessManagedUnauthorized",
    )


def _statement_setup(h: ChainHarness) -> tuple[Party, Party, bytes, bytes]:
    """An anchored batch, a registered factor set, a supplier and a carbon verifier."""
    from chain.client import OPERATOR

    supplier = make_party(h, "emitter", OrgRole.SUPPLIER)
    verifier = make_party(h, "verifier", OrgRole.CARBON_VERIFIER)
    oracle = make_party(h, "oracle-s", OrgRole.IOT_ORACLE)
    tree = StandardMerkleTree.of(
        [(b"\x01" * 32, 1, 1, "electricity_kwh", 5, "kWh", FACTORY)], READING_LEAF_TYPES
    )
    h.chain.carbon(oracle.key).anchor_readings(tree.root, 1, 1, 1)
    factor_set = b"\xfe" * 32
    h.chain.carbon(OPERATOR).register_factor_set(factor_set, "tradeledger-factors-2026.1", "factors.json")
    return supplier, verifier, tree.root, factor_set


def test_statements_cite_anchored_batches_and_a_registered_factor_set(harness: ChainHarness) -> None:
    from chain.client import OPERATOR

    supplier, verifier, root, factor_set = _statement_setup(harness)
    ledger = harness.chain.carbon(supplier.key)
    submit = lambda **k: ledger.submit_statement(  # noqa: E731
        k.get("scope", 2),
        (100, 200),
        b"\x00" * 32,
        12_500,
        k.get("fs", factor_set),
        k.get("batches", [root]),
        b"\x0e" * 32,
    )

    _rejects(lambda: submit(batches=[b"\x99" * 32]), "CarbonBatchUnknown")
    _rejects(lambda: submit(fs=b"\x98" * 32), "CarbonFactorSetUnknown")
    _rejects(lambda: submit(scope=4), "CarbonInvalidStatement")
    _rejects(
        lambda: harness.chain.carbon(OPERATOR).register_factor_set(factor_set, "again", "x"),
        "CarbonFactorSetExists",
    )
    statement, _ = submit()
    _rejects(lambda: submit(), "CarbonStatementExists")
    _rejects(
        lambda: harness.chain.carbon(supplier.key).verify_statement(statement), "AccessManagedUnauthorized"
    )
    harness.chain.carbon(verifier.key).verify_statement(statement)
    _rejects(
        lambda: harness.chain.carbon(verifier.key).verify_statement(statement), "CarbonStatementNotSubmitted"
    )

    view = harness.chain.carbon().call("statement", statement)
    assert (view[1], view[2], view[5], list(view[9])) == (
        2,
        2,
        12_500,
        [root],
    )  # scope, verified, grams, batches


def test_credits_are_issued_once_per_verified_statement_and_retirement_is_final(
    harness: ChainHarness,
) -> None:
    supplier, verifier, root, factor_set = _statement_setup(harness)
    tier2 = make_party(harness, "credit-buyer", OrgRole.SUPPLIER)
    baseline, _ = harness.chain.carbon(supplier.key).submit_statement(
        1, (100, 200), b"\x00" * 32, 1_000_000, factor_set, [root], b"\x0e" * 32
    )
    statement, _ = harness.chain.carbon(supplier.key).submit_statement(
        1, (201, 301), b"\x00" * 32, 500_000, factor_set, [root], b"\x0e" * 32
    )
    harness.chain.carbon(verifier.key).verify_statement(baseline)
    credits = harness.chain.credits(verifier.key)
    project = b"\xab" * 32
    _rejects(
        lambda: credits.issue_credits(project, 2026, supplier.address, 100, statement, baseline),
        "CarbonNotComparable",  # the statement is not verified yet
    )
    harness.chain.carbon(verifier.key).verify_statement(statement)

    token, _ = credits.issue_credits(project, 2026, supplier.address, 100, statement, baseline)
    _rejects(
        lambda: credits.issue_credits(project, 2026, supplier.address, 100, statement, baseline),
        "CreditsAlreadyIssued",
    )
    holder = harness.chain.credits(supplier.key)
    holder.transfer(tier2.address, token, 40)
    _rejects(lambda: holder.transfer(harness.new_key("credit-outsider"), token, 1), "CreditsInvalidParty")
    receipt = harness.chain.credits(tier2.key).retire(token, 40, "ACME Motors", "2026 scope 2 offset")

    event = harness.chain.credits().event(receipt, "CreditsRetired")
    assert (event.args["kg"], event.args["beneficiary"], event.args["reason"]) == (
        40,
        "ACME Motors",
        "2026 scope 2 offset",
    )
    _rejects(
        lambda: harness.chain.credits(tier2.key).retire(token, 1, "again", "twice"),
        "ERC1155InsufficientBalance",
    )
    _rejects(
        lambda: harness.chain.credits(tier2.key).transfer(supplier.address, token, 1),
        "ERC1155InsufficientBalance",
    )
    view = harness.chain.credits()
    assert (view.balance_of(supplier.address, token), view.balance_of(tier2.address, token)) == (60, 0)
    assert view.call("retiredTotal", token) == 40
