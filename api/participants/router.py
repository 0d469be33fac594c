"""``/api/v1/organisations`` and ``/api/v1/me``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth.deps import CallerDep
from api.auth.models import ApiKey
from api.auth.schemas import ApiKeyOut
from api.auth.service import Caller
from api.db import SessionDep
from api.errors import problem_response
from api.idempotency import OperatorWriteDep
from api.participants.models import Organisation
from api.participants.schemas import (
    OrganisationCreate,
    OrganisationCreated,
    OrganisationDetail,
    OrganisationOut,
    OrganisationSuspended,
    TxOut,
)
from api.participants.service import ParticipantsService

router = APIRouter(prefix="/api/v1", tags=["organisations"])


class MeOut(BaseModel):
    organisation: OrganisationDetail
    api_key: ApiKeyOut


def _detail(svc: ParticipantsService, org: Organisation, caller: Caller) -> OrganisationDetail:
    detail = OrganisationDetail(**OrganisationOut.of(org, svc.accounts(org.org_id)).model_dump())
    if caller.org_id == org.org_id or caller.is_operator:
        legal = svc.legal_id(org.org_id)
        if legal is not None:
            detail.legal_id, detail.legal_id_salt = legal.legal_id, legal.salt
    return detail


@router.get("/me", response_model=MeOut)
def me(caller: CallerDep, session: SessionDep) -> MeOut:
    """The caller's organisation and the API key in use."""
    svc = ParticipantsService(session)
    key = session.get(ApiKey, caller.key_id)
    assert key is not None
    return MeOut(organisation=_detail(svc, svc.get(caller.org_id), caller), api_key=ApiKeyOut.of(key))


@router.get("/organisations", response_model=list[OrganisationOut])
def directory(caller: CallerDep, session: SessionDep) -> list[OrganisationOut]:
    """The consortium's members (legal ids are not part of the directory)."""
    svc = ParticipantsService(session)
    return [OrganisationOut.of(org, svc.accounts(org.org_id)) for org in svc.directory()]


@router.get("/organisations/{org_id}", response_model=OrganisationDetail)
def organisation(org_id: str, caller: CallerDep, session: SessionDep) -> OrganisationDetail:
    """One member; the legal id only for the organisation itself and the operator."""
    svc = ParticipantsService(session)
    return _detail(svc, svc.get(org_id), caller)


@router.post(
    "/organisations",
    status_code=201,
    response_model=OrganisationCreated,
    responses={409: problem_response("already registered"), 403: problem_response("not the operator")},
)
def register(body: OrganisationCreate, write: OperatorWriteDep) -> JSONResponse:
    """Register an organisation on chain (operator only); returns its first API key once."""

    def run() -> OrganisationCreated:
        svc = write.service(ParticipantsService)
        org, api_key, tx = svc.register(
            handle=body.handle, name=body.name, role=body.role, legal_id=body.legal_id
        )
        created = OrganisationCreated(
            organisation=_detail(svc, org, write.caller),
            api_key=api_key,
            tx=TxOut.of(tx),
        )
        return created

    return write.once(body, 201, run)


@router.post("/organisations/{org_id}/suspend", response_model=OrganisationSuspended)
def suspend(org_id: str, write: OperatorWriteDep) -> JSONResponse:
    """Suspend an organisation (circuit breaker): none of its accounts can write any more."""

    def run() -> OrganisationSuspended:
        svc = write.service(ParticipantsService)
        org, tx = svc.suspend(org_id)
        return OrganisationSuspended(
            organisation=OrganisationOut.of(org, svc.accounts(org.org_id)),
            tx=TxOut.of(tx),
        )

    return write.once(None, 200, run)
