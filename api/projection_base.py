"""The base of every projection: each event of one contract goes to its ``_on_<EventName>`` method."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, TypeVar

from sqlmodel import Session, SQLModel

from chain.events import ChainEvent

M = TypeVar("M", bound=SQLModel)


class EventProjection:
    """Builds ``tables`` from the events of ``contract``; events without a handler are ignored.

    Handlers must be pure functions of the event sequence, so re-indexing gives the same rows. Their
    changes are not flushed event by event: a query flushes what it may see (autoflush), the indexer
    flushes the rest once per range. A deletion is flushed at once, since a flush inserts before it
    deletes and the same unique key (an account's address) may be added again later in the range."""

    contract: ClassVar[str]
    tables: Sequence[type[SQLModel]]

    def apply(self, session: Session, event: ChainEvent) -> None:
        if event.contract != self.contract:
            return
        handler = getattr(self, f"_on_{event.name}", None)
        if handler is not None:
            handler(session, event)
            if session.deleted:
                session.flush()

    @staticmethod
    def _set(session: Session, model: type[M], key: object, **changes: object) -> M | None:
        """Update the row ``key`` of ``model`` if the index has it (an event may precede our start block)."""
        row = session.get(model, key)
        if row is not None:
            for name, value in changes.items():
                setattr(row, name, value)
            session.add(row)
        return row
