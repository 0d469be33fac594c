"""No plaintext commercial data on chain: a scan of every transaction's calldata and every event of the
end-to-end flows (domestic receivables financing and cross-border with customs attestations)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.customs.models import CustomsDeclarationRow
from api.documents.models import StoredDocument
from chain.node import free_port
from oracles.customs.authority import CustomsAuthority, serve_authority
from tests.api.test_cross_border import CUSTOMS, attest, cross_border_order, declaration_of, fund
from tests.api.trade_stack import TradeStack, delivered_order, invoice_body, start_stack
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain


@pytest.fixture
def stack(
    harness: ChainHarness, db_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TradeStack]:
    monkeypatch.setenv("TRADELEDGER_VAR_DIR", str(tmp_path / "var"))
    s = start_stack(harness, db_engine, CUSTOMS)
    with s.client:
        yield s


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _on_chain(s: TradeStack, first_block: int) -> list[tuple[str, bytes]]:
    """(where, bytes) of each transaction's calldata and each log's topics and data since ``first_block``."""
    w3 = s.harness.chain.w3
    found: list[tuple[str, bytes]] = []
    for number in range(first_block, w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            found.append((f"tx {tx['hash'].hex()} calldata", bytes(tx["input"])))
            for log in w3.eth.get_transaction_receipt(tx["hash"])["logs"]:
                raw = b"".join(bytes(t) for t in log["topics"]) + bytes(log["data"])
                found.append((f"tx {tx['hash'].hex()} log {log['logIndex']}", raw))
    return found


def test_no_document_field_or_unsalted_document_hash_reaches_the_chain(stack: TradeStack) -> None:
    s = stack
    first_block = s.harness.chain.w3.eth.block_number + 1
    s.post("bank", "/cash/deposits", {"to": s.ids["bank"], "amount_minor": 50_000_000}, expect=201)
    s.post("bank", "/cash/deposits", {"to": s.ids["buyer"], "amount_minor": 50_000_000}, expect=201)
    # domestic: PO (CSV) -> shipment -> receipt -> invoice -> confirm -> finance -> repay
    domestic = delivered_order(s, "PO-PRIV-D")
    rid = s.post("supplier", "/invoices", invoice_body(domestic, "INV-PRIV-D"), expect=201)["id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    fund(s, rid)
    s.post("buyer", f"/receivables/{rid}/repayments", {"amount_minor": 11_000_000}, expect=200)
    # cross-border: with payment, customs declaration attested by two operators
    register = CustomsAuthority()
    with serve_authority(register, free_port()) as url:
        order_id = cross_border_order(s, "PO-PRIV-X")
        register.file(declaration_of(s, "PO-PRIV-X"), at="2026-03-30T08:00:00Z")
        register.advance("DEC-PO-PRIV-X", "cleared", at="2026-04-03T08:00:00Z")
        attest(s, url)
        rx = s.post("supplier", "/invoices", invoice_body(order_id, "INV-PRIV-X"), expect=201)["id"]
        s.post("buyer", f"/receivables/{rx}/confirm", {}, expect=200)

    with Session(s.engine) as session:
        canonicals = [d.canonical for d in session.exec(select(StoredDocument))]
        canonicals += [d.canonical for d in session.exec(select(CustomsDeclarationRow))]
    assert len(canonicals) >= 12
    secrets_: dict[str, bytes] = {}
    for canonical in canonicals:
        raw = canonical.encode()
        secrets_[f"keccak256 of {canonical[:40]}…"] = keccak(raw)
        secrets_[f"sha-256 of {canonical[:40]}…"] = hashlib.sha256(raw).digest()
        doc = json.loads(canonical)
        for key in ("exporter_name", "importer_name"):
            if key in doc:
                secrets_[f"{key} {doc[key]!r}"] = doc[key].encode()
        for line in doc.get("lines", []):
            for key in ("item", "description"):
                if line.get(key):
                    secrets_[f"{key} {line[key]!r}"] = line[key].encode()
            if "unit_price" in line:  # a price as the 32-byte word a contract would take
                secrets_[f"unit price {line['unit_price']}"] = int(line["unit_price"]).to_bytes(32, "big")
    names = [o["name"] for o in s.get("operator", "/organisations")]
    secrets_.update({f"organisation name {n!r}": n.encode() for n in names if len(n) >= 6})

    def leaks() -> list[str]:
        scanned = _on_chain(s, first_block)
        assert len(scanned) > 60  # every transaction of both flows, and their events
        return [
            f"{what} in {where}"
            for where, raw in scanned
            for what, needle in secrets_.items()
            if needle in raw
        ]

    assert leaks() == []
    assert any("unit price" in w for w in secrets_) and any("description" in w for w in secrets_)
    # the scan does find plaintext: register an organisation named like the declaration's exporter
    # (the directory holds member names on chain, so its calldata and event carry the name)
    planted = {
        "handle": "planted-leak",
        "name": "Shenzhen Precision Parts Co.",
        "role": "supplier",
        "legal_id": "X",
    }
    s.post("operator", "/organisations", planted, expect=201)
    found = leaks()
    assert found and all(f.startswith("exporter_name 'Shenzhen Precision Parts Co.'") for f in found)
