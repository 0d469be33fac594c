"""Purchase orders: upload (JSON or ERP CSV), shipments, goods receipts; reads for their parties."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, or_, select

from api.auth.service import Caller
from api.db import Page
from api.documents.models import StoredDocument
from api.documents.service import (
    anchor_document,
    documents_by_id,
    documents_of_orders,
    purchase_order_document,
)
from api.orders.models import CarrierBooking, OrderRow
from api.orders.schemas import (
    DocumentOut,
    GoodsReceiptIn,
    OrderOut,
    PaymentIn,
    PurchaseOrderIn,
    ShipmentIn,
)
from api.participants.models import Organisation
from api.participants.schemas import TxOut
from api.participants.service import TxRef
from api.runtime import signing_key
from api.service_base import ChainService
from api.timeline.service import event_out as event_out  # re-exported: where callers have found it
from api.timeline.service import timeline as timeline
from api.timeline.service import timelines
from api.trade.documents import (
    GoodsReceipt,
    PurchaseOrder,
    Shipment,
    from_canonical,
    parse_goods_receipt,
    parse_payment,
    parse_purchase_order,
    parse_purchase_order_csv,
    parse_shipment,
    read_json,
)
from chain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chain.ids import from_hex32, to_hex32
from chain.sender import Receipt
from chain.trade_contracts import DocumentType

HEX32 = r"^0x[0-9a-fA-F]{64}$"


def document_out(row: StoredDocument, caller: Caller | None) -> DocumentOut:
    content = read_json(row.canonical)
    visible = caller is not None and caller.org_id in {row.issuer, row.buyer, content.get("supplier")}
    return DocumentOut(
        id=row.doc_id,
        type=row.doc_type,
        number=row.number,
        issuer=row.issuer,
        commitment=row.commitment,
        anchored_block=row.anchored_block,
        content=content if visible else None,
    )


def order_not_found(order_id: str) -> NotFound:
    """What anyone but an order's parties learns of it, whether it exists or not."""
    return NotFound(
        f"no purchase order {order_id} of yours; list them with GET /api/v1/purchase-orders",
        code="order_not_found",
    )


class OrdersService(ChainService):
    # --- reads --------------------------------------------------------------------------------

    def visible(self, caller: Caller, order_id: str) -> OrderRow:
        """The order if the caller is party to it; otherwise 404 (its existence is not revealed)."""
        row = self.session.get(OrderRow, order_id.lower())
        if row is None or not self._is_party(caller, row):
            raise order_not_found(order_id)
        return row

    def _is_party(self, caller: Caller, row: OrderRow) -> bool:
        """Its buyer and supplier, a carrier booked on it, and whoever issued one of its documents."""
        if caller.org_id in (row.buyer, row.supplier) or self.is_booked(caller, row):
            return True
        carried = self.session.exec(
            select(StoredDocument).where(
                StoredDocument.buyer == row.buyer,
                StoredDocument.issuer == caller.org_id,
                StoredDocument.po_number == self.po_number(row),
            )
        ).first()
        return carried is not None

    def is_booked(self, caller: Caller, row: OrderRow) -> bool:
        return self.session.get(CarrierBooking, (row.order_id, caller.org_id)) is not None

    def bookings(self, caller: Caller, order_id: str) -> list[CarrierBooking]:
        """The carriers booked on an order the caller is party to, first booked first."""
        row = self.visible(caller, order_id)
        query = select(CarrierBooking).where(CarrierBooking.order_id == row.order_id)
        return list(self.session.exec(query.order_by(col(CarrierBooking.booked_at))).all())

    def booked(self, caller: Caller) -> list[OrderRow]:
        """Orders the caller (a logistics provider) is booked to carry, oldest first."""
        query = (
            select(OrderRow)
            .join(CarrierBooking, col(CarrierBooking.order_id) == col(OrderRow.order_id))
            .where(CarrierBooking.carrier == caller.org_id)
        )
        return list(self.session.exec(query.order_by(col(OrderRow.registered_block))).all())

    def po_number(self, row: OrderRow) -> str:
        doc = self.session.get(StoredDocument, row.document_id)
        return doc.number if doc is not None else ""

    def purchase_order(self, row: OrderRow) -> PurchaseOrder:
        doc = self.session.get(StoredDocument, row.document_id)
        if doc is None:
            raise NotFound(
                f"the document of order {row.order_id} is not held here", code="document_not_found"
            )
        return from_canonical(PurchaseOrder, doc.canonical)

    def out(
        self, row: OrderRow, caller: Caller, tx: Receipt | TxRef | None = None, *, detail: bool = True
    ) -> OrderOut:
        out = self.outs([row], caller, detail=detail)[0]
        out.tx = TxOut.of(tx) if tx else None
        return out

    def outs(self, rows: Sequence[OrderRow], caller: Caller, *, detail: bool = True) -> list[OrderOut]:
        """``rows`` as ``caller`` sees them; with ``detail``, each with its documents and timeline, read for
        the whole page at once (three queries, not three per order)."""
        if not rows:
            return []
        pos = documents_by_id(self.session, (r.document_id for r in rows))
        number = {r.order_id: d.number if (d := pos.get(r.document_id)) else "" for r in rows}
        docs = (
            documents_of_orders(self.session, ((r.buyer, number[r.order_id]) for r in rows)) if detail else {}
        )
        events = timelines(self.session, [[r.order_id] for r in rows]) if detail else [[] for _ in rows]
        return [
            OrderOut(
                id=row.order_id,
                po_number=number[row.order_id],
                buyer=row.buyer,
                supplier=row.supplier,
                currency=row.currency,
                total_minor=row.total,
                invoiced_minor=row.invoiced,
                status=row.status,
                receipts=row.receipts,
                shipments=row.shipments,
                documents=[document_out(d, caller) for d in docs.get((row.buyer, number[row.order_id]), [])],
                timeline=history,
                tx=None,
            )
            for row, history in zip(rows, events, strict=True)
        ]

    def for_caller(self, caller: Caller, page: Page | None = None) -> list[OrderRow]:
        """The caller's orders as buyer or supplier, oldest first; only ``page`` of them when given."""
        query = (
            select(OrderRow)
            .where(or_(OrderRow.buyer == caller.org_id, OrderRow.supplier == caller.org_id))
            .order_by(col(OrderRow.registered_block), col(OrderRow.order_id))
        )
        return list(self.session.exec(page.query(query) if page else query))

    def carried(self, caller: Caller) -> list[OrderRow]:
        """Orders the caller posted shipments on (a logistics provider's), oldest first."""
        query = select(StoredDocument).where(
            StoredDocument.issuer == caller.org_id, StoredDocument.doc_type == "shipment"
        )
        rows = {row.order_id: row for doc in self.session.exec(query) if (row := self.order_of(doc))}
        return sorted(rows.values(), key=lambda row: row.registered_block)

    def order_of(self, doc: StoredDocument) -> OrderRow | None:
        """The order a document belongs to (its buyer's purchase order of that number)."""
        po = purchase_order_document(self.session, doc.buyer, doc.po_number)
        if po is None:
            return None
        return self.session.exec(select(OrderRow).where(OrderRow.document_id == po.doc_id)).first()

    # --- writes -------------------------------------------------------------------------------

    def parse(
        self,
        caller: Caller,
        body: PurchaseOrderIn | None = None,
        *,
        csv: str | None = None,
        supplier: str | None = None,
        cross_border: bool = False,
    ) -> PurchaseOrder:
        """The purchase order a buyer would upload, normalised; nothing is written (``upload`` registers
        it; the web UI's form checks a file with it before it is sent)."""
        if caller.role != "core_enterprise":
            raise Forbidden("only core enterprises (buyers) upload purchase orders", code="role_required")
        if csv is not None:
            if not supplier:
                raise InvalidInput("a CSV upload needs ?supplier=<organisation id>", code="missing_supplier")
            return parse_purchase_order_csv(
                csv, buyer=caller.org_id, supplier=supplier.lower(), cross_border=cross_border
            )
        assert body is not None
        data: dict[str, Any] = body.model_dump(mode="json")
        return parse_purchase_order({**data, "buyer": caller.org_id, "supplier": body.supplier.lower()})

    def upload(
        self,
        caller: Caller,
        body: PurchaseOrderIn | None = None,
        *,
        csv: str | None = None,
        supplier: str | None = None,
        cross_border: bool = False,
    ) -> OrderOut:
        """Anchor the PO document and register the order, as the buyer."""
        chain, _ = self._wired()
        po = self.parse(caller, body, csv=csv, supplier=supplier, cross_border=cross_border)
        if (
            self.session.exec(
                select(StoredDocument).where(
                    StoredDocument.issuer == caller.org_id,
                    StoredDocument.doc_type == "purchase_order",
                    StoredDocument.number == po.po_number,
                )
            ).first()
            is not None
        ):
            raise Conflict(f"purchase order {po.po_number} is uploaded already", code="order_exists")
        supplier_org = self.session.get(Organisation, po.supplier)
        if supplier_org is None or supplier_org.role != "supplier" or supplier_org.status != "active":
            raise InvalidInput(
                f"{po.supplier} is not an active supplier of the consortium", code="invalid_supplier"
            )
        key = signing_key(chain, caller.org_id)
        doc = anchor_document(
            self.session,
            chain,
            key,
            caller.org_id,
            DocumentType.PURCHASE_ORDER,
            po.po_number,
            po,
            po_number=po.po_number,
            buyer=caller.org_id,
        )
        order_id, receipt = chain.orders(key).register_order(
            po.po_number, from_hex32(po.supplier), po.currency, po.total, from_hex32(doc.doc_id)
        )
        self.settle(receipt)
        return self.out(self._get(to_hex32(order_id)), caller, receipt)

    def book_carrier(self, caller: Caller, order_id: str, carrier: str) -> CarrierBooking:
        """The order's buyer or supplier books logistics provider ``carrier`` on it (idempotent). Either
        trading party may: who contracts the main carriage depends on the Incoterm (the seller under C and D
        terms, the buyer under EXW and FOB), which the order does not record."""
        row = self.visible(caller, order_id)
        if caller.org_id not in (row.buyer, row.supplier):
            raise Forbidden("only the order's buyer or supplier books its carrier", code="not_trading_party")
        org = self.session.get(Organisation, carrier.lower())
        if org is None or org.role != "logistics" or org.status != "active":
            raise InvalidInput(
                f"{carrier} is not an active logistics provider of the consortium", code="invalid_carrier"
            )
        existing = self.session.get(CarrierBooking, (row.order_id, org.org_id))
        if existing is not None:
            return existing
        if row.status != "open":
            raise Conflict(f"purchase order {self.po_number(row)} is {row.status}", code="order_not_open")
        booking = CarrierBooking(
            order_id=row.order_id, carrier=org.org_id, booked_by=caller.org_id, booked_at=datetime.now(UTC)
        )
        self.session.add(booking)
        self.session.commit()
        self.session.refresh(booking)
        return booking

    def add_shipment(self, caller: Caller, order_id: str, body: ShipmentIn) -> OrderOut:
        """A booked carrier's shipment; to any other carrier the order does not exist."""
        chain, _ = self._wired()
        if caller.role != "logistics":
            raise Forbidden("only logistics providers post shipments", code="role_required")
        row = self.visible(caller, order_id)
        if not self.is_booked(caller, row):
            raise order_not_found(order_id)
        self.session.refresh(row)
        number = self.po_number(row)
        shipment = parse_shipment(
            {
                **body.model_dump(mode="json"),
                "po_number": number,
                "carrier": caller.org_id,
                "shipper": row.supplier,
                "consignee": row.buyer,
            }
        )
        return self._record_delivery(caller, row, DocumentType.SHIPMENT, body.bl_number, shipment)

    def add_goods_receipt(self, caller: Caller, order_id: str, body: GoodsReceiptIn) -> OrderOut:
        chain, _ = self._wired()
        row = self.visible(caller, order_id)
        if caller.org_id != row.buyer:
            raise Forbidden("only the order's buyer posts goods receipts", code="not_buyer")
        number = self.po_number(row)
        receipt_doc = parse_goods_receipt(
            {
                **body.model_dump(mode="json"),
                "po_number": number,
                "buyer": row.buyer,
                "supplier": row.supplier,
            }
        )
        return self._record_delivery(
            caller, row, DocumentType.GOODS_RECEIPT, body.receipt_number, receipt_doc
        )

    def add_payment(self, caller: Caller, order_id: str, body: PaymentIn) -> OrderOut:
        """The buyer records its payment of the order (evidence for cross-border matching)."""
        chain, _ = self._wired()
        row = self.visible(caller, order_id)
        if caller.org_id != row.buyer:
            raise Forbidden("only the order's buyer records its payments", code="not_buyer")
        number = self.po_number(row)
        payment = parse_payment(
            {**body.model_dump(mode="json"), "po_number": number, "payer": row.buyer, "payee": row.supplier}
        )
        duplicate = self.session.exec(
            select(StoredDocument).where(
                StoredDocument.issuer == caller.org_id,
                StoredDocument.doc_type == "payment",
                StoredDocument.number == payment.payment_ref,
            )
        ).first()
        if duplicate is not None:
            raise Conflict(f"payment {payment.payment_ref} is recorded already", code="payment_exists")
        anchored = anchor_document(
            self.session,
            chain,
            signing_key(chain, caller.org_id),
            caller.org_id,
            DocumentType.OTHER,
            payment.payment_ref,
            payment,
            po_number=number,
            buyer=row.buyer,
            refs=[row.document_id],
            kind="payment",
        )
        _, indexer = self._wired()
        self.session.commit()
        indexer.sync(anchored.anchored_block)
        self.session.expire_all()
        return self.out(self._get(row.order_id), caller, TxRef(anchored.anchored_tx, anchored.anchored_block))

    def _record_delivery(
        self, caller: Caller, row: OrderRow, doc_type: DocumentType, number: str, doc: GoodsReceipt | Shipment
    ) -> OrderOut:
        """Anchor a shipment or goods receipt (citing the PO) and record it on the order."""
        chain, _ = self._wired()
        if row.status != "open":
            raise Conflict(f"purchase order {self.po_number(row)} is {row.status}", code="order_not_open")
        self._check_lines(row, [line.po_line_no for line in doc.lines])
        key = signing_key(chain, caller.org_id)
        anchored = anchor_document(
            self.session,
            chain,
            key,
            caller.org_id,
            doc_type,
            number,
            doc,
            po_number=self.po_number(row),
            buyer=row.buyer,
            refs=[row.document_id],
        )
        orders, ids = chain.orders(key), (from_hex32(row.order_id), from_hex32(anchored.doc_id))
        receipt = (
            orders.record_shipment(*ids) if doc_type is DocumentType.SHIPMENT else orders.record_receipt(*ids)
        )
        self.settle(receipt)
        return self.out(self._get(row.order_id), caller, receipt)

    def _get(self, order_id: str) -> OrderRow:
        row = self.session.get(OrderRow, order_id.lower())
        if row is None:
            raise NotFound(f"no purchase order {order_id}", code="order_not_found")
        self.session.refresh(row)
        return row

    def _check_lines(self, row: OrderRow, line_numbers: list[int]) -> None:
        known = {line.line_no for line in self.purchase_order(row).lines}
        unknown = sorted(set(line_numbers) - known)
        if unknown:
            raise InvalidInput(
                f"lines {unknown} are not on purchase order {self.po_number(row)}", code="line_not_on_po"
            )
