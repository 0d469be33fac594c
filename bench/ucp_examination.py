"""UCP 600 examination: per-presentation latency of the engine, and presentation to report end to end.

1. The engine alone, against a baseline measured in the same run: validating the same
   presentation JSON into the engine's models and hashing its canonical form (what any examiner
   that checks its input and commits to it must do at least). Target: p95 <= 50 ms.
2. End to end on the embedded chain, through the service the API uses: the beneficiary presents
   (documents stored, commitment on chain), the issuing bank examines (engine run, report stored,
   its hash recorded on chain) and honours at sight (DvP) — against raw anvil round trips.
"""

from __future__ import annotations

import statistics
import time

from eth_utils import keccak

from api.credit.examination import CreditTerms, Presentation, examine
from api.trade.documents import canonical_json
from bench.core import Context, Figure, Result, Target, percentile, rate, scaled, timed

NAME = "ucp_examination"
TITLE = "UCP 600 examination engine, and presentation to report end to end"


def workload(scale: float) -> dict[str, object]:
    return {"examinations": scaled(2_000, scale, 50), "presentations end to end": scaled(20, scale, 2)}


def _inputs() -> tuple[dict[str, object], dict[str, object]]:
    from tests.credit.test_examination import credit, presentation

    return credit().model_dump(mode="json"), presentation().model_dump(mode="json")


def run(ctx: Context, scale: float) -> Result:
    load = workload(scale)
    result = Result(NAME, TITLE, load)
    count = int(load["examinations"])  # type: ignore[call-overload]
    credit_json, presentation_json = _inputs()

    def baseline() -> None:
        Presentation.model_validate(presentation_json)
        keccak(canonical_json(presentation_json))

    def engine() -> None:
        examine(CreditTerms.model_validate(credit_json), Presentation.model_validate(presentation_json))

    with ctx.status(f"{count} examinations"):
        base, measured = timed(baseline, count), timed(engine, count)
    result.add(
        Figure(
            "examination p95",
            percentile(measured, 95) * 1000,
            "ms",
            percentile(base, 95) * 1000,
            "validate + hash p95",
            Target("<=", 50, text="p95 <= 50 ms"),
        )
    )
    result.add(
        Figure("examinations", rate(count, sum(measured)), "/s", rate(count, sum(base)), "validate + hash")
    )
    result.series["UCP examination"] = [s * 1000 for s in measured]
    end_to_end(ctx, int(load["presentations end to end"]), result)  # type: ignore[call-overload]
    return result


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


def end_to_end(ctx: Context, presentations: int, result: Result) -> None:
    """Presentation to recorded report (and honour at sight) through CreditService on the chain."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session

    from api.credit.schemas import CreditIn, PresentationIn
    from api.credit.service import CreditService
    from api.financing.service import FinancingService
    from bench.baselines import round_trips
    from chain.ids import org_id, to_hex32
    from tradeledger.story import caller_for

    stack = ctx.stack
    latencies: list[float] = []
    raw = round_trips(ctx.node_url, scaled(100, presentations / 20, 10))
    now = int(stack.chain.w3.eth.get_block("latest")["timestamp"])
    today = datetime.fromtimestamp(now, UTC).date()
    with Session(stack.engine) as session:
        svc = CreditService(session, stack.chain, stack.indexer)
        buyer, bank, seller = (
            caller_for(session, h) for h in ("acme-motors", "harbour-bank", "shenzhen-precision")
        )
        FinancingService(session, stack.chain, stack.indexer).deposit(bank, bank.org_id, 100 * presentations)
        terms = {
            "number": f"LC-BENCH-{time.time_ns()}",
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
        honour = 0.0
        for i in range(presentations):
            with ctx.status(f"presentation {i + 1}/{presentations}"):
                t0 = time.perf_counter()
                presented = svc.present(seller, credit.id, documents)
                report = svc.examine(bank, presented.id).report
                latencies.append(time.perf_counter() - t0)
                assert report is not None and report.complying, report
                if i == 0:  # one honour at sight, for the gas table
                    t1 = time.perf_counter()
                    svc.honour(bank, presented.id)
                    honour = time.perf_counter() - t1
    result.add(
        Figure(
            "present + examine + record, median",
            statistics.median(latencies) * 1000,
            "ms",
            1000 / raw,
            "raw round trip",
        )
    )
    result.add(Figure("present + examine + record, p95", percentile(latencies, 95) * 1000, "ms"))
    result.add(Figure("honour at sight (DvP)", honour * 1000, "ms", 1000 / raw, "raw round trip"))
    result.series["LC present + examine + record"] = [s * 1000 for s in latencies]
