"""API keys: 401 without a valid one, hashed at rest, scoped to one organisation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.auth.models import ApiKey
from tests.api.conftest import Tenants


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_api_key"),
        ({"Authorization": "Bearer "}, "missing_api_key"),
        ({"Authorization": "Bearer not-a-key"}, "invalid_api_key"),
        ({"Authorization": "Bearer tl_00000000_secret"}, "invalid_api_key"),
        ({"X-API-Key": "tl_deadbeef_nope"}, "invalid_api_key"),
    ],
)
def test_missing_or_wrong_key_is_401_problem_json(
    client: TestClient, tenants: Tenants, headers: dict[str, str], code: str
) -> None:
    response = client.get("/api/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["status"], body["type"]) == (
        code,
        401,
        f"https://tradeledger.dev/problems/{code}",
    )
    assert body["detail"]


def test_a_tampered_key_with_a_real_prefix_is_refused(client: TestClient, tenants: Tenants) -> None:
    key = tenants.keys["acme"]

    response = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {key[:-1]}{'A' if key[-1] != 'A' else 'B'}"}
    )

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_me_answers_with_bearer_or_x_api_key(client: TestClient, tenants: Tenants) -> None:
    by_bearer = client.get("/api/v1/me", headers=tenants.headers("acme"))
    by_header = client.get("/api/v1/me", headers={"X-API-Key": tenants.keys["acme"]})

    assert by_bearer.status_code == by_header.status_code == 200
    me = by_bearer.json()
    assert me["organisation"]["id"] == tenants.ids["acme"]
    assert me["organisation"]["legal_id"] == "LEI-ACME"
    assert me["api_key"]["prefix"] == tenants.keys["acme"][:11]
    assert by_header.json() == me


def test_keys_are_stored_hashed(client: TestClient, tenants: Tenants) -> None:
    with Session(tenants.engine) as session:
        rows = session.exec(select(ApiKey)).all()

    assert rows
    for row in rows:
        assert all(row.hash not in key and key not in row.hash for key in tenants.keys.values())
        assert len(row.hash) == 64


def test_new_key_works_once_created_and_stops_when_revoked(client: TestClient, tenants: Tenants) -> None:
    created = client.post(
        "/api/v1/api-keys", json={"label": "erp", "scopes": ["read"]}, headers=tenants.headers("acme")
    )
    assert created.status_code == 201
    new_key, key_id = created.json()["api_key"], created.json()["key"]["id"]
    assert client.get("/api/v1/me", headers={"X-API-Key": new_key}).status_code == 200

    revoked = client.delete(f"/api/v1/api-keys/{key_id}", headers=tenants.headers("acme"))

    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    after = client.get("/api/v1/me", headers={"X-API-Key": new_key})
    assert (after.status_code, after.json()["code"]) == (401, "invalid_api_key")


def test_another_organisations_key_can_be_neither_seen_nor_revoked(
    client: TestClient, tenants: Tenants
) -> None:
    acme_keys = client.get("/api/v1/api-keys", headers=tenants.headers("acme")).json()
    (acme_key,) = acme_keys

    listed_by_b = client.get("/api/v1/api-keys", headers=tenants.headers("supplier-b")).json()
    attempt = client.delete(f"/api/v1/api-keys/{acme_key['id']}", headers=tenants.headers("supplier-b"))

    assert acme_key["id"] not in [k["id"] for k in listed_by_b]
    assert (attempt.status_code, attempt.json()["code"]) == (404, "api_key_not_found")
    assert client.get("/api/v1/me", headers=tenants.headers("acme")).status_code == 200  # still works


def test_a_read_only_key_cannot_manage_keys(client: TestClient, tenants: Tenants) -> None:
    tenants.add("reader", scopes=("read",))

    response = client.post("/api/v1/api-keys", json={"label": "x"}, headers=tenants.headers("reader"))

    assert (response.status_code, response.json()["code"]) == (403, "scope_required")
    assert len(client.get("/api/v1/api-keys", headers=tenants.headers("reader")).json()) == 1


def test_a_suspended_organisation_reads_but_cannot_write(client: TestClient, tenants: Tenants) -> None:
    tenants.add("suspended-co", status="suspended")

    me = client.get("/api/v1/me", headers=tenants.headers("suspended-co"))
    write = client.post("/api/v1/api-keys", json={"label": "x"}, headers=tenants.headers("suspended-co"))

    assert me.status_code == 200 and me.json()["organisation"]["status"] == "suspended"
    assert (write.status_code, write.json()["code"]) == (403, "organisation_suspended")
    assert len(client.get("/api/v1/api-keys", headers=tenants.headers("suspended-co")).json()) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"label": ""},
        {"label": "x", "scopes": ["root"]},
        {"label": "x", "scopes": []},
        {"label": "x", "extra": 1},
    ],
)
def test_malformed_key_requests_are_422_and_create_nothing(
    client: TestClient, tenants: Tenants, body: dict[str, object]
) -> None:
    response = client.post("/api/v1/api-keys", json=body, headers=tenants.headers("acme"))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] in ("invalid_request", "invalid_scopes")
    assert len(client.get("/api/v1/api-keys", headers=tenants.headers("acme")).json()) == 1


def test_a_key_records_when_it_was_last_used(client: TestClient, tenants: Tenants) -> None:
    created = client.post("/api/v1/api-keys", json={"label": "erp"}, headers=tenants.headers("acme")).json()
    assert created["key"]["last_used_at"] is None

    client.get("/api/v1/me", headers={"X-API-Key": created["api_key"]})

    listed = {k["id"]: k for k in client.get("/api/v1/api-keys", headers=tenants.headers("acme")).json()}
    assert listed[created["key"]["id"]]["last_used_at"] is not None
    assert listed[created["key"]["id"]]["last_used_at"].endswith("Z")
