"""The demo customs broker files a consistent declaration for every shipment, once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.documents.models import StoredDocument
from api.trade.crossborder import CustomsStatus, match_cross_border
from api.trade.documents import PurchaseOrder, Shipment, from_canonical, parse_declaration
from oracles.customs.authority import CustomsAuthority
from tests.api.trade_stack import TradeStack, delivered_order, start_stack
from tests.conftest import ChainHarness
from tradeledger.customs_demo import file_demo_declarations

pytestmark = pytest.mark.chain


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[TradeStack]:
    s = start_stack(harness, db_engine)
    with s.client:
        yield s


def test_every_shipment_gets_one_cleared_declaration_that_matches_it(stack: TradeStack) -> None:
    delivered_order(stack, "PO-DEMO-1")
    authority = CustomsAuthority()

    first, second = (
        file_demo_declarations(stack.engine, authority),
        file_demo_declarations(stack.engine, authority),
    )

    record = authority.record("EXP-BL-PO-DEMO-1")
    assert (first, second) == (1, 0)
    assert [s["status"] for s in record["timeline"]] == ["declared", "released", "cleared"]
    declaration = parse_declaration(record["declaration"])
    with Session(stack.engine) as session:
        docs = {d.doc_type: d.canonical for d in session.exec(select(StoredDocument))}
    po, shipment = (
        from_canonical(PurchaseOrder, docs["purchase_order"]),
        from_canonical(Shipment, docs["shipment"]),
    )
    result = match_cross_border(
        po, [], [shipment], [declaration], customs={declaration.declaration_number: CustomsStatus("cleared")}
    )
    assert result.codes == ["MISSING_PAYMENT"]  # everything else agrees with the order and the waybill
