"""``python -m bench.load SPEC.json``: the API benchmarks' load generator, a process of its own.

``concurrency`` asyncio clients (one connection each) drive the API; the JSON result goes to
standard output. Two kinds of spec:

- ``{"kind": "reads", "base_url", "concurrency", "seconds", "requests": [[path, api_key], ...]}``:
  each client (one kept-alive HTTP/1.1 connection, written by hand on asyncio streams) sends the next
  GET of the list round robin until the time is up;
- ``{"kind": "writes", "base_url", "concurrency", "flows": [flow, ...]}``: each client takes the next
  flow and runs it — issue the invoice, the buyer confirms, the supplier asks for financing, the bank
  offers, the supplier accepts (DvP) — timing each write and confirmed -> funded.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import httpx


def _client(spec: dict[str, Any]) -> httpx.AsyncClient:
    """One client for all: a connection per concurrent request, kept alive (one SSL context, not 50)."""
    n = int(spec["concurrency"])
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    return httpx.AsyncClient(base_url=spec["base_url"], timeout=120, limits=limits)


class _Connection:
    """One kept-alive HTTP/1.1 connection that sends GETs and reads their answers, and nothing more.

    The reads load is written by hand on asyncio streams, as ``wrk`` or ``hey`` are: a general client
    (httpx) spends about a millisecond of CPU per request, and on a 2-core machine the load process
    then competes with the server it measures. Answers are read whole (``Content-Length`` or chunked).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, request: bytes) -> int:
        """Send the request bytes; the answer's status code."""
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        headers = head.lower()
        match = re.search(rb"\r\ncontent-length: *(\d+)", headers)
        if match:
            await self.reader.readexactly(int(match.group(1)))
        elif b"transfer-encoding: chunked" in headers:
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")
        if re.search(rb"\r\nconnection: *close", headers):
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _request_bytes(host: str, path: str, key: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n".encode()


async def _reads(spec: dict[str, Any]) -> dict[str, Any]:
    url = urlsplit(spec["base_url"])
    host, port = url.hostname or "127.0.0.1", url.port or 80
    requests = [_request_bytes(url.netloc, path, key) for path, key in spec["requests"]]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(10**12))
    connections = [_Connection(host, port) for _ in range(int(spec["concurrency"]))]
    for connection in connections:  # connect before the clock starts
        await connection.get(requests[0])
    deadline = time.perf_counter() + float(spec["seconds"])

    async def client(connection: _Connection) -> None:
        while time.perf_counter() < deadline:
            request = requests[next(counter) % len(requests)]
            t0 = time.perf_counter()
            try:
                status = await connection.get(request)
            except (OSError, asyncio.IncompleteReadError) as exc:  # e.g. the server closed the connection
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                connection.close()
                continue
            if status == 200:  # only answered reads count, in throughput and latency
                latencies.append((time.perf_counter() - t0) * 1000)
            else:
                errors[str(status)] = errors.get(str(status), 0) + 1

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    seconds = time.perf_counter() - start
    for connection in connections:
        connection.close()
    return {"seconds": seconds, "latencies_ms": latencies, "errors": errors}


async def _writes(spec: dict[str, Any]) -> dict[str, Any]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for flow in spec["flows"]:
        queue.put_nowait(flow)
    latencies: list[float] = []
    funded: list[float] = []
    errors: list[str] = []

    async def client(http: httpx.AsyncClient) -> None:

        async def post(path: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
            t0 = time.perf_counter()
            response = await http.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
            latencies.append((time.perf_counter() - t0) * 1000)
            if response.status_code >= 300:
                raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
            result: dict[str, Any] = response.json()
            return result

        while not queue.empty():
            f = queue.get_nowait()
            try:
                receivable = await post("/api/v1/invoices", f["supplier_key"], f["invoice"])
                rid = receivable["id"]
                await post(f"/api/v1/receivables/{rid}/confirm", f["buyer_key"], {})
                confirmed = time.perf_counter()
                request = await post(f"/api/v1/receivables/{rid}/financing-requests", f["supplier_key"], {})
                fid = request["id"]
                await post(f"/api/v1/financing-requests/{fid}/offers", f["bank_key"], f["offer"])
                await post(
                    f"/api/v1/financing-requests/{fid}/accept",
                    f["supplier_key"],
                    {"financier": f["bank"]},
                )
                funded.append(time.perf_counter() - confirmed)
            except Exception as exc:  # reported, and the flow counted as failed
                errors.append(str(exc))

    async with _client(spec) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(int(spec["concurrency"]))))
    return {
        "seconds": time.perf_counter() - start,
        "latencies_ms": latencies,
        "confirmed_to_funded_s": funded,
        "errors": errors,
    }


def main() -> None:
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    run = _reads if spec["kind"] == "reads" else _writes
    try:
        from uvloop import run as run_loop  # the load costs less CPU, which the server then has
    except ImportError:  # Windows
        run_loop = asyncio.run
    json.dump(run_loop(run(spec)), sys.stdout)


if __name__ == "__main__":
    main()
