"""Letters of credit on a real anvil: the lifecycle, refusal and waiver, a deferred payment that
becomes a financeable receivable, and the role and state attacks, each with its exact error."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chain.credit_contracts import CreditStatus, CreditTermsOnChain, Payment, PresentationStatus
from chain.ids import to_hex32
from chain.policy import OrgRole
from chain.trade_contracts import FinancingStatus, ReceivableStatus
from tests.chain.test_trade import _rejects
from tests.chain.trade_factories import DAY, Party, Trade, make_party
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

DOCUMENTS = b"\xd0" * 32
REPORT = b"\xe0" * 32


def _terms(h: ChainHarness, **changes: object) -> CreditTermsOnChain:
    now = int(h.chain.w3.eth.get_block("latest")["timestamp"])
    terms = CreditTermsOnChain(
        amount=100_000,
        tolerance_bps=500,  # +/- 5 %
        expiry=now + 60 * DAY,
        latest_shipment=now + 30 * DAY,
        presentation_days=21,
        partial_shipments=False,
        transshipment=False,
        payment=Payment.SIGHT,
        deferred_days=0,
        terms_hash=b"\x7e" * 32,
    )
    return replace(terms, **changes)  # type: ignore[arg-type]


def _advised(trade: Trade, advising: Party, **changes: object) -> bytes:
    chain = trade.h.chain
    credit, _ = chain.letters_of_credit(trade.buyer.key).apply_for_credit(
        b"\x01" * 32, trade.bank.org, advising.org, trade.supplier.org, "USD", _terms(trade.h, **changes)
    )
    chain.letters_of_credit(trade.bank.key).issue(credit)
    chain.letters_of_credit(advising.key).advise(credit)
    return credit


@pytest.fixture
def advising(funded_trade: Trade) -> Party:
    return make_party(funded_trade.h, "advising-bank", OrgRole.FINANCIER)


@pytest.fixture
def trade(funded_trade: Trade) -> Trade:
    lc = funded_trade.h.chain.manifest.address("LettersOfCredit")  # type: ignore[union-attr]
    funded_trade.h.chain.settlement_token(funded_trade.bank.key).approve(lc, 10_000_000)
    return funded_trade


def test_issue_advise_amend_present_and_honour_at_sight(trade: Trade, advising: Party) -> None:
    chain = trade.h.chain
    lc = chain.letters_of_credit
    credit = _advised(trade, advising)
    amended = replace(chain.letters_of_credit().credit(credit).terms, amount=120_000, terms_hash=b"\x7f" * 32)
    number, _ = lc(trade.bank.key).propose_amendment(credit, amended)

    _rejects(  # the amendment binds nobody until the beneficiary accepts it
        lambda: lc(trade.supplier.key).present(credit, 120_000, DOCUMENTS),
        "LcExceedsAvailable",
        available=105_000,
    )
    lc(trade.supplier.key).accept_amendment(credit, number)
    _rejects(lambda: lc(trade.supplier.key).accept_amendment(credit, number), "LcAmendmentSettled")
    presentation, _ = lc(trade.supplier.key).present(credit, 120_000, DOCUMENTS)
    lc(trade.bank.key).record_examination(presentation, True, REPORT)
    before = chain.settlement_token().balance_of(trade.supplier.address)
    receipt = lc(trade.bank.key).honour(presentation)

    assert chain.letters_of_credit().event(receipt, "PresentationHonoured").args["amount"] == 120_000
    assert chain.settlement_token().balance_of(trade.supplier.address) - before == 120_000
    view = chain.letters_of_credit().presentation(presentation)
    assert (view.status, view.examination) == (PresentationStatus.HONOURED, REPORT)
    assert chain.letters_of_credit().available(credit) == 126_000 - 120_000
    _rejects(lambda: lc(trade.bank.key).honour(presentation), "LcWrongPresentationStatus")  # never paid twice


def test_a_discrepant_presentation_is_refused_once_waived_by_the_applicant_then_honoured(
    trade: Trade, advising: Party
) -> None:
    lc = trade.h.chain.letters_of_credit
    credit = _advised(trade, advising)
    presentation, _ = lc(trade.supplier.key).present(credit, 100_000, DOCUMENTS)
    lc(trade.bank.key).record_examination(presentation, False, REPORT)

    _rejects(lambda: lc(trade.bank.key).honour(presentation), "LcWrongPresentationStatus")
    _rejects(lambda: lc(trade.buyer.key).waive(presentation), "LcWrongPresentationStatus")  # not refused yet
    receipt = lc(trade.bank.key).refuse(presentation, REPORT)
    _rejects(
        lambda: lc(trade.bank.key).refuse(presentation, REPORT), "LcWrongPresentationStatus"
    )  # one notice
    _rejects(lambda: lc(trade.rival_buyer.key).waive(presentation), "LcNotParty")
    lc(trade.buyer.key).waive(presentation)
    lc(trade.bank.key).honour(presentation)

    assert trade.h.chain.letters_of_credit().event(receipt, "PresentationRefused").args["notice"] == to_hex32(
        REPORT
    )
    assert trade.h.chain.letters_of_credit().presentation(presentation).status is PresentationStatus.HONOURED


def test_each_step_belongs_to_its_party(trade: Trade, advising: Party) -> None:
    lc = trade.h.chain.letters_of_credit
    other_bank = make_party(trade.h, "other-bank", OrgRole.FINANCIER)
    credit, _ = lc(trade.buyer.key).apply_for_credit(
        b"\x02" * 32, trade.bank.org, advising.org, trade.supplier.org, "USD", _terms(trade.h)
    )

    _rejects(lambda: lc(other_bank.key).issue(credit), "LcNotParty")
    _rejects(lambda: lc(advising.key).advise(credit), "LcWrongStatus")  # not issued yet
    lc(trade.bank.key).issue(credit)
    _rejects(lambda: lc(other_bank.key).advise(credit), "LcNotParty")
    _rejects(lambda: lc(trade.supplier.key).present(credit, 1, DOCUMENTS), "LcWrongStatus")  # not advised yet
    lc(advising.key).advise(credit)
    _rejects(lambda: lc(trade.tier2.key).present(credit, 1, DOCUMENTS), "LcNotParty")
    presentation, _ = lc(trade.supplier.key).present(credit, 50_000, DOCUMENTS)
    lc(trade.bank.key).record_examination(presentation, True, REPORT)
    _rejects(lambda: lc(trade.supplier.key).honour(presentation), "AccessManagedUnauthorized")  # its own
    _rejects(lambda: lc(other_bank.key).honour(presentation), "LcNotParty")
    _rejects(lambda: lc(trade.supplier.key).cancel(credit), "LcWrongStatus")  # advised: irrevocable
    assert trade.h.chain.letters_of_credit().credit(credit).drawn == 0


def test_no_presentation_after_expiry_and_expired_credits_close(trade: Trade, advising: Party) -> None:
    lc = trade.h.chain.letters_of_credit
    credit = _advised(trade, advising)
    expiry = trade.h.chain.letters_of_credit().credit(credit).terms.expiry
    _rejects(lambda: lc(trade.tier2.key).expire(credit), "LcNotExpired")

    trade.h.increase_time(61 * DAY)

    _rejects(lambda: lc(trade.supplier.key).present(credit, 1, DOCUMENTS), "LcExpiredCredit", expiry=expiry)
    lc(trade.tier2.key).expire(credit)
    assert trade.h.chain.letters_of_credit().credit(credit).status is CreditStatus.EXPIRED


def test_a_deferred_payment_becomes_a_receivable_on_the_bank_that_can_be_financed(
    trade: Trade, advising: Party
) -> None:
    chain = trade.h.chain
    lc = chain.letters_of_credit
    credit = _advised(trade, advising, payment=Payment.DEFERRED, deferred_days=90)
    presentation, _ = lc(trade.supplier.key).present(credit, 100_000, DOCUMENTS)
    lc(trade.bank.key).record_examination(presentation, True, REPORT)

    receipt = lc(trade.bank.key).honour(presentation)

    rid = int(chain.letters_of_credit().event(receipt, "DeferredPaymentAccepted").args["receivable"])
    r = chain.receivables().receivable(rid)
    assert (r.status, r.debtor, r.creditor, r.face_value) == (
        ReceivableStatus.CONFIRMED,
        trade.bank.org,
        trade.supplier.org,
        100_000,
    )
    assert chain.receivables().owner_of(rid) == trade.supplier.address
    fid, _ = chain.financing(trade.supplier.key).request(rid, 95_000)  # the financing flow, unchanged
    chain.settlement_token(trade.bank.key).mint(advising.address, 1_000_000)
    financing = chain.manifest.address("Financing")  # type: ignore[union-attr]
    chain.settlement_token(advising.key).approve(financing, 1_000_000)
    chain.financing(advising.key).offer(fid, 95_000, 400, 90)
    chain.financing(trade.supplier.key).accept(fid, advising.org)
    chain.financing(trade.bank.key).repay(rid, 100_000)  # the accepting bank pays at maturity
    assert chain.financing().financing(fid).status is FinancingStatus.REPAID
    assert chain.letters_of_credit().presentation(presentation).status is PresentationStatus.ACCEPTED
