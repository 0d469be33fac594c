"""Three-document matching: PO, goods receipt and invoice of 10 lines each, matched by the pure engine
(no I/O) in triples per second on one core.

The target figure matches the same three documents again and again: each input's canonical hash is
then remembered on its instance (``canonical_hash``). The second figure matches fresh copies each time
(``model_copy``, a few percent of the time), so every input is serialised and hashed again — the cost
of documents the process has not matched before, such as documents read back from storage."""

from __future__ import annotations

import time
from collections.abc import Callable

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

    def again() -> None:
        match(po, [receipt], [], invoice)

    def fresh() -> None:
        match(po.model_copy(), [receipt.model_copy()], [], invoice.model_copy())

    result = Result(NAME, TITLE, workload(scale))
    with ctx.status(f"matching {LINES}-line triples for {seconds:g} s"):
        triples = _rate(again, seconds)
    result.add(
        Figure(
            "matched triples", triples, "triples/s", target=Target(">=", 10_000, text=">= 10,000 triples/s")
        )
    )
    with ctx.status(f"matching fresh copies of {LINES}-line triples for {seconds:g} s"):
        result.add(Figure("matched triples, documents new to the engine", _rate(fresh, seconds), "triples/s"))
    return result


def _rate(step: Callable[[], None], seconds: float) -> float:
    """Calls of ``step`` per second, over ``seconds``."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        done += 1
    return rate(done, time.perf_counter() - start)
