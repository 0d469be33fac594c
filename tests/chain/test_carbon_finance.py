"""Verified reductions on a real anvil: the carbon score, credits bounded by the reduction, green
financing terms, and credits pledged as collateral (locked while the financing is live)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chain.carbon_contracts import READING_LEAF_TYPES
from chain.client import OPERATOR
from chain.ids import to_hex32
from chain.merkle import StandardMerkleTree
from chain.policy import OrgRole
from chain.trade_contracts import FinancingStatus
from tests.chain.test_trade import _rejects
from tests.chain.trade_factories import DAY, Party, Trade, make_party
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

MONTH = 30 * DAY
NO_SUBJECT = b"\x00" * 32


@dataclass
class Reductions:
    """A verifier, an anchored batch and a registered factor set to state emissions against."""

    h: ChainHarness
    verifier: Party
    root: bytes
    factor_set: bytes
    start: int  # the baseline period starts here; each period lasts MONTH

    def verified(self, party: Party, month: int, grams: int, *, length: int = MONTH) -> bytes:
        """A verified scope 1 statement of ``party`` for month ``month`` (0: the baseline)."""
        begin = self.start + month * (MONTH + 1)
        statement, _ = self.h.chain.carbon(party.key).submit_statement(
            1, (begin, begin + length), NO_SUBJECT, grams, self.factor_set, [self.root], b"\x0e" * 32
        )
        self.h.chain.carbon(self.verifier.key).verify_statement(statement)
        return statement


def _reductions(h: ChainHarness) -> Reductions:
    verifier = make_party(h, "carbon-verifier", OrgRole.CARBON_VERIFIER)
    oracle = make_party(h, "carbon-oracle", OrgRole.IOT_ORACLE)
    tree = StandardMerkleTree.of(
        [(b"\x01" * 32, 1, 1, "natural_gas_m3", 5, "m3", b"\xfa" * 32)], READING_LEAF_TYPES
    )
    h.chain.carbon(oracle.key).anchor_readings(tree.root, 1, 1, 1)
    factor_set = b"\xfe" * 32
    h.chain.carbon(OPERATOR).register_factor_set(factor_set, "test", "factors.json")
    now = int(h.chain.w3.eth.get_block("latest")["timestamp"])
    return Reductions(h, verifier, tree.root, factor_set, now - 3 * MONTH)


def test_the_score_is_the_verified_reduction_against_a_comparable_baseline(harness: ChainHarness) -> None:
    r = _reductions(harness)
    plant = make_party(harness, "plant", OrgRole.SUPPLIER)
    baseline = r.verified(plant, 0, 5_000_000)
    current = r.verified(plant, 1, 4_000_000)
    carbon = harness.chain.carbon()

    assert carbon.reduction_of(current, baseline) == 1_000_000
    receipt = harness.chain.carbon(r.verifier.key).set_carbon_score(current, baseline)

    score = carbon.carbon_score(plant.org)
    assert (score.reduction_bps, score.current, score.baseline) == (2_000, current, baseline)
    assert score.valid_until == r.start + (MONTH + 1) + MONTH + 365 * DAY
    event = carbon.event(receipt, "CarbonScoreSet")
    assert (event.args["org"], event.args["reductionBps"]) == (to_hex32(plant.org), 2_000)


def test_only_comparable_verified_statements_make_a_reduction(harness: ChainHarness) -> None:
    r = _reductions(harness)
    plant = make_party(harness, "plant", OrgRole.SUPPLIER)
    other = make_party(harness, "other-plant", OrgRole.SUPPLIER)
    baseline = r.verified(plant, 0, 5_000_000)
    current = r.verified(plant, 1, 4_000_000)
    shorter = r.verified(plant, 2, 1_000_000, length=MONTH - 1)
    someone_elses = r.verified(other, 1, 1_000_000)
    unverified, _ = harness.chain.carbon(plant.key).submit_statement(
        1, (r.start + 9 * MONTH, r.start + 10 * MONTH), NO_SUBJECT, 1, r.factor_set, [r.root], b"\x0e" * 32
    )
    carbon = harness.chain.carbon()

    for cur, base in (
        (baseline, current),  # the baseline must come first
        (shorter, baseline),  # periods of the same length
        (someone_elses, baseline),  # of the same organisation
        (unverified, baseline),  # both verified
        (current, current),
    ):
        _rejects(lambda c=cur, b=base: carbon.reduction_of(c, b), "CarbonNotComparable")
    _rejects(
        lambda: harness.chain.carbon(plant.key).set_carbon_score(current, baseline),
        "AccessManagedUnauthorized",
    )
    assert carbon.carbon_score(plant.org).valid_until == 0  # nothing was set


def test_a_verifier_does_not_score_its_own_organisation(harness: ChainHarness) -> None:
    r = _reductions(harness)
    second = make_party(harness, "second-verifier", OrgRole.CARBON_VERIFIER)
    r_own = Reductions(harness, second, r.root, r.factor_set, r.start)  # verified by the other verifier
    baseline = r_own.verified(r.verifier, 0, 2_000)
    current = r_own.verified(r.verifier, 1, 1_000)

    _rejects(
        lambda: harness.chain.carbon(r.verifier.key).set_carbon_score(current, baseline), "CarbonSelfScoring"
    )
    harness.chain.carbon(second.key).set_carbon_score(current, baseline)
    assert harness.chain.carbon().carbon_score(r.verifier.org).reduction_bps == 5_000


def test_credits_never_exceed_the_verified_reduction_and_go_to_its_organisation(
    harness: ChainHarness,
) -> None:
    r = _reductions(harness)
    plant = make_party(harness, "plant", OrgRole.SUPPLIER)
    outsider = make_party(harness, "outsider", OrgRole.SUPPLIER)
    baseline = r.verified(plant, 0, 5_000_000)
    current = r.verified(plant, 1, 4_000_500)  # 999.5 kg less: 999 whole kg
    credits = harness.chain.credits(r.verifier.key)
    project = b"\xab" * 32

    _rejects(
        lambda: credits.issue_credits(project, 2026, plant.address, 1_000, current, baseline),
        "CreditsExceedReduction",
        reductionKg=999,
    )
    _rejects(
        lambda: credits.issue_credits(project, 2026, outsider.address, 10, current, baseline),
        "CreditsNotStatementOrg",
    )
    _rejects(
        lambda: credits.issue_credits(project, 2026, plant.address, 10, baseline, current),
        "CarbonNotComparable",
    )
    token, _ = credits.issue_credits(project, 2026, plant.address, 999, current, baseline)

    assert harness.chain.credits().balance_of(plant.address, token) == 999
    _rejects(
        lambda: credits.issue_credits(project, 2026, plant.address, 1, current, baseline),
        "CreditsAlreadyIssued",
    )


def _scored(trade: Trade, r: Reductions, reduction_bps: int) -> None:
    baseline = r.verified(trade.supplier, 0, 10_000)
    current = r.verified(trade.supplier, 1, 10_000 - reduction_bps)
    trade.h.chain.carbon(r.verifier.key).set_carbon_score(current, baseline)


def test_green_terms_apply_when_the_holders_score_qualifies(funded_trade: Trade) -> None:
    trade, chain = funded_trade, funded_trade.h.chain
    r = _reductions(trade.h)
    _scored(trade, r, 2_000)
    rid = trade.confirmed(amount=100_000)
    fid, _ = chain.financing(trade.supplier.key).request(rid, 90_000)
    bank = chain.financing(trade.bank.key)
    bank.offer(fid, 90_000, 800, 90)

    _rejects(
        lambda: bank.offer_green_terms(fid, 95_000, 800, 1_500), "FinancingInvalidGreenTerms"
    )  # not lower
    _rejects(
        lambda: bank.offer_green_terms(fid, 89_000, 400, 1_500), "FinancingInvalidGreenTerms"
    )  # less cash
    _rejects(lambda: bank.offer_green_terms(fid, 100_001, 400, 1_500), "FinancingInvalidGreenTerms")
    bank.offer_green_terms(fid, 95_000, 400, 1_500)
    receipt = chain.financing(trade.supplier.key).accept(fid, trade.bank.org)

    green = chain.financing().event(receipt, "GreenFinancing")
    assert (green.args["scoreBps"], green.args["discountBps"], green.args["advance"]) == (2_000, 400, 95_000)
    assert chain.financing().event(receipt, "FinancingFunded").args["advance"] == 95_000
    view = chain.financing().financing(fid)
    assert (view.advance, view.discount_bps, view.status) == (95_000, 400, FinancingStatus.FUNDED)


def test_standard_terms_apply_below_the_minimum_score_or_after_a_new_offer(funded_trade: Trade) -> None:
    trade, chain = funded_trade, funded_trade.h.chain
    r = _reductions(trade.h)
    _scored(trade, r, 1_000)  # 10 % below the baseline: under the 15 % asked for
    bank = chain.financing(trade.bank.key)
    low = trade.confirmed(trade.order("PO-LOW"), 100_000, "INV-LOW")
    fid, _ = chain.financing(trade.supplier.key).request(low, 90_000)
    bank.offer(fid, 90_000, 800, 90)
    bank.offer_green_terms(fid, 95_000, 400, 1_500)

    receipt = chain.financing(trade.supplier.key).accept(fid, trade.bank.org)

    assert chain.financing().events(receipt, "GreenFinancing") == []
    view = chain.financing().financing(fid)
    assert (view.advance, view.discount_bps) == (90_000, 800)
    renewed = trade.confirmed(trade.order("PO-RENEWED"), 100_000, "INV-RENEWED")
    fid2, _ = chain.financing(trade.supplier.key).request(renewed, 90_000)
    bank.offer(fid2, 90_000, 800, 90)
    bank.offer_green_terms(fid2, 95_000, 400, 500)
    bank.offer(fid2, 91_000, 700, 90)  # a new offer drops the green terms
    chain.financing(trade.supplier.key).accept(fid2, trade.bank.org)
    assert chain.financing().financing(fid2).advance == 91_000


def _credits_for(trade: Trade, r: Reductions, kg: int) -> int:
    baseline = r.verified(trade.supplier, 0, 10_000_000)
    current = r.verified(trade.supplier, 1, 10_000_000 - kg * 1000)
    token, _ = trade.h.chain.credits(r.verifier.key).issue_credits(
        b"\xcd" * 32, 2026, trade.supplier.address, kg, current, baseline
    )
    return token


def test_pledged_credits_are_locked_while_the_financing_is_live_and_released_after(
    funded_trade: Trade,
) -> None:
    trade, chain = funded_trade, funded_trade.h.chain
    r = _reductions(trade.h)
    token = _credits_for(trade, r, 500)
    rid = trade.confirmed(amount=100_000)
    fid, _ = chain.financing(trade.supplier.key).request(rid, 90_000)
    holder = chain.credits(trade.supplier.key)

    _rejects(lambda: chain.credits(trade.tier2.key).pledge(fid, token, 100), "CreditsNotPledgeable")
    _rejects(lambda: holder.pledge(fid, token, 501), "CreditsLocked", unlocked=500)
    holder.pledge(fid, token, 300)
    _rejects(lambda: holder.pledge(fid, token, 100), "CreditsNotPledgeable")  # one pledge per financing
    _rejects(lambda: holder.transfer(trade.tier2.address, token, 201), "CreditsLocked", unlocked=200)
    _rejects(lambda: holder.retire(token, 201, "ACME", "offset"), "CreditsLocked", unlocked=200)
    holder.transfer(trade.tier2.address, token, 200)  # the unlocked part moves
    chain.financing(trade.bank.key).offer(fid, 90_000, 800, 90)
    chain.financing(trade.supplier.key).accept(fid, trade.bank.org)
    _rejects(lambda: chain.credits(trade.tier2.key).release(fid), "CreditsFinancingLive")

    chain.financing(trade.buyer.key).repay(rid, 100_000)
    receipt = chain.credits(trade.tier2.key).release(fid)  # anyone, once repaid

    assert chain.credits().event(receipt, "CreditsReleased").args["kg"] == 300
    assert chain.credits().locked_of(trade.supplier.address, token) == 0
    holder.retire(token, 300, "ACME", "offset")
    assert chain.credits().balance_of(trade.supplier.address, token) == 0
    _rejects(lambda: chain.credits(trade.tier2.key).release(fid), "CreditsNoPledge")


def test_the_financier_seizes_pledged_credits_after_claiming_recourse(funded_trade: Trade) -> None:
    trade, chain = funded_trade, funded_trade.h.chain
    r = _reductions(trade.h)
    token = _credits_for(trade, r, 400)
    rid = trade.confirmed(amount=100_000)
    fid, _ = chain.financing(trade.supplier.key).request(rid, 90_000)
    chain.credits(trade.supplier.key).pledge(fid, token, 400)
    chain.financing(trade.bank.key).offer(fid, 90_000, 800, 90, recourse=True)
    chain.financing(trade.supplier.key).accept(fid, trade.bank.org)
    _rejects(lambda: chain.credits(trade.bank.key).seize(fid), "CreditsCannotSeize")  # not defaulted yet

    trade.h.increase_time(91 * DAY)
    chain.receivables(trade.bank.key).mark_overdue(rid)
    chain.financing(trade.bank.key).claim_recourse(fid)
    other_bank = make_party(trade.h, "other-bank", OrgRole.FINANCIER)
    _rejects(lambda: chain.credits(other_bank.key).seize(fid), "CreditsCannotSeize")
    chain.credits(trade.bank.key).seize(fid)

    view = chain.credits()
    assert (view.balance_of(trade.bank.address, token), view.balance_of(trade.supplier.address, token)) == (
        400,
        0,
    )
    assert view.pledge_of(fid).closed
    _rejects(lambda: chain.credits(trade.bank.key).seize(fid), "CreditsNoPledge")
