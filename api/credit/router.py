"""``/api/v1/letters-of-credit``: documentary credits under UCP 600, for their parties only.

Apply (applicant) -> issue (issuing bank) -> advise (advising bank); amendments proposed by the issuing
bank bind once the beneficiary accepts; the beneficiary presents documents; the issuing bank examines
them with the UCP 600 engine (the report's hash goes on chain), then honours (at sight: pays in
SettlementToken; deferred: a confirmed receivable on the bank) or refuses once; the applicant may waive.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.auth.deps import CallerDep
from api.credit.examination import ExaminationReport
from api.credit.report_html import report_page
from api.credit.schemas import (
    AmendmentIn,
    CreditIn,
    CreditOut,
    PresentationDetailOut,
    PresentationIn,
)
from api.credit.service import CreditService
from api.db import RowId, SessionDep
from api.idempotency import WriteDep
from chain.errors import NotFound

router = APIRouter(prefix="/api/v1/letters-of-credit", tags=["letters of credit"])


@router.post("", status_code=201, response_model=CreditOut)
def apply(body: CreditIn, write: WriteDep) -> JSONResponse:
    """The applicant (a core enterprise) applies: the full terms are kept off chain, their keccak256 and
    the operative terms (amount, tolerance, expiry and latest shipment at 23:59:59 UTC, ...) on chain."""
    return write.once(body, 201, lambda: write.service(CreditService).apply(write.caller, body))


@router.get("", response_model=list[CreditOut])
def credits(caller: CallerDep, session: SessionDep, request: Request) -> list[CreditOut]:
    """The credits you are a party to, oldest first."""
    svc = CreditService.for_request(session, request)
    return [svc.out(row) for row in svc.for_caller(caller)]


@router.get("/{credit_id}", response_model=CreditOut)
def credit(credit_id: str, caller: CallerDep, session: SessionDep, request: Request) -> CreditOut:
    """Terms in force, status, drawn and available, amendments and presentations (statuses from chain)."""
    svc = CreditService.for_request(session, request)
    return svc.out(svc.visible(caller, credit_id))


@router.post("/{credit_id}/issue", response_model=CreditOut)
def issue(credit_id: str, write: WriteDep) -> JSONResponse:
    return write.once(None, 200, lambda: write.service(CreditService).issue(write.caller, credit_id))


@router.post("/{credit_id}/advise", response_model=CreditOut)
def advise(credit_id: str, write: WriteDep) -> JSONResponse:
    return write.once(None, 200, lambda: write.service(CreditService).advise(write.caller, credit_id))


@router.post("/{credit_id}/expire", response_model=CreditOut)
def expire(credit_id: str, write: WriteDep) -> JSONResponse:
    """Any party closes a credit once its expiry date has passed."""
    return write.once(None, 200, lambda: write.service(CreditService).expire(write.caller, credit_id))


@router.post("/{credit_id}/cancel", response_model=CreditOut)
def cancel(credit_id: str, write: WriteDep) -> JSONResponse:
    """The applicant withdraws its application; the issuing bank cancels a credit not yet advised
    (an advised credit is irrevocable: cancelling it takes an amendment the beneficiary accepts)."""
    return write.once(None, 200, lambda: write.service(CreditService).cancel(write.caller, credit_id))


@router.post("/{credit_id}/amendments", status_code=201, response_model=CreditOut)
def amend(credit_id: str, body: AmendmentIn, write: WriteDep) -> JSONResponse:
    """The issuing bank proposes changed terms; nothing changes until the beneficiary accepts."""
    return write.once(body, 201, lambda: write.service(CreditService).amend(write.caller, credit_id, body))


@router.post("/{credit_id}/amendments/{number}/accept", response_model=CreditOut)
def accept_amendment(credit_id: str, number: RowId, write: WriteDep) -> JSONResponse:
    return write.once(
        None,
        200,
        lambda: write.service(CreditService).settle_amendment(write.caller, credit_id, number, accept=True),
    )


@router.post("/{credit_id}/amendments/{number}/reject", response_model=CreditOut)
def reject_amendment(credit_id: str, number: RowId, write: WriteDep) -> JSONResponse:
    return write.once(
        None,
        200,
        lambda: write.service(CreditService).settle_amendment(write.caller, credit_id, number, accept=False),
    )


@router.post("/{credit_id}/presentations", status_code=201, response_model=PresentationDetailOut)
def present(credit_id: str, body: PresentationIn, write: WriteDep) -> JSONResponse:
    """The beneficiary presents documents; their keccak256 is the on-chain commitment."""
    return write.once(body, 201, lambda: write.service(CreditService).present(write.caller, credit_id, body))


@router.post("/presentations/{presentation_id}/examine", response_model=PresentationDetailOut)
def examine(presentation_id: str, write: WriteDep) -> JSONResponse:
    """The issuing bank examines (UCP 600 engine); the report's ``result_hash`` is recorded on chain."""
    return write.once(None, 200, lambda: write.service(CreditService).examine(write.caller, presentation_id))


@router.post("/presentations/{presentation_id}/refuse", response_model=PresentationDetailOut)
def refuse(presentation_id: str, write: WriteDep) -> JSONResponse:
    """The issuing bank refuses a discrepant presentation once; the notice is the report's hash."""
    return write.once(None, 200, lambda: write.service(CreditService).refuse(write.caller, presentation_id))


@router.post("/presentations/{presentation_id}/waive", response_model=PresentationDetailOut)
def waive(presentation_id: str, write: WriteDep) -> JSONResponse:
    """The applicant waives the discrepancies of a refused presentation."""
    return write.once(None, 200, lambda: write.service(CreditService).waive(write.caller, presentation_id))


@router.post("/presentations/{presentation_id}/honour", response_model=PresentationDetailOut)
def honour(presentation_id: str, write: WriteDep) -> JSONResponse:
    """The issuing bank honours: at sight it pays; deferred, ``receivable_id`` is the new receivable."""
    return write.once(None, 200, lambda: write.service(CreditService).honour(write.caller, presentation_id))


def _report(presentation_id: str, caller: CallerDep, session: SessionDep) -> tuple[str, ExaminationReport]:
    svc = CreditService(session)
    credit, row = svc.visible_presentation(caller, presentation_id)
    report = svc.report_of(row)
    if report is None:
        raise NotFound(f"presentation {row.presentation_id} is not examined yet", code="report_not_found")
    return credit.number, report


@router.get("/presentations/{presentation_id}/report", response_model=ExaminationReport)
def report(presentation_id: str, caller: CallerDep, session: SessionDep) -> ExaminationReport:
    """The examination report: every discrepancy with its code, rule and UCP 600 / ISBP 745 reference."""
    return _report(presentation_id, caller, session)[1]


@router.get("/presentations/{presentation_id}/report.html", response_class=HTMLResponse)
def report_html(presentation_id: str, caller: CallerDep, session: SessionDep) -> HTMLResponse:
    """The examination report as a small readable page."""
    number, r = _report(presentation_id, caller, session)
    return HTMLResponse(report_page(number, presentation_id, r))
