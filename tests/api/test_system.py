"""Health, metrics, OpenAPI and unknown routes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Tenants


def test_healthz_reports_the_database(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "chain": "not connected"}


def test_healthz_is_503_when_the_database_is_gone(client: TestClient) -> None:
    client.app.state.engine.dispose()  # type: ignore[attr-defined]
    from api.db import make_engine

    client.app.state.engine = make_engine("postgresql://nobody@127.0.0.1:1/none")  # type: ignore[attr-defined]

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    assert response.json()["database"].startswith("error")


def test_metrics_count_requests_by_route_and_status(client: TestClient, tenants: Tenants) -> None:
    client.get("/api/v1/me", headers=tenants.headers("acme"))
    client.get("/api/v1/me")

    text = client.get("/metrics").text

    assert 'tradeledger_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1.0' in text
    assert 'tradeledger_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1.0' in text
    assert "tradeledger_http_request_seconds_bucket" in text


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    assert spec["info"]["title"] == "tradeledger"
    assert {"/api/v1/me", "/api/v1/organisations", "/api/v1/api-keys", "/healthz", "/metrics"} <= set(
        spec["paths"]
    )
    assert client.get("/docs").status_code == 200


def test_unknown_routes_are_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_every_reference_in_the_openapi_document_resolves(client: TestClient) -> None:
    """Tools that read the document (client generators, schemathesis) need every ``$ref`` to exist,
    including the JSON purchase order the upload route parses itself beside its CSV form."""
    spec = client.get("/openapi.json").json()
    components = spec["components"]["schemas"]

    def refs(node: object) -> list[str]:
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    found = refs(spec)
    missing = sorted({r for r in found if r.rsplit("/", 1)[1] not in components})
    assert len(found) > 100
    assert missing == []
    assert "PurchaseOrderIn" in components
