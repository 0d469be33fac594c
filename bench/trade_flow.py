"""Receivables flow: latency and business throughput against raw anvil, and matching throughput.

Baselines measured in the same run:
- raw node: value transfers sent one at a time and waited for (the node's own round trip);
- the business steps (issue an invoice as a receivable with its match attestation, confirm,
  finance with DvP) are timed through the same services the API uses, and reported as
  business operations per second and as a ratio of the raw rate;
- latency from a confirmed receivable to a funded financing;
- the matching engine alone, in documents per second (pure Python, no I/O).

    python -m bench.trade_flow [--stories 5]
"""

from __future__ import annotations

import argparse
import statistics
import time


def _raw_round_trips(url: str, count: int) -> float:
    from eth_account import Account
    from web3 import HTTPProvider, Web3

    from chain.node import fund_if_embedded

    w3 = Web3(HTTPProvider(url, cache_allowed_requests=True))
    account = Account.create()
    fund_if_embedded(url, account.address)
    chain_id, price = w3.eth.chain_id, w3.eth.gas_price
    start = time.perf_counter()
    for nonce in range(count):
        tx = {
            "to": "0x000000000000000000000000000000000000dEaD",
            "value": 1,
            "gas": 21_000,
            "gasPrice": price,
            "nonce": nonce,
            "chainId": chain_id,
        }
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction), poll_latency=0.005
        )
    return count / (time.perf_counter() - start)


def _matching_rate(seconds: float = 2.0) -> float:
    from api.trade.matching import match
    from tests.trade.factories import make_invoice, make_po, make_receipt

    po = make_po(20)
    receipt, invoice = make_receipt(po), make_invoice(po)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        match(po, [receipt], [], invoice)
        done += 1
    return done * 3 / (time.perf_counter() - start)  # three documents per match


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="receivables flow benchmark")
    parser.add_argument("--stories", type=int, default=5)
    args = parser.parse_args(argv or [])
    from rich.console import Console
    from rich.table import Table

    from bench.embedded import demo_stack
    from tradeledger.story import run_story

    console = Console()
    with demo_stack(console) as (stack, url):
        with console.status("baseline: raw value transfers, one at a time"):
            raw = _raw_round_trips(url, 200)
        stories = []
        for i in range(args.stories):
            with console.status(f"story {i + 1}/{args.stories}"):
                stories.append(run_story(stack, tag=f"B{i}-{time.time_ns()}"))
    with console.status("matching engine"):
        docs_per_second = _matching_rate()

    def seconds(prefix: str) -> list[float]:
        return [s for story in stories for name, s in story.steps if name.startswith(prefix)]

    issue, confirm = seconds("invoice issued"), seconds("receivable confirmed")
    finance = seconds("Dongguan Castings financed")
    business_ops = 3 * len(stories)  # issue + confirm + finance per story
    business_rate = business_ops / (sum(issue) + sum(confirm) + sum(finance))
    latency = [story.confirmed_to_funded for story in stories]

    table = Table("measure", "value", "vs baseline", title=f"receivables flow, {len(stories)} stories")
    table.add_row("raw anvil round trips (baseline)", f"{raw:,.1f} tx/s", "1.00")
    table.add_row(
        "business operations (issue, confirm, finance)",
        f"{business_rate:,.2f} ops/s",
        f"{business_rate / raw:.3f}",
    )
    table.add_row("  issue + match + attest (median)", f"{statistics.median(issue) * 1000:,.0f} ms", "")
    table.add_row("  confirm (median)", f"{statistics.median(confirm) * 1000:,.0f} ms", "")
    table.add_row(
        "  request + offer + accept with DvP (median)", f"{statistics.median(finance) * 1000:,.0f} ms", ""
    )
    table.add_row(
        "confirmed → funded latency (median)",
        f"{statistics.median(latency) * 1000:,.0f} ms",
        f"{statistics.median(latency) * raw:.1f} raw round trips",
    )
    table.add_row("matching engine (20-line documents)", f"{docs_per_second:,.0f} documents/s", "")
    console.print(table)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
