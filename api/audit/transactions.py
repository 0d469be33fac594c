"""The penetrating view (穿透式) of a transaction: a receivable or an order through every layer.

A receivable's transaction is its order, its invoice and its lineage (the root it was split from and
every part, each with its holders); an order's is the order with all its invoices and receivables.
The auditor opens it if one of its parties authorised it (buyer, supplier, carrier, a creditor,
debtor or holder of one of its receivables, a holder or financier of one of its financings); else
404, as for an id that does not exist. Inside, each layer follows the rule of the existing reads for
the parties that authorised the auditor (see ``TransactionOut``), and each comes with its anchor from
the index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from sqlmodel import Session, col, select

from api.audit import log
from api.audit.schemas import HolderOut, Layer, ReceivableNode, RepaymentOut, TransactionOut
from api.audit.service import Auditing, ChainSource, as_party, document_layer, layer
from api.carbon.account import StatementOut, statement_out
from api.carbon.models import StatementRow
from api.carbon.router import ReadingOut, anchored_roots, reading_out
from api.carbon.service import FreightSubject, bound_readings, freight_of_order
from api.customs import service as customs
from api.customs.schemas import DeclarationOut, declaration_out
from api.documents.access import declaration_parties, may_open
from api.documents.models import StoredDocument
from api.documents.service import content, documents_of_order, purchase_order_document
from api.financing.models import FinancingRow
from api.financing.schemas import FinancingOut
from api.financing.service import FinancingService
from api.orders.models import OrderRow
from api.orders.schemas import DocumentOut, EventOut
from api.orders.service import OrdersService, timeline
from api.participants.models import OrganisationAccount
from api.receivables.models import ReceivableRow
from api.receivables.projection import ZERO, receivable_hex
from api.receivables.service import ReceivablesService
from chain.errors import NotFound
from chain.index_models import ChainEventRow

Kind = Literal["receivable", "order"]


def transaction(session: Session, chain: ChainSource, audit: Auditing, tx_id: str) -> TransactionOut:
    found = _find(session, tx_id.lower())
    if found is None:
        raise _not_found(tx_id)
    kind, order, receivables = found
    financings = _financings(session, receivables)
    shipments = _docs(session, order, "shipment") if order is not None else []
    parties = {order.buyer, order.supplier} if order is not None else set()
    parties |= {d.issuer for d in shipments}
    parties |= {p for r in receivables for p in (r.creditor, r.debtor, r.holder)}
    parties |= {p for f in financings for p in (f.holder, f.financier) if p}
    authorising = parties & audit.subjects
    if not authorising:
        raise _not_found(tx_id)
    log.note(authorising, tx_id.lower())
    view = _View(session, audit)
    shown = view.receivables(receivables, financings)
    nodes = [view.receivable(r, receivables) for r in shown]
    return TransactionOut(
        id=tx_id.lower(),
        kind=kind,
        authorised_by=sorted(authorising),
        receivables=nodes,
        financings=[
            view.financing(f) for f in financings if f.receivable_id in {r.receivable_id for r in shown}
        ],
        repayments=[
            _repayment(e, view.org_of(e.args["holder"]))
            for n in nodes
            for e in n.events
            if e.event == "RepaymentMade"
        ],
        **(view.order_layers(chain, order, receivables, tx_id.lower()) if order is not None else {}),
    )


def _not_found(tx_id: str) -> NotFound:
    return NotFound(
        f"no receivable or order {tx_id} of an organisation you may audit; "
        "list them with GET /api/v1/audit/organisations/{org}/receivables",
        code="transaction_not_found",
    )


def _find(session: Session, tx_id: str) -> tuple[Kind, OrderRow | None, list[ReceivableRow]] | None:
    """The transaction's kind, order (none for a letter of credit's deferred payment) and receivables."""
    receivable = session.get(ReceivableRow, tx_id)
    if receivable is not None:
        order = session.get(OrderRow, receivable.order_id)
        return "receivable", order, _lineage(session, [_root(session, receivable)])
    order = session.get(OrderRow, tx_id)
    if order is None:
        return None
    query = select(ReceivableRow).where(
        ReceivableRow.order_id == order.order_id, col(ReceivableRow.parent).is_(None)
    )
    roots = session.exec(query.order_by(col(ReceivableRow.issued_block), col(ReceivableRow.receivable_id)))
    return "order", order, _lineage(session, list(roots))


def _root(session: Session, row: ReceivableRow) -> ReceivableRow:
    """The receivable ``row`` was split from, at any depth (itself if it was issued whole)."""
    while row.parent is not None:
        parent = session.get(ReceivableRow, row.parent)
        if parent is None:
            break
        row = parent
    return row


def _lineage(session: Session, roots: list[ReceivableRow]) -> list[ReceivableRow]:
    """``roots`` and their parts, generation by generation, each split's parts in the split's order."""
    found, generation = [], roots
    while generation:
        found += generation
        generation = [part for row in generation for part in _parts(session, row)]
    return found


def _parts(session: Session, row: ReceivableRow) -> list[ReceivableRow]:
    token = int(row.receivable_id, 16)
    query = select(ChainEventRow).where(
        ChainEventRow.contract == "Receivables",
        ChainEventRow.name == "ReceivableSplit",
        col(ChainEventRow.args).contains(str(token)),
    )
    split = next((json.loads(e.args) for e in session.exec(query) if json.loads(e.args)["id"] == token), None)
    parts = [session.get(ReceivableRow, receivable_hex(int(c))) for c in split["children"]] if split else []
    return [p for p in parts if p is not None]


def _financings(session: Session, receivables: list[ReceivableRow]) -> list[FinancingRow]:
    ids = [r.receivable_id for r in receivables]
    query = select(FinancingRow).where(col(FinancingRow.receivable_id).in_(ids))
    return list(session.exec(query.order_by(col(FinancingRow.requested_block))))


def _po_number(session: Session, order: OrderRow) -> str:
    return OrdersService(session).po_number(order)


def _docs(session: Session, order: OrderRow, kind: str) -> list[StoredDocument]:
    return documents_of_order(session, order.buyer, _po_number(session, order), kind)


class _View:
    """The layers as the parties that authorised the auditor see them."""

    def __init__(self, session: Session, audit: Auditing) -> None:
        self.session = session
        self.audit = audit
        self.subjects = audit.subjects

    def order_layers(
        self, chain: ChainSource, order: OrderRow, receivables: list[ReceivableRow], tx_id: str
    ) -> dict[str, Any]:
        """The order and what hangs off it: documents, logistics, customs, carbon."""
        session = self.session
        ids = {r.receivable_id for r in receivables}
        freight = freight_of_order(session, order)
        out = OrdersService(session).out(order, as_party(order.buyer), detail=False)
        return {
            "order": layer(session, out, order.order_id, {"OrderRegistered"}),
            "purchase_order": self.document(
                purchase_order_document(session, order.buyer, _po_number(session, order))
            ),
            "shipments": self.documents(_docs(session, order, "shipment")),
            "goods_receipts": self.documents(_docs(session, order, "goods_receipt")),
            "customs": self.declarations(chain, order, freight),
            "payments": self.documents(_docs(session, order, "payment")),
            "invoices": self.documents(
                d
                for d in _docs(session, order, "invoice")
                if d.doc_id in {r.invoice_doc for r in receivables}
            ),
            "match_results": self.documents(
                d for d in _docs(session, order, "match_result") if content(d)["subject"] in ids
            ),
            "carbon_statements": self.statements(chain, freight),
            "readings": self.readings(freight, tx_id),
        }

    def document(self, row: StoredDocument | None) -> Layer[DocumentOut] | None:
        return document_layer(self.session, self.audit.caller, row) if row is not None else None

    def documents(self, rows: Iterable[StoredDocument]) -> list[Layer[DocumentOut]]:
        return [document_layer(self.session, self.audit.caller, row) for row in rows]

    def receivables(self, rows: list[ReceivableRow], financings: list[FinancingRow]) -> list[ReceivableRow]:
        """The receivables one of the subjects sees: as creditor, debtor, holder or financier."""
        financed = {f.receivable_id for f in financings if f.financier in self.subjects}
        return [
            r for r in rows if {r.creditor, r.debtor, r.holder} & self.subjects or r.receivable_id in financed
        ]

    def receivable(self, row: ReceivableRow, lineage: list[ReceivableRow]) -> Layer[ReceivableNode]:
        out = ReceivablesService(self.session).out(row, as_party(row.holder), detail=False)
        token = str(int(row.receivable_id, 16))
        events = layer(self.session, out, token, {"ReceivableIssued", "ReceivableSplit"})
        node = ReceivableNode(
            **out.model_dump(),
            children=[r.receivable_id for r in lineage if r.parent == row.receivable_id],
            holders=[
                HolderOut(
                    organisation=self.org_of(e.args["to"]),
                    account=e.args["to"],
                    block=e.block,
                    tx_hash=e.tx_hash,
                )
                for e in events.events
                if (e.contract, e.event) == ("Receivables", "Transfer") and e.args["to"] != ZERO
            ],
        )
        return Layer[ReceivableNode](record=node, anchor=events.anchor, events=events.events)

    def financing(self, row: FinancingRow) -> Layer[FinancingOut]:
        out = FinancingService(self.session).out(row, as_party(row.holder))  # the holder sees every offer
        out.offers = [o for o in out.offers if row.holder in self.subjects or o.financier in self.subjects]
        return layer(self.session, out, row.financing_id, {"FinancingRequested"})

    def declarations(
        self, chain: ChainSource, order: OrderRow, freight: FreightSubject
    ) -> list[DeclarationOut]:
        ids = customs.declarations_of_order(
            self.session,
            buyer=order.buyer,
            supplier=order.supplier,
            po_number=_po_number(self.session, order),
            waybills=[s.bl_number for s in freight.shipments],
        )
        found = []
        for declaration_id in ids:
            view = customs.view(self.session, chain(), declaration_id)
            out = declaration_out(self.session, view)
            if not may_open(self.session, self.audit.caller, declaration_parties(view.row), declaration_id):
                out.content = None
            found.append(out)
        return found

    def statements(self, chain: ChainSource, freight: FreightSubject) -> list[Layer[StatementOut]]:
        """Scope 3 statements whose subject is the order or one of its shipments (checked on chain)."""
        roots = {r.batch_root for r in bound_readings(self.session, [s.binding for s in freight.shipments])}
        about = {freight.subject} | {s.binding for s in freight.shipments}
        query = select(StatementRow).where(StatementRow.scope == 3)
        candidates = [
            s
            for s in self.session.exec(query.order_by(col(StatementRow.submitted_block)))
            if roots & set(json.loads(s.batches))
        ]
        found = []
        for row in candidates:
            on_chain = chain().carbon().call("statement", bytes.fromhex(row.statement_id[2:]))
            if "0x" + bytes(on_chain[6]).hex() in about:
                found.append(
                    layer(self.session, statement_out(row), row.statement_id, {"StatementSubmitted"})
                )
        return found

    def readings(self, freight: FreightSubject, tx_id: str) -> list[Layer[ReadingOut]]:
        """Readings bound to the shipments, of devices whose owner authorised the auditor."""
        rows = [
            r
            for r in bound_readings(self.session, [s.binding for s in freight.shipments])
            if r.owner in self.subjects
        ]
        log.note({r.owner for r in rows}, tx_id)
        anchored = anchored_roots(self.session, rows)
        batches = {
            root: next((e for e in timeline(self.session, root) if e.event == "ReadingBatchAnchored"), None)
            for root in {str(r.batch_root) for r in rows}
        }
        return [
            Layer[ReadingOut](record=reading_out(r, anchored), anchor=batches[str(r.batch_root)], events=[])
            for r in rows
        ]

    def org_of(self, account: str) -> str | None:
        query = select(OrganisationAccount.org_id).where(OrganisationAccount.address == account)
        return self.session.exec(query).first()


def _repayment(e: EventOut, holder: str | None) -> RepaymentOut:
    return RepaymentOut(
        receivable_id=receivable_hex(int(e.args["receivable"])),
        amount_minor=int(e.args["amount"]),
        debtor=e.args["debtor"],
        holder=holder,
        block=e.block,
        tx_hash=e.tx_hash,
    )
