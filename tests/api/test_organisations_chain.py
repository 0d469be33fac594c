"""Registering and suspending organisations through the API, on a real anvil and both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.app import create_app
from api.auth.service import create_api_key
from api.participants.models import Organisation
from api.participants.projection import ParticipantsProjection
from api.settings import Settings
from chain.deploy import OPERATOR_HANDLE
from chain.errors import ChainRevert
from chain.ids import from_hex32, org_id, to_hex32
from chain.indexer import Indexer
from chain.policy import OrgRole
from tests.conftest import ChainHarness

pytestmark = pytest.mark.chain

BODY = {"handle": "api-supplier", "name": "API Supplier Ltd", "role": "supplier", "legal_id": "LEI-API-1"}


class Stack:
    def __init__(self, client: TestClient, harness: ChainHarness, engine: Engine, operator_key: str) -> None:
        self.client, self.harness, self.engine = client, harness, engine
        self.operator = {"Authorization": f"Bearer {operator_key}"}

    def org_rows(self) -> int:
        with Session(self.engine) as session:
            return len(session.exec(select(Organisation)).all())


@pytest.fixture
def stack(harness: ChainHarness, db_engine: Engine) -> Iterator[Stack]:
    indexer = Indexer(harness.chain, db_engine, [ParticipantsProjection()])
    indexer.sync()
    with Session(db_engine) as session:
        _, operator_key = create_api_key(
            session, to_hex32(org_id(OPERATOR_HANDLE)), "test", ["read", "write", "admin"]
        )
    app = create_app(Settings(environment="test"), engine=db_engine)
    app.state.chain, app.state.indexer = harness.chain, indexer
    with TestClient(app) as client:
        yield Stack(client, harness, db_engine, operator_key)


def test_operator_registers_an_organisation_on_chain_and_gets_its_first_key(stack: Stack) -> None:
    response = stack.client.post("/api/v1/organisations", json=BODY, headers=stack.operator)

    assert response.status_code == 201, response.text
    created = response.json()
    oid = from_hex32(created["organisation"]["id"])
    assert oid == org_id("api-supplier")
    on_chain = stack.harness.chain.participants().organisation(oid)
    assert (on_chain.name, on_chain.role, on_chain.status) == ("API Supplier Ltd", OrgRole.SUPPLIER, "active")
    assert created["organisation"]["legal_id"] == "LEI-API-1"
    assert created["organisation"]["accounts"] == stack.harness.chain.participants().accounts_of(oid)
    assert created["tx"]["block_number"] == stack.harness.chain.w3.eth.block_number
    me = stack.client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['api_key']}"})
    assert me.json()["organisation"]["role"] == "supplier"


def test_an_idempotency_key_replays_instead_of_writing_twice(stack: Stack) -> None:
    headers = {**stack.operator, "Idempotency-Key": "reg-0001"}
    first = stack.client.post("/api/v1/organisations", json=BODY, headers=headers)
    block = stack.harness.chain.w3.eth.block_number

    again = stack.client.post("/api/v1/organisations", json=BODY, headers=headers)
    other = stack.client.post("/api/v1/organisations", json={**BODY, "handle": "other-co"}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert stack.harness.chain.w3.eth.block_number == block  # nothing more was written
    with pytest.raises(ChainRevert):
        stack.harness.chain.participants().organisation(org_id("other-co"))


def test_registering_a_handle_twice_is_409_and_writes_nothing(stack: Stack) -> None:
    stack.client.post("/api/v1/organisations", json=BODY, headers=stack.operator)
    rows, block = stack.org_rows(), stack.harness.chain.w3.eth.block_number

    response = stack.client.post(
        "/api/v1/organisations", json={**BODY, "name": "Impostor"}, headers=stack.operator
    )

    assert (response.status_code, response.json()["code"]) == (409, "organisation_exists")
    assert (stack.org_rows(), stack.harness.chain.w3.eth.block_number) == (rows, block)
    assert stack.harness.chain.participants().organisation(org_id("api-supplier")).name == "API Supplier Ltd"


def test_unknown_role_is_422_and_writes_nothing(stack: Stack) -> None:
    block = stack.harness.chain.w3.eth.block_number

    response = stack.client.post(
        "/api/v1/organisations", json={**BODY, "role": "operator"}, headers=stack.operator
    )

    assert (response.status_code, response.json()["code"]) == (422, "invalid_role")
    assert stack.harness.chain.w3.eth.block_number == block


def test_suspension_reaches_the_chain_and_blocks_the_organisations_writes(stack: Stack) -> None:
    created = stack.client.post("/api/v1/organisations", json=BODY, headers=stack.operator).json()
    org, key = created["organisation"]["id"], created["api_key"]

    response = stack.client.post(f"/api/v1/organisations/{org}/suspend", headers=stack.operator)
    again = stack.client.post(f"/api/v1/organisations/{org}/suspend", headers=stack.operator)

    assert response.status_code == 200 and response.json()["organisation"]["status"] == "suspended"
    assert stack.harness.chain.participants().organisation(from_hex32(org)).status == "suspended"
    assert (again.status_code, again.json()["code"]) == (409, "participant_not_active")
    write = stack.client.post(
        "/api/v1/api-keys", json={"label": "x"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert (write.status_code, write.json()["code"]) == (403, "organisation_suspended")


def test_the_operator_cannot_suspend_itself(stack: Stack) -> None:
    operator = to_hex32(org_id(OPERATOR_HANDLE))

    response = stack.client.post(f"/api/v1/organisations/{operator}/suspend", headers=stack.operator)

    assert (response.status_code, response.json()["code"]) == (403, "participant_cannot_suspend_self")
    assert response.json()["args"] == {"id": operator}


def test_a_repeated_suspension_with_its_idempotency_key_is_replayed(stack: Stack) -> None:
    org = stack.client.post("/api/v1/organisations", json=BODY, headers=stack.operator).json()["organisation"]
    headers = {**stack.operator, "Idempotency-Key": "suspend-1"}
    first = stack.client.post(f"/api/v1/organisations/{org['id']}/suspend", headers=headers)
    block = stack.harness.chain.w3.eth.block_number

    again = stack.client.post(f"/api/v1/organisations/{org['id']}/suspend", headers=headers)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert stack.harness.chain.w3.eth.block_number == block


def test_healthz_and_metrics_report_the_chain_head_and_indexer_lag(stack: Stack) -> None:
    head = stack.harness.chain.w3.eth.block_number

    health = stack.client.get("/healthz")
    metrics = stack.client.get("/metrics").text

    assert health.status_code == 200
    chain = health.json()["chain"]
    assert (chain["head_block"], chain["indexed_block"], chain["lag"]) == (head, head, 0)
    assert f"tradeledger_chain_head_block {float(head)}" in metrics
    assert f"tradeledger_indexed_block {float(head)}" in metrics
