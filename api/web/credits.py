"""Letters of credit: apply, issue, advise, amend, present, examine (with the examination report),
honour, refuse or waive.

Every step calls ``CreditService`` as ``/api/v1/letters-of-credit`` does; the service decides who may
do what (a party's wrong step is its 403, a non-party's id its 404). A page offers a step only to the
party whose step it is; the forms are in ``credit_forms.py``, the report's rendering is the API's
(``api.credit.report_html``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from api.auth.service import Caller
from api.credit.examination import DocumentType
from api.credit.report_html import report_section
from api.credit.schemas import CreditOut
from api.credit.service import CreditService
from api.db import SessionDep
from api.orders.service import timeline
from api.participants.service import ParticipantsService
from api.web.credit_forms import (
    FormState,
    amendment_in,
    application_defaults,
    credit_in,
    presentation_defaults,
    presentation_in,
    submitted,
)
from api.web.pages import WebRoute, render
from api.web.session import FormWriter, PageViewer, Viewer
from chain.currencies import EXPONENTS
from chain.errors import TradeLedgerError

router = APIRouter(prefix="/letters-of-credit", route_class=WebRoute, include_in_schema=False)
Form = Annotated[FormState, Depends(submitted)]

# what a step's redirect (``?done=<step>``) says happened
DONE = {
    "applied": "Your application is recorded on chain; the issuing bank issues the credit next.",
    "issued": "The credit is issued.",
    "advised": "The credit is advised to the beneficiary; it may present documents now.",
    "cancelled": "The credit is cancelled.",
    "expired": "The credit is closed as expired.",
    "amended": "The amendment is proposed; it binds once the beneficiary accepts it.",
    "accepted": "You accepted the amendment; its terms are in force.",
    "rejected": "You rejected the amendment; the terms stay as they were.",
    "presented": "Your documents are presented; the issuing bank examines them next.",
    "examined": "The documents are examined; the report's hash is recorded on chain.",
    "refused": "The presentation is refused; the notice lists every discrepancy.",
    "waived": "You waived the discrepancies; the issuing bank may honour the presentation now.",
    "honoured": "The presentation is honoured.",
}
PARTIES = (
    ("applicant", "Applicant"),
    ("issuing_bank", "Issuing bank"),
    ("advising_bank", "Advising bank"),
    ("beneficiary", "Beneficiary"),
)


def _service(session: Session, request: Request) -> CreditService:
    return CreditService.for_request(session, request)


def _names(session: Session) -> dict[str, str]:
    return {org.org_id: org.name for org in ParticipantsService(session).directory()}


def roles_of(credit: CreditOut, org_id: str) -> list[str]:
    """What ``org_id`` is on the credit (a bank may be both issuing and advising bank)."""
    return [label for key, label in PARTIES if getattr(credit, key) == org_id]


def _done(done: str) -> str | None:
    return DONE.get(done)


# --- the list and the application ---------------------------------------------------------------


def _list_page(
    request: Request, session: Session, viewer: Viewer, form: FormState | None, status: int = 200
) -> Response:
    svc = _service(session, request)
    credits = [svc.out(row) for row in svc.for_caller(viewer.caller)]
    applies = viewer.caller.role == "core_enterprise"
    directory = ParticipantsService(session).directory()
    active = [org for org in directory if org.status == "active"]
    banks = [org for org in active if org.role == "financier"]
    if applies and form is None:
        mine = sum(1 for c in credits if c.applicant == viewer.caller.org_id)
        today = svc.today()
        form = application_defaults(today, f"LC-{today:%Y%m%d}-{mine + 1}", banks[0].org_id if banks else "")
    context = {
        "credits": credits,
        "names": {org.org_id: org.name for org in directory},
        "roles": {c.id: roles_of(c, viewer.caller.org_id) for c in credits},
        "applies": applies,
        "form": form,
        "banks": [(org.org_id, org.name) for org in banks],
        "beneficiaries": [(org.org_id, org.name) for org in active if org.role == "supplier"],
        "currencies": [(code, code) for code in sorted(EXPONENTS)],
        "documents": list(DocumentType),
    }
    return render(request, "credits/list.html", context, status=status)


@router.get("", response_class=HTMLResponse)
def credits(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    return _list_page(request, session, viewer, None)


@router.post("", response_class=HTMLResponse)
def apply(request: Request, session: SessionDep, viewer: FormWriter, form: Form) -> Response:
    """The applicant applies; on success the credit's page (303), else the form again with its errors."""
    try:
        credit = _service(session, request).apply(viewer.caller, credit_in(form))
    except TradeLedgerError as error:
        session.rollback()
        form.failed(error)
        return _list_page(request, session, viewer, form, status=error.status)
    return RedirectResponse(f"/letters-of-credit/{credit.id}?done=applied", status_code=303)


# --- one credit ------------------------------------------------------------------------------------


def _credit_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    credit_id: str,
    *,
    done: str = "",
    error: TradeLedgerError | None = None,
    amendment: FormState | None = None,
    presentation: FormState | None = None,
    status: int = 200,
) -> Response:
    svc = _service(session, request)
    credit = svc.out(svc.visible(viewer.caller, credit_id))
    me = viewer.caller.org_id
    live = credit.status in ("issued", "advised")
    today = svc.today()
    terms = credit.terms["credit_terms"]
    can = {
        "issue": me == credit.issuing_bank and credit.status == "applied",
        "advise": me == credit.advising_bank and credit.status == "issued",
        "cancel": (me == credit.applicant and credit.status == "applied")
        or (me == credit.issuing_bank and credit.status in ("applied", "issued")),
        "expire": live and terms["expiry_date"] < today.isoformat(),
        "amend": me == credit.issuing_bank and live,
        "settle": me == credit.beneficiary,
        "present": me == credit.beneficiary and credit.status == "advised" and credit.available_minor > 0,
    }
    pids = [p.id for p in credit.presentations]
    context = {
        "credit": credit,
        "terms": terms,
        "names": _names(session),
        "roles": roles_of(credit, me),
        "can": can,
        "history": timeline(session, credit.id, *pids),
        "done": _done(done),
        "error": error,
        "amendment": amendment or FormState(),
        "presentation": presentation or presentation_defaults(credit, today),
    }
    return render(request, "credits/detail.html", context, status=status)


@router.get("/{credit_id}", response_class=HTMLResponse)
def credit(
    request: Request, credit_id: str, session: SessionDep, viewer: PageViewer, done: str = ""
) -> Response:
    return _credit_page(request, session, viewer, credit_id, done=done)


def _credit_step(
    request: Request,
    session: Session,
    viewer: Viewer,
    credit_id: str,
    step: Callable[[CreditService], Any],
    done: str,
    amendment: FormState | None = None,
) -> Response:
    """Run ``step``; on success the credit's page with ``done`` (303), else the page with the error."""
    try:
        step(_service(session, request))
    except TradeLedgerError as error:
        session.rollback()
        if amendment is not None:  # the amendment form's error is shown in the form
            amendment.failed(error)
        shown = None if amendment is not None else error
        return _credit_page(
            request, session, viewer, credit_id, error=shown, amendment=amendment, status=error.status
        )
    return RedirectResponse(f"/letters-of-credit/{credit_id}?done={done}", status_code=303)


CREDIT_STEPS: dict[str, tuple[Callable[[CreditService, Caller, str], object], str]] = {
    "issue": (CreditService.issue, "issued"),  # the issuing bank
    "advise": (CreditService.advise, "advised"),  # the advising bank
    "cancel": (CreditService.cancel, "cancelled"),  # the applicant, or the issuing bank before advice
    "expire": (CreditService.expire, "expired"),  # any party, once the expiry date has passed
}


def _credit_route(name: str, step: Callable[[CreditService, Caller, str], object], done: str) -> None:
    def route(request: Request, credit_id: str, session: SessionDep, viewer: FormWriter) -> Response:
        return _credit_step(
            request, session, viewer, credit_id, lambda svc: step(svc, viewer.caller, credit_id), done
        )

    router.add_api_route(
        f"/{{credit_id}}/{name}", route, methods=["POST"], response_class=HTMLResponse, name=f"credit_{name}"
    )


for _name, (_step, _done_as) in CREDIT_STEPS.items():
    _credit_route(_name, _step, _done_as)


@router.post("/{credit_id}/amendments", response_class=HTMLResponse)
def amend(request: Request, credit_id: str, session: SessionDep, viewer: FormWriter, form: Form) -> Response:
    """The issuing bank proposes changed terms (blank fields stay as they are)."""

    def propose(svc: CreditService) -> None:
        currency = svc.visible(viewer.caller, credit_id).currency
        svc.amend(viewer.caller, credit_id, amendment_in(form, currency))

    return _credit_step(request, session, viewer, credit_id, propose, "amended", amendment=form)


@router.post("/{credit_id}/amendments/{number}/{answer}", response_class=HTMLResponse)
def settle_amendment(
    request: Request,
    credit_id: str,
    number: int,
    answer: Literal["accept", "reject"],
    session: SessionDep,
    viewer: FormWriter,
) -> Response:
    """The beneficiary accepts or rejects a pending amendment."""

    def settle(svc: CreditService) -> None:
        svc.settle_amendment(viewer.caller, credit_id, number, accept=answer == "accept")

    return _credit_step(request, session, viewer, credit_id, settle, f"{answer}ed")


@router.post("/{credit_id}/presentations", response_class=HTMLResponse)
def present(
    request: Request, credit_id: str, session: SessionDep, viewer: FormWriter, form: Form
) -> Response:
    """The beneficiary presents its documents; on success the presentation's page (303)."""
    try:
        svc = _service(session, request)
        currency = svc.visible(viewer.caller, credit_id).currency
        presented = svc.present(viewer.caller, credit_id, presentation_in(form, currency))
    except TradeLedgerError as error:
        session.rollback()
        form.failed(error)
        return _credit_page(request, session, viewer, credit_id, presentation=form, status=error.status)
    return RedirectResponse(
        f"/letters-of-credit/presentations/{presented.id}?done=presented", status_code=303
    )


# --- one presentation ----------------------------------------------------------------------------


def _presentation_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    presentation_id: str,
    *,
    done: str = "",
    error: TradeLedgerError | None = None,
) -> Response:
    svc = _service(session, request)
    row, presented = svc.visible_presentation(viewer.caller, presentation_id)
    credit = svc.out(row)
    detail = svc.presentation_detail(presented)
    me = viewer.caller.org_id
    bank = me == credit.issuing_bank
    can = {
        "examine": bank and detail.status == "presented",
        "honour": bank and detail.status in ("complying", "waived"),
        "refuse": bank and detail.status == "discrepant",
        "waive": me == credit.applicant and detail.status == "refused",
    }
    context = {
        "credit": credit,
        "presentation": detail,
        "report": Markup(report_section(detail.report)) if detail.report else None,  # noqa: S704 (escaped there)
        "names": _names(session),
        "roles": roles_of(credit, me),
        "can": can,
        "history": timeline(session, detail.id),
        "done": _done(done),
        "error": error,
    }
    return render(request, "credits/presentation.html", context, status=error.status if error else 200)


@router.get("/presentations/{presentation_id}", response_class=HTMLResponse)
def presentation(
    request: Request, presentation_id: str, session: SessionDep, viewer: PageViewer, done: str = ""
) -> Response:
    return _presentation_page(request, session, viewer, presentation_id, done=done)


def _presentation_step(
    request: Request,
    session: Session,
    viewer: Viewer,
    presentation_id: str,
    step: Callable[[CreditService], Any],
    done: str,
) -> Response:
    try:
        step(_service(session, request))
    except TradeLedgerError as error:
        session.rollback()
        return _presentation_page(request, session, viewer, presentation_id, error=error)
    return RedirectResponse(
        f"/letters-of-credit/presentations/{presentation_id}?done={done}", status_code=303
    )


PRESENTATION_STEPS: dict[str, tuple[Callable[[CreditService, Caller, str], object], str]] = {
    "examine": (CreditService.examine, "examined"),  # the issuing bank
    "honour": (CreditService.honour, "honoured"),  # the issuing bank, complying or waived
    "refuse": (CreditService.refuse, "refused"),  # the issuing bank, discrepant
    "waive": (CreditService.waive, "waived"),  # the applicant, refused
}


def _presentation_route(name: str, step: Callable[[CreditService, Caller, str], object], done: str) -> None:
    def route(request: Request, presentation_id: str, session: SessionDep, viewer: FormWriter) -> Response:
        return _presentation_step(
            request,
            session,
            viewer,
            presentation_id,
            lambda svc: step(svc, viewer.caller, presentation_id),
            done,
        )

    router.add_api_route(
        f"/presentations/{{presentation_id}}/{name}",
        route,
        methods=["POST"],
        response_class=HTMLResponse,
        name=f"presentation_{name}",
    )


for _name, (_step, _done_as) in PRESENTATION_STEPS.items():
    _presentation_route(_name, _step, _done_as)
