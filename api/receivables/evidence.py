"""A page of receivables' evidence in a fixed number of queries, whatever the page's size.

Each receivable shows its invoice, its order's purchase order, the order's goods receipts and shipments,
its match result and its financings. Read one receivable at a time that was six queries per row (the
order, each document, the PO's number, the deliveries, the match result, the financings); here it is one
query per table for the whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from api.documents.models import StoredDocument
from api.documents.service import documents_by_id, documents_of_orders
from api.financing.models import FinancingRow
from api.orders.models import OrderRow
from api.receivables.models import ReceivableRow

DELIVERIES = ("goods_receipt", "shipment")

# built once, lists as expanding parameters: building a statement per request cost more than running it
_ORDERS = select(OrderRow).where(col(OrderRow.order_id).in_(bindparam("ids", expanding=True)))
_FINANCINGS = (
    select(FinancingRow)
    .where(col(FinancingRow.receivable_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(FinancingRow.requested_block))
)


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
    orders = {o.order_id: o for o in session.exec(_ORDERS, params={"ids": list(order_ids)})}
    doc_ids = {r.invoice_doc for r in rows} | {o.document_id for o in orders.values()}
    doc_ids |= {r.match_result for r in rows if r.match_result}
    docs = documents_by_id(session, doc_ids)
    # an order's documents are those of its buyer under its PO's number ("" when the PO is not held here)
    numbers = {o.order_id: d.number if (d := docs.get(o.document_id)) else "" for o in orders.values()}
    of_orders = documents_of_orders(session, ((o.buyer, numbers[o.order_id]) for o in orders.values()))
    financings: dict[str, list[FinancingRow]] = defaultdict(list)
    for f in session.exec(_FINANCINGS, params={"ids": list({r.receivable_id for r in rows})}):
        financings[f.receivable_id].append(f)
    out: dict[str, Evidence] = {}
    for r in rows:
        order = orders.get(r.order_id)
        ids = [r.invoice_doc] + ([order.document_id] if order else [])
        shown = [d for i in ids if (d := docs.get(i)) is not None]
        if order is not None:
            shown += [
                d for d in of_orders[(order.buyer, numbers[order.order_id])] if d.doc_type in DELIVERIES
            ]
        match = docs.get(r.match_result) if r.match_result else None
        out[r.receivable_id] = Evidence(shown, match, financings.get(r.receivable_id, []))
    return out
