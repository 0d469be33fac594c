"""Which chain events mention which object id: the index behind every timeline (a projection)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class EventMention(SQLModel, table=True):
    """Event (``tx_hash``, ``log_index``) has ``object_id`` among its arguments.

    ``object_id`` is written as the timeline asks for it: a 32-byte id as ``0x`` and 64 lowercase hex digits,
    a uint256 token id (a receivable) in decimal. The primary key's first column serves the lookup by id."""

    __tablename__ = "chain_event_mentions"

    object_id: str = Field(primary_key=True, max_length=78)  # 2**256 has 78 decimal digits
    tx_hash: str = Field(primary_key=True, max_length=66)
    log_index: int = Field(primary_key=True)
    block_number: int
