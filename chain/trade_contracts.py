"""Typed wrappers of the trade contracts: documents, orders, receivables, settlement token."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from hexbytes import HexBytes

from chain.contracts import BoundContract
from chain.currencies import currency_bytes, currency_code
from chain.ids import number_hash
from chain.sender import Receipt


class DocumentType(IntEnum):
    """``IDocumentRegistry.DocumentType``."""

    NONE = 0
    PURCHASE_ORDER = 1
    GOODS_RECEIPT = 2
    SHIPMENT = 3
    INVOICE = 4
    MATCH_RESULT = 5
    CUSTOMS_DECLARATION = 6
    OTHER = 7


class ReceivableStatus(IntEnum):
    NONE = 0
    ISSUED = 1
    CONFIRMED = 2
    SPLIT = 3
    REPAID = 4
    OVERDUE = 5


class MatchStatus(IntEnum):
    PENDING = 0
    MATCHED = 1
    MATCHED_WITHIN_TOLERANCE = 2
    DISCREPANT = 3


def _b32(value: Any) -> bytes:
    return bytes(HexBytes(value))


@dataclass(frozen=True)
class DocumentView:
    id: bytes
    doc_type: DocumentType
    issuer: bytes
    commitment: bytes
    previous: bytes
    superseded_by: bytes
    version: int
    anchored_at: int
    refs: tuple[bytes, ...]


class DocumentRegistryContract(BoundContract):
    def anchor(
        self, doc_type: DocumentType, number: str, commitment: bytes, refs: list[bytes] | None = None
    ) -> tuple[bytes, Receipt]:
        receipt = self.transact("anchor", int(doc_type), number_hash(number), commitment, refs or [])
        return _b32(self.event(receipt, "DocumentAnchored").args["id"]), receipt

    def amend(
        self, previous: bytes, commitment: bytes, refs: list[bytes] | None = None
    ) -> tuple[bytes, Receipt]:
        receipt = self.transact("amend", previous, commitment, refs or [])
        return _b32(self.event(receipt, "DocumentAnchored").args["id"]), receipt

    def document(self, doc_id: bytes) -> DocumentView:
        t, issuer, commitment, previous, superseded, version, at, refs = self.call("document", doc_id)
        return DocumentView(
            doc_id,
            DocumentType(t),
            bytes(issuer),
            bytes(commitment),
            bytes(previous),
            bytes(superseded),
            version,
            at,
            tuple(bytes(r) for r in refs),
        )


@dataclass(frozen=True)
class OrderView:
    id: bytes
    buyer: bytes
    supplier: bytes
    currency: str
    status: str
    registered_at: int
    receipts: int
    shipments: int
    total: int
    invoiced: int
    document: bytes


ORDER_STATUS = {0: "none", 1: "open", 2: "cancelled"}


class PurchaseOrdersContract(BoundContract):
    def register_order(
        self, po_number: str, supplier: bytes, currency: str, total: int, document: bytes
    ) -> tuple[bytes, Receipt]:
        receipt = self.transact(
            "registerOrder", number_hash(po_number), supplier, currency_bytes(currency), total, document
        )
        return _b32(self.event(receipt, "OrderRegistered").args["id"]), receipt

    def record_receipt(self, order: bytes, receipt_doc: bytes) -> Receipt:
        return self.transact("recordReceipt", order, receipt_doc)

    def record_shipment(self, order: bytes, shipment_doc: bytes) -> Receipt:
        return self.transact("recordShipment", order, shipment_doc)

    def cancel_order(self, order: bytes) -> Receipt:
        return self.transact("cancelOrder", order)

    def order(self, order: bytes) -> OrderView:
        o = list(self.call("order", order))
        return OrderView(
            id=order,
            buyer=bytes(o[0]),
            supplier=bytes(o[1]),
            currency=currency_code(bytes(o[2])),
            status=ORDER_STATUS[o[3]],
            registered_at=int(o[4]),
            receipts=int(o[5]),
            shipments=int(o[6]),
            total=int(o[7]),
            invoiced=int(o[8]),
            document=bytes(o[9]),
        )


@dataclass(frozen=True)
class ReceivableView:
    id: int
    creditor: bytes
    debtor: bytes
    order: bytes
    invoice: bytes
    currency: str
    status: ReceivableStatus
    match_status: MatchStatus
    waived: bool
    issued_at: int
    due_date: int
    face_value: int
    repaid: int
    parent: int
    fingerprint: bytes
    match_result: bytes


class ReceivablesContract(BoundContract):
    def issue(
        self,
        invoice_number: str,
        order: bytes,
        invoice_doc: bytes,
        fingerprint: bytes,
        face_value: int,
        due_date: int,
    ) -> tuple[int, Receipt]:
        receipt = self.transact(
            "issue", number_hash(invoice_number), order, invoice_doc, fingerprint, face_value, due_date
        )
        return int(self.event(receipt, "ReceivableIssued").args["id"]), receipt

    def attest_match(self, receivable: int, status: MatchStatus, match_doc: bytes) -> Receipt:
        return self.transact("attestMatch", receivable, int(status), match_doc)

    def confirm(self, receivable: int, *, waive: bool = False) -> Receipt:
        return self.transact("confirm", receivable, waive)

    def split(self, receivable: int, amounts: list[int]) -> tuple[list[int], Receipt]:
        receipt = self.transact("split", receivable, amounts)
        return [int(c) for c in self.event(receipt, "ReceivableSplit").args["children"]], receipt

    def transfer(self, receivable: int, to: str) -> Receipt:
        assert self.sender is not None, "bind a sender with .as_()"
        return self.transact("transferFrom", self.sender.address, to, receivable)

    def mark_overdue(self, receivable: int) -> Receipt:
        return self.transact("markOverdue", receivable)

    def receivable(self, receivable: int) -> ReceivableView:
        r = list(self.call("receivable", receivable))
        return ReceivableView(
            id=receivable,
            creditor=bytes(r[0]),
            debtor=bytes(r[1]),
            order=bytes(r[2]),
            invoice=bytes(r[3]),
            currency=currency_code(bytes(r[4])),
            status=ReceivableStatus(r[5]),
            match_status=MatchStatus(r[6]),
            waived=bool(r[7]),
            issued_at=int(r[8]),
            due_date=int(r[9]),
            face_value=int(r[10]),
            repaid=int(r[11]),
            parent=int(r[12]),
            fingerprint=bytes(r[13]),
            match_result=bytes(r[14]),
        )

    def owner_of(self, receivable: int) -> str:
        return str(self.call("ownerOf", receivable))

    def holder_of(self, receivable: int) -> bytes:
        return bytes(self.call("holderOf", receivable))


_ALLOWANCE_LOCKS: dict[tuple[str, str, str], threading.Lock] = {}
_ALLOWANCE_LOCKS_GUARD = threading.Lock()


def _allowance_lock(owner: str, token: str, spender: str) -> threading.Lock:
    with _ALLOWANCE_LOCKS_GUARD:
        return _ALLOWANCE_LOCKS.setdefault((owner.lower(), token.lower(), spender.lower()), threading.Lock())


class SettlementTokenContract(BoundContract):
    def mint(self, to: str, amount: int) -> Receipt:
        return self.transact("mint", to, amount)

    def transfer(self, to: str, amount: int) -> Receipt:
        return self.transact("transfer", to, amount)

    def approve(self, spender: str, amount: int) -> Receipt:
        return self.transact("approve", spender, amount)

    def ensure_allowance(self, spender: str, amount: int) -> None:
        """Let ``spender`` (a platform contract's cash leg) move at least ``amount`` of the sender's tokens;
        approves without limit, once, when the current allowance is short.

        Two writes of one organisation at once (two offers of a bank) both read a short allowance and
        both approved: the check and the approval hold one lock per key, token and spender, and the
        allowance is read at ``pending``, so an approval the node holds unmined (sent again after a
        node restart, or whose receipt was lost) counts."""
        assert self.sender is not None, "bind a sender with .as_()"
        with _allowance_lock(self.sender.address, self.address, spender):
            if int(self.call("allowance", self.sender.address, spender, block="pending")) < amount:
                self.approve(spender, 2**256 - 1)

    def balance_of(self, account: str) -> int:
        return int(self.call("balanceOf", account))


class FinancingStatus(IntEnum):
    NONE = 0
    REQUESTED = 1
    PENDING_REVIEW = 2
    FUNDED = 3
    REPAID = 4
    CANCELLED = 5
    RECOURSE_CLAIMED = 6


@dataclass(frozen=True)
class FinancingView:
    id: bytes
    receivable: int
    holder: bytes
    holder_account: str
    min_advance: int
    status: FinancingStatus
    requested_at: int
    funded_at: int
    financier: bytes
    financier_account: str
    advance: int
    discount_bps: int
    tenor_days: int
    recourse: bool


class FinancingContract(BoundContract):
    def request(self, receivable: int, min_advance: int = 0) -> tuple[bytes, Receipt]:
        receipt = self.transact("request", receivable, min_advance)
        return _b32(self.event(receipt, "FinancingRequested").args["id"]), receipt

    def offer(
        self, financing: bytes, advance: int, discount_bps: int, tenor_days: int, *, recourse: bool = False
    ) -> Receipt:
        return self.transact("offer", financing, advance, discount_bps, tenor_days, recourse)

    def offer_green_terms(
        self, financing: bytes, advance: int, discount_bps: int, min_score_bps: int
    ) -> Receipt:
        """Green terms on the caller's offer, applied if the holder's carbon score is at least the minimum."""
        return self.transact("offerGreenTerms", financing, advance, discount_bps, min_score_bps)

    def accept(self, financing: bytes, financier: bytes) -> Receipt:
        return self.transact("accept", financing, financier)

    def approve_review(self, financing: bytes) -> Receipt:
        return self.transact("approveReview", financing)

    def cancel(self, financing: bytes) -> Receipt:
        return self.transact("cancel", financing)

    def repay(self, receivable: int, amount: int) -> Receipt:
        return self.transact("repay", receivable, amount)

    def claim_recourse(self, financing: bytes) -> Receipt:
        return self.transact("claimRecourse", financing)

    def financing(self, financing: bytes) -> FinancingView:
        f = list(self.call("financing", financing))
        terms = list(f[7])
        return FinancingView(
            id=financing,
            receivable=int(f[0]),
            holder=bytes(f[1]),
            holder_account=str(f[2]),
            min_advance=int(f[3]),
            status=FinancingStatus(f[4]),
            requested_at=int(f[5]),
            funded_at=int(f[6]),
            financier=bytes(terms[0]),
            financier_account=str(terms[1]),
            advance=int(terms[2]),
            discount_bps=int(terms[3]),
            tenor_days=int(terms[4]),
            recourse=bool(terms[5]),
        )

    def live_financing(self, receivable: int) -> bytes:
        return _b32(self.call("liveFinancing", receivable))
