"""Financing: the financier's queue (open requests to price, its risk reviews, what it funded) and a
request's page, where the financier offers or approves and the holder accepts an offer.

Every action calls ``FinancingService`` as ``/api/v1/financing-requests/...`` does; a request shows its
receivable's evidence (``ReceivablesService.out``) and the holder's verified carbon score
(``api.carbon.score``), what green terms are priced on. There is no "refuse": a financier that will not
finance a request simply makes no offer, and a review waits until its financier approves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from api.auth.service import Caller
from api.carbon.score import ScoreOut, score
from api.db import SessionDep
from api.financing.schemas import AcceptIn, FinancingOut, OfferIn, OfferOut, PledgeIn
from api.financing.service import FinancingService
from api.orders.schemas import EventOut
from api.orders.service import timeline
from api.participants.service import ParticipantsService
from api.receivables.schemas import ReceivableOut
from api.receivables.service import ReceivablesService
from api.trade.money import from_minor, to_minor
from api.web.pages import WebRoute, render
from api.web.session import FormWriter, PageViewer, Viewer
from chain.errors import InvalidInput, TradeLedgerError

router = APIRouter(prefix="/financing", route_class=WebRoute, include_in_schema=False)

DONE = {  # ?done=<action> after a successful form: the status message shown
    "offered": "Your offer is recorded on chain.",
    "accepted": "You accepted the offer.",
    "approved": "You approved the risk review: the advance is paid and the receivable assigned.",
    "pledged": "Your carbon credits are pledged as collateral.",
    "released": "The pledged carbon credits are released.",
    "seized": "You seized the pledged carbon credits.",
    "overdue": "The receivable is marked overdue.",
    "recourse": "Your recourse claim against the holder is recorded.",
}
OFFER_FIELDS = {  # OfferIn's fields -> the form's
    "advance_minor": "advance",
    "discount_bps": "discount_bps",
    "tenor_days": "tenor_days",
    "green.advance_minor": "green_advance",
    "green.discount_bps": "green_discount_bps",
    "green.min_score_bps": "green_min_score_bps",
}
PLEDGE_FIELDS = {"token_id": "token_id", "kg": "kg"}
LIVE = ("requested", "pending_review", "funded")  # while carbon credits may be pledged for it


@dataclass(frozen=True)
class Dossier:
    """A financing request as its pages show it: with its receivable's evidence and the holder's carbon
    score."""

    financing: FinancingOut
    receivable: ReceivableOut
    score: ScoreOut | None

    @property
    def offered_by(self) -> set[str]:
        return {o.financier for o in self.financing.offers}


B = TypeVar("B", bound=BaseModel)


def validated(model: type[B], body: dict[str, Any], fields: dict[str, str]) -> B:
    """``body`` as ``model`` (the API's body), or 422 naming each form field (``fields``) that is wrong."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = [
            {"field": fields.get(".".join(map(str, e["loc"])), "form"), "code": e["type"], "msg": e["msg"]}
            for e in exc.errors()
        ]
        first = problems[0]
        raise InvalidInput(
            f"{first['field']}: {first['msg']} ({len(problems)} problem(s) in all)",
            code="invalid_form",
            errors=problems,
        ) from None


@dataclass
class OfferForm:
    """What the offer form was filled with (major units for amounts), shown again beside its errors."""

    advance: str = ""
    discount_bps: str = ""
    tenor_days: str = ""
    recourse: bool = False
    green_advance: str = ""
    green_discount_bps: str = ""
    green_min_score_bps: str = ""
    error: TradeLedgerError | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def failed(self, error: TradeLedgerError) -> None:
        self.error, self.problems = error, list(error.extra.get("errors", []))

    def offer(self, currency: str) -> OfferIn:
        """The form as ``OfferIn``: amounts to minor units of the receivable's currency."""
        body: dict[str, Any] = {
            "advance_minor": to_minor(self.advance, currency, "advance"),
            "discount_bps": self.discount_bps.strip(),
            "tenor_days": self.tenor_days.strip(),
            "recourse": self.recourse,
        }
        if any(v.strip() for v in (self.green_advance, self.green_discount_bps, self.green_min_score_bps)):
            body["green"] = {
                "advance_minor": to_minor(self.green_advance, currency, "green advance"),
                "discount_bps": self.green_discount_bps.strip(),
                "min_score_bps": self.green_min_score_bps.strip(),
            }
        return validated(OfferIn, body, OFFER_FIELDS)


def _offer_form(
    advance: Annotated[str, Form()] = "",
    discount_bps: Annotated[str, Form()] = "",
    tenor_days: Annotated[str, Form()] = "",
    recourse: Annotated[bool, Form()] = False,
    green_advance: Annotated[str, Form()] = "",
    green_discount_bps: Annotated[str, Form()] = "",
    green_min_score_bps: Annotated[str, Form()] = "",
) -> OfferForm:
    return OfferForm(
        advance, discount_bps, tenor_days, recourse, green_advance, green_discount_bps, green_min_score_bps
    )


OfferFormDep = Annotated[OfferForm, Depends(_offer_form)]


class Scores:
    """Organisations' carbon scores as the caller may read them, each read once per page."""

    def __init__(self, request: Request, caller: Caller) -> None:
        self.request, self.caller, self.seen = request, caller, dict[str, ScoreOut]()

    def of(self, org: str) -> ScoreOut:
        if org not in self.seen:
            self.seen[org] = score(org, self.caller, self.request)
        return self.seen[org]


def _request(session: Session, caller: Caller, scores: Scores, financing: FinancingOut) -> Dossier:
    receivables = ReceivablesService(session)
    receivable = receivables.out(receivables.visible(caller, financing.receivable_id), caller)
    return Dossier(financing, receivable, scores.of(financing.holder))


def _names(session: Session) -> dict[str, str]:
    return {org.org_id: org.name for org in ParticipantsService(session).directory()}


# --- the queue -----------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def queue(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    """A financier's open requests, risk reviews and fundings; anyone's own requests."""
    caller, svc, scores = viewer.caller, FinancingService(session), Scores(request, viewer.caller)
    rows = [_request(session, caller, scores, svc.out(r, caller)) for r in svc.for_caller(caller)]
    me = caller.org_id
    context = {
        "is_financier": caller.role == "financier",
        "open": [r for r in rows if r.financing.status == "requested" and r.financing.holder != me],
        "review": [r for r in rows if r.financing.status == "pending_review" and r.financing.financier == me],
        "funded": [r for r in rows if r.financing.financier == me and r.financing.status != "pending_review"],
        "mine": [r for r in rows if r.financing.holder == me],
        "names": _names(session),
    }
    return render(request, "financing/queue.html", context)


# --- one request ---------------------------------------------------------------------------------


def _history(events: list[EventOut], caller: Caller, financing: FinancingOut) -> list[EventOut]:
    """The request's events, less other financiers' offers (offers are private to the two parties)."""
    if caller.org_id == financing.holder:
        return events
    return [e for e in events if e.args.get("financier", caller.org_id) == caller.org_id]


def _detail_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    financing_id: str,
    *,
    form: OfferForm | None = None,
    error: TradeLedgerError | None = None,
    done: str = "",
) -> Response:
    caller, svc = viewer.caller, FinancingService(session)
    financing = svc.out(svc.visible(caller, financing_id), caller)
    shown = _request(session, caller, Scores(request, caller), financing)
    history = _history(timeline(session, financing.id), caller, financing)
    mine = next((o for o in financing.offers if o.financier == caller.org_id), None)
    is_financier, is_holder = caller.role == "financier", caller.org_id == financing.holder
    context = {
        "r": shown,
        "f": financing,
        "rc": shown.receivable,
        "history": history,
        "funded": next((e for e in history if e.event == "FinancingFunded"), None),
        "names": _names(session),
        "my_offer": mine,
        "can_offer": is_financier and not is_holder and financing.status == "requested",
        "can_approve": financing.status == "pending_review" and financing.financier == caller.org_id,
        "can_accept": is_holder and financing.status == "requested",
        "is_holder": is_holder,
        "is_financier_of": financing.financier == caller.org_id,
        "accepted": next((o for o in financing.offers if o.financier == financing.financier), None),
        "live": financing.status in LIVE,
        "form": form or _prefilled(mine, shown.receivable.currency),
        "error": error,
        "done": DONE.get(done, ""),
    }
    failure = form.error if form is not None and form.error else error
    return render(request, "financing/detail.html", context, status=failure.status if failure else 200)


def _prefilled(mine: OfferOut | None, currency: str) -> OfferForm:
    """The financier's standing offer, or nothing, in the form (an offer again replaces it)."""
    if mine is None:
        return OfferForm()
    green = mine.green
    return OfferForm(
        advance=from_minor(mine.advance_minor, currency),
        discount_bps=str(mine.discount_bps),
        tenor_days=str(mine.tenor_days),
        recourse=mine.recourse,
        green_advance=from_minor(green.advance_minor, currency) if green else "",
        green_discount_bps=str(green.discount_bps) if green else "",
        green_min_score_bps=str(green.min_score_bps) if green else "",
    )


@router.get("/{financing_id}", response_class=HTMLResponse)
def detail(
    request: Request, financing_id: str, session: SessionDep, viewer: PageViewer, done: str = ""
) -> Response:
    return _detail_page(request, session, viewer, financing_id, done=done)


def _act(
    request: Request,
    session: Session,
    viewer: Viewer,
    financing_id: str,
    done: str,
    action: Callable[[FinancingService, Caller], object],
    form: OfferForm | None = None,
) -> Response:
    """Run ``action`` on the wired service: the request's page (303) with ``done``, or the page again
    with the service's error and its status (after a rollback: nothing the failed action left is shown)."""
    try:
        action(FinancingService.for_request(session, request), viewer.caller)
    except TradeLedgerError as error:
        session.rollback()
        if form is not None:
            form.failed(error)
            return _detail_page(request, session, viewer, financing_id, form=form)
        return _detail_page(request, session, viewer, financing_id, error=error)
    return RedirectResponse(f"/financing/{financing_id}?done={done}", status_code=303)


@router.post("/{financing_id}/offers", response_class=HTMLResponse)
def offer(
    request: Request, financing_id: str, session: SessionDep, viewer: FormWriter, form: OfferFormDep
) -> Response:
    """A financier prices the request (an offer again replaces its earlier one)."""

    def run(svc: FinancingService, caller: Caller) -> object:
        row = svc.visible(caller, financing_id)
        currency = ReceivablesService(session).visible(caller, row.receivable_id).currency
        return svc.offer(caller, financing_id, form.offer(currency))

    return _act(request, session, viewer, financing_id, "offered", run, form)


@router.post("/{financing_id}/accept", response_class=HTMLResponse)
def accept(
    request: Request,
    financing_id: str,
    session: SessionDep,
    viewer: FormWriter,
    financier: Annotated[str, Form()] = "",
) -> Response:
    """The holder accepts one offer: funded at once (DvP), or after the financier's risk review."""

    def run(svc: FinancingService, caller: Caller) -> object:
        chosen = validated(AcceptIn, {"financier": financier}, {"financier": "financier"})
        return svc.accept(caller, financing_id, chosen.financier)

    return _act(request, session, viewer, financing_id, "accepted", run)


@router.post("/{financing_id}/approve", response_class=HTMLResponse)
def approve(request: Request, financing_id: str, session: SessionDep, viewer: FormWriter) -> Response:
    """The financier's risk reviewer approves a large advance; the DvP happens now."""
    return _act(
        request, session, viewer, financing_id, "approved", lambda s, c: s.approve_review(c, financing_id)
    )


# --- after funding: collateral, overdue and recourse ---------------------------------------------


@router.post("/{financing_id}/collateral", response_class=HTMLResponse)
def pledge(
    request: Request,
    financing_id: str,
    session: SessionDep,
    viewer: FormWriter,
    token_id: Annotated[str, Form()] = "",
    kg: Annotated[str, Form()] = "",
) -> Response:
    """The holder locks carbon credits as collateral while its financing is live."""

    def run(svc: FinancingService, caller: Caller) -> object:
        body = validated(PledgeIn, {"token_id": token_id.strip(), "kg": kg.strip()}, PLEDGE_FIELDS)
        return svc.pledge(caller, financing_id, body)

    return _act(request, session, viewer, financing_id, "pledged", run)


@router.post("/{financing_id}/collateral/release", response_class=HTMLResponse)
def release(request: Request, financing_id: str, session: SessionDep, viewer: FormWriter) -> Response:
    """A party unlocks the collateral of a repaid or cancelled financing."""
    return _act(request, session, viewer, financing_id, "released", lambda s, c: s.release(c, financing_id))


@router.post("/{financing_id}/collateral/seize", response_class=HTMLResponse)
def seize(request: Request, financing_id: str, session: SessionDep, viewer: FormWriter) -> Response:
    """The financier takes the pledged credits after claiming recourse."""
    return _act(request, session, viewer, financing_id, "seized", lambda s, c: s.seize(c, financing_id))


@router.post("/{financing_id}/overdue", response_class=HTMLResponse)
def overdue(request: Request, financing_id: str, session: SessionDep, viewer: FormWriter) -> Response:
    """A party marks the financed receivable overdue once its due date has passed (the contract checks)."""

    def run(svc: FinancingService, caller: Caller) -> object:
        return svc.mark_overdue(caller, svc.visible(caller, financing_id).receivable_id)

    return _act(request, session, viewer, financing_id, "overdue", run)


@router.post("/{financing_id}/recourse", response_class=HTMLResponse)
def recourse(request: Request, financing_id: str, session: SessionDep, viewer: FormWriter) -> Response:
    """The financier records recourse against the holder of an overdue receivable financed with recourse."""
    return _act(
        request, session, viewer, financing_id, "recourse", lambda s, c: s.claim_recourse(c, financing_id)
    )
