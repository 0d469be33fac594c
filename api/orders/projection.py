"""Builds ``orders`` from PurchaseOrders events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, SQLModel

from api.orders.models import OrderRow
from chain.currencies import currency_code
from chain.events import ChainEvent


class OrdersProjection:
    tables: Sequence[type[SQLModel]] = (OrderRow,)

    def apply(self, session: Session, event: ChainEvent) -> None:
        if event.contract != "PurchaseOrders":
            return
        args = event.args
        if event.name == "OrderRegistered":
            session.add(
                OrderRow(
                    order_id=args["id"],
                    buyer=args["buyer"],
                    supplier=args["supplier"],
                    currency=currency_code(bytes.fromhex(args["currency"][2:])),
                    total=args["total"],
                    invoiced=0,
                    status="open",
                    document_id=args["document"],
                    registered_block=event.block_number,
                    registered_tx=event.tx_hash,
                )
            )
            session.flush()
            return
        row = session.get(OrderRow, args.get("id", ""))
        if row is None:
            return
        if event.name == "ReceiptRecorded":
            row.receipts += 1
        elif event.name == "ShipmentRecorded":
            row.shipments += 1
        elif event.name == "OrderInvoiced":
            row.invoiced = int(args["invoiced"])
        elif event.name == "OrderCancelled":
            row.status = "cancelled"
        session.add(row)
        session.flush()
