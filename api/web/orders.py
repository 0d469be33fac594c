"""Purchase orders: the list, the buyer's upload form (CSV or JSON) and an order's page, where the buyer
posts a goods receipt (``OrdersService.add_goods_receipt``), the supplier opens its invoice form and either
trading party books the carrier (``OrdersService.book_carrier``, as ``POST .../carrier-bookings`` does).

The upload calls ``OrdersService.upload`` as ``POST /api/v1/purchase-orders`` does; a CSV's problems are
shown per row (``InvalidDocument.extra["errors"]``), a JSON body's per field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.auth.service import Caller
from api.db import SessionDep
from api.orders.schemas import OrderOut, PurchaseOrderIn
from api.orders.service import OrdersService
from api.participants.service import ParticipantsService
from api.web.form_problems import invalid_document
from api.web.pages import WebRoute, render
from api.web.receipt_form import ReceiptForm, ReceiptFormDep
from api.web.session import FormWriter, PageViewer, Viewer
from chain.errors import InvalidDocument, InvalidInput, TradeLedgerError

router = APIRouter(prefix="/purchase-orders", route_class=WebRoute, include_in_schema=False)
T = TypeVar("T")


@dataclass
class UploadForm:
    """What the upload form was filled with, shown again beside its errors."""

    supplier: str = ""
    cross_border: bool = False
    filename: str = ""
    raw: bytes = field(default=b"", repr=False)
    error: TradeLedgerError | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)  # per CSV row or JSON field

    def failed(self, error: TradeLedgerError) -> None:
        self.error, self.problems = error, list(error.extra.get("errors", []))


def _orders_page(
    request: Request, session: Session, viewer: Viewer, form: UploadForm, status: int = 200
) -> Response:
    svc = OrdersService(session)
    directory = ParticipantsService(session).directory()
    context = {
        "orders": [svc.out(row, viewer.caller, detail=False) for row in svc.for_caller(viewer.caller)],
        "names": {org.org_id: org.name for org in directory},
        "suppliers": [org for org in directory if org.role == "supplier" and org.status == "active"],
        "can_upload": viewer.caller.role == "core_enterprise",
        "form": form,
    }
    return render(request, "orders/list.html", context, status=status)


@router.get("", response_class=HTMLResponse)
def orders(request: Request, session: SessionDep, viewer: PageViewer) -> Response:
    return _orders_page(request, session, viewer, UploadForm())


async def _upload_form(
    document: Annotated[UploadFile | None, File(description="the purchase order, CSV or JSON")] = None,
    supplier: Annotated[str, Form()] = "",
    cross_border: Annotated[bool, Form()] = False,
) -> UploadForm:
    raw = await document.read() if document is not None else b""
    return UploadForm(supplier, cross_border, (document.filename or "") if document else "", raw)


UploadFormDep = Annotated[UploadForm, Depends(_upload_form)]


@router.post("", response_class=HTMLResponse)
async def upload(request: Request, session: SessionDep, viewer: FormWriter, form: UploadFormDep) -> Response:
    """Upload a purchase order as the buyer; on success, the order's page (303), else the form again."""
    try:
        order = await run_in_threadpool(_upload, request, session, viewer.caller, form)
    except TradeLedgerError as error:
        session.rollback()  # whatever the failed upload left in the session is not shown
        form.failed(error)
        return _orders_page(request, session, viewer, form, status=error.status)
    return RedirectResponse(f"/purchase-orders/{order.id}?uploaded=1", status_code=303)


@router.post("/check", response_class=HTMLResponse)
def check(request: Request, session: SessionDep, viewer: FormWriter, form: UploadFormDep) -> Response:
    """The upload form's file checked as it is chosen (htmx swaps this fragment in): its problems, or
    what would be uploaded. Nothing is written; without JavaScript the upload reports the same."""
    context: dict[str, Any] = {"form": form}
    if form.raw.strip() and form.supplier:
        try:
            context["po"] = _send(OrdersService(session).parse, viewer.caller, form)
        except TradeLedgerError as error:
            form.failed(error)
    return render(request, "orders/_check.html", context)


def _upload(request: Request, session: Session, caller: Caller, form: UploadForm) -> OrderOut:
    return _send(OrdersService.for_request(session, request).upload, caller, form)


def _send(action: Callable[..., T], caller: Caller, form: UploadForm) -> T:
    """``OrdersService.upload`` or ``.parse`` on the form's file: JSON (by name or content) or else CSV."""
    text = _text(form.raw)
    if form.filename.lower().endswith(".json") or text.lstrip().startswith("{"):
        return action(caller, _json_order(text, form))
    return action(caller, csv=text, supplier=form.supplier, cross_border=form.cross_border)


def _text(raw: bytes) -> str:
    if not raw.strip():
        raise InvalidInput("choose the purchase order file (CSV or JSON) to upload", code="missing_file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file must be UTF-8 text", code="invalid_csv_encoding") from None


def _json_order(text: str, form: UploadForm) -> PurchaseOrderIn:
    """The JSON purchase order, its supplier and cross-border flag taken from the form where it has none."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidDocument(f"the file is not valid JSON ({exc})", code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidDocument("the JSON file must hold one purchase order object", code="invalid_json")
    data.setdefault("supplier", form.supplier)
    data["cross_border"] = bool(data.get("cross_border")) or form.cross_border
    try:
        return PurchaseOrderIn.model_validate(data)
    except ValidationError as exc:
        raise invalid_document(exc) from None


# ?done=<action>: the status message
DONE = {
    "received": "Your goods receipt is recorded on chain.",
    "booked": "The carrier is booked: it can now see this order and record its shipments.",
}


@dataclass
class BookingForm:
    """The carrier chosen in the booking form, shown again beside its error."""

    carrier: str = ""
    error: TradeLedgerError | None = None


def _order_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    order_id: str,
    *,
    uploaded: bool = False,
    done: str = "",
    receipt: ReceiptForm | None = None,
    booking: BookingForm | None = None,
) -> Response:
    svc, caller = OrdersService(session), viewer.caller
    out = svc.out(svc.visible(caller, order_id), caller)
    po = next((d for d in out.documents if d.type == "purchase_order" and d.content), None)
    receipt = receipt or ReceiptForm(received_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"))
    booking = booking or BookingForm()
    directory = ParticipantsService(session).directory()
    bookings = svc.bookings(caller, out.id)
    booked = {b.carrier for b in bookings}
    error = receipt.error or booking.error
    context = {
        "order": out,
        "lines": po.content.get("lines", []) if po and po.content else [],
        "registered": next((e for e in out.timeline if e.event == "OrderRegistered"), None),
        "documents": {d.id: d for d in out.documents},
        "names": {org.org_id: org.name for org in directory},
        "uploaded": uploaded,
        "done": DONE.get(done, ""),
        "done_tx": next((e for e in reversed(out.timeline) if e.event == "ReceiptRecorded"), None)
        if done == "received"
        else None,
        "can_receive": caller.org_id == out.buyer and out.status == "open",
        "can_invoice": caller.org_id == out.supplier and out.status == "open",
        "receipt": receipt,
        "receipt_rows": receipt.rows(out),
        "bookings": bookings,
        "can_book": caller.org_id in (out.buyer, out.supplier) and out.status == "open",
        "carriers": [
            org
            for org in directory
            if org.role == "logistics" and org.status == "active" and org.org_id not in booked
        ],
        "booking": booking,
    }
    return render(request, "orders/detail.html", context, status=error.status if error else 200)


@router.get("/{order_id}", response_class=HTMLResponse)
def order(
    request: Request,
    order_id: str,
    session: SessionDep,
    viewer: PageViewer,
    uploaded: bool = False,
    done: str = "",
) -> Response:
    return _order_page(request, session, viewer, order_id, uploaded=uploaded, done=done)


@router.post("/{order_id}/goods-receipts", response_class=HTMLResponse)
def goods_receipt(
    request: Request, order_id: str, session: SessionDep, viewer: FormWriter, form: ReceiptFormDep
) -> Response:
    """The buyer records a goods receipt against the order's lines (``OrdersService.add_goods_receipt``)."""
    svc = OrdersService.for_request(session, request)
    try:
        order = svc.out(svc.visible(viewer.caller, order_id), viewer.caller)
        svc.add_goods_receipt(viewer.caller, order_id, form.body(order))
    except TradeLedgerError as error:
        session.rollback()
        form.failed(error)
        return _order_page(request, session, viewer, order_id, receipt=form)
    return RedirectResponse(f"/purchase-orders/{order_id}?done=received", status_code=303)


@router.post("/{order_id}/carrier-bookings", response_class=HTMLResponse)
def book_carrier(
    request: Request,
    order_id: str,
    session: SessionDep,
    viewer: FormWriter,
    carrier: Annotated[str, Form()] = "",
) -> Response:
    """A trading party books the carrier the form names (``OrdersService.book_carrier``)."""
    form = BookingForm(carrier.strip())
    try:
        if not form.carrier:
            raise InvalidInput("choose the logistics provider to book", code="missing_carrier")
        OrdersService(session).book_carrier(viewer.caller, order_id, form.carrier)
    except TradeLedgerError as error:
        session.rollback()
        form.error = error
        return _order_page(request, session, viewer, order_id, booking=form)
    return RedirectResponse(f"/purchase-orders/{order_id}?done=booked", status_code=303)
