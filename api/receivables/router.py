"""``/api/v1/invoices`` and ``/api/v1/receivables``: issue, match, confirm (確權), split, transfer."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.auth.deps import CallerDep, WriterDep
from api.db import INT64_MAX, PageDep, SessionDep
from api.idempotency import WriteDep
from api.receivables.models import MatchingTolerance
from api.receivables.schemas import ConfirmIn, InvoiceIn, ReceivableOut, SplitIn, SplitOut, TransferIn
from api.receivables.service import ReceivablesService
from chain.errors import Forbidden

router = APIRouter(prefix="/api/v1", tags=["receivables"])


@router.post("/invoices", status_code=201, response_model=ReceivableOut)
def invoice(body: InvoiceIn, write: WriteDep) -> JSONResponse:
    """The supplier posts an invoice: a receivable is issued, matched and the match attested.

    Refused with 409 when the same invoice — by number, or by content under another number — is a receivable
    already; the error names it (`existing`)."""
    return write.once(body, 201, lambda: write.service(ReceivablesService).issue(write.caller, body))


@router.get("/receivables", response_model=list[ReceivableOut])
def receivables(caller: CallerDep, session: SessionDep, page: PageDep) -> list[ReceivableOut]:
    """Receivables you issued, owe or hold (financiers also see those offered for financing), oldest first,
    each with its evidence and timeline."""
    svc = ReceivablesService(session)
    return svc.outs(svc.for_caller(caller, page), caller)


@router.get("/receivables/{receivable_id}", response_model=ReceivableOut)
def receivable(receivable_id: str, caller: CallerDep, session: SessionDep) -> ReceivableOut:
    """One receivable with its evidence (PO, deliveries, invoice, match result, financing) and timeline."""
    svc = ReceivablesService(session)
    return svc.out(svc.visible(caller, receivable_id), caller)


@router.post("/receivables/{receivable_id}/confirm", response_model=ReceivableOut)
def confirm(receivable_id: str, body: ConfirmIn, write: WriteDep) -> JSONResponse:
    """The debtor confirms the receivable (確權); a discrepant one only with `waive_discrepancies`."""
    return write.once(
        body,
        200,
        lambda: write.service(ReceivablesService).confirm(
            write.caller, receivable_id, waive=body.waive_discrepancies
        ),
    )


@router.post("/receivables/{receivable_id}/match", response_model=ReceivableOut)
def rematch(receivable_id: str, write: WriteDep) -> JSONResponse:
    """Match an issued receivable again on today's evidence (a later goods receipt, a payment, a customs
    declaration cleared since) and attest the new result; the creditor or the debtor asks."""
    return write.once(
        None, 200, lambda: write.service(ReceivablesService).rematch(write.caller, receivable_id)
    )


@router.post("/receivables/{receivable_id}/split", status_code=201, response_model=SplitOut)
def split(receivable_id: str, body: SplitIn, write: WriteDep) -> JSONResponse:
    """The holder splits a confirmed receivable; the parts must add up to its outstanding value."""
    return write.once(
        body,
        201,
        lambda: write.service(ReceivablesService).split(write.caller, receivable_id, body.amounts_minor),
    )


@router.post("/receivables/{receivable_id}/transfer", response_model=ReceivableOut)
def transfer(receivable_id: str, body: TransferIn, write: WriteDep) -> JSONResponse:
    """The holder passes a confirmed receivable on, e.g. to its own supplier (tier 2)."""
    return write.once(
        body, 200, lambda: write.service(ReceivablesService).transfer(write.caller, receivable_id, body.to)
    )


class ToleranceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # kept as decimal strings of at most 16 characters: 6 decimal places are plenty
    price_pct: Decimal = Field(
        ge=0, le=100, max_digits=9, decimal_places=6, description="unit price deviation tolerated, in percent"
    )
    qty_pct: Decimal = Field(
        ge=0, le=100, max_digits=9, decimal_places=6, description="quantity deviation tolerated, in percent"
    )
    amount_abs_minor: int = Field(
        ge=0, le=INT64_MAX, description="absolute amount deviation tolerated (tax), minor units"
    )


@router.put("/matching/tolerance", response_model=ToleranceIn)
def set_tolerance(body: ToleranceIn, caller: WriterDep, session: SessionDep) -> ToleranceIn:
    """A buyer sets its matching tolerances; new match results apply them and cite the rule version."""
    if caller.role != "core_enterprise":
        raise Forbidden("only buyers (core enterprises) set matching tolerances", code="role_required")
    session.merge(
        MatchingTolerance(
            org_id=caller.org_id,
            price_pct=str(body.price_pct),
            qty_pct=str(body.qty_pct),
            amount_abs=body.amount_abs_minor,
        )
    )
    session.commit()
    return body
