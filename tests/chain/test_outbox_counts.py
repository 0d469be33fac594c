"""The outbox reads every journaled account's mined count in one JSON-RPC batch."""

from __future__ import annotations

import pytest
from web3 import Web3

from chain.client import NodeProvider
from chain.errors import Unavailable
from chain.node import free_port
from chain.outbox import mined_counts
from tests.conftest import ChainHarness


@pytest.mark.chain
def test_one_batch_gives_each_accounts_own_count(harness: ChainHarness) -> None:
    w3 = harness.chain.w3
    sender, idle = harness.new_key("counts-sender"), harness.new_key("counts-idle")
    for _ in range(3):
        harness.chain.sender("counts-sender").transact({"to": idle, "value": 1})
    accounts = [idle, sender, harness.new_key("counts-other")]
    counts = mined_counts(w3, accounts)
    assert counts == {a: w3.eth.get_transaction_count(a, "latest") for a in accounts}  # type: ignore[arg-type]
    assert (counts[sender], counts[idle]) == (3, 0)
    assert mined_counts(w3, []) == {}


def test_an_unreachable_node_is_unavailable_not_a_transport_error() -> None:
    w3 = Web3(NodeProvider(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(Unavailable) as refused:
        mined_counts(w3, ["0x0000000000000000000000000000000000000001"])
    assert refused.value.code == "chain_unavailable"
