"""The embedded chain: anvil started by us, and the steps only it needs.

Everything that is specific to the embedded node lives here (starting and
stopping anvil, funding accounts); the rest of tradeledger talks plain
JSON-RPC and runs unchanged against a Besu/FISCO BCOS network.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx

from chain.config import project_root
from chain.errors import ChainError, ConfigurationError

log = logging.getLogger(__name__)

# Generous balance for every account we use on anvil (gas is real there, free on a permissioned chain).
FUNDING_WEI = 10**24


def anvil_binary() -> Path:
    """The native anvil from npm ``@foundry-rs/anvil`` (``TRADELEDGER_ANVIL`` overrides)."""
    if env := os.environ.get("TRADELEDGER_ANVIL"):
        return Path(env)
    system = platform.system().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    path = project_root() / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
    if not path.exists():
        raise ConfigurationError(f"anvil not found at {path}; run `npm ci` (or `make bootstrap`) first")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_or_free(port: int) -> int:
    """``port`` if nothing listens on 127.0.0.1 there, else a free port (for the embedded services)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return free_port() if sock.connect_ex(("127.0.0.1", port)) == 0 else port


def rpc(url: str, method: str, params: list[object] | None = None, timeout: float = 10.0) -> object:
    """One raw JSON-RPC call (used for node-management methods web3 does not wrap)."""
    try:
        response = httpx.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout=timeout
        )
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ChainError(f"{method} at {url} failed: {exc}; is the node running?") from exc
    if "error" in body:
        raise ChainError(f"{method} failed: {body['error'].get('message')}")
    return body["result"]


class EmbeddedNode:
    """An anvil process on a free local port, optionally persisting its state to a file.

    With ``state_file`` the chain survives restarts: anvil dumps its state every
    ``state_interval`` seconds and on a clean stop, and loads it at start.
    """

    def __init__(
        self,
        *,
        state_file: Path | None = None,
        port: int | None = None,
        chain_id: int = 31337,
        block_time: float | None = None,
        state_interval: int = 5,
        log_file: Path | None = None,
    ) -> None:
        self.state_file = state_file
        self.port = port or free_port()
        self.chain_id = chain_id
        self.block_time = block_time
        self.state_interval = state_interval
        self.log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None
        self._keeper: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def command(self) -> list[str]:
        cmd = [
            str(anvil_binary()),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            "1",  # we never use anvil's unlocked accounts; keys are ours
            "--silent",
        ]
        if self.block_time:
            cmd += ["--block-time", str(self.block_time)]
        if self.state_file:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            cmd += ["--state", str(self.state_file), "--state-interval", str(self.state_interval)]
        return cmd

    @property
    def good_state_file(self) -> Path | None:
        """The last state dump known to be whole (anvil writes its dumps in place, not atomically)."""
        return self.state_file.with_name(self.state_file.name + ".good") if self.state_file else None

    def start(self, timeout: float = 30.0) -> str:
        if self._process:
            return self.url
        self._restore_state()
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT)
        try:
            url = self._wait_until_ready(timeout)
        except BaseException:
            self.stop()  # never leave an anvil behind
            raise
        if self.state_file:
            self._keeper = threading.Thread(target=self._keep_good_state, args=(self._process,), daemon=True)
            self._keeper.start()
        return url

    def _restore_state(self) -> None:
        """A dump cut short (anvil killed while writing it) would stop anvil from starting: start from the
        last whole dump instead, and keep the cut one aside for inspection."""
        state, good = self.state_file, self.good_state_file
        if state is None or good is None or not state.exists() or _whole_json(state.read_bytes()):
            return
        broken = state.with_name(state.name + ".broken")
        state.replace(broken)
        if good.exists():
            shutil.copyfile(good, state)
            log.warning("anvil's state dump %s was cut short; starting from the last whole one", state)
        else:
            log.error("anvil's state dump %s was cut short and no whole one was kept; starting empty", state)

    def _keep_good_state(self, process: subprocess.Popen[bytes]) -> None:
        """While anvil runs, copy each whole dump it writes to ``good_state_file`` (atomically)."""
        state, good = self.state_file, self.good_state_file
        assert state is not None and good is not None
        last = 0.0
        while process.poll() is None:
            time.sleep(max(self.state_interval, 1))
            try:
                modified = state.stat().st_mtime
                if modified == last:
                    continue
                data = state.read_bytes()
            except OSError:
                continue
            if _whole_json(data):
                temporary = good.with_name(good.name + ".tmp")
                temporary.write_bytes(data)
                temporary.replace(good)
                last = modified

    def _wait_until_ready(self, timeout: float) -> str:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ChainError(
                    f"anvil exited with code {self._process.returncode} at start"
                    + (f"; see {self.log_file}" if self.log_file else "")
                )
            try:
                chain_id = int(str(rpc(self.url, "eth_chainId", timeout=1.0)), 16)
            except ChainError:
                time.sleep(0.05)
                continue
            if chain_id != self.chain_id:
                raise ChainError(f"port {self.port} answers chain id {chain_id}, not {self.chain_id}")
            log.info("anvil running at %s (pid %s)", self.url, self._process.pid)
            return self.url
        raise ChainError(f"anvil did not answer on {self.url} within {timeout:.0f}s")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop anvil cleanly (it dumps its state on SIGTERM)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("anvil did not stop within %.0fs; killing it", timeout)
            process.kill()
            process.wait()

    def fund(self, *addresses: str, wei: int = FUNDING_WEI) -> None:
        """Give accounts gas money (only the embedded node needs this)."""
        for address in addresses:
            rpc(self.url, "anvil_setBalance", [address, hex(wei)])

    def __enter__(self) -> EmbeddedNode:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def fund_if_embedded(url: str, *addresses: str, wei: int = FUNDING_WEI) -> None:
    """Fund accounts when ``url`` is an anvil node; a no-op on other clients (gas is free there)."""
    try:
        version = str(rpc(url, "web3_clientVersion"))
    except ChainError:
        return
    if version.lower().startswith("anvil"):
        for address in addresses:
            balance = int(str(rpc(url, "eth_getBalance", [address, "latest"])), 16)
            if balance < wei // 2:
                rpc(url, "anvil_setBalance", [address, hex(wei)])


def _whole_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True
