"""Orders, documents, receivables and the settlement token on a real anvil, with the attacks."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from chain.client import OPERATOR
from chain.errors import ChainRevert
from chain.ids import to_hex32
from chain.trade_contracts import DocumentType, MatchStatus, ReceivableStatus
from tests.chain.trade_factories import Trade, make_trade
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain


@pytest.fixture
def trade(harness: ChainHarness) -> Trade:
    return make_trade(harness)


def _rejects(action: Callable[[], object], error: str, **args: object) -> ChainRevert:
    with pytest.raises(ChainRevert) as err:
        action()
    assert err.value.error == error, err.value.detail
    for name, value in args.items():
        assert err.value.args_[name] == value, (name, err.value.args_)
    return err.value


def test_the_story_from_order_to_a_split_passed_to_tier_two(trade: Trade) -> None:
    chain = trade.h.chain
    order = trade.order("PO-100", total=100_000)
    shipment = trade.anchor(
        trade.carrier, DocumentType.SHIPMENT, "BL-1", [chain.orders().order(order).document]
    )
    chain.orders(trade.carrier.key).record_shipment(order, shipment)
    receipt_doc = trade.anchor(trade.buyer, DocumentType.GOODS_RECEIPT, "GR-1")
    chain.orders(trade.buyer.key).record_receipt(order, receipt_doc)

    rid = trade.issue(order, "INV-100", 100_000)
    assert chain.receivables().owner_of(rid) == trade.supplier.address
    assert chain.orders().order(order).invoiced == 100_000
    trade.attest(rid)
    chain.receivables(trade.buyer.key).confirm(rid)
    children, _ = chain.receivables(trade.supplier.key).split(rid, [60_000, 40_000])
    chain.receivables(trade.supplier.key).transfer(children[1], trade.tier2.address)

    view = chain.receivables()
    assert view.receivable(rid).status is ReceivableStatus.SPLIT
    assert [view.receivable(c).face_value for c in children] == [60_000, 40_000]
    assert all(view.receivable(c).parent == rid for c in children)
    assert all(view.receivable(c).status is ReceivableStatus.CONFIRMED for c in children)
    assert view.holder_of(children[0]) == trade.supplier.org
    assert view.holder_of(children[1]) == trade.tier2.org
    assert view.receivable(children[1]).debtor == trade.buyer.org
    order_view = chain.orders().order(order)
    assert (order_view.receipts, order_view.shipments, order_view.currency) == (1, 1, "USD")


def test_the_same_invoice_twice_is_rejected_naming_the_receivable(trade: Trade) -> None:
    order = trade.order(total=300_000)
    rid = trade.issue(order, "INV-7", 100_000)
    doc = trade.anchor(trade.supplier, DocumentType.INVOICE, "INV-7-copy")

    _rejects(
        lambda: trade.h.chain.receivables(trade.supplier.key).issue(
            "INV-7", order, doc, secrets.token_bytes(32), 100_000, trade.now() + 86_400
        ),
        "ReceivableAlreadyIssued",
        existing=rid,
    )
    assert trade.h.chain.orders().order(order).invoiced == 100_000


def test_an_altered_duplicate_with_the_same_content_is_rejected(trade: Trade) -> None:
    order = trade.order(total=300_000)
    fingerprint = secrets.token_bytes(32)
    rid = trade.issue(order, "INV-8", 100_000, fingerprint)
    doc = trade.anchor(trade.supplier, DocumentType.INVOICE, "inv 8 (resent)")

    err = _rejects(
        lambda: trade.h.chain.receivables(trade.supplier.key).issue(
            "inv 8 (resent)", order, doc, fingerprint, 100_000, trade.now() + 86_400
        ),
        "ReceivableDuplicateInvoice",
        existing=rid,
    )
    assert err.code == "receivable_duplicate_invoice"
    assert trade.h.chain.orders().order(order).invoiced == 100_000


def test_receivables_never_exceed_the_order(trade: Trade) -> None:
    order = trade.order(total=100_000)
    trade.issue(order, "INV-1", 70_000)

    _rejects(
        lambda: trade.issue(order, "INV-2", 30_001),
        "PurchaseOrderOverInvoiced",
        invoiced=70_000,
        total=100_000,
    )
    assert trade.h.chain.orders().order(order).invoiced == 70_000


def test_only_the_debtor_confirms(trade: Trade) -> None:
    rid = trade.issue(trade.order())
    trade.attest(rid)

    _rejects(
        lambda: trade.h.chain.receivables(trade.rival_buyer.key).confirm(rid),
        "ReceivableNotDebtor",
        caller=to_hex32(trade.rival_buyer.org),
    )
    _rejects(lambda: trade.h.chain.receivables(trade.supplier.key).confirm(rid), "AccessManagedUnauthorized")
    assert trade.h.chain.receivables().receivable(rid).status is ReceivableStatus.ISSUED


def test_confirmation_needs_a_match_and_a_waiver_when_discrepant(trade: Trade) -> None:
    rid = trade.issue(trade.order())
    buyer = trade.h.chain.receivables(trade.buyer.key)
    _rejects(lambda: buyer.confirm(rid), "ReceivableNotMatched")
    trade.attest(rid, MatchStatus.DISCREPANT)

    _rejects(lambda: buyer.confirm(rid), "ReceivableDiscrepant")
    assert trade.h.chain.receivables().receivable(rid).status is ReceivableStatus.ISSUED
    receipt = buyer.confirm(rid, waive=True)

    assert buyer.event(receipt, "ReceivableConfirmed").args["waived"] is True
    view = trade.h.chain.receivables().receivable(rid)
    assert (view.status, view.waived, view.match_status) == (
        ReceivableStatus.CONFIRMED,
        True,
        MatchStatus.DISCREPANT,
    )


@pytest.mark.parametrize("amounts", [[60_000, 30_000], [100_000], [100_000, 0], [60_000, 50_000]])
def test_a_split_must_conserve_value(trade: Trade, amounts: list[int]) -> None:
    rid = trade.confirmed()

    _rejects(
        lambda: trade.h.chain.receivables(trade.supplier.key).split(rid, amounts),
        "ReceivableSplitNotConserved",
        sum=sum(amounts),
        remaining=100_000,
    )
    assert trade.h.chain.receivables().receivable(rid).status is ReceivableStatus.CONFIRMED


def test_only_the_holder_splits_and_only_confirmed_receivables(trade: Trade) -> None:
    rid = trade.confirmed()
    unconfirmed = trade.issue(trade.order("PO-2"), "INV-2")

    _rejects(
        lambda: trade.h.chain.receivables(trade.tier2.key).split(rid, [50_000, 50_000]),
        "ReceivableNotHolder",
        caller=trade.tier2.address,
    )
    _rejects(
        lambda: trade.h.chain.receivables(trade.supplier.key).split(unconfirmed, [50_000, 50_000]),
        "ReceivableWrongStatus",
        status=int(ReceivableStatus.ISSUED),
    )


def test_only_confirmed_receivables_move_and_only_to_members(trade: Trade) -> None:
    unconfirmed = trade.issue(trade.order())
    rid = trade.confirmed(trade.order("PO-2"), invoice_number="INV-2")
    outsider = trade.h.new_key("outsider")
    supplier = trade.h.chain.receivables(trade.supplier.key)

    _rejects(lambda: supplier.transfer(unconfirmed, trade.tier2.address), "ReceivableWrongStatus")
    _rejects(lambda: supplier.transfer(rid, outsider), "ReceivableInvalidReceiver", to=outsider)
    assert trade.h.chain.receivables().owner_of(rid) == trade.supplier.address


def test_a_receivable_needs_the_suppliers_own_invoice_document(trade: Trade) -> None:
    order = trade.order()
    carriers_doc = trade.anchor(trade.carrier, DocumentType.INVOICE, "INV-X")
    po_doc = trade.h.chain.orders().order(order).document

    for doc in (carriers_doc, po_doc):
        _rejects(
            lambda doc=doc: trade.h.chain.receivables(trade.supplier.key).issue(  # type: ignore[misc]
                "INV-X", order, doc, secrets.token_bytes(32), 1_000, trade.now() + 86_400
            ),
            "ReceivableInvalidDocument",
        )


def test_an_order_names_an_active_supplier(trade: Trade) -> None:
    doc = trade.anchor(trade.buyer, DocumentType.PURCHASE_ORDER, "PO-9")

    _rejects(
        lambda: trade.h.chain.orders(trade.buyer.key).register_order(
            "PO-9", trade.bank.org, "USD", 1_000, doc
        ),
        "PurchaseOrderInvalidSupplier",
        supplier=to_hex32(trade.bank.org),
    )


def test_a_suspended_supplier_cannot_issue(trade: Trade) -> None:
    order = trade.order()
    doc = trade.anchor(trade.supplier, DocumentType.INVOICE, "INV-S")
    trade.h.chain.participants(OPERATOR).suspend_organisation(trade.supplier.org)

    _rejects(
        lambda: trade.h.chain.receivables(trade.supplier.key).issue(
            "INV-S", order, doc, secrets.token_bytes(32), 1_000, trade.now() + 86_400
        ),
        "ParticipantSuspended",
    )
    assert trade.h.chain.orders().order(order).invoiced == 0


def test_documents_are_append_only_and_corrected_by_their_issuer(trade: Trade) -> None:
    docs = trade.h.chain.documents
    first = trade.anchor(trade.buyer, DocumentType.PURCHASE_ORDER, "PO-V")
    _rejects(
        lambda: trade.anchor(trade.buyer, DocumentType.PURCHASE_ORDER, "PO-V"),
        "DocumentAlreadyAnchored",
        id=to_hex32(first),
    )
    _rejects(lambda: docs(trade.supplier.key).amend(first, trade.commit("x")), "DocumentNotIssuer")

    second, _ = docs(trade.buyer.key).amend(first, trade.commit("PO-V v2"))

    assert docs().document(first).superseded_by == second
    assert (docs().document(second).previous, docs().document(second).version) == (first, 2)
    _rejects(lambda: docs(trade.buyer.key).amend(first, trade.commit("v3")), "DocumentSuperseded")
    _rejects(
        lambda: trade.anchor(trade.buyer, DocumentType.GOODS_RECEIPT, "GR-1", [b"\x01" * 32]),
        "DocumentUnknown",
    )


def test_settlement_tokens_are_minted_by_banks_and_move_between_members(trade: Trade) -> None:
    token = trade.h.chain.settlement_token
    token(trade.bank.key).mint(trade.buyer.address, 500_000)
    outsider = trade.h.new_key("outsider-cash")

    token(trade.buyer.key).transfer(trade.supplier.address, 100_000)
    _rejects(lambda: token(trade.buyer.key).transfer(outsider, 1), "SettlementInvalidParty", account=outsider)
    _rejects(lambda: token(trade.supplier.key).mint(trade.supplier.address, 1), "AccessManagedUnauthorized")

    assert (token().balance_of(trade.buyer.address), token().balance_of(trade.supplier.address)) == (
        400_000,
        100_000,
    )
    assert token().call("decimals") == 2
