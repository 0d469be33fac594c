"""The fuzzed stack: the real app over a real database and the deployed anvil chain, one key per role,
a few real objects, and the app's OpenAPI document loaded by schemathesis (built once for the package)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from api.app import create_app
from api.auth.service import create_api_key
from api.settings import Settings
from tests.api.test_letters_of_credit import _terms
from tests.api.trade_stack import TradeStack, delivered_order, invoice_body, start_stack
from tests.conftest import ChainHarness

# the ten roles, each as the organisation (start_stack's name) that holds a key of it
ROLES = {
    "operator": "operator",
    "buyer": "core_enterprise",
    "supplier": "supplier",
    "bank": "financier",
    "carrier": "logistics",
    "auditor": "auditor",
    "regulator": "regulator",
    "oracle": "iot_oracle",
    "customs": "customs_oracle",
    "verifier": "carbon_verifier",
}
EXTRA = {name: role for name, role in ROLES.items() if name not in ("operator", "buyer", "supplier", "bank")}
EXTRA.pop("carrier")

# one key sends hundreds of requests a second here: the limiter stays in front, far above that pace
FUZZ_SETTINGS = Settings(environment="test", rate_limit_per_minute=10_000_000, rate_limit_burst=1_000_000)


# path parameter -> ids of the fuzz world's real objects, while its tests run (read by the generator)
REAL_IDS: dict[str, list[str]] = {}


def fuzz_examples(default: int) -> int:
    """Examples per operation: ``TRADELEDGER_FUZZ_EXAMPLES``, else ``default`` (kept small for CI)."""
    return int(os.environ.get("TRADELEDGER_FUZZ_EXAMPLES") or default)


@dataclass
class FuzzWorld:
    stack: TradeStack
    app: FastAPI  # the app under fuzz (raised rate limit), over the stack's database and chain
    ids: dict[str, list[str]]  # path parameter -> ids of real objects
    revoked_key: str
    keys: dict[str, Me] = field(default_factory=dict)  # role name -> its organisation and key

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.stack.keys[name]}"}

    def keep_key(self, name: str, method: str, response: Any) -> None:
        """A role that revoked its own key (``DELETE /api-keys/{key_id}`` with that key's id) gets a new
        one, as its user would, so the rest of the run still calls as that role."""
        me = self.keys[name]
        if method == "DELETE" and response.status_code == 200 and response.json().get("id") == me.key_id:
            with Session(self.stack.engine) as session:
                row, self.stack.keys[name] = create_api_key(session, me.org_id, "fuzz", me.scopes)
            self.keys[name] = Me(me.org_id, int(row.id or 0), me.scopes)


@dataclass(frozen=True)
class Me:
    org_id: str
    key_id: int
    scopes: list[str]


@pytest.fixture(scope="package")
def fuzz_engine(postgres_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL database for the package (the production database; strictest on bad input),
    emptied afterwards as ``db_engine`` leaves it."""
    import api.models  # noqa: F401 - every table on the metadata
    from api.db import make_engine, migrate

    engine = make_engine(postgres_url)
    migrate(engine)
    yield engine
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="package")
def fuzz_world(
    deployed: ChainHarness, fuzz_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzWorld]:
    snapshot = deployed.snapshot()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TRADELEDGER_VAR_DIR", str(tmp_path_factory.mktemp("fuzz-var")))
        s = start_stack(deployed, fuzz_engine, EXTRA)
        with s.client:
            order_id = delivered_order(s, "PO-F1")
            receivable = s.post("supplier", "/invoices", invoice_body(order_id, "INV-F1"), expect=201)
            rid = receivable["id"]
            s.post("buyer", f"/receivables/{rid}/confirm", {"waive_discrepancies": True}, expect=200)
            fid = s.post("supplier", f"/receivables/{rid}/financing-requests", {}, expect=201)["id"]
            credit = s.post("buyer", "/letters-of-credit", _terms(s, "LC-F1"), expect=201)
            order = s.get("buyer", f"/purchase-orders/{order_id}")
            revoked = s.post("supplier", "/api-keys", {"label": "revoked", "scopes": ["read"]}, expect=201)
            s.call("supplier", "DELETE", f"/api-keys/{revoked['key']['id']}", expect=200)
            [key, *_] = s.get("buyer", "/api-keys")
            ids = {
                "order_id": [order_id],
                "receivable_id": [rid],
                "financing_id": [fid],
                "credit_id": [credit["id"]],
                "doc_id": [d["id"] for d in order["documents"]],
                "tx_id": [order["timeline"][0]["tx_hash"]],
                "key_id": [str(key["id"])],
                # organisations no role calls as: a fuzzed suspension must not silence a role
                "org_id": [s.ids[name] for name in ("tier2", "rival", "bank2")],
                "org": [s.ids["supplier"]],
                "auditor": [s.ids["auditor"]],
                "regulator": [s.ids["regulator"]],
                "subject": [s.ids["buyer"]],
            }
            app = create_app(FUZZ_SETTINGS, engine=fuzz_engine)
            app.state.chain, app.state.indexer = s.client.app.state.chain, s.client.app.state.indexer  # type: ignore[attr-defined]
            world = FuzzWorld(s, app, ids, revoked["api_key"])
            for name in ROLES:
                me = s.get(name, "/me")
                world.keys[name] = Me(me["organisation"]["id"], me["api_key"]["id"], me["api_key"]["scopes"])
            REAL_IDS.update(ids)
            yield world
            REAL_IDS.clear()
    deployed.revert(snapshot)
