"""Runs the benchmarks on one embedded stack and writes one report (``python -m bench``)."""

from __future__ import annotations

import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    anchoring,
    api_reads,
    api_writes,
    indexer_catchup,
    iot_pipeline,
    matching,
    sender_throughput,
    trade_flow,
    ucp_examination,
)
from bench.core import Benchmark, Context, Result
from bench.gas import gas_table
from bench.report import GasRow, write_report

# The indexer catches up last, over the events the others left on the chain.
BENCHMARKS: tuple[Benchmark, ...] = (
    sender_throughput,
    trade_flow,
    matching,
    ucp_examination,
    anchoring,
    api_reads,
    api_writes,
    iot_pipeline,
    indexer_catchup,
)
RESULTS_DIR = Path(__file__).parent / "results"


def run_one(benchmark: Benchmark, ctx: Context, scale: float) -> Result:
    """Run one benchmark; a failure becomes a ``failed`` result naming the error, not the suite's end."""
    start = time.perf_counter()
    try:
        result = benchmark.run(ctx, scale)
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        ctx.console.print(f"[red]{benchmark.NAME} failed[/red]: {exc!r}")
        ctx.console.print(traceback.format_exc(), markup=False, highlight=False)
        result = Result(benchmark.NAME, benchmark.TITLE, benchmark.workload(scale), status="failed")
        result.notes.append(f"{type(exc).__name__}: {exc}")
    result.seconds = time.perf_counter() - start
    return result


def run_suite(
    scale: float = 1.0,
    out_dir: Path = RESULTS_DIR,
    *,
    only: list[str] | None = None,
    ctx: Context | None = None,
    plots: bool = True,
) -> tuple[list[Result], dict[str, Path]]:
    selected = [b for b in BENCHMARKS if not only or b.NAME in only]
    unknown = set(only or ()) - {b.NAME for b in BENCHMARKS}
    if unknown:
        raise SystemExit(f"unknown benchmarks {sorted(unknown)}; choose from {[b.NAME for b in BENCHMARKS]}")
    when = datetime.now(UTC)
    with ctx or Context() as context:
        with context.status("deploying the contracts and seeding the demo consortium on anvil"):
            context.stack  # noqa: B018 -- made before the first benchmark, so no benchmark's time includes it
        results = []
        for benchmark in selected:
            context.console.rule(f"{benchmark.NAME}: {benchmark.TITLE}")
            results.append(run_one(benchmark, context, scale))
            _print(context, results[-1])
        gas: list[GasRow] = []
        try:
            with context.status("gas table: reading every receipt"):
                gas = gas_table(context)
        except Exception as exc:  # the figures are still worth writing
            context.console.print(f"[red]gas table failed[/red]: {exc!r}")
        paths = write_report(results, gas, out_dir, when=when, scale=scale, plots=plots)
    return results, paths


def _print(ctx: Context, result: Result) -> None:
    from rich.table import Table

    from bench.report import _number, _verdict

    table = Table(
        "figure", "measured", "baseline", "ratio", "target", "", title=f"{result.name} ({result.status})"
    )
    for f in result.figures:
        table.add_row(
            f.name,
            _number(f.value, f.unit),
            f"{_number(f.baseline, f.unit)} {f.baseline_name}" if f.baseline is not None else "",
            _number(f.ratio) if f.ratio is not None else "",
            f.target.text if f.target else "",
            _verdict(f).strip("*"),
        )
    ctx.console.print(table)
    for note in result.notes:
        ctx.console.print(f"  {note}", markup=False, highlight=False)
