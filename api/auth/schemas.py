"""API-key bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api.auth.models import ApiKey
from api.participants.schemas import UtcDatetime


class ApiKeyOut(BaseModel):
    id: int
    label: str
    prefix: str = Field(description="the key's first characters, to recognise it")
    scopes: list[str]
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None
    last_used_at: UtcDatetime | None = Field(description="to the minute")

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        assert key.id is not None
        return cls(
            id=key.id,
            label=key.label,
            prefix=key.prefix,
            scopes=key.scopes.split(","),
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=64, description="who or what uses the key")
    scopes: list[str] = Field(default=["read", "write"], min_length=1, description="read, write, admin")


class ApiKeyCreated(BaseModel):
    key: ApiKeyOut
    api_key: str = Field(description="the key itself; shown once, stored only as a hash")
