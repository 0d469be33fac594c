"""Many clients at once: more requests in flight than worker threads and pooled connections.

A sync endpoint holds a pooled connection from its first query until its response has been validated,
which FastAPI does in a worker thread again. With more requests in the app than threads and
connections, each thread waited for a connection and each connection's request for a thread: at 120
clients the API answered nothing for 30 s, then 500s. ``api.limits.InFlight`` admits at most half the
pool at once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from api.app import create_app
from api.settings import Settings
from chain.node import free_port
from tests.api.conftest import Tenants

CLIENTS = 150


@pytest.fixture
def served(db_engine: Engine) -> Iterator[str]:
    app = create_app(Settings(environment="test", rate_limit_per_minute=0), engine=db_engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_more_clients_than_threads_and_connections_are_all_answered(served: str, tenants: Tenants) -> None:
    headers = tenants.headers("acme")

    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=served, limits=limits, timeout=60) as http:
            answers = await asyncio.gather(
                *(http.get("/api/v1/purchase-orders", headers=headers) for _ in range(CLIENTS * 2))
            )
        return [a.status_code for a in answers]

    statuses = asyncio.run(burst())
    assert statuses == [200] * (CLIENTS * 2)
