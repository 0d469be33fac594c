"""Sensor readings as the IoT oracle accepted them, their batches and proofs, and rejection counters.

Written by ``oracles/iot`` (which persists a reading before acknowledging it) and read by the API.
These rows are the off-chain half of each anchored batch: a re-index keeps them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import BigInteger, Column, DateTime, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class ReadingRow(SQLModel, table=True):
    __tablename__ = "iot_readings"
    __table_args__ = (UniqueConstraint("device_id", "sequence", name="uq_iot_readings_device_sequence"),)

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(max_length=66, index=True)
    owner: str = Field(max_length=66, index=True)
    sequence: int = Field(sa_column=Column(Numeric(20, 0), nullable=False))
    timestamp: int = Field(sa_column=Column(BigInteger, nullable=False))
    metric: str = Field(max_length=64)
    value_milli: int = Field(sa_column=Column(Numeric(78, 0), nullable=False))
    unit: str = Field(max_length=16)
    binding: str = Field(max_length=66, index=True)
    signer: str = Field(max_length=42)
    signature: str = Field(max_length=132)
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    batch_root: str | None = Field(default=None, max_length=66, index=True)
    proof: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON list of 0x-hex


class ReadingBatchRow(SQLModel, table=True):
    __tablename__ = "iot_batches"

    root: str = Field(primary_key=True, max_length=66)
    count: int
    period_start: int = Field(sa_column=Column(BigInteger, nullable=False))
    period_end: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(max_length=16)  # pending | anchored
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = None
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IngestCounter(SQLModel, table=True):
    """How many readings were rejected per reason (and sequence gaps seen), across restarts."""

    __tablename__ = "iot_counters"

    # "rejected:<reason>" | "accepted" | "duplicate" | "gap"
    name: str = Field(primary_key=True, max_length=48)
    count: int = Field(sa_column=Column(BigInteger, nullable=False))


class DeviceRow(SQLModel, table=True):
    """Devices as the index sees them (a projection of DeviceRegistry events)."""

    __tablename__ = "devices"

    device_id: str = Field(primary_key=True, max_length=66)
    owner: str = Field(max_length=66, index=True)
    kind: str = Field(max_length=32)
    status: str = Field(max_length=16)  # active | revoked
    signer: str = Field(max_length=42)
    generation: int
    binding: str = Field(max_length=66)
    registered_block: int


class StatementRow(SQLModel, table=True):
    """Emission statements as the index sees them (a projection of CarbonLedger events)."""

    __tablename__ = "carbon_statements"

    statement_id: str = Field(primary_key=True, max_length=66)
    org: str = Field(max_length=66, index=True)
    scope: int
    grams: int = Field(sa_column=Column(Numeric(78, 0), nullable=False))
    factor_set: str = Field(max_length=66)
    batches: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of roots
    status: str = Field(max_length=16)  # submitted | verified
    verifier: str | None = Field(default=None, max_length=66)
    submitted_block: int


class ReadingColumns(Protocol):
    """What a leaf is made of: a ``ReadingRow``, or a row of those columns selected without the ORM."""

    @property
    def device_id(self) -> str: ...
    @property
    def sequence(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def metric(self) -> str: ...
    @property
    def value_milli(self) -> int: ...
    @property
    def unit(self) -> str: ...
    @property
    def binding(self) -> str: ...


def leaf_value(row: ReadingColumns) -> tuple[bytes, int, int, str, int, str, bytes]:
    """The reading as its Merkle leaf (``chain.carbon_contracts.READING_LEAF_TYPES``)."""
    return (
        bytes.fromhex(row.device_id[2:]),
        int(row.sequence),
        int(row.timestamp),
        row.metric,
        int(row.value_milli),
        row.unit,
        bytes.fromhex(row.binding[2:]),
    )
