"""Invoices become receivables.

Issuance with double-financing checks, three-document matching and its attestation, confirmation,
split and transfer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy import ColumnElement
from sqlmodel import col, or_, select

from api.auth.service import Caller
from api.customs.service import evidence_for_order
from api.db import Page
from api.documents.models import StoredDocument
from api.documents.service import anchor_document, documents_of_order
from api.financing.models import FinancingRow
from api.orders.models import OrderRow
from api.orders.schemas import DocumentOut
from api.orders.service import OrdersService, document_out
from api.participants.models import Organisation
from api.participants.schemas import TxOut
from api.participants.service import ParticipantsService
from api.receivables.evidence import evidence
from api.receivables.models import MatchingTolerance, ReceivableRow
from api.receivables.projection import receivable_hex
from api.receivables.schemas import DiscrepancyOut, InvoiceIn, MatchOut, ReceivableOut, SplitOut
from api.runtime import signing_key
from api.service_base import ChainService
from api.timeline.service import timelines
from api.trade.crossborder import combine, match_cross_border
from api.trade.documents import (
    GoodsReceipt,
    Invoice,
    PaymentAdvice,
    Shipment,
    from_canonical,
    invoice_fingerprint,
    parse_invoice,
    read_json,
)
from api.trade.matching import MatchResult, Tolerance, match
from chain.client import OPERATOR, Chain
from chain.errors import ChainRevert, Conflict, Forbidden, InvalidInput, NotFound
from chain.ids import from_hex32, number_hash
from chain.sender import Receipt
from chain.trade_contracts import DocumentType, MatchStatus

MATCH_STATUS = {
    "matched": MatchStatus.MATCHED,
    "matched_within_tolerance": MatchStatus.MATCHED_WITHIN_TOLERANCE,
    "discrepant": MatchStatus.DISCREPANT,
}


def _match_out(doc: StoredDocument | None) -> MatchOut | None:
    """The match result document as the receivable shows it."""
    if doc is None:
        return None
    data = read_json(doc.canonical)
    return MatchOut(
        status=data["status"],
        rules_version=data["rules_version"],
        result_hash=data["result_hash"],
        discrepancies=[DiscrepancyOut(**d) for d in data["discrepancies"]],
        document=doc.doc_id,
        tolerance=data.get("tolerance"),
    )


class ReceivablesService(ChainService):
    # --- reads --------------------------------------------------------------------------------

    def visible(self, caller: Caller, receivable_id: str) -> ReceivableRow:
        """The receivable if the caller may see it; otherwise 404, whether it exists or not."""
        row = self.session.get(ReceivableRow, receivable_id.lower())
        if row is None or not self._may_see(caller, row):
            raise NotFound(
                f"no receivable {receivable_id} of yours; list them with GET /api/v1/receivables",
                code="receivable_not_found",
            )
        return row

    def _may_see(self, caller: Caller, row: ReceivableRow) -> bool:
        if caller.org_id in (row.creditor, row.debtor, row.holder):
            return True
        if caller.role != "financier":
            return False
        financings = self.session.exec(
            select(FinancingRow).where(FinancingRow.receivable_id == row.receivable_id)
        )
        return any(f.status == "requested" or f.financier == caller.org_id for f in financings)

    def for_caller(self, caller: Caller, page: Page | None = None) -> list[ReceivableRow]:
        """Receivables the caller issued, owes or holds (financiers: also those offered to them), oldest
        first; only ``page`` of them when given (paged in SQL)."""
        seen: list[ColumnElement[bool]] = [
            col(ReceivableRow.creditor) == caller.org_id,
            col(ReceivableRow.debtor) == caller.org_id,
            col(ReceivableRow.holder) == caller.org_id,
        ]
        if caller.role == "financier":
            offered = select(FinancingRow.receivable_id).where(
                or_(FinancingRow.status == "requested", FinancingRow.financier == caller.org_id)
            )
            seen.append(col(ReceivableRow.receivable_id).in_(offered))
        query = (
            select(ReceivableRow)
            .where(or_(*seen))
            .order_by(col(ReceivableRow.issued_block), col(ReceivableRow.receivable_id))
        )
        return list(self.session.exec(page.query(query) if page else query))

    def out(
        self, row: ReceivableRow, caller: Caller, receipt: Receipt | None = None, *, detail: bool = True
    ) -> ReceivableOut:
        out = self.outs([row], caller, detail=detail)[0]
        out.tx = TxOut.of(receipt) if receipt else None
        return out

    def outs(
        self, rows: Sequence[ReceivableRow], caller: Caller, *, detail: bool = True
    ) -> list[ReceivableOut]:
        """``rows`` as ``caller`` sees them; with ``detail``, each with its evidence and timeline, read for
        the whole page at once (a fixed number of queries, not a few per row)."""
        if not detail:
            return [self._out(row, [], None, []) for row in rows]
        proofs = evidence(self.session, rows)
        shown = []
        for row in rows:
            proof = proofs[row.receivable_id]
            documents = [document_out(d, caller) for d in proof.documents]
            financings = [f.model_dump() for f in proof.financings]
            shown.append(self._out(row, documents, _match_out(proof.match), financings))
        events = timelines(
            self.session,
            [self._evidence_ids(r, o.documents, o.financings) for r, o in zip(rows, shown, strict=True)],
        )
        for out, timeline in zip(shown, events, strict=True):
            out.timeline = timeline
        return shown

    @staticmethod
    def _out(
        row: ReceivableRow,
        documents: list[DocumentOut],
        match_out: MatchOut | None,
        financings: list[dict[str, object]],
    ) -> ReceivableOut:
        return ReceivableOut(
            id=row.receivable_id,
            creditor=row.creditor,
            debtor=row.debtor,
            holder=row.holder,
            order_id=row.order_id,
            currency=row.currency,
            face_value_minor=row.face_value,
            repaid_minor=row.repaid,
            status=row.status,
            match_status=row.match_status,
            waived=row.waived,
            due_date=row.due_date,
            parent=row.parent,
            match=match_out,
            documents=documents,
            financings=financings,
            timeline=[],
            tx=None,
        )

    @staticmethod
    def _evidence_ids(
        row: ReceivableRow, documents: list[DocumentOut], financings: list[dict[str, object]]
    ) -> list[str]:
        """Everything the receivable's one timeline follows: itself and its parent, its order, every
        document of the evidence (PO, deliveries, invoice, match result) and its financings."""
        ids = [str(int(row.receivable_id, 16)), row.order_id, row.invoice_doc]
        ids += [str(int(row.parent, 16))] if row.parent else []
        ids += [row.match_result] if row.match_result else []
        ids += [d.id for d in documents] + [str(f["financing_id"]) for f in financings]
        return ids

    def tolerance(self, buyer: str) -> Tolerance:
        row = self.session.get(MatchingTolerance, buyer)
        if row is None:
            return Tolerance()
        return Tolerance(Decimal(row.price_pct), Decimal(row.qty_pct), row.amount_abs)

    # --- writes -------------------------------------------------------------------------------

    def issue(self, caller: Caller, body: InvoiceIn) -> ReceivableOut:
        """The supplier's invoice becomes a receivable; it is matched and the result attested at once."""
        chain, _ = self._wired()
        orders = OrdersService(self.session)
        order = orders.visible(caller, body.order_id)
        if caller.org_id != order.supplier:
            raise Forbidden("only the order's supplier invoices it", code="not_supplier")
        po = orders.purchase_order(order)
        data = body.model_dump(mode="json", exclude={"order_id"})
        invoice = parse_invoice(
            {**data, "po_number": po.po_number, "supplier": caller.org_id, "buyer": order.buyer}
        )
        if invoice.currency != order.currency:
            raise InvalidInput(
                f"the invoice is in {invoice.currency} but the order in {order.currency}; "
                f"invoice in {order.currency}",
                code="currency_mismatch",
            )
        due = int(datetime.combine(invoice.due_date, time(), tzinfo=UTC).timestamp())
        self._check_new(chain, invoice, order, due)

        key = signing_key(chain, caller.org_id)
        doc = anchor_document(
            self.session,
            chain,
            key,
            caller.org_id,
            DocumentType.INVOICE,
            invoice.invoice_number,
            invoice,
            po_number=po.po_number,
            buyer=order.buyer,
            refs=[order.document_id],
        )
        fingerprint = invoice_fingerprint(invoice)
        rid, receipt = chain.receivables(key).issue(
            invoice.invoice_number,
            from_hex32(order.order_id),
            from_hex32(doc.doc_id),
            fingerprint,
            invoice.total,
            due,
        )
        self.session.commit()
        result = self._match(order, invoice)
        receipt = self._attest(chain, rid, order, doc, result) or receipt
        self.settle(receipt)
        return self.out(self._get(receivable_hex(rid)), caller, receipt)

    def _check_new(self, chain: Chain, invoice: Invoice, order: OrderRow, due: int) -> None:
        """Refuse a duplicate before anything is written, naming the receivable it duplicates."""
        contract = chain.receivables()
        rid = int(
            contract.call(
                "receivableId",
                from_hex32(invoice.supplier),
                from_hex32(order.buyer),
                number_hash(invoice.invoice_number),
            )
        )
        try:
            contract.receivable(rid)
        except ChainRevert as exc:
            if exc.error != "ReceivableUnknown":
                raise
        else:
            raise Conflict(
                f"invoice {invoice.invoice_number} is receivable {receivable_hex(rid)} already",
                code="receivable_already_issued",
                existing=receivable_hex(rid),
            )
        existing = int(contract.call("byFingerprint", invoice_fingerprint(invoice)))
        if existing:
            raise Conflict(
                "the same invoice (same parties, order, amounts and date) is receivable "
                f"{receivable_hex(existing)} already, under another number",
                code="receivable_duplicate_invoice",
                existing=receivable_hex(existing),
            )
        on_chain = chain.orders().order(from_hex32(order.order_id))
        if on_chain.invoiced + invoice.total > on_chain.total:
            raise Conflict(
                f"invoicing {invoice.total} more would exceed the order total {on_chain.total} "
                f"({on_chain.invoiced} invoiced already)",
                code="purchase_order_over_invoiced",
            )
        if due <= int(datetime.now(UTC).timestamp()):
            raise InvalidInput("the due date must be in the future", code="invalid_due_date")

    def _match(self, order: OrderRow, invoice: Invoice) -> MatchResult:
        orders = OrdersService(self.session)
        po = orders.purchase_order(order)
        number = orders.po_number(order)

        def docs(kind: str) -> list[StoredDocument]:
            return documents_of_order(self.session, order.buyer, number, kind)

        receipts = [from_canonical(GoodsReceipt, d.canonical) for d in docs("goods_receipt")]
        shipments = [from_canonical(Shipment, d.canonical) for d in docs("shipment")]
        prior = [
            from_canonical(Invoice, d.canonical)
            for d in docs("invoice")
            if json.loads(d.canonical)["invoice_number"] != invoice.invoice_number
        ]
        tolerance = self.tolerance(order.buyer)
        result = match(po, receipts, shipments, invoice, prior_invoices=prior, tolerance=tolerance)
        if not po.cross_border:
            return result
        chain, _ = self._wired()
        payments = [from_canonical(PaymentAdvice, d.canonical) for d in docs("payment")]
        declarations, statuses = evidence_for_order(
            self.session,
            chain,
            buyer=order.buyer,
            supplier=order.supplier,
            po_number=number,
            waybills=[s.bl_number for s in shipments],
        )
        customs = match_cross_border(
            po, payments, shipments, declarations, customs=statuses, tolerance=tolerance
        )
        return combine(result, customs)

    def _attest(
        self, chain: Chain, rid: int, order: OrderRow, invoice_doc: StoredDocument, result: MatchResult
    ) -> Receipt | None:
        """Anchor the match result (citing its inputs) and attest it on the receivable, as the platform."""
        number = OrdersService(self.session).po_number(order)
        inputs = [
            d.doc_id
            for d in self.session.exec(
                select(StoredDocument).where(
                    StoredDocument.buyer == order.buyer, StoredDocument.po_number == number
                )
            )
            if d.doc_type != "match_result"
        ]
        document = result.as_document(receivable_hex(rid), self.tolerance(order.buyer))
        operator = self.session.exec(select(Organisation).where(Organisation.role == "operator")).one()
        match_number = f"match-{receivable_hex(rid)[2:18]}-{invoice_doc.doc_id[2:10]}"
        earlier = self.session.exec(
            select(StoredDocument).where(
                StoredDocument.issuer == operator.org_id,
                StoredDocument.doc_type == "match_result",
                col(StoredDocument.number).startswith(match_number),
            )
        ).all()
        if earlier:  # a new match of the same receivable: numbered after the ones before
            match_number += f"-{len(earlier) + 1}"
        doc = anchor_document(
            self.session,
            chain,
            OPERATOR,
            operator.org_id,
            DocumentType.MATCH_RESULT,
            match_number,
            document,
            po_number=number,
            buyer=order.buyer,
            refs=sorted(inputs),
        )
        return chain.receivables(OPERATOR).attest_match(
            rid, MATCH_STATUS[result.status], from_hex32(doc.doc_id)
        )

    def rematch(self, caller: Caller, receivable_id: str) -> ReceivableOut:
        """Match an issued receivable again on the evidence there is now (a later goods receipt, a
        payment, a customs declaration cleared since), anchor the new result and attest it."""
        chain, _ = self._wired()
        row = self.visible(caller, receivable_id)
        if caller.org_id not in (row.creditor, row.debtor):
            raise Forbidden("only the receivable's creditor or debtor asks for a new match", code="not_party")
        if row.status != "issued":
            raise Conflict(
                f"receivable {row.receivable_id} is {row.status}; only an issued one is matched again",
                code="receivable_not_issued",
            )
        order = self.session.get(OrderRow, row.order_id)
        invoice_doc = self.session.get(StoredDocument, row.invoice_doc)
        if order is None or invoice_doc is None:
            raise NotFound(
                f"the evidence of receivable {row.receivable_id} is not held here", code="no_evidence"
            )
        invoice = from_canonical(Invoice, invoice_doc.canonical)
        result = self._match(order, invoice)
        receipt = self._attest(chain, int(row.receivable_id, 16), order, invoice_doc, result)
        assert receipt is not None
        self.settle(receipt)
        return self.out(self._get(row.receivable_id), caller, receipt)

    def confirm(self, caller: Caller, receivable_id: str, *, waive: bool) -> ReceivableOut:
        chain, _ = self._wired()
        row = self.visible(caller, receivable_id)
        if caller.org_id != row.debtor:
            raise Forbidden("only the debtor confirms a receivable", code="not_debtor")
        receipt = chain.receivables(signing_key(chain, caller.org_id)).confirm(
            int(row.receivable_id, 16), waive=waive
        )
        self.settle(receipt)
        return self.out(self._get(row.receivable_id), caller, receipt)

    def split(self, caller: Caller, receivable_id: str, amounts: list[int]) -> SplitOut:
        chain, _ = self._wired()
        row = self._held(caller, receivable_id)
        children, receipt = chain.receivables(signing_key(chain, caller.org_id)).split(
            int(row.receivable_id, 16), amounts
        )
        self.settle(receipt)
        parts = [self.out(self._get(receivable_hex(c)), caller, detail=False) for c in children]
        return SplitOut(
            parent=self.out(self._get(row.receivable_id), caller, detail=False),
            parts=parts,
            tx=TxOut.of(receipt),
        )

    def transfer(self, caller: Caller, receivable_id: str, to: str) -> ReceivableOut:
        chain, _ = self._wired()
        row = self._held(caller, receivable_id)
        target = self.session.get(Organisation, to.lower())
        if target is None or target.status != "active":
            raise InvalidInput(f"{to} is not an active member organisation", code="invalid_receiver")
        account = ParticipantsService(self.session).primary_account(target.org_id)
        receipt = chain.receivables(signing_key(chain, caller.org_id)).transfer(
            int(row.receivable_id, 16), account
        )
        self.settle(receipt)
        return self.out(self._get(row.receivable_id), caller, receipt)

    def _held(self, caller: Caller, receivable_id: str) -> ReceivableRow:
        row = self.visible(caller, receivable_id)
        if caller.org_id != row.holder:
            raise Forbidden("only the holder of a receivable may do this", code="not_holder")
        return row

    def _get(self, receivable_id: str) -> ReceivableRow:
        row = self.session.get(ReceivableRow, receivable_id)
        if row is None:
            raise NotFound(f"no receivable {receivable_id}", code="receivable_not_found")
        return row
