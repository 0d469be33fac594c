"""``/api/v1/financing``: request, offer, accept (DvP), risk review; repayments; tokenized cash."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth.deps import CallerDep, WriterDep
from api.db import SessionDep
from api.financing.schemas import (
    AcceptIn,
    BalanceOut,
    DepositIn,
    FinancingOut,
    FinancingRequestIn,
    OfferIn,
    RepaymentIn,
)
from api.financing.service import FinancingService
from api.idempotency import IdempotencyKey, once
from api.receivables.schemas import ReceivableOut

router = APIRouter(prefix="/api/v1", tags=["financing"])


@router.post("/receivables/{receivable_id}/financing-requests", status_code=201, response_model=FinancingOut)
def request_financing(
    receivable_id: str,
    body: FinancingRequestIn,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The holder asks financiers to finance a confirmed receivable."""
    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        body,
        201,
        lambda: FinancingService.for_request(session, request).request(
            caller, receivable_id, body.min_advance_minor
        ),
    )


@router.get("/financing-requests", response_model=list[FinancingOut])
def financings(caller: CallerDep, session: SessionDep) -> list[FinancingOut]:
    """Your financings; financiers also see every open request."""
    svc = FinancingService(session)
    return [svc.out(row, caller) for row in svc.for_caller(caller)]


@router.get("/financing-requests/{financing_id}", response_model=FinancingOut)
def financing(financing_id: str, caller: CallerDep, session: SessionDep) -> FinancingOut:
    svc = FinancingService(session)
    return svc.out(svc.visible(caller, financing_id), caller)


@router.post("/financing-requests/{financing_id}/offers", status_code=201, response_model=FinancingOut)
def offer(
    financing_id: str,
    body: OfferIn,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A financier offers an advance, a discount rate, a tenor and recourse terms."""
    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        body,
        201,
        lambda: FinancingService.for_request(session, request).offer(caller, financing_id, body),
    )


@router.post("/financing-requests/{financing_id}/accept", response_model=FinancingOut)
def accept(
    financing_id: str,
    body: AcceptIn,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The holder accepts an offer: cash and receivable change hands in one transaction (DvP).

    Advances above the review threshold wait for the financier's risk reviewer first."""
    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        body,
        200,
        lambda: FinancingService.for_request(session, request).accept(caller, financing_id, body.financier),
    )


@router.post("/financing-requests/{financing_id}/approve", response_model=FinancingOut)
def approve(
    financing_id: str,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The financier's risk reviewer approves a large advance; the DvP happens now."""
    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        None,
        200,
        lambda: FinancingService.for_request(session, request).approve_review(caller, financing_id),
    )


@router.post("/receivables/{receivable_id}/repayments", response_model=ReceivableOut)
def repay(
    receivable_id: str,
    body: RepaymentIn,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The debtor pays the current holder (partial payments allowed)."""
    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        body,
        200,
        lambda: FinancingService.for_request(session, request).repay(
            caller, receivable_id, body.amount_minor
        ),
    )


@router.post("/cash/deposits", status_code=201, response_model=BalanceOut)
def deposit(
    body: DepositIn,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A bank tokenizes a member's deposit as SettlementToken (the cash leg of DvP)."""
    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        body,
        201,
        lambda: FinancingService.for_request(session, request).deposit(caller, body.to, body.amount_minor),
    )


@router.get("/cash/balance", response_model=BalanceOut)
def balance(caller: CallerDep, session: SessionDep, request: Request) -> BalanceOut:
    """Your organisation's tokenized cash."""
    return FinancingService.for_request(session, request).balance(caller.org_id)


@router.post("/receivables/{receivable_id}/overdue", response_model=ReceivableOut)
def overdue(
    receivable_id: str,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Mark a confirmed receivable overdue once its due date has passed and it is not repaid."""
    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        None,
        200,
        lambda: FinancingService.for_request(session, request).mark_overdue(caller, receivable_id),
    )


@router.post("/financing-requests/{financing_id}/recourse", response_model=FinancingOut)
def recourse(
    financing_id: str,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The financier records recourse against the holder (overdue receivable financed with recourse)."""
    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        None,
        200,
        lambda: FinancingService.for_request(session, request).claim_recourse(caller, financing_id),
    )


class ProgrammeOut(BaseModel):
    paused: bool


@router.post("/financing/pause", response_model=ProgrammeOut)
def pause(
    caller: WriterDep, session: SessionDep, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """The operator pauses all new financing at once; only dual control unpauses it."""
    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        None,
        200,
        lambda: ProgrammeOut(paused=FinancingService.for_request(session, request).pause(caller)),
    )
