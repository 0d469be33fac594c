"""Customs declarations as the customs oracle operators read them, and each operator's own bookkeeping.

Written by ``oracles/customs`` and read by the API. The chain holds only each declaration's id,
attested statuses and a salted commitment of its content; these rows are the content behind the
commitments (a re-index keeps them). An operator's outbox rows make its attestations exactly-once
across crashes and feed replays; its cursor says where in its feed it resumes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Text
from sqlmodel import Field, SQLModel


class CustomsDeclarationRow(SQLModel, table=True):
    """One version of a declaration's content (a changed declaration is a new row, never an update)."""

    __tablename__ = "customs_declarations"

    declaration_id: str = Field(primary_key=True, max_length=66)  # declarationId on chain
    commitment: str = Field(primary_key=True, max_length=66)  # keccak256(abi.encode(salt, canonical))
    number: str = Field(max_length=64, index=True)
    office: str = Field(max_length=16)
    po_number: str = Field(max_length=64, index=True)
    transport_document: str = Field(max_length=64, index=True)
    exporter: str = Field(max_length=66, index=True)
    importer: str = Field(max_length=66, index=True)
    canonical: str = Field(sa_column=Column(Text, nullable=False))
    salt: str = Field(max_length=66)
    cid: str | None = Field(default=None, max_length=128)  # the encrypted copy in the document store
    wrapped_key: str | None = Field(default=None, max_length=256)
    first_seen_by: str = Field(max_length=66)  # the operator organisation that stored it first
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CustomsAttestationRow(SQLModel, table=True):
    """An operator's outbox: written before its attestation is sent, updated with the outcome."""

    __tablename__ = "customs_attestations"

    operator: str = Field(primary_key=True, max_length=66)  # the operator organisation
    declaration_id: str = Field(primary_key=True, max_length=66)
    status: str = Field(primary_key=True, max_length=16)
    commitment: str = Field(max_length=66)
    status_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    state: str = Field(max_length=16)  # pending | attested | refused
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = None
    error: str | None = Field(default=None, max_length=256)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CustomsFeedCursor(SQLModel, table=True):
    """Where an operator resumes reading a feed."""

    __tablename__ = "customs_feed_cursors"

    operator: str = Field(primary_key=True, max_length=66)
    feed: str = Field(primary_key=True, max_length=255)
    cursor: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CustomsFeedProblem(SQLModel, table=True):
    """An entry of a feed that could not be attested (malformed declaration, unknown status …)."""

    __tablename__ = "customs_feed_problems"

    id: int | None = Field(default=None, primary_key=True)
    operator: str = Field(max_length=66, index=True)
    feed: str = Field(max_length=255)
    source: str = Field(max_length=255)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
