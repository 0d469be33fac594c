"""Timelines from the event mentions projection: whole ids only, rebuilt identically by a re-index, filled
for existing databases by migration 0014, and a page of records read in a fixed number of queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import Session, col, select

from api.db import alembic_config, make_engine, migrate
from api.projections import all_projections
from api.timeline.models import EventMention
from api.timeline.projection import mentioned_ids
from api.timeline.service import timeline
from chain.index_models import ChainEventRow
from chain.indexer import Indexer
from tests.api.trade_stack import TradeStack, delivered_order, invoice_body, start_stack
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

ORDER, DOC, ORG = ("0x" + c * 64 for c in "abc")
TOKEN = 2**200 + 7  # a receivable's token id: a keccak hash, far above any amount


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine)
    with s.client:
        yield s


def _mentions(engine: Engine) -> list[tuple[str, str, int, int]]:
    with Session(engine) as session:
        rows = session.exec(select(EventMention))
        return sorted((m.object_id, m.tx_hash, m.log_index, m.block_number) for m in rows)


def _receivable(s: TradeStack, po: str) -> dict[str, Any]:
    return dict(
        s.post("supplier", "/invoices", invoice_body(delivered_order(s, po), f"INV-{po}"), expect=201)
    )


def test_an_event_mentions_its_whole_ids_only() -> None:
    args = {
        "id": ORDER.upper().replace("0X", "0x"),  # read as the timeline asks: lowercase
        "children": [TOKEN, TOKEN + 1],
        "amounts": [6_600_000, 4_400_000],
        "buyer": ORG,
        "account": "0x" + "Ab" * 20,  # an address: not an id of ours
        "waived": True,
        "name": f"about {DOC}",  # an id inside a string is not an argument naming it
        "dueDate": 4_102_444_800,
    }

    assert mentioned_ids(args) == {ORDER, ORG, str(TOKEN), str(TOKEN + 1)}


def test_the_timeline_names_no_event_for_an_id_that_is_only_part_of_another(stack: TradeStack) -> None:
    s = stack
    receivable = _receivable(s, "PO-T1")
    token = str(int(receivable["id"], 16))
    inside = token[1:]  # a token id of its own shape (>= 2**64), a substring of the receivable's
    assert int(inside) >= 2**64

    with Session(s.engine) as session:
        whole = [e.event for e in timeline(session, token)]
        part = timeline(session, inside)
        prefix = timeline(session, receivable["order_id"][:40])
        like = session.exec(select(ChainEventRow).where(col(ChainEventRow.args).contains(inside))).all()

    assert whole == ["ReceivableIssued", "Transfer", "MatchAttested"]
    assert len(like) == 3  # what the LIKE '%id%' scan this replaces matched
    assert (part, prefix) == ([], [])


def test_reindex_rebuilds_the_same_mentions(stack: TradeStack, tmp_path: Path) -> None:
    s = stack
    receivable = _receivable(s, "PO-T2")
    rid, order_id = receivable["id"], receivable["order_id"]
    s.post("buyer", f"/receivables/{rid}/confirm", {}, expect=200)
    split = s.post(
        "supplier", f"/receivables/{rid}/split", {"amounts_minor": [6_000_000, 5_000_000]}, expect=201
    )
    indexer = s.client.app.state.indexer  # type: ignore[attr-defined]
    before = _mentions(s.engine)

    indexer.reindex()
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate(fresh)
    Indexer(s.harness.chain, fresh, all_projections()).sync()

    assert _mentions(s.engine) == before
    assert _mentions(fresh) == before
    with Session(s.engine) as session:
        events = session.exec(select(ChainEventRow)).all()
        order = [e.event for e in timeline(session, order_id)]
        child = [e.event for e in timeline(session, str(int(split["parts"][0]["id"], 16)))]
    expected = sorted(
        (i, e.tx_hash, e.log_index, e.block_number) for e in events for i in mentioned_ids(json.loads(e.args))
    )
    assert before == expected
    assert order == [
        "OrderRegistered",
        "ShipmentRecorded",
        "ReceiptRecorded",
        "ReceivableIssued",
        "OrderInvoiced",
    ]
    assert child == ["ReceivableSplit", "Transfer"]  # named in the parent's split (children), then minted


def test_a_page_of_receivables_or_orders_is_read_in_a_fixed_number_of_queries(stack: TradeStack) -> None:
    s = stack
    for po in ("PO-Q1", "PO-Q2", "PO-Q3"):
        _receivable(s, po)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    def queries(path: str) -> tuple[int, int]:
        statements.clear()
        shown = s.get("supplier", path)
        return len(shown), len(statements)

    event.listen(s.engine, "before_cursor_execute", count)
    try:
        one, three = queries("/receivables?limit=1"), queries("/receivables?limit=3")
        order_one, order_three = queries("/purchase-orders?limit=1"), queries("/purchase-orders?limit=3")
    finally:
        event.remove(s.engine, "before_cursor_execute", count)

    assert (one[0], three[0], order_one[0], order_three[0]) == (1, 3, 1, 3)
    assert three[1] == one[1]
    assert order_three[1] == order_one[1]


def test_migration_0014_fills_the_mentions_of_the_events_indexed_before_it(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0013")
    events = [
        ("0x" + "01" * 32, 0, 5, {"id": ORDER, "buyer": ORG, "total": 11_000_000}),
        ("0x" + "02" * 32, 3, 6, {"id": TOKEN, "children": [TOKEN + 1], "amounts": [5]}),
        ("0x" + "03" * 32, 1, 7, {"root": DOC, "count": 500, "account": "0x" + "ab" * 20}),
    ]
    with engine.begin() as db:
        for tx_hash, log_index, block, args in events:
            db.execute(
                text(
                    "INSERT INTO chain_events (block_number, block_hash, tx_hash, log_index, contract, "
                    "address, name, args) VALUES (:block, '0x', :tx, :log, 'C', '0x', 'E', :args)"
                ),
                {"block": block, "tx": tx_hash, "log": log_index, "args": json.dumps(args, sort_keys=True)},
            )

    migrate(engine)

    assert _mentions(engine) == sorted(
        [
            (ORDER, "0x" + "01" * 32, 0, 5),
            (ORG, "0x" + "01" * 32, 0, 5),
            (str(TOKEN), "0x" + "02" * 32, 3, 6),
            (str(TOKEN + 1), "0x" + "02" * 32, 3, 6),
            (DOC, "0x" + "03" * 32, 1, 7),
        ]
    )
