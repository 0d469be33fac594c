"""What the running app was handed: the chain connection and its indexer (None in a read-only app)."""

from __future__ import annotations

from fastapi import Request

from chain.client import OPERATOR, Chain, org_key_name
from chain.deploy import OPERATOR_HANDLE
from chain.errors import ConfigurationError, Unavailable
from chain.ids import from_hex32, org_id, to_hex32
from chain.indexer import Indexer


def chain_and_indexer(request: Request) -> tuple[Chain, Indexer]:
    chain = getattr(request.app.state, "chain", None)
    indexer = getattr(request.app.state, "indexer", None)
    if chain is None or indexer is None:
        raise Unavailable(
            "this API instance is not connected to the chain; start it with `tradeledger up`",
            code="chain_unavailable",
        )
    return chain, indexer


def signing_key(chain: Chain, org: str) -> str:
    """The keystore name of the key the platform signs with for organisation ``org`` (custodial keys)."""
    if org == to_hex32(org_id(OPERATOR_HANDLE)):
        return OPERATOR
    name = org_key_name(from_hex32(org))
    if not chain.keystore.exists(name):
        raise ConfigurationError(
            f"this platform holds no signing key for organisation {org}; it signs its own transactions",
            code="no_signing_key",
        )
    return name
