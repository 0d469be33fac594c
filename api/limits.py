"""Operational limits in front of every route: the size of a request body and the rate of requests per key.

``BodyLimit`` refuses a body larger than ``max_body_bytes`` with 413 ``body_too_large`` — from its
``Content-Length`` before anything is read (the server holds the client to that length), or, for a
chunked body, as soon as the bytes received pass the limit (such a body is read here and handed to the
route whole, so the route never sees a partial one). ``RateLimit`` gives each caller a token bucket:
the API key (the bearer token or the web UI's cookie; only a digest of it is kept) or, without one, the
client address. A caller past its bucket gets 429 ``rate_limited`` with ``Retry-After``; the health
and metrics probes are not counted. Both are pure ASGI middleware, so they run before the body is parsed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_BASE, PROBLEM_JSON

UNCOUNTED = frozenset({"/healthz", "/metrics"})
SESSION_COOKIE = "tradeledger_session"  # api.web.session.COOKIE (not imported: the web imports the API)


async def send_problem(
    send: Send, status: int, code: str, title: str, detail: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps(
        {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail, "code": code}
    ).encode()
    raw = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """413 ``body_too_large`` for a request body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:  # the server holds the client to it
            if declared.isdigit() and int(declared) > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        # no length (chunked): read it here, up to the limit, and hand the route the whole body
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_bytes:
                await self._refuse(send)
                return
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)

    async def _refuse(self, send: Send) -> None:
        limit = f"{self.max_bytes:,} bytes"
        await send_problem(
            send,
            413,
            "body_too_large",
            "Request body too large",
            f"the request body is larger than this server accepts ({limit}); send a smaller one",
        )


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that first gives back ``messages`` already read."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class InFlight:
    """At most ``limit`` HTTP requests inside the app at once, and of them at most ``reads`` reads (GET,
    HEAD, OPTIONS); the rest wait their turn, in order, on the event loop.

    ``limit``: a sync endpoint runs in a worker thread (anyio's 40), holds a pooled database connection
    (40), and after it returns its response is validated in a worker thread again, with the connection
    still held. With more requests in flight than threads and connections, every thread waited for a
    connection and every connection's request for a thread: at 120 concurrent clients the API answered
    nothing for 30 s, then 500s. ``limit`` is half the pool, since a write may hold a second connection
    (its journal row, on PostgreSQL), and at most the threads, so neither can run out.

    ``reads``: a read is CPU work (SQLite, SQLAlchemy, pydantic) with little waiting, so more reads in
    worker threads at once than there are cores only hand the GIL back and forth: at 20 at once a
    receivable's detail cost twice the CPU it costs at 2 (half of it in the kernel). Writes wait on the
    chain, not the CPU, and keep the whole ``limit``."""

    SAFE = frozenset({"GET", "HEAD", "OPTIONS"})

    def __init__(self, app: ASGIApp, limit: int, reads: int | None = None) -> None:
        self.app, self.limit, self.reads = app, limit, min(reads or limit, limit)
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop
        self._read_slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None or self._read_slots is None:
            self._slots, self._read_slots = asyncio.Semaphore(self.limit), asyncio.Semaphore(self.reads)
        if scope["method"] in self.SAFE:
            async with self._read_slots, self._slots:  # a read's slot first: waiting, it holds no other
                await self.app(scope, receive, send)
            return
        async with self._slots:
            await self.app(scope, receive, send)


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """At most ``per_minute`` requests a minute per caller, in bursts of up to ``burst``."""

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
    ) -> None:
        self.app, self.rate, self.burst = app, per_minute / 60.0, float(burst)
        self.clock, self.max_callers = clock, max_callers
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNCOUNTED:
            await self.app(scope, receive, send)
            return
        wait = self.take(caller_of(scope))
        if wait > 0:
            retry = str(max(1, math.ceil(wait)))
            await send_problem(
                send,
                429,
                "rate_limited",
                "Too many requests",
                f"this key sent more requests than it may ({self.rate * 60:g} a minute); retry in {retry} s",
                {"Retry-After": retry},
            )
            return
        await self.app(scope, receive, send)

    def take(self, caller: str) -> float:
        """Spend one token of ``caller``'s bucket: 0 if there was one, else the seconds until there is."""
        now = self.clock()
        bucket = self.buckets.pop(caller, None) or _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        self.buckets[caller] = bucket  # most recently seen last; the oldest are forgotten first
        while len(self.buckets) > self.max_callers:
            self.buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


def caller_of(scope: Scope) -> str:
    """A digest of the API key the request carries (header or web cookie), else the client address."""
    headers = dict(scope["headers"])
    credential = headers.get(b"authorization", b"").removeprefix(b"Bearer ").strip()
    if not credential:
        for part in headers.get(b"cookie", b"").split(b";"):
            name, _, value = part.strip().partition(b"=")
            if name.decode(errors="replace") == SESSION_COOKIE:
                credential = value
    if credential:
        return "key:" + hashlib.sha256(credential).hexdigest()
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"
