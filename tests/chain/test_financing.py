"""Financing with DvP, risk review, pause, repayment and recourse on a real anvil."""

from __future__ import annotations

import pytest

from chain import governance
from chain.client import OPERATOR
from chain.ids import to_hex32
from chain.policy import OrgRole, Role
from chain.trade_contracts import FinancingStatus, ReceivableStatus
from tests.chain.test_trade import _rejects
from tests.chain.trade_factories import DAY, Trade, make_party
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

DELAY = 3600  # the test deployment's governance delay


@pytest.fixture
def trade(funded_trade: Trade) -> Trade:
    return funded_trade


def _govern(h: ChainHarness, target: str, fn: str, *args: object) -> None:
    contract = h.chain.contract(target)
    op = governance.propose_and_approve(h.chain, contract, fn, *args)
    h.increase_time(DELAY + 1)
    governance.execute(h.chain, op)


def test_tier_two_finances_its_part_and_the_debtor_repays_both_holders(trade: Trade) -> None:
    chain = trade.h.chain
    balance = chain.settlement_token().balance_of
    before = {p: balance(p.address) for p in (trade.supplier, trade.tier2, trade.bank, trade.buyer)}
    rid = trade.confirmed(amount=100_000)
    (part60, part40), _ = chain.receivables(trade.supplier.key).split(rid, [60_000, 40_000])
    chain.receivables(trade.supplier.key).transfer(part40, trade.tier2.address)

    fid, _ = chain.financing(trade.tier2.key).request(part40, 38_000)
    chain.financing(trade.bank.key).offer(fid, 38_000, 250, 90, recourse=True)
    receipt = chain.financing(trade.tier2.key).accept(fid, trade.bank.org)

    assert chain.financing().event(receipt, "FinancingFunded").args["advance"] == 38_000
    assert chain.receivables().owner_of(part40) == trade.bank.address  # the asset leg …
    assert balance(trade.tier2.address) - before[trade.tier2] == 38_000  # … and the cash leg, together
    chain.financing(trade.buyer.key).repay(part60, 60_000)
    chain.financing(trade.buyer.key).repay(part40, 15_000)  # partial …
    chain.financing(trade.buyer.key).repay(part40, 25_000)  # … then the rest

    assert chain.receivables().receivable(part60).status is ReceivableStatus.REPAID
    assert chain.receivables().receivable(part40).status is ReceivableStatus.REPAID
    assert chain.financing().financing(fid).status is FinancingStatus.REPAID
    assert chain.financing().live_financing(part40) == b"\x00" * 32
    after = {p: balance(p.address) for p in before}
    assert after[trade.supplier] - before[trade.supplier] == 60_000
    assert after[trade.tier2] - before[trade.tier2] == 38_000
    assert after[trade.bank] - before[trade.bank] == 40_000 - 38_000
    assert after[trade.buyer] - before[trade.buyer] == -100_000


def test_a_receivable_has_one_live_financing(trade: Trade) -> None:
    chain = trade.h.chain
    other_bank = make_party(trade.h, "other-bank", OrgRole.FINANCIER)
    rid = trade.confirmed()
    fid, _ = chain.financing(trade.supplier.key).request(rid, 90_000)

    _rejects(
        lambda: chain.financing(trade.supplier.key).request(rid, 1),
        "FinancingAlreadyActive",
        existing=to_hex32(fid),
    )
    chain.financing(trade.bank.key).offer(fid, 95_000, 300, 60)
    chain.financing(trade.supplier.key).accept(fid, trade.bank.org)
    _rejects(lambda: chain.financing(trade.bank.key).request(rid, 1), "FinancingAlreadyActive")
    _rejects(lambda: chain.financing(other_bank.key).offer(fid, 95_000, 100, 60), "FinancingWrongStatus")

    assert chain.receivables().owner_of(rid) == trade.bank.address
    assert chain.financing().financing(fid).financier == trade.bank.org


def test_over_financing_is_rejected(trade: Trade) -> None:
    chain = trade.h.chain
    rid = trade.confirmed(amount=100_000)
    fid, _ = chain.financing(trade.supplier.key).request(rid, 50_000)

    _rejects(
        lambda: chain.financing(trade.bank.key).offer(fid, 100_001, 300, 60),
        "FinancingExceedsFaceValue",
        advance=100_001,
        outstanding=100_000,
    )
    _rejects(lambda: chain.financing(trade.bank.key).offer(fid, 49_999, 300, 60), "FinancingBelowRequested")
    _rejects(lambda: chain.financing(trade.supplier.key).accept(fid, trade.bank.org), "FinancingNoOffer")
    assert chain.receivables().owner_of(rid) == trade.supplier.address


def test_unconfirmed_receivables_cannot_be_financed(trade: Trade) -> None:
    rid = trade.issue(trade.order())
    trade.attest(rid)

    _rejects(
        lambda: trade.h.chain.financing(trade.supplier.key).request(rid, 1),
        "FinancingReceivableNotConfirmed",
        receivable=rid,
    )
    assert trade.h.chain.financing().live_financing(rid) == b"\x00" * 32


def test_a_suspended_debtor_blocks_financing(trade: Trade) -> None:
    rid = trade.confirmed()
    trade.h.chain.participants(OPERATOR).suspend_organisation(trade.buyer.org)

    _rejects(
        lambda: trade.h.chain.financing(trade.supplier.key).request(rid, 1),
        "FinancingPartySuspended",
        party=to_hex32(trade.buyer.org),
    )


def test_large_advances_wait_for_the_financiers_risk_reviewer(trade: Trade) -> None:
    chain, h = trade.h.chain, trade.h
    _govern(h, "Financing", "setReviewThreshold", 50_000)
    reviewer = h.new_key("bank-reviewer")
    chain.participants(trade.bank.key).add_account(reviewer)
    _govern(h, "AccessManager", "grantRole", int(Role.RISK_REVIEWER), reviewer, 0)
    rid = trade.confirmed()
    fid, _ = chain.financing(trade.supplier.key).request(rid, 0)
    chain.financing(trade.bank.key).offer(fid, 80_000, 300, 60)
    cash_before = chain.settlement_token().balance_of(trade.supplier.address)

    chain.financing(trade.supplier.key).accept(fid, trade.bank.org)

    assert chain.financing().financing(fid).status is FinancingStatus.PENDING_REVIEW
    assert chain.settlement_token().balance_of(trade.supplier.address) == cash_before  # nothing moved yet
    _rejects(lambda: chain.financing(trade.bank.key).approve_review(fid), "AccessManagedUnauthorized")
    chain.financing("bank-reviewer").approve_review(fid)
    assert chain.financing().financing(fid).status is FinancingStatus.FUNDED
    assert chain.settlement_token().balance_of(trade.supplier.address) == cash_before + 80_000


def test_the_threshold_changes_only_through_dual_control(trade: Trade) -> None:
    _rejects(
        lambda: trade.h.chain.financing(OPERATOR).transact("setReviewThreshold", 1),
        "AccessManagedUnauthorized",
    )
    assert trade.h.chain.financing().call("reviewThreshold") == 1_000_000_00


def test_a_paused_programme_finances_nothing_until_dual_control_unpauses(trade: Trade) -> None:
    chain = trade.h.chain
    rid = trade.confirmed()
    chain.financing(OPERATOR).transact("pause")

    _rejects(lambda: chain.financing(trade.supplier.key).request(rid, 1), "FinancingPaused")
    _rejects(lambda: chain.financing(OPERATOR).transact("unpause"), "AccessManagedUnauthorized")
    _govern(trade.h, "Financing", "unpause")
    fid, _ = chain.financing(trade.supplier.key).request(rid, 1)
    assert chain.financing().financing(fid).status is FinancingStatus.REQUESTED


def test_only_the_debtor_repays_and_never_more_than_outstanding(trade: Trade) -> None:
    chain = trade.h.chain
    rid = trade.confirmed(amount=100_000)

    _rejects(lambda: chain.financing(trade.rival_buyer.key).repay(rid, 1), "FinancingNotDebtor")
    _rejects(
        lambda: chain.financing(trade.buyer.key).repay(rid, 100_001),
        "ReceivableOverRepaid",
        amount=100_001,
        outstanding=100_000,
    )
    assert chain.receivables().receivable(rid).repaid == 0


def test_recourse_is_recorded_when_an_overdue_receivable_was_financed_with_recourse(trade: Trade) -> None:
    chain = trade.h.chain
    with_recourse, without = trade.confirmed(), trade.confirmed(trade.order("PO-2"), invoice_number="INV-2")
    ids = []
    for rid, recourse in ((with_recourse, True), (without, False)):
        fid, _ = chain.financing(trade.supplier.key).request(rid, 0)
        chain.financing(trade.bank.key).offer(fid, 90_000, 300, 90, recourse=recourse)
        chain.financing(trade.supplier.key).accept(fid, trade.bank.org)
        ids.append(fid)
    _rejects(
        lambda: chain.financing(trade.bank.key).claim_recourse(ids[0]), "FinancingNoRecourse"
    )  # not overdue
    trade.h.increase_time(91 * DAY)
    for rid in (with_recourse, without):
        chain.receivables(trade.bank.key).mark_overdue(rid)

    receipt = chain.financing(trade.bank.key).claim_recourse(ids[0])
    _rejects(lambda: chain.financing(trade.bank.key).claim_recourse(ids[1]), "FinancingNoRecourse")

    event = chain.financing().event(receipt, "RecourseClaimed")
    assert (event.args["holder"], event.args["outstanding"]) == (to_hex32(trade.supplier.org), 100_000)
    assert chain.financing().financing(ids[0]).status is FinancingStatus.RECOURSE_CLAIMED
