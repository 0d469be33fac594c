"""Shipments, bills of lading and customs declarations: the carrier's and customs' views.

``/shipments`` lists the caller's shipments (``shipment_views``) and holds the carrier's form, which offers
the open orders it is booked on (``OrdersService.booked``) and calls ``OrdersService.add_shipment`` as
``POST /api/v1/purchase-orders/{id}/shipments`` does; a shipment's page
shows its bill of lading, the anchoring transactions and the declarations that cite it. ``/declarations``
reads ``api.customs.service`` as ``/api/v1/customs/declarations`` does, with each status's attestations.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.customs import service as customs
from api.customs.schemas import declaration_out
from api.db import SessionDep
from api.orders.service import OrdersService, timeline
from api.participants.service import ParticipantsService
from api.runtime import chain_and_indexer
from api.web.pages import WebRoute, render
from api.web.session import FormWriter, PageViewer, Viewer
from api.web.shipment_form import ShipmentForm, ShipmentFormDep
from api.web.shipment_views import bill_of_lading, shipment, shipments_for, status_name, votes
from chain.errors import TradeLedgerError

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _names(session: Session) -> dict[str, str]:
    return {org.org_id: org.name for org in ParticipantsService(session).directory()}


def _shipments_page(
    request: Request, session: Session, viewer: Viewer, form: ShipmentForm, status: int = 200
) -> Response:
    chain, _ = chain_and_indexer(request)
    caller, orders = viewer.caller, OrdersService(session)
    can_record = caller.role == "logistics"
    booked = [orders.out(row, caller, detail=False) for row in orders.booked(caller)] if can_record else []
    context = {
        "shipments": shipments_for(session, chain, caller),
        "names": _names(session),
        "can_record": can_record,
        "booked": [order for order in booked if order.status == "open"],
        "form": form,
    }
    return render(request, "logistics/shipments.html", context, status=status)


@router.get("/shipments", response_class=HTMLResponse)
def shipments(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    return _shipments_page(request, session, viewer, ShipmentForm())


@router.post("/shipments", response_class=HTMLResponse)
async def record(
    request: Request, session: SessionDep, viewer: FormWriter, form: ShipmentFormDep
) -> Response:
    """The carrier records a shipment on an order: its page (303), or the form again."""
    try:
        doc_id = await run_in_threadpool(_record, request, session, viewer, form)
    except TradeLedgerError as error:
        session.rollback()  # nothing of the failed shipment is shown or kept
        form.failed(error)
        return _shipments_page(request, session, viewer, form, status=error.status)
    return RedirectResponse(f"/shipments/{doc_id}?recorded=1", status_code=303)


def _record(request: Request, session: Session, viewer: Viewer, form: ShipmentForm) -> str:
    body = form.body()
    out = OrdersService.for_request(session, request).add_shipment(viewer.caller, form.order_id, body)
    return next(
        d.id
        for d in out.documents
        if d.type == "shipment" and d.number == body.bl_number and d.issuer == viewer.caller.org_id
    )


@router.get("/shipments/{doc_id}", response_class=HTMLResponse)
def shipment_page(
    request: Request, doc_id: str, session: SessionDep, viewer: PageViewer, recorded: bool = False
) -> Response:
    chain, _ = chain_and_indexer(request)
    view = shipment(session, chain, viewer.caller, doc_id)
    events = timeline(session, view.doc.doc_id)
    context = {
        "s": view,
        "events": events,
        "recorded": recorded,
        "recorded_event": next((e for e in events if e.event == "ShipmentRecorded"), None),
        "order_visible": _order_visible(session, viewer, view.order.order_id),
        "names": _names(session),
        "status_name": status_name,
    }
    return render(request, "logistics/shipment.html", context)


def _order_visible(session: Session, viewer: Viewer, order_id: str) -> bool:
    try:
        OrdersService(session).visible(viewer.caller, order_id)
    except TradeLedgerError:
        return False
    return True


@router.get("/shipments/{doc_id}/bill-of-lading.json", response_class=Response)
def download(doc_id: str, session: SessionDep, viewer: PageViewer) -> Response:
    """The bill of lading's canonical JSON: the bytes whose salted commitment is anchored on chain."""
    doc = bill_of_lading(session, viewer.caller, doc_id)
    disposition = f'attachment; filename="bill-of-lading-{doc.doc_id[2:14]}.json"'
    return Response(
        doc.canonical, media_type="application/json", headers={"Content-Disposition": disposition}
    )


# --- customs declarations -------------------------------------------------------------------------


@router.get("/declarations", response_class=HTMLResponse)
def declarations(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    chain, _ = chain_and_indexer(request)
    views = [customs.view(session, chain, i) for i in customs.for_caller(session, viewer.caller)]
    context = {"declarations": views, "names": _names(session), "threshold": customs.threshold(chain)}
    return render(request, "logistics/declarations.html", context)


@router.get("/declarations/{declaration_id}", response_class=HTMLResponse)
def declaration(request: Request, declaration_id: str, session: SessionDep, viewer: PageViewer) -> Response:
    chain, _ = chain_and_indexer(request)
    out = declaration_out(session, customs.visible(session, chain, viewer.caller, declaration_id))
    context = {
        "d": out,
        "votes": votes(out.timeline),
        "threshold": customs.threshold(chain),
        "names": _names(session),
        "status_name": status_name,
    }
    return render(request, "logistics/declaration.html", context)
