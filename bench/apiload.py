"""The API benchmarks' processes: the API served by uvicorn (``bench.api_server``), the load generator
(``bench.load``), and a sampler of a process's peak resident memory (RSS)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psutil  # type: ignore[import-untyped]

from bench.core import Context


class PeakRss:
    """Samples a process's RSS (MB) every ``interval`` seconds in a thread until stopped."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)
        self._thread.start()

    def _sample(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss / 2**20)
            except psutil.Error:
                return
            self._stop.wait(interval)

    def reset(self) -> None:
        self.peak = 0.0

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def child_env(ctx: Context) -> dict[str, str]:
    """The suite's chain, database and keystore for a child process."""
    return {
        **os.environ,
        "TRADELEDGER_VAR_DIR": str(ctx.var_dir),
        "TRADELEDGER_RPC_URL": ctx.node_url,
        "TRADELEDGER_DATABASE_URL": ctx.database_url,
    }


@contextmanager
def served_api(ctx: Context) -> Iterator[tuple[str, PeakRss]]:
    """``(base URL, its RSS sampler)`` of the API in a process of its own until the block ends."""
    from chain.node import free_port

    port = free_port()  # not a fixed one: two runs at once would talk to each other's API
    log = tempfile.NamedTemporaryFile(prefix="bench-api-", suffix=".log", delete=False)  # noqa: SIM115
    # the per-key rate limit stays in the stack, but above the load: it would refuse most of it (one key
    # drives the trivial endpoint) and the figures would count refusals, not reads
    unlimited = {"TRADELEDGER_RATE_LIMIT_PER_MINUTE": str(10**9), "TRADELEDGER_RATE_LIMIT_BURST": str(10**6)}
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.api_server", "--port", str(port)],
        env={**child_env(ctx), **unlimited},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{base}/bench/noop"), [server], f"the API did not start; see {log.name}")
        rss = PeakRss(server.pid)
        yield base, rss
        rss.stop()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        ctx.stack.chain.resync_senders()  # the API signed with the same custodial keys


def wait_for(ready: Callable[[], bool], processes: list[subprocess.Popen[bytes]], failure: str) -> None:
    """Poll ``ready`` until true; ``failure`` is raised when a process ends or two minutes pass first."""
    deadline = time.monotonic() + 120
    while not ready():
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise RuntimeError(failure)
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``bench.load`` on ``spec`` in a separate process; its JSON result."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(spec, file)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.load", file.name], capture_output=True, text=True, check=False
        )
    finally:
        os.unlink(file.name)
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if line.strip()][-1:] or ["no output"]
        raise RuntimeError(f"the load generator failed: {last[0]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result
