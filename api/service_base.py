"""What every domain service shares: a database session and, for writes, the chain and its indexer."""

from __future__ import annotations

from typing import Self

from fastapi import Request
from sqlmodel import Session

from chain.client import Chain
from chain.indexer import Indexer
from chain.sender import Receipt


class ChainService:
    """Reads need only ``session``; writes need ``chain`` and ``indexer`` too."""

    def __init__(self, session: Session, chain: Chain | None = None, indexer: Indexer | None = None) -> None:
        self.session = session
        self.chain = chain
        self.indexer = indexer

    @classmethod
    def for_request(cls, session: Session, request: Request) -> Self:
        """The service wired to the app's chain and indexer (503 ``chain_unavailable`` without them)."""
        from api.runtime import chain_and_indexer

        chain, indexer = chain_and_indexer(request)
        return cls(session, chain, indexer)

    def _wired(self) -> tuple[Chain, Indexer]:
        if self.chain is None or self.indexer is None:
            raise RuntimeError(f"{type(self).__name__} needs a chain and an indexer to write")
        return self.chain, self.indexer

    def settle(self, receipt: Receipt) -> None:
        """Commit what the write stored here and index up to its block, so reads see it at once."""
        self.session.commit()
        _, indexer = self._wired()
        indexer.sync_through(receipt.tx_hash, receipt.block_number)
        self.session.expire_all()
