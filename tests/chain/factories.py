"""Small factories for chain tests."""

from __future__ import annotations

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
