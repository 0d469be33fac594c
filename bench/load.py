"""``python -m bench.load SPEC.json``: the API benchmarks' load generator, a process of its own.

``concurrency`` asyncio clients (httpx, one connection each) drive the API; the JSON result goes to
standard output. Two kinds of spec:

- ``{"kind": "reads", "base_url", "concurrency", "seconds", "requests": [[path, api_key], ...]}``:
  each client sends the next GET of the list round robin until the time is up;
- ``{"kind": "writes", "base_url", "concurrency", "flows": [flow, ...]}``: each client takes the next
  flow and runs it — issue the invoice, the buyer confirms, the supplier asks for financing, the bank
  offers, the supplier accepts (DvP) — timing each write and confirmed -> funded.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import httpx


def _client(spec: dict[str, Any]) -> httpx.AsyncClient:
    """One client for all: a connection per concurrent request, kept alive (one SSL context, not 50)."""
    n = int(spec["concurrency"])
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    return httpx.AsyncClient(base_url=spec["base_url"], timeout=120, limits=limits)


async def _reads(spec: dict[str, Any]) -> dict[str, Any]:
    requests = spec["requests"]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + float(spec["seconds"])
    counter = iter(range(10**12))

    async def client(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            path, key = requests[next(counter) % len(requests)]
            t0 = time.perf_counter()
            try:
                response = await http.get(path, headers={"Authorization": f"Bearer {key}"})
            except httpx.TransportError as exc:  # e.g. the server closed a kept-alive connection
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            latencies.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1

    async with _client(spec) as http:
        await http.get("/bench/noop")  # connect before the clock starts
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(int(spec["concurrency"]))))
    return {"seconds": time.perf_counter() - start, "latencies_ms": latencies, "errors": errors}


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
    json.dump(asyncio.run(run(spec)), sys.stdout)


if __name__ == "__main__":
    main()
