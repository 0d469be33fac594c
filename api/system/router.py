"""``/healthz`` and ``/metrics`` (Prometheus text format)."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import text
from sqlmodel import Session, select
from starlette.types import ASGIApp, Receive, Scope, Send

from api.asgi import StatusOf
from api.carbon.models import IngestCounter

router = APIRouter(tags=["operations"])


class Metrics:
    """One registry per app, so several apps (tests) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tradeledger_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tradeledger_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.head = Gauge("tradeledger_chain_head_block", "Newest block of the chain", registry=self.registry)
        self.indexed = Gauge("tradeledger_indexed_block", "Newest block in the index", registry=self.registry)
        self.iot = Gauge(
            "tradeledger_iot_ingest",
            "IoT readings accepted, rejected per reason, gaps",
            ["name"],
            registry=self.registry,
        )


class RecordRequests:
    """Counts every HTTP request and its latency per method, route and status (pure ASGI: a
    ``BaseHTTPMiddleware`` costs a task and a response copy per request)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, answer = time.perf_counter(), StatusOf(send)
        try:
            await self.app(scope, receive, answer)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], path, str(answer.status)).inc()
            self.metrics.latency.labels(scope["method"], path).observe(time.perf_counter() - start)


def _chain_health(request: Request) -> dict[str, Any] | None:
    chain = getattr(request.app.state, "chain", None)
    if chain is None:
        return None
    head = int(chain.w3.eth.block_number)
    indexer = getattr(request.app.state, "indexer", None)
    checkpoint = indexer.checkpoint() if indexer is not None else None
    indexed = checkpoint.block_number if checkpoint is not None else -1
    metrics: Metrics = request.app.state.metrics
    metrics.head.set(head)
    metrics.indexed.set(indexed)
    return {"chain_id": chain.chain_id, "head_block": head, "indexed_block": indexed, "lag": head - indexed}


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """200 when the database (and the chain, if connected) answer; 503 otherwise."""
    checks: dict[str, Any] = {}
    healthy = True
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, do not raise: this is the health endpoint
        healthy, checks["database"] = False, f"error: {type(exc).__name__}"
    try:
        chain = _chain_health(request)
        checks["chain"] = chain if chain is not None else "not connected"
    except Exception as exc:
        healthy, checks["chain"] = False, f"error: {type(exc).__name__}"
    return JSONResponse(
        {"status": "ok" if healthy else "unhealthy", **checks}, status_code=200 if healthy else 503
    )


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    with contextlib.suppress(Exception):  # a scrape must not fail because the chain is down
        _chain_health(request)
    metrics_: Metrics = request.app.state.metrics
    with Session(request.app.state.engine) as session:
        for counter in session.exec(select(IngestCounter)):
            metrics_.iot.labels(counter.name).set(counter.count)
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
