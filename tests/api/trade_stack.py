"""A running API over a real anvil and database, with a registered consortium, for trade tests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine
from sqlmodel import Session

from api.app import create_app
from api.auth.service import create_api_key
from api.projections import all_projections
from api.settings import Settings
from chain.deploy import OPERATOR_HANDLE
from chain.ids import org_id, to_hex32
from chain.indexer import Indexer
from tests.conftest import ChainHarness

PARTIES = {
    "buyer": "core_enterprise",
    "supplier": "supplier",
    "tier2": "supplier",
    "carrier": "logistics",
    "bank": "financier",
    "bank2": "financier",
    "rival": "supplier",
}


@dataclass
class TradeStack:
    client: TestClient
    harness: ChainHarness
    engine: Engine
    keys: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def call(self, who: str, method: str, path: str, *, expect: int | None = None, **kwargs: Any) -> Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}", **kwargs.pop("headers", {})}
        response = self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    def post(self, who: str, path: str, body: Any = None, expect: int | None = None, **kwargs: Any) -> Any:
        return self.call(who, "POST", path, json=body, expect=expect, **kwargs).json()

    def get(self, who: str, path: str, expect: int | None = 200) -> Any:
        return self.call(who, "GET", path, expect=expect).json()

    def balance(self, who: str) -> int:
        return int(self.get(who, "/cash/balance")["balance_minor"])


CARBON_PARTIES = {"oracle": "iot_oracle", "verifier": "carbon_verifier"}


def start_stack(harness: ChainHarness, engine: Engine, extra: dict[str, str] | None = None) -> TradeStack:
    """The API over the harness chain with the trade parties (and ``extra`` name -> role) registered."""
    indexer = Indexer(harness.chain, engine, all_projections())
    indexer.sync()
    with Session(engine) as session:
        _, operator_key = create_api_key(
            session, to_hex32(org_id(OPERATOR_HANDLE)), "test", ["read", "write", "admin"]
        )
    app = create_app(Settings(environment="test"), engine=engine)
    app.state.chain, app.state.indexer = harness.chain, indexer
    stack = TradeStack(TestClient(app), harness, engine, {"operator": operator_key})
    suffix = secrets.token_hex(3)
    for name, role in {**PARTIES, **(extra or {})}.items():
        body = {
            "handle": f"{name}-{suffix}",
            "name": f"{name.title()} Ltd",
            "role": role,
            "legal_id": f"LEI-{name}",
        }
        created = stack.post("operator", "/organisations", body, expect=201)
        stack.keys[name], stack.ids[name] = created["api_key"], created["organisation"]["id"]
    return stack


PO_CSV = """po_number,currency,issue_date,delivery_date,line_no,item,description,quantity,unit,unit_price
{po},USD,2026-03-01,2026-04-15,1,BRK-220,Brake disc,100,EA,"1,000.00"
{po},USD,2026-03-01,2026-04-15,2,BLT-M8,Bolt M8,50,PCE,200.00
"""
LINES = [
    {"po_line_no": 1, "item": "BRK-220", "quantity": "100", "unit": "EA"},
    {"po_line_no": 2, "item": "BLT-M8", "quantity": "50", "unit": "PCE"},
]
PO_TOTAL = 11_000_000  # 100 × 1,000.00 + 50 × 200.00, in cents


def invoice_body(order_id: str, number: str = "INV-1", **changes: Any) -> dict[str, Any]:
    lines = [
        {**LINES[0], "unit_price": "1000.00"},
        {**LINES[1], "unit_price": "200.00"},
    ]
    body = {
        "order_id": order_id,
        "invoice_number": number,
        "currency": "USD",
        "issue_date": "2026-04-20",
        "due_date": "2099-07-19",
        "lines": lines,
    }
    body.update(changes)
    return body


def csv_order(stack: TradeStack, po: str = "PO-1", supplier: str = "supplier") -> dict[str, Any]:
    """The buyer's PO ``po`` to ``supplier``, uploaded as CSV; returns the order."""
    return dict(
        stack.call(
            "buyer",
            "POST",
            f"/purchase-orders?supplier={stack.ids[supplier]}",
            content=PO_CSV.format(po=po),
            headers={"Content-Type": "text/csv"},
            expect=201,
        ).json()
    )


def book_carrier(
    stack: TradeStack, order_id: str, carrier: str = "carrier", by: str = "supplier"
) -> dict[str, Any]:
    """``by`` (the order's supplier unless named) books ``carrier`` on the order, so it may ship on it."""
    body = {"carrier": stack.ids[carrier]}
    return dict(stack.post(by, f"/purchase-orders/{order_id}/carrier-bookings", body, expect=201))


def delivered_order(stack: TradeStack, po: str = "PO-1") -> str:
    """A PO uploaded as CSV, its carrier booked, shipped and fully received; returns its order id."""
    order = csv_order(stack, po)
    book_carrier(stack, order["id"])
    shipment = {
        "bl_number": f"BL-{po}",
        "port_of_loading": "CNSZX",
        "port_of_discharge": "NLRTM",
        "shipped_on_board_at": "2026-04-01T06:00:00Z",
        "lines": LINES,
    }
    stack.post("carrier", f"/purchase-orders/{order['id']}/shipments", shipment, expect=201)
    receipt = {"receipt_number": f"GR-{po}", "received_at": "2026-04-18T09:30:00+02:00", "lines": LINES}
    stack.post("buyer", f"/purchase-orders/{order['id']}/goods-receipts", receipt, expect=201)
    return str(order["id"])
