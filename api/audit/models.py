"""Regulators' mandates recorded by the operator, and the log of every read an auditing organisation makes.

Both are off-chain records of the platform (like API keys): they are not rebuilt from events.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class RegulatorMandate(SQLModel, table=True):
    """The operator records that regulator ``regulator`` supervises member ``subject`` (its mandate comes
    from law or the consortium agreement, not from the member's consent, so the member cannot withdraw it)."""

    __tablename__ = "regulator_mandates"

    subject: str = Field(primary_key=True, max_length=66)
    regulator: str = Field(primary_key=True, max_length=66, index=True)
    recorded_by: str = Field(max_length=66)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AuditAccess(SQLModel, table=True):
    """One read by an auditor or regulator: one row per organisation whose records it read (``subject``)
    and object, or a single row without a subject (its own data, governance, a refused read)."""

    __tablename__ = "audit_access_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    auditor: str = Field(max_length=66, index=True)  # the auditing organisation
    api_key_id: int
    method: str = Field(max_length=8)
    path: str = Field(max_length=512)
    query: str | None = Field(default=None, max_length=1024)
    status: int  # the HTTP status answered
    subject: str | None = Field(default=None, max_length=66, index=True)
    object_id: str | None = Field(default=None, max_length=80)  # the document, transaction … read
