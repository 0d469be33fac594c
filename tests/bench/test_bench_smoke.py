"""Every benchmark at its smallest scale on one embedded stack, so none can rot: each produces figures
and the suite a well-formed report. The targets are not asserted (``make bench`` measures them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.core import Context
from bench.suite import BENCHMARKS, run_suite

pytestmark = [pytest.mark.chain, pytest.mark.broker]
SMOKE_SCALE = 0.01


def test_every_benchmark_runs_and_the_report_is_well_formed(tmp_path: Path, mqtt_url: str) -> None:
    results, paths = run_suite(SMOKE_SCALE, tmp_path, ctx=Context(broker=mqtt_url))

    failed = {r.name: r.notes for r in results if r.status != "ok"}
    assert not failed, failed
    assert [r.name for r in results] == [b.NAME for b in BENCHMARKS]
    assert all(r.figures for r in results)
    report = json.loads(paths["json"].read_text())
    assert {r["name"] for r in report["results"]} == {b.NAME for b in BENCHMARKS}
    for result in report["results"]:
        assert result["workload"], result["name"]
        for figure in result["figures"]:
            assert isinstance(figure["value"], float | int), figure
            assert figure["met"] in (True, False, None)
    functions = {row["function"] for row in report["gas"]}
    assert {"PurchaseOrders.registerOrder", "Receivables.confirm", "CustomsAttestations.attest"} <= functions
    summary = paths["markdown"].read_text()
    assert "| benchmark | figure |" in summary and "## Gas per business operation" in summary
    assert paths["targets"].read_bytes().startswith(b"\x89PNG")
