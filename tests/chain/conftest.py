"""Fixtures of the chain tests."""

from __future__ import annotations

import pytest

from tests.chain.trade_factories import Trade, make_trade
from tests.conftest import ChainHarness


@pytest.fixture
def funded_trade(harness: ChainHarness) -> Trade:
    """Trade parties with settlement tokens: the bank funds, the buyer repays (both approved)."""
    t = make_trade(harness)
    chain = harness.chain
    financing = chain.manifest.address("Financing")  # type: ignore[union-attr]
    chain.settlement_token(t.bank.key).mint(t.bank.address, 10_000_000)
    chain.settlement_token(t.bank.key).mint(t.buyer.address, 1_000_000)
    chain.settlement_token(t.bank.key).approve(financing, 10_000_000)
    chain.settlement_token(t.buyer.key).approve(financing, 1_000_000)
    return t
