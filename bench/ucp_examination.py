"""UCP 600 examination: examinations per second, and presentation-to-report latency end to end.

1. The engine alone, against a baseline measured in the same run: validating the same
   presentation JSON into the engine's models and hashing its canonical form (what any examiner
   that checks its input and commits to it must do at least).
2. End to end on an embedded chain, through the service the API uses: the beneficiary presents
   (documents stored, commitment on chain) and the issuing bank examines (engine run, report
   stored, its hash recorded on chain) — presentation to report — against raw anvil round trips.

    python -m bench.ucp_examination [--count 2000] [--presentations 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

from eth_utils import keccak
from rich.console import Console
from rich.table import Table

from api.credit.examination import CreditTerms, Presentation, examine
from api.trade.documents import canonical_json


def _inputs() -> tuple[dict[str, object], dict[str, object]]:
    from tests.credit.test_examination import credit, presentation

    return credit().model_dump(mode="json"), presentation().model_dump(mode="json")


def main(count: int = 2_000) -> None:
    credit_json, presentation_json = _inputs()

    def baseline() -> None:
        Presentation.model_validate(presentation_json)
        keccak(canonical_json(presentation_json))

    def engine() -> None:
        examine(CreditTerms.model_validate(credit_json), Presentation.model_validate(presentation_json))

    results = {}
    for name, step in (("baseline: validate + hash", baseline), ("examination: validate + examine", engine)):
        for _ in range(min(200, count)):  # warm up (imports, caches) before timing
            step()
        latencies = []
        start = time.perf_counter()
        for _ in range(count):
            t0 = time.perf_counter()
            step()
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        latencies.sort()
        results[name] = (count / elapsed, statistics.median(latencies), latencies[int(0.99 * (count - 1))])

    table = Table(title=f"UCP 600 examination ({count} presentations, one core)")
    for column in ("", "per second", "median latency", "p99 latency", "vs baseline"):
        table.add_column(column)
    base_rate = results["baseline: validate + hash"][0]
    for name, (rate, median, p99) in results.items():
        table.add_row(
            name, f"{rate:,.0f}", f"{median * 1e3:.3f} ms", f"{p99 * 1e3:.3f} ms", f"{rate / base_rate:.2f}"
        )
    Console().print(table)


def _documents(shipped: str) -> dict[str, object]:
    party = "Shenzhen Precision Parts"
    return {
        "amount_minor": 100,
        "invoice": {
            "issuer": party,
            "addressed_to": "ACME Motors",
            "currency": "USD",
            "amount": 100,
            "goods_description": "Brake discs",
            "issue_date": shipped,
        },
        "bills_of_lading": [
            {
                "shipper": party,
                "port_of_loading": "CNSZX",
                "port_of_discharge": "NLRTM",
                "shipped_on_board_date": shipped,
                "issue_date": shipped,
            }
        ],
    }


def end_to_end(presentations: int = 20) -> None:
    """Presentation to recorded report through CreditService (as the API) on an embedded chain."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session

    from api.credit.schemas import CreditIn, PresentationIn
    from api.credit.service import CreditService
    from bench.embedded import demo_stack
    from bench.trade_flow import _raw_round_trips
    from chain.ids import org_id, to_hex32
    from tradeledger.story import caller_for

    console = Console()
    latencies: list[float] = []
    with demo_stack(console) as (stack, url):
        raw = _raw_round_trips(url, 100)
        now = int(stack.chain.w3.eth.get_block("latest")["timestamp"])
        today = datetime.fromtimestamp(now, UTC).date()
        with Session(stack.engine) as session:
            svc = CreditService(session, stack.chain, stack.indexer)
            buyer, bank, seller = (
                caller_for(session, h) for h in ("acme-motors", "harbour-bank", "shenzhen-precision")
            )
            terms = {
                "number": "LC-BENCH",
                "issuing_bank": to_hex32(org_id("harbour-bank")),
                "advising_bank": to_hex32(org_id("harbour-bank")),
                "beneficiary": to_hex32(org_id("shenzhen-precision")),
                "currency": "USD",
                "amount": 100 * presentations,
                "goods_description": "Brake discs",
                "expiry_date": (today + timedelta(days=60)).isoformat(),
                "latest_shipment_date": (today + timedelta(days=30)).isoformat(),
            }
            credit = svc.apply(buyer, CreditIn.model_validate(terms))
            svc.issue(bank, credit.id)
            svc.advise(bank, credit.id)
            documents = PresentationIn.model_validate(_documents((today - timedelta(days=2)).isoformat()))
            for i in range(presentations):
                with console.status(f"presentation {i + 1}/{presentations}"):
                    t0 = time.perf_counter()
                    presented = svc.present(seller, credit.id, documents)
                    report = svc.examine(bank, presented.id).report
                    latencies.append(time.perf_counter() - t0)
                    assert report is not None and report.complying, report
    latencies.sort()
    median = statistics.median(latencies)
    table = Table(title=f"presentation to report, end to end ({presentations} presentations)")
    for column in ("", "value", "vs baseline"):
        table.add_column(column)
    table.add_row("raw anvil round trips (baseline)", f"{raw:,.1f} tx/s", "1.00")
    table.add_row(
        "present + examine + record (median)", f"{median * 1e3:,.0f} ms", f"{median * raw:.1f} round trips"
    )
    table.add_row("  p95", f"{latencies[int(0.95 * (len(latencies) - 1))] * 1e3:,.0f} ms", "")
    console.print(table)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2_000)
    parser.add_argument("--presentations", type=int, default=20)
    args = parser.parse_args()
    main(args.count)
    end_to_end(args.presentations)
