"""``/api/v1/customs/declarations``: customs declarations and the statuses the oracles attested."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.auth.deps import CallerDep
from api.customs import service
from api.db import PageDep, SessionDep
from api.documents.service import content
from api.orders.schemas import EventOut
from api.orders.service import timeline
from api.runtime import chain_and_indexer

router = APIRouter(prefix="/api/v1/customs", tags=["customs"])


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
    content: dict[str, Any]
    timeline: list[EventOut]


def _time(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def _out(session: Session, view: service.DeclarationView) -> DeclarationOut:
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


@router.get("/declarations", response_model=list[DeclarationOut])
def declarations(
    request: Request, caller: CallerDep, session: SessionDep, page: PageDep
) -> list[DeclarationOut]:
    """Declarations your organisation is the exporter or importer of (customs oracles: all), oldest first."""
    chain, _ = chain_and_indexer(request)
    return [
        _out(session, service.view(session, chain, i)) for i in page.of(service.for_caller(session, caller))
    ]


@router.get("/declarations/{declaration_id}", response_model=DeclarationOut)
def declaration(
    declaration_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> DeclarationOut:
    """One declaration: its content, its finalised status and every attestation event."""
    chain, _ = chain_and_indexer(request)
    return _out(session, service.visible(session, chain, caller, declaration_id))
