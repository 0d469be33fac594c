"""The suite's report: ``<date>.json`` (everything), ``<date>.md`` (the summary, each target met or
missed, the gas table) and PNG plots (headroom against every target; latency distributions)."""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.core import Figure, Result


@dataclass(frozen=True)
class GasRow:
    operation: str  # the business operation, e.g. "issue receivable"
    function: str  # Contract.function
    count: int
    mean: int
    minimum: int
    maximum: int


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def write_report(
    results: list[Result],
    gas: list[GasRow],
    out_dir: Path,
    *,
    when: datetime,
    scale: float,
    plots: bool = True,
) -> dict[str, Path]:
    """Write the JSON, the markdown summary and the plots; returns kind -> path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = when.date().isoformat()
    paths = {"json": out_dir / f"{stem}.json", "markdown": out_dir / f"{stem}.md"}
    document = {
        "date": when.isoformat(timespec="seconds"),
        "scale": scale,
        "machine": machine(),
        "results": [r.as_dict() for r in results],
        "gas": [g.__dict__ for g in gas],
    }
    paths["json"].write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    if plots:
        paths.update(_plots(results, out_dir, stem))
    paths["markdown"].write_text(markdown(results, gas, when=when, scale=scale, plots=paths))
    return paths


def _number(value: float | None, unit: str = "") -> str:
    if value is None or math.isnan(value):
        return "—"
    magnitude = abs(value)
    text = f"{value:,.0f}" if magnitude >= 100 else f"{value:,.2f}" if magnitude >= 1 else f"{value:.4g}"
    return f"{text} {unit}".strip()


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split()).replace("|", "/")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _verdict(figure: Figure) -> str:
    return {True: "**met**", False: "**missed**", None: "—" if figure.target is None else "n/a"}[figure.met]


def markdown(
    results: list[Result], gas: list[GasRow], *, when: datetime, scale: float, plots: dict[str, Path]
) -> str:
    info = machine()
    lines = [
        f"# Benchmarks, {when.date().isoformat()}",
        "",
        f"Run at {when.isoformat(timespec='seconds')} on {info['cpus']} CPUs ({info['platform']}, Python "
        f"{info['python']}, load average {info['load_average']}), scale {scale:g}. Every figure stands "
        "next to a baseline measured in the same run; compare ratios between machines, not absolute "
        "figures.",
        "",
        "| benchmark | figure | measured | baseline | ratio | target | |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.status != "ok":
            lines.append(f"| {r.name} | *{r.status}* | | | | | {_one_line('; '.join(r.notes))} |")
        for f in r.figures:
            base = f"{_number(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline is not None else "—"
            ratio = _number(f.ratio) if f.ratio is not None else "—"
            target = f.target.text if f.target else ""
            lines.append(
                f"| {r.name} | {f.name} | {_number(f.value, f.unit)} | {base} | {ratio} | {target} "
                f"| {_verdict(f)} |"
            )
    missed = [(r, f) for r in results for f in r.figures if f.met is False]
    lines += ["", "## Targets missed", ""]
    lines += [
        f"- {r.name}: {f.name} {_number(f.value, f.unit)} ({f.target.text})" for r, f in missed if f.target
    ]
    if not missed:
        lines.append("None.")
    lines += ["", "## Workloads", ""]
    for r in results:
        workload = ", ".join(f"{k} {v}" for k, v in r.workload.items())
        lines.append(f"- **{r.name}** — {r.title} ({r.seconds:.0f} s): {workload}.")
        lines += [f"  - {_one_line(note, 500)}" for note in r.notes]
    lines += [
        "",
        "## Gas per business operation",
        "",
        "From the receipts of every transaction the run sent (gas used, not estimates).",
        "",
        "| operation | contract.function | transactions | mean gas | min | max |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {g.operation} | `{g.function}` | {g.count} | {g.mean:,} | {g.minimum:,} | {g.maximum:,} |"
        for g in gas
    ]
    pngs = [p for k, p in plots.items() if p.suffix == ".png"]
    if pngs:
        lines += ["", "## Plots", ""]
        lines += [f"![{p.stem}]({p.name})" for p in pngs]
    return "\n".join(lines) + "\n"


def _plots(results: list[Result], out_dir: Path, stem: str) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths: dict[str, Path] = {}
    rows = [
        (f"{r.name}: {f.name}", h, bool(f.met))
        for r in results
        for f in r.figures
        if f.target and (h := f.target.headroom(f.value, f.ratio)) is not None
    ]
    if rows:
        fig, ax = plt.subplots(figsize=(9, 0.35 * len(rows) + 1.2))
        labels, values, met = zip(*reversed(rows), strict=True)
        ax.barh(labels, values, color=["#2e7d32" if m else "#c62828" for m in met])
        ax.axvline(1.0, color="black", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel("measured against target (>= 1 is met; log scale)")
        ax.set_title(f"targets, {stem}")
        ax.tick_params(axis="y", labelsize=7)
        fig.tight_layout()
        paths["targets"] = out_dir / f"{stem}-targets.png"
        fig.savefig(paths["targets"], dpi=100)
        plt.close(fig)
    series = [(f"{r.name}: {name}", values) for r in results for name, values in r.series.items() if values]
    if series:
        fig, ax = plt.subplots(figsize=(9, 5))
        for label, latencies in series:
            ordered = sorted(latencies)
            ax.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=label)
        ax.set_xscale("log")
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_ylabel("fraction of requests")
        ax.axhline(0.95, color="grey", linewidth=0.5, linestyle="--")
        ax.legend(fontsize=7)
        ax.set_title(f"latency distributions, {stem}")
        fig.tight_layout()
        paths["latency"] = out_dir / f"{stem}-latency.png"
        fig.savefig(paths["latency"], dpi=100)
        plt.close(fig)
    return paths
