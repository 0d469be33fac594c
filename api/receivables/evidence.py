"""A page of receivables' evidence in a fixed number of queries, whatever the page's size.

Each receivable shows its invoice, its order's purchase order, the order's goods receipts and shipments,
its match result and its financings. Read one receivable at a time that was six queries per row (the
order, each document, the PO's number, the deliveries, the match result, the financings); here it is one
query per table for the whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from api.documents.models import StoredDocument
from api.financing.models import FinancingRow
from api.orders.models import OrderRow
from api.receivables.models import ReceivableRow

DELIVERIES = ("goods_receipt", "shipment")


@dataclass
class Evidence:
    """What one receivable's detail shows besides its own row."""

    documents: list[StoredDocument] = field(default_factory=list)  # invoice, PO, then deliveries
    match: StoredDocument | None = None
    financings: list[FinancingRow] = field(default_factory=list)


def evidence(session: Session, rows: Sequence[ReceivableRow]) -> dict[str, Evidence]:
    """The evidence of each of ``rows``, by receivable id: four queries in all."""
    if not rows:
        return {}
    order_ids = {r.order_id for r in rows}
    orders = {
        o.order_id: o for o in session.exec(select(OrderRow).where(col(OrderRow.order_id).in_(order_ids)))
    }
    doc_ids = {r.invoice_doc for r in rows} | {o.document_id for o in orders.values()}
    doc_ids |= {r.match_result for r in rows if r.match_result}
    docs = {
        d.doc_id: d
        for d in session.exec(select(StoredDocument).where(col(StoredDocument.doc_id).in_(doc_ids)))
    }
    # an order's documents are those of its buyer under its PO's number ("" when the PO is not held here)
    numbers = {o.order_id: d.number if (d := docs.get(o.document_id)) else "" for o in orders.values()}
    deliveries: dict[tuple[str, str], list[StoredDocument]] = defaultdict(list)
    query = (
        select(StoredDocument)
        .where(
            col(StoredDocument.buyer).in_({o.buyer for o in orders.values()}),
            col(StoredDocument.po_number).in_(set(numbers.values())),
            col(StoredDocument.doc_type).in_(DELIVERIES),
        )
        .order_by(col(StoredDocument.anchored_block))
    )
    for d in session.exec(query) if orders else ():
        deliveries[(d.buyer, d.po_number)].append(d)
    financings: dict[str, list[FinancingRow]] = defaultdict(list)
    query_f = (
        select(FinancingRow)
        .where(col(FinancingRow.receivable_id).in_({r.receivable_id for r in rows}))
        .order_by(col(FinancingRow.requested_block))
    )
    for f in session.exec(query_f):
        financings[f.receivable_id].append(f)
    out: dict[str, Evidence] = {}
    for r in rows:
        order = orders.get(r.order_id)
        ids = [r.invoice_doc] + ([order.document_id] if order else [])
        shown = [d for i in ids if (d := docs.get(i)) is not None]
        if order is not None:
            shown += deliveries.get((order.buyer, numbers[order.order_id]), [])
        match = docs.get(r.match_result) if r.match_result else None
        out[r.receivable_id] = Evidence(shown, match, financings.get(r.receivable_id, []))
    return out
