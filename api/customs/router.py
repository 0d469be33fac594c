"""``/api/v1/customs/declarations``: customs declarations and the statuses the oracles attested."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth.deps import CallerDep
from api.customs import service
from api.customs.schemas import DeclarationOut, declaration_out
from api.db import PageDep, SessionDep
from api.runtime import chain_and_indexer

router = APIRouter(prefix="/api/v1/customs", tags=["customs"])


@router.get("/declarations", response_model=list[DeclarationOut])
def declarations(
    request: Request, caller: CallerDep, session: SessionDep, page: PageDep
) -> list[DeclarationOut]:
    """Declarations your organisation is the exporter or importer of (customs oracles: all), oldest first."""
    chain, _ = chain_and_indexer(request)
    return [
        declaration_out(session, service.view(session, chain, i))
        for i in page.of(service.for_caller(session, caller))
    ]


@router.get("/declarations/{declaration_id}", response_model=DeclarationOut)
def declaration(
    declaration_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> DeclarationOut:
    """One declaration: its content, its finalised status and every attestation event."""
    chain, _ = chain_and_indexer(request)
    return declaration_out(session, service.visible(session, chain, caller, declaration_id))
