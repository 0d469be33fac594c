"""UCP 600 examination: presentation-to-report latency and examinations per second.

Baseline measured in the same run: validating the same presentation JSON into the engine's models
and hashing its canonical form (what any examiner that checks its input and commits to it must
do at least). The engine's figures are reported next to it and as a ratio.

    python -m bench.ucp_examination [--count 2000]
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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2_000)
    main(parser.parse_args().count)
