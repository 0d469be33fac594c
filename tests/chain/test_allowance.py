"""``ensure_allowance``: one approval, however many writes of one key ask for it at once."""

from __future__ import annotations

import threading

import pytest

from tests.chain.trade_factories import make_trade
from tests.conftest import ChainHarness


@pytest.mark.chain
def test_concurrent_writes_of_one_key_approve_once(harness: ChainHarness) -> None:
    chain, bank = harness.chain, make_trade(harness).bank
    spender = chain.require_manifest().address("Financing")
    start = harness.chain.w3.eth.block_number
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def ask() -> None:
        try:
            barrier.wait(10)
            chain.settlement_token(bank.key).ensure_allowance(spender, 1_000)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    token = chain.settlement_token()
    logs = chain.w3.eth.get_logs(
        {
            "fromBlock": start + 1,
            "address": token.address,
            "topics": [chain.w3.keccak(text="Approval(address,address,uint256)").to_0x_hex()],
        }
    )
    assert len(logs) == 1  # four writes asked, one approval went on chain
    assert token.call("allowance", bank.address, spender) == 2**256 - 1
