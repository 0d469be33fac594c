"""Factories for the trade contracts: parties, documents, orders and receivables on a real anvil."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from chain.client import OPERATOR
from chain.ids import commitment
from chain.policy import OrgRole
from chain.trade_contracts import DocumentType, MatchStatus
from tests.chain.factories import make_org
from tests.conftest import ChainHarness

DAY = 86_400


@dataclass(frozen=True)
class Party:
    org: bytes
    key: str
    address: str


@dataclass
class Trade:
    h: ChainHarness
    buyer: Party
    supplier: Party
    tier2: Party
    carrier: Party
    bank: Party
    rival_buyer: Party

    def anchor(
        self, party: Party | str, doc_type: DocumentType, number: str, refs: list[bytes] | None = None
    ) -> bytes:
        key = party if isinstance(party, str) else party.key
        doc, _ = self.h.chain.documents(key).anchor(doc_type, number, self.commit(number), refs)
        return doc

    @staticmethod
    def commit(number: str) -> bytes:
        return commitment(number.encode(), secrets.token_bytes(32))

    def order(self, po_number: str = "PO-1", total: int = 100_000, currency: str = "USD") -> bytes:
        doc = self.anchor(self.buyer, DocumentType.PURCHASE_ORDER, po_number)
        order, _ = self.h.chain.orders(self.buyer.key).register_order(
            po_number, self.supplier.org, currency, total, doc
        )
        return order

    def now(self) -> int:
        return int(self.h.chain.w3.eth.get_block("latest")["timestamp"])

    def issue(
        self,
        order: bytes,
        invoice_number: str = "INV-1",
        amount: int = 100_000,
        fingerprint: bytes | None = None,
    ) -> int:
        doc = self.anchor(self.supplier, DocumentType.INVOICE, invoice_number)
        fp = fingerprint or secrets.token_bytes(32)
        rid, _ = self.h.chain.receivables(self.supplier.key).issue(
            invoice_number, order, doc, fp, amount, self.now() + 90 * DAY
        )
        return rid

    def attest(self, rid: int, status: MatchStatus = MatchStatus.MATCHED) -> bytes:
        doc = self.anchor(OPERATOR, DocumentType.MATCH_RESULT, f"MATCH-{rid}-{secrets.token_hex(4)}")
        self.h.chain.receivables(OPERATOR).attest_match(rid, status, doc)
        return doc

    def confirmed(
        self, order: bytes | None = None, amount: int = 100_000, invoice_number: str = "INV-1"
    ) -> int:
        rid = self.issue(order or self.order(), invoice_number, amount)
        self.attest(rid)
        self.h.chain.receivables(self.buyer.key).confirm(rid)
        return rid


def make_party(h: ChainHarness, handle: str, role: OrgRole) -> Party:
    org, key = make_org(h, handle, role)
    return Party(org, key, h.chain.keystore.load(key).address)


def make_trade(h: ChainHarness) -> Trade:
    return Trade(
        h,
        buyer=make_party(h, "buyer", OrgRole.CORE_ENTERPRISE),
        supplier=make_party(h, "supplier", OrgRole.SUPPLIER),
        tier2=make_party(h, "tier2", OrgRole.SUPPLIER),
        carrier=make_party(h, "carrier", OrgRole.LOGISTICS),
        bank=make_party(h, "bank", OrgRole.FINANCIER),
        rival_buyer=make_party(h, "rival-buyer", OrgRole.CORE_ENTERPRISE),
    )
