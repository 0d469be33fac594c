"""Initializer and upgrade attacks on every UUPS proxy of the deployment manifest.

tests/chain/test_policy.py already shows that ``initialize`` on a proxy reverts for the operator and
that ``upgradeToAndCall`` refuses the operator and each officer acting alone. This file adds what an
attacker would try next, on every proxy the manifest names: the implementations behind the proxies
(initialise one and own it, upgrade it directly), a real, valid implementation pushed by every key
that is not dual control, one officer going through DualControl alone or around it through the
AccessManager, and dual control itself trying to re-initialise a proxy or brick it with a non-UUPS
implementation. The last test is the control: the same upgrades pass with two officers, so each
refusal above is the access check and not a broken target.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_utils import function_signature_to_4byte_selector, to_checksum_address
from hexbytes import HexBytes

from chain import governance
from chain.client import DEPLOYER, OFFICERS, OPERATOR
from chain.contracts import BoundContract
from chain.errors import ChainRevert
from chain.ids import to_hex32
from chain.policy import POLICY, OrgRole
from tests.chain.factories import make_org
from tests.chain.test_policy import _args
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

DELAY = 3600  # the test deployment's execution delay
IMPLEMENTATION_SLOT = int("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc", 16)  # ERC-1967
UPGRADE = "0x" + function_signature_to_4byte_selector("upgradeToAndCall(address,bytes)").hex()


def _proxies(h: ChainHarness) -> list[str]:
    """Every contract of the manifest deployed behind a proxy (it records an implementation)."""
    return sorted(name for name, record in h.manifest.contracts.items() if record.implementation)


def _implementation(h: ChainHarness, name: str) -> str:
    raw = h.chain.w3.eth.get_storage_at(h.manifest.address(name), IMPLEMENTATION_SLOT)
    return to_checksum_address(raw[-20:])


def _at(h: ChainHarness, name: str, address: str, key: str) -> BoundContract:
    """Contract ``name``'s ABI at ``address`` (a proxy or an implementation), sending as ``key``."""
    abi = h.manifest.record(name).abi
    return BoundContract(h.chain.w3, name, address, abi, h.chain.decoder, h.chain.sender(key))


def _refusals(
    names: list[str], attempt: Callable[[str], Any], expected: Callable[[str], tuple[str, dict[str, Any]]]
) -> dict[str, tuple[str, dict[str, Any]] | str]:
    """For each name, the (error, args) ``attempt`` reverted with minus those equal to ``expected``."""
    wrong: dict[str, tuple[str, dict[str, Any]] | str] = {}
    for name in names:
        try:
            attempt(name)
        except ChainRevert as err:
            if (err.error, err.args_) != expected(name):
                wrong[name] = (err.error, err.args_)
        else:
            wrong[name] = "it succeeded"
    return wrong


@pytest.fixture
def fresh_implementations(harness: ChainHarness) -> dict[str, str]:
    """A new, valid implementation of every proxied contract (the same code, deployed again)."""
    sender = harness.chain.sender(DEPLOYER)
    out: dict[str, str] = {}
    for name in _proxies(harness):
        code = HexBytes(harness.chain.artifacts[name].bytecode)
        receipt = sender.transact({"data": bytes(code)}, context=f"deploy {name} implementation")
        out[name] = to_checksum_address(str(receipt.contract_address))
    return out


def test_every_business_contract_is_a_proxy_in_the_manifest(deployed: ChainHarness) -> None:
    """The attacks below run over the manifest's proxies; none of the policy's contracts is missing."""
    proxies = _proxies(deployed)

    assert proxies == sorted(POLICY)
    assert all(_implementation(deployed, n) == deployed.manifest.record(n).implementation for n in proxies)


def test_no_implementation_can_be_initialised(harness: ChainHarness) -> None:
    """Initialising the contract behind a proxy would make the caller its authority; all refuse."""
    attacker = harness.new_key("impl-attacker")
    names = _proxies(harness)

    def attempt(name: str) -> None:
        impl = _at(harness, name, str(harness.manifest.record(name).implementation), "impl-attacker")
        impl.transact("initialize", attacker, *_args(impl.abi, "initialize")[1:])

    assert _refusals(names, attempt, lambda _: ("InvalidInitialization", {})) == {}
    for name in names:  # _disableInitializers left them without an authority
        impl = _at(harness, name, str(harness.manifest.record(name).implementation), "impl-attacker")
        assert impl.call("authority") == "0x0000000000000000000000000000000000000000", name


def test_no_implementation_can_be_upgraded_directly(
    harness: ChainHarness, fresh_implementations: dict[str, str]
) -> None:
    """UUPS onlyProxy: calling upgradeToAndCall on the implementation itself is refused."""
    harness.new_key("impl-upgrader")

    def attempt(name: str) -> None:
        impl = _at(harness, name, str(harness.manifest.record(name).implementation), "impl-upgrader")
        impl.transact("upgradeToAndCall", fresh_implementations[name], b"")

    assert _refusals(_proxies(harness), attempt, lambda _: ("UUPSUnauthorizedCallContext", {})) == {}


@pytest.mark.parametrize("who", ["deployer", "member", "outsider"])
def test_no_single_key_can_upgrade_a_proxy_to_a_valid_implementation(
    harness: ChainHarness, fresh_implementations: dict[str, str], who: str
) -> None:
    """The key that deployed everything, an organisation's own key and a stranger: all unauthorised."""
    if who == "deployer":
        key = DEPLOYER
    elif who == "member":
        _, key = make_org(harness, "upgrading-financier", OrgRole.FINANCIER)
    else:
        key = "upgrading-outsider"
        harness.new_key(key)
    caller = harness.chain.keystore.load(key).address
    names = _proxies(harness)
    before = {n: _implementation(harness, n) for n in names}

    def attempt(name: str) -> None:
        proxy = harness.chain.contract(name, key)
        proxy.transact("upgradeToAndCall", fresh_implementations[name], b"")

    assert _refusals(names, attempt, lambda _: ("AccessManagedUnauthorized", {"caller": caller})) == {}
    assert {n: _implementation(harness, n) for n in names} == before


def test_one_officer_cannot_upgrade_through_dual_control_alone(
    harness: ChainHarness, fresh_implementations: dict[str, str]
) -> None:
    names = _proxies(harness)
    before = {n: _implementation(harness, n) for n in names}
    ops = {
        n: governance.propose(
            harness.chain, harness.chain.contract(n), "upgradeToAndCall", fresh_implementations[n], b""
        )
        for n in names
    }
    harness.increase_time(DELAY + 1)

    def attempt(name: str) -> None:
        governance.execute(harness.chain, ops[name], officer=OFFICERS[0])

    expected = {"approvals": 1, "threshold": 2}
    assert (
        _refusals(
            names, attempt, lambda n: ("DualControlNotEnoughApprovals", {"id": to_hex32(ops[n]), **expected})
        )
        == {}
    )
    assert {n: _implementation(harness, n) for n in names} == before


@pytest.mark.parametrize("fn", ["execute", "schedule"])
def test_an_officer_cannot_go_around_dual_control_through_the_access_manager(
    harness: ChainHarness, fresh_implementations: dict[str, str], fn: str
) -> None:
    """The AccessManager's own execute/schedule check the target's role (ADMIN): an officer has none."""
    officer = harness.chain.keystore.load(OFFICERS[0]).address
    am = harness.chain.access_manager(OFFICERS[0])
    names = _proxies(harness)
    before = {n: _implementation(harness, n) for n in names}

    def attempt(name: str) -> None:
        data = harness.chain.contract(name).encode("upgradeToAndCall", fresh_implementations[name], b"")
        proxy = harness.manifest.address(name)
        am.transact(fn, proxy, data) if fn == "execute" else am.transact(fn, proxy, data, 0)

    def expected(name: str) -> tuple[str, dict[str, Any]]:
        return "AccessManagerUnauthorizedCall", {
            "caller": officer,
            "target": harness.manifest.address(name),
            "selector": UPGRADE,
        }

    assert _refusals(names, attempt, expected) == {}
    assert {n: _implementation(harness, n) for n in names} == before


def _through_dual_control(h: ChainHarness, calls: dict[str, tuple[str, tuple[Any, ...]]]) -> dict[str, bytes]:
    """Propose and approve (two officers) one call per proxy, then wait out the delay."""
    ops = {
        n: governance.propose_and_approve(h.chain, h.chain.contract(n), fn, *args)
        for n, (fn, args) in calls.items()
    }
    h.increase_time(DELAY + 1)
    return ops


def test_dual_control_cannot_reinitialise_a_proxy(harness: ChainHarness) -> None:
    """Even the ADMIN role (two officers) cannot run an initializer again: the operation stays pending."""
    names = _proxies(harness)
    attacker = harness.new_key("reinit-authority")
    calls = {
        n: ("initialize", (attacker, *_args(harness.manifest.record(n).abi, "initialize")[1:])) for n in names
    }
    ops = _through_dual_control(harness, calls)

    def attempt(name: str) -> None:
        governance.execute(harness.chain, ops[name])

    assert _refusals(names, attempt, lambda _: ("InvalidInitialization", {})) == {}
    access_manager = harness.manifest.address("AccessManager")
    assert {n: harness.chain.contract(n).call("authority") for n in names} == dict.fromkeys(
        names, access_manager
    )
    assert {harness.chain.dual_control().operation(op).status for op in ops.values()} == {"pending"}


def test_dual_control_cannot_brick_a_proxy_with_a_non_uups_implementation(harness: ChainHarness) -> None:
    """An implementation without proxiableUUID (here: the AccessManager) is refused, even by two officers."""
    names = _proxies(harness)
    not_uups = harness.manifest.address("AccessManager")
    before = {n: _implementation(harness, n) for n in names}
    ops = _through_dual_control(harness, {n: ("upgradeToAndCall", (not_uups, b"")) for n in names})

    def attempt(name: str) -> None:
        governance.execute(harness.chain, ops[name])

    assert (
        _refusals(names, attempt, lambda _: ("ERC1967InvalidImplementation", {"implementation": not_uups}))
        == {}
    )
    assert {n: _implementation(harness, n) for n in names} == before


def test_dual_control_upgrades_every_proxy_and_initialisers_stay_closed(
    harness: ChainHarness, fresh_implementations: dict[str, str]
) -> None:
    """The control for the refusals above: two officers and the delay upgrade each proxy."""
    names = _proxies(harness)
    ops = _through_dual_control(
        harness, {n: ("upgradeToAndCall", (fresh_implementations[n], b"")) for n in names}
    )

    for name in names:
        receipt = governance.execute(harness.chain, ops[name], officer=OFFICERS[1])
        upgraded = harness.chain.contract(name).event(receipt, "Upgraded")
        assert upgraded.args["implementation"] == fresh_implementations[name]

    assert {n: _implementation(harness, n) for n in names} == fresh_implementations

    def attempt(name: str) -> None:
        proxy = harness.chain.contract(name, OPERATOR)
        proxy.transact("initialize", *_args(proxy.abi, "initialize"))

    assert _refusals(names, attempt, lambda _: ("InvalidInitialization", {})) == {}
