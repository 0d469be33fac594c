"""The web UI's sign-in cookie and form guards, without a browser (the app in-process, both databases)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.app import create_app
from api.auth.service import list_keys, revoke_api_key
from api.settings import Settings
from tests.api.conftest import Tenants

SITE = "http://127.0.0.1:8000"
SAME_ORIGIN = {"Origin": SITE}
COOKIE = "tradeledger_session"
SIGN_IN_OUT = {"/login", "/logout"}
READ_ONLY_FORMS = {"/audit/verify", "/audit/pack"}  # FormReader: posts that only read, for auditors too


@pytest.fixture
def tenants(db_engine: Engine) -> Tenants:
    t = Tenants(db_engine)
    t.add("acme", "core_enterprise")
    t.add("supplier-b", "supplier")
    t.add("auditor-c", "auditor")
    t.add("regulator-d", "regulator")
    return t


@pytest.fixture
def client(db_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(environment="test"), engine=db_engine), base_url=SITE) as c:
        yield c


def web_forms(client: TestClient) -> list[str]:
    """Every POST of the web UI: the routes the OpenAPI document leaves out."""
    return sorted(
        ctx.path
        for ctx in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if isinstance(ctx.original_route, APIRoute)
        and not ctx.original_route.include_in_schema
        and "POST" in (ctx.methods or set())
    )


def test_signing_in_sets_an_httponly_samesite_strict_session_cookie(
    client: TestClient, tenants: Tenants
) -> None:
    response = client.post(
        "/login", data={"api_key": tenants.keys["acme"]}, headers=SAME_ORIGIN, follow_redirects=False
    )

    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={tenants.keys['acme']};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie and "Max-Age" not in cookie and "expires" not in cookie.lower()
    assert tenants.keys["acme"] not in response.headers["location"]


def test_in_production_the_cookie_is_secure(db_engine: Engine, tenants: Tenants) -> None:
    settings = Settings(
        environment="production",
        keystore_password="a-real-secret",
        api_key_pepper="another-real-secret",
        document_master_key="11" * 32,
        customs_salt_key="22" * 32,
        database_url="postgresql://tradeledger@db:5432/tradeledger",
    )
    with TestClient(create_app(settings, engine=db_engine), base_url=SITE) as client:
        response = client.post(
            "/login", data={"api_key": tenants.keys["acme"]}, headers=SAME_ORIGIN, follow_redirects=False
        )

    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_a_revoked_key_signs_the_browser_out(client: TestClient, tenants: Tenants) -> None:
    client.cookies.set(COOKIE, tenants.keys["acme"])
    assert "Sign out" in client.get("/").text

    with Session(tenants.engine) as session:
        [key] = list_keys(session, tenants.ids["acme"])
        assert key.id is not None
        revoke_api_key(session, tenants.ids["acme"], key.id)

    page = client.get("/purchase-orders", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/"
    assert "<h1>Sign in</h1>" in client.get("/").text


def test_every_web_form_refuses_a_post_from_another_origin(client: TestClient, tenants: Tenants) -> None:
    client.cookies.set(COOKIE, tenants.keys["acme"])
    forms = web_forms(client)
    assert {"/login", "/logout", "/purchase-orders"} <= set(forms)

    for path in forms:
        for headers in (
            {"Origin": "https://attacker.example"},
            {"Referer": "https://attacker.example/x"},
            {},
        ):
            response = client.post(path, data={"api_key": tenants.keys["acme"]}, headers=headers)
            assert response.status_code == 403, (path, headers)
            assert "csrf_failed" in response.text and 'role="alert"' in response.text
            assert "set-cookie" not in response.headers


def test_auditing_organisations_can_post_no_web_form_that_writes(
    client: TestClient, tenants: Tenants
) -> None:
    walked, read_only = [], []
    assert set(web_forms(client)) >= READ_ONLY_FORMS
    for who in ("auditor-c", "regulator-d"):
        client.cookies.set(COOKIE, tenants.keys[who])
        for path in web_forms(client):
            if path in SIGN_IN_OUT:
                continue
            response = client.post(path, data={"supplier": tenants.ids["supplier-b"]}, headers=SAME_ORIGIN)
            if path in READ_ONLY_FORMS:  # allowed: refused for what the post lacks, not for the role
                read_only.append(path)
                assert "read_only_role" not in response.text, (who, path)
                assert response.status_code in (404, 422) and 'role="alert"' in response.text, (who, path)
                continue
            walked.append(path)
            assert response.status_code == 403, (who, path)
            assert "read_only_role" in response.text and 'role="alert"' in response.text
    assert walked and sorted(read_only) == sorted([*READ_ONLY_FORMS] * 2)


def test_a_page_for_signed_in_browsers_sends_others_to_sign_in(client: TestClient, tenants: Tenants) -> None:
    assert client.get("/purchase-orders", follow_redirects=False).headers["location"] == "/"

    client.cookies.set(COOKIE, tenants.keys["supplier-b"])
    missing = client.get("/purchase-orders/0x" + "ab" * 32)

    assert missing.status_code == 404
    assert "order_not_found" in missing.text and 'role="alert"' in missing.text
    assert "Supplier-B" in missing.text  # still in the layout, signed in


def test_the_api_keeps_problem_json_beside_the_web_ui(client: TestClient) -> None:
    assert client.get("/api/v1/nothing-here").headers["content-type"] == "application/problem+json"
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200
