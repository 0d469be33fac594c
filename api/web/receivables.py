"""Invoices and receivables: the buyer's match, confirm and repay; the supplier's invoices, split,
transfer and financing request.

Every page reads through ``ReceivablesService`` (``visible``/``for_caller``: another organisation's
receivable is the service's 404) and every form calls the service method its ``/api/v1`` route calls:
``issue``, ``rematch``, ``confirm``, ``split``, ``transfer``; ``FinancingService.request`` and ``repay``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.auth.service import Caller
from api.db import SessionDep
from api.financing.schemas import BalanceOut
from api.financing.service import FinancingService
from api.participants.service import ParticipantsService
from api.receivables.service import ReceivablesService
from api.trade.money import from_minor, to_minor
from api.web.evidence import evidence
from api.web.invoice_form import InvoiceForm, InvoiceFormDep, blank_invoice
from api.web.pages import WebRoute, render
from api.web.session import FormWriter, PageViewer, Viewer
from chain.errors import InvalidInput, TradeLedgerError

router = APIRouter(prefix="/receivables", route_class=WebRoute, include_in_schema=False)

STATUSES = ("issued", "confirmed", "split", "repaid", "overdue")
DONE = {  # ?done=<action> after a successful form: the status message shown
    "issued": "Your invoice is a receivable on chain, matched against the order and its deliveries.",
    "matched": "The receivable is matched again on today's evidence; the new result is attested on chain.",
    "confirmed": "You confirmed the receivable (確權); it can now be financed.",
    "waived": "You confirmed the receivable and waived its discrepancies; the waiver is recorded on chain.",
    "repaid": "Your repayment is recorded on chain and paid to the holder.",
    "split": "The receivable is split; its parts are listed below.",
    "transferred": "The receivable is transferred to its new holder.",
    "financing": "Financing is requested: financiers can now offer on it.",
}


def _names(session: Session) -> dict[str, str]:
    return {org.org_id: org.name for org in ParticipantsService(session).directory()}


# --- the list ------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def receivables(request: Request, session: SessionDep, viewer: PageViewer, status: str = "") -> Response:
    """The receivables the caller owes, holds, issued or (a financier) is offered or financed."""
    svc, caller = ReceivablesService(session), viewer.caller
    rows = [svc.out(row, caller, detail=False) for row in svc.for_caller(caller)]
    context = {
        "receivables": [r for r in rows if not status or r.status == status],
        "total": len(rows),
        "status": status if status in STATUSES else "",
        "statuses": STATUSES,
        "names": _names(session),
        "me": caller.org_id,
    }
    return render(request, "receivables/list.html", context)


# --- a supplier's invoice ------------------------------------------------------------------------


@router.get("/new", response_class=HTMLResponse)
def new_invoice(request: Request, session: SessionDep, viewer: PageViewer, order: str = "") -> Response:
    """The invoice form for an order the caller supplies, its lines prefilled from the order."""
    return _invoice_page(request, session, viewer, blank_invoice(session, viewer.caller, order))


def _invoice_page(
    request: Request, session: Session, viewer: Viewer, form: InvoiceForm, status: int = 200
) -> Response:
    context = {
        "form": form,
        "names": _names(session),
        "is_supplier": form.order.supplier == viewer.caller.org_id,
    }
    return render(request, "receivables/new.html", context, status=status)


@router.post("", response_class=HTMLResponse)
def issue(request: Request, session: SessionDep, viewer: FormWriter, form: InvoiceFormDep) -> Response:
    """The supplier issues the invoice: a receivable, matched and attested (``ReceivablesService.issue``)."""
    try:
        out = ReceivablesService.for_request(session, request).issue(viewer.caller, form.body())
    except TradeLedgerError as error:
        session.rollback()
        form.failed(error)
        return _invoice_page(request, session, viewer, form, status=error.status)
    return RedirectResponse(f"/receivables/{out.id}?done=issued", status_code=303)


# --- one receivable ------------------------------------------------------------------------------


def _detail_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    receivable_id: str,
    *,
    error: TradeLedgerError | None = None,
    form: dict[str, Any] | None = None,
    done: str = "",
) -> Response:
    svc, caller = ReceivablesService(session), viewer.caller
    r = svc.out(svc.visible(caller, receivable_id), caller)
    me = caller.org_id
    directory = ParticipantsService(session).directory()
    labels = {d.id: f"{d.type.replace('_', ' ')} {d.number}" for d in r.documents}  # for the timeline
    if r.match and r.match.document:
        labels[r.match.document] = f"match result ({r.match.status.replace('_', ' ')})"
    invoice = next((d for d in r.documents if d.type == "invoice"), None)
    active = [f for f in r.financings if f["status"] in ("requested", "pending_review", "funded")]
    outstanding = r.face_value_minor - r.repaid_minor
    can_repay = me == r.debtor and r.status in ("confirmed", "overdue") and outstanding > 0
    context = {
        "r": r,
        "names": {org.org_id: org.name for org in directory},
        "invoice": invoice,
        "evidence": evidence(r.documents, r.match, r.currency),
        "labels": labels,
        "children": [svc.out(c, caller, detail=False) for c in svc.for_caller(caller) if c.parent == r.id],
        "outstanding": outstanding,
        "is_debtor": me == r.debtor,
        "can_rematch": me in (r.creditor, r.debtor) and r.status == "issued",
        "can_confirm": me == r.debtor and r.status == "issued",
        "can_repay": can_repay,
        "balance": _balance(request, session, me) if can_repay else None,
        "can_hold": me == r.holder and r.status == "confirmed",
        "can_finance": me == r.holder and r.status == "confirmed" and not active,
        "receivers": [
            org for org in directory if org.role == "supplier" and org.status == "active" and org.org_id != me
        ],
        "error": error,
        "form": {"repay": from_minor(outstanding, r.currency), "parts": ["", ""], **(form or {})},
        "done": DONE.get(done, ""),
    }
    return render(request, "receivables/detail.html", context, status=error.status if error else 200)


def _balance(request: Request, session: Session, org: str) -> BalanceOut | None:
    """The debtor's tokenized cash, which a repayment spends (None when the chain cannot be read)."""
    try:
        return FinancingService.for_request(session, request).balance(org)
    except TradeLedgerError:
        return None


@router.get("/{receivable_id}", response_class=HTMLResponse)
def receivable(
    request: Request, receivable_id: str, session: SessionDep, viewer: PageViewer, done: str = ""
) -> Response:
    return _detail_page(request, session, viewer, receivable_id, done=done)


def _act(
    request: Request,
    session: Session,
    viewer: Viewer,
    receivable_id: str,
    action: Callable[[Caller], str],
    form: dict[str, Any] | None = None,
) -> Response:
    """Run ``action`` (it returns the page to go to, with its ``done`` flag): there (303), or this
    receivable's page again with the service's error and its status, after a rollback."""
    try:
        where = action(viewer.caller)
    except TradeLedgerError as error:
        session.rollback()
        return _detail_page(request, session, viewer, receivable_id, error=error, form=form)
    return RedirectResponse(where, status_code=303)


@router.post("/{receivable_id}/match", response_class=HTMLResponse)
def rematch(request: Request, receivable_id: str, session: SessionDep, viewer: FormWriter) -> Response:
    """The creditor or the debtor has the receivable matched again on today's evidence."""

    def run(caller: Caller) -> str:
        ReceivablesService.for_request(session, request).rematch(caller, receivable_id)
        return f"/receivables/{receivable_id}?done=matched"

    return _act(request, session, viewer, receivable_id, run)


@router.post("/{receivable_id}/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    receivable_id: str,
    session: SessionDep,
    viewer: FormWriter,
    waive_discrepancies: Annotated[bool, Form()] = False,
) -> Response:
    """The debtor confirms (確權); a discrepant receivable only with the waiver ticked."""

    def run(caller: Caller) -> str:
        svc = ReceivablesService.for_request(session, request)
        svc.confirm(caller, receivable_id, waive=waive_discrepancies)
        return f"/receivables/{receivable_id}?done={'waived' if waive_discrepancies else 'confirmed'}"

    return _act(request, session, viewer, receivable_id, run)


def _minor(session: Session, caller: Caller, receivable_id: str, text: str, what: str) -> int:
    """``text`` (major units, ``"1,250.00"``) in minor units of the receivable's currency."""
    if not text.strip():
        raise InvalidInput(f"enter the {what}", code="missing_amount")
    return to_minor(text, ReceivablesService(session).visible(caller, receivable_id).currency, what)


@router.post("/{receivable_id}/repay", response_class=HTMLResponse)
def repay(
    request: Request,
    receivable_id: str,
    session: SessionDep,
    viewer: FormWriter,
    amount: Annotated[str, Form()] = "",
) -> Response:
    """The debtor pays the holder (partly or in full) from its tokenized cash."""

    def run(caller: Caller) -> str:
        minor = _minor(session, caller, receivable_id, amount, "amount to repay")
        FinancingService.for_request(session, request).repay(caller, receivable_id, minor)
        return f"/receivables/{receivable_id}?done=repaid"

    return _act(request, session, viewer, receivable_id, run, {"repay": amount})


@router.post("/{receivable_id}/split", response_class=HTMLResponse)
def split(
    request: Request,
    receivable_id: str,
    session: SessionDep,
    viewer: FormWriter,
    part: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The holder splits the receivable into parts that add up to its outstanding value."""
    parts = [p for p in part or [] if p.strip()]

    def run(caller: Caller) -> str:
        amounts = [_minor(session, caller, receivable_id, p, f"part {n}") for n, p in enumerate(parts, 1)]
        if len(amounts) < 2:
            raise InvalidInput("split into two parts or more", code="split_needs_parts")
        ReceivablesService.for_request(session, request).split(caller, receivable_id, amounts)
        return f"/receivables/{receivable_id}?done=split"

    return _act(request, session, viewer, receivable_id, run, {"parts": parts + [""] * (2 - len(parts))})


@router.post("/{receivable_id}/transfer", response_class=HTMLResponse)
def transfer(
    request: Request,
    receivable_id: str,
    session: SessionDep,
    viewer: FormWriter,
    to: Annotated[str, Form()] = "",
) -> Response:
    """The holder passes the receivable on, e.g. to one of its own suppliers."""

    def run(caller: Caller) -> str:
        if not to:
            raise InvalidInput(
                "choose the organisation to transfer the receivable to", code="invalid_receiver"
            )
        ReceivablesService.for_request(session, request).transfer(caller, receivable_id, to)
        return f"/receivables/{receivable_id}?done=transferred"

    return _act(request, session, viewer, receivable_id, run, {"to": to})


@router.post("/{receivable_id}/financing", response_class=HTMLResponse)
def request_financing(
    request: Request,
    receivable_id: str,
    session: SessionDep,
    viewer: FormWriter,
    min_advance: Annotated[str, Form()] = "",
) -> Response:
    """The holder asks financiers to finance the receivable, for at least ``min_advance``."""

    def run(caller: Caller) -> str:
        least = min_advance.strip()
        minor = _minor(session, caller, receivable_id, least, "minimum advance") if least else 0
        FinancingService.for_request(session, request).request(caller, receivable_id, minor)
        return f"/receivables/{receivable_id}?done=financing"

    return _act(request, session, viewer, receivable_id, run, {"min_advance": min_advance})
