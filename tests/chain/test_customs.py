"""Customs declaration statuses, final at k of n oracle operators, on a real anvil."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import to_checksum_address

from chain import governance
from chain.client import OPERATOR
from chain.customs_contracts import (
    CustomsAttestation,
    CustomsAttestationsContract,
    DeclarationState,
    DeclarationStatus,
    attestation_digest,
    declaration_id,
    sign_attestation,
)
from chain.ids import to_hex32
from chain.policy import OrgRole
from chain.sender import Receipt
from tests.chain.factories import CustomsOracle, make_customs_oracles, make_org
from tests.chain.test_trade import _rejects
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

DELAY = 3600  # the test deployment's execution delay
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
DECLARATION = declaration_id("CNSHA", "2026-0001")
CONTENT = b"\xc1" * 32  # the salted commitment of the declaration's content
AMENDED = b"\xc2" * 32
AT = {s: 1_790_000_000 + 3600 * int(s) for s in DeclarationStatus}  # when customs set each status
NOTHING = DeclarationState(DeclarationStatus.NONE, b"\x00" * 32, 0, 0, False)


@pytest.fixture
def oracles(harness: ChainHarness) -> list[CustomsOracle]:
    return make_customs_oracles(harness, 3)


def _now(h: ChainHarness) -> int:
    return int(h.chain.w3.eth.get_block("latest")["timestamp"])


def _att(
    h: ChainHarness,
    operator: str,
    status: DeclarationStatus = DeclarationStatus.DECLARED,
    content: bytes = CONTENT,
    status_at: int | None = None,
    declaration: bytes = DECLARATION,
    deadline: int | None = None,
) -> CustomsAttestation:
    return CustomsAttestation(
        operator=operator,
        declaration_id=declaration,
        status=status,
        content_commitment=content,
        status_at=AT[status] if status_at is None else status_at,
        deadline=_now(h) + 3600 if deadline is None else deadline,
    )


def _sign(
    h: ChainHarness,
    private_key: bytes,
    att: CustomsAttestation,
    chain_id: int | None = None,
    contract: str | None = None,
) -> bytes:
    return sign_attestation(
        private_key, chain_id or h.chain.chain_id, contract or h.chain.customs().address, att
    )


def _vote(
    h: ChainHarness,
    oracle: CustomsOracle,
    status: DeclarationStatus = DeclarationStatus.DECLARED,
    **kw: object,
) -> tuple[CustomsAttestation, Receipt]:
    """``oracle`` signs and relays its own attestation."""
    att = _att(h, oracle.address, status, **kw)  # type: ignore[arg-type]
    return att, h.chain.customs(oracle.key).attest(att, _sign(h, oracle.private_key, att))


def _declared_tally(customs: CustomsAttestationsContract) -> int:
    """Votes for DECLARED with the agreed content and time."""
    return customs.tally(DECLARATION, DeclarationStatus.DECLARED, CONTENT, AT[DeclarationStatus.DECLARED])


def _finalised(customs: CustomsAttestationsContract, receipt: Receipt) -> list[dict[str, object]]:
    return [e.args for e in customs.events(receipt, "DeclarationStatusFinalised")]


# --- k of n ------------------------------------------------------------------------------------


def test_two_of_three_operators_finalise_a_status(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    customs = harness.chain.customs()
    first, second, third = oracles

    _, r1 = _vote(harness, first)
    assert _finalised(customs, r1) == []
    assert customs.declaration(DECLARATION) == NOTHING
    assert _declared_tally(customs) == 1

    _, r2 = _vote(harness, second)
    finalised_at = _now(harness)

    assert _finalised(customs, r2) == [
        {
            "declarationId": to_hex32(DECLARATION),
            "status": DeclarationStatus.DECLARED,
            "contentCommitment": to_hex32(CONTENT),
            "statusAt": AT[DeclarationStatus.DECLARED],
            "count": 2,
        }
    ]
    recorded = customs.event(r2, "CustomsAttestationRecorded").args
    assert (recorded["org"], recorded["operator"], recorded["count"]) == (
        to_hex32(second.org),
        second.address,
        2,
    )
    expected = DeclarationState(
        DeclarationStatus.DECLARED, CONTENT, AT[DeclarationStatus.DECLARED], finalised_at, False
    )
    assert customs.declaration(DECLARATION) == expected

    harness.increase_time(60)
    _, r3 = _vote(harness, third)  # a late agreeing vote is recorded but finalises nothing again

    assert _finalised(customs, r3) == []
    assert _declared_tally(customs) == 3
    assert customs.declaration(DECLARATION) == expected
    assert customs.finalisation(DECLARATION, DeclarationStatus.DECLARED).count == 2
    assert all(customs.has_attested(DECLARATION, DeclarationStatus.DECLARED, o.org) for o in oracles)


def test_a_single_operator_cannot_finalise(harness: ChainHarness, oracles: list[CustomsOracle]) -> None:
    first = oracles[0]
    att, _ = _vote(harness, first)
    again = _att(harness, first.address, deadline=att.deadline + 1)  # a fresh signature of the same vote

    _rejects(
        lambda: harness.chain.customs(first.key).attest(again, _sign(harness, first.private_key, again)),
        "CustomsAlreadyAttested",
        declarationId=to_hex32(DECLARATION),
        status=DeclarationStatus.DECLARED,
        org=to_hex32(first.org),
    )
    customs = harness.chain.customs()
    assert customs.declaration(DECLARATION) == NOTHING
    assert _declared_tally(customs) == 1


def test_two_accounts_of_one_organisation_count_once(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    first = oracles[0]
    second_account = Account.from_key(harness.chain.keystore.get_or_create("customs-oracle-1-second").key)
    harness.chain.participants(first.key).add_account(second_account.address)
    _vote(harness, first)
    att = _att(harness, second_account.address)

    err = _rejects(
        lambda: harness.chain.customs(first.key).attest(att, _sign(harness, bytes(second_account.key), att)),
        "CustomsAlreadyAttested",
        org=to_hex32(first.org),
    )

    assert (err.code, err.status) == ("customs_already_attested", 409)
    customs = harness.chain.customs()
    assert _declared_tally(customs) == 1
    assert customs.declaration(DECLARATION) == NOTHING


def test_a_replayed_signature_is_rejected(harness: ChainHarness, oracles: list[CustomsOracle]) -> None:
    first, second, _ = oracles
    att = _att(harness, first.address)
    signature = _sign(harness, first.private_key, att)
    harness.chain.customs(first.key).attest(att, signature)

    _rejects(
        lambda: harness.chain.customs(second.key).attest(att, signature),  # another relayer, same signature
        "CustomsAlreadyAttested",
        org=to_hex32(first.org),
    )
    customs = harness.chain.customs()
    assert _declared_tally(customs) == 1
    assert not customs.has_attested(DECLARATION, DeclarationStatus.DECLARED, second.org)
    assert customs.declaration(DECLARATION) == NOTHING


# --- signatures --------------------------------------------------------------------------------


@pytest.mark.parametrize("bound_to", ["another chain id", "another contract"])
def test_a_signature_for_another_domain_is_rejected(
    harness: ChainHarness, oracles: list[CustomsOracle], bound_to: str
) -> None:
    first = oracles[0]
    att = _att(harness, first.address)
    if bound_to == "another chain id":
        signature = _sign(harness, first.private_key, att, chain_id=harness.chain.chain_id + 1)
    else:
        signature = _sign(harness, first.private_key, att, contract=harness.chain.devices().address)

    err = _rejects(
        lambda: harness.chain.customs(first.key).attest(att, signature),
        "CustomsBadSignature",
        operator=first.address,
    )

    assert err.args_["recovered"] not in (first.address, ZERO_ADDRESS)
    assert err.status == 422
    assert not harness.chain.customs().has_attested(DECLARATION, DeclarationStatus.DECLARED, first.org)


def test_a_signature_by_another_key_is_rejected(harness: ChainHarness, oracles: list[CustomsOracle]) -> None:
    first, second, _ = oracles
    att = _att(harness, first.address)  # names the first operator, signed by the second

    _rejects(
        lambda: harness.chain.customs(second.key).attest(att, _sign(harness, second.private_key, att)),
        "CustomsBadSignature",
        operator=first.address,
        recovered=second.address,
    )
    assert not harness.chain.customs().has_attested(DECLARATION, DeclarationStatus.DECLARED, first.org)


def test_a_malleable_high_s_signature_is_rejected(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    first = oracles[0]
    att = _att(harness, first.address)
    signature = _sign(harness, first.private_key, att)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    malleable = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # same signer for ecrecover
    customs = harness.chain.customs(first.key)

    _rejects(lambda: customs.attest(att, malleable), "CustomsBadSignature", recovered=ZERO_ADDRESS)
    assert not customs.has_attested(DECLARATION, DeclarationStatus.DECLARED, first.org)

    customs.attest(att, signature)  # the canonical form of the same signature is fine
    assert customs.has_attested(DECLARATION, DeclarationStatus.DECLARED, first.org)


def test_an_attestation_after_its_deadline_is_rejected(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    first = oracles[0]
    deadline = _now(harness) + 60
    att = _att(harness, first.address, deadline=deadline)
    signature = _sign(harness, first.private_key, att)
    harness.increase_time(120)

    err = _rejects(
        lambda: harness.chain.customs(first.key).attest(att, signature),
        "CustomsAttestationExpired",
        deadline=deadline,
    )

    assert err.status == 422
    assert not harness.chain.customs().has_attested(DECLARATION, DeclarationStatus.DECLARED, first.org)


@pytest.mark.parametrize(
    "field", ["status none", "zero commitment", "zero status time", "zero declaration id"]
)
def test_a_malformed_attestation_is_rejected(
    harness: ChainHarness, oracles: list[CustomsOracle], field: str
) -> None:
    first = oracles[0]
    att = {
        "status none": _att(harness, first.address, DeclarationStatus.NONE),
        "zero commitment": _att(harness, first.address, content=b"\x00" * 32),
        "zero status time": _att(harness, first.address, status_at=0),
        "zero declaration id": _att(harness, first.address, declaration=b"\x00" * 32),
    }[field]

    err = _rejects(
        lambda: harness.chain.customs(first.key).attest(att, _sign(harness, first.private_key, att)),
        "CustomsInvalidAttestation",
    )
    assert err.status == 422


# --- operators ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["a key of no member", "a member of another role"])
def test_an_unknown_operator_is_rejected(
    harness: ChainHarness, oracles: list[CustomsOracle], who: str
) -> None:
    relayer = oracles[0]
    if who == "a key of no member":
        account = Account.from_key(harness.chain.keystore.get_or_create("not-an-oracle").key)
    else:
        _, key = make_org(harness, "customs-broker", OrgRole.LOGISTICS)
        account = harness.chain.keystore.load(key)
    att = _att(harness, account.address)

    err = _rejects(
        lambda: harness.chain.customs(relayer.key).attest(att, _sign(harness, bytes(account.key), att)),
        "CustomsUnknownOperator",
        operator=account.address,
    )

    assert (err.code, err.status) == ("customs_unknown_operator", 403)
    assert _declared_tally(harness.chain.customs()) == 0


def test_a_suspended_operator_organisation_is_rejected(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    first, second, _ = oracles
    harness.chain.participants(OPERATOR).suspend_organisation(second.org)
    att = _att(harness, second.address)
    signature = _sign(harness, second.private_key, att)

    _rejects(
        lambda: harness.chain.customs(first.key).attest(att, signature),
        "CustomsUnknownOperator",
        operator=second.address,
    )
    _rejects(lambda: harness.chain.customs(second.key).attest(att, signature), "ParticipantSuspended")
    assert not harness.chain.customs().has_attested(DECLARATION, DeclarationStatus.DECLARED, second.org)


def test_only_active_members_relay(harness: ChainHarness, oracles: list[CustomsOracle]) -> None:
    first = oracles[0]
    outsider = harness.new_key("customs-outsider")
    att = _att(harness, first.address)

    _rejects(
        lambda: harness.chain.customs("customs-outsider").attest(att, _sign(harness, first.private_key, att)),
        "ParticipantNotRegistered",
        account=outsider,
    )


# --- conflicts and order -----------------------------------------------------------------------


@pytest.mark.parametrize("differs_in", ["content", "status time"])
def test_a_conflicting_vote_is_flagged_and_the_final_record_unchanged(
    harness: ChainHarness, oracles: list[CustomsOracle], differs_in: str
) -> None:
    first, second, third = oracles
    _vote(harness, first)
    _vote(harness, second)
    customs = harness.chain.customs()
    final = customs.declaration(DECLARATION)
    finalisation = customs.finalisation(DECLARATION, DeclarationStatus.DECLARED)
    content, at = (
        (AMENDED, AT[DeclarationStatus.DECLARED]) if differs_in == "content" else (CONTENT, 1_790_000_001)
    )

    _, receipt = _vote(harness, third, content=content, status_at=at)

    assert customs.event(receipt, "CustomsConflictRecorded").args == {
        "declarationId": to_hex32(DECLARATION),
        "status": DeclarationStatus.DECLARED,
        "org": to_hex32(third.org),
        "contentCommitment": to_hex32(content),
        "statusAt": at,
        "otherCommitment": to_hex32(CONTENT),
        "otherStatusAt": AT[DeclarationStatus.DECLARED],
    }
    assert _finalised(customs, receipt) == []
    assert customs.declaration(DECLARATION) == DeclarationState(
        final.status, final.content_commitment, final.status_at, final.finalised_at, True
    )
    assert customs.finalisation(DECLARATION, DeclarationStatus.DECLARED) == finalisation
    assert customs.tally(DECLARATION, DeclarationStatus.DECLARED, content, at) == 1


def test_a_disagreement_before_finalisation_is_flagged_and_the_agreeing_pair_finalises(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    first, second, third = oracles
    customs = harness.chain.customs()
    _vote(harness, first)

    _, r2 = _vote(harness, second, content=AMENDED)
    _, r3 = _vote(harness, third)  # agrees with the first, disagrees with the second

    assert customs.event(r2, "CustomsConflictRecorded").args["otherCommitment"] == to_hex32(CONTENT)
    assert _finalised(customs, r2) == []
    assert customs.event(r3, "CustomsConflictRecorded").args["otherCommitment"] == to_hex32(AMENDED)
    assert [e["contentCommitment"] for e in _finalised(customs, r3)] == [to_hex32(CONTENT)]
    state = customs.declaration(DECLARATION)
    assert (state.status, state.content_commitment, state.conflicted) == (
        DeclarationStatus.DECLARED,
        CONTENT,
        True,
    )


def test_content_that_changes_between_finalised_statuses_is_flagged(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    first, second, _ = oracles
    customs = harness.chain.customs()
    for oracle in (first, second):
        _vote(harness, oracle)
    assert not customs.declaration(DECLARATION).conflicted

    _vote(harness, first, DeclarationStatus.RELEASED, content=AMENDED)
    _, receipt = _vote(harness, second, DeclarationStatus.RELEASED, content=AMENDED)

    assert customs.event(receipt, "DeclarationContentChanged").args == {
        "declarationId": to_hex32(DECLARATION),
        "status": DeclarationStatus.RELEASED,
        "previousCommitment": to_hex32(CONTENT),
        "contentCommitment": to_hex32(AMENDED),
    }
    state = customs.declaration(DECLARATION)
    assert (state.status, state.content_commitment, state.conflicted) == (
        DeclarationStatus.RELEASED,
        AMENDED,
        True,
    )
    assert customs.finalisation(DECLARATION, DeclarationStatus.DECLARED).content_commitment == CONTENT


def test_statuses_only_move_forward(harness: ChainHarness, oracles: list[CustomsOracle]) -> None:
    first, second, _ = oracles
    customs = harness.chain.customs()

    def finalise(status: DeclarationStatus) -> Receipt:
        _vote(harness, first, status)
        return _vote(harness, second, status)[1]

    finalise(DeclarationStatus.DECLARED)
    finalise(DeclarationStatus.RELEASED)  # customs skipped the inspection
    released = customs.declaration(DECLARATION)
    receipt = finalise(DeclarationStatus.INSPECTED)  # a late feed: final, but does not lower the status

    assert [e["status"] for e in _finalised(customs, receipt)] == [DeclarationStatus.INSPECTED]
    assert customs.declaration(DECLARATION) == released
    assert released.status is DeclarationStatus.RELEASED
    assert released.status_at == AT[DeclarationStatus.RELEASED]
    assert (
        customs.finalisation(DECLARATION, DeclarationStatus.INSPECTED).status_at
        == AT[DeclarationStatus.INSPECTED]
    )

    finalise(DeclarationStatus.CLEARED)
    assert customs.declaration(DECLARATION).status is DeclarationStatus.CLEARED


def test_statuses_and_declarations_are_counted_apart(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    first, second, _ = oracles
    other = declaration_id("CNSHA", "2026-0002")
    _vote(harness, first, DeclarationStatus.DECLARED)
    _vote(harness, second, DeclarationStatus.RELEASED)
    _vote(harness, second, DeclarationStatus.DECLARED, declaration=other)

    customs = harness.chain.customs()
    assert customs.declaration(DECLARATION) == NOTHING
    assert customs.declaration(other) == NOTHING


# --- batches -----------------------------------------------------------------------------------


def test_attest_many_finalises_in_one_transaction(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    first, second, _ = oracles
    atts = [
        _att(harness, o.address, s)
        for s in (DeclarationStatus.DECLARED, DeclarationStatus.RELEASED)
        for o in (first, second)
    ]
    keys = {first.address: first.private_key, second.address: second.private_key}
    customs = harness.chain.customs(first.key)

    receipt = customs.attest_many(atts, [_sign(harness, keys[a.operator], a) for a in atts])

    assert [e["status"] for e in _finalised(customs, receipt)] == [
        DeclarationStatus.DECLARED,
        DeclarationStatus.RELEASED,
    ]
    assert customs.declaration(DECLARATION).status is DeclarationStatus.RELEASED


def test_attest_many_is_all_or_nothing(harness: ChainHarness, oracles: list[CustomsOracle]) -> None:
    first, second, _ = oracles
    good = _att(harness, first.address)
    bad = _att(harness, second.address)
    customs = harness.chain.customs(first.key)
    signatures = [_sign(harness, first.private_key, good), _sign(harness, first.private_key, bad)]

    _rejects(
        lambda: customs.attest_many([good, bad], signatures), "CustomsBadSignature", operator=second.address
    )
    _rejects(lambda: customs.attest_many([good, bad], signatures[:1]), "CustomsBatchLengthMismatch")
    _rejects(lambda: customs.attest_many([], []), "CustomsEmptyBatch")

    assert not customs.has_attested(DECLARATION, DeclarationStatus.DECLARED, first.org)
    assert _declared_tally(customs) == 0


# --- threshold ---------------------------------------------------------------------------------


def test_the_threshold_changes_only_through_dual_control(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    chain = harness.chain
    customs = chain.customs()
    assert customs.threshold() == 2
    for key in (OPERATOR, oracles[0].key):
        _rejects(lambda key=key: chain.customs(key).transact("setThreshold", 3), "AccessManagedUnauthorized")

    op = governance.propose_and_approve(chain, customs, "setThreshold", 3)
    harness.increase_time(DELAY + 1)
    receipt = governance.execute(chain, op)

    assert customs.event(receipt, "CustomsThresholdSet").args == {"threshold": 3}
    assert customs.threshold() == 3
    first, second, third = oracles
    _vote(harness, first)
    _vote(harness, second)
    assert customs.declaration(DECLARATION) == NOTHING  # two of three no longer suffice
    _, receipt = _vote(harness, third)
    assert [e["count"] for e in _finalised(customs, receipt)] == [3]


@pytest.mark.parametrize("k", [0, 1])
def test_a_threshold_below_two_is_rejected(harness: ChainHarness, k: int) -> None:
    chain = harness.chain
    op = governance.propose_and_approve(chain, chain.customs(), "setThreshold", k)
    harness.increase_time(DELAY + 1)

    err = _rejects(lambda: governance.execute(chain, op), "CustomsThresholdTooLow", threshold=k)

    assert err.status == 422
    assert chain.customs().threshold() == 2
    assert chain.dual_control().operation(op).status == "pending"


# --- off-chain helpers -------------------------------------------------------------------------


def test_the_off_chain_digest_and_id_equal_the_contract_s(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    customs = harness.chain.customs()
    att = _att(harness, oracles[0].address, DeclarationStatus.INSPECTED)

    digest = attestation_digest(harness.chain.chain_id, customs.address, att)

    assert digest == customs.attestation_digest(att)
    signature = sign_attestation(oracles[0].private_key, harness.chain.chain_id, customs.address, att)
    assert to_checksum_address(Account._recover_hash(digest, signature=signature)) == oracles[0].address
    assert customs.declaration_id("CNSHA", "2026-0001") == DECLARATION
    assert declaration_id("CNSHA", "2026-0001 ") != DECLARATION  # hashed as given
