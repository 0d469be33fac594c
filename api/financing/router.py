"""``/api/v1/financing``: request, offer, accept (DvP), risk review; repayments; tokenized cash."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth.deps import CallerDep
from api.db import PageDep, SessionDep
from api.financing.schemas import (
    AcceptIn,
    BalanceOut,
    DepositIn,
    FinancingOut,
    FinancingRequestIn,
    OfferIn,
    PledgeIn,
    RepaymentIn,
)
from api.financing.service import FinancingService
from api.idempotency import WriteDep
from api.receivables.schemas import ReceivableOut

router = APIRouter(prefix="/api/v1", tags=["financing"])


@router.post("/receivables/{receivable_id}/financing-requests", status_code=201, response_model=FinancingOut)
def request_financing(receivable_id: str, body: FinancingRequestIn, write: WriteDep) -> JSONResponse:
    """The holder asks financiers to finance a confirmed receivable."""
    return write.once(
        body,
        201,
        lambda: write.service(FinancingService).request(write.caller, receivable_id, body.min_advance_minor),
    )


@router.get("/financing-requests", response_model=list[FinancingOut])
def financings(caller: CallerDep, session: SessionDep, page: PageDep) -> list[FinancingOut]:
    """Your financings; financiers also see every open request. Oldest first."""
    svc = FinancingService(session)
    return svc.outs(svc.for_caller(caller, page), caller)


@router.get("/financing-requests/{financing_id}", response_model=FinancingOut)
def financing(financing_id: str, caller: CallerDep, session: SessionDep) -> FinancingOut:
    svc = FinancingService(session)
    return svc.out(svc.visible(caller, financing_id), caller)


@router.post("/financing-requests/{financing_id}/offers", status_code=201, response_model=FinancingOut)
def offer(financing_id: str, body: OfferIn, write: WriteDep) -> JSONResponse:
    """A financier offers an advance, a discount rate, a tenor and recourse terms.

    Optional green terms (a lower rate, a higher advance) apply if, when the holder accepts, its
    verified carbon score (``/carbon/scores``) is at least their minimum."""
    return write.once(
        body, 201, lambda: write.service(FinancingService).offer(write.caller, financing_id, body)
    )


@router.post("/financing-requests/{financing_id}/accept", response_model=FinancingOut)
def accept(financing_id: str, body: AcceptIn, write: WriteDep) -> JSONResponse:
    """The holder accepts an offer: cash and receivable change hands in one transaction (DvP).

    Advances above the review threshold wait for the financier's risk reviewer first."""
    return write.once(
        body, 200, lambda: write.service(FinancingService).accept(write.caller, financing_id, body.financier)
    )


@router.post("/financing-requests/{financing_id}/approve", response_model=FinancingOut)
def approve(financing_id: str, write: WriteDep) -> JSONResponse:
    """The financier's risk reviewer approves a large advance; the DvP happens now."""
    return write.once(
        None, 200, lambda: write.service(FinancingService).approve_review(write.caller, financing_id)
    )


@router.post("/receivables/{receivable_id}/repayments", response_model=ReceivableOut)
def repay(receivable_id: str, body: RepaymentIn, write: WriteDep) -> JSONResponse:
    """The debtor pays the current holder (partial payments allowed)."""
    return write.once(
        body,
        200,
        lambda: write.service(FinancingService).repay(write.caller, receivable_id, body.amount_minor),
    )


@router.post("/cash/deposits", status_code=201, response_model=BalanceOut)
def deposit(body: DepositIn, write: WriteDep) -> JSONResponse:
    """A bank tokenizes a member's deposit as SettlementToken (the cash leg of DvP)."""
    return write.once(
        body, 201, lambda: write.service(FinancingService).deposit(write.caller, body.to, body.amount_minor)
    )


@router.get("/cash/balance", response_model=BalanceOut)
def balance(caller: CallerDep, session: SessionDep, request: Request) -> BalanceOut:
    """Your organisation's tokenized cash."""
    return FinancingService.for_request(session, request).balance(caller.org_id)


@router.post("/receivables/{receivable_id}/overdue", response_model=ReceivableOut)
def overdue(receivable_id: str, write: WriteDep) -> JSONResponse:
    """Mark a confirmed receivable overdue once its due date has passed and it is not repaid."""
    return write.once(
        None, 200, lambda: write.service(FinancingService).mark_overdue(write.caller, receivable_id)
    )


@router.post("/financing-requests/{financing_id}/recourse", response_model=FinancingOut)
def recourse(financing_id: str, write: WriteDep) -> JSONResponse:
    """The financier records recourse against the holder (overdue receivable financed with recourse)."""
    return write.once(
        None, 200, lambda: write.service(FinancingService).claim_recourse(write.caller, financing_id)
    )


@router.post("/financing-requests/{financing_id}/collateral", response_model=FinancingOut)
def pledge(financing_id: str, body: PledgeIn, write: WriteDep) -> JSONResponse:
    """The holder pledges carbon credits: locked (no transfer, no retirement) while the financing is live."""
    return write.once(
        body, 200, lambda: write.service(FinancingService).pledge(write.caller, financing_id, body)
    )


@router.post("/financing-requests/{financing_id}/collateral/release", response_model=FinancingOut)
def release(financing_id: str, write: WriteDep) -> JSONResponse:
    """Unlock the pledged credits of a repaid or cancelled financing."""
    return write.once(None, 200, lambda: write.service(FinancingService).release(write.caller, financing_id))


@router.post("/financing-requests/{financing_id}/collateral/seize", response_model=FinancingOut)
def seize(financing_id: str, write: WriteDep) -> JSONResponse:
    """The financier takes the pledged credits after claiming recourse."""
    return write.once(None, 200, lambda: write.service(FinancingService).seize(write.caller, financing_id))


class ProgrammeOut(BaseModel):
    paused: bool


@router.post("/financing/pause", response_model=ProgrammeOut)
def pause(write: WriteDep) -> JSONResponse:
    """The operator pauses all new financing at once; only dual control unpauses it."""
    return write.once(
        None, 200, lambda: ProgrammeOut(paused=write.service(FinancingService).pause(write.caller))
    )
