"""Settlement cash: the caller's tokenized cash, and a bank's form to tokenize a member's deposit.

Cash legs (an advance paid at funding, a repayment at maturity) move SettlementToken. The page reads
``FinancingService.balance`` as ``GET /api/v1/cash/balance`` does, and the deposit form calls
``FinancingService.deposit`` as ``POST /api/v1/cash/deposits`` does: only a financier (a bank) mints, to
any active member organisation, itself included (the cash it advances).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.db import SessionDep
from api.financing.schemas import DepositIn
from api.financing.service import FinancingService
from api.participants.service import ParticipantsService
from api.trade.money import to_minor
from api.web.financing import validated
from api.web.pages import WebRoute, render
from api.web.session import FormWriter, PageViewer, Viewer
from chain.errors import InvalidInput, TradeLedgerError

router = APIRouter(prefix="/cash", route_class=WebRoute, include_in_schema=False)

TX_HASH = re.compile(r"^0x[0-9a-f]{64}$")
DEPOSIT_FIELDS = {"to": "to", "amount_minor": "amount"}  # DepositIn's fields -> the form's


@dataclass
class DepositForm:
    """What the deposit form was filled with (the amount in major units), shown again beside its error."""

    to: str = ""
    amount: str = ""
    error: TradeLedgerError | None = None

    def deposit(self, currency: str) -> DepositIn:
        if not self.to:
            raise InvalidInput("choose the organisation whose deposit you tokenize", code="invalid_receiver")
        if not self.amount.strip():
            raise InvalidInput("enter the amount deposited", code="missing_amount")
        body = {"to": self.to, "amount_minor": to_minor(self.amount, currency, "amount")}
        return validated(DepositIn, body, DEPOSIT_FIELDS)


def _cash_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    form: DepositForm,
    *,
    deposited: str = "",
    tx: str = "",
) -> Response:
    caller = viewer.caller
    directory = ParticipantsService(session).directory()
    context = {
        "balance": FinancingService.for_request(session, request).balance(caller.org_id),
        "can_deposit": caller.role == "financier",
        "receivers": [org for org in directory if org.status == "active"],
        "names": {org.org_id: org.name for org in directory},
        "form": form,
        "deposited": deposited,
        "tx": tx if TX_HASH.match(tx) else "",
    }
    return render(request, "cash/cash.html", context, status=form.error.status if form.error else 200)


@router.get("", response_class=HTMLResponse)
def cash(
    request: Request, session: SessionDep, viewer: PageViewer, deposited: str = "", tx: str = ""
) -> Response:
    """The caller's tokenized cash; a financier's deposit form."""
    return _cash_page(request, session, viewer, DepositForm(), deposited=deposited, tx=tx)


@router.post("/deposits", response_class=HTMLResponse)
def deposit(
    request: Request,
    session: SessionDep,
    viewer: FormWriter,
    to: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
) -> Response:
    """A bank tokenizes a member's deposit (its own too): this page again (303) with the transaction, or
    the form again with the service's error and its status, after a rollback."""
    form = DepositForm(to, amount)
    svc = FinancingService.for_request(session, request)
    try:
        body = form.deposit(svc.balance(viewer.caller.org_id).currency)
        out = svc.deposit(viewer.caller, body.to, body.amount_minor)
    except TradeLedgerError as error:
        session.rollback()
        form.error = error
        return _cash_page(request, session, viewer, form)
    tx = out.tx.tx_hash if out.tx else ""
    return RedirectResponse(f"/cash?deposited={out.organisation}&tx={tx}", status_code=303)
