"""FastAPI dependencies: who is calling, and may they do this."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.auth.service import Caller, authenticate
from api.db import SessionDep
from chain.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="The API key, as an alternative header"
)


def current_caller(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> Caller:
    plaintext = bearer.credentials if bearer is not None else header
    if not plaintext:
        raise Unauthorized(
            "no API key; send it as `Authorization: Bearer <key>` "
            "(create one with `tradeledger keys api-key`)",
            code="missing_api_key",
        )
    caller = authenticate(session, plaintext)
    # end the read transaction: the connection goes back to the pool while the request waits for a worker
    # thread for its endpoint (held across that wait, more requests than threads plus connections
    # deadlocked: each held what another waited for)
    session.commit()
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def _may_write(caller: Caller) -> Caller:
    if caller.status != "active":
        raise Forbidden(
            "your organisation is suspended; it can read but not write until the consortium reinstates it",
            code="organisation_suspended",
        )
    if "write" not in caller.scopes:
        raise Forbidden("this API key is read-only; use a key with the write scope", code="scope_required")
    return caller


def self_service(caller: CallerDep) -> Caller:
    """A caller changing only its own credentials (its API keys): an active organisation and a key with
    the write scope, of any role, auditors and regulators included."""
    return _may_write(caller)


def writer(caller: CallerDep) -> Caller:
    """A caller that may change things: not an auditor or regulator (403 ``read_only_role``, whatever
    the key), an active organisation and a key with the write scope.

    Every write route depends on this (through ``WriterDep``, ``WriteDep``, ``OperatorDep`` …), so it is
    the one place that keeps auditing organisations read-only; only ``self_service`` routes bypass it."""
    if caller.is_auditing:
        raise Forbidden(
            f"{caller.role} organisations have read-only access and cannot change anything",
            code="read_only_role",
        )
    return _may_write(caller)


WriterDep = Annotated[Caller, Depends(writer)]


def require_role(*roles: str) -> Callable[[Caller], Caller]:
    def check(caller: WriterDep) -> Caller:
        if caller.role not in roles:
            raise Forbidden(f"only {' or '.join(roles)} organisations may do this", code="role_required")
        return caller

    return check


OperatorDep = Annotated[Caller, Depends(require_role("operator"))]
