"""``/api/v1/api-keys``: an organisation manages its own API keys (admin scope).

Self-service: auditors and regulators, read-only everywhere else, manage their own keys too."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth.deps import CallerDep, self_service
from api.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from api.auth.service import Caller, create_api_key, list_keys, revoke_api_key
from api.db import RowId, SessionDep
from chain.errors import Forbidden

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"])


def _admin(caller: Annotated[Caller, Depends(self_service)]) -> Caller:
    if "admin" not in caller.scopes:
        raise Forbidden("managing API keys needs a key with the admin scope", code="scope_required")
    return caller


AdminDep = Annotated[Caller, Depends(_admin)]


@router.get("", response_model=list[ApiKeyOut])
def keys(caller: CallerDep, session: SessionDep) -> list[ApiKeyOut]:
    """Your organisation's API keys (never the keys themselves)."""
    return [ApiKeyOut.of(k) for k in list_keys(session, caller.org_id)]


@router.post("", status_code=201, response_model=ApiKeyCreated)
def create(body: ApiKeyCreate, caller: AdminDep, session: SessionDep) -> ApiKeyCreated:
    """A new API key for your organisation; the key is in the response once."""
    row, plaintext = create_api_key(session, caller.org_id, body.label, body.scopes)
    return ApiKeyCreated(key=ApiKeyOut.of(row), api_key=plaintext)


@router.delete("/{key_id}", response_model=ApiKeyOut)
def revoke(key_id: RowId, caller: AdminDep, session: SessionDep) -> ApiKeyOut:
    """Revoke one of your organisation's keys; it stops working at once."""
    return ApiKeyOut.of(revoke_api_key(session, caller.org_id, key_id))
