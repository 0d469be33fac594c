"""Every state-changing function is covered by the policy and rejects callers without the role."""

from __future__ import annotations

from typing import Any

import pytest

from chain.client import OFFICERS, OPERATOR
from chain.errors import ChainRevert
from chain.policy import POLICY, UNRESTRICTED, OrgRole, Role
from tests.chain.factories import make_org
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain


def _zero(kind: str, components: list[dict[str, Any]] | None = None) -> Any:
    if kind.endswith("[]"):
        return []
    if kind == "tuple":
        return tuple(_zero(c["type"], c.get("components")) for c in components or [])
    if kind.startswith(("uint", "int")):
        return 0
    if kind == "address":
        return "0x000000000000000000000000000000000000bEEF"
    if kind == "bool":
        return False
    if kind == "string":
        return "x"
    if kind == "bytes":
        return b""
    if kind.startswith("bytes"):
        return b"\x01" * int(kind[5:])
    raise AssertionError(f"no placeholder for {kind}")


def _args(abi: list[dict[str, Any]], fn: str) -> list[Any]:
    item = next(i for i in abi if i.get("type") == "function" and i["name"] == fn)  # the first overload
    return [_zero(p["type"], p.get("components")) for p in item["inputs"]]


def _writes(abi: list[dict[str, Any]]) -> set[str]:
    return {
        i["name"] for i in abi if i.get("type") == "function" and i["stateMutability"] not in ("view", "pure")
    }


@pytest.mark.parametrize("contract", sorted(POLICY))
def test_every_state_changing_function_is_in_the_policy(deployed: ChainHarness, contract: str) -> None:
    abi = deployed.manifest.record(contract).abi
    assert _writes(abi) - UNRESTRICTED == set(POLICY[contract])


CASES = [(c, f, r) for c, fns in sorted(POLICY.items()) for f, r in sorted(fns.items())]


@pytest.mark.parametrize(("contract", "fn", "role"), CASES, ids=[f"{c}.{f}" for c, f, _ in CASES])
def test_function_rejects_a_member_without_its_role(
    harness: ChainHarness, contract: str, fn: str, role: Role
) -> None:
    """A registered, active member lacking the role gets the exact custom error and nothing changes."""
    if role is Role.PUBLIC:
        caller_key = "outsider"
        caller = harness.new_key(caller_key)
        expected = ("ParticipantNotRegistered", {"account": caller})
    else:
        other = OrgRole.AUDITOR if role is Role.FINANCIER else OrgRole.FINANCIER
        _, caller_key = make_org(harness, f"norole-{fn.lower()}", other)
        caller = harness.chain.keystore.load(caller_key).address
        expected = ("AccessManagedUnauthorized", {"caller": caller})
    bound = harness.chain.contract(contract, caller_key)
    block_before = harness.chain.w3.eth.block_number

    with pytest.raises(ChainRevert) as err:
        bound.transact(fn, *_args(bound.abi, fn))

    assert (err.value.error, err.value.args_) == expected
    assert harness.chain.w3.eth.block_number == block_before  # nothing was mined


@pytest.mark.parametrize("key", [OPERATOR, *OFFICERS])
@pytest.mark.parametrize(("contract", "fn"), [(c, f) for c, f, r in CASES if r is Role.ADMIN])
def test_admin_functions_reject_operator_and_officers_acting_alone(
    harness: ChainHarness, key: str, contract: str, fn: str
) -> None:
    bound = harness.chain.contract(contract, key)

    with pytest.raises(ChainRevert) as err:
        bound.transact(fn, *_args(bound.abi, fn))

    assert err.value.error == "AccessManagedUnauthorized"


@pytest.mark.parametrize("contract", sorted(POLICY))
def test_initialize_cannot_be_called_again(harness: ChainHarness, contract: str) -> None:
    bound = harness.chain.contract(contract, OPERATOR)

    with pytest.raises(ChainRevert) as err:
        bound.transact("initialize", *_args(bound.abi, "initialize"))

    assert err.value.error == "InvalidInitialization"


def test_deployer_keeps_no_power(deployed: ChainHarness) -> None:
    am = deployed.chain.access_manager()
    deployer = deployed.manifest.governance["deployer"]
    dual = deployed.manifest.address("DualControl")

    assert am.call("hasRole", int(Role.ADMIN), deployer)[0] is False
    assert am.call("hasRole", int(Role.ADMIN), dual)[0] is True
