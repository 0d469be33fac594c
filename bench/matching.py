"""Three-document matching: PO, goods receipt and invoice of 10 lines each, matched by the pure engine
(no I/O) in triples per second on one core."""

from __future__ import annotations

import time

from bench.core import Context, Figure, Result, Target, rate

NAME = "matching"
TITLE = "three-document matching engine (PO, goods receipt, invoice)"
LINES = 10


def workload(scale: float) -> dict[str, object]:
    return {"lines per document": LINES, "seconds": round(max(0.2, 3.0 * scale), 2), "cores": 1}


def run(ctx: Context, scale: float) -> Result:
    from api.trade.matching import match
    from tests.trade.factories import make_invoice, make_po, make_receipt

    seconds = float(workload(scale)["seconds"])  # type: ignore[arg-type]
    po = make_po(LINES)
    receipt, invoice = make_receipt(po), make_invoice(po)
    match(po, [receipt], [], invoice)  # warm up
    done, start = 0, time.perf_counter()
    with ctx.status(f"matching {LINES}-line triples for {seconds:g} s"):
        while time.perf_counter() - start < seconds:
            match(po, [receipt], [], invoice)
            done += 1
    result = Result(NAME, TITLE, workload(scale))
    triples = rate(done, time.perf_counter() - start)
    result.add(
        Figure(
            "matched triples", triples, "triples/s", target=Target(">=", 10_000, text=">= 10,000 triples/s")
        )
    )
    return result
