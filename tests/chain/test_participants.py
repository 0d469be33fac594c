"""Participants on a real anvil: registration, membership, suspension."""

from __future__ import annotations

import pytest

from chain.client import OPERATOR
from chain.errors import ChainRevert
from chain.ids import org_id, to_hex32
from chain.policy import OrgRole, Role
from tests.chain.factories import make_org
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain


def _revert(exc: pytest.ExceptionInfo[ChainRevert]) -> tuple[str, dict[str, object]]:
    return exc.value.error, exc.value.args_


def test_operator_registers_an_organisation_and_its_accounts_get_the_member_role(
    harness: ChainHarness,
) -> None:
    address = harness.new_key("acme-key")
    oid = org_id("acme")
    participants = harness.chain.participants(OPERATOR)

    receipt = participants.register_organisation(
        oid, "ACME Motors", OrgRole.CORE_ENTERPRISE, b"\x02" * 32, [address]
    )

    event = participants.event(receipt, "OrganisationRegistered")
    assert event.args["id"] == to_hex32(oid)
    assert event.args["role"] == OrgRole.CORE_ENTERPRISE
    assert event.args["name"] == "ACME Motors"
    assert event.args["accounts"] == [address]
    view = participants.organisation(oid)
    assert (view.role, view.status, view.name) == (OrgRole.CORE_ENTERPRISE, "active", "ACME Motors")
    assert participants.org_of(address) == oid
    assert participants.is_active_member(address)
    has_role, _ = harness.chain.access_manager().call("hasRole", int(Role.CORE_ENTERPRISE), address)
    assert has_role


@pytest.mark.parametrize(
    ("handle", "name", "role", "accounts", "error"),
    [
        ("dup", "Dup", OrgRole.SUPPLIER, "taken", "ParticipantAccountTaken"),
        ("noacc", "No accounts", OrgRole.SUPPLIER, "none", "ParticipantNoAccounts"),
        ("zero", "Zero", OrgRole.SUPPLIER, "zero", "ParticipantZeroAccount"),
        ("badname", "", OrgRole.SUPPLIER, "fresh", "ParticipantInvalidName"),
        ("longname", "x" * 65, OrgRole.SUPPLIER, "fresh", "ParticipantInvalidName"),
        ("norole", "No role", OrgRole.NONE, "fresh", "ParticipantInvalidRole"),
        ("op2", "Second operator", OrgRole.OPERATOR, "fresh", "ParticipantRoleReserved"),
    ],
)
def test_registration_rejects_bad_input_and_changes_nothing(
    harness: ChainHarness, handle: str, name: str, role: OrgRole, accounts: str, error: str
) -> None:
    existing, key = make_org(harness, "existing")
    participants = harness.chain.participants(OPERATOR)
    account_list = {
        "taken": [harness.chain.keystore.load(key).address],
        "none": [],
        "zero": ["0x0000000000000000000000000000000000000000"],
        "fresh": [harness.new_key(f"fresh-{handle}")],
    }[accounts]

    with pytest.raises(ChainRevert) as err:
        participants.register_organisation(org_id(handle), name, role, b"\x03" * 32, account_list)

    assert err.value.error == error
    with pytest.raises(ChainRevert) as missing:
        participants.organisation(org_id(handle))
    assert missing.value.error == "ParticipantUnknown"
    assert participants.org_of(harness.chain.keystore.load(key).address) == existing


def test_registering_the_same_id_twice_is_rejected_with_the_existing_id(harness: ChainHarness) -> None:
    oid, _ = make_org(harness, "twice")

    with pytest.raises(ChainRevert) as err:
        harness.chain.participants(OPERATOR).register_organisation(
            oid, "Again", OrgRole.SUPPLIER, b"\x04" * 32, [harness.new_key("twice-2")]
        )

    assert _revert(err) == ("ParticipantAlreadyRegistered", {"id": to_hex32(oid)})
    assert err.value.code == "participant_already_registered"
    assert harness.chain.participants().organisation(oid).name == "Twice"


def test_members_manage_their_own_accounts(harness: ChainHarness) -> None:
    oid, key = make_org(harness, "selfserve")
    extra = harness.new_key("selfserve-2")
    participants = harness.chain.participants(key)

    participants.add_account(extra)
    participants.update_legal_id_commitment(b"\x09" * 32)

    assert participants.accounts_of(oid) == [harness.chain.keystore.load(key).address, extra]
    assert participants.organisation(oid).legal_id_commitment == b"\x09" * 32
    participants.remove_account(extra)
    assert not participants.is_active_member(extra)
    with pytest.raises(ChainRevert) as err:
        participants.remove_account(harness.chain.keystore.load(key).address)
    assert _revert(err) == ("ParticipantLastAccount", {"id": to_hex32(oid)})


def test_a_suspended_organisation_cannot_write(harness: ChainHarness) -> None:
    oid, key = make_org(harness, "suspendme")
    operator = harness.chain.participants(OPERATOR)
    receipt = operator.suspend_organisation(oid)
    assert operator.event(receipt, "OrganisationSuspended").args["id"] == to_hex32(oid)
    member = harness.chain.participants(key)
    extra = harness.new_key("suspendme-2")

    for attempt in (
        lambda: member.add_account(extra),
        lambda: member.update_legal_id_commitment(b"\x05" * 32),
    ):
        with pytest.raises(ChainRevert) as err:
            attempt()
        assert _revert(err) == ("ParticipantSuspended", {"id": to_hex32(oid)})
        assert err.value.status == 403

    assert member.accounts_of(oid) == [harness.chain.keystore.load(key).address]
    assert member.organisation(oid).status == "suspended"
    assert not member.is_active_member(harness.chain.keystore.load(key).address)


def test_suspending_twice_or_an_unknown_org_is_rejected(harness: ChainHarness) -> None:
    oid, _ = make_org(harness, "twice-suspended")
    operator = harness.chain.participants(OPERATOR)
    operator.suspend_organisation(oid)

    with pytest.raises(ChainRevert) as again:
        operator.suspend_organisation(oid)
    with pytest.raises(ChainRevert) as unknown:
        operator.suspend_organisation(org_id("nobody"))

    assert _revert(again) == ("ParticipantNotActive", {"id": to_hex32(oid)})
    assert _revert(unknown) == ("ParticipantUnknown", {"id": to_hex32(org_id("nobody"))})


def test_an_unregistered_account_cannot_write(harness: ChainHarness) -> None:
    stranger = harness.new_key("stranger-p")

    with pytest.raises(ChainRevert) as err:
        harness.chain.participants("stranger-p").add_account(harness.new_key("stranger-p2"))

    assert _revert(err) == ("ParticipantNotRegistered", {"account": stranger})
