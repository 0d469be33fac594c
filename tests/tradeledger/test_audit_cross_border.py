"""Audit packs of cross-border orders (三單對碰): the customs match is recomputed from the pack's order,
payment, waybill and declarations, under the statuses the chain had finalised when each result was
anchored — so a result matched before customs cleared and one matched after both check."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from oracles.customs.authority import CustomsAuthority
from tests.api.test_cross_border import attest, authority, cross_border_order, declaration_of, stack
from tests.api.trade_stack import TradeStack, invoice_body
from tradeledger.audit.check import check_pack
from tradeledger.audit.export import export_pack
from tradeledger.audit.pack import MANIFEST, seal_manifest

pytestmark = pytest.mark.chain
__all__ = ["authority", "stack"]  # the fixtures this module borrows


def _pack(s: TradeStack, folder: Path) -> Path:
    now = datetime.fromtimestamp(int(s.harness.chain.w3.eth.get_block("latest")["timestamp"]), UTC)
    with Session(s.engine) as session:
        export_pack(
            s.harness.chain, session, s.ids["buyer"], now - timedelta(days=1), now + timedelta(days=1), folder
        )
    return folder


def test_a_cross_border_pack_recomputes_matches_before_and_after_clearance(
    stack: TradeStack, authority: tuple[CustomsAuthority, str], tmp_path: Path
) -> None:
    s, (register, url) = stack, authority
    order_id = cross_border_order(s, "PO-AUD1")
    register.file(declaration_of(s, "PO-AUD1"), at="2026-03-30T08:00:00Z")
    register.advance("DEC-PO-AUD1", "inspected", at="2026-04-02T08:00:00Z")
    attest(s, url)
    receivable = s.post("supplier", "/invoices", invoice_body(order_id, "INV-AUD1"), expect=201)
    register.advance("DEC-PO-AUD1", "cleared", at="2026-04-05T08:00:00Z")
    attest(s, url)
    rematched = s.post("supplier", f"/receivables/{receivable['id']}/match", None, expect=200)
    pack = _pack(s, tmp_path / "pack")

    reports = check_pack(pack, s.harness.node.url)

    assert receivable["match_status"] == "discrepant" and rematched["match_status"] == "matched"
    assert [r.kind for r in reports if not r.ok] == []
    matched = next(r for r in reports if r.kind == "receivable")
    recomputed = [c for c in matched.checks if c.what == "match recomputed"]
    assert len(recomputed) == 2 and all(c.ok for c in recomputed)  # after clearance, and before it
    assert "match-1.0.0+crossborder-1.0.0" in recomputed[0].detail
    assert "gives matched" in recomputed[0].detail and "gives discrepant" in recomputed[1].detail
    declarations = [r for r in reports if r.kind == "customs declaration"]
    assert len(declarations) == 1 and declarations[0].subject.endswith("(DEC-PO-AUD1)")


def test_a_changed_declaration_fails_its_commitment_and_the_match(
    stack: TradeStack, authority: tuple[CustomsAuthority, str], tmp_path: Path
) -> None:
    s, (register, url) = stack, authority
    order_id = cross_border_order(s, "PO-AUD2")
    register.file(declaration_of(s, "PO-AUD2"), at="2026-03-30T08:00:00Z")
    register.advance("DEC-PO-AUD2", "cleared", at="2026-04-03T08:00:00Z")
    attest(s, url)
    s.post("supplier", "/invoices", invoice_body(order_id, "INV-AUD2"), expect=201)
    pack = _pack(s, tmp_path / "pack")
    record = json.loads((pack / "records" / "declarations.json").read_text())[0]
    content = json.loads((pack / record["file"]).read_text())
    content["declared_value"] += 100
    (pack / record["file"]).write_text(json.dumps(content, sort_keys=True, separators=(",", ":")))
    seal_manifest(pack, json.loads((pack / MANIFEST).read_text()))

    reports = check_pack(pack, s.harness.node.url)

    failed = {(r.kind, c.what) for r in reports for c in r.failures}
    assert ("customs declaration", "commitment") in failed
    assert ("customs declaration", "attested") in failed
    assert ("receivable", "match recomputed") in failed
