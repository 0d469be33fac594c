"""Organisation directory and detail: who may see what; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.participants.models import Organisation
from tests.api.conftest import Tenants


def test_directory_lists_members_without_legal_ids(client: TestClient, tenants: Tenants) -> None:
    response = client.get("/api/v1/organisations", headers=tenants.headers("supplier-b"))

    assert response.status_code == 200
    members = response.json()
    assert [m["id"] for m in members] == [tenants.ids[h] for h in ("operator", "acme", "supplier-b")]
    assert all("legal_id" not in m for m in members)
    assert members[1]["registered_at"] == "2026-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("viewer", "sees_legal_id"), [("acme", True), ("operator", True), ("supplier-b", False)]
)
def test_legal_id_is_shown_to_the_organisation_itself_and_the_operator_only(
    client: TestClient, tenants: Tenants, viewer: str, sees_legal_id: bool
) -> None:
    response = client.get(f"/api/v1/organisations/{tenants.ids['acme']}", headers=tenants.headers(viewer))

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Acme"
    assert body["legal_id"] == ("LEI-ACME" if sees_legal_id else None)
    assert body["legal_id_salt"] == ("0x" + "33" * 32 if sees_legal_id else None)


@pytest.mark.parametrize(
    ("org", "status", "code"),
    [
        ("0x1234", 422, "invalid_org_id"),
        ("acme", 422, "invalid_org_id"),
        ("0x" + "ab" * 32, 404, "organisation_not_found"),
    ],
)
def test_malformed_or_unknown_org_ids(
    client: TestClient, tenants: Tenants, org: str, status: int, code: str
) -> None:
    response = client.get(f"/api/v1/organisations/{org}", headers=tenants.headers("acme"))

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.headers["content-type"] == "application/problem+json"


GOOD = {"handle": "new-co", "name": "New Co", "role": "supplier", "legal_id": "LEI-NEW"}


@pytest.mark.parametrize(
    "body",
    [
        {k: v for k, v in GOOD.items() if k != "name"},
        {**GOOD, "handle": "Bad Handle"},
        {**GOOD, "handle": "-x"},
        {**GOOD, "name": ""},
        {**GOOD, "name": "x" * 65},
        {**GOOD, "legal_id": ""},
        {**GOOD, "surprise": True},
        [GOOD],
        "not json",
    ],
    ids=[
        "missing-name",
        "handle-space",
        "handle-dash",
        "empty-name",
        "long-name",
        "empty-legal-id",
        "extra-field",
        "array",
        "text",
    ],
)
def test_malformed_registrations_are_422_and_change_nothing(
    client: TestClient, tenants: Tenants, body: Any
) -> None:
    kwargs: dict[str, Any] = {"content": body} if isinstance(body, str) else {"json": body}
    response = client.post("/api/v1/organisations", headers=tenants.headers("operator"), **kwargs)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_request"
    assert response.json()["errors"]
    with Session(tenants.engine) as session:
        assert len(session.exec(select(Organisation)).all()) == 3


def test_only_the_operator_registers_organisations(client: TestClient, tenants: Tenants) -> None:
    response = client.post("/api/v1/organisations", json=GOOD, headers=tenants.headers("acme"))

    assert (response.status_code, response.json()["code"]) == (403, "role_required")
    with Session(tenants.engine) as session:
        assert len(session.exec(select(Organisation)).all()) == 3


def test_only_the_operator_suspends(client: TestClient, tenants: Tenants) -> None:
    response = client.post(
        f"/api/v1/organisations/{tenants.ids['supplier-b']}/suspend", headers=tenants.headers("acme")
    )

    assert (response.status_code, response.json()["code"]) == (403, "role_required")
    with Session(tenants.engine) as session:
        org = session.get(Organisation, tenants.ids["supplier-b"])
        assert org is not None and org.status == "active"


def test_writes_need_the_chain(client: TestClient, tenants: Tenants) -> None:
    response = client.post("/api/v1/organisations", json=GOOD, headers=tenants.headers("operator"))

    assert (response.status_code, response.json()["code"]) == (503, "chain_unavailable")
