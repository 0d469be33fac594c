"""``/api/v1/purchase-orders``: orders, shipments, goods receipts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.auth.deps import CallerDep, WriterDep
from api.db import PageDep, SessionDep
from api.idempotency import WriteDep
from api.orders.models import CarrierBooking
from api.orders.schemas import (
    CarrierBookingIn,
    CarrierBookingOut,
    GoodsReceiptIn,
    OrderOut,
    PaymentIn,
    PurchaseOrderCsv,
    PurchaseOrderIn,
    ShipmentIn,
)
from api.orders.service import OrdersService
from chain.errors import InvalidInput

router = APIRouter(prefix="/api/v1/purchase-orders", tags=["purchase orders"])


CSV_EXAMPLE = (
    "po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price\n"
    "PO-2026-001,USD,2026-03-01,2026-04-15,1,BRK-220,Brake disc,100,EA,1234.50\n"
)


@router.post(
    "",
    status_code=201,
    response_model=OrderOut,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PurchaseOrderIn"}},
                "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
            }
        }
    },
)
async def upload(
    request: Request,
    write: WriteDep,
    supplier: Annotated[str | None, Query(description="supplier organisation id (CSV uploads)")] = None,
    cross_border: Annotated[
        bool, Query(description="CSV uploads: match in cross-border mode (三單對碰) as well")
    ] = False,
) -> JSONResponse:
    """Upload a purchase order as JSON or as an ERP CSV export (`Content-Type: text/csv`).

    The buyer is your organisation; CSV uploads name the supplier in `?supplier=`."""
    raw = await request.body()
    body: PurchaseOrderIn | None = None
    text = ""
    if request.headers.get("content-type", "").startswith("text/csv"):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the CSV must be UTF-8 text", code="invalid_csv_encoding") from None
    else:
        try:
            body = PurchaseOrderIn.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
    key_body = (
        body
        if body is not None
        else PurchaseOrderCsv(csv=text, supplier=supplier or "", cross_border=cross_border)
    )

    def run() -> OrderOut:
        svc = write.service(OrdersService)
        return (
            svc.upload(write.caller, csv=text, supplier=supplier, cross_border=cross_border)
            if body is None
            else svc.upload(write.caller, body)
        )

    return await run_in_threadpool(write.once, key_body, 201, run)


@router.get("", response_model=list[OrderOut])
def orders(caller: CallerDep, session: SessionDep, page: PageDep) -> list[OrderOut]:
    """Orders you are the buyer or the supplier of, oldest first, with their documents and timelines."""
    svc = OrdersService(session)
    return svc.outs(svc.for_caller(caller, page), caller)


@router.get("/{order_id}", response_model=OrderOut)
def order(order_id: str, caller: CallerDep, session: SessionDep) -> OrderOut:
    """One order with its documents and its timeline of on-chain events."""
    svc = OrdersService(session)
    return svc.out(svc.visible(caller, order_id), caller)


def _booking_out(row: CarrierBooking) -> CarrierBookingOut:
    return CarrierBookingOut(
        order_id=row.order_id, carrier=row.carrier, booked_by=row.booked_by, booked_at=row.booked_at
    )


@router.post("/{order_id}/carrier-bookings", status_code=201, response_model=CarrierBookingOut)
def book_carrier(
    order_id: str, body: CarrierBookingIn, caller: WriterDep, session: SessionDep
) -> CarrierBookingOut:
    """The order's supplier (or its buyer, under EXW/FOB terms) books a logistics provider to carry it: only
    a booked carrier may post the order's shipments, and it may then read the order. Booking the same carrier
    again answers the booking there is. Off chain, like auditor grants."""
    return _booking_out(OrdersService(session).book_carrier(caller, order_id, body.carrier))


@router.get("/{order_id}/carrier-bookings", response_model=list[CarrierBookingOut])
def carrier_bookings(order_id: str, caller: CallerDep, session: SessionDep) -> list[CarrierBookingOut]:
    """The carriers booked on an order you are party to, first booked first."""
    return [_booking_out(row) for row in OrdersService(session).bookings(caller, order_id)]


@router.post("/{order_id}/shipments", status_code=201, response_model=OrderOut)
def shipment(order_id: str, body: ShipmentIn, write: WriteDep) -> JSONResponse:
    """A logistics provider booked on the order (``carrier-bookings``) posts a shipment / bill of lading for
    it; to any other carrier the order does not exist (404 ``order_not_found``)."""
    return write.once(
        body, 201, lambda: write.service(OrdersService).add_shipment(write.caller, order_id, body)
    )


@router.post("/{order_id}/goods-receipts", status_code=201, response_model=OrderOut)
def goods_receipt(order_id: str, body: GoodsReceiptIn, write: WriteDep) -> JSONResponse:
    """The buyer posts a goods receipt (partial deliveries: post several)."""
    return write.once(
        body, 201, lambda: write.service(OrdersService).add_goods_receipt(write.caller, order_id, body)
    )


@router.post("/{order_id}/payments", status_code=201, response_model=OrderOut)
def payment(order_id: str, body: PaymentIn, write: WriteDep) -> JSONResponse:
    """The buyer records a payment of the order (its bank's remittance advice): evidence that cross-border
    matching checks against the order, the waybill and the customs declaration."""
    return write.once(
        body, 201, lambda: write.service(OrdersService).add_payment(write.caller, order_id, body)
    )
