"""A customs declaration as the API shows it: content, the status finalised on chain and its events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session

from api.customs.service import DeclarationView
from api.documents.service import content
from api.orders.schemas import EventOut
from api.orders.service import timeline


class DeclarationOut(BaseModel):
    id: str = Field(
        description="declarationId on chain: keccak256(abi.encode('tradeledger.customs.v1', office, number))"
    )
    number: str
    office: str
    status: str = Field(description="the status finalised on chain at k of n operators (none until then)")
    status_at: datetime | None
    finalised_at: datetime | None
    conflicted: bool = Field(description="operators attested different content or times; see the timeline")
    commitment: str = Field(description="salted commitment of the content, as attested")
    cid: str | None
    versions: int = Field(description="content versions the operators have seen")
    content: dict[str, Any] | None = Field(
        description="the declaration as published (its parties and auditors)"
    )
    timeline: list[EventOut]


def _time(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def declaration_out(session: Session, view: DeclarationView) -> DeclarationOut:
    row = view.row
    return DeclarationOut(
        id=row.declaration_id,
        number=row.number,
        office=row.office,
        status=view.status,
        status_at=_time(view.status_at),
        finalised_at=_time(view.finalised_at),
        conflicted=view.conflicted,
        commitment=row.commitment,
        cid=row.cid,
        versions=view.versions,
        content=content(row),
        timeline=timeline(session, row.declaration_id),
    )
