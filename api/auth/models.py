"""API keys: bound to one organisation, stored as a keyed hash (never in plaintext)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(max_length=66, index=True)
    label: str = Field(max_length=64)
    prefix: str = Field(max_length=16, unique=True)  # shown to users: "tl_1a2b3c4d"
    hash: str = Field(max_length=64)  # HMAC-SHA256(pepper, full key), hex
    scopes: str = Field(max_length=64)  # comma-separated: read,write,admin
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # refreshed at most once a minute, so reads do not turn into a write each
    last_used_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
