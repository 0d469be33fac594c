"""Slither over contracts/, through the project's solc-js shim: no High or Medium finding untriaged.

Slither runs from its own virtual environment (``.venv-slither``, made by the Makefile stamp
``.stamps/slither``; it needs web3 < 8). Its input is the project's own standard-JSON compile input,
so it analyses exactly what we deploy. Accepted findings and their reasons: tools/slither/triage.yaml.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from chain.compiler import solc_binary, standard_input
from chain.config import project_root

ROOT = project_root()
TRIAGE = ROOT / "tools" / "slither" / "triage.yaml"
SLITHER = Path(os.environ.get("TRADELEDGER_SLITHER", ROOT / ".venv-slither" / "bin" / "slither"))
BLOCKING = ("High", "Medium")
# what slither reads besides what the project compiles: the AST and source maps
SLITHER_OUTPUT = ["abi", "metadata", "devdoc", "userdoc", "evm.bytecode", "evm.deployedBytecode"]


@dataclass(frozen=True)
class Finding:
    detector: str
    impact: str
    where: str  # Contract.function, Contract.variable or Contract.function.local
    description: str


def _where(element: dict[str, Any]) -> str:
    """The dotted location of a slither result element: its name under its parents' names."""
    parts = [element["name"]]
    parent = element.get("type_specific_fields", {}).get("parent")
    while parent:
        parts.append(parent["name"])
        parent = parent.get("type_specific_fields", {}).get("parent")
    return ".".join(reversed(parts))


def run_slither(work: Path) -> list[Finding]:
    """Slither's High and Medium findings over contracts/ (Low and informational are not run)."""
    data = standard_input([ROOT / "contracts"])
    data["settings"]["outputSelection"] = {"*": {"*": SLITHER_OUTPUT, "": ["ast"]}}
    target = work / "slither-input.json"
    target.write_text(json.dumps(data))
    report = work / "slither.json"
    command = [
        str(SLITHER),
        str(target),
        "--compile-force-framework",
        "solc-json",
        "--solc",
        str(solc_binary()),
        "--exclude-low",
        "--exclude-informational",
        "--exclude-optimization",
        "--json",
        str(report),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if not report.exists():
        pytest.fail(f"slither wrote no report (exit {done.returncode}):\n{done.stderr[-4000:]}")
    output = json.loads(report.read_text())
    assert output["success"], f"slither failed: {output.get('error')}\n{done.stderr[-4000:]}"
    return [
        Finding(r["check"], r["impact"], _where(r["elements"][0]), r["description"].strip())
        for r in output["results"].get("detectors", [])
        if r["impact"] in BLOCKING
    ]


def load_triage() -> list[dict[str, str]]:
    entries: list[dict[str, str]] = yaml.safe_load(TRIAGE.read_text())
    for entry in entries:
        assert set(entry) == {"detector", "where", "why"}, f"triage entry needs detector/where/why: {entry}"
        assert len(entry["why"].split()) >= 5, f"triage entry without a real reason: {entry}"
    return entries


def covers(entry: dict[str, str], finding: Finding) -> bool:
    return entry["detector"] == finding.detector and fnmatch.fnmatchcase(finding.where, entry["where"])


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    if not SLITHER.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but slither is missing at {SLITHER}; make test makes it")
        pytest.skip(f"slither is not installed at {SLITHER}; run `make .stamps/slither`")
    return run_slither(tmp_path_factory.mktemp("slither"))


def test_every_high_and_medium_finding_is_triaged(findings: list[Finding]) -> None:
    triage = load_triage()
    untriaged = [f for f in findings if not any(covers(e, f) for e in triage)]

    assert not untriaged, "untriaged slither findings (fix, or explain in tools/slither/triage.yaml):\n\n" + (
        "\n\n".join(f"[{f.impact}] {f.detector} at {f.where}\n{f.description}" for f in untriaged)
    )


def test_no_triage_entry_is_stale(findings: list[Finding]) -> None:
    stale = [e for e in load_triage() if not any(covers(e, f) for f in findings)]

    assert not stale, f"triage entries matching no finding any more (delete them): {stale}"


def test_the_triage_check_catches_a_finding_it_does_not_list() -> None:
    """The matching itself: a finding outside every entry is not covered (so the check can fail)."""
    triage = load_triage()
    unknown = Finding("reentrancy-eth", "High", "Financing.fund", "made up")
    near_miss = Finding("reentrancy-no-eth", "Medium", "Financing.fund", "made up")

    assert not any(covers(e, unknown) for e in triage)
    assert not any(covers(e, near_miss) for e in triage)
    assert any(covers(e, Finding("reentrancy-no-eth", "Medium", "Financing.repay", "")) for e in triage)
