"""What the running app was handed: the chain connection and its indexer (None in a read-only app)."""

from __future__ import annotations

from fastapi import Request

from chain.client import Chain
from chain.errors import Unavailable
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
