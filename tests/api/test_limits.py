"""Operational limits (``api/limits.py``): request body size and the rate of requests per API key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.auth.service import list_keys
from api.limits import InFlight, RateLimit, caller_of
from api.settings import Settings
from tests.api.conftest import Tenants

LIMIT = 4096


@pytest.fixture
def limited(db_engine: Engine) -> Iterator[TestClient]:
    settings = Settings(
        environment="test", max_body_bytes=LIMIT, rate_limit_per_minute=60, rate_limit_burst=3
    )
    with TestClient(create_app(settings, engine=db_engine)) as client:
        yield client


def key_count(tenants: Tenants, handle: str) -> int:
    with Session(tenants.engine) as session:
        return len(list_keys(session, tenants.ids[handle]))


def new_key(label: str) -> bytes:
    return json.dumps({"label": label, "scopes": ["read"]}).encode()


def test_a_body_over_the_limit_is_refused_before_the_route_and_changes_nothing(
    limited: TestClient, tenants: Tenants
) -> None:
    before = key_count(tenants, "acme")
    headers = {**tenants.headers("acme"), "Content-Type": "application/json"}

    response = limited.post("/api/v1/api-keys", content=new_key("x" * LIMIT), headers=headers)

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "body_too_large" and "4,096 bytes" in response.json()["detail"]
    assert key_count(tenants, "acme") == before
    assert limited.post("/api/v1/api-keys", content=new_key("ci"), headers=headers).status_code == 201
    assert key_count(tenants, "acme") == before + 1


def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit(
    limited: TestClient, tenants: Tenants
) -> None:
    before = key_count(tenants, "acme")
    body = new_key("y" * (3 * LIMIT))

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    headers = {**tenants.headers("acme"), "Content-Type": "application/json"}
    response = limited.post("/api/v1/api-keys", content=chunks(), headers=headers)

    assert response.status_code == 413 and response.json()["code"] == "body_too_large"
    assert key_count(tenants, "acme") == before


def test_a_key_past_its_rate_gets_429_with_retry_after_and_other_keys_do_not(
    limited: TestClient, tenants: Tenants
) -> None:
    for _ in range(3):  # the burst
        assert limited.get("/api/v1/me", headers=tenants.headers("acme")).status_code == 200

    refused = limited.get("/api/v1/me", headers=tenants.headers("acme"))

    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited" and "60 a minute" in refused.json()["detail"]
    assert refused.headers["retry-after"] == "1"
    assert limited.get("/api/v1/me", headers=tenants.headers("supplier-b")).status_code == 200
    assert limited.get("/healthz").status_code == 200  # probes are not counted
    for _ in range(5):
        assert limited.get("/healthz").status_code == 200


def test_the_web_cookie_counts_against_the_same_key_as_the_bearer_header(tenants: Tenants) -> None:
    key = tenants.keys["acme"]
    bearer = {"type": "http", "headers": [(b"authorization", f"Bearer {key}".encode())]}
    cookie = {"type": "http", "headers": [(b"cookie", f"theme=dark; tradeledger_session={key}".encode())]}
    anonymous = {"type": "http", "headers": [], "client": ("10.0.0.7", 5000)}

    assert caller_of(bearer) == caller_of(cookie)
    assert key not in caller_of(bearer)  # only a digest is kept
    assert caller_of(anonymous) == "addr:10.0.0.7"


def test_a_bucket_refills_at_the_rate_and_forgets_the_oldest_callers() -> None:
    now = [0.0]
    limit = RateLimit(lambda *_: None, per_minute=120, burst=2, clock=lambda: now[0], max_callers=2)  # type: ignore[arg-type]

    assert [limit.take("a"), limit.take("a")] == [0.0, 0.0]
    assert limit.take("a") == pytest.approx(0.5)  # two a second: the next token in half a second
    now[0] = 0.5
    assert limit.take("a") == 0.0
    limit.take("b")
    limit.take("c")
    assert list(limit.buckets) == ["b", "c"]


def test_reads_are_admitted_a_few_at_a_time_while_writes_keep_the_whole_limit() -> None:
    inside = {"GET": 0, "POST": 0}
    most = {"GET": 0, "POST": 0}
    release = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        inside[method] += 1
        most[method] = max(most[method], inside[method])
        await release.wait()
        inside[method] -= 1

    limited = InFlight(app, limit=6, reads=2)

    async def call(method: str) -> None:
        await limited({"type": "http", "method": method}, _no_body, _discard)

    async def run() -> None:
        calls = [asyncio.create_task(call("GET")) for _ in range(8)]
        calls += [asyncio.create_task(call("POST")) for _ in range(4)]
        while sum(inside.values()) < 6:  # every read slot and as many writes as the rest of the limit
            await asyncio.sleep(0)
        assert inside == {"GET": 2, "POST": 4}
        release.set()
        await asyncio.gather(*calls)

    asyncio.run(run())
    assert most == {"GET": 2, "POST": 4} and inside == {"GET": 0, "POST": 0}


def test_the_read_limit_never_exceeds_the_whole_limit() -> None:
    assert InFlight(_discard_app, limit=3, reads=10).reads == 3
    assert InFlight(_discard_app, limit=20).reads == 20


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _discard(message: Message) -> None:
    return None


async def _discard_app(scope: Scope, receive: Receive, send: Send) -> None:
    return None
