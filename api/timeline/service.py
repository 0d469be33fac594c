"""Timelines: the indexed events that mention given object ids, oldest first."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlmodel import Session, and_, col, select

from api.orders.schemas import EventOut
from api.timeline.models import EventMention
from chain.index_models import ChainEventRow


def event_out(row: ChainEventRow) -> EventOut:
    """An indexed event as the API shows it."""
    return EventOut(
        block=row.block_number,
        tx_hash=row.tx_hash,
        contract=row.contract,
        event=row.name,
        args=json.loads(row.args),
    )


def timeline(session: Session, *ids: str) -> list[EventOut]:
    """Every indexed event whose arguments name one of ``ids``, oldest first, each once.

    An id is matched whole (see ``api.timeline.projection.mentioned_ids`` for the forms: ``0x`` + 64 hex
    digits, or a uint256 token id in decimal); anything else names no event."""
    return timelines(session, [ids])[0]


def timelines(session: Session, groups: Sequence[Iterable[str]]) -> list[list[EventOut]]:
    """``timeline`` of each group of ids, in one query for all of them (a page of records)."""
    wanted = [{i.lower() for i in group if i} for group in groups]
    every = set().union(*wanted) if wanted else set()
    if not every:
        return [[] for _ in wanted]
    query = (
        select(EventMention.object_id, ChainEventRow)
        .join(
            ChainEventRow,
            and_(
                col(ChainEventRow.tx_hash) == col(EventMention.tx_hash),
                col(ChainEventRow.log_index) == col(EventMention.log_index),
            ),
        )
        .where(col(EventMention.object_id).in_(sorted(every)))
        .order_by(col(ChainEventRow.block_number), col(ChainEventRow.log_index))
    )
    found: list[tuple[str, ChainEventRow]] = list(session.exec(query).all())
    out: list[list[EventOut]] = []
    for ids in wanted:
        events: dict[int | None, EventOut] = {}  # an event naming two of the ids is shown once
        for object_id, row in found:
            if object_id in ids and row.id not in events:
                events[row.id] = event_out(row)
        out.append(list(events.values()))
    return out
