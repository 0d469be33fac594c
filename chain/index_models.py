"""Tables of the chain index: raw events with their block hashes, and the checkpoint.

Projections (organisations, receivables, …) are built from these rows, so a
reorg is undone by deleting the orphaned rows and replaying the rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


class ChainBlock(SQLModel, table=True):
    __tablename__ = "chain_blocks"

    number: int = Field(primary_key=True)
    hash: str = Field(max_length=66)


class ChainEventRow(SQLModel, table=True):
    __tablename__ = "chain_events"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index", name="uq_chain_events_tx_log"),)

    id: int | None = Field(default=None, primary_key=True)
    block_number: int = Field(index=True)
    block_hash: str = Field(max_length=66)
    tx_hash: str = Field(max_length=66)
    log_index: int
    contract: str = Field(max_length=64, index=True)
    address: str = Field(max_length=42)
    name: str = Field(max_length=64, index=True)
    args: str  # JSON


class IndexerCheckpoint(SQLModel, table=True):
    __tablename__ = "indexer_checkpoints"

    name: str = Field(primary_key=True, max_length=64)
    chain_id: int
    block_number: int
    block_hash: str = Field(max_length=66)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    deployment: str | None = Field(default=None, max_length=42)  # the Participants address of the deployment
