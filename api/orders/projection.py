"""Builds ``orders`` from PurchaseOrders events."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, SQLModel

from api.orders.models import OrderRow
from api.projection_base import EventProjection
from chain.currencies import currency_code
from chain.events import ChainEvent


class OrdersProjection(EventProjection):
    contract = "PurchaseOrders"
    tables: Sequence[type[SQLModel]] = (OrderRow,)

    def _on_OrderRegistered(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        a = e.args
        session.add(
            OrderRow(
                order_id=a["id"],
                buyer=a["buyer"],
                supplier=a["supplier"],
                currency=currency_code(bytes.fromhex(a["currency"][2:])),
                total=a["total"],
                invoiced=0,
                status="open",
                document_id=a["document"],
                registered_block=e.block_number,
                registered_tx=e.tx_hash,
            )
        )

    def _on_ReceiptRecorded(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        if (row := self._set(session, OrderRow, e.args["id"])) is not None:
            row.receipts += 1

    def _on_ShipmentRecorded(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        if (row := self._set(session, OrderRow, e.args["id"])) is not None:
            row.shipments += 1

    def _on_OrderInvoiced(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, OrderRow, e.args["id"], invoiced=int(e.args["invoiced"]))

    def _on_OrderCancelled(self, session: Session, e: ChainEvent) -> None:  # noqa: N802
        self._set(session, OrderRow, e.args["id"], status="cancelled")
