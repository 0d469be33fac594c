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
from api.idempotency import IdempotencyKey, once
from api.orders.schemas import GoodsReceiptIn, OrderOut, PurchaseOrderCsv, PurchaseOrderIn, ShipmentIn
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
    caller: WriterDep,
    session: SessionDep,
    supplier: Annotated[str | None, Query(description="supplier organisation id (CSV uploads)")] = None,
    idempotency_key: IdempotencyKey = None,
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
    key_body = body if body is not None else PurchaseOrderCsv(csv=text, supplier=supplier or "")

    def run() -> OrderOut:
        svc = OrdersService.for_request(session, request)
        return svc.upload(caller, csv=text, supplier=supplier) if body is None else svc.upload(caller, body)

    return await run_in_threadpool(once, request, session, caller.org_id, idempotency_key, key_body, 201, run)


@router.get("", response_model=list[OrderOut])
def orders(caller: CallerDep, session: SessionDep, page: PageDep) -> list[OrderOut]:
    """Orders you are the buyer or the supplier of, oldest first, with their documents and timelines."""
    svc = OrdersService(session)
    return [svc.out(row, caller) for row in page.of(svc.for_caller(caller))]


@router.get("/{order_id}", response_model=OrderOut)
def order(order_id: str, caller: CallerDep, session: SessionDep) -> OrderOut:
    """One order with its documents and its timeline of on-chain events."""
    svc = OrdersService(session)
    return svc.out(svc.visible(caller, order_id), caller)


@router.post("/{order_id}/shipments", status_code=201, response_model=OrderOut)
def shipment(
    order_id: str,
    body: ShipmentIn,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A logistics provider posts a shipment / bill of lading for the order."""

    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        body,
        201,
        lambda: OrdersService.for_request(session, request).add_shipment(caller, order_id, body),
    )


@router.post("/{order_id}/goods-receipts", status_code=201, response_model=OrderOut)
def goods_receipt(
    order_id: str,
    body: GoodsReceiptIn,
    caller: WriterDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The buyer posts a goods receipt (partial deliveries: post several)."""

    return once(
        request,
        session,
        caller.org_id,
        idempotency_key,
        body,
        201,
        lambda: OrdersService.for_request(session, request).add_goods_receipt(caller, order_id, body),
    )
