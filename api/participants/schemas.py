"""Request and response bodies of the organisation endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.participants.models import Organisation


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class TxOut(BaseModel):
    tx_hash: str
    block_number: int

    @classmethod
    def of(cls, tx: Any) -> TxOut:
        """From anything with ``tx_hash`` and ``block_number`` (a receipt, a ``TxRef``)."""
        return cls(tx_hash=tx.tx_hash, block_number=tx.block_number)


class OrganisationOut(BaseModel):
    """A member as every member sees it (membership is public inside the consortium)."""

    id: str = Field(description="0x… organisation id (keccak of the handle)")
    name: str
    role: str
    status: str
    registered_at: UtcDatetime
    registered_block: int
    legal_id_commitment: str = Field(
        description="keccak256(abi.encode(legal id, salt)); the salt stays off chain"
    )
    accounts: list[str]

    @classmethod
    def of(cls, org: Organisation, accounts: list[str]) -> OrganisationOut:
        return cls(
            id=org.org_id,
            name=org.name,
            role=org.role,
            status=org.status,
            registered_at=org.registered_at,
            registered_block=org.registered_block,
            legal_id_commitment=org.legal_id_commitment,
            accounts=accounts,
        )


class OrganisationDetail(OrganisationOut):
    """Adds the legal id behind the commitment: shown to the organisation itself and the operator only."""

    legal_id: str | None = None
    legal_id_salt: str | None = None


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="fixes the id; e.g. acme-motors")
    name: str = Field(min_length=1, max_length=64)
    role: str = Field(
        description="core_enterprise, supplier, financier, logistics, customs_oracle, iot_oracle, "
        "auditor, regulator or carbon_verifier"
    )
    legal_id: str = Field(
        min_length=1, max_length=128, description="e.g. an LEI; only a salted commitment goes on chain"
    )


class OrganisationCreated(BaseModel):
    organisation: OrganisationDetail
    api_key: str = Field(description="the organisation's first API key; shown once")
    tx: TxOut


class OrganisationSuspended(BaseModel):
    organisation: OrganisationOut
    tx: TxOut
