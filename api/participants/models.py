"""Organisation tables: a projection of Participants events, plus the off-chain legal id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"

    org_id: str = Field(primary_key=True, max_length=66)  # 0x + 64 lowercase hex
    name: str = Field(max_length=64)
    role: str = Field(max_length=32, index=True)  # OrgRole slug
    status: str = Field(max_length=16)  # active | suspended
    legal_id_commitment: str = Field(max_length=66)
    registered_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    registered_block: int
    registered_tx: str = Field(max_length=66)


class OrganisationAccount(SQLModel, table=True):
    __tablename__ = "organisation_accounts"

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(foreign_key="organisations.org_id", max_length=66, index=True)
    address: str = Field(max_length=42, unique=True)
    added_block: int


class OrganisationLegalId(SQLModel, table=True):
    """The legal identifier behind the on-chain commitment; off chain only, never re-indexable."""

    __tablename__ = "organisation_legal_ids"

    org_id: str = Field(primary_key=True, max_length=66)
    legal_id: str = Field(max_length=128)
    salt: str = Field(max_length=66)


class AuditorGrant(SQLModel, table=True):
    """Organisation ``subject`` lets auditor (or regulator) organisation ``auditor`` read its records."""

    __tablename__ = "auditor_grants"

    subject: str = Field(primary_key=True, max_length=66)
    auditor: str = Field(primary_key=True, max_length=66, index=True)
    granted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
