"""Timelines: the indexed events that mention given object ids, oldest first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, select  # sqlmodel's select takes at most four columns
from sqlmodel import Session, and_, col

from api.orders.schemas import EventOut
from api.timeline.models import EventMention
from api.trade.documents import read_json
from chain.index_models import ChainEventRow


def event_out(row: ChainEventRow) -> EventOut:
    """An indexed event as the API shows it."""
    return EventOut(
        block=row.block_number,
        tx_hash=row.tx_hash,
        contract=row.contract,
        event=row.name,
        args=read_json(row.args),
    )


def timeline(session: Session, *ids: str) -> list[EventOut]:
    """Every indexed event whose arguments name one of ``ids``, oldest first, each once.

    An id is matched whole (see ``api.timeline.projection.mentioned_ids`` for the forms: ``0x`` + 64 hex
    digits, or a uint256 token id in decimal); anything else names no event."""
    return timelines(session, [ids])[0]


_EVENT = ChainEventRow
# built once, the ids an expanding parameter: building and hashing the statement cost more than running it
_MENTIONED = (
    select(
        col(EventMention.object_id),
        col(_EVENT.id),
        col(_EVENT.block_number),
        col(_EVENT.tx_hash),
        col(_EVENT.contract),
        col(_EVENT.name),
        col(_EVENT.args),
    )
    .join(
        _EVENT,
        and_(
            col(_EVENT.tx_hash) == col(EventMention.tx_hash),
            col(_EVENT.log_index) == col(EventMention.log_index),
        ),
    )
    .where(col(EventMention.object_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(_EVENT.block_number), col(_EVENT.log_index))
)


def timelines(session: Session, groups: Sequence[Iterable[str]]) -> list[list[EventOut]]:
    """``timeline`` of each group of ids, in one query for all of them (a page of records).

    The query reads columns, not ORM rows, and each event is decoded once however many ids and groups
    name it: a page of receivables shares its orders' and documents' events."""
    wanted = [{i.lower() for i in group if i} for group in groups]
    every = set().union(*wanted) if wanted else set()
    if not every:
        return [[] for _ in wanted]
    decoded: dict[int | None, EventOut] = {}
    found: list[tuple[str, int | None]] = []
    found_rows = session.connection().execute(_MENTIONED, {"ids": sorted(every)})
    for object_id, event_id, block, tx_hash, contract, name, args in found_rows:
        if event_id not in decoded:
            decoded[event_id] = EventOut.model_construct(  # our own index's columns: nothing to validate
                block=block, tx_hash=tx_hash, contract=contract, event=name, args=read_json(args)
            )
        found.append((object_id, event_id))
    out: list[list[EventOut]] = []
    for ids in wanted:
        shown = dict.fromkeys(e for object_id, e in found if object_id in ids)  # an event naming 2 ids: once
        out.append([decoded[e] for e in shown])
    return out
