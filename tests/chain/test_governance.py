"""Dual control (雙人雙鎖) and upgrades on a real anvil."""

from __future__ import annotations

import pytest
from eth_utils import to_checksum_address

from chain import governance
from chain.client import OFFICERS, OPERATOR
from chain.contracts import ParticipantsContract
from chain.errors import ChainRevert
from chain.ids import org_id, to_hex32
from chain.policy import OrgRole, Role
from tests.chain.factories import make_org
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

DELAY = 3600  # the test deployment's execution delay


def _suspended(h: ChainHarness, handle: str) -> bytes:
    oid, _ = make_org(h, handle)
    h.chain.participants(OPERATOR).suspend_organisation(oid)
    return oid


def test_one_approver_cannot_execute(harness: ChainHarness) -> None:
    oid = _suspended(harness, "one-approver")
    op = governance.propose(harness.chain, harness.chain.participants(), "reinstateOrganisation", oid)
    harness.increase_time(DELAY + 1)

    with pytest.raises(ChainRevert) as err:
        governance.execute(harness.chain, op)

    assert (err.value.error, err.value.args_) == (
        "DualControlNotEnoughApprovals",
        {"id": to_hex32(op), "approvals": 1, "threshold": 2},
    )
    assert harness.chain.participants().organisation(oid).status == "suspended"


def test_the_same_officer_approving_twice_does_not_count(harness: ChainHarness) -> None:
    oid = _suspended(harness, "same-officer")
    op = governance.propose(harness.chain, harness.chain.participants(), "reinstateOrganisation", oid)

    with pytest.raises(ChainRevert) as err:
        governance.approve(harness.chain, op, officer=OFFICERS[0])
    harness.increase_time(DELAY + 1)
    with pytest.raises(ChainRevert) as exec_err:
        governance.execute(harness.chain, op)

    assert (err.value.error, err.value.args_["officer"]) == (
        "DualControlAlreadyApproved",
        harness.chain.keystore.load(OFFICERS[0]).address,
    )
    assert exec_err.value.error == "DualControlNotEnoughApprovals"
    assert harness.chain.dual_control().operation(op).approvals == 1
    assert harness.chain.participants().organisation(oid).status == "suspended"


def test_two_officers_execute_after_the_delay(harness: ChainHarness) -> None:
    oid = _suspended(harness, "two-officers")
    op = governance.propose_and_approve(
        harness.chain, harness.chain.participants(), "reinstateOrganisation", oid
    )

    with pytest.raises(ChainRevert) as early:
        governance.execute(harness.chain, op)
    assert early.value.error == "DualControlTooEarly"
    assert harness.chain.participants().organisation(oid).status == "suspended"

    harness.increase_time(DELAY + 1)
    receipt = governance.execute(harness.chain, op)

    assert harness.chain.dual_control().event(receipt, "OperationExecuted").args["id"] == to_hex32(op)
    assert harness.chain.participants().organisation(oid).status == "active"
    with pytest.raises(ChainRevert) as again:
        governance.execute(harness.chain, op)
    assert again.value.error == "DualControlNotPending"


def test_a_non_officer_cannot_propose(harness: ChainHarness) -> None:
    _, key = make_org(harness, "not-an-officer", OrgRole.FINANCIER)

    with pytest.raises(ChainRevert) as err:
        harness.chain.dual_control(key).propose(harness.chain.participants().address, b"", b"\x00" * 32)

    assert err.value.error == "AccessManagedUnauthorized"


def test_a_failing_operation_surfaces_the_inner_error_and_stays_pending(harness: ChainHarness) -> None:
    oid, _ = make_org(harness, "never-suspended")
    op = governance.propose_and_approve(
        harness.chain, harness.chain.participants(), "reinstateOrganisation", oid
    )
    harness.increase_time(DELAY + 1)

    with pytest.raises(ChainRevert) as err:
        governance.execute(harness.chain, op)

    assert (err.value.error, err.value.args_) == ("ParticipantNotSuspended", {"id": to_hex32(oid)})
    assert harness.chain.dual_control().operation(op).status == "pending"


def test_role_grants_go_through_dual_control(harness: ChainHarness) -> None:
    new_officer = harness.new_key("officer-3")
    am = harness.chain.access_manager()
    with pytest.raises(ChainRevert) as direct:
        am.as_(harness.chain.sender(OPERATOR)).transact(
            "grantRole", int(Role.GOVERNANCE_OFFICER), new_officer, 0
        )
    assert direct.value.error == "AccessManagerUnauthorizedAccount"

    op = governance.propose_and_approve(
        harness.chain, am, "grantRole", int(Role.GOVERNANCE_OFFICER), new_officer, 0
    )
    harness.increase_time(DELAY + 1)
    governance.execute(harness.chain, op)

    assert am.call("hasRole", int(Role.GOVERNANCE_OFFICER), new_officer)[0] is True


def test_upgrade_midway_keeps_state_addresses_and_policy(harness: ChainHarness, test_artifacts: dict) -> None:  # type: ignore[type-arg]
    orgs = [make_org(harness, f"pre-upgrade-{i}")[0] for i in range(3)]
    harness.chain.participants(OPERATOR).suspend_organisation(orgs[1])
    participants = harness.chain.participants()
    before = {oid: participants.organisation(oid) for oid in orgs}
    address = participants.address
    v2 = test_artifacts["ParticipantsV2"]
    impl = harness.chain.sender(OPERATOR).transact({"data": bytes.fromhex(v2.bytecode[2:])}).contract_address
    assert impl is not None

    with pytest.raises(ChainRevert) as direct:  # no single key can upgrade
        participants.as_(harness.chain.sender(OPERATOR)).transact("upgradeToAndCall", impl, b"")
    assert direct.value.error == "AccessManagedUnauthorized"

    op = governance.propose_and_approve(harness.chain, participants, "upgradeToAndCall", impl, b"")
    harness.increase_time(DELAY + 1)
    governance.execute(harness.chain, op)

    upgraded = ParticipantsContract(
        harness.chain.w3,
        "Participants",
        address,
        v2.abi,
        harness.chain.decoder,
        harness.chain.sender(OPERATOR),
    )
    assert upgraded.call("version") == "2.0.0"
    assert upgraded.address == address
    assert {oid: upgraded.organisation(oid) for oid in orgs} == before
    assert upgraded.call("organisationCount") == 1 + 3  # the operator plus three
    slot = int(
        "360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc", 16
    )  # ERC-1967 implementation
    assert to_checksum_address(harness.chain.w3.eth.get_storage_at(address, slot)[-20:]) == impl
    # the policy still holds after the upgrade
    upgraded.register_organisation(
        org_id("post-upgrade"), "Post", OrgRole.SUPPLIER, b"\x01" * 32, [harness.new_key("post")]
    )
    _, stranger = make_org(harness, "post-stranger")
    with pytest.raises(ChainRevert) as err:
        upgraded.as_(harness.chain.sender(stranger)).register_organisation(
            org_id("nope"), "Nope", OrgRole.SUPPLIER, b"\x01" * 32, [harness.new_key("nope")]
        )
    assert err.value.error == "AccessManagedUnauthorized"
