"""EIP-712 signatures: the contract and the Python verifiers accept exactly the same bytes, and refuse
every replay (another chain, a removed key, the same signature twice in one batch).

The two kinds of signed message are customs attestations (verified on chain by CustomsAttestations
with OpenZeppelin's ECDSA) and device readings (verified off chain by the IoT oracle's fast
``ReadingVerifier`` and by ``tradeledger verify``). Both Python paths recover through
``iot.readings.recover_digest``; the first test runs it and the contract over the same digest and
the same mangled signature bytes. Cases proven elsewhere are listed in ``tests/security/cases.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account import Account

from chain.client import OPERATOR
from chain.customs_contracts import (
    CustomsAttestation,
    CustomsAttestationsContract,
    DeclarationStatus,
    attestation_digest,
    declaration_id,
    sign_attestation,
)
from chain.errors import ChainRevert
from chain.ids import to_hex32
from chain.node import rpc
from iot.readings import (
    SECP256K1_N,
    Domain,
    PayloadError,
    Reading,
    ReadingVerifier,
    recover_digest,
    sign_reading,
)
from tests.chain.factories import CustomsOracle, make_customs_oracles
from tests.chain.test_trade import _rejects
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

ZERO = "0x0000000000000000000000000000000000000000"
DECLARATION = declaration_id("CNSEC", "SIG-0001")
CONTENT = b"\x5e" * 32
STATUS_AT = 1_790_000_000


def _with_v(signature: bytes, v: int) -> bytes:
    return signature[:64] + bytes([v])


def _with_s(signature: bytes, s: int) -> bytes:
    return signature[:32] + s.to_bytes(32, "big") + signature[64:]


def _s(signature: bytes) -> int:
    return int.from_bytes(signature[32:64], "big")


def _short(signature: bytes) -> bytes:
    """ERC-2098's 64-byte form: r || (y parity << 255 | s)."""
    return signature[:32] + ((signature[64] - 27) << 255 | _s(signature)).to_bytes(32, "big")


# name -> (how the canonical signature is mangled, what recovers: "signer", "another" or "nobody")
VARIANTS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "canonical": (lambda sig: sig, "signer"),
    "v 27/28 swapped": (lambda sig: _with_v(sig, 55 - sig[64]), "another"),
    "v as 0/1": (lambda sig: _with_v(sig, sig[64] - 27), "nobody"),
    "v 29": (lambda sig: _with_v(sig, 29), "nobody"),
    "malleable twin (n - s, v swapped)": (
        lambda sig: _with_v(_with_s(sig, SECP256K1_N - _s(sig)), 55 - sig[64]),
        "nobody",
    ),
    "high s, v kept": (lambda sig: _with_s(sig, SECP256K1_N - _s(sig)), "nobody"),
    "s = 0": (lambda sig: _with_s(sig, 0), "nobody"),
    "r = 0": (lambda sig: bytes(32) + sig[32:], "nobody"),
    "r = n": (lambda sig: SECP256K1_N.to_bytes(32, "big") + sig[32:], "nobody"),
    "64-byte ERC-2098 form": (_short, "nobody"),
    "66 bytes": (lambda sig: sig + b"\x00", "nobody"),
    "empty": (lambda sig: b"", "nobody"),
}


@pytest.fixture
def oracles(harness: ChainHarness) -> list[CustomsOracle]:
    return make_customs_oracles(harness, 2, prefix="sig-oracle")


def _now(h: ChainHarness) -> int:
    return int(h.chain.w3.eth.get_block("latest")["timestamp"])


def _att(h: ChainHarness, operator: str) -> CustomsAttestation:
    return CustomsAttestation(
        operator, DECLARATION, DeclarationStatus.DECLARED, CONTENT, STATUS_AT, _now(h) + 3600
    )


def _on_chain(customs: CustomsAttestationsContract, att: CustomsAttestation, signature: bytes) -> str:
    """Whom the contract recovers: the operator when it records the vote, else the error's ``recovered``."""
    try:
        customs.attest(att, signature)
    except ChainRevert as err:
        assert err.error == "CustomsBadSignature", err.detail
        assert err.args_["operator"] == att.operator
        return str(err.args_["recovered"])
    return att.operator


def _off_chain(digest: bytes, signature: bytes) -> str:
    """Whom the Python verifiers recover (a refused signature recovers nobody, like the contract's zero)."""
    try:
        return recover_digest(digest, signature)
    except PayloadError as err:
        assert err.reason == "bad_signature"
        return ZERO


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_python_verifier_accepts_exactly_the_signatures_the_contract_accepts(
    harness: ChainHarness, oracles: list[CustomsOracle], variant: str
) -> None:
    first, relayer = oracles
    customs = harness.chain.customs(relayer.key)
    att = _att(harness, first.address)
    mangle, expected = VARIANTS[variant]
    canonical = sign_attestation(first.private_key, harness.chain.chain_id, customs.address, att)
    signature = mangle(canonical)
    digest = attestation_digest(harness.chain.chain_id, customs.address, att)

    on_chain, off_chain = _on_chain(customs, att, signature), _off_chain(digest, signature)

    assert on_chain == off_chain
    if expected == "signer":
        assert on_chain == first.address
    elif expected == "another":
        assert on_chain not in (first.address, ZERO)
    else:
        assert on_chain == ZERO
    recorded = customs.has_attested(DECLARATION, DeclarationStatus.DECLARED, first.org)
    assert recorded is (expected == "signer")  # a refused signature leaves no vote behind
    assert customs.tally(DECLARATION, DeclarationStatus.DECLARED, CONTENT, STATUS_AT) == int(recorded)


READING = Reading(b"\xde" * 32, 42, 1_790_000_000, "electricity_kwh", 1_500, "kWh", b"\xfa" * 32)
DEVICE = Account.from_key(b"\x42" * 32)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_reading_verifier_refuses_what_the_contract_refuses(variant: str) -> None:
    """The IoT oracle's fast path (and ``tradeledger verify``): the same variants, on a device reading."""
    domain = Domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
    mangle, expected = VARIANTS[variant]
    signature = mangle(sign_reading(DEVICE, domain, READING))
    verifier = ReadingVerifier(domain)

    if expected == "nobody":
        with pytest.raises(PayloadError) as err:
            verifier.recover(READING, signature)
        assert err.value.reason == "bad_signature"
        return
    signer = verifier.recover(READING, signature)
    assert (signer == DEVICE.address) is (expected == "signer")
    assert signer == recover_digest(verifier.digest(READING), signature)


def test_a_fork_with_another_chain_id_refuses_the_original_chain_s_signatures(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    """The contract reads ``block.chainid`` at run time: the same deployment, state and signature on a
    chain that changed its id (a fork, a copied test network) computes another digest."""
    first = oracles[0]
    customs = harness.chain.customs()
    att = _att(harness, first.address)
    signed_for = attestation_digest(harness.chain.chain_id, customs.address, att)
    assert customs.attestation_digest(att) == signed_for

    rpc(harness.node.url, "anvil_setChainId", [harness.chain.chain_id + 1])
    try:
        on_the_fork = customs.attestation_digest(att)
    finally:
        rpc(harness.node.url, "anvil_setChainId", [harness.chain.chain_id])

    assert on_the_fork == attestation_digest(harness.chain.chain_id + 1, customs.address, att)
    assert on_the_fork != signed_for
    assert customs.attestation_digest(att) == signed_for


def test_the_same_signature_twice_in_one_batch_is_refused_whole(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    first, relayer = oracles
    customs = harness.chain.customs(relayer.key)
    att = _att(harness, first.address)
    signature = sign_attestation(first.private_key, harness.chain.chain_id, customs.address, att)

    _rejects(
        lambda: customs.attest_many([att, att], [signature, signature]),
        "CustomsAlreadyAttested",
        declarationId=to_hex32(DECLARATION),
        status=DeclarationStatus.DECLARED,
        org=to_hex32(first.org),
    )
    assert not customs.has_attested(DECLARATION, DeclarationStatus.DECLARED, first.org)
    assert customs.tally(DECLARATION, DeclarationStatus.DECLARED, CONTENT, STATUS_AT) == 0


def test_a_signature_by_an_operator_key_removed_after_signing_is_refused(
    harness: ChainHarness, oracles: list[CustomsOracle]
) -> None:
    """An operator organisation revokes one of its keys (``removeAccount``): what that key signed
    before, still inside its deadline, no longer counts, whoever relays it."""
    first, relayer = oracles
    spare = Account.from_key(harness.chain.keystore.get_or_create("sig-oracle-1-spare").key)
    harness.chain.participants(first.key).add_account(spare.address)
    customs = harness.chain.customs(relayer.key)
    att = _att(harness, spare.address)
    signature = sign_attestation(bytes(spare.key), harness.chain.chain_id, customs.address, att)
    harness.chain.participants(first.key).remove_account(spare.address)

    err = _rejects(lambda: customs.attest(att, signature), "CustomsUnknownOperator", operator=spare.address)

    assert (err.code, err.status) == ("customs_unknown_operator", 403)
    assert harness.chain.participants(OPERATOR).org_of(spare.address) == bytes(32)
    assert not customs.has_attested(DECLARATION, DeclarationStatus.DECLARED, first.org)
    assert customs.tally(DECLARATION, DeclarationStatus.DECLARED, CONTENT, STATUS_AT) == 0
