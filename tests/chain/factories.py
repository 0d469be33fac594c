"""Small factories for chain tests."""

from __future__ import annotations

from dataclasses import dataclass

from chain.client import OPERATOR
from chain.ids import commitment, org_id
from chain.policy import OrgRole
from tests.conftest import ChainHarness


def make_org(
    h: ChainHarness, handle: str, role: OrgRole = OrgRole.SUPPLIER, name: str | None = None
) -> tuple[bytes, str]:
    """Register an organisation with one funded key named after it; returns (org id, key name)."""
    key = f"key-{handle}"
    address = h.new_key(key)
    oid = org_id(handle)
    h.chain.participants(OPERATOR).register_organisation(
        oid, name or handle.title(), role, commitment(b"LEI-" + handle.encode(), b"\x07" * 32), [address]
    )
    return oid, key


@dataclass(frozen=True)
class CustomsOracle:
    """A registered customs oracle organisation and the key its operator signs with."""

    org: bytes
    key: str
    address: str
    private_key: bytes


def make_customs_oracles(
    h: ChainHarness, count: int = 3, prefix: str = "customs-oracle"
) -> list[CustomsOracle]:
    """``count`` CustomsOracle organisations, each with its own funded key."""
    oracles = []
    for i in range(1, count + 1):
        oid, key = make_org(h, f"{prefix}-{i}", OrgRole.CUSTOMS_ORACLE)
        account = h.chain.keystore.load(key)
        oracles.append(CustomsOracle(oid, key, str(account.address), bytes(account.key)))
    return oracles
