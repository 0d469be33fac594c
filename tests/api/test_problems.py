"""Every error is RFC 9457 problem+json with a stable code; internals never leak."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import Tenants


def test_a_401_names_the_bearer_scheme(client: TestClient) -> None:
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_method_is_405_problem_json_with_allow(client: TestClient, tenants: Tenants) -> None:
    response = client.put("/api/v1/organisations", headers=tenants.headers("acme"))

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


def test_an_unexpected_error_is_500_internal_error_without_internals(db_engine: Engine) -> None:
    app = create_app(Settings(environment="test"), engine=db_engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret.py line 3")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["type"]) == (
        "internal_error",
        "https://tradeledger.dev/problems/internal_error",
    )
    assert "hunter2" not in response.text and "secret.py" not in response.text


def test_a_validation_error_lists_each_problem(client: TestClient, tenants: Tenants) -> None:
    response = client.post(
        "/api/v1/api-keys", json={"label": "", "scopes": "read"}, headers=tenants.headers("acme")
    )

    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["status"], body["title"]) == ("invalid_request", 422, "Invalid request")
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "label"), ("body", "scopes")}
