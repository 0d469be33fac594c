"""``tradeledger compliance report`` over the demo story on a real anvil."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.compliance.service import report_hash
from tests.conftest import ChainHarness
from tests.tradeledger.test_cli import Cli, cli  # noqa: F401 - the CLI fixture

pytestmark = pytest.mark.chain


def _iso(harness: ChainHarness, offset: int = 0) -> str:
    ts = int(harness.chain.w3.eth.get_block("latest")["timestamp"]) + offset
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def test_the_demo_story_reported_as_a_table_as_json_and_as_a_page(
    cli: Cli,  # noqa: F811
    harness: ChainHarness,
    tmp_path: Path,
) -> None:
    start = _iso(harness)
    cli("demo")  # PO -> invoice -> confirm -> split 60/40 -> the 40 to tier 2 -> financed -> repaid
    period = ("compliance", "report", "--from", start, "--to", _iso(harness, 1), "--rapid-hops", "2")
    page = tmp_path / "report.html"

    table = cli(*period, "--html", str(page))
    report = json.loads(cli(*period, "--json"))

    assert "RAPID_SPLIT_TRANSFER 1" in table and "2 hops in" in table
    assert {code: n for code, n in report["counts"].items() if n} == {"RAPID_SPLIT_TRANSFER": 1}
    rapid = report["findings"]["RAPID_SPLIT_TRANSFER"][0]
    assert [h["kind"] for h in rapid["details"]["hops"]] == ["split", "transfer"]  # the DvP is no hop
    assert report["scope"] == {"consortium": True, "organisations": None}
    assert report["report_hash"] == report_hash(report)
    assert "<caption>Rapid split-and-transfer chains: 1 finding</caption>" in page.read_text()


def test_a_period_without_a_timezone_is_refused_with_its_code(cli: Cli) -> None:  # noqa: F811
    out = cli(
        "compliance", "report", "--from", "2026-01-01T00:00:00", "--to", "2026-02-01T00:00:00Z", ok=False
    )

    assert "(period_without_timezone)" in out
