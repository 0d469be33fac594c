"""The stack's parts as separate processes that a test can SIGKILL and start again with the same command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from chain.node import EmbeddedNode, free_port

VENV_BIN = Path(sys.executable).parent


@dataclass
class Service:
    """One process: its command, environment and a readiness check; restartable any number of times."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    ready: Callable[[], bool] = lambda: True
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self, timeout: float = 90.0) -> None:
        with open(self.log, "ab") as out:
            out.write(f"\n--- start {self.starts + 1} ---\n".encode())
            out.flush()
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            if self.ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready within {timeout:.0f}s; see {self.log}")

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Anvil:
    """The embedded node with its state dumped every 3 s; killed, it restarts from its last whole dump and
    has lost the blocks after it (3 s of them at most, with the workload's pace: always some)."""

    state_file: Path
    log: Path
    port: int = field(default_factory=free_port)
    node: EmbeddedNode | None = None
    starts: int = 0
    name: str = "anvil"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.node = EmbeddedNode(
            state_file=self.state_file, port=self.port, state_interval=3, log_file=self.log
        )
        self.node.start()
        self.starts += 1

    def kill(self) -> None:
        assert self.node is not None and self.node._process is not None
        self.node._process.send_signal(signal.SIGKILL)
        self.node._process.wait(10)
        self.node._process = None

    def alive(self) -> bool:
        return self.node is not None and self.node._process is not None and self.node._process.poll() is None

    def stop(self) -> None:
        if self.node is not None:
            self.node.stop()


def http_ready(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1.0).status_code < 500
        except httpx.HTTPError:
            return False

    return check


def port_ready(port: int) -> Callable[[], bool]:
    import socket

    def check() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return False
        return True

    return check


def mosquitto(directory: Path, port: int, env: dict[str, str]) -> Service:
    """A Mosquitto of our own (the machine's one cannot be killed), persisting to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {directory}/\nautosave_interval 1\nmax_queued_messages 100000\n"
    )
    binary = os.environ.get("TRADELEDGER_MOSQUITTO", "/usr/sbin/mosquitto")
    return Service("broker", [binary, "-c", str(conf)], env, directory / "mosquitto.log", port_ready(port))


def tradeledger(
    name: str, args: list[str], env: dict[str, str], log: Path, ready: Callable[[], bool]
) -> Service:
    return Service(name, [str(VENV_BIN / "tradeledger"), *args], env, log, ready)


def python_module(name: str, module: str, env: dict[str, str], log: Path) -> Service:
    return Service(name, [sys.executable, "-m", module], env, log)
