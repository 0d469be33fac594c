"""The event decoder against web3's own: every log of a trade's history decodes to the same arguments,
whether it comes as the node sends it (hex strings, as the indexer reads it) or formatted by web3."""

from __future__ import annotations

from typing import Any

import pytest

from chain.events import ChainEvent
from chain.reverts import _canonical_type, _jsonable
from tests.chain.trade_factories import Trade

pytestmark = pytest.mark.chain


def _history(trade: Trade) -> None:
    """A receivable issued, matched, confirmed, split, part passed on, financed and repaid."""
    chain = trade.h.chain
    rid = trade.confirmed(amount=100_000)
    (part60, part40), _ = chain.receivables(trade.supplier.key).split(rid, [60_000, 40_000])
    chain.receivables(trade.supplier.key).transfer(part40, trade.tier2.address)
    fid, _ = chain.financing(trade.tier2.key).request(part40, 38_000)
    chain.financing(trade.bank.key).offer(fid, 38_000, 250, 90, recourse=True)
    chain.financing(trade.tier2.key).accept(fid, trade.bank.org)
    chain.financing(trade.buyer.key).repay(part60, 60_000)


def _reference(trade: Trade, log: dict[str, Any], event: ChainEvent) -> dict[str, Any]:
    """``event``'s arguments as web3 decodes the log, made JSON-able as the index stores them."""
    contract = trade.h.chain.contract(event.contract)
    decoded = contract._contract.events[event.name]().process_log(log)  # type: ignore[arg-type]
    abi = next(i for i in contract.abi if i.get("type") == "event" and i["name"] == event.name)
    return {p["name"]: _jsonable(decoded["args"][p["name"]], _canonical_type(p)) for p in abi["inputs"]}


def test_raw_and_formatted_logs_decode_as_web3_does(funded_trade: Trade) -> None:
    _history(funded_trade)
    chain = funded_trade.h.chain
    decoder = chain.event_decoder()
    query: dict[str, Any] = {"fromBlock": 0, "toBlock": "latest", "address": decoder.addresses}
    formatted = [dict(log) for log in chain.w3.eth.get_logs(query)]  # type: ignore[arg-type]
    raw = chain.w3.provider.make_request(  # type: ignore[arg-type]
        "eth_getLogs", [{**query, "fromBlock": "0x0"}]
    )["result"]

    from_raw = [decoder.decode(log) for log in raw]
    from_formatted = [decoder.decode(log) for log in formatted]

    assert from_raw == from_formatted
    events = [e for e in from_raw if e is not None]
    names = {e.name for e in events}
    assert {"OrganisationRegistered", "ReceivableSplit", "Transfer", "FinancingFunded"} <= names
    for log, event in zip(formatted, from_formatted, strict=True):
        if event is not None:
            assert event.args == _reference(funded_trade, log, event), event.name
            assert event.block_hash == log["blockHash"].to_0x_hex()
            assert event.tx_hash == log["transactionHash"].to_0x_hex()
            assert (event.block_number, event.log_index) == (log["blockNumber"], log["logIndex"])
