"""API reads at 50 concurrent clients from a separate load process, against a trivial endpoint.

The API runs in its own process (uvicorn, as ``tradeledger up`` serves it) over the run's chain and
database, after the other benchmarks filled it; the load generator (``bench.load``) is another
process. Reads: receivable detail and lists with filters (``limit``/``offset`` pages, one device's
readings, orders, financing requests), each with its organisation's API key. Baseline, measured on
the same server in the same run: ``GET /bench/noop``, a trivial FastAPI endpoint.
"""

from __future__ import annotations

from bench.apiload import run_load, served_api
from bench.core import Context, Figure, Result, Target, percentile, rate, scaled

NAME = "api_reads"
TITLE = "API reads at 50 concurrent clients against a trivial endpoint"
CONCURRENCY = 50


def workload(scale: float) -> dict[str, object]:
    return {
        "concurrency": CONCURRENCY,
        "seconds per phase": scaled(15, scale, 2),
        "receivables": "those of the run, up to 20",
    }


def _requests(ctx: Context) -> list[list[str]]:
    from sqlmodel import Session, select

    from api.receivables.models import ReceivableRow

    keys = ctx.api_keys
    with Session(ctx.stack.engine) as session:
        receivables = list(session.exec(select(ReceivableRow).limit(50)))
    if not receivables:  # run alone (``--only api_reads``): one story makes three
        from tradeledger.story import run_story

        run_story(ctx.stack)
        with Session(ctx.stack.engine) as session:
            receivables = list(session.exec(select(ReceivableRow).limit(50)))
    buyer, supplier, bank = keys["acme-motors"], keys["shenzhen-precision"], keys["harbour-bank"]
    requests = [[f"/api/v1/receivables/{r.receivable_id}", buyer] for r in receivables[:20]]
    requests += [
        ["/api/v1/receivables?limit=20", buyer],
        ["/api/v1/receivables?limit=10&offset=5", supplier],
        ["/api/v1/purchase-orders?limit=20", buyer],
        ["/api/v1/financing-requests", bank],
        ["/api/v1/readings?limit=50", keys["acme-motors"]],
    ]
    return requests


def run(ctx: Context, scale: float) -> Result:
    load = workload(scale)
    result = Result(NAME, TITLE, load)
    seconds = int(load["seconds per phase"])  # type: ignore[call-overload]
    requests = _requests(ctx)
    key = ctx.api_keys["acme-motors"]
    with served_api(ctx) as (base, rss):
        spec = {"base_url": base, "concurrency": CONCURRENCY, "seconds": seconds, "kind": "reads"}
        with ctx.status(f"baseline: GET /bench/noop, {CONCURRENCY} clients, {seconds} s"):
            noop = run_load({**spec, "requests": [["/bench/noop", key]]})
        with ctx.status(f"reads: {len(requests)} kinds of GET, {CONCURRENCY} clients, {seconds} s"):
            reads = run_load({**spec, "requests": requests})
        peak = rss.peak
    base_rate = rate(len(noop["latencies_ms"]), noop["seconds"])
    read_rate = rate(len(reads["latencies_ms"]), reads["seconds"])
    result.add(
        Figure(
            "reads p95",
            percentile(reads["latencies_ms"], 95),
            "ms",
            percentile(noop["latencies_ms"], 95),
            "trivial endpoint p95",
            Target("<=", 100, text="p95 <= 100 ms"),
        )
    )
    result.add(
        Figure(
            "reads throughput",
            read_rate,
            "req/s",
            base_rate,
            "trivial endpoint",
            Target(">=", 500, text=">= 500 requests/s"),
        )
    )
    result.add(Figure("API peak RSS under reads", peak, "MB", target=Target("<=", 300, text="API <= 300 MB")))
    result.series["API reads"] = reads["latencies_ms"]
    result.series["trivial endpoint"] = noop["latencies_ms"]
    for name, phase in (("trivial endpoint", noop), ("reads", reads)):
        if phase["errors"]:
            result.notes.append(f"{name}: non-200 answers {phase['errors']}")
    result.notes.append(f"{len(reads['latencies_ms'])} reads over {len(requests)} paths")
    return result
