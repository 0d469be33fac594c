"""API writes that change chain state at 20 concurrent clients, against raw signed transactions.

Prepared first through the services (not timed): ``flows`` purchase orders of one line, each with
its goods receipt, and the bank's tokenized cash. Then 20 clients of a separate load process
(``bench.load``) each take the next flow and run it through the API served by uvicorn in its own
process: the supplier issues the invoice (receivable minted, matched, attested), the buyer confirms,
the supplier requests financing, the bank offers, the supplier accepts (DvP). Measured: p95 of
every write, writes per second, confirmed -> funded per flow, and the API's peak RSS. Baseline in
the same run: 20 threads each sending raw signed value transfers to the node and waiting for them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from bench.apiload import run_load, served_api
from bench.baselines import concurrent
from bench.core import Context, Figure, Result, Target, percentile, rate, scaled

NAME = "api_writes"
TITLE = "API writes (issue, confirm, finance) at 20 concurrent clients against raw transactions"
CONCURRENCY = 20
WRITES_PER_FLOW = 5
PO_CSV = """po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price
{po},USD,{issued},{delivery},1,BRK-220,Brake disc 220 mm,10,EA,100.00
"""
LINE = {"po_line_no": 1, "item": "BRK-220", "quantity": "10", "unit": "EA"}
FACE = 1_000_00  # 10 x 100.00 USD in minor units


def workload(scale: float) -> dict[str, object]:
    return {
        "concurrency": CONCURRENCY,
        "flows": scaled(40, scale, 2),
        "writes per flow": WRITES_PER_FLOW,
        "raw transactions per thread": scaled(30, scale, 3),
    }


def _flows(ctx: Context, count: int) -> list[dict[str, object]]:
    from sqlmodel import Session

    from api.financing.service import FinancingService
    from api.orders.schemas import GoodsReceiptIn
    from api.orders.service import OrdersService
    from tradeledger.story import caller_for

    keys, stack = ctx.api_keys, ctx.stack
    today = datetime.now(UTC).date()
    flows: list[dict[str, object]] = []
    with Session(stack.engine) as session:
        buyer, supplier, bank = (
            caller_for(session, h) for h in ("acme-motors", "shenzhen-precision", "harbour-bank")
        )
        orders = OrdersService(session, stack.chain, stack.indexer)
        FinancingService(session, stack.chain, stack.indexer).deposit(bank, bank.org_id, FACE * count)
        for i in range(count):
            tag = f"W{i}-{time.time_ns()}"
            csv = PO_CSV.format(
                po=f"PO-{tag}", issued=today - timedelta(days=30), delivery=today - timedelta(days=5)
            )
            order = orders.upload(buyer, csv=csv, supplier=supplier.org_id)
            receipt = GoodsReceiptIn(
                receipt_number=f"GR-{tag}", received_at=datetime.now(UTC) - timedelta(days=2), lines=[LINE]
            )
            orders.add_goods_receipt(buyer, order.id, receipt)
            invoice = {
                "order_id": order.id,
                "invoice_number": f"INV-{tag}",
                "currency": "USD",
                "issue_date": today.isoformat(),
                "due_date": (today + timedelta(days=90)).isoformat(),
                "lines": [{**LINE, "unit_price": "100.00"}],
            }
            flows.append(
                {
                    "invoice": invoice,
                    "offer": {"advance_minor": FACE * 97 // 100, "discount_bps": 350, "tenor_days": 90},
                    "bank": bank.org_id,
                    "buyer_key": keys["acme-motors"],
                    "supplier_key": keys["shenzhen-precision"],
                    "bank_key": keys["harbour-bank"],
                }
            )
    return flows


def run(ctx: Context, scale: float) -> Result:
    load = workload(scale)
    result = Result(NAME, TITLE, load)
    count = int(load["flows"])  # type: ignore[call-overload]
    per_thread = int(load["raw transactions per thread"])  # type: ignore[call-overload]
    with ctx.status(f"baseline: {CONCURRENCY} threads x {per_thread} raw transactions"):
        raw, raw_latencies = concurrent(ctx.node_url, CONCURRENCY, per_thread)
    with ctx.status(f"preparing {count} orders with goods receipts (not timed)"):
        flows = _flows(ctx, count)
    with served_api(ctx) as (base, rss):
        with ctx.status(f"writes: {count} flows x {WRITES_PER_FLOW} writes, {CONCURRENCY} clients"):
            writes = run_load(
                {"kind": "writes", "base_url": base, "concurrency": CONCURRENCY, "flows": flows}
            )
        peak = rss.peak
    ctx.stack.indexer.sync()  # the API process indexed its own writes into the same database
    latencies, funded = writes["latencies_ms"], writes["confirmed_to_funded_s"]
    result.add(
        Figure(
            "writes p95",
            percentile(latencies, 95),
            "ms",
            percentile(raw_latencies, 95) * 1000,
            "raw transaction p95",
            Target("<=", 500, text="p95 <= 500 ms"),
        )
    )
    result.add(
        Figure(
            "writes throughput",
            rate(len(latencies), writes["seconds"]),
            "writes/s",
            raw,
            "raw transactions",
            Target(">=", 0.5, "ratio", ">= 50% of the raw rate"),
        )
    )
    if funded:
        result.add(
            Figure(
                "confirmed -> funded through the API, p95",
                percentile(funded, 95),
                "s",
                target=Target("<=", 5, text="<= 5 s on the embedded chain"),
            )
        )
    result.add(
        Figure("API peak RSS under writes", peak, "MB", target=Target("<=", 300, text="API <= 300 MB"))
    )
    result.series["API writes"] = latencies
    result.series["raw transactions, 20 threads"] = [s * 1000 for s in raw_latencies]
    if writes["errors"]:
        result.notes.append(
            f"{len(writes['errors'])} of {count} flows failed; first: {writes['errors'][0][:300]}"
        )
    return result
