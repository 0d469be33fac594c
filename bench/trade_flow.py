"""Receivables flow through the services the API uses, against raw anvil round trips.

The receivables story (``tradeledger/story.py``: PO, shipment, goods receipt, invoice issued as a
receivable with its match attested, confirmation, split, transfer, financing with DvP, repayment)
runs ``stories`` times on the embedded chain. Measured: the business operations (issue + match +
attest, confirm, finance) per second against value transfers sent one at a time and waited for
(the node's own round trip), and confirmed -> funded latency in the services (the API's own figure
is in ``api_writes``).
"""

from __future__ import annotations

import statistics
import time

from bench.baselines import round_trips
from bench.core import Context, Figure, Result, rate, scaled

NAME = "trade_flow"
TITLE = "receivables story through the services against raw anvil round trips"


def workload(scale: float) -> dict[str, object]:
    return {"stories": scaled(5, scale, 1), "raw round trips": scaled(200, scale, 10), "concurrency": 1}


def run(ctx: Context, scale: float) -> Result:
    from tradeledger.story import run_story

    load = workload(scale)
    result = Result(NAME, TITLE, load)
    with ctx.status("baseline: raw value transfers, one at a time"):
        raw = round_trips(ctx.node_url, int(load["raw round trips"]))  # type: ignore[call-overload]
    stories = []
    for i in range(int(load["stories"])):  # type: ignore[call-overload]
        with ctx.status(f"story {i + 1}/{load['stories']}"):
            stories.append(run_story(ctx.stack, tag=f"B{i}-{time.time_ns()}"))

    def seconds(prefix: str) -> list[float]:
        return [s for story in stories for name, s in story.steps if name.startswith(prefix)]

    issue, confirm = seconds("invoice issued"), seconds("receivable confirmed")
    finance = seconds("Dongguan Castings financed")
    business = rate(3 * len(stories), sum(issue) + sum(confirm) + sum(finance))
    result.add(
        Figure("business operations (issue, confirm, finance)", business, "ops/s", raw, "raw round trips")
    )
    for name, values in (
        ("issue + match + attest, median", issue),
        ("confirm, median", confirm),
        ("request + offer + accept (DvP), median", finance),
        ("confirmed -> funded (services), median", [s.confirmed_to_funded for s in stories]),
    ):
        result.add(Figure(name, statistics.median(values) * 1000, "ms"))
    result.notes.append(f"a raw round trip takes {1000 / raw:.1f} ms")
    return result
